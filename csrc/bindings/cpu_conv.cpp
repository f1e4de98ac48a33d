// cpu_conv.cpp: bindings of the convolution ladder and the pooling kernels: validate, allocate,
// release the GIL, run.
//
// The argument rules (ranks, channel and group agreement, kernel vs padded input, strides,
// padding, dtypes, max-pool indices) and torch's messages live in one place,
// pyneuro/backends/_conv_checks.py; these bindings call it first, so a bad call raises the same
// exception (ShapeError, DTypeError, ArgumentError, IndexRangeError: RuntimeError subclasses, as
// torch) with the same message from here as from every other backend -- about 10 us per call,
// nothing next to the kernel. Then checks.h's `require` confirms each array is float32 and
// C-contiguous before any kernel touches memory (memory safety). The shape re-checks below cannot
// fail once the Python checks have passed; their messages start with "pyneuro._cpu:" (internal).
#include <optional>
#include <string>
#include <tuple>

#include <pybind11/stl.h>

#include "checks.h"
#include "output_pool.h"
#include "pyneuro/conv.h"
#include "registry.h"

namespace pyneuro::bind {

namespace {

using pyneuro::index_t;

py::module_ conv_checks() { return py::module_::import("pyneuro.backends._conv_checks"); }

cpu::ConvVariant parse_variant(const py::object& v) {
  const std::string name = v.is_none() ? "implicit" : py::cast<std::string>(v);
  if (name == "implicit") return cpu::ConvVariant::Implicit;
  if (name == "im2col") return cpu::ConvVariant::Im2col;
  if (name == "direct") return cpu::ConvVariant::Direct;
  throw py::value_error("unknown conv2d variant '" + name + "'; choose one of: direct, im2col, implicit");
}

std::pair<index_t, index_t> ints(const py::handle& t) {
  auto tup = py::reinterpret_borrow<py::tuple>(t);
  return {py::cast<index_t>(tup[0]), py::cast<index_t>(tup[1])};
}

std::vector<py::ssize_t> shape4(const py::object& shape, const char* name) {
  auto seq = py::reinterpret_borrow<py::sequence>(shape);
  if (seq.size() != 4)
    throw py::value_error("pyneuro._cpu: " + std::string(name) + " must have 4 entries, got " +
                          std::to_string(seq.size()));
  return {py::cast<py::ssize_t>(seq[0]), py::cast<py::ssize_t>(seq[1]), py::cast<py::ssize_t>(seq[2]),
          py::cast<py::ssize_t>(seq[3])};
}

// Fills a ConvShape from the checker's (stride, padding, dilation, groups, ...) and the output size.
cpu::ConvShape conv_shape(const std::vector<py::ssize_t>& xs, const std::vector<py::ssize_t>& ws,
                          index_t groups, const py::tuple& r, std::pair<index_t, index_t> out) {
  cpu::ConvShape s{};
  s.N = xs[0], s.C = xs[1], s.H = xs[2], s.W = xs[3];
  s.O = ws[0], s.kH = ws[2], s.kW = ws[3];
  std::tie(s.sh, s.sw) = ints(r[0]);
  std::tie(s.ph, s.pw) = ints(r[1]);
  std::tie(s.dh, s.dw) = ints(r[2]);
  std::tie(s.Ho, s.Wo) = out;
  s.groups = groups;
  return s;
}

void require_shape(const py::array& a, const std::vector<py::ssize_t>& shape, const char* name) {
  if (shape_of(a) != shape) {
    throw py::value_error("pyneuro._cpu: " + std::string(name) + " must have shape " + shape_str(shape) +
                          ", got " + shape_str(a));
  }
}

py::array_t<float> conv2d_forward(const py::object& x_obj, const py::object& w_obj, const py::object& b_obj,
                                  const py::object& stride, const py::object& padding,
                                  const py::object& dilation, index_t groups, const py::object& variant) {
  const py::tuple r = conv_checks().attr("conv2d")(x_obj, w_obj, b_obj, stride, padding, dilation, groups);
  const auto kind = parse_variant(variant);
  auto x = require<float>(x_obj, "input", 4);
  auto w = require<float>(w_obj, "weight", 4);
  std::optional<py::array_t<float>> b;
  if (!b_obj.is_none()) b = require<float>(b_obj, "bias", 1);
  const auto s = conv_shape(shape_of(x), shape_of(w), groups, r, ints(r[4]));
  auto y = new_output<float>({s.N, s.O, s.Ho, s.Wo});
  const float *px = x.data(), *pw = w.data(), *pb = b ? b->data() : nullptr;
  float* py_ = y.mutable_data();
  {
    ReleaseGilIfLarge release(std::int64_t(s.flops()));
    cpu::conv2d_forward(kind, s, px, pw, pb, py_);
  }
  return y;
}

py::array_t<float> conv2d_backward_input(const py::object& gy_obj, const py::object& w_obj,
                                         const py::object& input_shape, const py::object& stride,
                                         const py::object& padding, const py::object& dilation,
                                         index_t groups, const py::object& variant) {
  const py::tuple r = conv_checks().attr("conv2d_backward_input")(gy_obj, w_obj, input_shape, stride, padding,
                                                                  dilation, groups);
  const auto kind = parse_variant(variant);
  const auto xs = shape4(r[4], "input_shape");
  auto w = require<float>(w_obj, "weight", 4);
  auto gy = require<float>(gy_obj, "grad_output", 4);
  const auto s = conv_shape(xs, shape_of(w), groups, r, {gy.shape(2), gy.shape(3)});
  require_shape(gy, {s.N, s.O, s.Ho, s.Wo}, "grad_output");
  auto gx = new_output<float>(xs);
  const float *pg = gy.data(), *pw = w.data();
  float* px = gx.mutable_data();
  {
    ReleaseGilIfLarge release(std::int64_t(s.flops()));
    cpu::conv2d_backward_input(kind, s, pg, pw, px);
  }
  return gx;
}

py::array_t<float> conv2d_backward_weight(const py::object& gy_obj, const py::object& x_obj,
                                          const py::object& weight_shape, const py::object& stride,
                                          const py::object& padding, const py::object& dilation,
                                          index_t groups, const py::object& variant) {
  const py::tuple r = conv_checks().attr("conv2d_backward_weight")(gy_obj, x_obj, weight_shape, stride,
                                                                   padding, dilation, groups);
  const auto kind = parse_variant(variant);
  const auto ws = shape4(r[4], "weight_shape");
  auto x = require<float>(x_obj, "input", 4);
  auto gy = require<float>(gy_obj, "grad_output", 4);
  const auto s = conv_shape(shape_of(x), ws, groups, r, {gy.shape(2), gy.shape(3)});
  require_shape(gy, {s.N, s.O, s.Ho, s.Wo}, "grad_output");
  auto gw = new_output<float>(ws);
  const float *pg = gy.data(), *px = x.data();
  float* pw = gw.mutable_data();
  {
    ReleaseGilIfLarge release(std::int64_t(s.flops()));
    cpu::conv2d_backward_weight(kind, s, pg, px, pw);
  }
  return gw;
}

py::array_t<float> conv2d_backward_bias(const py::object& gy_obj) {
  conv_checks().attr("conv2d_backward_bias")(gy_obj);
  auto gy = require<float>(gy_obj, "grad_output", 4);
  const index_t N = gy.shape(0), O = gy.shape(1), P = gy.shape(2) * gy.shape(3);
  py::array_t<float> gb(std::vector<py::ssize_t>{O});
  const float* pg = gy.data();
  float* pb = gb.mutable_data();
  {
    ReleaseGilIfLarge release(N * O * P);
    cpu::conv2d_backward_bias(pg, N, O, P, pb);
  }
  return gb;
}

// PoolShape from the checker's (kernel, stride, padding, dilation, (Ho, Wo)).
cpu::PoolShape pool_shape(const std::vector<py::ssize_t>& xs, const py::tuple& r) {
  cpu::PoolShape s{};
  s.N = xs[0], s.C = xs[1], s.H = xs[2], s.W = xs[3];
  std::tie(s.kh, s.kw) = ints(r[0]);
  std::tie(s.sh, s.sw) = ints(r[1]);
  std::tie(s.ph, s.pw) = ints(r[2]);
  std::tie(s.dh, s.dw) = ints(r[3]);
  std::tie(s.Ho, s.Wo) = ints(r[4]);
  return s;
}

py::tuple max_pool2d_forward(const py::object& x_obj, const py::object& kernel, const py::object& stride,
                             const py::object& padding, const py::object& dilation, bool ceil_mode) {
  const py::tuple r = conv_checks().attr("pool2d")(x_obj, kernel, stride, padding, dilation, ceil_mode);
  auto x = require<float>(x_obj, "input", 4);
  const auto s = pool_shape(shape_of(x), r);
  auto y = new_output<float>({s.N, s.C, s.Ho, s.Wo});
  py::array_t<std::int64_t> idx({s.N, s.C, s.Ho, s.Wo});
  const float* px = x.data();
  float* py_ = y.mutable_data();
  std::int64_t* pi = idx.mutable_data();
  {
    ReleaseGilIfLarge release(s.N * s.C * s.Ho * s.Wo * s.kh * s.kw);
    cpu::max_pool2d_forward(s, px, py_, pi);
  }
  return py::make_tuple(y, idx);
}

py::array_t<float> max_pool2d_backward(const py::object& gy_obj, const py::object& idx_obj,
                                       const py::object& input_shape) {
  auto cc = conv_checks();
  const auto xs = shape4(cc.attr("max_pool2d_backward")(gy_obj, idx_obj, input_shape), "input_shape");
  auto gy = require<float>(gy_obj, "grad_output", 4);
  auto idx = require<std::int64_t>(idx_obj, "indices", 4);
  require_same_shape(gy, "grad_output", idx, "indices");
  if (gy.shape(0) != xs[0] || gy.shape(1) != xs[1]) {
    throw py::value_error("pyneuro._cpu: grad_output " + shape_str(gy) + " does not match input_shape " +
                          shape_str(xs));
  }
  cpu::PoolShape s{};
  s.N = xs[0], s.C = xs[1], s.H = xs[2], s.W = xs[3], s.Ho = gy.shape(2), s.Wo = gy.shape(3);
  const std::int64_t* pi = idx.data();
  const std::int64_t n_idx = idx.size(), plane = s.H * s.W;
  for (std::int64_t e = 0; e < n_idx; ++e) {  // indices come from Python: never index out of the plane
    if (pi[e] < 0 || pi[e] >= plane) {
      cc.attr("indices_in_plane")(idx, plane);  // raises the one error of every backend (IndexRangeError)
      throw py::index_error("max_pool2d: an index is outside the input plane of " + std::to_string(plane) +
                            " elements");
    }
  }
  auto gx = new_output<float>(xs);
  const float* pg = gy.data();
  float* px = gx.mutable_data();
  {
    ReleaseGilIfLarge release(s.N * s.C * (plane + s.Ho * s.Wo));
    cpu::max_pool2d_backward(s, pg, pi, px);
  }
  return gx;
}

index_t divisor_of(const py::object& d) { return py::cast<index_t>(conv_checks().attr("divisor")(d)); }

py::array_t<float> avg_pool2d_forward(const py::object& x_obj, const py::object& kernel,
                                      const py::object& stride, const py::object& padding, bool ceil_mode,
                                      bool count_include_pad, const py::object& divisor_override) {
  const py::tuple r =
      conv_checks().attr("pool2d")(x_obj, kernel, stride, padding, 1, ceil_mode, "avg_pool2d");
  const index_t div = divisor_of(divisor_override);
  auto x = require<float>(x_obj, "input", 4);
  const auto s = pool_shape(shape_of(x), r);
  auto y = new_output<float>({s.N, s.C, s.Ho, s.Wo});
  const float* px = x.data();
  float* py_ = y.mutable_data();
  {
    ReleaseGilIfLarge release(s.N * s.C * s.Ho * s.Wo * s.kh * s.kw);
    cpu::avg_pool2d_forward(s, count_include_pad, div, px, py_);
  }
  return y;
}

py::array_t<float> avg_pool2d_backward(const py::object& gy_obj, const py::object& input_shape,
                                       const py::object& kernel, const py::object& stride,
                                       const py::object& padding, bool ceil_mode, bool count_include_pad,
                                       const py::object& divisor_override) {
  // (kernel, stride, padding, (Ho, Wo), input_shape, divisor)
  const py::tuple r = conv_checks().attr("avg_pool2d_backward")(gy_obj, input_shape, kernel, stride, padding,
                                                                ceil_mode, divisor_override);
  const auto xs = shape4(r[4], "input_shape");
  const index_t div = py::cast<index_t>(r[5]);
  const auto s = pool_shape(xs, py::make_tuple(r[0], r[1], r[2], py::make_tuple(1, 1), r[3]));
  auto gy = require<float>(gy_obj, "grad_output", 4);
  require_shape(gy, {s.N, s.C, s.Ho, s.Wo}, "grad_output");
  auto gx = new_output<float>(xs);
  const float* pg = gy.data();
  float* px = gx.mutable_data();
  {
    ReleaseGilIfLarge release(s.N * s.C * s.Ho * s.Wo * s.kh * s.kw);
    cpu::avg_pool2d_backward(s, count_include_pad, div, pg, px);
  }
  return gx;
}

py::array_t<float> adaptive_avg_pool2d_forward(const py::object& x_obj, const py::object& output_size) {
  const py::tuple out = conv_checks().attr("adaptive")(x_obj, output_size);
  auto x = require<float>(x_obj, "input", 4);
  cpu::PoolShape s{};
  s.N = x.shape(0), s.C = x.shape(1), s.H = x.shape(2), s.W = x.shape(3);
  std::tie(s.Ho, s.Wo) = ints(out);
  auto y = new_output<float>({s.N, s.C, s.Ho, s.Wo});
  const float* px = x.data();
  float* py_ = y.mutable_data();
  {
    ReleaseGilIfLarge release(s.N * s.C * s.H * s.W);
    cpu::adaptive_avg_pool2d_forward(s, px, py_);
  }
  return y;
}

py::array_t<float> adaptive_avg_pool2d_backward(const py::object& gy_obj, const py::object& input_shape) {
  const auto xs = shape4(conv_checks().attr("adaptive_backward")(gy_obj, input_shape), "input_shape");
  auto gy = require<float>(gy_obj, "grad_output", 4);
  require_shape(gy, {xs[0], xs[1], gy.shape(2), gy.shape(3)}, "grad_output");
  cpu::PoolShape s{};
  s.N = xs[0], s.C = xs[1], s.H = xs[2], s.W = xs[3], s.Ho = gy.shape(2), s.Wo = gy.shape(3);
  auto gx = new_output<float>(xs);
  const float* pg = gy.data();
  float* px = gx.mutable_data();
  {
    ReleaseGilIfLarge release(s.N * s.C * s.H * s.W);
    cpu::adaptive_avg_pool2d_backward(s, pg, px);
  }
  return gx;
}

}  // namespace

void register_conv(py::module_& m) {
  m.attr("conv2d_variants") = py::make_tuple("direct", "im2col", "implicit");
  const auto pair1 = py::make_tuple(1, 1), pair0 = py::make_tuple(0, 0);
  m.def("conv2d_forward", &conv2d_forward, py::arg("x"), py::arg("w"), py::arg("bias") = py::none(),
        py::arg("stride") = pair1, py::arg("padding") = pair0, py::arg("dilation") = pair1,
        py::arg("groups") = 1, py::arg("variant") = py::none(),
        "y = conv2d(x, w) + bias, NCHW float32 (torch.nn.functional.conv2d).");
  m.def("conv2d_backward_input", &conv2d_backward_input, py::arg("grad_y"), py::arg("w"),
        py::arg("input_shape"), py::arg("stride") = pair1, py::arg("padding") = pair0,
        py::arg("dilation") = pair1, py::arg("groups") = 1, py::arg("variant") = py::none(),
        "Gradient of conv2d with respect to its input.");
  m.def("conv2d_backward_weight", &conv2d_backward_weight, py::arg("grad_y"), py::arg("x"),
        py::arg("weight_shape"), py::arg("stride") = pair1, py::arg("padding") = pair0,
        py::arg("dilation") = pair1, py::arg("groups") = 1, py::arg("variant") = py::none(),
        "Gradient of conv2d with respect to its weight.");
  m.def("conv2d_backward_bias", &conv2d_backward_bias, py::arg("grad_y"), "Sum of grad_y over N, H, W.");
  m.def("max_pool2d_forward", &max_pool2d_forward, py::arg("x"), py::arg("kernel"),
        py::arg("stride") = py::none(), py::arg("padding") = pair0, py::arg("dilation") = pair1,
        py::arg("ceil_mode") = false,
        "(y, indices) of max_pool2d; indices are flat h*W + w into the input plane (int64).");
  m.def("max_pool2d_backward", &max_pool2d_backward, py::arg("grad_y"), py::arg("indices"),
        py::arg("input_shape"), "Scatter-add grad_y into grad_x at indices.");
  m.def("avg_pool2d_forward", &avg_pool2d_forward, py::arg("x"), py::arg("kernel"),
        py::arg("stride") = py::none(), py::arg("padding") = pair0, py::arg("ceil_mode") = false,
        py::arg("count_include_pad") = true, py::arg("divisor_override") = py::none(),
        "avg_pool2d (torch.nn.functional.avg_pool2d).");
  m.def("avg_pool2d_backward", &avg_pool2d_backward, py::arg("grad_y"), py::arg("input_shape"),
        py::arg("kernel"), py::arg("stride") = py::none(), py::arg("padding") = pair0,
        py::arg("ceil_mode") = false, py::arg("count_include_pad") = true,
        py::arg("divisor_override") = py::none(), "Gradient of avg_pool2d.");
  m.def("adaptive_avg_pool2d_forward", &adaptive_avg_pool2d_forward, py::arg("x"), py::arg("output_size"),
        "adaptive_avg_pool2d (torch.nn.functional.adaptive_avg_pool2d).");
  m.def("adaptive_avg_pool2d_backward", &adaptive_avg_pool2d_backward, py::arg("grad_y"),
        py::arg("input_shape"), "Gradient of adaptive_avg_pool2d.");
}

}  // namespace pyneuro::bind

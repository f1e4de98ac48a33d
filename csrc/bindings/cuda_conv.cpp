// cuda_conv.cpp: the conv2d / pooling entries of pyneuro._cuda's kernel table.
//
// The Python layer (pyneuro/backends/cuda_backend.py) raises torch's errors and messages
// first; these bindings check again everything a kernel relies on (types, dtypes, ranks,
// devices, the geometry and every shape it implies, max-pool indices in range), so a call
// from anywhere else is refused (TypeError / ValueError) instead of reading out of bounds.
#include <pybind11/stl.h>

#include <array>
#include <string>

#include "conv_launch.h"
#include "cuda_array.h"

namespace pyneuro::bind::cuda {
namespace {

using Pair = std::array<int64_t, 2>;

std::string pair_str(const Pair& p) { return "(" + std::to_string(p[0]) + ", " + std::to_string(p[1]) + ")"; }

void require_shape(const DeviceArray& a, const char* name, const std::vector<py::ssize_t>& want) {
  if (a.shape != want)
    throw py::value_error(std::string(name) + " must have shape " + pyneuro::bind::shape_str(want) +
                          ", got " + shape_str(a));
}

pc::ConvVariant conv_variant(const std::string& v) {
  if (v == "naive") return pc::ConvVariant::naive;
  if (v == "tiled") return pc::ConvVariant::tiled;
  throw py::value_error("unknown conv2d variant '" + v + "'; choose one of: naive, tiled");
}

// Geometry from the input and weight shapes and the parameters; every rule a kernel needs.
pc::ConvGeometry geometry(const std::vector<py::ssize_t>& xs, const std::vector<py::ssize_t>& ws, Pair stride,
                          Pair padding, Pair dilation, int64_t groups) {
  if (xs.size() != 4 || ws.size() != 4) throw py::value_error("conv2d: input and weight shapes must be 4-D");
  for (auto v : xs)
    if (v < 0) throw py::value_error("conv2d: negative size in input shape");
  if (stride[0] < 1 || stride[1] < 1) throw py::value_error("non-positive stride is not supported");
  if (padding[0] < 0 || padding[1] < 0) throw py::value_error("negative padding is not supported");
  if (dilation[0] < 1 || dilation[1] < 1) throw py::value_error("dilation should be greater than zero");
  if (groups < 1) throw py::value_error("non-positive groups is not supported");
  pc::ConvGeometry g{xs[0], xs[1],     xs[2],     xs[3],      ws[0],      ws[2],       ws[3],       0,
                     0,     stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1], groups};
  if (g.O % groups) throw py::value_error("conv2d: out_channels must be divisible by groups");
  if (g.C != ws[1] * groups)
    throw py::value_error("conv2d: input has " + std::to_string(g.C) + " channels, weight expects " +
                          std::to_string(ws[1] * groups));
  if (g.KH < 1 || g.KW < 1) throw py::value_error("conv2d: kernel size must be positive");
  const int64_t eh = g.dh * (g.KH - 1) + 1, ew = g.dw * (g.KW - 1) + 1;
  if (g.H + 2 * g.ph < eh || g.W + 2 * g.pw < ew)
    throw py::value_error("Kernel size can't be greater than actual input size");
  g.Ho = (g.H + 2 * g.ph - eh) / g.sh + 1;
  g.Wo = (g.W + 2 * g.pw - ew) / g.sw + 1;
  return g;
}

DeviceArray conv2d_forward(py::object xo, py::object wo, py::object bo, Pair stride, Pair padding,
                           Pair dilation, int64_t groups, const std::string& variant) {
  const pc::ConvVariant v = conv_variant(variant);
  DeviceArray& x = require(xo, "input", DType::f32, 4);
  DeviceArray& w = require(wo, "weight", DType::f32, 4);
  const pc::ConvGeometry g = geometry(x.shape, w.shape, stride, padding, dilation, groups);
  const float* bias = nullptr;
  if (!bo.is_none()) {
    DeviceArray& b = require(bo, "bias", DType::f32, 1);
    require_shape(b, "bias", {g.O});
    require_same_device({&x, &w, &b});
    bias = b.f32();
  } else {
    require_same_device({&x, &w});
  }
  DeviceArray y = empty({g.N, g.O, g.Ho, g.Wo}, DType::f32);
  pc::conv2d_forward(v, g, x.f32(), w.f32(), bias, y.f32());
  return y;
}

DeviceArray conv2d_backward_input(py::object go, py::object wo, std::vector<py::ssize_t> input_shape,
                                  Pair stride, Pair padding, Pair dilation, int64_t groups,
                                  const std::string& variant) {
  const pc::ConvVariant v = conv_variant(variant);
  DeviceArray& gy = require(go, "grad_output", DType::f32, 4);
  DeviceArray& w = require(wo, "weight", DType::f32, 4);
  require_same_device({&gy, &w});
  const pc::ConvGeometry g = geometry(input_shape, w.shape, stride, padding, dilation, groups);
  require_shape(gy, "grad_output", {g.N, g.O, g.Ho, g.Wo});
  DeviceArray dx = empty(input_shape, DType::f32);
  pc::conv2d_backward_input(v, g, gy.f32(), w.f32(), dx.f32());
  return dx;
}

DeviceArray conv2d_backward_weight(py::object go, py::object xo, std::vector<py::ssize_t> weight_shape,
                                   Pair stride, Pair padding, Pair dilation, int64_t groups,
                                   const std::string& variant) {
  const pc::ConvVariant v = conv_variant(variant);
  DeviceArray& gy = require(go, "grad_output", DType::f32, 4);
  DeviceArray& x = require(xo, "input", DType::f32, 4);
  require_same_device({&gy, &x});
  if (weight_shape.size() != 4) throw py::value_error("conv2d: weight_shape must have 4 entries");
  for (auto s : weight_shape)
    if (s < 0) throw py::value_error("conv2d: negative size in weight_shape");
  const pc::ConvGeometry g = geometry(x.shape, weight_shape, stride, padding, dilation, groups);
  require_shape(gy, "grad_output", {g.N, g.O, g.Ho, g.Wo});
  DeviceArray dw = empty(weight_shape, DType::f32);
  pc::conv2d_backward_weight(v, g, gy.f32(), x.f32(), dw.f32());
  return dw;
}

DeviceArray conv2d_backward_bias(py::object go) {
  DeviceArray& gy = require(go, "grad_output", DType::f32, 4);
  DeviceArray db = empty({gy.shape[1]}, DType::f32);
  pc::conv2d_backward_bias(gy.shape[0], gy.shape[1], gy.shape[2] * gy.shape[3], gy.f32(), db.f32());
  return db;
}

// Pooling geometry: torch's output size rule (ceil_mode: the last window starts inside the
// input or the left padding) and its parameter checks.
int64_t pool_out(int64_t size, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  int64_t out = (size + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0)) / s + 1;
  if (ceil_mode && (out - 1) * s >= size + p) --out;
  return out;
}

std::array<int64_t, 2> pool_geometry(const std::vector<py::ssize_t>& xs, Pair k, Pair s, Pair p, Pair d,
                                     bool ceil_mode) {
  if (xs.size() != 4) throw py::value_error("pooling: input must be 4-D");
  for (int i = 0; i < 2; ++i) {
    if (k[i] < 1) throw py::value_error("kernel size should be greater than zero");
    if (s[i] < 1) throw py::value_error("stride should not be zero");
    if (d[i] < 1) throw py::value_error("dilation should be greater than zero");
    if (p[i] < 0 || p[i] > (d[i] * (k[i] - 1) + 1) / 2)
      throw py::value_error("pad should be at most half of effective kernel size");
  }
  if (xs[1] < 1 || xs[2] < 1 || xs[3] < 1)
    throw py::value_error("non-empty 3D or 4D (batch mode) tensor expected for input");
  const int64_t ho = pool_out(xs[2], k[0], s[0], p[0], d[0], ceil_mode);
  const int64_t wo = pool_out(xs[3], k[1], s[1], p[1], d[1], ceil_mode);
  if (ho < 1 || wo < 1) throw py::value_error("Output size is too small");
  return {ho, wo};
}

py::tuple max_pool2d_forward(py::object xo, Pair k, Pair s, Pair p, Pair d, bool ceil_mode) {
  DeviceArray& x = require(xo, "input", DType::f32, 4);
  const auto out = pool_geometry(x.shape, k, s, p, d, ceil_mode);
  DeviceArray y = empty({x.shape[0], x.shape[1], out[0], out[1]}, DType::f32);
  DeviceArray idx = empty(y.shape, DType::i64);
  pc::max_pool2d_forward(x.shape[0] * x.shape[1], x.shape[2], x.shape[3], out[0], out[1], k.data(), s.data(),
                         p.data(), d.data(), x.f32(), y.f32(), idx.i64());
  set_range(idx, 0, x.shape[2] * x.shape[3] - 1);
  return py::make_tuple(y, idx);
}

DeviceArray max_pool2d_backward(py::object go, py::object io, std::vector<py::ssize_t> input_shape) {
  DeviceArray& gy = require(go, "grad_output", DType::f32, 4);
  DeviceArray& idx = require(io, "indices", DType::i64, 4);
  require_same_device({&gy, &idx});
  require_same_shape(gy, "grad_output", idx, "indices");
  if (input_shape.size() != 4 || input_shape[0] != gy.shape[0] || input_shape[1] != gy.shape[1] ||
      input_shape[2] < 0 || input_shape[3] < 0)
    throw py::value_error("max_pool2d backward: input_shape does not match grad_output of shape " +
                          shape_str(gy));
  const int64_t hw = input_shape[2] * input_shape[3];
  if (idx.size()) {
    int64_t lo = 0, hi = 0;
    int64_range(idx, lo, hi, 0, hw - 1);
    if (lo < 0 || hi >= hw)
      throw py::value_error("max_pool2d backward: an index is outside the input plane of " +
                            std::to_string(hw) + " elements");
  }
  DeviceArray dx = empty(input_shape, DType::f32);
  pc::max_pool2d_backward(gy.shape[0] * gy.shape[1], hw, gy.shape[2] * gy.shape[3], gy.f32(), idx.i64(),
                          dx.f32());
  return dx;
}

DeviceArray avg_pool2d_forward(py::object xo, Pair k, Pair s, Pair p, bool ceil_mode, bool count_include_pad,
                               int64_t divisor_override) {
  DeviceArray& x = require(xo, "input", DType::f32, 4);
  const auto out = pool_geometry(x.shape, k, s, p, {1, 1}, ceil_mode);
  DeviceArray y = empty({x.shape[0], x.shape[1], out[0], out[1]}, DType::f32);
  pc::avg_pool2d_forward(x.shape[0] * x.shape[1], x.shape[2], x.shape[3], out[0], out[1], k.data(), s.data(),
                         p.data(), count_include_pad, divisor_override, x.f32(), y.f32());
  return y;
}

DeviceArray avg_pool2d_backward(py::object go, std::vector<py::ssize_t> input_shape, Pair k, Pair s, Pair p,
                                bool ceil_mode, bool count_include_pad, int64_t divisor_override) {
  DeviceArray& gy = require(go, "grad_output", DType::f32, 4);
  const auto out = pool_geometry(input_shape, k, s, p, {1, 1}, ceil_mode);
  if (input_shape[0] < 0) throw py::value_error("avg_pool2d backward: negative batch size");
  require_shape(gy, "grad_output", {input_shape[0], input_shape[1], out[0], out[1]});
  DeviceArray dx = empty(input_shape, DType::f32);
  pc::avg_pool2d_backward(input_shape[0] * input_shape[1], input_shape[2], input_shape[3], out[0], out[1],
                          k.data(), s.data(), p.data(), count_include_pad, divisor_override, gy.f32(),
                          dx.f32());
  return dx;
}

DeviceArray adaptive_avg_pool2d_forward(py::object xo, Pair output_size) {
  DeviceArray& x = require(xo, "input", DType::f32, 4);
  if (x.shape[1] < 1 || x.shape[2] < 1 || x.shape[3] < 1)
    throw py::value_error(
        "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions");
  if (output_size[0] < 0 || output_size[1] < 0)
    throw py::value_error("adaptive_avg_pool2d: negative output_size");
  DeviceArray y = empty({x.shape[0], x.shape[1], output_size[0], output_size[1]}, DType::f32);
  pc::adaptive_avg_pool2d_forward(x.shape[0] * x.shape[1], x.shape[2], x.shape[3], output_size[0],
                                  output_size[1], x.f32(), y.f32());
  return y;
}

DeviceArray adaptive_avg_pool2d_backward(py::object go, std::vector<py::ssize_t> input_shape) {
  DeviceArray& gy = require(go, "grad_output", DType::f32, 4);
  if (input_shape.size() != 4 || input_shape[0] != gy.shape[0] || input_shape[1] != gy.shape[1] ||
      input_shape[2] < 1 || input_shape[3] < 1)
    throw py::value_error("adaptive_avg_pool2d backward: input_shape does not match grad_output of shape " +
                          shape_str(gy));
  DeviceArray dx = empty(input_shape, DType::f32);
  pc::adaptive_avg_pool2d_backward(input_shape[0] * input_shape[1], input_shape[2], input_shape[3],
                                   gy.shape[2], gy.shape[3], gy.f32(), dx.f32());
  return dx;
}

}  // namespace

void register_conv(py::module_& m) {
  m.attr("conv2d_variants") = py::make_tuple("naive", "tiled");
  m.def("conv2d_forward", &conv2d_forward, py::arg("x"), py::arg("w"), py::arg("bias"), py::arg("stride"),
        py::arg("padding"), py::arg("dilation"), py::arg("groups"), py::arg("variant") = "tiled");
  m.def("conv2d_backward_input", &conv2d_backward_input, py::arg("grad_output"), py::arg("w"),
        py::arg("input_shape"), py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"),
        py::arg("variant") = "tiled");
  m.def("conv2d_backward_weight", &conv2d_backward_weight, py::arg("grad_output"), py::arg("x"),
        py::arg("weight_shape"), py::arg("stride"), py::arg("padding"), py::arg("dilation"),
        py::arg("groups"), py::arg("variant") = "tiled");
  m.def("conv2d_backward_bias", &conv2d_backward_bias, py::arg("grad_output"));
  m.def("max_pool2d_forward", &max_pool2d_forward, py::arg("x"), py::arg("kernel"), py::arg("stride"),
        py::arg("padding"), py::arg("dilation"), py::arg("ceil_mode"));
  m.def("max_pool2d_backward", &max_pool2d_backward, py::arg("grad_output"), py::arg("indices"),
        py::arg("input_shape"));
  m.def("avg_pool2d_forward", &avg_pool2d_forward, py::arg("x"), py::arg("kernel"), py::arg("stride"),
        py::arg("padding"), py::arg("ceil_mode"), py::arg("count_include_pad"), py::arg("divisor_override"));
  m.def("avg_pool2d_backward", &avg_pool2d_backward, py::arg("grad_output"), py::arg("input_shape"),
        py::arg("kernel"), py::arg("stride"), py::arg("padding"), py::arg("ceil_mode"),
        py::arg("count_include_pad"), py::arg("divisor_override"));
  m.def("adaptive_avg_pool2d_forward", &adaptive_avg_pool2d_forward, py::arg("x"), py::arg("output_size"));
  m.def("adaptive_avg_pool2d_backward", &adaptive_avg_pool2d_backward, py::arg("grad_output"),
        py::arg("input_shape"));
}

}  // namespace pyneuro::bind::cuda

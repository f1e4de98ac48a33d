// cuda_kernels.cpp: the kernel table of pyneuro._cuda (same names and semantics as
// numpy_backend.py). Each function validates every argument (DeviceArray type, dtype,
// rank, shapes, device, class-target range) before anything is launched, allocates the
// output from the caching allocator and calls the launcher in csrc/cuda/launch.cu.
#include <pybind11/stl.h>

#include <string>

#include "cuda_array.h"

namespace pyneuro::bind::cuda {
namespace {

const char* const kMatmulVariants[] = {"naive", "tiled", "regblock", "vectorized"};
const char* const kSoftmaxVariants[] = {"warp", "block"};

pc::MatmulVariant matmul_variant(const std::string& v) {
  if (v == "naive") return pc::MatmulVariant::naive;
  if (v == "tiled") return pc::MatmulVariant::tiled;
  if (v == "regblock") return pc::MatmulVariant::regblock;
  if (v == "vectorized") return pc::MatmulVariant::vectorized;
  throw py::value_error("unknown matmul variant '" + v +
                        "'; choose one of: naive, tiled, regblock, vectorized");
}

DeviceArray matmul(py::object ao, py::object bo, bool ta, bool tb, const std::string& variant) {
  const pc::MatmulVariant v = matmul_variant(variant);
  DeviceArray& a = require(ao, "a", DType::f32, 2);
  DeviceArray& b = require(bo, "b", DType::f32, 2);
  require_same_device({&a, &b});
  const auto [m, n, k] = matmul_dims(a.shape, ta, b.shape, tb);
  DeviceArray c = empty({m, n}, DType::f32);
  // Leading dimensions: the stored (C-contiguous) row lengths.
  pc::matmul(v, m, n, k, a.f32(), a.shape[1], b.f32(), b.shape[1], c.f32(), n, ta, tb);
  return c;
}

DeviceArray relu_forward(py::object xo) {
  DeviceArray& x = require(xo, "x", DType::f32);
  DeviceArray y = empty(x.shape, DType::f32);
  pc::relu_forward(x.size(), x.f32(), y.f32());
  return y;
}

DeviceArray relu_backward(py::object go, py::object xo) {
  DeviceArray& g = require(go, "grad_output", DType::f32);
  DeviceArray& x = require(xo, "x", DType::f32);
  require_same_shape(g, "grad_output", x, "x");
  require_same_device({&g, &x});
  DeviceArray dx = empty(x.shape, DType::f32);
  pc::relu_backward(x.size(), g.f32(), x.f32(), dx.f32());
  return dx;
}

DeviceArray softmax_forward(py::object xo, py::object variant) {
  bool block = false;
  DeviceArray& x = require(xo, "x", DType::f32, 2);
  if (variant.is_none()) {
    block = pc::prefers_block_per_row(x.shape[1]);
  } else {
    const std::string v = variant.cast<std::string>();
    if (v != "warp" && v != "block")
      throw py::value_error("unknown softmax variant '" + v + "'; choose one of: warp, block");
    block = v == "block";
  }
  DeviceArray y = empty(x.shape, DType::f32);
  pc::softmax(block, x.shape[0], x.shape[1], x.f32(), y.f32());
  return y;
}

DeviceArray log_softmax_forward(py::object xo) {
  DeviceArray& x = require(xo, "x", DType::f32, 2);
  DeviceArray y = empty(x.shape, DType::f32);
  pc::log_softmax(x.shape[0], x.shape[1], x.f32(), y.f32());
  return y;
}

DeviceArray softmax_family_backward(py::object go, py::object yo, bool log_output) {
  DeviceArray& g = require(go, "grad_output", DType::f32, 2);
  DeviceArray& y = require(yo, "output", DType::f32, 2);
  require_same_shape(g, "grad_output", y, "output");
  require_same_device({&g, &y});
  DeviceArray dx = empty(y.shape, DType::f32);
  pc::softmax_backward(log_output, y.shape[0], y.shape[1], g.f32(), y.f32(), dx.f32());
  return dx;
}

// Targets: 1-D int64 of length rows, every value in [0, classes) — checked before the
// cross-entropy kernel indexes with them: with the buffer's cached range when known (targets
// uploaded from the host, or gathered from uploaded labels: no device -> host copy), else
// with one min/max reduction on the device whose two values are copied back.
DeviceArray& require_targets(py::object to, const DeviceArray& logits) {
  if (to.is_none()) targets_type_error("NoneType");
  if (py::isinstance<DeviceArray>(to) && to.cast<DeviceArray&>().dtype != DType::i64)
    targets_dtype_error(dtype_name(to.cast<DeviceArray&>().dtype));
  DeviceArray& t = require(to, "targets", DType::i64);
  const int64_t rows = logits.shape[0], classes = logits.shape[1];
  check_targets_shape(t.shape, logits.shape);
  require_same_device({&logits, &t});
  if (rows > 0) {
    int64_t lo = 0, hi = 0;
    int64_range(t, lo, hi, 0, classes - 1);
    check_target_range(lo, hi, classes);
  }
  return t;
}

DeviceArray cross_entropy_forward(py::object lo, py::object to) {
  DeviceArray& logits = require(lo, "logits", DType::f32, 2);
  DeviceArray& t = require_targets(to, logits);
  DeviceArray losses = empty({logits.shape[0]}, DType::f32);
  pc::cross_entropy_forward(logits.shape[0], logits.shape[1], logits.f32(), t.i64(), losses.f32());
  return losses;
}

DeviceArray cross_entropy_backward(py::object lo, py::object to, py::object glo) {
  DeviceArray& logits = require(lo, "logits", DType::f32, 2);
  DeviceArray& t = require_targets(to, logits);
  DeviceArray& gl = require(glo, "grad_losses", DType::f32, 1);
  check_grad_losses_shape(gl.shape, logits.shape);
  require_same_device({&logits, &gl});
  DeviceArray dx = empty(logits.shape, DType::f32);
  pc::cross_entropy_backward(logits.shape[0], logits.shape[1], logits.f32(), t.i64(), gl.f32(), dx.f32());
  return dx;
}

DeviceArray bias_add(py::object xo, py::object bo) {
  DeviceArray& x = require(xo, "x", DType::f32, 2);
  DeviceArray& b = require(bo, "bias", DType::f32, 1);
  check_bias_shape(x.shape, b.shape);
  require_same_device({&x, &b});
  DeviceArray y = empty(x.shape, DType::f32);
  pc::bias_add(x.shape[0], x.shape[1], x.f32(), b.f32(), y.f32());
  return y;
}

DeviceArray bias_grad(py::object go) {
  DeviceArray& g = require(go, "grad_output", DType::f32, 2);
  DeviceArray out = empty({g.shape[1]}, DType::f32);
  pc::column_sum(g.shape[0], g.shape[1], g.f32(), out.f32());
  return out;
}

void sgd_step(py::object po, py::object go, py::object bo, double lr, double momentum, double dampening,
              double weight_decay, bool nesterov, bool first_step) {
  DeviceArray& p = require(po, "param", DType::f32);
  DeviceArray& g = require(go, "grad", DType::f32);
  require_same_shape(p, "param", g, "grad");
  require_writeable(p, "param");
  DeviceArray* buf = nullptr;
  if (momentum != 0.0) {
    if (bo.is_none()) throw py::value_error("sgd_step: momentum != 0 needs a momentum_buffer array");
    buf = &require(bo, "momentum_buffer", DType::f32);
    require_same_shape(p, "param", *buf, "momentum_buffer");
    require_writeable(*buf, "momentum_buffer");
  }
  require_same_device({&p, &g, buf});
  pc::sgd_step(p.size(), p.f32(), g.f32(), buf ? buf->f32() : nullptr, static_cast<float>(lr),
               static_cast<float>(momentum), static_cast<float>(dampening), static_cast<float>(weight_decay),
               nesterov, first_step);
}

void adam_step(py::object po, py::object go, py::object mo, py::object vo, int64_t step, double lr,
               double beta1, double beta2, double eps, double weight_decay) {
  if (step < 1) throw py::value_error("adam_step: step counts from 1, got " + std::to_string(step));
  DeviceArray& p = require(po, "param", DType::f32);
  DeviceArray& g = require(go, "grad", DType::f32);
  DeviceArray& m = require(mo, "exp_avg", DType::f32);
  DeviceArray& v = require(vo, "exp_avg_sq", DType::f32);
  require_same_shape(p, "param", g, "grad");
  require_same_shape(p, "param", m, "exp_avg");
  require_same_shape(p, "param", v, "exp_avg_sq");
  require_writeable(p, "param");
  require_writeable(m, "exp_avg");
  require_writeable(v, "exp_avg_sq");
  require_same_device({&p, &g, &m, &v});
  pc::adam_step(p.size(), p.f32(), g.f32(), m.f32(), v.f32(), step, lr, beta1, beta2, eps, weight_decay);
}

DeviceArray argmax(py::object xo) {
  DeviceArray& x = require(xo, "x", DType::f32, 2);
  if (x.shape[1] == 0 && x.shape[0] > 0)
    throw py::value_error("argmax of an empty row: x has shape " + shape_str(x));
  DeviceArray out = empty({x.shape[0]}, DType::i64);
  pc::argmax(x.shape[0], x.shape[1], x.f32(), out.i64());
  if (out.size() > 0) set_range(out, 0, x.shape[1] - 1);
  return out;
}

}  // namespace

void register_kernels(py::module_& m) {
  py::list mv, sv;
  for (const char* v : kMatmulVariants) mv.append(v);
  for (const char* v : kSoftmaxVariants) sv.append(v);
  m.attr("matmul_variants") = py::tuple(mv);
  m.attr("softmax_variants") = py::tuple(sv);
  m.def("matmul", &matmul, py::arg("a"), py::arg("b"), py::arg("trans_a") = false, py::arg("trans_b") = false,
        py::arg("variant") = "vectorized", "C = op(a) @ op(b); op(x) = x.T when its flag is set (no copy).");
  m.def("relu_forward", &relu_forward, py::arg("x"));
  m.def("relu_backward", &relu_backward, py::arg("grad_output"), py::arg("x"));
  m.def("softmax_forward", &softmax_forward, py::arg("x"), py::arg("variant") = py::none(),
        "Row softmax; variant 'warp' (warp per row), 'block' (block per row) or None (by row length).");
  m.def(
      "softmax_backward", [](py::object g, py::object y) { return softmax_family_backward(g, y, false); },
      py::arg("grad_output"), py::arg("output"));
  m.def("log_softmax_forward", &log_softmax_forward, py::arg("x"));
  m.def(
      "log_softmax_backward", [](py::object g, py::object y) { return softmax_family_backward(g, y, true); },
      py::arg("grad_output"), py::arg("output"));
  m.def("cross_entropy_forward", &cross_entropy_forward, py::arg("logits"), py::arg("targets"));
  m.def("cross_entropy_backward", &cross_entropy_backward, py::arg("logits"), py::arg("targets"),
        py::arg("grad_losses"));
  m.def("bias_add", &bias_add, py::arg("x"), py::arg("bias"));
  m.def("bias_grad", &bias_grad, py::arg("grad_output"));
  m.def("sgd_step", &sgd_step, py::arg("param"), py::arg("grad"), py::arg("momentum_buffer"), py::arg("lr"),
        py::arg("momentum") = 0.0, py::arg("dampening") = 0.0, py::arg("weight_decay") = 0.0,
        py::arg("nesterov") = false, py::arg("first_step") = false);
  m.def("adam_step", &adam_step, py::arg("param"), py::arg("grad"), py::arg("exp_avg"), py::arg("exp_avg_sq"),
        py::arg("step"), py::arg("lr"), py::arg("beta1") = 0.9, py::arg("beta2") = 0.999,
        py::arg("eps") = 1e-8, py::arg("weight_decay") = 0.0);
  m.def("argmax", &argmax, py::arg("x"));
}

}  // namespace pyneuro::bind::cuda

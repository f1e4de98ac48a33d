// cpu_softmax.cpp: bindings of the softmax family and fused cross-entropy.
#include <limits>
#include <string>
#include <vector>

#include "checks.h"
#include "output_pool.h"
#include "pyneuro/softmax.h"
#include "registry.h"

namespace pyneuro::bind {

namespace {

using RowKernel = void (*)(const float*, float*, index_t, index_t);
using RowBackward = void (*)(const float*, const float*, float*, index_t, index_t);

cpu::SoftmaxVariant parse_variant(const std::string& name) {
  if (name == "online") return cpu::SoftmaxVariant::Online;
  if (name == "three_pass") return cpu::SoftmaxVariant::ThreePass;
  throw py::value_error("unknown softmax variant '" + name + "'; choose one of: three_pass, online");
}

py::array_t<float> softmax_forward(const py::object& x_obj, const std::string& variant) {
  const auto kind = parse_variant(variant);
  auto x = require<float>(x_obj, "x", 2);
  auto y = new_output<float>(shape_of(x));
  const float* px = x.data();
  float* py_ = y.mutable_data();
  const index_t rows = x.shape(0), cols = x.shape(1);
  {
    ReleaseGilIfLarge release(rows * cols);
    cpu::softmax_forward(kind, px, py_, rows, cols);
  }
  return y;
}

py::array_t<float> row_forward(RowKernel kernel, const py::object& x_obj) {
  auto x = require<float>(x_obj, "x", 2);
  auto y = new_output<float>(shape_of(x));
  const float* px = x.data();
  float* py_ = y.mutable_data();
  const index_t rows = x.shape(0), cols = x.shape(1);
  {
    ReleaseGilIfLarge release(rows * cols);
    kernel(px, py_, rows, cols);
  }
  return y;
}

py::array_t<float> row_backward(RowBackward kernel, const py::object& g_obj, const py::object& y_obj) {
  auto g = require<float>(g_obj, "grad_output", 2);
  auto y = require<float>(y_obj, "output", 2);
  require_same_shape(g, "grad_output", y, "output");
  auto gx = new_output<float>(shape_of(y));
  const float* pg = g.data();
  const float* pyv = y.data();
  float* pgx = gx.mutable_data();
  const index_t rows = y.shape(0), cols = y.shape(1);
  {
    ReleaseGilIfLarge release(rows * cols);
    kernel(pg, pyv, pgx, rows, cols);
  }
  return gx;
}

py::array_t<float> cross_entropy_forward(const py::object& logits_obj, const py::object& targets_obj) {
  auto logits = require<float>(logits_obj, "logits", 2);
  const index_t rows = logits.shape(0), cols = logits.shape(1);
  auto targets = require_targets(targets_obj, shape_of(logits));
  py::array_t<float> losses(std::vector<py::ssize_t>{rows});
  const float* pl = logits.data();
  const std::int64_t* pt = targets.data();
  float* po = losses.mutable_data();
  {
    ReleaseGilIfLarge release(rows * cols);
    cpu::cross_entropy_forward(pl, pt, po, rows, cols);
  }
  return losses;
}

// The backward kernel on checked logits (rows, classes) and targets, with grad[i] the dloss of row i.
py::array_t<float> cross_entropy_backward_of(const py::array_t<float>& logits,
                                             const py::array_t<std::int64_t>& targets, const float* grad) {
  const index_t rows = logits.shape(0), cols = logits.shape(1);
  auto gl = new_output<float>(shape_of(logits));
  const float* pl = logits.data();
  const std::int64_t* pt = targets.data();
  float* po = gl.mutable_data();
  {
    ReleaseGilIfLarge release(rows * cols);
    cpu::cross_entropy_backward(pl, pt, grad, po, rows, cols);
  }
  return gl;
}

py::array_t<float> cross_entropy_backward(const py::object& logits_obj, const py::object& targets_obj,
                                          const py::object& grad_obj) {
  auto logits = require<float>(logits_obj, "logits", 2);
  auto targets = require_targets(targets_obj, shape_of(logits));
  auto grad = require<float>(grad_obj, "grad_losses", 1);
  check_grad_losses_shape(shape_of(grad), shape_of(logits));
  return cross_entropy_backward_of(logits, targets, grad.data());
}

// The loss of a whole batch in one call, for F.cross_entropy's 'mean' and 'sum': the
// per-row losses go to a scratch vector, never to a NumPy array, and are summed here in
// double, in row order, so the value is the same for any thread count and the step spends
// no NumPy reduction on it (in the training step NumPy's generic reduction path runs with
// cold caches: ~7-10 us for 128 losses, the kernel itself ~4 us). Returns a 0-d float32
// array; the mean of no rows is NaN, as in PyTorch.
py::array_t<float> reduced_loss(const py::array_t<float>& logits, const py::array_t<std::int64_t>& targets,
                                bool mean) {
  const index_t rows = logits.shape(0), cols = logits.shape(1);
  std::vector<float> losses(static_cast<std::size_t>(rows));
  double total = 0.0;
  {
    ReleaseGilIfLarge release(rows * cols);
    cpu::cross_entropy_forward(logits.data(), targets.data(), losses.data(), rows, cols);
    for (const float v : losses) total += v;
  }
  py::array_t<float> out(std::vector<py::ssize_t>{});
  *out.mutable_data() = !mean      ? float(total)
                        : rows > 0 ? float(total / double(rows))
                                   : std::numeric_limits<float>::quiet_NaN();
  return out;
}

py::array_t<float> cross_entropy_reduced(const py::object& logits_obj, const py::object& targets_obj,
                                         bool mean) {
  auto logits = require<float>(logits_obj, "logits", 2);
  auto targets = require_targets(targets_obj, shape_of(logits));
  return reduced_loss(logits, targets, mean);
}

// cross_entropy_backward with one gradient for every row (the reduced loss's: its gradient,
// divided by the rows for 'mean'): no (rows,) array is built in Python for it. The float32
// scale is the same value Python's float32 g / rows gives (a double quotient rounded once).
py::array_t<float> backward_scaled(const py::array_t<float>& logits, const py::array_t<std::int64_t>& targets,
                                   double scale) {
  const std::vector<float> grad(static_cast<std::size_t>(logits.shape(0)), float(scale));
  return cross_entropy_backward_of(logits, targets, grad.data());
}

py::array_t<float> cross_entropy_backward_scaled(const py::object& logits_obj, const py::object& targets_obj,
                                                 double scale) {
  auto logits = require<float>(logits_obj, "logits", 2);
  auto targets = require_targets(targets_obj, shape_of(logits));
  return backward_scaled(logits, targets, scale);
}

// Both of the above in one call, for a loss that will be backpropagated from 1 (loss.backward()):
// (cross_entropy_reduced, cross_entropy_backward_scaled with scale 1 / rows for 'mean', 1 for
// 'sum'), the same bits as the two calls. One call, checks and dispatch fewer per step; the
// logits are still in L1 for the second pass.
py::tuple cross_entropy_reduced_grad(const py::object& logits_obj, const py::object& targets_obj, bool mean) {
  auto logits = require<float>(logits_obj, "logits", 2);
  auto targets = require_targets(targets_obj, shape_of(logits));
  const index_t rows = logits.shape(0);
  auto loss = reduced_loss(logits, targets, mean);
  return py::make_tuple(loss, backward_scaled(logits, targets, mean && rows > 0 ? 1.0 / double(rows) : 1.0));
}

}  // namespace

void register_softmax(py::module_& m) {
  m.attr("softmax_variants") = py::make_tuple("three_pass", "online");
  m.def("softmax_forward", &softmax_forward, py::arg("x"), py::arg("variant") = "online",
        "Row-wise softmax of a float32 (rows, cols) array.");
  m.def(
      "softmax_backward",
      [](const py::object& g, const py::object& y) { return row_backward(&cpu::softmax_backward, g, y); },
      py::arg("grad_output"), py::arg("output"), "y * (g - sum(g * y)) per row.");
  m.def(
      "log_softmax_forward", [](const py::object& x) { return row_forward(&cpu::log_softmax_forward, x); },
      py::arg("x"), "Row-wise log_softmax of a float32 (rows, cols) array.");
  m.def(
      "log_softmax_backward",
      [](const py::object& g, const py::object& y) { return row_backward(&cpu::log_softmax_backward, g, y); },
      py::arg("grad_output"), py::arg("output"), "g - exp(y) * sum(g) per row.");
  m.def("cross_entropy_forward", &cross_entropy_forward, py::arg("logits"), py::arg("targets"),
        "Per-sample losses logsumexp(logits[i]) - logits[i, targets[i]].");
  m.def("cross_entropy_backward", &cross_entropy_backward, py::arg("logits"), py::arg("targets"),
        py::arg("grad_losses"), "(softmax(logits) - onehot(targets)) * grad_losses[:, None].");
  m.def("cross_entropy_reduced", &cross_entropy_reduced, py::arg("logits"), py::arg("targets"),
        py::arg("mean") = true, "Mean (or sum) of the per-sample losses as a 0-d float32 array.");
  m.def("cross_entropy_backward_scaled", &cross_entropy_backward_scaled, py::arg("logits"),
        py::arg("targets"), py::arg("scale"), "(softmax(logits) - onehot(targets)) * scale.");
  m.def("cross_entropy_reduced_grad", &cross_entropy_reduced_grad, py::arg("logits"), py::arg("targets"),
        py::arg("mean") = true,
        "(cross_entropy_reduced, cross_entropy_backward_scaled with scale 1 / rows, or 1 for the sum).");
}

}  // namespace pyneuro::bind

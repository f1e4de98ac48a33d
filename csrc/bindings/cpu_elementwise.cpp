// cpu_elementwise.cpp: bindings of ReLU, GELU, bias add/grad, SGD/Adam updates, argmax, take_rows and
// randperm_swaps.
#include <string>
#include <vector>

#include <pybind11/stl.h>

#include "checks.h"
#include "output_pool.h"
#include "pyneuro/elementwise.h"
#include "registry.h"

namespace pyneuro::bind {

namespace {

py::array_t<float> relu_forward(const py::object& x_obj) {
  auto x = require<float>(x_obj, "x");
  auto y = new_output<float>(shape_of(x));
  const float* px = x.data();
  float* py_ = y.mutable_data();
  const index_t n = x.size();
  {
    ReleaseGilIfLarge release(n);
    cpu::relu_forward(px, py_, n);
  }
  return y;
}

py::array_t<float> relu_backward(const py::object& g_obj, const py::object& x_obj) {
  auto g = require<float>(g_obj, "grad_output");
  auto x = require<float>(x_obj, "x");
  require_same_shape(g, "grad_output", x, "x");
  auto gx = new_output<float>(shape_of(x));
  const float* pg = g.data();
  const float* px = x.data();
  float* pgx = gx.mutable_data();
  const index_t n = x.size();
  {
    ReleaseGilIfLarge release(n);
    cpu::relu_backward(pg, px, pgx, n);
  }
  return gx;
}

// approximate="tanh" -> true, "none" -> false; anything else: _checks.variant's ValueError.
bool gelu_tanh(const std::string& approximate) {
  if (approximate != "none" && approximate != "tanh")
    throw py::value_error("unknown gelu variant '" + approximate + "'; choose one of: none, tanh");
  return approximate == "tanh";
}

py::array_t<float> gelu_forward(const py::object& x_obj, const std::string& approximate) {
  const bool tanh = gelu_tanh(approximate);
  auto x = require<float>(x_obj, "x");
  auto y = new_output<float>(shape_of(x));
  const float* px = x.data();
  float* py_ = y.mutable_data();
  const index_t n = x.size();
  {
    ReleaseGilIfLarge release(n);
    cpu::gelu_forward(px, py_, n, tanh);
  }
  return y;
}

py::array_t<float> gelu_backward(const py::object& g_obj, const py::object& x_obj,
                                 const std::string& approximate) {
  const bool tanh = gelu_tanh(approximate);
  auto g = require<float>(g_obj, "grad_output");
  auto x = require<float>(x_obj, "x");
  require_same_shape(g, "grad_output", x, "x");
  auto gx = new_output<float>(shape_of(x));
  const float* pg = g.data();
  const float* px = x.data();
  float* pgx = gx.mutable_data();
  const index_t n = x.size();
  {
    ReleaseGilIfLarge release(n);
    cpu::gelu_backward(pg, px, pgx, n, tanh);
  }
  return gx;
}

py::array_t<float> bias_add(const py::object& x_obj, const py::object& b_obj) {
  auto x = require<float>(x_obj, "x", 2);
  auto b = require<float>(b_obj, "bias", 1);
  check_bias_shape(shape_of(x), shape_of(b));
  auto y = new_output<float>(shape_of(x));
  const float* px = x.data();
  const float* pb = b.data();
  float* py_ = y.mutable_data();
  const index_t rows = x.shape(0), cols = x.shape(1);
  {
    ReleaseGilIfLarge release(rows * cols);
    cpu::bias_add(px, pb, py_, rows, cols);
  }
  return y;
}

py::array_t<float> bias_grad(const py::object& g_obj) {
  auto g = require<float>(g_obj, "grad_output", 2);
  const index_t rows = g.shape(0), cols = g.shape(1);
  py::array_t<float> gb(std::vector<py::ssize_t>{cols});
  const float* pg = g.data();
  float* pgb = gb.mutable_data();
  {
    ReleaseGilIfLarge release(rows * cols);
    cpu::bias_grad(pg, pgb, rows, cols);
  }
  return gb;
}

void sgd_step(const py::object& p_obj, const py::object& g_obj, const py::object& buf_obj, float lr,
              float momentum, float dampening, float weight_decay, bool nesterov, bool first_step) {
  auto p = require<float>(p_obj, "param", -1, true);
  auto g = require<float>(g_obj, "grad");
  require_same_shape(p, "param", g, "grad");
  float* pbuf = nullptr;
  py::array_t<float> buf;
  if (momentum != 0.0f) {
    if (buf_obj.is_none()) throw py::value_error("sgd_step: momentum != 0 needs a momentum_buffer array");
    buf = require<float>(buf_obj, "momentum_buffer", -1, true);
    require_same_shape(p, "param", buf, "momentum_buffer");
    pbuf = buf.mutable_data();
  }
  float* pp = p.mutable_data();
  const float* pg = g.data();
  const index_t n = p.size();
  ReleaseGilIfLarge release(n);
  cpu::sgd_step(pp, pg, pbuf, n, lr, momentum, dampening, weight_decay, nesterov, first_step);
}

void adam_step(const py::object& p_obj, const py::object& g_obj, const py::object& m_obj,
               const py::object& v_obj, std::int64_t step, double lr, double beta1, double beta2, double eps,
               double weight_decay) {
  if (step < 1) throw py::value_error("adam_step: step counts from 1, got " + std::to_string(step));
  auto p = require<float>(p_obj, "param", -1, true);
  auto g = require<float>(g_obj, "grad");
  auto m = require<float>(m_obj, "exp_avg", -1, true);
  auto v = require<float>(v_obj, "exp_avg_sq", -1, true);
  require_same_shape(p, "param", g, "grad");
  require_same_shape(p, "param", m, "exp_avg");
  require_same_shape(p, "param", v, "exp_avg_sq");
  float* pp = p.mutable_data();
  const float* pg = g.data();
  float* pm = m.mutable_data();
  float* pv = v.mutable_data();
  const index_t n = p.size();
  ReleaseGilIfLarge release(n);
  cpu::adam_step(pp, pg, pm, pv, n, step, lr, beta1, beta2, eps, weight_decay);
}

// One call for a whole list of parameters (the optimizer's step): every argument is checked
// first (the same checks and messages as sgd_step), then the GIL is released once and the
// kernel runs over each parameter in turn: no Python call per parameter.
void sgd_step_multi(const py::list& params, const py::list& grads, const py::object& bufs_obj, float lr,
                    float momentum, float dampening, float weight_decay, bool nesterov, bool first_step) {
  const size_t n = params.size();
  if (grads.size() != n) throw py::value_error("sgd_step_multi: params and grads differ in length");
  const bool has_bufs = momentum != 0.0f;
  py::list bufs;
  if (has_bufs) {
    if (bufs_obj.is_none()) throw py::value_error("sgd_step: momentum != 0 needs a momentum_buffer array");
    bufs = py::reinterpret_borrow<py::list>(bufs_obj);
    if (bufs.size() != n)
      throw py::value_error("sgd_step_multi: params and momentum_buffers differ in length");
  }
  std::vector<py::array_t<float>> keep;  // holds any aligned copies alive
  keep.reserve(3 * n);
  std::vector<cpu::SgdTensor> jobs(n);
  index_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    auto p = require<float>(params[i], "param", -1, true);
    auto g = require<float>(grads[i], "grad");
    require_same_shape(p, "param", g, "grad");
    float* pbuf = nullptr;
    if (has_bufs) {
      auto b = require<float>(bufs[i], "momentum_buffer", -1, true);
      require_same_shape(p, "param", b, "momentum_buffer");
      pbuf = b.mutable_data();
      keep.push_back(b);
    }
    jobs[i] = {p.mutable_data(), g.data(), pbuf, static_cast<index_t>(p.size())};
    total += jobs[i].n;
    keep.push_back(p);
    keep.push_back(g);
  }
  ReleaseGilIfLarge release(total);
  cpu::sgd_step_multi(jobs.data(), jobs.size(), lr, momentum, dampening, weight_decay, nesterov, first_step);
}

// adam_step over lists (steps: one count per parameter), checked first, then one GIL release.
void adam_step_multi(const py::list& params, const py::list& grads, const py::list& exp_avgs,
                     const py::list& exp_avg_sqs, const std::vector<std::int64_t>& steps, double lr,
                     double beta1, double beta2, double eps, double weight_decay) {
  const size_t n = params.size();
  if (grads.size() != n || exp_avgs.size() != n || exp_avg_sqs.size() != n || steps.size() != n)
    throw py::value_error("adam_step_multi: params, grads, exp_avgs, exp_avg_sqs and steps differ in length");
  std::vector<py::array_t<float>> keep;
  keep.reserve(4 * n);
  std::vector<cpu::AdamTensor> jobs(n);
  index_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    if (steps[i] < 1) throw py::value_error("adam_step: step counts from 1, got " + std::to_string(steps[i]));
    auto p = require<float>(params[i], "param", -1, true);
    auto g = require<float>(grads[i], "grad");
    auto m = require<float>(exp_avgs[i], "exp_avg", -1, true);
    auto v = require<float>(exp_avg_sqs[i], "exp_avg_sq", -1, true);
    require_same_shape(p, "param", g, "grad");
    require_same_shape(p, "param", m, "exp_avg");
    require_same_shape(p, "param", v, "exp_avg_sq");
    jobs[i] = {p.mutable_data(), g.data(), m.mutable_data(), v.mutable_data(), static_cast<index_t>(p.size()),
               steps[i]};
    total += jobs[i].n;
    keep.insert(keep.end(), {p, g, m, v});
  }
  ReleaseGilIfLarge release(total);
  cpu::adam_step_multi(jobs.data(), jobs.size(), lr, beta1, beta2, eps, weight_decay);
}

// torch.optim.Adadelta over lists: every argument checked first, then one GIL release.
void adadelta_step_multi(const py::list& params, const py::list& grads, const py::list& square_avgs,
                         const py::list& acc_deltas, double lr, double rho, double eps, double weight_decay,
                         bool maximize) {
  const size_t n = params.size();
  if (grads.size() != n || square_avgs.size() != n || acc_deltas.size() != n)
    throw py::value_error("adadelta_step_multi: params, grads, square_avgs and acc_deltas differ in length");
  std::vector<py::array_t<float>> keep;
  keep.reserve(4 * n);
  std::vector<cpu::AdadeltaTensor> jobs(n);
  index_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    auto p = require<float>(params[i], "param", -1, true);
    auto g = require<float>(grads[i], "grad");
    auto v = require<float>(square_avgs[i], "square_avg", -1, true);
    auto u = require<float>(acc_deltas[i], "acc_delta", -1, true);
    require_same_shape(p, "param", g, "grad");
    require_same_shape(p, "param", v, "square_avg");
    require_same_shape(p, "param", u, "acc_delta");
    jobs[i] = {p.mutable_data(), g.data(), v.mutable_data(), u.mutable_data(),
               static_cast<index_t>(p.size())};
    total += jobs[i].n;
    keep.insert(keep.end(), {p, g, v, u});
  }
  ReleaseGilIfLarge release(total);
  cpu::adadelta_step_multi(jobs.data(), jobs.size(), lr, rho, eps, weight_decay, maximize);
}

py::array_t<std::int64_t> argmax(const py::object& x_obj) {
  auto x = require<float>(x_obj, "x", 2);
  const index_t rows = x.shape(0), cols = x.shape(1);
  if (cols == 0 && rows > 0) throw py::value_error("argmax of an empty row: x has shape " + shape_str(x));
  py::array_t<std::int64_t> out(std::vector<py::ssize_t>{rows});
  const float* px = x.data();
  std::int64_t* po = out.mutable_data();
  {
    ReleaseGilIfLarge release(rows * cols);
    cpu::argmax_rows(px, po, rows, cols);
  }
  return out;
}

// a[index] along axis 0 for a C-contiguous array of any dtype and an int64 index (1-D):
// range-checked, negatives wrapped (a copy of the index only when it has some), then one
// parallel row copy. Outputs of 32 MiB and more (a whole shuffled dataset) come from the
// output pool, as the kernels' float outputs do.
py::array take_rows(const py::object& a_obj, const py::object& index_obj) {
  if (!py::isinstance<py::array>(a_obj))
    throw py::type_error("a must be a numpy.ndarray, got " +
                         std::string(py::str(py::type::of(a_obj).attr("__name__"))));
  auto a = py::reinterpret_borrow<py::array>(a_obj);
  if (a.ndim() < 1) throw py::value_error("take_rows: a must have at least 1 dimension, got shape ()");
  if (!(a.flags() & py::array::c_style))
    throw py::value_error("a with shape " + shape_str(a) +
                          " must be C-contiguous (np.ascontiguousarray makes a contiguous copy)");
  if (a.dtype().kind() == 'O') throw py::type_error("take_rows: object arrays are not supported");
  auto index = require<std::int64_t>(index_obj, "index", 1);
  const index_t rows = a.shape(0), count = index.size();
  const std::int64_t* idx = index.data();
  std::vector<std::int64_t> wrapped;
  for (index_t i = 0; i < count; ++i) {
    const std::int64_t v = idx[i];
    if (v < -rows || v >= rows) raise_row_index(v, rows);
    if (v < 0 && wrapped.empty()) wrapped.assign(idx, idx + count);
    if (!wrapped.empty() && v < 0) wrapped[i] = v + rows;
  }
  if (!wrapped.empty()) idx = wrapped.data();
  std::vector<py::ssize_t> shape = shape_of(a);
  shape[0] = count;
  const index_t row_bytes = rows > 0 ? index_t(a.nbytes() / rows) : 0;
  const std::size_t bytes = std::size_t(count) * std::size_t(row_bytes);
  py::array out;
  if (bytes >= kPoolMinBytes && output_pool_enabled()) {
    void* data = nullptr;
    py::capsule owner = pooled_block(bytes, &data);
    out = py::array(a.dtype(), shape, data, owner);
  } else {
    out = py::array(a.dtype(), shape);
  }
  const void* src = a.data();
  void* dst = out.mutable_data();
  {
    ReleaseGilIfLarge release(index_t(bytes / 4));
    cpu::take_rows(src, row_bytes, idx, count, dst);
  }
  return out;
}

// torch.randperm(n) from n - 1 generator words (uint64 holding 32-bit outputs, as NumPy's
// MT19937.random_raw returns them): the swap loop of shuffle.cpp.
py::array_t<std::int64_t> randperm_swaps(const py::object& words_obj) {
  auto words = require<std::uint64_t>(words_obj, "words", 1);
  const index_t n = index_t(words.size()) + 1;
  py::array_t<std::int64_t> perm(n);
  const std::uint64_t* w = words.data();
  std::int64_t* out = perm.mutable_data();
  {
    py::gil_scoped_release release;
    cpu::randperm_swaps(w, n, out);
  }
  return perm;
}

// n 32-bit outputs of the mt19937 whose NumPy state is at address `state` (an MT19937 bit
// generator's ctypes.state_address; the caller keeps the generator alive and checks the layout).
py::array_t<std::uint64_t> mt19937_words(std::uintptr_t state, index_t n) {
  if (n < 0) throw py::value_error("mt19937_words: n must be >= 0, got " + std::to_string(n));
  if (state == 0) throw py::value_error("mt19937_words: a null state address");
  py::array_t<std::uint64_t> words(n);
  std::uint64_t* out = words.mutable_data();
  {
    py::gil_scoped_release release;
    cpu::mt19937_words(reinterpret_cast<void*>(state), n, out);
  }
  return words;
}

// n uniform float32s in [0, 1) (torch's recipe) from the mt19937 state at `state`, advancing it.
py::array_t<float> mt19937_unit_f32(std::uintptr_t state, index_t n) {
  if (n < 0) throw py::value_error("mt19937_unit_f32: n must be >= 0, got " + std::to_string(n));
  if (state == 0) throw py::value_error("mt19937_unit_f32: a null state address");
  py::array_t<float> values(n);
  float* out = values.mutable_data();
  {
    py::gil_scoped_release release;
    cpu::mt19937_unit_f32(reinterpret_cast<void*>(state), n, out);
  }
  return values;
}

// torch's normal_ in place on a C-contiguous float32 or float64 array whose size is a multiple
// of 16 (blocks of 16 uniforms in [0, 1), as _torch_stream.py draws them): normal.cpp.
void box_muller(py::array data, double mean, double std) {
  if (!(data.flags() & py::array::c_style) || !data.writeable())
    throw py::value_error("box_muller: data must be a writeable C-contiguous array");
  if (data.size() % 16 != 0)
    throw py::value_error("box_muller: the size must be a multiple of 16, got " +
                          std::to_string(data.size()));
  const index_t blocks = index_t(data.size() / 16);
  if (data.dtype().is(py::dtype::of<float>())) {
    float* p = static_cast<float*>(data.mutable_data());
    py::gil_scoped_release release;
    cpu::box_muller_f32(p, blocks, float(mean), float(std));
  } else if (data.dtype().is(py::dtype::of<double>())) {
    double* p = static_cast<double*>(data.mutable_data());
    py::gil_scoped_release release;
    cpu::box_muller_f64(p, blocks, mean, std);
  } else {
    throw py::type_error("box_muller: data must be float32 or float64");
  }
}

}  // namespace

void register_elementwise(py::module_& m) {
  m.def("relu_forward", &relu_forward, py::arg("x"), "max(x, 0) elementwise (NaN propagates).");
  m.def("relu_backward", &relu_backward, py::arg("grad_output"), py::arg("x"),
        "grad_output where x > 0, else 0.");
  m.def("gelu_forward", &gelu_forward, py::arg("x"), py::arg("approximate") = "none",
        "x * Phi(x) elementwise (approximate='tanh': 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))).");
  m.def("gelu_backward", &gelu_backward, py::arg("grad_output"), py::arg("x"),
        py::arg("approximate") = "none", "grad_output * gelu'(x), for either approximation.");
  m.def("bias_add", &bias_add, py::arg("x"), py::arg("bias"), "x + bias[None, :].");
  m.def("bias_grad", &bias_grad, py::arg("grad_output"), "Column sums of grad_output.");
  m.def("sgd_step", &sgd_step, py::arg("param"), py::arg("grad"), py::arg("momentum_buffer"), py::arg("lr"),
        py::arg("momentum") = 0.0f, py::arg("dampening") = 0.0f, py::arg("weight_decay") = 0.0f,
        py::arg("nesterov") = false, py::arg("first_step") = false, "torch.optim.SGD's update, in place.");
  m.def("sgd_step_multi", &sgd_step_multi, py::arg("params"), py::arg("grads"), py::arg("momentum_buffers"),
        py::arg("lr"), py::arg("momentum") = 0.0f, py::arg("dampening") = 0.0f,
        py::arg("weight_decay") = 0.0f, py::arg("nesterov") = false, py::arg("first_step") = false,
        "sgd_step over lists of parameters, gradients and buffers, in one call.");
  m.def("adam_step", &adam_step, py::arg("param"), py::arg("grad"), py::arg("exp_avg"), py::arg("exp_avg_sq"),
        py::arg("step"), py::arg("lr"), py::arg("beta1") = 0.9f, py::arg("beta2") = 0.999f,
        py::arg("eps") = 1e-8f, py::arg("weight_decay") = 0.0f, "torch.optim.Adam's update, in place.");
  m.def("adam_step_multi", &adam_step_multi, py::arg("params"), py::arg("grads"), py::arg("exp_avgs"),
        py::arg("exp_avg_sqs"), py::arg("steps"), py::arg("lr"), py::arg("beta1") = 0.9f,
        py::arg("beta2") = 0.999f, py::arg("eps") = 1e-8f, py::arg("weight_decay") = 0.0f,
        "adam_step over lists of parameters and their state, in one call.");
  m.def("adadelta_step_multi", &adadelta_step_multi, py::arg("params"), py::arg("grads"),
        py::arg("square_avgs"), py::arg("acc_deltas"), py::arg("lr"), py::arg("rho") = 0.9,
        py::arg("eps") = 1e-6, py::arg("weight_decay") = 0.0, py::arg("maximize") = false,
        "torch.optim.Adadelta's update over lists of parameters and their state, in place, in one call.");
  m.def("take_rows", &take_rows, py::arg("a"), py::arg("index"),
        "a[index] along axis 0 (int64 index, negatives wrap; IndexError out of range), any dtype.");
  m.def("argmax", &argmax, py::arg("x"), "Index of the first maximum of each row (int64).");
  m.def("mt19937_words", &mt19937_words, py::arg("state"), py::arg("n"),
        "n mt19937 outputs from the NumPy MT19937 state at address `state`, advancing it.");
  m.def("mt19937_unit_f32", &mt19937_unit_f32, py::arg("state"), py::arg("n"),
        "n uniform float32s in [0, 1) (24 bits of each mt19937 output) from the NumPy MT19937 state at "
        "`state`.");
  m.def("box_muller", &box_muller, py::arg("data"), py::arg("mean"), py::arg("std"),
        "torch's normal_ in place on blocks of 16 uniforms (float32 or float64, C-contiguous).");
  m.def("randperm_swaps", &randperm_swaps, py::arg("words"),
        "torch.randperm(len(words) + 1) from the generator's 32-bit words (uint64 array).");
}

}  // namespace pyneuro::bind

// cpu_norm.cpp: bindings of standardize forward and backward (csrc/cpu/norm.cpp), the core of
// batch, layer, group and instance norm, for float32 and float64 arrays.
#include <string>
#include <vector>

#include <pybind11/stl.h>

#include "checks.h"
#include "output_pool.h"
#include "pyneuro/norm.h"
#include "registry.h"

namespace pyneuro::bind {

namespace {

// The number of statistics of x viewed as (outer, stats, inner).
index_t stats_of(const py::array& x, index_t outer, index_t inner) {
  if (outer < 1 || inner < 1)
    throw py::value_error("standardize: outer and inner must be >= 1, got " + std::to_string(outer) +
                          " and " + std::to_string(inner));
  const index_t n = index_t(x.size());
  if (n % (outer * inner) != 0)
    throw py::value_error("standardize: x of shape " + shape_str(x) + " is not (outer=" +
                          std::to_string(outer) + ", stats, inner=" + std::to_string(inner) + ")");
  return n / (outer * inner);
}

void check_stat_vector(const py::array& v, const char* name, index_t stats) {
  if (v.ndim() != 1 || index_t(v.shape(0)) != stats)
    throw py::value_error(std::string("standardize_backward: ") + name + " must have shape (" +
                          std::to_string(stats) + ",), got " + shape_str(v));
}

// An optional per-statistic affine parameter: None, or a 1-D array of x's dtype whose length
// divides stats (parameter s % length goes with statistic s). Sets *data and *period.
// per_inner (layer_norm's and group_norm's affine): a 1-D array of period * inner entries instead.
template <typename T>
py::object affine_param(const py::object& obj, const char* name, index_t stats, const T** data,
                        index_t* period, bool per_inner = false, index_t inner = 0) {
  if (obj.is_none()) return obj;
  auto a = require<T>(obj, name, 1);
  const index_t n = index_t(a.shape(0));
  if (per_inner) {  // period rows of inner entries, period dividing stats
    if (n < 1 || n % inner != 0 || stats % (n / inner) != 0)
      throw py::value_error(std::string("standardize: ") + name + " of shape " + shape_str(a) +
                            " is not (period * " + std::to_string(inner) + ",) with period dividing " +
                            std::to_string(stats));
    if (*period && *period != n / inner)
      throw py::value_error("standardize: weight and bias differ in length");
    *data = a.data();
    *period = n / inner;
    return a;
  }
  if (n < 1 || stats % n != 0)
    throw py::value_error(std::string("standardize: ") + name + " of shape " + shape_str(a) +
                          " does not divide the " + std::to_string(stats) + " statistics");
  if (*period && *period != n) throw py::value_error("standardize: weight and bias differ in length");
  *data = a.data();
  *period = n;
  return a;
}

template <typename T>
py::tuple forward(const py::object& x_obj, index_t outer, index_t inner, double eps, const py::object& weight,
                  const py::object& bias, bool per_inner) {
  auto x = require<T>(x_obj, "x");
  const index_t stats = stats_of(x, outer, inner);
  const T *pw = nullptr, *pb = nullptr;
  index_t period = 0;
  py::object keep_w = affine_param<T>(weight, "weight", stats, &pw, &period, per_inner, inner);
  py::object keep_b = affine_param<T>(bias, "bias", stats, &pb, &period, per_inner, inner);
  auto y = new_output<T>(shape_of(x));
  const std::vector<py::ssize_t> vec{py::ssize_t(stats)};
  py::array_t<T> mean(vec), var(vec), rstd(vec);
  const T* px = x.data();
  T *py_ = y.mutable_data(), *pm = mean.mutable_data(), *pv = var.mutable_data(), *pr = rstd.mutable_data();
  {
    ReleaseGilIfLarge release(x.size());
    cpu::standardize_forward<T>(px, py_, pm, pv, pr, outer, stats, inner, eps, pw, pb, period, per_inner);
  }
  return py::make_tuple(y, mean, var, rstd);
}

template <typename T>
py::tuple backward(const py::object& g_obj, const py::object& x_obj, const py::object& mean_obj,
                   const py::object& rstd_obj, index_t outer, index_t inner, const py::object& weight,
                   bool per_inner) {
  auto g = require<T>(g_obj, "grad_output");
  auto x = require<T>(x_obj, "x");
  require_same_shape(g, "grad_output", x, "x");
  const index_t stats = stats_of(x, outer, inner);
  auto mean = require<T>(mean_obj, "mean");
  auto rstd = require<T>(rstd_obj, "rstd");
  check_stat_vector(mean, "mean", stats);
  check_stat_vector(rstd, "rstd", stats);
  const T* pw = nullptr;
  index_t period = 0;
  py::object keep_w = affine_param<T>(weight, "weight", stats, &pw, &period, per_inner, inner);
  auto dx = new_output<T>(shape_of(x));
  const std::vector<py::ssize_t> vec{py::ssize_t(per_inner ? (period ? period : 1) * inner : stats)};
  py::array_t<T> sum_g(vec), sum_gxhat(vec);
  const T *pg = g.data(), *px = x.data(), *pm = mean.data(), *pr = rstd.data();
  T *pd = dx.mutable_data(), *psg = sum_g.mutable_data(), *psx = sum_gxhat.mutable_data();
  {
    ReleaseGilIfLarge release(x.size());
    cpu::standardize_backward<T>(pg, px, pm, pr, pd, outer, stats, inner, pw, period, per_inner, psg, psx);
  }
  return py::make_tuple(dx, sum_g, sum_gxhat);
}

bool is_float64(const py::object& x) {
  return py::isinstance<py::array>(x) &&
         py::reinterpret_borrow<py::array>(x).dtype().equal(py::dtype::of<double>());
}

py::tuple standardize_forward(const py::object& x, index_t outer, index_t inner, double eps,
                              const py::object& weight, const py::object& bias, bool per_inner) {
  if (is_float64(x)) return forward<double>(x, outer, inner, eps, weight, bias, per_inner);
  return forward<float>(x, outer, inner, eps, weight, bias, per_inner);
}

py::tuple standardize_backward(const py::object& g, const py::object& x, const py::object& mean,
                               const py::object& rstd, index_t outer, index_t inner, const py::object& weight,
                               bool per_inner) {
  if (is_float64(x)) return backward<double>(g, x, mean, rstd, outer, inner, weight, per_inner);
  return backward<float>(g, x, mean, rstd, outer, inner, weight, per_inner);
}

}  // namespace

void register_norm(py::module_& m) {
  m.def("standardize_forward", &standardize_forward, py::arg("x"), py::arg("outer"), py::arg("inner"),
        py::arg("eps"), py::arg("weight") = py::none(), py::arg("bias") = py::none(),
        py::arg("per_inner") = false,
        "(y, mean, var, rstd) of C-contiguous float32/float64 x viewed as (outer, stats, inner): per "
        "statistic the mean and biased variance over outer and inner, rstd = 1 / sqrt(var + eps), "
        "y = (x - mean) * rstd * weight[s % len] + bias[s % len] (weight, bias optional); per_inner: "
        "weight[c] and bias[c] for x[a, s, c].");
  m.def("standardize_backward", &standardize_backward, py::arg("grad_output"), py::arg("x"), py::arg("mean"),
        py::arg("rstd"), py::arg("outer"), py::arg("inner"), py::arg("weight") = py::none(),
        py::arg("per_inner") = false,
        "(dx, sum(g), sum(g * xhat)) of standardize_forward: dx = w * rstd * (g - mean(g) - xhat * "
        "mean(g * xhat)), xhat recomputed from x; the sums per statistic (per_inner: per inner element, over "
        "all rows).");
}

}  // namespace pyneuro::bind

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

template <typename T>
py::tuple forward(const py::object& x_obj, index_t outer, index_t inner, double eps) {
  auto x = require<T>(x_obj, "x");
  const index_t stats = stats_of(x, outer, inner);
  auto y = new_output<T>(shape_of(x));
  const std::vector<py::ssize_t> vec{py::ssize_t(stats)};
  py::array_t<T> mean(vec), var(vec), rstd(vec);
  const T* px = x.data();
  T *py_ = y.mutable_data(), *pm = mean.mutable_data(), *pv = var.mutable_data(), *pr = rstd.mutable_data();
  {
    ReleaseGilIfLarge release(x.size());
    cpu::standardize_forward<T>(px, py_, pm, pv, pr, outer, stats, inner, eps);
  }
  return py::make_tuple(y, mean, var, rstd);
}

template <typename T>
py::array_t<T> backward(const py::object& g_obj, const py::object& x_obj, const py::object& mean_obj,
                        const py::object& rstd_obj, index_t outer, index_t inner) {
  auto g = require<T>(g_obj, "grad_output");
  auto x = require<T>(x_obj, "x");
  require_same_shape(g, "grad_output", x, "x");
  const index_t stats = stats_of(x, outer, inner);
  auto mean = require<T>(mean_obj, "mean");
  auto rstd = require<T>(rstd_obj, "rstd");
  check_stat_vector(mean, "mean", stats);
  check_stat_vector(rstd, "rstd", stats);
  auto dx = new_output<T>(shape_of(x));
  const T *pg = g.data(), *px = x.data(), *pm = mean.data(), *pr = rstd.data();
  T* pd = dx.mutable_data();
  {
    ReleaseGilIfLarge release(x.size());
    cpu::standardize_backward<T>(pg, px, pm, pr, pd, outer, stats, inner);
  }
  return dx;
}

bool is_float64(const py::object& x) {
  return py::isinstance<py::array>(x) &&
         py::reinterpret_borrow<py::array>(x).dtype().equal(py::dtype::of<double>());
}

py::tuple standardize_forward(const py::object& x, index_t outer, index_t inner, double eps) {
  return is_float64(x) ? forward<double>(x, outer, inner, eps) : forward<float>(x, outer, inner, eps);
}

py::array standardize_backward(const py::object& g, const py::object& x, const py::object& mean,
                               const py::object& rstd, index_t outer, index_t inner) {
  if (is_float64(x)) return backward<double>(g, x, mean, rstd, outer, inner);
  return backward<float>(g, x, mean, rstd, outer, inner);
}

}  // namespace

void register_norm(py::module_& m) {
  m.def("standardize_forward", &standardize_forward, py::arg("x"), py::arg("outer"), py::arg("inner"),
        py::arg("eps"),
        "(y, mean, var, rstd) of C-contiguous float32/float64 x viewed as (outer, stats, inner): per "
        "statistic the mean and biased variance over outer and inner, rstd = 1 / sqrt(var + eps), "
        "y = (x - mean) * rstd.");
  m.def("standardize_backward", &standardize_backward, py::arg("grad_output"), py::arg("x"), py::arg("mean"),
        py::arg("rstd"), py::arg("outer"), py::arg("inner"),
        "dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) of standardize_forward, xhat recomputed from x.");
}

}  // namespace pyneuro::bind

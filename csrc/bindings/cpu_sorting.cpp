// cpu_sorting.cpp: bindings of the ordering kernels (sorting.cpp) that give torch's indices on
// ties: sort_indices, topk_indices, kthvalue_indices and mode_indices. Each takes a
// C-contiguous 2-D array (rows x n: pyneuro/_sorting.py moves the dim last) of float32,
// float64, int64, int32, int16, int8, uint8 or bool and returns int64 positions along n.
#include <string>

#include "checks.h"
#include "output_pool.h"
#include "pyneuro/sorting.h"
#include "registry.h"

namespace pyneuro::bind {

namespace {

// The rows x n array behind `obj`, checked; misaligned views are copied (as require<T> does).
py::array rows_of(const py::object& obj) {
  if (!py::isinstance<py::array>(obj)) {
    throw py::type_error("x must be a numpy.ndarray, got " +
                         std::string(py::str(py::type::of(obj).attr("__name__"))));
  }
  auto a = py::reinterpret_borrow<py::array>(obj);
  if (a.ndim() != 2) throw py::value_error("x must be 2-D (rows x n), got shape " + shape_str(a));
  if (!(a.flags() & py::array::c_style) || reinterpret_cast<std::uintptr_t>(a.data()) % a.itemsize() != 0) {
    a = py::array::ensure(a, py::array::c_style | py::array::forcecast);
    a = a.attr("copy")();  // a fresh, aligned C-contiguous array
  }
  return a;
}

// Calls fn(typed pointer) for x's dtype; bool is read as uint8 (same order).
template <class Fn>
void with_typed(const py::array& x, const Fn& fn) {
  const py::dtype dt = x.dtype();
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  const void* p = x.data();
  if (kind == 'f' && size == 4) return fn(static_cast<const float*>(p));
  if (kind == 'f' && size == 8) return fn(static_cast<const double*>(p));
  if (kind == 'i' && size == 8) return fn(static_cast<const std::int64_t*>(p));
  if (kind == 'i' && size == 4) return fn(static_cast<const std::int32_t*>(p));
  if (kind == 'i' && size == 2) return fn(static_cast<const std::int16_t*>(p));
  if (kind == 'i' && size == 1) return fn(static_cast<const std::int8_t*>(p));
  if ((kind == 'u' || kind == 'b') && size == 1) return fn(static_cast<const std::uint8_t*>(p));
  throw py::type_error("x must have dtype float32, float64, int64, int32, int16, int8, uint8 or bool, got " +
                       std::string(py::str(dt)));
}

py::array_t<std::int64_t> sort_indices(const py::object& x_obj, bool descending, bool stable) {
  const py::array x = rows_of(x_obj);
  const index_t rows = x.shape(0), n = x.shape(1);
  auto out = new_output<std::int64_t>({rows, n});
  std::int64_t* po = out.mutable_data();
  with_typed(x, [&](const auto* px) {
    ReleaseGilIfLarge release(rows * n);
    cpu::sort_indices(px, rows, n, descending, stable, po);
  });
  return out;
}

py::array_t<std::int64_t> topk_indices(const py::object& x_obj, long long k, bool largest, bool sorted) {
  const py::array x = rows_of(x_obj);
  const index_t rows = x.shape(0), n = x.shape(1);
  if (k < 0 || k > n)
    throw py::value_error("k must be in [0, " + std::to_string(n) + "], got " + std::to_string(k));
  auto out = new_output<std::int64_t>({rows, py::ssize_t(k)});
  std::int64_t* po = out.mutable_data();
  with_typed(x, [&](const auto* px) {
    ReleaseGilIfLarge release(rows * n);
    cpu::topk_indices(px, rows, n, index_t(k), largest, sorted, po);
  });
  return out;
}

py::array_t<std::int64_t> kthvalue_indices(const py::object& x_obj, long long k) {
  const py::array x = rows_of(x_obj);
  const index_t rows = x.shape(0), n = x.shape(1);
  if (k < 1 || k > n)
    throw py::value_error("k must be in [1, " + std::to_string(n) + "], got " + std::to_string(k));
  auto out = new_output<std::int64_t>({rows});
  std::int64_t* po = out.mutable_data();
  with_typed(x, [&](const auto* px) {
    ReleaseGilIfLarge release(rows * n);
    cpu::kthvalue_indices(px, rows, n, index_t(k), po);
  });
  return out;
}

py::array_t<std::int64_t> mode_indices(const py::object& x_obj) {
  const py::array x = rows_of(x_obj);
  const index_t rows = x.shape(0), n = x.shape(1);
  if (n < 1 && rows > 0)
    throw py::value_error("mode needs rows of at least one value, got shape " + shape_str(x));
  auto out = new_output<std::int64_t>({rows});
  std::int64_t* po = out.mutable_data();
  with_typed(x, [&](const auto* px) {
    ReleaseGilIfLarge release(rows * n);
    cpu::mode_indices(px, rows, n, po);
  });
  return out;
}

}  // namespace

void register_sorting(py::module_& m) {
  m.def("sort_indices", &sort_indices, py::arg("x"), py::arg("descending") = false, py::arg("stable") = false,
        "argsort of each row of a 2-D array, with torch.sort's order among equal values (NaN largest).");
  m.def("topk_indices", &topk_indices, py::arg("x"), py::arg("k"), py::arg("largest") = true,
        py::arg("sorted") = true,
        "Positions of each row's k largest (smallest) values, in torch.topk's order.");
  m.def("kthvalue_indices", &kthvalue_indices, py::arg("x"), py::arg("k"),
        "Position of each row's k-th smallest value (k from 1) that torch.kthvalue reports.");
  m.def("mode_indices", &mode_indices, py::arg("x"),
        "Position of each row's most frequent value that torch.mode reports.");
}

}  // namespace pyneuro::bind

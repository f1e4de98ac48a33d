// checks.h: input validation shared by every pybind11 binding (CPU and CUDA).
// Each binding checks type, dtype, rank, contiguity and shape agreement here,
// before any kernel touches memory, and raises the Python exception DESIGN.md
// names: TypeError (types, dtypes), ValueError (shapes, values), IndexError
// (class targets out of range).
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace pyneuro::bind {

namespace py = pybind11;

inline std::string shape_str(const std::vector<py::ssize_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    s += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) s += i + 1 < shape.size() ? ", " : ",";
  }
  return s + ")";
}

inline std::vector<py::ssize_t> shape_of(const py::array& a) {
  return std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim());
}

inline std::string shape_str(const py::array& a) { return shape_str(shape_of(a)); }

// Checks that `obj` is a C-contiguous ndarray of dtype T and (when ndim >= 0)
// of that rank; returns it as a typed array, without copying unless it is misaligned.
template <typename T>
py::array_t<T> require(const py::handle& obj, const char* name, int ndim = -1, bool writeable = false) {
  if (obj.is_none() || !py::isinstance<py::array>(obj)) {
    throw py::type_error(std::string(name) + " must be a numpy.ndarray, got " +
                         std::string(py::str(py::type::of(obj).attr("__name__"))));
  }
  auto arr = py::reinterpret_borrow<py::array>(obj);
  if (!arr.dtype().is(py::dtype::of<T>())) {
    throw py::type_error(std::string(name) + " must have dtype " +
                         std::string(py::str(py::dtype::of<T>())) + ", got " +
                         std::string(py::str(arr.dtype())));
  }
  if (ndim >= 0 && arr.ndim() != ndim) {
    throw py::value_error(std::string(name) + " must be " + std::to_string(ndim) + "-D, got shape " +
                          shape_str(arr));
  }
  if (!(arr.flags() & py::array::c_style)) {
    throw py::value_error(std::string(name) + " with shape " + shape_str(arr) +
                          " must be C-contiguous (np.ascontiguousarray makes a contiguous copy)");
  }
  if (writeable && !arr.writeable()) {
    throw py::value_error(std::string(name) + " must be writeable (it is updated in place)");
  }
  // A view at an odd byte offset (np.frombuffer(buf, np.float32, offset=1)) is legal NumPy but
  // not a valid T* for C++ (misaligned loads are undefined behaviour): inputs are copied into
  // a fresh aligned array; an array updated in place cannot be, so it is refused.
  if (reinterpret_cast<std::uintptr_t>(arr.data()) % alignof(T) != 0) {
    if (writeable) {
      throw py::value_error(std::string(name) + " is not aligned to " + std::to_string(alignof(T)) +
                            " bytes and is updated in place; pass an aligned array "
                            "(np.require(a, requirements='A') makes an aligned copy)");
    }
    py::array_t<T> copy(shape_of(arr));
    if (arr.nbytes() > 0) std::memcpy(copy.mutable_data(), arr.data(), static_cast<size_t>(arr.nbytes()));
    return copy;
  }
  return py::reinterpret_borrow<py::array_t<T>>(arr);
}

// Releases the GIL while a kernel runs, so other Python threads can work meanwhile -- but
// not for tiny inputs (a 128x10 batch), where the release/re-acquire handoff costs more
// than the kernel itself.
class ReleaseGilIfLarge {
 public:
  explicit ReleaseGilIfLarge(std::int64_t elements) {
    if (elements >= (std::int64_t(1) << 15)) release_.emplace();
  }

 private:
  std::optional<py::gil_scoped_release> release_;
};

inline void require_same_shape(const py::array& a, const char* an, const py::array& b, const char* bn) {
  if (shape_of(a) != shape_of(b)) {
    throw py::value_error(std::string(an) + " and " + bn + " must have the same shape, got " +
                          shape_str(a) + " and " + shape_str(b));
  }
}

// Class targets: 1-D int64 of length rows, every value in [0, classes).
// Checked before the kernel runs, so kernels may index with them directly.
inline py::array_t<std::int64_t> require_targets(const py::handle& obj, py::ssize_t rows,
                                                 py::ssize_t classes) {
  auto t = require<std::int64_t>(obj, "targets", 1);
  if (t.shape(0) != rows) {
    throw py::value_error("targets must have shape (" + std::to_string(rows) +
                          ",) to match logits with " + std::to_string(rows) + " rows, got " +
                          shape_str(t));
  }
  const std::int64_t* p = t.data();
  for (py::ssize_t i = 0; i < rows; ++i) {
    if (p[i] < 0 || p[i] >= classes) {
      throw py::index_error("target " + std::to_string(p[i]) + " at position " + std::to_string(i) +
                            " is out of range for " + std::to_string(classes) + " classes");
    }
  }
  return t;
}

template <typename T>
py::array_t<T> empty_like_shape(const std::vector<py::ssize_t>& shape) {
  return py::array_t<T>(shape);
}

}  // namespace pyneuro::bind

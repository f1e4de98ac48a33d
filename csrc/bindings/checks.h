// checks.h: input validation shared by every pybind11 binding (CPU and CUDA).
// Each binding checks type, dtype, rank, contiguity and shape agreement here,
// before any kernel touches memory, and raises the Python exception docs/DESIGN.md, "Errors and bad input"
// names: TypeError (types, dtypes), ValueError (shapes, values), IndexError
// (class targets out of range).
//
// One function per check and one message per check: every message below is, word for
// word, the one pyneuro/backends/_checks.py raises for the Python backends (numpy, numba,
// cupy), so the same bad input reads the same on every backend (tests/test_bad_input.py).
// The checks that need no array type (matmul_dims, check_targets_shape, check_target_range,
// check_bias_shape, check_grad_losses_shape) take plain shapes, so the CUDA kernel table
// (cuda_kernels.cpp, DeviceArray) calls the very same functions as the CPU bindings.
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
  // NumPy's dtypes are singletons, except those rebuilt by unpickling (an array or tensor sent
  // through a multiprocessing queue or pn.load of a pickled model): equal, but other objects.
  const py::dtype want = py::dtype::of<T>();
  if (!arr.dtype().is(want) && !arr.dtype().equal(want)) {
    throw py::type_error(std::string(name) + " must have dtype " + std::string(py::str(py::dtype::of<T>())) +
                         ", got " + std::string(py::str(arr.dtype())));
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
    throw py::value_error(std::string(an) + " and " + bn + " must have the same shape, got " + shape_str(a) +
                          " and " + shape_str(b));
  }
}

using Shape = std::vector<py::ssize_t>;

// (M, N, K) of op(a) @ op(b), op(x) = x.T when its flag is set, from the stored 2-D shapes
// of a and b; ValueError naming both (transposed) shapes when the inner dimensions differ.
struct MatmulDims {
  py::ssize_t m, n, k;
};
inline MatmulDims matmul_dims(const Shape& a, bool trans_a, const Shape& b, bool trans_b) {
  const py::ssize_t m = trans_a ? a[1] : a[0], k = trans_a ? a[0] : a[1];
  const py::ssize_t kb = trans_b ? b[1] : b[0], n = trans_b ? b[0] : b[1];
  if (k != kb) {
    throw py::value_error("matmul: inner dimensions differ: a" + std::string(trans_a ? ".T" : "") +
                          " has shape " + shape_str(Shape{m, k}) + " and b" +
                          std::string(trans_b ? ".T" : "") + " has shape " + shape_str(Shape{kb, n}));
  }
  return {m, n, k};
}

// Class targets must be an array (TypeError otherwise; `type` is the Python type's name).
[[noreturn]] inline void targets_type_error(const std::string& type) {
  throw py::type_error("targets must be an integer array, got " + type);
}

// Class targets must be integers (TypeError otherwise; `dtype` is numpy's name for theirs).
[[noreturn]] inline void targets_dtype_error(const std::string& dtype) {
  throw py::type_error("targets must be integer class indices, got dtype " + dtype);
}

// Class targets: one per row of logits (rows, classes); ValueError otherwise.
inline void check_targets_shape(const Shape& targets, const Shape& logits) {
  if (targets.size() != 1 || targets[0] != logits[0]) {
    throw py::value_error("targets must have shape (" + std::to_string(logits[0]) +
                          ",) to match logits of shape " + shape_str(logits) + ", got " + shape_str(targets));
  }
}

// A class target outside [0, classes): IndexError in PyTorch's words, naming it.
[[noreturn]] inline void target_out_of_bounds(std::int64_t bad) {
  throw py::index_error("Target " + std::to_string(bad) + " is out of bounds.");
}

// Class targets in [0, classes), given only their smallest and largest value (a device array's,
// read back as two numbers): names the smallest when it is negative, else the largest. (torch
// names the first in order, as the host path in require_targets does.)
inline void check_target_range(std::int64_t lo, std::int64_t hi, std::int64_t classes) {
  if (lo < 0 || hi >= classes) target_out_of_bounds(lo < 0 ? lo : hi);
}

// take_rows: an index entry outside [-rows, rows) (the first one, in index order), PyTorch's
// IndexError wording.
inline void raise_row_index(std::int64_t bad, std::int64_t rows) {
  throw py::index_error("index " + std::to_string(bad) + " is out of bounds for dimension 0 with size " +
                        std::to_string(rows));
}

// bias_add: bias (cols,) for x (rows, cols).
inline void check_bias_shape(const Shape& x, const Shape& bias) {
  if (bias[0] != x[1]) {
    throw py::value_error("bias_add: bias of shape " + shape_str(bias) + " does not match x of shape " +
                          shape_str(x) + " (needs " + std::to_string(x[1]) + " entries)");
  }
}

// cross_entropy_backward: one loss gradient per row of logits.
inline void check_grad_losses_shape(const Shape& grad_losses, const Shape& logits) {
  if (grad_losses[0] != logits[0]) {
    throw py::value_error("grad_losses must have shape (" + std::to_string(logits[0]) + ",), got " +
                          shape_str(grad_losses));
  }
}

// Class targets for logits of shape (rows, classes) as a C-contiguous int64 array, checked
// (dtype, shape, range: one min/max pass) before the kernel runs, so kernels may index with
// them directly.
inline py::array_t<std::int64_t> require_targets(const py::handle& obj, const Shape& logits) {
  if (obj.is_none() || !py::isinstance<py::array>(obj))
    targets_type_error(py::str(py::type::of(obj).attr("__name__")));
  const py::dtype dtype = py::reinterpret_borrow<py::array>(obj).dtype();
  if (dtype.kind() != 'i' && dtype.kind() != 'u') targets_dtype_error(py::str(dtype));
  auto t = require<std::int64_t>(obj, "targets");
  check_targets_shape(shape_of(t), logits);
  const std::int64_t* p = t.data();
  const py::ssize_t rows = t.shape(0);
  if (rows > 0) {
    std::int64_t lo = p[0], hi = p[0];
    for (py::ssize_t i = 1; i < rows; ++i) {
      lo = p[i] < lo ? p[i] : lo;
      hi = p[i] > hi ? p[i] : hi;
    }
    if (lo < 0 || hi >= logits[1]) {  // the first out of range, as torch's kernel names it
      for (py::ssize_t i = 0; i < rows; ++i)
        if (p[i] < 0 || p[i] >= logits[1]) target_out_of_bounds(p[i]);
    }
  }
  return t;
}

template <typename T>
py::array_t<T> empty_like_shape(const std::vector<py::ssize_t>& shape) {
  return py::array_t<T>(shape);
}

}  // namespace pyneuro::bind

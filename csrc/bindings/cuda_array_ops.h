// cuda_array_ops.h: the operations of the device array namespace, shared by the files
// that implement them and by the bindings (cuda_array_bindings.cpp). One file per concern:
//
//   cuda_array.cpp         the array object: creation, host <-> device, casts, reshape views
//   cuda_array_arith.cpp   elementwise arithmetic, comparisons, where (NumPy broadcasting)
//   cuda_array_reduce.cpp  sum / mean / max / min / argmax / all / any / cumsum
//   cuda_array_layout.cpp  strided copies: broadcast_to, transpose / permute, concatenate
//   cuda_array_index.cpp   a[key], a[key] = v, gather, scatter-add, take_along_axis
//
// Internal to pyneuro._cuda: the kernel-table bindings (cuda_kernels.cpp) need only
// cuda_array.h.
#pragma once
#include <pybind11/stl.h>  // in every array file, so all of them see the same type casters

#include <cstdint>
#include <string>
#include <vector>

#include "cuda_array.h"

namespace pyneuro::bind::cuda {

// Op codes shared with the kernels (pn_binary, pn_unary, pn_compare_*; see
// kernels/array_elementwise.cuh).
enum Op { ADD = 0, SUB = 1, MUL = 2, DIV = 3, MAXIMUM = 4, MINIMUM = 5, POW = 6 };
enum UnaryOp {
  NEG = 0,
  EXP = 1,
  LOG = 2,
  SQRT = 3,
  ABS = 4,
  SQUARE = 5,
  SIGN = 6,
  TANH = 7,
  TRUNC = 15,
  ERFC = 17
};
enum CmpOp { EQ = 0, NE = 1, LT = 2, LE = 3, GT = 4, GE = 5, AND = 6, OR = 7, XOR = 8 };

// Product of s[from:to].
inline int64_t prod(const std::vector<py::ssize_t>& s, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i) p *= s[i];
  return p;
}

// Raises NotImplementedError naming `what` (and the ways around it).
[[noreturn]] void not_implemented(const std::string& what);

// ---------------------------------------------------------------- cuda_array.cpp
DeviceArray from_cuda_array_interface(const py::object& obj);
py::dict cuda_array_interface(const DeviceArray& a);
py::array to_numpy(const DeviceArray& a);
DeviceArray asarray(const py::object& obj, const py::object& dtype);
DeviceArray full(const std::vector<py::ssize_t>& shape, double value, DType dt);
DeviceArray arange(int64_t n, double start, double step, DType dt);
DeviceArray eye(int64_t n, int64_t m, DType dt);
DeviceArray cast_to(const DeviceArray& a, DType dt);
bool covers_buffer(const DeviceArray& a);
void fill_scalar(DeviceArray& a, double v);
DeviceArray copy(const DeviceArray& a);
py::object item(const DeviceArray& a);
std::vector<py::ssize_t> parse_shape(const py::args& args);
std::vector<py::ssize_t> shape_from(const py::object& obj);
DeviceArray reshape(const DeviceArray& a, std::vector<py::ssize_t> shape);
py::object flags_of(const DeviceArray& a);

// ---------------------------------------------------------------- cuda_array_arith.cpp
const char* cmp_name(int op);
std::vector<py::ssize_t> broadcast_shape(const std::vector<py::ssize_t>& a,
                                         const std::vector<py::ssize_t>& b);
DeviceArray binary(int op, const py::handle& ha, const py::handle& hb, const DeviceArray* out);
DeviceArray unary(int op, const DeviceArray& x);
py::object compare(int op, const py::handle& ha, const py::handle& hb);
DeviceArray where(const py::object& cond_obj, const py::object& ao, const py::object& bo);
DeviceArray float_predicate(const DeviceArray& x, int op);

// ---------------------------------------------------------------- cuda_array_reduce.cpp
std::vector<int> parse_axes(const py::object& axis_obj, int nd);
DeviceArray reduce_sum(const DeviceArray& x_in, const py::object& axis_obj, bool keepdims, int64_t* count);
DeviceArray reduce_mean(const DeviceArray& x, const py::object& axis, bool keepdims);
DeviceArray all_any(const DeviceArray& x, const py::object& axis, bool keepdims, bool want_all);
DeviceArray argmax_method(const DeviceArray& x_in, const py::object& axis_obj, bool want_min = false);
py::object reduce_minmax(const DeviceArray& x, const py::object& axis, bool keepdims, bool want_max);
DeviceArray cumsum(const DeviceArray& x, const py::object& axis_obj);

// ---------------------------------------------------------------- cuda_array_layout.cpp
std::vector<int64_t> c_strides(const std::vector<py::ssize_t>& shape);
std::vector<int64_t> broadcast_strides(const std::vector<py::ssize_t>& shape,
                                       const std::vector<py::ssize_t>& out);
void copy_strided(const DeviceArray& src, int64_t src_off, const std::vector<int64_t>& src_st,
                  DeviceArray& dst, int64_t dst_off, const std::vector<int64_t>& dst_st,
                  const std::vector<py::ssize_t>& shape);
DeviceArray general_broadcast(const DeviceArray& a, const std::vector<py::ssize_t>& shape);
DeviceArray broadcast_to(const DeviceArray& a, const std::vector<py::ssize_t>& shape);
DeviceArray permute(const DeviceArray& a, const std::vector<int>& axes);
std::vector<int> inverse_perm(const std::vector<int>& p);
DeviceArray transpose_axes(const DeviceArray& a, std::vector<int> axes);
DeviceArray transpose(const DeviceArray& a);
DeviceArray concatenate(const std::vector<DeviceArray>& arrays, int axis);
DeviceArray stack(const std::vector<DeviceArray>& arrays, int axis);

// ---------------------------------------------------------------- cuda_array_index.cpp
DeviceArray getitem(const DeviceArray& a, const py::handle& key);
void setitem(DeviceArray& a, const py::handle& key, const py::object& value);
void scatter_add(DeviceArray& target, const py::handle& key, const py::object& values_obj);
DeviceArray take_along_axis(const DeviceArray& a, const DeviceArray& idx_in, int axis);

}  // namespace pyneuro::bind::cuda

// cuda_array_layout.cpp: copies that move elements between layouts: the strided copy
// every other file builds on, broadcast_to, permuted / transposed copies, concatenate and
// stack.
//
// DeviceArrays are always C-contiguous (no strided views), so anything NumPy does with a
// view of other strides is a copy here: one launch of pn_strided_copy_<elem size>
// (kernels/array_indexing.cuh), which reads the source through per-axis element strides
// (0 repeats an element: broadcasting) and writes the destination through its own.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "cuda_array_ops.h"

namespace pyneuro::bind::cuda {

// ------------------------------------------------------------------ strided copies
std::vector<int64_t> c_strides(const std::vector<py::ssize_t>& shape) {
  std::vector<int64_t> st(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i) st[i] = st[i + 1] * shape[i + 1];
  return st;
}

// Element strides of a C-contiguous array of `shape` read as if broadcast to `out`
// (stride 0 along every repeated axis).
std::vector<int64_t> broadcast_strides(const std::vector<py::ssize_t>& shape,
                                       const std::vector<py::ssize_t>& out) {
  std::vector<int64_t> st(out.size(), 0);
  int64_t stride = 1;
  const size_t off = out.size() - shape.size();
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    st[i + off] = shape[i] == 1 ? 0 : stride;
    stride *= shape[i];
  }
  return st;
}

// For every index k over `shape`: dst[dst_off + k . dst_st] = src[src_off + k . src_st]
// (element offsets from each array's first element); one pn_strided_copy launch.
void copy_strided(const DeviceArray& src, int64_t src_off, const std::vector<int64_t>& src_st,
                  DeviceArray& dst, int64_t dst_off, const std::vector<int64_t>& dst_st,
                  const std::vector<py::ssize_t>& shape) {
  if (src.dtype != dst.dtype) throw std::logic_error("copy_strided: dtypes differ");
  pc::Strided s;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;  // contributes nothing to any offset
    if (s.ndim == pc::kMaxDims)
      throw py::value_error("the cuda backend copies arrays of at most " + std::to_string(pc::kMaxDims) +
                            " non-trivial dimensions, got shape " + pyneuro::bind::shape_str(shape));
    s.shape[s.ndim] = shape[d];
    s.src_stride[s.ndim] = src_st[d];
    s.dst_stride[s.ndim] = dst_st[d];
    ++s.ndim;
  }
  s.src_offset = src_off;
  s.dst_offset = dst_off;
  if (prod(shape, 0, shape.size()) == 0) return;
  pc::strided_copy(static_cast<int>(itemsize(src.dtype)), s, src.data(), dst.data());
}

DeviceArray general_broadcast(const DeviceArray& a, const std::vector<py::ssize_t>& shape) {
  DeviceArray out = empty(shape, a.dtype);
  copy_strided(a, 0, broadcast_strides(a.shape, shape), out, 0, c_strides(shape), shape);
  return out;
}

DeviceArray broadcast_to(const DeviceArray& a, const std::vector<py::ssize_t>& shape) {
  if (broadcast_shape(a.shape, shape) != shape)
    throw py::value_error("cannot broadcast shape " + shape_str(a) + " to " +
                          pyneuro::bind::shape_str(shape));
  if (a.size() == prod(shape, 0, shape.size())) {
    DeviceArray v = a;  // same elements: a view, as NumPy's broadcast_to
    v.shape = shape;
    v.view = true;
    return v;
  }
  return general_broadcast(a, shape);
}

// A C-contiguous copy of `a` with its axes in the order `axes` (np.transpose(a, axes)).
DeviceArray permute(const DeviceArray& a, const std::vector<int>& axes) {
  const auto st = c_strides(a.shape);
  std::vector<py::ssize_t> out_shape;
  std::vector<int64_t> src_st;
  for (int ax : axes) {
    out_shape.push_back(a.shape[ax]);
    src_st.push_back(st[ax]);
  }
  DeviceArray out = empty(out_shape, a.dtype);
  copy_strided(a, 0, src_st, out, 0, c_strides(out_shape), out_shape);
  return out;
}

// A transposed copy (DeviceArrays have no strided views): axes reversed, or as given.
DeviceArray transpose_axes(const DeviceArray& a, std::vector<int> axes) {
  const int nd = a.ndim();
  if (axes.empty())
    for (int i = nd - 1; i >= 0; --i) axes.push_back(i);
  if (static_cast<int>(axes.size()) != nd)
    throw py::value_error("axes don't match array of shape " + shape_str(a));
  std::vector<bool> seen(nd, false);
  for (int& ax : axes) {
    if (ax < -nd || ax >= nd)
      throw py::value_error("axis " + std::to_string(ax) + " is out of bounds for shape " + shape_str(a));
    ax = (ax + nd) % nd;
    if (seen[ax]) throw py::value_error("repeated axis in transpose");
    seen[ax] = true;
  }
  bool identity = true;
  for (int i = 0; i < nd; ++i) identity = identity && axes[i] == i;
  if (identity) return a;
  if (nd == 2 && a.dtype == DType::f32) {  // the coalesced tiled kernel
    DeviceArray out = empty({a.shape[1], a.shape[0]}, DType::f32);
    pc::transpose(a.shape[0], a.shape[1], a.f32(), out.f32());
    return out;
  }
  return permute(a, axes);
}

DeviceArray transpose(const DeviceArray& a) { return transpose_axes(a, {}); }

std::vector<int> inverse_perm(const std::vector<int>& p) {
  std::vector<int> inv(p.size());
  for (size_t i = 0; i < p.size(); ++i) inv[p[i]] = static_cast<int>(i);
  return inv;
}

// ------------------------------------------------------------------ joining
DeviceArray concatenate(const std::vector<DeviceArray>& arrays, int axis) {
  if (arrays.empty()) throw py::value_error("need at least one array to concatenate");
  const DeviceArray& first = arrays[0];
  const int nd = first.ndim();
  if (nd == 0) throw py::value_error("zero-dimensional arrays cannot be concatenated");
  if (axis < -nd || axis >= nd) throw py::value_error("axis " + std::to_string(axis) + " is out of bounds");
  axis = (axis + nd) % nd;
  std::vector<py::ssize_t> shape = first.shape;
  shape[axis] = 0;
  bool ranged = first.dtype == DType::i64;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (const auto& a : arrays) {
    if (a.dtype != first.dtype)
      throw py::type_error(std::string("concatenate: all arrays need one dtype, got ") +
                           dtype_name(first.dtype) + " and " + dtype_name(a.dtype));
    require_same_device({&first, &a});
    bool ok = a.ndim() == nd;
    for (int i = 0; ok && i < nd; ++i) ok = i == axis || a.shape[i] == first.shape[i];
    if (!ok)
      throw py::value_error("concatenate: shapes " + shape_str(first) + " and " + shape_str(a) +
                            " differ outside axis " + std::to_string(axis));
    shape[axis] += a.shape[axis];
    int64_t l = 0, h = 0;
    if (ranged && a.size() > 0) {
      if (cached_range(a, l, h)) {
        lo = std::min(lo, l);
        hi = std::max(hi, h);
      } else {
        ranged = false;
      }
    }
  }
  DeviceArray out = empty(shape, first.dtype);
  const auto ost = c_strides(shape);
  int64_t at = 0;
  for (const auto& a : arrays) {
    copy_strided(a, 0, c_strides(a.shape), out, at * ost[axis], ost, a.shape);
    at += a.shape[axis];
  }
  if (ranged && lo <= hi) set_range(out, lo, hi);
  return out;
}

DeviceArray stack(const std::vector<DeviceArray>& arrays, int axis) {
  if (arrays.empty()) throw py::value_error("need at least one array to stack");
  const int nd = arrays[0].ndim() + 1;
  if (axis < -nd || axis >= nd) throw py::value_error("axis " + std::to_string(axis) + " is out of bounds");
  axis = (axis + nd) % nd;
  std::vector<DeviceArray> expanded;
  for (const auto& a : arrays) {
    if (a.shape != arrays[0].shape) throw py::value_error("all input arrays must have the same shape");
    std::vector<py::ssize_t> s = a.shape;
    s.insert(s.begin() + axis, 1);
    expanded.push_back(reshape(a, s));
  }
  return concatenate(expanded, axis);
}
}  // namespace pyneuro::bind::cuda

// cuda_array_reduce.cpp: reductions of the device array namespace: sum and mean over any
// axes, max / min, argmax / argmin, all / any, and cumsum.
//
// Each reduction maps a NumPy axis argument onto the few reduction kernels there are
// (whole array, a leading run of axes = a column sum, a trailing run = a row sum, one row
// per thread group for argmax and cumsum): an axis set that fits none of them is moved
// last by one permuting copy first. All reductions are deterministic (fixed trees, no
// atomics), and results stay on the device (a 0-d array rather than a host scalar).
#include <algorithm>
#include <limits>
#include <string>

#include "cuda_array_ops.h"

namespace pyneuro::bind::cuda {

// Normalised axes from None / an int / a sequence (sorted, unique, in range).
std::vector<int> parse_axes(const py::object& axis_obj, int nd) {
  std::vector<int> axes;
  if (axis_obj.is_none()) {
    for (int i = 0; i < nd; ++i) axes.push_back(i);
    return axes;
  }
  std::vector<int> given;
  if (py::isinstance<py::int_>(axis_obj))
    given.push_back(axis_obj.cast<int>());
  else
    for (auto v : axis_obj) given.push_back(py::cast<int>(v));
  for (int ax : given) {
    const int lim = std::max(nd, 1);
    if (ax < -lim || ax >= lim)
      throw py::value_error("axis " + std::to_string(ax) + " is out of bounds for an array of dimension " +
                            std::to_string(nd));
    ax = ((ax % lim) + lim) % lim;
    if (nd > 0 && std::find(axes.begin(), axes.end(), ax) == axes.end()) axes.push_back(ax);
  }
  std::sort(axes.begin(), axes.end());
  return axes;
}

// Sum over axes (None, an int or a tuple). float32: all axes, a leading run of axes
// (0..k-1: a column sum of the (rows, cols) view), a trailing run (k..n-1: a row sum), or
// any other set (the reduced axes are moved last by a copy, then a row sum). int64 and
// bool (counted as int64, as NumPy does) give int64: over all axes, or any axes moved last.
DeviceArray reduce_sum(const DeviceArray& x_in, const py::object& axis_obj, bool keepdims, int64_t* count) {
  if (x_in.dtype == DType::f64)
    throw py::type_error("sum of a float64 device array is not implemented (only float32)");
  const DeviceArray x = x_in.dtype == DType::b8 ? cast_to(x_in, DType::i64) : x_in;
  const int nd = x.ndim();
  std::vector<int> axes = parse_axes(axis_obj, nd);
  std::vector<py::ssize_t> out_shape;
  *count = 1;
  for (int i = 0; i < nd; ++i) {
    const bool reduced = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (reduced) *count *= x.shape[i];
    if (!reduced)
      out_shape.push_back(x.shape[i]);
    else if (keepdims)
      out_shape.push_back(1);
  }
  DeviceArray out = empty(out_shape, x.dtype);
  if (axes.empty()) {  // nothing to reduce (or a 0-d array)
    pc::copy_device(out.data(), x.data(), x.nbytes());
    return out;
  }
  if (x.dtype == DType::i64) {
    const int k = static_cast<int>(axes.size());
    if (k == nd) {
      pc::sum_all_i64(x.size(), x.i64(), out.i64());
      return out;
    }
    std::vector<int> order;
    for (int i = 0; i < nd; ++i)
      if (std::find(axes.begin(), axes.end(), i) == axes.end()) order.push_back(i);
    order.insert(order.end(), axes.begin(), axes.end());
    const bool suffix = axes.front() == nd - k;
    const DeviceArray moved = suffix ? x : permute(x, order);
    pc::row_sum_i64(out.size(), *count, moved.i64(), out.i64());
    return out;
  }
  const int k = static_cast<int>(axes.size());
  const bool prefix = axes.front() == 0 && axes.back() == k - 1;
  const bool suffix = axes.front() == nd - k && axes.back() == nd - 1;
  if (k == nd) {
    pc::sum_all(x.size(), x.f32(), out.f32());
  } else if (prefix) {
    pc::column_sum(prod(x.shape, 0, k), prod(x.shape, k, nd), x.f32(), out.f32());
  } else if (suffix) {
    const int64_t rows = prod(x.shape, 0, nd - k), cols = prod(x.shape, nd - k, nd);
    if (cols == 0)
      pc::fill_f32(rows, 0.0f, out.f32());
    else
      pc::row_sum(rows, cols, x.f32(), out.f32());
  } else {  // move the reduced axes last (one copy), then row sums
    std::vector<int> order;
    for (int i = 0; i < nd; ++i)
      if (std::find(axes.begin(), axes.end(), i) == axes.end()) order.push_back(i);
    order.insert(order.end(), axes.begin(), axes.end());
    const DeviceArray moved = permute(x, order);
    const int64_t cols = *count, rows = x.size() / std::max<int64_t>(cols, 1);
    if (cols == 0)
      pc::fill_f32(out.size(), 0.0f, out.f32());
    else
      pc::row_sum(rows, cols, moved.f32(), out.f32());
  }
  return out;
}

DeviceArray reduce_mean(const DeviceArray& x, const py::object& axis, bool keepdims) {
  if (x.dtype != DType::f32)
    throw py::type_error("mean of a " + std::string(dtype_name(x.dtype)) +
                         " device array is not implemented (only float32; use .astype('float32'))");
  int64_t count = 0;
  DeviceArray s = reduce_sum(x, axis, keepdims, &count);
  const float scale = count ? 1.0f / static_cast<float>(count) : std::numeric_limits<float>::quiet_NaN();
  pc::binary(s.size(), MUL, s.f32(), 0, 0.0f, nullptr, 3, scale, 1, s.f32());
  return s;
}

// all / any over every element, as a 0-d bool device array (no host copy).
DeviceArray all_any(const DeviceArray& x, const py::object& axis, bool keepdims, bool want_all) {
  if (!axis.is_none() && static_cast<int>(parse_axes(axis, x.ndim()).size()) != x.ndim())
    not_implemented(std::string(want_all ? "all" : "any") + "() along an axis");
  DeviceArray b =
      x.dtype == DType::b8 ? x : cast_to(x.dtype == DType::f64 ? cast_to(x, DType::f32) : x, DType::b8);
  DeviceArray count = empty({}, DType::i64);
  DeviceArray as_int = cast_to(b, DType::i64);
  pc::sum_all_i64(as_int.size(), as_int.i64(), count.i64());
  std::vector<py::ssize_t> out_shape =
      keepdims ? std::vector<py::ssize_t>(x.ndim(), 1) : std::vector<py::ssize_t>{};
  DeviceArray out = empty(out_shape, DType::b8);
  pc::compare(1, 1, want_all ? EQ : GT, count.data(), 4, 0.0, nullptr, 3,
              want_all ? static_cast<double>(x.size()) : 0.0, 1, reinterpret_cast<uint8_t*>(out.data()));
  return out;
}

// ------------------------------------------------------------------ argmax / max along axes
// Index of the maximum over all elements (axis None) or along any axis (first maximum wins,
// NaN counts as the maximum, as np.argmax), with the argmax kernel; an axis other than the
// last is moved last by a copy first. argmin is the argmax of -x (same ties and NaNs).
DeviceArray argmax_method(const DeviceArray& x_in, const py::object& axis_obj, bool want_min) {
  if (x_in.dtype != DType::f32)
    throw py::type_error("argmax/argmin are implemented for float32 device arrays");
  DeviceArray x = want_min ? unary(NEG, x_in) : x_in;
  const int nd = x.ndim();
  int64_t rows = 1, cols = x.size();
  std::vector<py::ssize_t> out_shape;
  if (!axis_obj.is_none()) {
    int ax = axis_obj.cast<int>();
    if (ax < -std::max(nd, 1) || ax >= std::max(nd, 1))
      throw py::value_error("axis " + std::to_string(ax) + " is out of bounds for an array of dimension " +
                            std::to_string(nd));
    if (nd > 0) {
      ax = (ax + nd) % nd;
      out_shape = x.shape;
      out_shape.erase(out_shape.begin() + ax);
      if (ax != nd - 1) {
        std::vector<int> order;
        for (int i = 0; i < nd; ++i)
          if (i != ax) order.push_back(i);
        order.push_back(ax);
        x = permute(x, order);
      }
      cols = x.shape[nd - 1];
      rows = prod(x.shape, 0, nd - 1);
    }
  }
  if (cols == 0 && (rows > 0 || axis_obj.is_none()))
    throw py::value_error("attempt to get argmax of an empty sequence (shape " + shape_str(x) + ")");
  DeviceArray out = empty(out_shape, DType::i64);
  pc::argmax(rows, cols, x.f32(), out.i64());
  if (out.size() > 0) set_range(out, 0, cols - 1);
  return out;
}

// max / min over all elements (a 0-d device array) or along one axis (values at the argmax).
py::object reduce_minmax(const DeviceArray& x, const py::object& axis, bool keepdims, bool want_max) {
  if (x.dtype == DType::i64 && static_cast<int>(parse_axes(axis, x.ndim()).size()) == x.ndim()) {
    if (x.size() == 0) throw py::value_error("zero-size array to reduction operation which has no identity");
    const std::vector<py::ssize_t> shape =
        keepdims ? std::vector<py::ssize_t>(x.ndim(), 1) : std::vector<py::ssize_t>{};
    DeviceArray both = empty({2}, DType::i64);
    pc::int64_minmax_device(x.size(), x.i64(), both.i64());
    DeviceArray one = both;  // a view of the min (offset 0) or the max (offset 8)
    one.offset += want_max ? 8 : 0;
    one.shape = shape;
    one.view = true;
    return py::cast(one);
  }
  if (x.dtype != DType::f32)
    throw py::type_error(std::string(want_max ? "max" : "min") + " of a " + dtype_name(x.dtype) +
                         " device array is not implemented (float32, or int64 over all elements)");
  const int nd = x.ndim();
  const std::vector<int> axes = parse_axes(axis, nd);
  if (static_cast<int>(axes.size()) == nd) {
    if (x.size() == 0) throw py::value_error("zero-size array to reduction operation which has no identity");
    DeviceArray out =
        empty(keepdims ? std::vector<py::ssize_t>(nd, 1) : std::vector<py::ssize_t>{}, DType::f32);
    pc::minmax_all_f32(x.size(), want_max ? 0 : 1, x.f32(), out.f32());
    return py::cast(out);
  }
  if (axes.size() != 1) not_implemented("max/min over several (but not all) axes");
  const int ax = axes[0];
  DeviceArray idx = argmax_method(x, py::int_(ax), !want_max);
  std::vector<py::ssize_t> kshape = x.shape;
  kshape[ax] = 1;
  DeviceArray values = take_along_axis(x, reshape(idx, kshape), ax);
  if (keepdims) return py::cast(values);
  return py::cast(reshape(values, idx.shape));
}

// np.cumsum along one axis (float32; None: of the flattened array): the axis is moved last
// by a copy when it is not already, then a running sum per row.
DeviceArray cumsum(const DeviceArray& x, const py::object& axis_obj) {
  if (x.dtype != DType::f32) throw py::type_error("cumsum is implemented for float32 device arrays");
  if (axis_obj.is_none()) return cumsum(reshape(x, {static_cast<py::ssize_t>(x.size())}), py::int_(0));
  const int nd = x.ndim();
  const std::vector<int> axes = parse_axes(axis_obj, nd);
  if (nd == 0) return copy(x);
  const int ax = axes.at(0);
  std::vector<int> order;
  for (int i = 0; i < nd; ++i)
    if (i != ax) order.push_back(i);
  order.push_back(ax);
  const bool last = ax == nd - 1;
  const DeviceArray moved = last ? x : permute(x, order);
  DeviceArray out = empty(moved.shape, DType::f32);
  const int64_t cols = x.shape[ax];
  pc::cumsum_rows(cols ? x.size() / cols : 0, cols, moved.f32(), out.f32());
  return last ? out : permute(out, inverse_perm(order));
}
}  // namespace pyneuro::bind::cuda

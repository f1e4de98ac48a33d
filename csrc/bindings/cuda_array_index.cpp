// cuda_array_index.cpp: indexing of device arrays: a[key] (basic keys give a view when
// the result is contiguous, else a read-only copy; integer-array keys give a gather),
// a[key] = value (a number through integer arrays: one scatter of its bits), scatter-add
// (target[key] += values with repeated indices adding up, the backward of a gather) and
// take_along_axis.
//
// Every integer index is range-checked before a kernel reads with it (IndexError, as in
// NumPy), from the int64 buffer's cached value range when it is known (no device -> host
// copy), else with one min/max reduction. Integer arrays may index the leading axes or a
// block after leading ':' (a[:, idx]); the latter is moved first by a copy, gathered, and
// moved back to where NumPy puts the index dimensions.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "cuda_array_ops.h"

namespace pyneuro::bind::cuda {

namespace {

// ------------------------------------------------------------------ indexing
// A key is split into items: ints, slices, None, Ellipsis (basic indexing) and integer
// arrays (advanced indexing: DeviceArrays, or host lists / NumPy arrays copied over).
enum class Item { Int, Slice, None, Ellipsis, Array };
struct KeyItem {
  Item kind;
  int64_t value = 0;
  py::object obj;  // the slice
  DeviceArray arr;
};

std::vector<KeyItem> parse_key(const py::handle& key) {
  std::vector<py::handle> parts;
  if (PyTuple_Check(key.ptr())) {
    for (auto h : py::reinterpret_borrow<py::tuple>(key)) parts.push_back(h);
  } else {
    parts.push_back(key);
  }
  std::vector<KeyItem> items;
  for (auto h : parts) {
    KeyItem it;
    if (py::isinstance<DeviceArray>(h)) {
      it.kind = Item::Array;
      it.arr = h.cast<DeviceArray>();
    } else if (h.is_none()) {
      it.kind = Item::None;
    } else if (h.ptr() == Py_Ellipsis) {
      it.kind = Item::Ellipsis;
    } else if (PySlice_Check(h.ptr())) {
      it.kind = Item::Slice;
      it.obj = py::reinterpret_borrow<py::object>(h);
    } else if (PyBool_Check(h.ptr())) {
      not_implemented("indexing with a Python bool");
    } else if (py::isinstance<py::array>(h) || PyList_Check(h.ptr()) ||
               py::hasattr(h, "__cuda_array_interface__")) {
      it.kind = Item::Array;
      it.arr = asarray(py::reinterpret_borrow<py::object>(h), py::none());
    } else if (PyIndex_Check(h.ptr())) {
      it.kind = Item::Int;
      it.value = py::int_(py::reinterpret_borrow<py::object>(h)).cast<int64_t>();
    } else {
      throw py::index_error(
          "only integers, slices (`:`), ellipsis (`...`), None and integer arrays are valid "
          "indices, got " +
          std::string(py::str(py::type::of(h).attr("__name__"))));
    }
    if (it.kind == Item::Array) {
      if (it.arr.dtype == DType::b8)
        not_implemented("boolean-mask indexing (its result size would need a device -> host copy)");
      if (it.arr.dtype != DType::i64) throw py::index_error("arrays used as indices must be of integer type");
    }
    items.push_back(std::move(it));
  }
  return items;
}

int64_t checked_index(int64_t i, int64_t n, size_t axis) {
  if (i < -n || i >= n)
    throw py::index_error("index " + std::to_string(i) + " is out of bounds for axis " +
                          std::to_string(axis) + " with size " + std::to_string(n));
  return i < 0 ? i + n : i;
}

// a[key] for basic keys: the region's shape, element strides into a, and element offset.
struct Region {
  std::vector<py::ssize_t> shape;
  std::vector<int64_t> strides;
  int64_t offset = 0;
};

Region basic_region(const DeviceArray& a, const std::vector<KeyItem>& items) {
  const int nd = a.ndim();
  int consumed = 0, ellipses = 0;
  for (const auto& it : items) {
    consumed += it.kind == Item::Int || it.kind == Item::Slice;
    ellipses += it.kind == Item::Ellipsis;
  }
  if (ellipses > 1) throw py::index_error("an index can only have a single ellipsis ('...')");
  if (consumed > nd)
    throw py::index_error("too many indices for array: array is " + std::to_string(nd) +
                          "-dimensional, but " + std::to_string(consumed) + " were indexed");
  const auto st = c_strides(a.shape);
  Region r;
  size_t d = 0;
  auto whole_axis = [&]() {
    r.shape.push_back(a.shape[d]);
    r.strides.push_back(st[d]);
    ++d;
  };
  for (const auto& it : items) {
    switch (it.kind) {
      case Item::Int:
        r.offset += checked_index(it.value, a.shape[d], d) * st[d];
        ++d;
        break;
      case Item::Slice: {
        Py_ssize_t start = 0, stop = 0, step = 0;
        if (PySlice_Unpack(it.obj.ptr(), &start, &stop, &step) < 0) throw py::error_already_set();
        const Py_ssize_t len = PySlice_AdjustIndices(a.shape[d], &start, &stop, step);
        r.shape.push_back(len);
        r.strides.push_back(step * st[d]);
        if (len > 0) r.offset += start * st[d];
        ++d;
        break;
      }
      case Item::None:
        r.shape.push_back(1);
        r.strides.push_back(0);
        break;
      case Item::Ellipsis:
        for (int k = 0; k < nd - consumed; ++k) whole_axis();
        break;
      default:
        throw std::logic_error("basic_region: array item");
    }
  }
  while (static_cast<int>(d) < nd) whole_axis();
  return r;
}

bool region_is_contiguous(const Region& r) {
  int64_t expect = 1;
  for (int i = static_cast<int>(r.shape.size()) - 1; i >= 0; --i) {
    if (r.shape[i] == 0) return true;
    if (r.shape[i] != 1 && r.strides[i] != expect) return false;
    expect *= r.shape[i];
  }
  return true;
}

// Advanced keys: integer arrays / ints on the leading k axes, then only ':' or '...'.
// Fills the gather description (every index range-checked against its axis first: from
// the buffer's cached range when known, else with one min/max reduction) and returns k.
int prepare_gather(const DeviceArray& a, const std::vector<KeyItem>& items, pc::Gather& g,
                   std::vector<DeviceArray>& keep, std::vector<py::ssize_t>& idx_shape) {
  int k = 0;
  while (k < static_cast<int>(items.size()) && (items[k].kind == Item::Array || items[k].kind == Item::Int))
    ++k;
  for (size_t i = k; i < items.size(); ++i) {
    const auto& it = items[i];
    const bool colon =
        it.kind == Item::Ellipsis || (it.kind == Item::Slice && it.obj.attr("start").is_none() &&
                                      it.obj.attr("stop").is_none() && it.obj.attr("step").is_none());
    if (!colon)
      not_implemented(
          "integer-array indexing mixed with slices other than ':' (supported: a[idx], "
          "a[rows, cols], a[idx, :], a[:, idx])");
  }
  if (k > a.ndim())
    throw py::index_error("too many indices for array: array is " + std::to_string(a.ndim()) +
                          "-dimensional, but " + std::to_string(k) + " were indexed");
  if (k > pc::kMaxDims) not_implemented("integer-array indexing of more than 8 axes");
  idx_shape.clear();
  for (int d = 0; d < k; ++d)
    if (items[d].kind == Item::Array) idx_shape = broadcast_shape(idx_shape, items[d].arr.shape);
  const auto st = c_strides(a.shape);
  g.k = k;
  for (int d = 0; d < k; ++d) {
    const int64_t n = a.shape[d];
    g.dim[d] = n;
    g.stride[d] = st[d];
    if (items[d].kind == Item::Int) {
      g.idx[d] = nullptr;
      g.imm[d] = checked_index(items[d].value, n, d);
      continue;
    }
    DeviceArray idx = items[d].arr;
    require_same_device({&a, &idx});
    if (idx.shape != idx_shape) idx = general_broadcast(idx, idx_shape);  // same values: same range
    if (idx.size() > 0) {
      int64_t lo = 0, hi = 0;
      int64_range(items[d].arr, lo, hi, -n, n - 1);
      if (lo < -n || hi >= n)
        throw py::index_error("index " + std::to_string(lo < -n ? lo : hi) + " is out of bounds for axis " +
                              std::to_string(d) + " with size " + std::to_string(n));
    }
    keep.push_back(idx);
    g.idx[d] = keep.back().i64();
  }
  return k;
}

// a[idx, ...] with the integer arrays / ints leading: one gather.
DeviceArray gather_leading(const DeviceArray& a, const std::vector<KeyItem>& items) {
  pc::Gather g;
  std::vector<DeviceArray> keep;
  keep.reserve(pc::kMaxDims);
  std::vector<py::ssize_t> idx_shape;
  const int k = prepare_gather(a, items, g, keep, idx_shape);
  std::vector<py::ssize_t> out_shape = idx_shape;
  out_shape.insert(out_shape.end(), a.shape.begin() + k, a.shape.end());
  DeviceArray out = empty(out_shape, a.dtype);
  pc::gather(static_cast<int>(itemsize(a.dtype)), prod(idx_shape, 0, idx_shape.size()),
             prod(a.shape, k, a.shape.size()), g, a.data(), out.data());
  int64_t lo = 0, hi = 0;
  if (out.size() > 0 && cached_range(a, lo, hi)) set_range(out, lo, hi);
  return out;
}

bool is_colon(const KeyItem& it) {
  return it.kind == Item::Slice && it.obj.attr("start").is_none() && it.obj.attr("stop").is_none() &&
         it.obj.attr("step").is_none();
}

// a[:, :, idx, ...]: j leading ':' then a block of k integer arrays / ints. The indexed axes
// are moved first (a copy), gathered there, and the result's index dims moved back to
// where NumPy puts them (in place of the indexed axes, which are adjacent).
struct Moved {
  int j = 0, k = 0, nd = 0;
  std::vector<int> perm;  // a's axes, indexed ones first
  std::vector<KeyItem> items;  // the key without its leading ':'
  std::vector<int> result_order(int out_nd) const {  // gathered layout -> NumPy's layout
    const int m = out_nd - (nd - k);  // the index dims
    std::vector<int> order;
    for (int i = 0; i < j; ++i) order.push_back(m + i);
    for (int i = 0; i < m; ++i) order.push_back(i);
    for (int i = m + j; i < out_nd; ++i) order.push_back(i);
    return order;
  }
};

Moved move_indexed_axes_first(const DeviceArray& a, const std::vector<KeyItem>& items) {
  Moved mv;
  mv.nd = a.ndim();
  int j = 0;
  while (j < static_cast<int>(items.size()) && is_colon(items[j])) ++j;
  int k = 0;
  while (j + k < static_cast<int>(items.size()) &&
         (items[j + k].kind == Item::Array || items[j + k].kind == Item::Int))
    ++k;
  if (j == 0 || k == 0 || j + k > mv.nd) return mv;  // nothing to move (prepare_gather reports errors)
  mv.j = j;
  mv.k = k;
  for (int i = j; i < j + k; ++i) mv.perm.push_back(i);
  for (int i = 0; i < j; ++i) mv.perm.push_back(i);
  for (int i = j + k; i < mv.nd; ++i) mv.perm.push_back(i);
  mv.items.assign(items.begin() + j, items.end());
  return mv;
}

}  // namespace

DeviceArray getitem(const DeviceArray& a, const py::handle& key) {
  const std::vector<KeyItem> items = parse_key(key);
  bool advanced = false;
  for (const auto& it : items) advanced = advanced || it.kind == Item::Array;
  if (!advanced) {
    const Region r = basic_region(a, items);
    if (region_is_contiguous(r)) {  // a view, as NumPy gives
      DeviceArray v = a;
      v.offset += static_cast<std::size_t>(r.offset) * itemsize(a.dtype);
      v.shape = r.shape;
      v.view = true;
      return v;
    }
    // DeviceArrays have no strided views: a copy, made read-only so that writing into it
    // (which NumPy would pass on to `a`) raises instead of being silently lost.
    DeviceArray out = empty(r.shape, a.dtype);
    copy_strided(a, r.offset, r.strides, out, 0, c_strides(r.shape), r.shape);
    out.buf->readonly = true;
    out.buf->readonly_why =
        "it is a copy of a non-contiguous region: cuda device arrays have no strided views, so a "
        "write into it could not reach the array it was taken from; write through that array "
        "instead, e.g. x[:, 1] = v or x[:, 1] = x[:, 1] + v";
    int64_t lo = 0, hi = 0;
    if (cached_range(a, lo, hi)) set_range(out, lo, hi);
    return out;
  }
  Moved mv = move_indexed_axes_first(a, items);
  if (mv.j == 0) return gather_leading(a, items);
  const DeviceArray out0 = gather_leading(permute(a, mv.perm), mv.items);
  return permute(out0, mv.result_order(out0.ndim()));
}

// target[key] += values (repeated indices add up): the backward of a gather.
void scatter_add(DeviceArray& target, const py::handle& key, const py::object& values_obj) {
  if (target.dtype != DType::f32)
    throw py::type_error("scatter-add is implemented for float32 device arrays");
  require_writeable(target, "target");
  std::vector<KeyItem> items = parse_key(key);
  bool advanced = false;
  for (const auto& it : items) advanced = advanced || it.kind == Item::Array;
  if (!advanced) {  // distinct positions: a plain add into the region
    const Region r = basic_region(target, items);
    DeviceArray region = empty(r.shape, DType::f32);
    copy_strided(target, r.offset, r.strides, region, 0, c_strides(r.shape), r.shape);
    DeviceArray v = cast_to(asarray(values_obj, py::none()), DType::f32);
    if (v.shape != r.shape) v = broadcast_to(v, r.shape);
    pc::binary(region.size(), ADD, region.f32(), 0, 0.0f, v.f32(), 0, 0.0f, 1, region.f32());
    copy_strided(region, 0, c_strides(r.shape), target, r.offset, r.strides, r.shape);
    return;
  }
  Moved mv = move_indexed_axes_first(target, items);
  if (mv.j > 0) {  // scatter into the axes-moved copy, then copy it back
    DeviceArray moved = permute(target, mv.perm);
    pc::Gather g0;
    std::vector<DeviceArray> keep0;
    keep0.reserve(pc::kMaxDims);
    std::vector<py::ssize_t> idx_shape0;
    const int k0 = prepare_gather(moved, mv.items, g0, keep0, idx_shape0);
    std::vector<py::ssize_t> gathered = idx_shape0;  // the values' shape in the moved layout
    gathered.insert(gathered.end(), moved.shape.begin() + k0, moved.shape.end());
    const std::vector<int> order = mv.result_order(static_cast<int>(gathered.size()));
    std::vector<py::ssize_t> numpy_shape;
    for (int ax : order) numpy_shape.push_back(gathered[ax]);
    DeviceArray v = cast_to(asarray(values_obj, py::none()), DType::f32);
    if (v.shape != numpy_shape) {
      if (broadcast_shape(v.shape, numpy_shape) != numpy_shape)
        throw py::value_error("scatter-add: values of shape " + shape_str(v) +
                              " do not fit the indexed shape " + pyneuro::bind::shape_str(numpy_shape));
      v = general_broadcast(v, numpy_shape);
    }
    const DeviceArray v_moved = permute(v, inverse_perm(order));
    pc::scatter_add_f32(prod(idx_shape0, 0, idx_shape0.size()), prod(moved.shape, k0, moved.shape.size()), g0,
                        v_moved.f32(), moved.f32());
    const DeviceArray back = permute(moved, inverse_perm(mv.perm));
    pc::copy_device(target.data(), back.data(), target.nbytes());
    return;
  }
  pc::Gather g;
  std::vector<DeviceArray> keep;
  keep.reserve(pc::kMaxDims);
  std::vector<py::ssize_t> idx_shape;
  const int k = prepare_gather(target, items, g, keep, idx_shape);
  std::vector<py::ssize_t> vshape = idx_shape;
  vshape.insert(vshape.end(), target.shape.begin() + k, target.shape.end());
  DeviceArray v = cast_to(asarray(values_obj, py::none()), DType::f32);
  require_same_device({&target, &v});
  if (v.shape != vshape) {
    if (broadcast_shape(v.shape, vshape) != vshape)
      throw py::value_error("scatter-add: values of shape " + shape_str(v) +
                            " do not fit the indexed shape " + pyneuro::bind::shape_str(vshape));
    v = general_broadcast(v, vshape);
  }
  pc::scatter_add_f32(prod(idx_shape, 0, idx_shape.size()), prod(target.shape, k, target.shape.size()), g,
                      v.f32(), target.f32());
}

// a[key] = one value with integer arrays in the key (mask[idx] = True, g[region] = 0,
// onehot[rows, targets] = 1): one scatter of that value, a 0-d device array of a's dtype,
// into the gathered positions. Every position gets the same value, so repeated indices
// cannot make the result depend on the write order. Indexed axes after leading ':' are
// moved first (a copy) and moved back.
void fill_indexed(DeviceArray& a, const std::vector<KeyItem>& items, const DeviceArray& value) {
  const Moved mv = move_indexed_axes_first(a, items);
  DeviceArray target = mv.j > 0 ? permute(a, mv.perm) : a;
  pc::Gather g;
  std::vector<DeviceArray> keep;
  keep.reserve(pc::kMaxDims);
  std::vector<py::ssize_t> idx_shape;
  const int k = prepare_gather(target, mv.j > 0 ? mv.items : items, g, keep, idx_shape);
  pc::scatter_fill(static_cast<int>(itemsize(a.dtype)), prod(idx_shape, 0, idx_shape.size()),
                   prod(target.shape, k, target.shape.size()), g, value.data(), target.data());
  if (mv.j > 0) {
    const DeviceArray back = permute(target, inverse_perm(mv.perm));
    pc::copy_device(a.data(), back.data(), a.nbytes());
  }
  forget_range(a);
}

// a[key] = value: basic keys (any, with broadcasting, one strided copy); integer-array keys
// with one value (a number, or a device array of one element: fill_indexed). Several values
// through integer arrays are not provided: repeated indices would make the result depend on
// the write order.
void setitem(DeviceArray& a, const py::handle& key, const py::object& value) {
  std::vector<KeyItem> items = parse_key(key);
  bool advanced = false;
  for (const auto& it : items) advanced = advanced || it.kind == Item::Array;
  require_writeable(a, "array");
  if (advanced) {
    const bool number = PyFloat_Check(value.ptr()) || PyLong_Check(value.ptr());  // bool is an int
    const DeviceArray one =
        number ? full({}, value.cast<double>(), a.dtype) : asarray(value, numpy_dtype(a.dtype));
    if (one.size() != 1)
      not_implemented("assignment of several values through integer-array indices (one value is supported)");
    require_same_device({&a, &one});
    return fill_indexed(a, items, one);
  }
  const Region r = basic_region(a, items);
  DeviceArray src;
  if (PyFloat_Check(value.ptr()) || PyLong_Check(value.ptr())) {
    if (covers_buffer(a) && prod(r.shape, 0, r.shape.size()) == a.size()) {
      fill_scalar(a, value.cast<double>());
      return;
    }
    src = full({}, value.cast<double>(), a.dtype);
  } else {
    src = asarray(value, numpy_dtype(a.dtype));
    require_same_device({&a, &src});
    if (src.buf == a.buf) src = copy(src);  // overlapping source and destination
  }
  if (broadcast_shape(src.shape, r.shape) != r.shape)
    throw py::value_error("could not broadcast input array from shape " + shape_str(src) + " into shape " +
                          pyneuro::bind::shape_str(r.shape));
  forget_range(a);
  copy_strided(src, 0, broadcast_strides(src.shape, r.shape), a, r.offset, r.strides, r.shape);
}

// np.take_along_axis(a, idx, axis) for idx of a's shape except along `axis`.
DeviceArray take_along_axis(const DeviceArray& a, const DeviceArray& idx_in, int axis) {
  const int nd = a.ndim();
  if (idx_in.dtype != DType::i64) throw py::index_error("take_along_axis: indices must be an int64 array");
  if (idx_in.ndim() != nd || nd == 0)
    throw py::value_error("take_along_axis: indices of shape " + shape_str(idx_in) +
                          " do not match array of shape " + shape_str(a));
  if (axis < -nd || axis >= nd) throw py::value_error("axis " + std::to_string(axis) + " is out of bounds");
  axis = (axis + nd) % nd;
  for (int i = 0; i < nd; ++i)
    if (i != axis && idx_in.shape[i] != a.shape[i])
      throw py::value_error("take_along_axis: indices of shape " + shape_str(idx_in) +
                            " must match the array's shape " + shape_str(a) + " except along axis " +
                            std::to_string(axis));
  require_same_device({&a, &idx_in});
  const int64_t len = a.shape[axis];
  if (idx_in.size() > 0) {
    int64_t lo = 0, hi = 0;
    int64_range(idx_in, lo, hi, -len, len - 1);
    if (lo < -len || hi >= len)
      throw py::index_error("index " + std::to_string(lo < -len ? lo : hi) + " is out of bounds for axis " +
                            std::to_string(axis) + " with size " + std::to_string(len));
  }
  std::vector<int> order;
  for (int i = 0; i < nd; ++i)
    if (i != axis) order.push_back(i);
  order.push_back(axis);
  const bool moved = axis != nd - 1;
  const DeviceArray src = moved ? permute(a, order) : a;
  const DeviceArray idx = moved ? permute(idx_in, order) : idx_in;
  const int64_t k = idx.shape[nd - 1], outer = idx.size() / std::max<int64_t>(k, 1);
  DeviceArray out = empty(idx.shape, a.dtype);
  if (a.dtype == DType::b8) not_implemented("take_along_axis of a bool array");
  pc::take_rows(static_cast<int>(itemsize(a.dtype)), outer, k, len, idx.i64(), src.data(), out.data());
  if (!moved) return out;
  std::vector<int> inverse(nd);
  for (int i = 0; i < nd; ++i) inverse[order[i]] = i;
  return permute(out, inverse);
}
}  // namespace pyneuro::bind::cuda

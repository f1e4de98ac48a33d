// cuda_array.cpp: the Python face of DeviceArray (pyneuro._cuda.DeviceArray).
//
//   * creation: empty / zeros / ones / full, asarray (NumPy -> device copy; an object
//     with __cuda_array_interface__ -> zero-copy view), to_numpy / .numpy();
//   * __cuda_array_interface__ (v3) out, so CuPy, Numba and PyTorch can wrap pyneuro's
//     memory without copies;
//   * the small generic ops a device Tensor needs (arithmetic with scalar, row and
//     column broadcasting; sum / mean; fill; copy; astype; reshape views; a copying .T).
//     Anything else raises NotImplementedError naming the operation.
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "cuda_array.h"

namespace pyneuro::bind::cuda {

int current_device() {
  int dev = 0;
  pc::check(cudaGetDevice(&dev), "cudaGetDevice");
  return dev;
}

DeviceArray empty(const std::vector<py::ssize_t>& shape, DType dtype) {
  DeviceArray a;
  a.shape = shape;
  a.dtype = dtype;
  for (auto s : shape)
    if (s < 0) throw py::value_error("negative dimension in shape " + pyneuro::bind::shape_str(shape));
  auto buf = std::make_shared<Buffer>();
  buf->device = current_device();
  buf->bytes = a.nbytes();
  buf->ptr = pc::device_malloc(buf->bytes);
  buf->owned = true;
  a.buf = std::move(buf);
  return a;
}

py::dtype numpy_dtype(DType d) {
  return d == DType::f32 ? py::dtype::of<float>() : d == DType::i64 ? py::dtype::of<int64_t>() : py::dtype::of<double>();
}

DType parse_dtype(const py::handle& obj) {
  py::dtype dt = py::dtype::from_args(py::reinterpret_borrow<py::object>(obj));
  if (dt.is(py::dtype::of<float>()) || dt.equal(py::dtype::of<float>())) return DType::f32;
  if (dt.equal(py::dtype::of<int64_t>())) return DType::i64;
  if (dt.equal(py::dtype::of<double>())) return DType::f64;
  throw py::type_error("pyneuro device arrays hold float32, int64 or float64, not " + std::string(py::str(dt)));
}

DeviceArray& require(const py::handle& obj, const char* name, DType dtype, int ndim) {
  if (!py::isinstance<DeviceArray>(obj)) {
    std::string got = py::str(py::type::of(obj).attr("__name__"));
    std::string hint = py::hasattr(obj, "__array_interface__") || got == "ndarray"
                           ? " (a host array: move it to the device first, e.g. backend.asarray(x) or "
                             "tensor.to('cuda'))"
                           : "";
    throw py::type_error(std::string(name) + " must be a pyneuro cuda DeviceArray, got " + got + hint);
  }
  DeviceArray& a = obj.cast<DeviceArray&>();
  if (a.dtype != dtype)
    throw py::type_error(std::string(name) + " must have dtype " + dtype_name(dtype) + ", got " + dtype_name(a.dtype));
  if (ndim >= 0 && a.ndim() != ndim)
    throw py::value_error(std::string(name) + " must be " + std::to_string(ndim) + "-D, got shape " + shape_str(a));
  return a;
}

void require_same_shape(const DeviceArray& a, const char* an, const DeviceArray& b, const char* bn) {
  if (a.shape != b.shape)
    throw py::value_error(std::string(an) + " and " + bn + " must have the same shape, got " + shape_str(a) +
                          " and " + shape_str(b));
}

void require_writeable(const DeviceArray& a, const char* name) {
  if (a.buf && a.buf->readonly) throw py::value_error(std::string(name) + " is read-only (it is updated in place)");
}

void require_same_device(std::initializer_list<const DeviceArray*> arrays) {
  int dev = -1;
  for (const DeviceArray* a : arrays) {
    if (a == nullptr) continue;
    if (dev >= 0 && a->device() != dev)
      throw py::value_error("arrays are on different devices (cuda:" + std::to_string(dev) + " and cuda:" +
                            std::to_string(a->device()) + ")");
    dev = a->device();
  }
}

namespace {

// ------------------------------------------------------------------ host <-> device
DeviceArray from_numpy(const py::array& host_in, py::object dtype) {
  py::module_ np = py::module_::import("numpy");
  py::object host = host_in;
  DType dt;
  if (!dtype.is_none()) {
    dt = parse_dtype(dtype);
  } else {
    py::dtype hd = host_in.dtype();
    const char kind = hd.kind();
    if (hd.equal(py::dtype::of<float>())) dt = DType::f32;
    else if (hd.equal(py::dtype::of<double>())) dt = DType::f64;
    else if (kind == 'i' || kind == 'u') dt = DType::i64;  // class labels of any integer width
    else
      throw py::type_error("cannot move a " + std::string(py::str(hd)) +
                           " array to the device: pyneuro device arrays hold float32, int64 or float64");
  }
  // asarray(order="C") rather than ascontiguousarray, which would turn a 0-d array into 1-d
  host = np.attr("asarray")(host, py::arg("dtype") = numpy_dtype(dt), py::arg("order") = "C");
  py::array arr = py::reinterpret_borrow<py::array>(host);
  std::vector<py::ssize_t> shape(arr.shape(), arr.shape() + arr.ndim());
  DeviceArray d = empty(shape, dt);
  pc::copy_to_device(d.data(), arr.data(), d.nbytes());
  return d;
}

py::array to_numpy(const DeviceArray& a) {
  py::array out(numpy_dtype(a.dtype), a.shape);
  pc::copy_to_host(out.mutable_data(), a.data(), a.nbytes());
  return out;
}

// __cuda_array_interface__ -> zero-copy DeviceArray viewing the producer's memory.
DeviceArray from_cuda_array_interface(const py::object& obj) {
  py::dict cai = obj.attr("__cuda_array_interface__");
  const int version = cai.contains("version") ? cai["version"].cast<int>() : 0;
  if (version < 2)
    throw py::value_error("__cuda_array_interface__ version " + std::to_string(version) + " is not supported (need >= 2)");
  if (cai.contains("mask") && !cai["mask"].is_none())
    throw py::value_error("masked __cuda_array_interface__ arrays are not supported");
  const std::string ts = cai["typestr"].cast<std::string>();
  DType dt;
  if (ts == "<f4") dt = DType::f32;
  else if (ts == "<i8") dt = DType::i64;
  else if (ts == "<f8") dt = DType::f64;
  else throw py::type_error("cannot share a device array of typestr '" + ts + "': pyneuro holds float32, int64, float64");
  std::vector<py::ssize_t> shape = cai["shape"].cast<std::vector<py::ssize_t>>();
  py::tuple data = cai["data"];
  const uintptr_t ptr = data[0].cast<uintptr_t>();
  const bool readonly = data[1].cast<bool>();
  DeviceArray a;
  a.shape = shape;
  a.dtype = dt;
  if (cai.contains("strides") && !cai["strides"].is_none()) {
    auto strides = cai["strides"].cast<std::vector<py::ssize_t>>();
    if (strides.size() != shape.size())
      throw py::value_error("malformed __cuda_array_interface__: " + std::to_string(strides.size()) +
                            " strides for shape " + shape_str(a));
    py::ssize_t expect = static_cast<py::ssize_t>(itemsize(dt));
    for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
      if (shape[i] > 1 && strides[i] != expect)
        throw py::value_error("only C-contiguous device arrays can be shared without a copy; got shape " +
                              shape_str(a) + " with strides " + pyneuro::bind::shape_str(strides) +
                              " (make it contiguous first, e.g. cupy.ascontiguousarray / tensor.contiguous())");
      expect *= shape[i];
    }
  }
  auto buf = std::make_shared<Buffer>();
  buf->ptr = reinterpret_cast<void*>(ptr);
  buf->bytes = a.nbytes();
  buf->readonly = readonly;
  buf->owner = obj;
  buf->device = current_device();
  if (ptr != 0 && a.size() > 0) {
    cudaPointerAttributes attr{};
    pc::check(cudaPointerGetAttributes(&attr, buf->ptr), "cudaPointerGetAttributes");
    if (attr.type != cudaMemoryTypeDevice && attr.type != cudaMemoryTypeManaged)
      throw py::value_error("__cuda_array_interface__ data pointer is not device memory");
    if (attr.device != buf->device)
      throw py::value_error("the array is on cuda:" + std::to_string(attr.device) + " but pyneuro uses cuda:" +
                            std::to_string(buf->device) + " (device mixing)");
  }
  // v3: the producer's work on `stream` must finish before we use the memory.
  if (cai.contains("stream") && !cai["stream"].is_none()) {
    const uintptr_t s = cai["stream"].cast<uintptr_t>();
    pc::check(cudaStreamSynchronize(reinterpret_cast<cudaStream_t>(s)), "cudaStreamSynchronize (producer stream)");
  }
  a.buf = std::move(buf);
  return a;
}

py::dict cuda_array_interface(const DeviceArray& a) {
  py::dict d;
  d["shape"] = py::tuple(py::cast(a.shape));
  d["typestr"] = typestr(a.dtype);
  d["data"] = py::make_tuple(reinterpret_cast<uintptr_t>(a.data()), a.buf ? a.buf->readonly : false);
  d["strides"] = py::none();
  d["version"] = 3;
  d["stream"] = 1;  // all pyneuro work runs on the legacy default stream
  return d;
}

DeviceArray asarray(const py::object& obj, const py::object& dtype) {
  if (py::isinstance<DeviceArray>(obj)) {
    DeviceArray a = obj.cast<DeviceArray>();
    if (dtype.is_none() || parse_dtype(dtype) == a.dtype) return a;
    DeviceArray out = empty(a.shape, parse_dtype(dtype));
    pc::cast(a.size(), static_cast<int>(a.dtype), a.data(), static_cast<int>(out.dtype), out.data());
    return out;
  }
  if (py::hasattr(obj, "__cuda_array_interface__")) {
    DeviceArray a = from_cuda_array_interface(obj);
    if (dtype.is_none() || parse_dtype(dtype) == a.dtype) return a;
    DeviceArray out = empty(a.shape, parse_dtype(dtype));
    pc::cast(a.size(), static_cast<int>(a.dtype), a.data(), static_cast<int>(out.dtype), out.data());
    return out;
  }
  py::module_ np = py::module_::import("numpy");
  return from_numpy(py::reinterpret_borrow<py::array>(np.attr("asarray")(obj)), dtype);
}

DeviceArray full(const std::vector<py::ssize_t>& shape, double value, DType dt) {
  DeviceArray a = empty(shape, dt);
  if (dt == DType::f32) pc::fill_f32(a.size(), static_cast<float>(value), a.f32());
  else if (dt == DType::i64) pc::fill_i64(a.size(), static_cast<int64_t>(value), a.i64());
  else {  // float64: fill as float32 then widen would lose precision; go through the host
    std::vector<double> host(static_cast<std::size_t>(a.size()), value);
    pc::copy_to_device(a.data(), host.data(), a.nbytes());
  }
  return a;
}

std::vector<py::ssize_t> parse_shape(const py::args& args) {
  // reshape(2, 3) or reshape((2, 3)) / zeros((2, 3)) or zeros(4)
  py::object src = args;
  if (args.size() == 1 && !py::isinstance<py::int_>(args[0])) src = args[0];
  std::vector<py::ssize_t> shape;
  for (auto s : src) shape.push_back(py::cast<py::ssize_t>(s));
  return shape;
}

std::vector<py::ssize_t> shape_from(const py::object& obj) {
  if (py::isinstance<py::int_>(obj)) return {obj.cast<py::ssize_t>()};
  std::vector<py::ssize_t> shape;
  for (auto s : obj) shape.push_back(py::cast<py::ssize_t>(s));
  return shape;
}

DeviceArray reshape(const DeviceArray& a, std::vector<py::ssize_t> shape) {
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) throw py::value_error("can only specify one unknown dimension (-1)");
      infer = static_cast<int>(i);
    } else if (shape[i] < 0) {
      throw py::value_error("negative dimension in shape " + pyneuro::bind::shape_str(shape));
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || a.size() % known != 0)
      throw py::value_error("cannot reshape array of shape " + shape_str(a) + " into " +
                            pyneuro::bind::shape_str(shape));
    shape[infer] = a.size() / known;
    known *= shape[infer];
  }
  if (known != a.size())
    throw py::value_error("cannot reshape array of size " + std::to_string(a.size()) + " into shape " +
                          pyneuro::bind::shape_str(shape));
  DeviceArray v = a;  // same buffer: a view
  v.shape = std::move(shape);
  return v;
}

// ------------------------------------------------------------------ arithmetic
enum Op { ADD = 0, SUB = 1, MUL = 2, DIV = 3, MAXIMUM = 4, MINIMUM = 5 };
const char* op_name(int op) {
  static const char* names[] = {"add", "subtract", "multiply", "divide", "maximum", "minimum"};
  return names[op];
}

struct Operand {
  bool is_array = false;
  DeviceArray arr;
  float imm = 0.0f;
};

Operand operand(const py::handle& obj, const char* opname) {
  Operand o;
  if (py::isinstance<DeviceArray>(obj)) {
    o.is_array = true;
    o.arr = obj.cast<DeviceArray>();
  } else if (py::hasattr(obj, "__cuda_array_interface__")) {
    o.is_array = true;
    o.arr = from_cuda_array_interface(py::reinterpret_borrow<py::object>(obj));
  } else if (PyFloat_Check(obj.ptr()) || PyLong_Check(obj.ptr()) ||
             (py::hasattr(obj, "dtype") && py::hasattr(obj, "ndim") && obj.attr("ndim").cast<int>() == 0 &&
              !py::isinstance<py::array>(obj))) {
    o.imm = static_cast<float>(py::float_(py::reinterpret_borrow<py::object>(obj)).cast<double>());
  } else {
    std::string got = py::str(py::type::of(obj).attr("__name__"));
    throw py::type_error(std::string(opname) + ": unsupported operand of type " + got +
                         " for a cuda DeviceArray (use a Python number or another DeviceArray; move host "
                         "arrays to the device first)");
  }
  if (o.is_array && o.arr.dtype != DType::f32)
    throw py::type_error(std::string(opname) + " on " + dtype_name(o.arr.dtype) +
                         " device arrays is not implemented (only float32; use .astype('float32'))");
  return o;
}

// NumPy's broadcast shape of a and b; ValueError when they are incompatible.
std::vector<py::ssize_t> broadcast_shape(const std::vector<py::ssize_t>& a, const std::vector<py::ssize_t>& b) {
  const size_t n = std::max(a.size(), b.size());
  std::vector<py::ssize_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    const py::ssize_t x = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const py::ssize_t y = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (x != y && x != 1 && y != 1)
      throw py::value_error("operands could not be broadcast together with shapes " +
                            pyneuro::bind::shape_str(a) + " " + pyneuro::bind::shape_str(b));
    out[i] = x == 1 ? y : x;
  }
  return out;
}

int64_t prod(const std::vector<py::ssize_t>& s, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i) p *= s[i];
  return p;
}

// How an operand of shape `small` is indexed when broadcast to `out` (pn_binary's modes):
// 0 same elements, 4 a single element, 1 a trailing block repeated ("row": index i % cols),
// 2 a leading block with each element repeated cols times ("column": index i / cols).
// Returns -1 for other patterns (e.g. a middle axis of length 1).
int broadcast_mode(std::vector<py::ssize_t> s, int64_t s_size, const std::vector<py::ssize_t>& out, int64_t& cols) {
  if (s.size() > out.size()) return -1;
  s.insert(s.begin(), out.size() - s.size(), 1);
  if (s == out) return 0;
  if (s_size == 1) return 4;
  size_t k = 0;
  while (k < s.size() && s[k] == 1) ++k;  // s = [1]*k + out[k:] ?
  bool row = true;
  for (size_t i = k; i < s.size(); ++i) row = row && s[i] == out[i];
  if (row) {
    cols = prod(out, k, out.size());
    return 1;
  }
  size_t j = s.size();
  while (j > 0 && s[j - 1] == 1) --j;  // s = out[:j] + [1]*(n-j) ?
  bool col = true;
  for (size_t i = 0; i < j; ++i) col = col && s[i] == out[i];
  if (col) {
    cols = prod(out, j, out.size());
    return 2;
  }
  return -1;
}

[[noreturn]] void unsupported_broadcast(const char* what, const std::vector<py::ssize_t>& a,
                                        const std::vector<py::ssize_t>& b) {
  throw py::type_error(std::string(what) + ": broadcasting shapes " + pyneuro::bind::shape_str(a) + " and " +
                       pyneuro::bind::shape_str(b) +
                       " is not implemented on the cuda backend (supported: equal shapes, a scalar, a "
                       "trailing block such as a (cols,) row, a leading block such as a (rows, 1) column)");
}

DeviceArray binary(int op, const py::handle& ha, const py::handle& hb, const DeviceArray* out) {
  Operand a = operand(ha, op_name(op)), b = operand(hb, op_name(op));
  if (!a.is_array && !b.is_array) throw py::type_error(std::string(op_name(op)) + ": needs at least one DeviceArray");
  if (a.is_array && b.is_array) require_same_device({&a.arr, &b.arr});
  const std::vector<py::ssize_t> none;
  const std::vector<py::ssize_t>& sa = a.is_array ? a.arr.shape : none;
  const std::vector<py::ssize_t>& sb = b.is_array ? b.arr.shape : none;
  std::vector<py::ssize_t> shape = broadcast_shape(sa, sb);
  int64_t a_cols = 0, b_cols = 0;
  const int a_mode = a.is_array ? broadcast_mode(sa, a.arr.size(), shape, a_cols) : 3;
  const int b_mode = b.is_array ? broadcast_mode(sb, b.arr.size(), shape, b_cols) : 3;
  const bool a_blk = a_mode == 1 || a_mode == 2, b_blk = b_mode == 1 || b_mode == 2;
  if (a_mode < 0 || b_mode < 0 || (a_blk && b_blk && a_cols != b_cols)) unsupported_broadcast(op_name(op), sa, sb);
  const int64_t cols = a_blk ? a_cols : b_blk ? b_cols : 1;
  DeviceArray result;
  if (out != nullptr) {
    if (out->shape != shape)
      throw py::value_error(std::string(op_name(op)) + ": in-place result of shape " + shape_str(*out) +
                            " cannot hold the broadcast shape " + pyneuro::bind::shape_str(shape));
    require_writeable(*out, "the in-place operand");
    result = *out;
  } else {
    result = empty(shape, DType::f32);
  }
  pc::binary(result.size(), op, a.is_array ? a.arr.f32() : nullptr, a_mode, a.imm,
             b.is_array ? b.arr.f32() : nullptr, b_mode, b.imm, cols > 0 ? cols : 1, result.f32());
  return result;
}

// Writes `src` broadcast to dst's shape into dst (float32), or raises.
void broadcast_into(const DeviceArray& src, DeviceArray& dst, const char* what) {
  if (broadcast_shape(src.shape, dst.shape) != dst.shape)
    throw py::value_error(std::string(what) + ": cannot broadcast shape " + shape_str(src) + " to " + shape_str(dst));
  if (src.size() == dst.size()) {  // same elements (shapes differ only by 1s)
    if (src.data() != dst.data()) pc::copy_device(dst.data(), src.data(), dst.nbytes());
    return;
  }
  if (src.dtype != DType::f32 || dst.dtype != DType::f32)
    throw py::type_error(std::string(what) + ": broadcasting " + dtype_name(src.dtype) +
                         " device arrays is not implemented (only float32)");
  int64_t cols = 0;
  const int mode = broadcast_mode(src.shape, src.size(), dst.shape, cols);
  if (mode < 0) unsupported_broadcast(what, src.shape, dst.shape);
  pc::binary(dst.size(), ADD, src.f32(), mode, 0.0f, nullptr, 3, 0.0f, cols > 0 ? cols : 1, dst.f32());
}

DeviceArray broadcast_to(const DeviceArray& a, const std::vector<py::ssize_t>& shape) {
  if (broadcast_shape(a.shape, shape) != shape)
    throw py::value_error("cannot broadcast shape " + shape_str(a) + " to " + pyneuro::bind::shape_str(shape));
  if (a.size() == prod(shape, 0, shape.size())) {
    DeviceArray v = a;  // same elements: a view, as NumPy's broadcast_to
    v.shape = shape;
    return v;
  }
  DeviceArray out = empty(shape, a.dtype);
  broadcast_into(a, out, "broadcast_to");
  return out;
}

// a[...] = value and a[:] = value (whole-array assignment, with broadcasting).
void set_all(DeviceArray& a, const py::handle& key, const py::object& value);

enum UnaryOp { NEG = 0, EXP = 1, LOG = 2, SQRT = 3, ABS = 4, SQUARE = 5 };

DeviceArray unary(int op, const DeviceArray& x) {
  if (x.dtype != DType::f32)
    throw py::type_error(std::string("elementwise math on ") + dtype_name(x.dtype) +
                         " device arrays is not implemented (only float32)");
  DeviceArray y = empty(x.shape, DType::f32);
  pc::unary(x.size(), op, x.f32(), y.f32());
  return y;
}

// Sum over axes (None, an int or a tuple). Implemented: all axes, a leading run of axes
// (0..k-1: a column sum of the (rows, cols) view) or a trailing run (k..n-1: a row sum).
DeviceArray reduce_sum(const DeviceArray& x, const py::object& axis_obj, bool keepdims, int64_t* count) {
  if (x.dtype != DType::f32) throw py::type_error("sum of a " + std::string(dtype_name(x.dtype)) +
                                                  " device array is not implemented (only float32)");
  const int nd = x.ndim();
  std::vector<int> axes;
  if (axis_obj.is_none()) {
    for (int i = 0; i < nd; ++i) axes.push_back(i);
  } else {
    std::vector<int> given;
    if (py::isinstance<py::int_>(axis_obj)) given.push_back(axis_obj.cast<int>());
    else for (auto v : axis_obj) given.push_back(py::cast<int>(v));
    for (int ax : given) {
      const int lim = std::max(nd, 1);
      if (ax < -lim || ax >= lim)
        throw py::value_error("axis " + std::to_string(ax) + " is out of bounds for an array of dimension " +
                              std::to_string(nd));
      ax = ((ax % lim) + lim) % lim;
      if (nd > 0 && std::find(axes.begin(), axes.end(), ax) == axes.end()) axes.push_back(ax);
    }
    std::sort(axes.begin(), axes.end());
  }
  std::vector<py::ssize_t> out_shape;
  *count = 1;
  for (int i = 0; i < nd; ++i) {
    const bool reduced = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (reduced) *count *= x.shape[i];
    if (!reduced) out_shape.push_back(x.shape[i]);
    else if (keepdims) out_shape.push_back(1);
  }
  DeviceArray out = empty(out_shape, DType::f32);
  if (axes.empty()) {  // nothing to reduce (or a 0-d array)
    pc::copy_device(out.data(), x.data(), x.nbytes());
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
    if (cols == 0) pc::fill_f32(rows, 0.0f, out.f32());
    else pc::row_sum(rows, cols, x.f32(), out.f32());
  } else {
    throw py::type_error("sum over axes that are neither leading nor trailing is not implemented on the "
                         "cuda backend (shape " + shape_str(x) + ")");
  }
  return out;
}

DeviceArray reduce_mean(const DeviceArray& x, const py::object& axis, bool keepdims) {
  int64_t count = 0;
  DeviceArray s = reduce_sum(x, axis, keepdims, &count);
  const float scale = count ? 1.0f / static_cast<float>(count) : std::numeric_limits<float>::quiet_NaN();
  pc::binary(s.size(), MUL, s.f32(), 0, 0.0f, nullptr, 3, scale, 1, s.f32());
  return s;
}

py::object item(const DeviceArray& a) {
  if (a.size() != 1)
    throw py::value_error("only one-element arrays can be converted to Python scalars, got shape " + shape_str(a));
  if (a.dtype == DType::i64) {
    int64_t v = 0;
    pc::copy_to_host(&v, a.data(), 8);
    return py::int_(v);
  }
  if (a.dtype == DType::f64) {
    double v = 0;
    pc::copy_to_host(&v, a.data(), 8);
    return py::float_(v);
  }
  float v = 0;
  pc::copy_to_host(&v, a.data(), 4);
  return py::float_(static_cast<double>(v));
}

DeviceArray copy(const DeviceArray& a) {
  DeviceArray out = empty(a.shape, a.dtype);
  pc::copy_device(out.data(), a.data(), a.nbytes());
  return out;
}

DeviceArray transpose(const DeviceArray& a) {
  if (a.ndim() < 2) return a;
  if (a.ndim() != 2) throw py::type_error(".T of a device array is implemented for 2-D arrays, got shape " + shape_str(a));
  if (a.dtype != DType::f32) throw py::type_error(".T is implemented for float32 device arrays");
  DeviceArray out = empty({a.shape[1], a.shape[0]}, DType::f32);
  pc::transpose(a.shape[0], a.shape[1], a.f32(), out.f32());
  return out;
}

py::object int_minmax(const DeviceArray& a, bool want_max) {
  if (a.dtype != DType::i64)
    throw py::type_error(std::string(want_max ? "max" : "min") + "() of a " + dtype_name(a.dtype) +
                         " device array is not implemented (int64 only; use the kernel table's argmax or .numpy())");
  if (a.size() == 0) throw py::value_error("zero-size array has no minimum or maximum");
  int64_t lo = 0, hi = 0;
  pc::int64_minmax(a.size(), a.i64(), &lo, &hi);
  return py::int_(want_max ? hi : lo);
}

[[noreturn]] void not_implemented(const std::string& what) {
  PyErr_SetString(PyExc_NotImplementedError, (what + " is not implemented for pyneuro cuda DeviceArrays "
                                                      "(use the cupy backend, or .numpy() to work on the host)")
                                                 .c_str());
  throw py::error_already_set();
}

void set_all(DeviceArray& a, const py::handle& key, const py::object& value) {
  const bool whole = key.ptr() == Py_Ellipsis ||
                     (PySlice_Check(key.ptr()) && key.attr("start").is_none() && key.attr("stop").is_none() &&
                      key.attr("step").is_none());
  if (!whole) not_implemented("indexed assignment (only a[...] = v and a[:] = v are provided)");
  require_writeable(a, "array");
  if (PyFloat_Check(value.ptr()) || PyLong_Check(value.ptr())) {
    const double v = value.cast<double>();
    if (a.dtype == DType::f32) pc::fill_f32(a.size(), static_cast<float>(v), a.f32());
    else if (a.dtype == DType::i64) pc::fill_i64(a.size(), static_cast<int64_t>(v), a.i64());
    else {
      std::vector<double> host(static_cast<std::size_t>(a.size()), v);
      pc::copy_to_device(a.data(), host.data(), a.nbytes());
    }
    return;
  }
  DeviceArray src = asarray(value, numpy_dtype(a.dtype));
  require_same_device({&a, &src});
  broadcast_into(src, a, "assignment");
}

// Index of the maximum over all elements (axis None) or along the last axis (first maximum
// wins, NaN counts as the maximum, as np.argmax), with the argmax kernel.
DeviceArray argmax_method(const DeviceArray& x, const py::object& axis_obj) {
  if (x.dtype != DType::f32) throw py::type_error("argmax is implemented for float32 device arrays");
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
      if (ax != nd - 1) not_implemented("argmax along an axis other than the last");
      cols = x.shape[nd - 1];
      rows = prod(x.shape, 0, nd - 1);
      out_shape.assign(x.shape.begin(), x.shape.end() - 1);
    }
  }
  if (cols == 0 && (rows > 0 || axis_obj.is_none()))
    throw py::value_error("attempt to get argmax of an empty sequence (shape " + shape_str(x) + ")");
  DeviceArray out = empty(out_shape, DType::i64);
  pc::argmax(rows, cols, x.f32(), out.i64());
  return out;
}

py::object flags_of(const DeviceArray& a) {
  py::object ns = py::module_::import("types").attr("SimpleNamespace");
  bool f_contig = true;  // C-contiguous arrays are also F-contiguous when at most one dim exceeds 1
  int big = 0;
  for (auto s : a.shape) big += s > 1;
  f_contig = big <= 1;
  return ns(py::arg("c_contiguous") = true, py::arg("f_contiguous") = f_contig,
            py::arg("writeable") = !(a.buf && a.buf->readonly), py::arg("owndata") = a.buf && a.buf->owned);
}

}  // namespace

void register_array(py::module_& m) {
  py::class_<DeviceArray> cls(m, "DeviceArray", R"doc(
A C-contiguous float32 / int64 / float64 array in CUDA device memory.

Created by `asarray`, `empty`, `zeros`, `ones`, `full`; copied back with `.numpy()`.
Speaks __cuda_array_interface__ (v3): `cupy.asarray(a)`, `torch.as_tensor(a, device="cuda")`
and `numba.cuda.as_cuda_array(a)` see the same memory, and `asarray(x)` of their arrays
views theirs. Supports +, -, *, / with Python numbers and arrays of the same shape or a
broadcast (cols,) row / (rows, 1) column, sum/mean, reshape (a view), copy, astype, .T (a copy).
)doc");
  cls.def_property_readonly("shape", [](const DeviceArray& a) { return py::tuple(py::cast(a.shape)); })
      .def_property_readonly("dtype", [](const DeviceArray& a) { return numpy_dtype(a.dtype); })
      .def_property_readonly("ndim", &DeviceArray::ndim)
      .def_property_readonly("size", &DeviceArray::size)
      .def_property_readonly("nbytes", &DeviceArray::nbytes)
      .def_property_readonly("itemsize", [](const DeviceArray& a) { return itemsize(a.dtype); })
      .def_property_readonly("device", [](const DeviceArray& a) { return a.device(); })
      .def_property_readonly("data_ptr", [](const DeviceArray& a) { return reinterpret_cast<uintptr_t>(a.data()); })
      .def_property_readonly("owns_memory", [](const DeviceArray& a) { return a.buf && a.buf->owned; })
      .def_property_readonly("__cuda_array_interface__", &cuda_array_interface)
      .def("numpy", &to_numpy, "Copy to a new NumPy array (synchronises).")
      .def("get", &to_numpy, "Same as numpy() (CuPy's name).")
      .def("__array__", [](const DeviceArray&, py::args, py::kwargs) -> py::object {
        throw py::type_error("implicit conversion of a cuda DeviceArray to NumPy is not allowed; "
                             "call .numpy() (or backend.to_numpy) to copy it to the host");
      })
      .def("__len__", [](const DeviceArray& a) {
        if (a.ndim() == 0) throw py::type_error("len() of a 0-d array");
        return a.shape[0];
      })
      .def("__repr__", [](const DeviceArray& a) {
        return "DeviceArray(shape=" + shape_str(a) + ", dtype=" + dtype_name(a.dtype) + ", device='cuda:" +
               std::to_string(a.device()) + "')";
      })
      .def("reshape", [](const DeviceArray& a, py::args shape) { return reshape(a, parse_shape(shape)); },
           "A view with a new shape (one dimension may be -1).")
      .def("view", [](const DeviceArray& a, py::args shape) { return reshape(a, parse_shape(shape)); })
      .def("ravel", [](const DeviceArray& a) { return reshape(a, {static_cast<py::ssize_t>(a.size())}); })
      .def("copy", &copy)
      .def("astype", [](const DeviceArray& a, py::object dtype, bool copy_always) {
             const DType dt = parse_dtype(dtype);
             if (dt == a.dtype) return copy_always ? copy(a) : a;
             DeviceArray out = empty(a.shape, dt);
             pc::cast(a.size(), static_cast<int>(a.dtype), a.data(), static_cast<int>(dt), out.data());
             return out;
           }, py::arg("dtype"), py::arg("copy") = true)
      .def("fill", [](DeviceArray& a, double v) {
        require_writeable(a, "array");
        if (a.dtype == DType::f32) pc::fill_f32(a.size(), static_cast<float>(v), a.f32());
        else if (a.dtype == DType::i64) pc::fill_i64(a.size(), static_cast<int64_t>(v), a.i64());
        else {
          std::vector<double> host(static_cast<std::size_t>(a.size()), v);
          pc::copy_to_device(a.data(), host.data(), a.nbytes());
        }
      }, "Set every element to a value, in place.")
      .def("copy_from", [](DeviceArray& a, const py::object& src) {
        require_writeable(a, "array");
        DeviceArray s = asarray(src, numpy_dtype(a.dtype));
        if (s.shape != a.shape) require_same_shape(a, "array", s, "source");
        pc::copy_device(a.data(), s.data(), a.nbytes());
      }, "Copy another array (device or host) of the same shape into this one.")
      .def_property_readonly("T", &transpose)
      .def("transpose", &transpose)
      .def("item", &item)
      .def("__float__", [](const DeviceArray& a) { return item(a).cast<double>(); })
      .def("__int__", [](const DeviceArray& a) { return py::int_(item(a)); })
      .def("__index__", [](const DeviceArray& a) {
        if (a.dtype != DType::i64) throw py::type_error("only integer arrays can be used as an index");
        return item(a);
      })
      .def("__bool__", [](const DeviceArray& a) { return item(a).cast<double>() != 0.0; })
      .def("min", [](const DeviceArray& a) { return int_minmax(a, false); })
      .def("max", [](const DeviceArray& a) { return int_minmax(a, true); })
      .def("sum", [](const DeviceArray& a, py::object axis, bool keepdims) {
             int64_t count = 0;
             return reduce_sum(a, axis, keepdims, &count);
           }, py::arg("axis") = py::none(), py::arg("keepdims") = false)
      .def("mean", &reduce_mean, py::arg("axis") = py::none(), py::arg("keepdims") = false)
      .def("__getitem__", [](const DeviceArray&, py::handle) -> py::object { not_implemented("indexing"); })
      .def("__setitem__", [](DeviceArray& a, py::handle key, py::object value) { set_all(a, key, value); },
           "a[...] = value / a[:] = value (whole-array assignment with broadcasting).")
      .def("argmax", &argmax_method, py::arg("axis") = py::none())
      .def_property_readonly("flags", &flags_of)
      .def("__eq__", [](const DeviceArray&, py::handle) -> py::object { not_implemented("== (elementwise comparison)"); })
      .def("__ne__", [](const DeviceArray&, py::handle) -> py::object { not_implemented("!= (elementwise comparison)"); })
      .def("__lt__", [](const DeviceArray&, py::handle) -> py::object { not_implemented("< (elementwise comparison)"); })
      .def("__gt__", [](const DeviceArray&, py::handle) -> py::object { not_implemented("> (elementwise comparison)"); })
      .def("__le__", [](const DeviceArray&, py::handle) -> py::object { not_implemented("<= (elementwise comparison)"); })
      .def("__ge__", [](const DeviceArray&, py::handle) -> py::object { not_implemented(">= (elementwise comparison)"); })
      .def("__neg__", [](const DeviceArray& a) { return unary(NEG, a); })
      .def("__abs__", [](const DeviceArray& a) { return unary(ABS, a); })
      .def("__matmul__", [](const DeviceArray&, py::handle) -> py::object {
        not_implemented("@ (use the kernel table's matmul)");
      });
  cls.attr("__hash__") = py::none();
  // Arithmetic: a op b, b op a (reflected), a op= b (in place, no allocation).
  const std::pair<const char*, int> ops[] = {{"add", ADD}, {"sub", SUB}, {"mul", MUL}, {"truediv", DIV}};
  for (const auto& [name, op] : ops) {
    const int code = op;
    cls.def((std::string("__") + name + "__").c_str(),
            [code](py::object self, py::object other) { return binary(code, self, other, nullptr); });
    cls.def((std::string("__r") + name + "__").c_str(),
            [code](py::object self, py::object other) { return binary(code, other, self, nullptr); });
    cls.def((std::string("__i") + name + "__").c_str(), [code](py::object self, py::object other) {
      DeviceArray& me = self.cast<DeviceArray&>();
      binary(code, self, other, &me);
      return self;
    });
  }

  m.def("empty", [](py::object shape, py::object dtype) { return empty(shape_from(shape), parse_dtype(dtype)); },
        py::arg("shape"), py::arg("dtype") = "float32", "An uninitialised device array.");
  m.def("zeros", [](py::object shape, py::object dtype) { return full(shape_from(shape), 0.0, parse_dtype(dtype)); },
        py::arg("shape"), py::arg("dtype") = "float32");
  m.def("ones", [](py::object shape, py::object dtype) { return full(shape_from(shape), 1.0, parse_dtype(dtype)); },
        py::arg("shape"), py::arg("dtype") = "float32");
  m.def("full", [](py::object shape, double v, py::object dtype) { return full(shape_from(shape), v, parse_dtype(dtype)); },
        py::arg("shape"), py::arg("fill_value"), py::arg("dtype") = "float32");
  m.def("asarray", &asarray, py::arg("obj"), py::arg("dtype") = py::none(),
        "Device array from a DeviceArray (as is, or cast), a __cuda_array_interface__ object "
        "(zero-copy view) or anything NumPy accepts (copied to the device).");
  m.def("to_numpy", [](py::object obj) {
    if (!py::isinstance<DeviceArray>(obj)) require(obj, "array", DType::f32);  // raises TypeError
    return to_numpy(obj.cast<DeviceArray&>());
  }, "Copy a DeviceArray to a new NumPy array.");
  m.def("binary", [](int op, py::object a, py::object b, py::object out) {
    if (op < 0 || op > MINIMUM) throw py::value_error("unknown binary op code " + std::to_string(op));
    if (out.is_none()) return binary(op, a, b, nullptr);
    DeviceArray& o = require(out, "out", DType::f32);
    return binary(op, a, b, &o);
  }, py::arg("op"), py::arg("a"), py::arg("b"), py::arg("out") = py::none(),
        "Elementwise op (0 add, 1 subtract, 2 multiply, 3 divide, 4 maximum, 5 minimum).");
  m.def("unary", [](int op, py::object x) {
    if (op < 0 || op > SQUARE) throw py::value_error("unknown unary op code " + std::to_string(op));
    return unary(op, require(x, "x", DType::f32));
  }, "Elementwise op (0 negative, 1 exp, 2 log, 3 sqrt, 4 abs, 5 square).");
  m.def("broadcast_to", [](py::object x, py::object shape) {
    if (!py::isinstance<DeviceArray>(x)) require(x, "x", DType::f32);
    return broadcast_to(x.cast<DeviceArray&>(), shape_from(shape));
  }, py::arg("x"), py::arg("shape"), "NumPy's broadcast_to (a view when no data repeats, else a copy).");
  m.def("sum", [](py::object x, py::object axis, bool keepdims) {
    int64_t count = 0;
    return reduce_sum(require(x, "x", DType::f32), axis, keepdims, &count);
  }, py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdims") = false);
  m.def("mean", [](py::object x, py::object axis, bool keepdims) {
    return reduce_mean(require(x, "x", DType::f32), axis, keepdims);
  }, py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdims") = false);
  m.def("memory_stats", []() {
    const auto s = pc::allocator_stats();
    py::dict d;
    d["cuda_malloc_calls"] = s.cuda_malloc_calls;
    d["cache_hits"] = s.cache_hits;
    d["bytes_in_use"] = s.bytes_in_use;
    d["bytes_cached"] = s.bytes_cached;
    d["blocks_in_use"] = s.blocks_in_use;
    d["blocks_cached"] = s.blocks_cached;
    return d;
  }, "Caching-allocator counters (cudaMalloc calls, cache hits, bytes in use / cached).");
  m.def("empty_cache", &pc::empty_cache, "Return every cached (free) block to CUDA.");
}

}  // namespace pyneuro::bind::cuda

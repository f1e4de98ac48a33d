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
  if (d == DType::b8) return py::dtype::of<bool>();
  return d == DType::f32 ? py::dtype::of<float>() : d == DType::i64 ? py::dtype::of<int64_t>() : py::dtype::of<double>();
}

bool cached_range(const DeviceArray& a, int64_t& lo, int64_t& hi) {
  if (a.dtype != DType::i64 || !a.buf || !a.buf->has_range || a.buf->exported || a.buf->owner) return false;
  lo = a.buf->range_lo;
  hi = a.buf->range_hi;
  return true;
}

void set_range(const DeviceArray& a, int64_t lo, int64_t hi) {
  if (a.dtype != DType::i64 || !a.buf || a.buf->exported || a.buf->owner) return;
  a.buf->has_range = true;
  a.buf->range_lo = lo;
  a.buf->range_hi = hi;
}

void forget_range(const DeviceArray& a) {
  if (a.buf) a.buf->has_range = false;
}

void int64_range(const DeviceArray& a, int64_t& lo, int64_t& hi, int64_t allowed_lo, int64_t allowed_hi) {
  // The cache is a bound (a view or a copy of part of a buffer holds a subset of its
  // values): it settles the check only when it passes; otherwise the exact range decides.
  if (cached_range(a, lo, hi) && allowed_lo <= lo && hi <= allowed_hi) return;
  pc::int64_minmax(a.size(), a.i64(), &lo, &hi);
}

DType parse_dtype(const py::handle& obj) {
  py::dtype dt = py::dtype::from_args(py::reinterpret_borrow<py::object>(obj));
  if (dt.is(py::dtype::of<float>()) || dt.equal(py::dtype::of<float>())) return DType::f32;
  if (dt.equal(py::dtype::of<int64_t>())) return DType::i64;
  if (dt.equal(py::dtype::of<double>())) return DType::f64;
  if (dt.equal(py::dtype::of<bool>())) return DType::b8;
  throw py::type_error("pyneuro device arrays hold float32, int64, float64 or bool, not " + std::string(py::str(dt)));
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
    else if (kind == 'b') dt = DType::b8;
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
  if (dt == DType::i64 && d.size() > 0) {  // the range, from the host copy we already have
    const int64_t* v = static_cast<const int64_t*>(arr.data());
    int64_t lo = v[0], hi = v[0];
    for (int64_t i = 1, n = d.size(); i < n; ++i) {
      lo = v[i] < lo ? v[i] : lo;
      hi = v[i] > hi ? v[i] : hi;
    }
    set_range(d, lo, hi);
  }
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
  else if (ts == "|b1") dt = DType::b8;
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
  if (a.buf) a.buf->exported = true;  // others may write it from now on: no cached range
  py::dict d;
  d["shape"] = py::tuple(py::cast(a.shape));
  d["typestr"] = typestr(a.dtype);
  d["data"] = py::make_tuple(reinterpret_cast<uintptr_t>(a.data()), a.buf ? a.buf->readonly : false);
  d["strides"] = py::none();
  d["version"] = 3;
  d["stream"] = 1;  // all pyneuro work runs on the legacy default stream
  return d;
}

// A new array of dtype `dt` holding a's values (a itself when the dtype already matches).
DeviceArray cast_to(const DeviceArray& a, DType dt) {
  if (a.dtype == dt) return a;
  DeviceArray out = empty(a.shape, dt);
  pc::cast(a.size(), static_cast<int>(a.dtype), a.data(), static_cast<int>(dt), out.data());
  return out;
}

bool covers_buffer(const DeviceArray& a) { return a.buf && a.offset == 0 && a.nbytes() == a.buf->bytes; }

// Every element = v (any dtype), on the device except for float64.
void fill_scalar(DeviceArray& a, double v) {
  forget_range(a);
  const int64_t n = a.size();
  switch (a.dtype) {
    case DType::f32: pc::fill_f32(n, static_cast<float>(v), a.f32()); break;
    case DType::i64:
      pc::fill_i64(n, static_cast<int64_t>(v), a.i64());
      if (n > 0 && covers_buffer(a)) set_range(a, static_cast<int64_t>(v), static_cast<int64_t>(v));
      break;
    case DType::b8: {
      DeviceArray t = empty(a.shape, DType::f32);
      pc::fill_f32(n, v != 0.0 ? 1.0f : 0.0f, t.f32());
      pc::cast(n, 0, t.data(), 3, a.data());
      break;
    }
    default: {
      std::vector<double> host(static_cast<std::size_t>(n), v);
      pc::copy_to_device(a.data(), host.data(), a.nbytes());
    }
  }
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
  fill_scalar(a, value);  // float64 goes through the host: float32 then widen would lose precision
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
  v.view = true;
  return v;
}

// ------------------------------------------------------------------ arithmetic
enum Op { ADD = 0, SUB = 1, MUL = 2, DIV = 3, MAXIMUM = 4, MINIMUM = 5, POW = 6 };
const char* op_name(int op) {
  static const char* names[] = {"add", "subtract", "multiply", "divide", "maximum", "minimum", "power"};
  return names[op];
}

struct Operand {
  bool is_array = false;
  DeviceArray arr;
  float imm = 0.0f;
  double imm_d = 0.0;      // the immediate as given (comparisons of int64 use it exactly)
  bool imm_float = false;  // the immediate was a float (not an int or bool)
  DType orig = DType::f32; // the array's dtype before any conversion
};

DeviceArray general_broadcast(const DeviceArray& a, const std::vector<py::ssize_t>& shape);
std::vector<py::ssize_t> broadcast_shape(const std::vector<py::ssize_t>& a, const std::vector<py::ssize_t>& b);
int broadcast_mode(std::vector<py::ssize_t> s, int64_t s_size, const std::vector<py::ssize_t>& out, int64_t& cols);

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
    o.imm_d = py::float_(py::reinterpret_borrow<py::object>(obj)).cast<double>();
    o.imm = static_cast<float>(o.imm_d);
    o.imm_float = PyFloat_Check(obj.ptr()) ||
                  (!PyLong_Check(obj.ptr()) && py::hasattr(obj, "dtype") &&
                   py::str(obj.attr("dtype").attr("kind")).cast<std::string>() == "f");
  } else {
    std::string got = py::str(py::type::of(obj).attr("__name__"));
    throw py::type_error(std::string(opname) + ": unsupported operand of type " + got +
                         " for a cuda DeviceArray (use a Python number or another DeviceArray; move host "
                         "arrays to the device first)");
  }
  if (o.is_array) o.orig = o.arr.dtype;
  if (o.is_array && o.arr.dtype == DType::f64)
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


// Operand modes (see pn_binary) of up to three operands broadcast to `shape`, sharing one
// `cols`. An operand whose pattern the modes cannot express (e.g. a middle axis of length
// 1), or whose block differs from the first one's, is materialised at the full shape
// first (a strided copy), so every NumPy broadcast works; the common MLP cases (equal
// shapes, scalars, rows, columns) need no copy.
int64_t operand_modes(std::initializer_list<std::pair<Operand*, int*>> ops, const std::vector<py::ssize_t>& shape) {
  int64_t cols = 0;
  for (auto [o, mode] : ops) {
    if (!o->is_array) {
      *mode = 3;
      continue;
    }
    int64_t c = 0;
    int m = broadcast_mode(o->arr.shape, o->arr.size(), shape, c);
    if ((m == 1 || m == 2) && cols != 0 && c != cols) m = -1;
    if (m < 0) {
      o->arr = general_broadcast(o->arr, shape);
      m = 0;
    } else if (m == 1 || m == 2) {
      cols = c;
    }
    *mode = m;
  }
  return cols > 0 ? cols : 1;
}

DeviceArray binary(int op, const py::handle& ha, const py::handle& hb, const DeviceArray* out) {
  Operand a = operand(ha, op_name(op)), b = operand(hb, op_name(op));
  if (!a.is_array && !b.is_array) throw py::type_error(std::string(op_name(op)) + ": needs at least one DeviceArray");
  if (a.is_array && b.is_array) require_same_device({&a.arr, &b.arr});
  // float32 arithmetic; a bool or int64 operand meeting a float32 one is converted (as torch
  // promotes); integer-only arithmetic is not provided (it would have to give int64).
  const bool a_f = a.is_array ? a.orig == DType::f32 : a.imm_float;
  const bool b_f = b.is_array ? b.orig == DType::f32 : b.imm_float;
  const bool a_b = a.is_array ? a.orig == DType::b8 : PyBool_Check(ha.ptr());
  const bool b_b = b.is_array ? b.orig == DType::b8 : PyBool_Check(hb.ptr());
  const bool integer = !a_f && !b_f && (out == nullptr || out->dtype == DType::i64);
  if (integer && (op == DIV || op == POW || (a_b && b_b)))
    throw py::type_error(std::string(op_name(op)) + " of " + (a.is_array ? dtype_name(a.orig) : "int") + " and " +
                         (b.is_array ? dtype_name(b.orig) : "int") +
                         " device arrays is not implemented on the cuda backend (int64: + - * maximum minimum; "
                         "use .astype('float32') for the rest)");
  const DType dt = integer ? DType::i64 : DType::f32;
  if (a.is_array) a.arr = cast_to(a.arr, dt);
  if (b.is_array) b.arr = cast_to(b.arr, dt);
  const std::vector<py::ssize_t> none;
  std::vector<py::ssize_t> shape = broadcast_shape(a.is_array ? a.arr.shape : none, b.is_array ? b.arr.shape : none);
  int a_mode = 3, b_mode = 3;
  const int64_t cols = operand_modes({{&a, &a_mode}, {&b, &b_mode}}, shape);
  if (integer) {
    DeviceArray result;
    if (out != nullptr) {
      if (out->shape != shape)
        throw py::value_error(std::string(op_name(op)) + ": in-place result of shape " + shape_str(*out) +
                              " cannot hold the broadcast shape " + pyneuro::bind::shape_str(shape));
      require_writeable(*out, "the in-place operand");
      forget_range(*out);
      result = *out;
    } else {
      result = empty(shape, DType::i64);
    }
    pc::binary_i64(result.size(), op, a.is_array ? a.arr.i64() : nullptr, a_mode, static_cast<int64_t>(a.imm_d),
                   b.is_array ? b.arr.i64() : nullptr, b_mode, static_cast<int64_t>(b.imm_d), cols, result.i64());
    return result;
  }
  if (out != nullptr && out->dtype != DType::f32)
    throw py::type_error(std::string(op_name(op)) + ": a float result cannot be stored in place into a " +
                         dtype_name(out->dtype) + " array");
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

// ------------------------------------------------------------------ strided copies
std::vector<int64_t> c_strides(const std::vector<py::ssize_t>& shape) {
  std::vector<int64_t> st(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i) st[i] = st[i + 1] * shape[i + 1];
  return st;
}

// Element strides of a C-contiguous array of `shape` read as if broadcast to `out`
// (stride 0 along every repeated axis).
std::vector<int64_t> broadcast_strides(const std::vector<py::ssize_t>& shape, const std::vector<py::ssize_t>& out) {
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
void copy_strided(const DeviceArray& src, int64_t src_off, const std::vector<int64_t>& src_st, DeviceArray& dst,
                  int64_t dst_off, const std::vector<int64_t>& dst_st, const std::vector<py::ssize_t>& shape) {
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

// Writes `src` (same dtype) broadcast to dst's shape into dst, or raises.
void broadcast_into(const DeviceArray& src, DeviceArray& dst, const char* what) {
  if (broadcast_shape(src.shape, dst.shape) != dst.shape)
    throw py::value_error(std::string(what) + ": cannot broadcast shape " + shape_str(src) + " to " + shape_str(dst));
  forget_range(dst);
  if (src.size() == dst.size()) {  // same elements (shapes differ only by 1s)
    if (src.data() != dst.data()) pc::copy_device(dst.data(), src.data(), dst.nbytes());
    return;
  }
  copy_strided(src, 0, broadcast_strides(src.shape, dst.shape), dst, 0, c_strides(dst.shape), dst.shape);
}

DeviceArray broadcast_to(const DeviceArray& a, const std::vector<py::ssize_t>& shape) {
  if (broadcast_shape(a.shape, shape) != shape)
    throw py::value_error("cannot broadcast shape " + shape_str(a) + " to " + pyneuro::bind::shape_str(shape));
  if (a.size() == prod(shape, 0, shape.size())) {
    DeviceArray v = a;  // same elements: a view, as NumPy's broadcast_to
    v.shape = shape;
    v.view = true;
    return v;
  }
  return general_broadcast(a, shape);
}

// a[...] = value and a[:] = value (whole-array assignment, with broadcasting).
void set_all(DeviceArray& a, const py::handle& key, const py::object& value);

enum UnaryOp { NEG = 0, EXP = 1, LOG = 2, SQRT = 3, ABS = 4, SQUARE = 5, SIGN = 6, TANH = 7, TRUNC = 15 };

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

// Normalised axes from None / an int / a sequence (sorted, unique, in range).
std::vector<int> parse_axes(const py::object& axis_obj, int nd) {
  std::vector<int> axes;
  if (axis_obj.is_none()) {
    for (int i = 0; i < nd; ++i) axes.push_back(i);
    return axes;
  }
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
  return axes;
}

DeviceArray unary(int op, const DeviceArray& x) {
  if (x.dtype != DType::f32)
    throw py::type_error(std::string("elementwise math on ") + dtype_name(x.dtype) +
                         " device arrays is not implemented (only float32)");
  DeviceArray y = empty(x.shape, DType::f32);
  pc::unary(x.size(), op, x.f32(), y.f32());
  return y;
}

// Sum over axes (None, an int or a tuple). float32: all axes, a leading run of axes
// (0..k-1: a column sum of the (rows, cols) view), a trailing run (k..n-1: a row sum), or
// any other set (the reduced axes are moved last by a copy, then a row sum). int64 and
// bool (counted as int64, as NumPy does) give int64: over all axes, or any axes moved last.
DeviceArray reduce_sum(const DeviceArray& x_in, const py::object& axis_obj, bool keepdims, int64_t* count) {
  if (x_in.dtype == DType::f64) throw py::type_error("sum of a float64 device array is not implemented (only float32)");
  const DeviceArray x = x_in.dtype == DType::b8 ? cast_to(x_in, DType::i64) : x_in;
  const int nd = x.ndim();
  std::vector<int> axes = parse_axes(axis_obj, nd);
  std::vector<py::ssize_t> out_shape;
  *count = 1;
  for (int i = 0; i < nd; ++i) {
    const bool reduced = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (reduced) *count *= x.shape[i];
    if (!reduced) out_shape.push_back(x.shape[i]);
    else if (keepdims) out_shape.push_back(1);
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
    if (cols == 0) pc::fill_f32(rows, 0.0f, out.f32());
    else pc::row_sum(rows, cols, x.f32(), out.f32());
  } else {  // move the reduced axes last (one copy), then row sums
    std::vector<int> order;
    for (int i = 0; i < nd; ++i)
      if (std::find(axes.begin(), axes.end(), i) == axes.end()) order.push_back(i);
    order.insert(order.end(), axes.begin(), axes.end());
    const DeviceArray moved = permute(x, order);
    const int64_t cols = *count, rows = x.size() / std::max<int64_t>(cols, 1);
    if (cols == 0) pc::fill_f32(out.size(), 0.0f, out.f32());
    else pc::row_sum(rows, cols, moved.f32(), out.f32());
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
  if (a.dtype == DType::b8) {
    uint8_t v = 0;
    pc::copy_to_host(&v, a.data(), 1);
    return py::bool_(v != 0);
  }
  float v = 0;
  pc::copy_to_host(&v, a.data(), 4);
  return py::float_(static_cast<double>(v));
}

DeviceArray copy(const DeviceArray& a) {
  DeviceArray out = empty(a.shape, a.dtype);
  pc::copy_device(out.data(), a.data(), a.nbytes());
  int64_t lo = 0, hi = 0;
  if (cached_range(a, lo, hi)) set_range(out, lo, hi);  // a subset of the source buffer's values
  return out;
}

// A transposed copy (DeviceArrays have no strided views): axes reversed, or as given.
DeviceArray transpose_axes(const DeviceArray& a, std::vector<int> axes) {
  const int nd = a.ndim();
  if (axes.empty())
    for (int i = nd - 1; i >= 0; --i) axes.push_back(i);
  if (static_cast<int>(axes.size()) != nd) throw py::value_error("axes don't match array of shape " + shape_str(a));
  std::vector<bool> seen(nd, false);
  for (int& ax : axes) {
    if (ax < -nd || ax >= nd) throw py::value_error("axis " + std::to_string(ax) + " is out of bounds for shape " + shape_str(a));
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

[[noreturn]] void not_implemented(const std::string& what) {
  PyErr_SetString(PyExc_NotImplementedError, (what + " is not implemented for pyneuro cuda DeviceArrays "
                                                      "(use the cupy backend, or .numpy() to work on the host)")
                                                 .c_str());
  throw py::error_already_set();
}

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
    } else if (py::isinstance<py::array>(h) || PyList_Check(h.ptr()) || py::hasattr(h, "__cuda_array_interface__")) {
      it.kind = Item::Array;
      it.arr = asarray(py::reinterpret_borrow<py::object>(h), py::none());
    } else if (PyIndex_Check(h.ptr())) {
      it.kind = Item::Int;
      it.value = py::int_(py::reinterpret_borrow<py::object>(h)).cast<int64_t>();
    } else {
      throw py::index_error("only integers, slices (`:`), ellipsis (`...`), None and integer arrays are valid "
                            "indices, got " + std::string(py::str(py::type::of(h).attr("__name__"))));
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
    throw py::index_error("index " + std::to_string(i) + " is out of bounds for axis " + std::to_string(axis) +
                          " with size " + std::to_string(n));
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
    throw py::index_error("too many indices for array: array is " + std::to_string(nd) + "-dimensional, but " +
                          std::to_string(consumed) + " were indexed");
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
  while (k < static_cast<int>(items.size()) && (items[k].kind == Item::Array || items[k].kind == Item::Int)) ++k;
  for (size_t i = k; i < items.size(); ++i) {
    const auto& it = items[i];
    const bool colon = it.kind == Item::Ellipsis ||
                       (it.kind == Item::Slice && it.obj.attr("start").is_none() && it.obj.attr("stop").is_none() &&
                        it.obj.attr("step").is_none());
    if (!colon)
      not_implemented("integer-array indexing mixed with slices other than ':' (supported: a[idx], "
                      "a[rows, cols], a[idx, :], a[:, idx])");
  }
  if (k > a.ndim())
    throw py::index_error("too many indices for array: array is " + std::to_string(a.ndim()) + "-dimensional, but " +
                          std::to_string(k) + " were indexed");
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
  std::vector<int> perm;       // a's axes, indexed ones first
  std::vector<KeyItem> items;  // the key without its leading ':'
  std::vector<int> result_order(int out_nd) const {  // gathered layout -> NumPy's layout
    const int m = out_nd - (nd - k);                 // the index dims
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

std::vector<int> inverse_perm(const std::vector<int>& p) {
  std::vector<int> inv(p.size());
  for (size_t i = 0; i < p.size(); ++i) inv[p[i]] = static_cast<int>(i);
  return inv;
}

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
  if (target.dtype != DType::f32) throw py::type_error("scatter-add is implemented for float32 device arrays");
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
        throw py::value_error("scatter-add: values of shape " + shape_str(v) + " do not fit the indexed shape " +
                              pyneuro::bind::shape_str(numpy_shape));
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
      throw py::value_error("scatter-add: values of shape " + shape_str(v) + " do not fit the indexed shape " +
                            pyneuro::bind::shape_str(vshape));
    v = general_broadcast(v, vshape);
  }
  pc::scatter_add_f32(prod(idx_shape, 0, idx_shape.size()), prod(target.shape, k, target.shape.size()), g, v.f32(),
                      target.f32());
}

// a[key] = value: basic keys (any, with broadcasting, one strided copy); integer-array keys
// are not provided (repeated indices would make the result depend on the write order).
void setitem(DeviceArray& a, const py::handle& key, const py::object& value) {
  std::vector<KeyItem> items = parse_key(key);
  for (const auto& it : items)
    if (it.kind == Item::Array) not_implemented("assignment through integer-array indices");
  require_writeable(a, "array");
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

void set_all(DeviceArray& a, const py::handle& key, const py::object& value) { setitem(a, key, value); }

// ------------------------------------------------------------------ comparisons and where
enum CmpOp { EQ = 0, NE = 1, LT = 2, LE = 3, GT = 4, GE = 5, AND = 6, OR = 7, XOR = 8 };
const char* cmp_name(int op) {
  static const char* names[] = {"==", "!=", "<", "<=", ">", ">=", "&", "|", "^"};
  return names[op];
}

bool is_float_operand(const Operand& o) { return o.is_array ? o.orig == DType::f32 : o.imm_float; }
bool is_bool_operand(const Operand& o, const py::handle& h) {
  return o.is_array ? o.orig == DType::b8 : PyBool_Check(h.ptr());
}

// a <op> b elementwise into a bool array. Compared in float32 when either side is float,
// else in int64, else (bool with bool) as bools; NumPy broadcasting.
py::object compare(int op, const py::handle& ha, const py::handle& hb) {
  Operand a, b;
  try {
    a = operand(ha, cmp_name(op));
    b = operand(hb, cmp_name(op));
  } catch (py::type_error&) {
    return py::reinterpret_borrow<py::object>(Py_NotImplemented);  // e.g. a == None -> False
  }
  if (a.is_array && b.is_array) require_same_device({&a.arr, &b.arr});
  DType dt;
  const bool bools = is_bool_operand(a, ha) && is_bool_operand(b, hb);
  if (op >= AND) {
    if (!bools)
      throw py::type_error(std::string("'") + cmp_name(op) + "' of device arrays is implemented for bool arrays only");
    dt = DType::b8;
  } else if (is_float_operand(a) || is_float_operand(b)) {
    dt = DType::f32;
  } else {
    dt = bools ? DType::b8 : DType::i64;
  }
  if (a.is_array) a.arr = cast_to(a.arr, dt);
  if (b.is_array) b.arr = cast_to(b.arr, dt);
  const std::vector<py::ssize_t> none;
  std::vector<py::ssize_t> shape = broadcast_shape(a.is_array ? a.arr.shape : none, b.is_array ? b.arr.shape : none);
  int a_mode = 3, b_mode = 3;
  const int64_t cols = operand_modes({{&a, &a_mode}, {&b, &b_mode}}, shape);
  DeviceArray out = empty(shape, DType::b8);
  pc::compare(out.size(), static_cast<int>(dt), op, a.is_array ? a.arr.data() : nullptr, a_mode, a.imm_d,
              b.is_array ? b.arr.data() : nullptr, b_mode, b.imm_d, cols, reinterpret_cast<uint8_t*>(out.data()));
  return py::cast(out);
}

// np.where(cond, a, b): float32 when a or b is float, else int64.
DeviceArray where(const py::object& cond_obj, const py::object& ao, const py::object& bo) {
  Operand c, a = operand(ao, "where"), b = operand(bo, "where");
  if (py::isinstance<DeviceArray>(cond_obj) || py::hasattr(cond_obj, "__cuda_array_interface__")) {
    c.is_array = true;
    c.arr = asarray(cond_obj, py::none());
    if (c.arr.dtype != DType::b8) {
      DeviceArray t = c.arr.dtype == DType::f64 ? cast_to(c.arr, DType::f32) : c.arr;
      c.arr = cast_to(t, DType::b8);
    }
  } else if (PyBool_Check(cond_obj.ptr()) || PyLong_Check(cond_obj.ptr()) || PyFloat_Check(cond_obj.ptr())) {
    c.imm_d = py::bool_(cond_obj).cast<bool>() ? 1.0 : 0.0;
  } else {
    throw py::type_error("where: the condition must be a device array or a Python scalar (move host arrays to "
                         "the device first)");
  }
  if (!a.is_array && !b.is_array && !c.is_array) throw py::type_error("where: needs at least one DeviceArray");
  const DType dt = is_float_operand(a) || is_float_operand(b) ? DType::f32 : DType::i64;
  if (a.is_array) a.arr = cast_to(a.arr, dt);
  if (b.is_array) b.arr = cast_to(b.arr, dt);
  const std::vector<py::ssize_t> none;
  std::vector<py::ssize_t> shape = broadcast_shape(c.is_array ? c.arr.shape : none, a.is_array ? a.arr.shape : none);
  shape = broadcast_shape(shape, b.is_array ? b.arr.shape : none);
  int c_mode = 3, a_mode = 3, b_mode = 3;
  const int64_t cols = operand_modes({{&c, &c_mode}, {&a, &a_mode}, {&b, &b_mode}}, shape);
  DeviceArray out = empty(shape, dt);
  pc::where(out.size(), static_cast<int>(dt), c.is_array ? reinterpret_cast<const uint8_t*>(c.arr.data()) : nullptr,
            c_mode, c.imm_d != 0.0, a.is_array ? a.arr.data() : nullptr, a_mode, a.imm_d,
            b.is_array ? b.arr.data() : nullptr, b_mode, b.imm_d, cols, out.data());
  return out;
}

// all / any over every element, as a 0-d bool device array (no host copy).
DeviceArray all_any(const DeviceArray& x, const py::object& axis, bool keepdims, bool want_all) {
  if (!axis.is_none() && static_cast<int>(parse_axes(axis, x.ndim()).size()) != x.ndim())
    not_implemented(std::string(want_all ? "all" : "any") + "() along an axis");
  DeviceArray b = x.dtype == DType::b8 ? x : cast_to(x.dtype == DType::f64 ? cast_to(x, DType::f32) : x, DType::b8);
  DeviceArray count = empty({}, DType::i64);
  DeviceArray as_int = cast_to(b, DType::i64);
  pc::sum_all_i64(as_int.size(), as_int.i64(), count.i64());
  std::vector<py::ssize_t> out_shape = keepdims ? std::vector<py::ssize_t>(x.ndim(), 1) : std::vector<py::ssize_t>{};
  DeviceArray out = empty(out_shape, DType::b8);
  pc::compare(1, 1, want_all ? EQ : GT, count.data(), 4, 0.0, nullptr, 3,
              want_all ? static_cast<double>(x.size()) : 0.0, 1, reinterpret_cast<uint8_t*>(out.data()));
  return out;
}

// ------------------------------------------------------------------ argmax / max along axes
// Index of the maximum over all elements (axis None) or along any axis (first maximum wins,
// NaN counts as the maximum, as np.argmax), with the argmax kernel; an axis other than the
// last is moved last by a copy first. argmin is the argmax of -x (same ties and NaNs).
DeviceArray argmax_method(const DeviceArray& x_in, const py::object& axis_obj, bool want_min = false) {
  if (x_in.dtype != DType::f32) throw py::type_error("argmax/argmin are implemented for float32 device arrays");
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

// np.take_along_axis(a, idx, axis) for idx of a's shape except along `axis`.
DeviceArray take_along_axis(const DeviceArray& a, const DeviceArray& idx_in, int axis) {
  const int nd = a.ndim();
  if (idx_in.dtype != DType::i64) throw py::index_error("take_along_axis: indices must be an int64 array");
  if (idx_in.ndim() != nd || nd == 0)
    throw py::value_error("take_along_axis: indices of shape " + shape_str(idx_in) + " do not match array of shape " +
                          shape_str(a));
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

// max / min over all elements (a 0-d device array) or along one axis (values at the argmax).
py::object reduce_minmax(const DeviceArray& x, const py::object& axis, bool keepdims, bool want_max) {
  if (x.dtype == DType::i64 && static_cast<int>(parse_axes(axis, x.ndim()).size()) == x.ndim()) {
    if (x.size() == 0) throw py::value_error("zero-size array to reduction operation which has no identity");
    const std::vector<py::ssize_t> shape = keepdims ? std::vector<py::ssize_t>(x.ndim(), 1) : std::vector<py::ssize_t>{};
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
    DeviceArray out = empty(keepdims ? std::vector<py::ssize_t>(nd, 1) : std::vector<py::ssize_t>{}, DType::f32);
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
      throw py::type_error(std::string("concatenate: all arrays need one dtype, got ") + dtype_name(first.dtype) +
                           " and " + dtype_name(a.dtype));
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

DeviceArray arange(int64_t n, double start, double step, DType dt) {
  if (n < 0) n = 0;
  DeviceArray out = empty({static_cast<py::ssize_t>(n)}, dt);
  if (dt == DType::f32) {
    pc::arange_f32(n, start, step, out.f32());
  } else if (dt == DType::i64) {
    const int64_t s = static_cast<int64_t>(start), d = static_cast<int64_t>(step);
    pc::arange_i64(n, s, d, out.i64());
    if (n > 0) set_range(out, std::min(s, s + (n - 1) * d), std::max(s, s + (n - 1) * d));
  } else {
    throw py::type_error(std::string("arange of dtype ") + dtype_name(dt) + " is not implemented on the cuda backend");
  }
  return out;
}

DeviceArray eye(int64_t n, int64_t m, DType dt) {
  DeviceArray out = full({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(m)}, 0.0, dt);
  const int64_t diag = std::min(n, m);
  if (diag > 0) {
    DeviceArray one = full({}, 1.0, dt);
    copy_strided(one, 0, {0}, out, 0, {m + 1}, {static_cast<py::ssize_t>(diag)});
  }
  forget_range(out);
  if (dt == DType::i64 && n * m > 0) set_range(out, 0, 1);
  return out;
}

DeviceArray float_predicate(const DeviceArray& x, int op) {
  if (x.dtype != DType::f32) {  // integers and bools are never NaN or infinite
    if (x.dtype == DType::f64) throw py::type_error("isnan/isfinite of float64 device arrays are not implemented");
    return full(x.shape, op == 1 ? 1.0 : 0.0, DType::b8);
  }
  DeviceArray out = empty(x.shape, DType::b8);
  pc::float_predicate(x.size(), op, x.f32(), reinterpret_cast<uint8_t*>(out.data()));
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
      .def_property_readonly("owns_memory", [](const DeviceArray& a) { return a.buf && a.buf->owned && !a.view; })
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
        fill_scalar(a, v);
      }, "Set every element to a value, in place.")
      .def("copy_from", [](DeviceArray& a, const py::object& src) {
        require_writeable(a, "array");
        forget_range(a);
        DeviceArray s = asarray(src, numpy_dtype(a.dtype));
        if (s.shape != a.shape) require_same_shape(a, "array", s, "source");
        pc::copy_device(a.data(), s.data(), a.nbytes());
      }, "Copy another array (device or host) of the same shape into this one.")
      .def_property_readonly("T", &transpose)
      .def("transpose", [](const DeviceArray& a, py::args axes) {
        std::vector<int> ax;
        py::object src = axes;
        if (axes.size() == 1 && !py::isinstance<py::int_>(axes[0])) src = axes[0];
        if (!src.is_none())
          for (auto v : src) ax.push_back(py::cast<int>(v));
        return transpose_axes(a, ax);
      }, "A transposed copy: axes reversed, or in the order given (np.transpose).")
      .def("swapaxes", [](const DeviceArray& a, int i, int j) {
        const int nd = a.ndim();
        std::vector<int> ax(nd);
        for (int k = 0; k < nd; ++k) ax[k] = k;
        if (i < -nd || i >= nd || j < -nd || j >= nd) throw py::value_error("swapaxes: axis out of bounds");
        std::swap(ax[(i + nd) % nd], ax[(j + nd) % nd]);
        return transpose_axes(a, ax);
      })
      .def("item", &item)
      .def("__float__", [](const DeviceArray& a) { return item(a).cast<double>(); })
      .def("__int__", [](const DeviceArray& a) { return py::int_(item(a)); })
      .def("__index__", [](const DeviceArray& a) {
        if (a.dtype != DType::i64) throw py::type_error("only integer arrays can be used as an index");
        return item(a);
      })
      .def("__bool__", [](const DeviceArray& a) { return item(a).cast<double>() != 0.0; })
      .def("min", [](const DeviceArray& a, py::object axis, bool keepdims) {
             return reduce_minmax(a, axis, keepdims, false);
           }, py::arg("axis") = py::none(), py::arg("keepdims") = false,
           "A device array (float32 along any one axis or all; int64 over all elements).")
      .def("max", [](const DeviceArray& a, py::object axis, bool keepdims) {
             return reduce_minmax(a, axis, keepdims, true);
           }, py::arg("axis") = py::none(), py::arg("keepdims") = false)
      .def("all", [](const DeviceArray& a, py::object axis, bool keepdims) { return all_any(a, axis, keepdims, true); },
           py::arg("axis") = py::none(), py::arg("keepdims") = false)
      .def("any", [](const DeviceArray& a, py::object axis, bool keepdims) { return all_any(a, axis, keepdims, false); },
           py::arg("axis") = py::none(), py::arg("keepdims") = false)
      .def("sum", [](const DeviceArray& a, py::object axis, bool keepdims) {
             int64_t count = 0;
             return reduce_sum(a, axis, keepdims, &count);
           }, py::arg("axis") = py::none(), py::arg("keepdims") = false)
      .def("mean", &reduce_mean, py::arg("axis") = py::none(), py::arg("keepdims") = false)
      .def("__getitem__", &getitem,
           "Basic indexing (ints, slices, None, ...: a view when the result is contiguous, else a read-only "
           "copy) and integer-array indexing of the leading axes (a gather), range-checked.")
      .def("__setitem__", [](DeviceArray& a, py::handle key, py::object value) { setitem(a, key, value); },
           "a[basic key] = value, with broadcasting.")
      .def("argmax", [](const DeviceArray& a, py::object axis) { return argmax_method(a, axis, false); },
           py::arg("axis") = py::none())
      .def("argmin", [](const DeviceArray& a, py::object axis) { return argmax_method(a, axis, true); },
           py::arg("axis") = py::none())
      .def_property_readonly("flags", &flags_of)
      .def("__getattr__", [](const DeviceArray&, const std::string& name) -> py::object {
        // Only reached when normal lookup fails: an AttributeError (so hasattr() is False)
        // that names the gap instead of a bare "no attribute".
        if (name.rfind("__", 0) == 0) throw py::attribute_error(name);
        throw py::attribute_error("'" + name + "' is not implemented for pyneuro cuda DeviceArrays (use the cupy "
                                  "backend for full NumPy coverage on the GPU, or .numpy() to work on the host)");
      })
      .def("__invert__", [](py::object self) -> py::object {
        if (self.cast<DeviceArray&>().dtype != DType::b8) not_implemented("~ of a non-bool array (bitwise not)");
        return compare(EQ, self, py::bool_(false));
      })
      .def("__pow__", [](py::object self, py::object other) { return binary(POW, self, other, nullptr); })
      .def("__rpow__", [](py::object self, py::object other) { return binary(POW, other, self, nullptr); })
      .def("__neg__", [](const DeviceArray& a) { return unary(NEG, a); })
      .def("__abs__", [](const DeviceArray& a) { return unary(ABS, a); })
      .def("__matmul__", [](const DeviceArray&, py::handle) -> py::object {
        not_implemented("@ (use the kernel table's matmul)");
      });
  // Comparisons and logical ops: a bool DeviceArray (NumPy broadcasting).
  const std::pair<const char*, int> cmps[] = {{"__eq__", EQ}, {"__ne__", NE}, {"__lt__", LT}, {"__le__", LE},
                                              {"__gt__", GT}, {"__ge__", GE}, {"__and__", AND}, {"__or__", OR},
                                              {"__xor__", XOR}};
  for (const auto& [name, op] : cmps) {
    const int code = op;
    cls.def(name, [code](py::object self, py::object other) { return compare(code, self, other); });
  }
  for (const auto& [name, op] : {std::pair<const char*, int>{"__rand__", AND}, {"__ror__", OR}, {"__rxor__", XOR}}) {
    const int code = op;
    cls.def(name, [code](py::object self, py::object other) { return compare(code, other, self); });
  }
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
    if (op < 0 || op > POW) throw py::value_error("unknown binary op code " + std::to_string(op));
    if (out.is_none()) return binary(op, a, b, nullptr);
    if (!py::isinstance<DeviceArray>(out)) require(out, "out", DType::f32);  // raises TypeError
    DeviceArray& o = out.cast<DeviceArray&>();
    return binary(op, a, b, &o);
  }, py::arg("op"), py::arg("a"), py::arg("b"), py::arg("out") = py::none(),
        "Elementwise op (0 add, 1 subtract, 2 multiply, 3 divide, 4 maximum, 5 minimum, 6 power).");
  m.def("unary", [](int op, py::object x) {
    if (op < 0 || op > TRUNC) throw py::value_error("unknown unary op code " + std::to_string(op));
    return unary(op, require(x, "x", DType::f32));
  }, "Elementwise op (0 negative, 1 exp, 2 log, 3 sqrt, 4 abs, 5 square, 6 sign, 7 tanh, 8 sin, 9 cos, "
     "10 log1p, 11 expm1, 12 round, 13 floor, 14 ceil, 15 trunc).");
  m.def("compare", [](int op, py::object a, py::object b) {
    if (op < 0 || op > XOR) throw py::value_error("unknown comparison op code " + std::to_string(op));
    py::object r = compare(op, a, b);
    if (r.is(py::reinterpret_borrow<py::object>(Py_NotImplemented)))
      throw py::type_error(std::string("unsupported operands for ") + cmp_name(op));
    return r;
  }, py::arg("op"), py::arg("a"), py::arg("b"),
        "Elementwise comparison into bool (0 ==, 1 !=, 2 <, 3 <=, 4 >, 5 >=, 6 and, 7 or, 8 xor).");
  m.def("where", &where, py::arg("condition"), py::arg("x"), py::arg("y"));
  m.def("float_predicate", [](py::object x, int op) {
    if (!py::isinstance<DeviceArray>(x)) require(x, "x", DType::f32);
    return float_predicate(x.cast<DeviceArray&>(), op);
  }, py::arg("x"), py::arg("op"), "0 isnan, 1 isfinite, 2 isinf (bool arrays).");
  m.def("arange", [](int64_t n, double start, double step, py::object dtype) {
    return arange(n, start, step, parse_dtype(dtype));
  }, py::arg("n"), py::arg("start"), py::arg("step"), py::arg("dtype"), "n values start, start + step, ...");
  m.def("eye", [](int64_t n, int64_t m_, py::object dtype) { return eye(n, m_, parse_dtype(dtype)); });
  m.def("cumsum", [](py::object x, py::object axis) {
    if (!py::isinstance<DeviceArray>(x)) require(x, "x", DType::f32);
    return cumsum(x.cast<DeviceArray&>(), axis);
  }, py::arg("x"), py::arg("axis") = py::none());
  m.def("concatenate", [](const std::vector<DeviceArray>& arrays, int axis) { return concatenate(arrays, axis); },
        py::arg("arrays"), py::arg("axis") = 0);
  m.def("stack", [](const std::vector<DeviceArray>& arrays, int axis) { return stack(arrays, axis); },
        py::arg("arrays"), py::arg("axis") = 0);
  m.def("take_along_axis", [](py::object a, py::object idx, int axis) {
    if (!py::isinstance<DeviceArray>(a)) require(a, "arr", DType::f32);
    if (!py::isinstance<DeviceArray>(idx)) require(idx, "indices", DType::i64);
    return take_along_axis(a.cast<DeviceArray&>(), idx.cast<DeviceArray&>(), axis);
  }, py::arg("arr"), py::arg("indices"), py::arg("axis"));
  m.def("scatter_add", [](py::object target, py::object key, py::object values) {
    if (!py::isinstance<DeviceArray>(target)) require(target, "target", DType::f32);
    scatter_add(target.cast<DeviceArray&>(), key, values);
  }, py::arg("target"), py::arg("index"), py::arg("values"),
        "target[index] += values with repeated indices adding up (numpy.add.at).");
  m.def("transfer_stats", []() {
    const auto s = pc::transfer_stats();
    py::dict d;
    d["d2h_copies"] = s.d2h_copies;
    d["d2h_bytes"] = s.d2h_bytes;
    d["h2d_copies"] = s.h2d_copies;
    d["h2d_bytes"] = s.h2d_bytes;
    return d;
  }, "Counters of host <-> device copies since the last reset_transfer_stats().");
  m.def("reset_transfer_stats", &pc::reset_transfer_stats);
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

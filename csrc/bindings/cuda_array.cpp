// cuda_array.cpp: the DeviceArray object itself (declared in cuda_array.h): allocation,
// dtypes, the int64 value-range cache, the argument checks every CUDA binding runs, and
// getting data in and out:
//
//   * creation: empty / full (zeros, ones), arange, eye, asarray (NumPy -> device copy;
//     an object with __cuda_array_interface__ -> zero-copy view), to_numpy;
//   * __cuda_array_interface__ (v3) out, so CuPy, Numba and PyTorch can wrap pyneuro's
//     memory without copies;
//   * casts (astype), fill, copy, item, reshape views, flags.
//
// The operations on arrays live beside it, one file per concern (declared in
// cuda_array_ops.h): cuda_array_arith.cpp (elementwise arithmetic, comparisons, where,
// with NumPy broadcasting), cuda_array_reduce.cpp (sum, mean, max/min, argmax, all/any,
// cumsum), cuda_array_layout.cpp (strided copies: broadcast_to, transpose, concatenate),
// cuda_array_index.cpp (a[key], a[key] = v, gathers and scatter-adds); the Python class
// and functions are defined in cuda_array_bindings.cpp.
#include <cstring>
#include <string>

#include "cuda_array_ops.h"

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
  return d == DType::f32   ? py::dtype::of<float>()
         : d == DType::i64 ? py::dtype::of<int64_t>()
                           : py::dtype::of<double>();
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
  throw py::type_error("pyneuro device arrays hold float32, int64, float64 or bool, not " +
                       std::string(py::str(dt)));
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
    throw py::type_error(std::string(name) + " must have dtype " + dtype_name(dtype) + ", got " +
                         dtype_name(a.dtype));
  if (ndim >= 0 && a.ndim() != ndim)
    throw py::value_error(std::string(name) + " must be " + std::to_string(ndim) + "-D, got shape " +
                          shape_str(a));
  return a;
}

void require_same_shape(const DeviceArray& a, const char* an, const DeviceArray& b, const char* bn) {
  if (a.shape != b.shape)
    throw py::value_error(std::string(an) + " and " + bn + " must have the same shape, got " + shape_str(a) +
                          " and " + shape_str(b));
}

void require_writeable(const DeviceArray& a, const char* name) {
  if (a.buf && a.buf->readonly)
    throw py::value_error(std::string(name) + " is read-only (" + a.buf->readonly_why + ")");
}

void require_same_device(std::initializer_list<const DeviceArray*> arrays) {
  int dev = -1;
  for (const DeviceArray* a : arrays) {
    if (a == nullptr) continue;
    if (dev >= 0 && a->device() != dev)
      throw py::value_error("arrays are on different devices (cuda:" + std::to_string(dev) +
                            " and cuda:" + std::to_string(a->device()) + ")");
    dev = a->device();
  }
}

// ------------------------------------------------------------------ host <-> device
namespace {

DeviceArray from_numpy(const py::array& host_in, py::object dtype) {
  py::module_ np = py::module_::import("numpy");
  py::object host = host_in;
  DType dt;
  if (!dtype.is_none()) {
    dt = parse_dtype(dtype);
  } else {
    py::dtype hd = host_in.dtype();
    const char kind = hd.kind();
    if (hd.equal(py::dtype::of<float>()))
      dt = DType::f32;
    else if (hd.equal(py::dtype::of<double>()))
      dt = DType::f64;
    else if (kind == 'i' || kind == 'u')
      dt = DType::i64;  // class labels of any integer width
    else if (kind == 'b')
      dt = DType::b8;
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

}  // namespace

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
    throw py::value_error("__cuda_array_interface__ version " + std::to_string(version) +
                          " is not supported (need >= 2)");
  if (cai.contains("mask") && !cai["mask"].is_none())
    throw py::value_error("masked __cuda_array_interface__ arrays are not supported");
  const std::string ts = cai["typestr"].cast<std::string>();
  DType dt;
  if (ts == "<f4")
    dt = DType::f32;
  else if (ts == "<i8")
    dt = DType::i64;
  else if (ts == "<f8")
    dt = DType::f64;
  else if (ts == "|b1")
    dt = DType::b8;
  else
    throw py::type_error("cannot share a device array of typestr '" + ts +
                         "': pyneuro holds float32, int64, float64");
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
        throw py::value_error(
            "only C-contiguous device arrays can be shared without a copy; got shape " + shape_str(a) +
            " with strides " + pyneuro::bind::shape_str(strides) +
            " (make it contiguous first, e.g. cupy.ascontiguousarray / tensor.contiguous())");
      expect *= shape[i];
    }
  }
  auto buf = std::make_shared<Buffer>();
  buf->ptr = reinterpret_cast<void*>(ptr);
  buf->bytes = a.nbytes();
  buf->readonly = readonly;
  if (readonly) buf->readonly_why = "its __cuda_array_interface__ says so";
  buf->owner = obj;
  buf->device = current_device();
  if (ptr != 0 && a.size() > 0) {
    cudaPointerAttributes attr{};
    pc::check(cudaPointerGetAttributes(&attr, buf->ptr), "cudaPointerGetAttributes");
    if (attr.type != cudaMemoryTypeDevice && attr.type != cudaMemoryTypeManaged)
      throw py::value_error("__cuda_array_interface__ data pointer is not device memory");
    if (attr.device != buf->device)
      throw py::value_error("the array is on cuda:" + std::to_string(attr.device) +
                            " but pyneuro uses cuda:" + std::to_string(buf->device) + " (device mixing)");
  }
  // v3: the producer's work on `stream` must finish before we use the memory.
  if (cai.contains("stream") && !cai["stream"].is_none()) {
    const uintptr_t s = cai["stream"].cast<uintptr_t>();
    pc::check(cudaStreamSynchronize(reinterpret_cast<cudaStream_t>(s)),
              "cudaStreamSynchronize (producer stream)");
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
    case DType::f32:
      pc::fill_f32(n, static_cast<float>(v), a.f32());
      break;
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

py::object item(const DeviceArray& a) {
  if (a.size() != 1)
    throw py::value_error("only one-element arrays can be converted to Python scalars, got shape " +
                          shape_str(a));
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

[[noreturn]] void not_implemented(const std::string& what) {
  PyErr_SetString(PyExc_NotImplementedError,
                  (what + " is not implemented for pyneuro cuda DeviceArrays "
                          "(use the cupy backend, or .numpy() to work on the host)")
                      .c_str());
  throw py::error_already_set();
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
    throw py::type_error(std::string("arange of dtype ") + dtype_name(dt) +
                         " is not implemented on the cuda backend");
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

py::object flags_of(const DeviceArray& a) {
  py::object ns = py::module_::import("types").attr("SimpleNamespace");
  bool f_contig = true;  // C-contiguous arrays are also F-contiguous when at most one dim exceeds 1
  int big = 0;
  for (auto s : a.shape) big += s > 1;
  f_contig = big <= 1;
  return ns(py::arg("c_contiguous") = true, py::arg("f_contiguous") = f_contig,
            py::arg("writeable") = !(a.buf && a.buf->readonly), py::arg("owndata") = a.buf && a.buf->owned);
}
}  // namespace pyneuro::bind::cuda

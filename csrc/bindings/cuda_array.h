// cuda_array.h: pyneuro's device array (cudaMalloc-backed, C-contiguous, float32 /
// int64 / float64) and the checks every CUDA binding runs before a launch.
//
// A DeviceArray is a shape, a dtype and a byte offset into a reference-counted Buffer.
// The Buffer either owns a block of the caching allocator (csrc/cuda/allocator.cu) or
// borrows foreign device memory imported through __cuda_array_interface__, holding a
// reference to the foreign object so the memory outlives every view of it. reshape
// makes views (same Buffer); nothing else aliases.
//
// This header is what every CUDA binding needs (cuda_kernels.cpp included); the array
// namespace's operations are declared in cuda_array_ops.h, one .cpp file per concern.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "checks.h"  // shape_str and the exception conventions shared with the CPU bindings
#include "launch.h"

namespace pyneuro::bind::cuda {

namespace py = pybind11;
namespace pc = pyneuro::cuda;

enum class DType : int { f32 = 0, i64 = 1, f64 = 2, b8 = 3 };  // codes shared with pc::cast

inline std::size_t itemsize(DType d) { return d == DType::f32 ? 4 : d == DType::b8 ? 1 : 8; }
inline const char* dtype_name(DType d) {
  return d == DType::f32 ? "float32" : d == DType::i64 ? "int64" : d == DType::b8 ? "bool" : "float64";
}
inline const char* typestr(DType d) {
  return d == DType::f32 ? "<f4" : d == DType::i64 ? "<i8" : d == DType::b8 ? "|b1" : "<f8";
}

struct Buffer {
  void* ptr = nullptr;
  std::size_t bytes = 0;
  bool owned = false;  // true: return to the caching allocator when the last view dies
  bool readonly = false;
  const char* readonly_why = "it was made read-only";  // said when a write is refused
  int device = 0;
  py::object owner;  // foreign memory: the object that owns it
  // int64 buffers: a [lo, hi] bound of every value, when known without reading the
  // device (set on upload from the host copy, by kernels whose output range is known,
  // and cleared by every write into the buffer). Class targets and gather indices are
  // range-checked with it, so a training step needs no device -> host copy for the
  // check. Never trusted once the memory was shared (__cuda_array_interface__ out) or
  // when it is foreign, since others may write it.
  bool has_range = false;
  bool exported = false;
  int64_t range_lo = 0, range_hi = 0;
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() {
    if (owned) pc::device_free(ptr, bytes);
  }
};

struct DeviceArray {
  std::shared_ptr<Buffer> buf;
  std::size_t offset = 0;  // bytes from buf->ptr
  std::vector<py::ssize_t> shape;
  DType dtype = DType::f32;
  bool view = false;  // shares another array's memory (reshape, slicing, broadcast_to)

  int64_t size() const {
    int64_t n = 1;
    for (auto s : shape) n *= s;
    return n;
  }
  std::size_t nbytes() const { return static_cast<std::size_t>(size()) * itemsize(dtype); }
  void* data() const { return buf && buf->ptr ? static_cast<char*>(buf->ptr) + offset : nullptr; }
  float* f32() const { return static_cast<float*>(data()); }
  int64_t* i64() const { return static_cast<int64_t*>(data()); }
  int ndim() const { return static_cast<int>(shape.size()); }
  int device() const { return buf ? buf->device : 0; }
};

// The cached value bound of an int64 array's buffer (see Buffer::has_range): every value of
// the buffer, so of any view of it, lies in [lo, hi].
bool cached_range(const DeviceArray& a, int64_t& lo, int64_t& hi);
void set_range(const DeviceArray& a, int64_t lo, int64_t hi);
void forget_range(const DeviceArray& a);
// For range checks: [lo, hi] = the cached bound when it lies within [allowed_lo,
// allowed_hi] (no copy), else the exact min and max from one reduction on the device,
// copied to the host (counted by transfer_stats).
void int64_range(const DeviceArray& a, int64_t& lo, int64_t& hi, int64_t allowed_lo, int64_t allowed_hi);

// The current CUDA device (raises RuntimeError with the CUDA error when there is none).
int current_device();

// A new uninitialised array from the caching allocator.
DeviceArray empty(const std::vector<py::ssize_t>& shape, DType dtype);

// numpy dtype-like -> DType; TypeError for anything else.
DType parse_dtype(const py::handle& dtype);
py::dtype numpy_dtype(DType d);

// Checks that obj is a DeviceArray (TypeError otherwise, naming host arrays explicitly:
// mixing devices), of the dtype and rank asked for (ndim < 0: any), and returns it.
DeviceArray& require(const py::handle& obj, const char* name, DType dtype, int ndim = -1);
void require_same_shape(const DeviceArray& a, const char* an, const DeviceArray& b, const char* bn);
void require_writeable(const DeviceArray& a, const char* name);
// All arrays on one device (ValueError otherwise).
void require_same_device(std::initializer_list<const DeviceArray*> arrays);

inline std::string shape_str(const DeviceArray& a) { return pyneuro::bind::shape_str(a.shape); }

void register_array(py::module_& m);
void register_kernels(py::module_& m);

}  // namespace pyneuro::bind::cuda

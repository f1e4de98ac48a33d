// cuda_array_bindings.cpp: the Python face of DeviceArray: the class
// pyneuro._cuda.DeviceArray (properties, methods, operators) and the module functions of
// the array namespace (empty, zeros, asarray, binary, where, concatenate, ...). Only
// argument handling lives here; each entry calls the operation in the cuda_array_*.cpp
// file of its concern (declared in cuda_array_ops.h). Anything not provided raises
// NotImplementedError (or AttributeError) naming the operation.
#include <pybind11/stl.h>

#include <string>
#include <utility>

#include "cuda_array_ops.h"

namespace pyneuro::bind::cuda {

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
      .def_property_readonly("data_ptr",
                             [](const DeviceArray& a) { return reinterpret_cast<uintptr_t>(a.data()); })
      .def_property_readonly("owns_memory",
                             [](const DeviceArray& a) { return a.buf && a.buf->owned && !a.view; })
      .def_property_readonly("__cuda_array_interface__", &cuda_array_interface)
      .def("numpy", &to_numpy, "Copy to a new NumPy array (synchronises).")
      .def("get", &to_numpy, "Same as numpy() (CuPy's name).")
      .def("__array__",
           [](const DeviceArray&, py::args, py::kwargs) -> py::object {
             throw py::type_error(
                 "implicit conversion of a cuda DeviceArray to NumPy is not allowed; "
                 "call .numpy() (or backend.to_numpy) to copy it to the host");
           })
      .def("__len__",
           [](const DeviceArray& a) {
             if (a.ndim() == 0) throw py::type_error("len() of a 0-d array");
             return a.shape[0];
           })
      .def("__repr__",
           [](const DeviceArray& a) {
             return "DeviceArray(shape=" + shape_str(a) + ", dtype=" + dtype_name(a.dtype) +
                    ", device='cuda:" + std::to_string(a.device()) + "')";
           })
      .def(
          "reshape", [](const DeviceArray& a, py::args shape) { return reshape(a, parse_shape(shape)); },
          "A view with a new shape (one dimension may be -1).")
      .def("view", [](const DeviceArray& a, py::args shape) { return reshape(a, parse_shape(shape)); })
      .def("ravel", [](const DeviceArray& a) { return reshape(a, {static_cast<py::ssize_t>(a.size())}); })
      .def("copy", &copy)
      // copy.copy / copy.deepcopy give a new device array (as CuPy's); pickle carries the
      // values through the host and unpickles onto the device (as torch's CUDA tensors).
      .def("__copy__", &copy)
      .def("__deepcopy__", [](const DeviceArray& a, py::dict) { return copy(a); })
      .def("__reduce__",
           [](const DeviceArray& a) {
             return py::make_tuple(py::module_::import("pyneuro._cuda").attr("asarray"),
                                   py::make_tuple(to_numpy(a)));
           })
      .def(
          "astype",
          [](const DeviceArray& a, py::object dtype, bool copy_always) {
            const DType dt = parse_dtype(dtype);
            if (dt == a.dtype) return copy_always ? copy(a) : a;
            DeviceArray out = empty(a.shape, dt);
            pc::cast(a.size(), static_cast<int>(a.dtype), a.data(), static_cast<int>(dt), out.data());
            return out;
          },
          py::arg("dtype"), py::arg("copy") = true)
      .def(
          "fill",
          [](DeviceArray& a, double v) {
            require_writeable(a, "array");
            fill_scalar(a, v);
          },
          "Set every element to a value, in place.")
      .def(
          "copy_from",
          [](DeviceArray& a, const py::object& src) {
            require_writeable(a, "array");
            forget_range(a);
            DeviceArray s = asarray(src, numpy_dtype(a.dtype));
            if (s.shape != a.shape) require_same_shape(a, "array", s, "source");
            pc::copy_device(a.data(), s.data(), a.nbytes());
          },
          "Copy another array (device or host) of the same shape into this one.")
      .def_property_readonly("T", &transpose)
      .def(
          "transpose",
          [](const DeviceArray& a, py::args axes) {
            std::vector<int> ax;
            py::object src = axes;
            if (axes.size() == 1 && !py::isinstance<py::int_>(axes[0])) src = axes[0];
            if (!src.is_none())
              for (auto v : src) ax.push_back(py::cast<int>(v));
            return transpose_axes(a, ax);
          },
          "A transposed copy: axes reversed, or in the order given (np.transpose).")
      .def("swapaxes",
           [](const DeviceArray& a, int i, int j) {
             const int nd = a.ndim();
             std::vector<int> ax(nd);
             for (int k = 0; k < nd; ++k) ax[k] = k;
             if (i < -nd || i >= nd || j < -nd || j >= nd)
               throw py::value_error("swapaxes: axis out of bounds");
             std::swap(ax[(i + nd) % nd], ax[(j + nd) % nd]);
             return transpose_axes(a, ax);
           })
      .def("item", &item)
      .def("__float__", [](const DeviceArray& a) { return item(a).cast<double>(); })
      .def("__int__", [](const DeviceArray& a) { return py::int_(item(a)); })
      .def("__index__",
           [](const DeviceArray& a) {
             if (a.dtype != DType::i64) throw py::type_error("only integer arrays can be used as an index");
             return item(a);
           })
      .def("__bool__", [](const DeviceArray& a) { return item(a).cast<double>() != 0.0; })
      .def(
          "min",
          [](const DeviceArray& a, py::object axis, bool keepdims) {
            return reduce_minmax(a, axis, keepdims, false);
          },
          py::arg("axis") = py::none(), py::arg("keepdims") = false,
          "A device array (float32 along any one axis or all; int64 over all elements).")
      .def(
          "max",
          [](const DeviceArray& a, py::object axis, bool keepdims) {
            return reduce_minmax(a, axis, keepdims, true);
          },
          py::arg("axis") = py::none(), py::arg("keepdims") = false)
      .def(
          "all",
          [](const DeviceArray& a, py::object axis, bool keepdims) {
            return all_any(a, axis, keepdims, true);
          },
          py::arg("axis") = py::none(), py::arg("keepdims") = false)
      .def(
          "any",
          [](const DeviceArray& a, py::object axis, bool keepdims) {
            return all_any(a, axis, keepdims, false);
          },
          py::arg("axis") = py::none(), py::arg("keepdims") = false)
      .def(
          "sum",
          [](const DeviceArray& a, py::object axis, bool keepdims) {
            int64_t count = 0;
            return reduce_sum(a, axis, keepdims, &count);
          },
          py::arg("axis") = py::none(), py::arg("keepdims") = false)
      .def("mean", &reduce_mean, py::arg("axis") = py::none(), py::arg("keepdims") = false)
      .def("__getitem__", &getitem,
           "Basic indexing (ints, slices, None, ...: a view when the result is contiguous, else a read-only "
           "copy) and integer-array indexing of the leading axes (a gather), range-checked.")
      .def(
          "__setitem__", [](DeviceArray& a, py::handle key, py::object value) { setitem(a, key, value); },
          "a[basic key] = value, with broadcasting.")
      .def(
          "argmax", [](const DeviceArray& a, py::object axis) { return argmax_method(a, axis, false); },
          py::arg("axis") = py::none())
      .def(
          "argmin", [](const DeviceArray& a, py::object axis) { return argmax_method(a, axis, true); },
          py::arg("axis") = py::none())
      .def_property_readonly("flags", &flags_of)
      .def("__getattr__",
           [](const DeviceArray&, const std::string& name) -> py::object {
             // Only reached when normal lookup fails: an AttributeError (so hasattr() is False)
             // that names the gap instead of a bare "no attribute".
             if (name.rfind("__", 0) == 0) throw py::attribute_error(name);
             throw py::attribute_error(
                 "'" + name +
                 "' is not implemented for pyneuro cuda DeviceArrays (use the cupy "
                 "backend for full NumPy coverage on the GPU, or .numpy() to work on the host)");
           })
      .def("__invert__",
           [](py::object self) -> py::object {
             if (self.cast<DeviceArray&>().dtype != DType::b8)
               not_implemented("~ of a non-bool array (bitwise not)");
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
  const std::pair<const char*, int> cmps[] = {{"__eq__", EQ},   {"__ne__", NE}, {"__lt__", LT},
                                              {"__le__", LE},   {"__gt__", GT}, {"__ge__", GE},
                                              {"__and__", AND}, {"__or__", OR}, {"__xor__", XOR}};
  for (const auto& [name, op] : cmps) {
    const int code = op;
    cls.def(name, [code](py::object self, py::object other) { return compare(code, self, other); });
  }
  for (const auto& [name, op] :
       {std::pair<const char*, int>{"__rand__", AND}, {"__ror__", OR}, {"__rxor__", XOR}}) {
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

  m.def(
      "empty",
      [](py::object shape, py::object dtype) { return empty(shape_from(shape), parse_dtype(dtype)); },
      py::arg("shape"), py::arg("dtype") = "float32", "An uninitialised device array.");
  m.def(
      "zeros",
      [](py::object shape, py::object dtype) { return full(shape_from(shape), 0.0, parse_dtype(dtype)); },
      py::arg("shape"), py::arg("dtype") = "float32");
  m.def(
      "ones",
      [](py::object shape, py::object dtype) { return full(shape_from(shape), 1.0, parse_dtype(dtype)); },
      py::arg("shape"), py::arg("dtype") = "float32");
  m.def(
      "full",
      [](py::object shape, double v, py::object dtype) {
        return full(shape_from(shape), v, parse_dtype(dtype));
      },
      py::arg("shape"), py::arg("fill_value"), py::arg("dtype") = "float32");
  m.def("asarray", &asarray, py::arg("obj"), py::arg("dtype") = py::none(),
        "Device array from a DeviceArray (as is, or cast), a __cuda_array_interface__ object "
        "(zero-copy view) or anything NumPy accepts (copied to the device).");
  m.def(
      "to_numpy",
      [](py::object obj) {
        if (!py::isinstance<DeviceArray>(obj)) require(obj, "array", DType::f32);  // raises TypeError
        return to_numpy(obj.cast<DeviceArray&>());
      },
      "Copy a DeviceArray to a new NumPy array.");
  m.def(
      "binary",
      [](int op, py::object a, py::object b, py::object out) {
        if (op < 0 || op > POW) throw py::value_error("unknown binary op code " + std::to_string(op));
        if (out.is_none()) return binary(op, a, b, nullptr);
        if (!py::isinstance<DeviceArray>(out)) require(out, "out", DType::f32);  // raises TypeError
        DeviceArray& o = out.cast<DeviceArray&>();
        return binary(op, a, b, &o);
      },
      py::arg("op"), py::arg("a"), py::arg("b"), py::arg("out") = py::none(),
      "Elementwise op (0 add, 1 subtract, 2 multiply, 3 divide, 4 maximum, 5 minimum, 6 power).");
  m.def(
      "unary",
      [](int op, py::object x) {
        if (op < 0 || op > ERFC) throw py::value_error("unknown unary op code " + std::to_string(op));
        return unary(op, require(x, "x", DType::f32));
      },
      "Elementwise op (0 negative, 1 exp, 2 log, 3 sqrt, 4 abs, 5 square, 6 sign, 7 tanh, 8 sin, 9 cos, "
      "10 log1p, 11 expm1, 12 round, 13 floor, 14 ceil, 15 trunc, 16 erf, 17 erfc).");
  m.def(
      "compare",
      [](int op, py::object a, py::object b) {
        if (op < 0 || op > XOR) throw py::value_error("unknown comparison op code " + std::to_string(op));
        py::object r = compare(op, a, b);
        if (r.is(py::reinterpret_borrow<py::object>(Py_NotImplemented)))
          throw py::type_error(std::string("unsupported operands for ") + cmp_name(op));
        return r;
      },
      py::arg("op"), py::arg("a"), py::arg("b"),
      "Elementwise comparison into bool (0 ==, 1 !=, 2 <, 3 <=, 4 >, 5 >=, 6 and, 7 or, 8 xor).");
  m.def("where", &where, py::arg("condition"), py::arg("x"), py::arg("y"));
  m.def(
      "float_predicate",
      [](py::object x, int op) {
        if (!py::isinstance<DeviceArray>(x)) require(x, "x", DType::f32);
        return float_predicate(x.cast<DeviceArray&>(), op);
      },
      py::arg("x"), py::arg("op"), "0 isnan, 1 isfinite, 2 isinf (bool arrays).");
  m.def(
      "arange",
      [](int64_t n, double start, double step, py::object dtype) {
        return arange(n, start, step, parse_dtype(dtype));
      },
      py::arg("n"), py::arg("start"), py::arg("step"), py::arg("dtype"), "n values start, start + step, ...");
  m.def("eye", [](int64_t n, int64_t m_, py::object dtype) { return eye(n, m_, parse_dtype(dtype)); });
  m.def(
      "cumsum",
      [](py::object x, py::object axis) {
        if (!py::isinstance<DeviceArray>(x)) require(x, "x", DType::f32);
        return cumsum(x.cast<DeviceArray&>(), axis);
      },
      py::arg("x"), py::arg("axis") = py::none());
  m.def(
      "concatenate",
      [](const std::vector<DeviceArray>& arrays, int axis) { return concatenate(arrays, axis); },
      py::arg("arrays"), py::arg("axis") = 0);
  m.def(
      "stack", [](const std::vector<DeviceArray>& arrays, int axis) { return stack(arrays, axis); },
      py::arg("arrays"), py::arg("axis") = 0);
  m.def(
      "take_along_axis",
      [](py::object a, py::object idx, int axis) {
        if (!py::isinstance<DeviceArray>(a)) require(a, "arr", DType::f32);
        if (!py::isinstance<DeviceArray>(idx)) require(idx, "indices", DType::i64);
        return take_along_axis(a.cast<DeviceArray&>(), idx.cast<DeviceArray&>(), axis);
      },
      py::arg("arr"), py::arg("indices"), py::arg("axis"));
  m.def(
      "scatter_add",
      [](py::object target, py::object key, py::object values) {
        if (!py::isinstance<DeviceArray>(target)) require(target, "target", DType::f32);
        scatter_add(target.cast<DeviceArray&>(), key, values);
      },
      py::arg("target"), py::arg("index"), py::arg("values"),
      "target[index] += values with repeated indices adding up (numpy.add.at).");
  m.def(
      "transfer_stats",
      []() {
        const auto s = pc::transfer_stats();
        py::dict d;
        d["d2h_copies"] = s.d2h_copies;
        d["d2h_bytes"] = s.d2h_bytes;
        d["h2d_copies"] = s.h2d_copies;
        d["h2d_bytes"] = s.h2d_bytes;
        return d;
      },
      "Counters of host <-> device copies since the last reset_transfer_stats().");
  m.def("reset_transfer_stats", &pc::reset_transfer_stats);
  m.def(
      "broadcast_to",
      [](py::object x, py::object shape) {
        if (!py::isinstance<DeviceArray>(x)) require(x, "x", DType::f32);
        return broadcast_to(x.cast<DeviceArray&>(), shape_from(shape));
      },
      py::arg("x"), py::arg("shape"), "NumPy's broadcast_to (a view when no data repeats, else a copy).");
  m.def(
      "sum",
      [](py::object x, py::object axis, bool keepdims) {
        int64_t count = 0;
        return reduce_sum(require(x, "x", DType::f32), axis, keepdims, &count);
      },
      py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdims") = false);
  m.def(
      "mean",
      [](py::object x, py::object axis, bool keepdims) {
        return reduce_mean(require(x, "x", DType::f32), axis, keepdims);
      },
      py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdims") = false);
  m.def(
      "memory_stats",
      []() {
        const auto s = pc::allocator_stats();
        py::dict d;
        d["cuda_malloc_calls"] = s.cuda_malloc_calls;
        d["cache_hits"] = s.cache_hits;
        d["bytes_in_use"] = s.bytes_in_use;
        d["bytes_cached"] = s.bytes_cached;
        d["blocks_in_use"] = s.blocks_in_use;
        d["blocks_cached"] = s.blocks_cached;
        d["peak_bytes_in_use"] = s.peak_bytes_in_use;
        d["peak_bytes_reserved"] = s.peak_bytes_reserved;
        return d;
      },
      "Caching-allocator counters (cudaMalloc calls, cache hits, bytes in use / cached, their peaks).");
  m.def("reset_peak_stats", &pc::reset_peak_stats, "Set the peaks to the current bytes in use / reserved.");
  m.def("empty_cache", &pc::empty_cache, "Return every cached (free) block to CUDA.");
}
}  // namespace pyneuro::bind::cuda

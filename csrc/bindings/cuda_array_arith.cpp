// cuda_array_arith.cpp: elementwise operations of the device array namespace with NumPy
// broadcasting: a + b (and -, *, /, maximum, minimum, power; in place with out=), the
// unary math functions, comparisons and logical ops into bool arrays, where, and the
// isnan / isfinite / isinf predicates.
//
// Why the broadcasting is done this way: the kernels (pn_binary, pn_compare_*, pn_where_*
// in kernels/array_elementwise.cuh) index each operand in one of five modes (full, row,
// column, immediate scalar, one element) instead of carrying per-axis strides, which
// covers the shapes an MLP meets with no copy. broadcast_mode finds the mode of an
// operand; an operand no mode can express is materialised at the full shape first
// (general_broadcast, one strided copy), so every NumPy broadcast still works.
#include <algorithm>
#include <string>

#include "cuda_array_ops.h"

namespace pyneuro::bind::cuda {

const char* op_name(int op) {
  static const char* names[] = {"add", "subtract", "multiply", "divide", "maximum", "minimum", "power"};
  return names[op];
}

struct Operand {
  bool is_array = false;
  DeviceArray arr;
  float imm = 0.0f;
  double imm_d = 0.0;  // the immediate as given (comparisons of int64 use it exactly)
  bool imm_float = false;  // the immediate was a float (not an int or bool)
  DType orig = DType::f32;  // the array's dtype before any conversion
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
    o.imm_d = py::float_(py::reinterpret_borrow<py::object>(obj)).cast<double>();
    o.imm = static_cast<float>(o.imm_d);
    o.imm_float =
        PyFloat_Check(obj.ptr()) || (!PyLong_Check(obj.ptr()) && py::hasattr(obj, "dtype") &&
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
std::vector<py::ssize_t> broadcast_shape(const std::vector<py::ssize_t>& a,
                                         const std::vector<py::ssize_t>& b) {
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

// How an operand of shape `small` is indexed when broadcast to `out` (pn_binary's modes):
// 0 same elements, 4 a single element, 1 a trailing block repeated ("row": index i % cols),
// 2 a leading block with each element repeated cols times ("column": index i / cols).
// Returns -1 for other patterns (e.g. a middle axis of length 1).
int broadcast_mode(std::vector<py::ssize_t> s, int64_t s_size, const std::vector<py::ssize_t>& out,
                   int64_t& cols) {
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
int64_t operand_modes(std::initializer_list<std::pair<Operand*, int*>> ops,
                      const std::vector<py::ssize_t>& shape) {
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
  if (!a.is_array && !b.is_array)
    throw py::type_error(std::string(op_name(op)) + ": needs at least one DeviceArray");
  if (a.is_array && b.is_array) require_same_device({&a.arr, &b.arr});
  // float32 arithmetic; a bool or int64 operand meeting a float32 one is converted (as torch
  // promotes); integer-only arithmetic is not provided (it would have to give int64).
  const bool a_f = a.is_array ? a.orig == DType::f32 : a.imm_float;
  const bool b_f = b.is_array ? b.orig == DType::f32 : b.imm_float;
  const bool a_b = a.is_array ? a.orig == DType::b8 : PyBool_Check(ha.ptr());
  const bool b_b = b.is_array ? b.orig == DType::b8 : PyBool_Check(hb.ptr());
  const bool integer = !a_f && !b_f && (out == nullptr || out->dtype == DType::i64);
  if (integer && (op == DIV || op == POW || (a_b && b_b)))
    throw py::type_error(
        std::string(op_name(op)) + " of " + (a.is_array ? dtype_name(a.orig) : "int") + " and " +
        (b.is_array ? dtype_name(b.orig) : "int") +
        " device arrays is not implemented on the cuda backend (int64: + - * maximum minimum; "
        "use .astype('float32') for the rest)");
  const DType dt = integer ? DType::i64 : DType::f32;
  if (a.is_array) a.arr = cast_to(a.arr, dt);
  if (b.is_array) b.arr = cast_to(b.arr, dt);
  const std::vector<py::ssize_t> none;
  std::vector<py::ssize_t> shape =
      broadcast_shape(a.is_array ? a.arr.shape : none, b.is_array ? b.arr.shape : none);
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
    pc::binary_i64(result.size(), op, a.is_array ? a.arr.i64() : nullptr, a_mode,
                   static_cast<int64_t>(a.imm_d), b.is_array ? b.arr.i64() : nullptr, b_mode,
                   static_cast<int64_t>(b.imm_d), cols, result.i64());
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

DeviceArray unary(int op, const DeviceArray& x) {
  if (x.dtype != DType::f32)
    throw py::type_error(std::string("elementwise math on ") + dtype_name(x.dtype) +
                         " device arrays is not implemented (only float32)");
  DeviceArray y = empty(x.shape, DType::f32);
  pc::unary(x.size(), op, x.f32(), y.f32());
  return y;
}

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
      throw py::type_error(std::string("'") + cmp_name(op) +
                           "' of device arrays is implemented for bool arrays only");
    dt = DType::b8;
  } else if (is_float_operand(a) || is_float_operand(b)) {
    dt = DType::f32;
  } else {
    dt = bools ? DType::b8 : DType::i64;
  }
  if (a.is_array) a.arr = cast_to(a.arr, dt);
  if (b.is_array) b.arr = cast_to(b.arr, dt);
  const std::vector<py::ssize_t> none;
  std::vector<py::ssize_t> shape =
      broadcast_shape(a.is_array ? a.arr.shape : none, b.is_array ? b.arr.shape : none);
  int a_mode = 3, b_mode = 3;
  const int64_t cols = operand_modes({{&a, &a_mode}, {&b, &b_mode}}, shape);
  DeviceArray out = empty(shape, DType::b8);
  pc::compare(out.size(), static_cast<int>(dt), op, a.is_array ? a.arr.data() : nullptr, a_mode, a.imm_d,
              b.is_array ? b.arr.data() : nullptr, b_mode, b.imm_d, cols,
              reinterpret_cast<uint8_t*>(out.data()));
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
    throw py::type_error(
        "where: the condition must be a device array or a Python scalar (move host arrays to "
        "the device first)");
  }
  if (!a.is_array && !b.is_array && !c.is_array)
    throw py::type_error("where: needs at least one DeviceArray");
  const DType dt = is_float_operand(a) || is_float_operand(b) ? DType::f32 : DType::i64;
  if (a.is_array) a.arr = cast_to(a.arr, dt);
  if (b.is_array) b.arr = cast_to(b.arr, dt);
  const std::vector<py::ssize_t> none;
  std::vector<py::ssize_t> shape =
      broadcast_shape(c.is_array ? c.arr.shape : none, a.is_array ? a.arr.shape : none);
  shape = broadcast_shape(shape, b.is_array ? b.arr.shape : none);
  int c_mode = 3, a_mode = 3, b_mode = 3;
  const int64_t cols = operand_modes({{&c, &c_mode}, {&a, &a_mode}, {&b, &b_mode}}, shape);
  DeviceArray out = empty(shape, dt);
  pc::where(out.size(), static_cast<int>(dt),
            c.is_array ? reinterpret_cast<const uint8_t*>(c.arr.data()) : nullptr, c_mode, c.imm_d != 0.0,
            a.is_array ? a.arr.data() : nullptr, a_mode, a.imm_d, b.is_array ? b.arr.data() : nullptr, b_mode,
            b.imm_d, cols, out.data());
  return out;
}

DeviceArray float_predicate(const DeviceArray& x, int op) {
  if (x.dtype != DType::f32) {  // integers and bools are never NaN or infinite
    if (x.dtype == DType::f64)
      throw py::type_error("isnan/isfinite of float64 device arrays are not implemented");
    return full(x.shape, op == 1 ? 1.0 : 0.0, DType::b8);
  }
  DeviceArray out = empty(x.shape, DType::b8);
  pc::float_predicate(x.size(), op, x.f32(), reinterpret_cast<uint8_t*>(out.data()));
  return out;
}
}  // namespace pyneuro::bind::cuda

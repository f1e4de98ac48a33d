// array_elementwise.cuh: the elementwise kernels of the cuda backend's array namespace
// (not taught kernels: what a Tensor needs to stay on the device): arithmetic with
// broadcasting, unary math, fills, casts, comparisons and logical ops, where, isnan /
// isfinite / isinf, arange. Used through csrc/bindings/cuda_array_arith.cpp.
//
// All are memory-bound grid-stride loops (PN_GRID_STRIDE, common.cuh). Broadcasting is
// carried by an operand mode per input (pn_operand below) rather than per-axis strides:
// enough for the shapes of an MLP, and the host materialises any other broadcast first.
#ifndef PYNEURO_CUDA_KERNELS_ARRAY_ELEMENTWISE_CUH  // include guard (portable to NVRTC)
#define PYNEURO_CUDA_KERNELS_ARRAY_ELEMENTWISE_CUH
#include "common.cuh"

// ------------------------------------------------------------------------ generic ops
// Binary op with the broadcasts a (rows, cols) MLP needs. Operand modes:
//   0 full (index i), 1 row vector (index i % cols, shape (cols,) or (1, cols)),
//   2 column vector (index i / cols, shape (rows, 1)), 3 immediate scalar (the float
//   argument), 4 one-element device array (index 0).
// Ops: 0 add, 1 subtract, 2 multiply, 3 divide, 4 maximum, 5 minimum (NaN propagates),
// 6 power.
template <typename T>
__device__ __forceinline__ T pn_operand(const T* p, int mode, T imm, pn_index i, pn_index cols) {
  switch (mode) {
    case 0:
      return p[i];
    case 1:
      return p[i % cols];
    case 2:
      return p[i / cols];
    case 3:
      return imm;
    default:
      return p[0];
  }
}

extern "C" __global__ void pn_binary(pn_index n, int op, const float* a, int a_mode, float a_imm,
                                     const float* b, int b_mode, float b_imm, pn_index cols, float* out) {
  PN_GRID_STRIDE(i, n) {
    const float x = pn_operand(a, a_mode, a_imm, i, cols), y = pn_operand(b, b_mode, b_imm, i, cols);
    float r;
    switch (op) {
      case 0:
        r = x + y;
        break;
      case 1:
        r = x - y;
        break;
      case 2:
        r = x * y;
        break;
      case 3:
        r = x / y;
        break;
      case 4:
        r = (x != x || x > y) ? x : y;
        break;
      case 5:
        r = (x != x || x < y) ? x : y;
        break;
      default:
        r = y == 2.0f ? x * x : powf(x, y);
        break;
    }
    out[i] = r;
  }
}

// Unary op: 0 negative, 1 exp, 2 log, 3 sqrt, 4 abs, 5 square, 6 sign (0 at 0, NaN
// stays NaN), 7 tanh, 8 sin, 9 cos, 10 log1p, 11 expm1, 12 round (half to even, as
// np.round), 13 floor, 14 ceil, 15 trunc, 16 erf, 17 erfc (GELU's normal CDF).
extern "C" __global__ void pn_unary(pn_index n, int op, const float* x, float* y) {
  PN_GRID_STRIDE(i, n) {
    const float v = x[i];
    float r;
    switch (op) {
      case 0:
        r = -v;
        break;
      case 1:
        r = expf(v);
        break;
      case 2:
        r = logf(v);
        break;
      case 3:
        r = sqrtf(v);
        break;
      case 4:
        r = fabsf(v);
        break;
      case 5:
        r = v * v;
        break;
      case 6:
        r = v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : v;
        break;
      case 7:
        r = tanhf(v);
        break;
      case 8:
        r = sinf(v);
        break;
      case 9:
        r = cosf(v);
        break;
      case 10:
        r = log1pf(v);
        break;
      case 11:
        r = expm1f(v);
        break;
      case 12:
        r = rintf(v);
        break;
      case 13:
        r = floorf(v);
        break;
      case 14:
        r = ceilf(v);
        break;
      case 15:
        r = truncf(v);
        break;
      case 16:
        r = erff(v);
        break;
      default:
        r = erfcf(v);
        break;
    }
    y[i] = r;
  }
}

extern "C" __global__ void pn_fill_f32(pn_index n, float value, float* y) {
  PN_GRID_STRIDE(i, n) y[i] = value;
}

extern "C" __global__ void pn_fill_i64(pn_index n, long long value, long long* y) {
  PN_GRID_STRIDE(i, n) y[i] = value;
}

// Casts between the device dtypes (float -> int truncates toward zero, as astype does;
// anything -> bool is "!= 0", so NaN -> true as in NumPy; bool is one byte, 0 or 1).
extern "C" __global__ void pn_cast_i64_f32(pn_index n, const long long* x, float* y) {
  PN_GRID_STRIDE(i, n) y[i] = (float)x[i];
}
extern "C" __global__ void pn_cast_f32_i64(pn_index n, const float* x, long long* y) {
  PN_GRID_STRIDE(i, n) y[i] = (long long)x[i];
}
extern "C" __global__ void pn_cast_f64_f32(pn_index n, const double* x, float* y) {
  PN_GRID_STRIDE(i, n) y[i] = (float)x[i];
}
extern "C" __global__ void pn_cast_f32_f64(pn_index n, const float* x, double* y) {
  PN_GRID_STRIDE(i, n) y[i] = (double)x[i];
}

extern "C" __global__ void pn_cast_b8_f32(pn_index n, const unsigned char* x, float* y) {
  PN_GRID_STRIDE(i, n) y[i] = x[i] ? 1.0f : 0.0f;
}
extern "C" __global__ void pn_cast_b8_i64(pn_index n, const unsigned char* x, long long* y) {
  PN_GRID_STRIDE(i, n) y[i] = x[i] ? 1 : 0;
}
extern "C" __global__ void pn_cast_f32_b8(pn_index n, const float* x, unsigned char* y) {
  PN_GRID_STRIDE(i, n) y[i] = x[i] != 0.0f;
}
extern "C" __global__ void pn_cast_i64_b8(pn_index n, const long long* x, unsigned char* y) {
  PN_GRID_STRIDE(i, n) y[i] = x[i] != 0;
}

// ------------------------------------------------------------------------ comparisons, logic, where
// Elementwise comparisons and logical ops giving bool (one byte, 0 or 1), with the operand
// modes of pn_binary. Ops: 0 ==, 1 !=, 2 <, 3 <=, 4 >, 5 >= (NaN compares false except
// !=, as in IEEE and NumPy), 6 logical and, 7 logical or, 8 logical xor (on x != 0).
template <typename T>
__device__ __forceinline__ void pn_compare_impl(pn_index n, int op, const T* a, int a_mode, T a_imm,
                                                const T* b, int b_mode, T b_imm, pn_index cols,
                                                unsigned char* out) {
  PN_GRID_STRIDE(i, n) {
    const T x = pn_operand(a, a_mode, a_imm, i, cols), y = pn_operand(b, b_mode, b_imm, i, cols);
    bool r;
    switch (op) {
      case 0:
        r = x == y;
        break;
      case 1:
        r = x != y;
        break;
      case 2:
        r = x < y;
        break;
      case 3:
        r = x <= y;
        break;
      case 4:
        r = x > y;
        break;
      case 5:
        r = x >= y;
        break;
      case 6:
        r = (x != 0) && (y != 0);
        break;
      case 7:
        r = (x != 0) || (y != 0);
        break;
      default:
        r = (x != 0) != (y != 0);
        break;
    }
    out[i] = r ? 1 : 0;
  }
}

extern "C" __global__ void pn_compare_f32(pn_index n, int op, const float* a, int a_mode, float a_imm,
                                          const float* b, int b_mode, float b_imm, pn_index cols,
                                          unsigned char* out) {
  pn_compare_impl(n, op, a, a_mode, a_imm, b, b_mode, b_imm, cols, out);
}
extern "C" __global__ void pn_compare_i64(pn_index n, int op, const long long* a, int a_mode, long long a_imm,
                                          const long long* b, int b_mode, long long b_imm, pn_index cols,
                                          unsigned char* out) {
  pn_compare_impl(n, op, a, a_mode, a_imm, b, b_mode, b_imm, cols, out);
}
extern "C" __global__ void pn_compare_b8(pn_index n, int op, const unsigned char* a, int a_mode,
                                         unsigned char a_imm, const unsigned char* b, int b_mode,
                                         unsigned char b_imm, pn_index cols, unsigned char* out) {
  pn_compare_impl(n, op, a, a_mode, a_imm, b, b_mode, b_imm, cols, out);
}

// out = cond ? a : b, every operand with its own mode (shared cols, as pn_binary).
template <typename T>
__device__ __forceinline__ void pn_where_impl(pn_index n, const unsigned char* c, int c_mode,
                                              unsigned char c_imm, const T* a, int a_mode, T a_imm,
                                              const T* b, int b_mode, T b_imm, pn_index cols, T* out) {
  PN_GRID_STRIDE(i, n) {
    out[i] = pn_operand(c, c_mode, c_imm, i, cols) ? pn_operand(a, a_mode, a_imm, i, cols)
                                                   : pn_operand(b, b_mode, b_imm, i, cols);
  }
}

extern "C" __global__ void pn_where_f32(pn_index n, const unsigned char* c, int c_mode, unsigned char c_imm,
                                        const float* a, int a_mode, float a_imm, const float* b, int b_mode,
                                        float b_imm, pn_index cols, float* out) {
  pn_where_impl(n, c, c_mode, c_imm, a, a_mode, a_imm, b, b_mode, b_imm, cols, out);
}
extern "C" __global__ void pn_where_i64(pn_index n, const unsigned char* c, int c_mode, unsigned char c_imm,
                                        const long long* a, int a_mode, long long a_imm, const long long* b,
                                        int b_mode, long long b_imm, pn_index cols, long long* out) {
  pn_where_impl(n, c, c_mode, c_imm, a, a_mode, a_imm, b, b_mode, b_imm, cols, out);
}

// int64 arithmetic with the same operand modes: 0 add, 1 subtract, 2 multiply, 4 maximum,
// 5 minimum (wrapping on overflow, as NumPy's int64 does).
extern "C" __global__ void pn_binary_i64(pn_index n, int op, const long long* a, int a_mode, long long a_imm,
                                         const long long* b, int b_mode, long long b_imm, pn_index cols,
                                         long long* out) {
  PN_GRID_STRIDE(i, n) {
    const unsigned long long x = (unsigned long long)pn_operand(a, a_mode, a_imm, i, cols);
    const unsigned long long y = (unsigned long long)pn_operand(b, b_mode, b_imm, i, cols);
    long long r;
    switch (op) {
      case 0:
        r = (long long)(x + y);
        break;
      case 1:
        r = (long long)(x - y);
        break;
      case 2:
        r = (long long)(x * y);
        break;
      case 4:
        r = (long long)x > (long long)y ? (long long)x : (long long)y;
        break;
      default:
        r = (long long)x < (long long)y ? (long long)x : (long long)y;
        break;
    }
    out[i] = r;
  }
}

// Float predicates giving bool: 0 isnan, 1 isfinite, 2 isinf.
extern "C" __global__ void pn_float_predicate(pn_index n, int op, const float* x, unsigned char* out) {
  PN_GRID_STRIDE(i, n) {
    const float v = x[i];
    const bool nan = v != v, inf = v == pn_pos_inf() || v == pn_neg_inf();
    out[i] = op == 0 ? nan : op == 1 ? !(nan || inf) : inf;
  }
}

// ------------------------------------------------------------------------ arange
// y[i] = start + i * step, computed in double (as NumPy does) then stored.
extern "C" __global__ void pn_arange_f32(pn_index n, double start, double step, float* y) {
  PN_GRID_STRIDE(i, n) y[i] = (float)(start + (double)i * step);
}
extern "C" __global__ void pn_arange_i64(pn_index n, long long start, long long step, long long* y) {
  PN_GRID_STRIDE(i, n) y[i] = start + i * step;
}

#endif  // PYNEURO_CUDA_KERNELS_ARRAY_ELEMENTWISE_CUH

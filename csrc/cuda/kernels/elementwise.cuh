// elementwise.cuh: the memory-bound kernels of a training step, plus the small generic
// ops (arithmetic with broadcasting, reductions, fills, casts) that the cuda backend's
// array namespace needs so a Tensor can stay on the device.
//
// All of these move each byte once and do O(1) FLOPs per element, so their speed is
// the memory bandwidth: e.g. relu_forward reads 4n and writes 4n bytes. Elementwise
// kernels use grid-stride loops (any n with a bounded grid, consecutive threads on
// consecutive addresses); reductions are deterministic (a fixed tree, no atomics), so
// the same input always gives the same bits.
#ifndef PYNEURO_CUDA_KERNELS_ELEMENTWISE_CUH  // include guard (portable to NVRTC)
#define PYNEURO_CUDA_KERNELS_ELEMENTWISE_CUH
#include "common.cuh"

#define PN_GRID_STRIDE(i, n) \
  for (pn_index i = (pn_index)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (pn_index)gridDim.x * blockDim.x)

// ------------------------------------------------------------------------ relu
// y = max(x, 0), NaN propagates (x != x keeps it), as torch.relu and np.maximum do.
extern "C" __global__ void pn_relu_forward(pn_index n, const float* x, float* y) {
  PN_GRID_STRIDE(i, n) {
    const float v = x[i];
    y[i] = (v > 0.0f || v != v) ? v : 0.0f;
  }
}

// dx = 0 where x <= 0, else g (x may be relu's input or its output).
extern "C" __global__ void pn_relu_backward(pn_index n, const float* g, const float* x, float* dx) {
  PN_GRID_STRIDE(i, n) dx[i] = x[i] <= 0.0f ? 0.0f : g[i];
}

// ------------------------------------------------------------------------ bias
// y[r, c] = x[r, c] + b[c]
extern "C" __global__ void pn_bias_add(pn_index rows, pn_index cols, const float* x, const float* b, float* y) {
  PN_GRID_STRIDE(i, rows * cols) y[i] = x[i] + b[i % cols];
}

// out[c] = sum_r g[r, c]: block (32, 8) covers 32 columns; its 8 thread rows split the
// rows (reading 32 consecutive floats per warp), then shared memory adds the 8 partials.
// Grid: ceil(cols / 32). Also the axis-0 sum of the array namespace.
extern "C" __global__ void pn_column_sum(pn_index rows, pn_index cols, const float* g, float* out) {
  __shared__ float partial[8][33];
  const pn_index c = (pn_index)blockIdx.x * 32 + threadIdx.x;
  float acc = 0.0f;
  if (c < cols)
    for (pn_index r = threadIdx.y; r < rows; r += blockDim.y) acc += g[r * cols + c];
  partial[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && c < cols) {
    float total = 0.0f;
    for (int k = 0; k < (int)blockDim.y; ++k) total += partial[k][threadIdx.x];
    out[c] = total;
  }
}

// out[r] = sum_c x[r, c], one row per row group (see common.cuh).
extern "C" __global__ void pn_row_sum(pn_index rows, pn_index cols, const float* x, float* out) {
  const pn_index row = pn_group_row();
  const bool valid = row < rows;
  float acc = 0.0f;
  if (valid)
    for (pn_index j = threadIdx.x; j < cols; j += blockDim.x) acc += x[row * cols + j];
  acc = pn_group_sum(acc);
  if (valid && threadIdx.x == 0) out[row] = acc;
}

// ------------------------------------------------------------------------ optimizers
// torch.optim.SGD, in place:  g = grad + wd * p;  buf = g (first step) or
// momentum * buf + (1 - dampening) * g;  g = nesterov ? g + momentum * buf : buf;  p -= lr * g.
// use_momentum = 0 skips the buffer (it may be null then).
extern "C" __global__ void pn_sgd_step(pn_index n, float* param, const float* grad, float* buf, float lr,
                                       float momentum, float dampening, float weight_decay, int nesterov,
                                       int first_step, int use_momentum) {
  PN_GRID_STRIDE(i, n) {
    const float p = param[i];
    float g = weight_decay != 0.0f ? grad[i] + weight_decay * p : grad[i];
    if (use_momentum) {
      const float b = first_step ? g : momentum * buf[i] + (1.0f - dampening) * g;
      buf[i] = b;
      g = nesterov ? g + momentum * b : b;
    }
    param[i] = p - lr * g;
  }
}

// torch.optim.Adam (L2 weight decay), in place. step_size = lr / (1 - beta1^t) and
// inv_sqrt_bc2 = 1 / sqrt(1 - beta2^t) are computed on the host in double precision.
extern "C" __global__ void pn_adam_step(pn_index n, float* param, const float* grad, float* exp_avg,
                                        float* exp_avg_sq, float step_size, float beta1, float beta2, float eps,
                                        float weight_decay, float inv_sqrt_bc2) {
  PN_GRID_STRIDE(i, n) {
    const float p = param[i];
    const float g = weight_decay != 0.0f ? grad[i] + weight_decay * p : grad[i];
    const float m = beta1 * exp_avg[i] + (1.0f - beta1) * g;
    const float v = beta2 * exp_avg_sq[i] + (1.0f - beta2) * g * g;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    param[i] = p - step_size * m / (sqrtf(v) * inv_sqrt_bc2 + eps);
  }
}

// ------------------------------------------------------------------------ argmax
// Index of the first maximum of each row; a NaN counts as the maximum (first NaN wins),
// as np.argmax. Warp per row: blockDim (32, 8), grid ceil(rows / 8). cols >= 1.
__device__ __forceinline__ bool pn_argmax_better(float a, long long ia, float b, long long ib) {
  const bool an = a != a, bn = b != b;
  if (an || bn) return an && (!bn || ia < ib);
  return a > b || (a == b && ia < ib);
}

extern "C" __global__ void pn_argmax_rows(pn_index rows, pn_index cols, const float* x, long long* out) {
  const pn_index row = pn_group_row();
  if (row >= rows) return;  // warp-per-row: no block-level synchronisation below
  const float* xr = x + row * cols;
  float best = pn_neg_inf();
  long long best_i = cols;  // sentinel: any real element is better (ties go to lower index)
  for (pn_index j = threadIdx.x; j < cols; j += 32) {
    const float v = xr[j];
    if (best_i == cols || pn_argmax_better(v, j, best, best_i)) { best = v; best_i = j; }
  }
  for (int off = 16; off > 0; off >>= 1) {
    const float ov = __shfl_xor_sync(PN_FULL_MASK, best, off);
    const long long oi = __shfl_xor_sync(PN_FULL_MASK, best_i, off);
    if (oi != cols && (best_i == cols || pn_argmax_better(ov, oi, best, best_i))) { best = ov; best_i = oi; }
  }
  if (threadIdx.x == 0) out[row] = best_i;
}

// ------------------------------------------------------------------------ integer range
// out[0] = min, out[1] = max of an int64 array (n >= 1), used to range-check class targets
// before a cross-entropy kernel indexes with them. One block of 1024 threads.
extern "C" __global__ void pn_int64_minmax(pn_index n, const long long* t, long long* out) {
  __shared__ long long smin[32], smax[32];
  long long lo = t[0], hi = t[0];
  for (pn_index i = threadIdx.x; i < n; i += blockDim.x) {
    const long long v = t[i];
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  for (int off = 16; off > 0; off >>= 1) {
    const long long ol = __shfl_xor_sync(PN_FULL_MASK, lo, off), oh = __shfl_xor_sync(PN_FULL_MASK, hi, off);
    lo = ol < lo ? ol : lo;
    hi = oh > hi ? oh : hi;
  }
  if ((threadIdx.x & 31) == 0) { smin[threadIdx.x / 32] = lo; smax[threadIdx.x / 32] = hi; }
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < (int)blockDim.x / 32; ++w) {
      lo = smin[w] < lo ? smin[w] : lo;
      hi = smax[w] > hi ? smax[w] : hi;
    }
    out[0] = lo;
    out[1] = hi;
  }
}

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
    case 0: return p[i];
    case 1: return p[i % cols];
    case 2: return p[i / cols];
    case 3: return imm;
    default: return p[0];
  }
}

extern "C" __global__ void pn_binary(pn_index n, int op, const float* a, int a_mode, float a_imm, const float* b,
                                     int b_mode, float b_imm, pn_index cols, float* out) {
  PN_GRID_STRIDE(i, n) {
    const float x = pn_operand(a, a_mode, a_imm, i, cols), y = pn_operand(b, b_mode, b_imm, i, cols);
    float r;
    switch (op) {
      case 0: r = x + y; break;
      case 1: r = x - y; break;
      case 2: r = x * y; break;
      case 3: r = x / y; break;
      case 4: r = (x != x || x > y) ? x : y; break;
      case 5: r = (x != x || x < y) ? x : y; break;
      default: r = y == 2.0f ? x * x : powf(x, y); break;
    }
    out[i] = r;
  }
}

// Unary op: 0 negative, 1 exp, 2 log, 3 sqrt, 4 abs, 5 square, 6 sign (0 at 0, NaN
// stays NaN), 7 tanh, 8 sin, 9 cos, 10 log1p, 11 expm1, 12 round (half to even, as
// np.round), 13 floor, 14 ceil, 15 trunc.
extern "C" __global__ void pn_unary(pn_index n, int op, const float* x, float* y) {
  PN_GRID_STRIDE(i, n) {
    const float v = x[i];
    float r;
    switch (op) {
      case 0: r = -v; break;
      case 1: r = expf(v); break;
      case 2: r = logf(v); break;
      case 3: r = sqrtf(v); break;
      case 4: r = fabsf(v); break;
      case 5: r = v * v; break;
      case 6: r = v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : v; break;
      case 7: r = tanhf(v); break;
      case 8: r = sinf(v); break;
      case 9: r = cosf(v); break;
      case 10: r = log1pf(v); break;
      case 11: r = expm1f(v); break;
      case 12: r = rintf(v); break;
      case 13: r = floorf(v); break;
      case 14: r = ceilf(v); break;
      default: r = truncf(v); break;
    }
    y[i] = r;
  }
}

// Sum of n floats in two deterministic stages: pn_sum_partial writes one partial sum per
// block (grid <= 1024, blockDim 256), then pn_sum_partial on the partials with one block.
extern "C" __global__ void pn_sum_partial(pn_index n, const float* x, float* partial) {
  __shared__ float warp_sums[32];
  float acc = 0.0f;
  PN_GRID_STRIDE(i, n) acc += x[i];
  acc = pn_warp_sum(acc);
  if ((threadIdx.x & 31) == 0) warp_sums[threadIdx.x / 32] = acc;
  __syncthreads();
  if (threadIdx.x == 0) {
    float total = 0.0f;
    for (int w = 0; w < (int)blockDim.x / 32; ++w) total += warp_sums[w];
    partial[blockIdx.x] = total;
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
__device__ __forceinline__ void pn_compare_impl(pn_index n, int op, const T* a, int a_mode, T a_imm, const T* b,
                                                int b_mode, T b_imm, pn_index cols, unsigned char* out) {
  PN_GRID_STRIDE(i, n) {
    const T x = pn_operand(a, a_mode, a_imm, i, cols), y = pn_operand(b, b_mode, b_imm, i, cols);
    bool r;
    switch (op) {
      case 0: r = x == y; break;
      case 1: r = x != y; break;
      case 2: r = x < y; break;
      case 3: r = x <= y; break;
      case 4: r = x > y; break;
      case 5: r = x >= y; break;
      case 6: r = (x != 0) && (y != 0); break;
      case 7: r = (x != 0) || (y != 0); break;
      default: r = (x != 0) != (y != 0); break;
    }
    out[i] = r ? 1 : 0;
  }
}

extern "C" __global__ void pn_compare_f32(pn_index n, int op, const float* a, int a_mode, float a_imm, const float* b,
                                          int b_mode, float b_imm, pn_index cols, unsigned char* out) {
  pn_compare_impl(n, op, a, a_mode, a_imm, b, b_mode, b_imm, cols, out);
}
extern "C" __global__ void pn_compare_i64(pn_index n, int op, const long long* a, int a_mode, long long a_imm,
                                          const long long* b, int b_mode, long long b_imm, pn_index cols,
                                          unsigned char* out) {
  pn_compare_impl(n, op, a, a_mode, a_imm, b, b_mode, b_imm, cols, out);
}
extern "C" __global__ void pn_compare_b8(pn_index n, int op, const unsigned char* a, int a_mode, unsigned char a_imm,
                                         const unsigned char* b, int b_mode, unsigned char b_imm, pn_index cols,
                                         unsigned char* out) {
  pn_compare_impl(n, op, a, a_mode, a_imm, b, b_mode, b_imm, cols, out);
}

// out = cond ? a : b, every operand with its own mode (shared cols, as pn_binary).
template <typename T>
__device__ __forceinline__ void pn_where_impl(pn_index n, const unsigned char* c, int c_mode, unsigned char c_imm,
                                              const T* a, int a_mode, T a_imm, const T* b, int b_mode, T b_imm,
                                              pn_index cols, T* out) {
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
      case 0: r = (long long)(x + y); break;
      case 1: r = (long long)(x - y); break;
      case 2: r = (long long)(x * y); break;
      case 4: r = (long long)x > (long long)y ? (long long)x : (long long)y; break;
      default: r = (long long)x < (long long)y ? (long long)x : (long long)y; break;
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

// ------------------------------------------------------------------------ more reductions
// Two-stage, deterministic, like pn_sum_partial: int64 sums (counts, e.g. of correct
// predictions), and float max / min over all elements (op 0 max, 1 min; NaN propagates).
extern "C" __global__ void pn_sum_partial_i64(pn_index n, const long long* x, long long* partial) {
  __shared__ long long warp_sums[32];
  long long acc = 0;
  PN_GRID_STRIDE(i, n) acc += x[i];
  for (int off = 16; off > 0; off >>= 1) acc += __shfl_xor_sync(PN_FULL_MASK, acc, off);
  if ((threadIdx.x & 31) == 0) warp_sums[threadIdx.x / 32] = acc;
  __syncthreads();
  if (threadIdx.x == 0) {
    long long total = 0;
    for (int w = 0; w < (int)blockDim.x / 32; ++w) total += warp_sums[w];
    partial[blockIdx.x] = total;
  }
}

// out[r] = sum_c x[r, c] for int64 (e.g. counts of a bool mask along an axis): a warp per
// row, blockDim (32, 8), grid ceil(rows / 8); whole warps leave together, no block barrier.
extern "C" __global__ void pn_row_sum_i64(pn_index rows, pn_index cols, const long long* x, long long* out) {
  const pn_index row = pn_group_row();
  if (row >= rows) return;
  long long acc = 0;
  for (pn_index j = threadIdx.x; j < cols; j += 32) acc += x[row * cols + j];
  for (int off = 16; off > 0; off >>= 1) acc += __shfl_xor_sync(PN_FULL_MASK, acc, off);
  if (threadIdx.x == 0) out[row] = acc;
}

// Running sums along rows: out[r, c] = sum_{j <= c} x[r, j] (np.cumsum on the last axis).
// One thread per row, in order: exact left-to-right float32 sums like NumPy's, simple to
// read; fine for the short rows it serves (not a parallel scan).
extern "C" __global__ void pn_cumsum_rows(pn_index rows, pn_index cols, const float* x, float* out) {
  PN_GRID_STRIDE(r, rows) {
    float acc = 0.0f;
    for (pn_index c = 0; c < cols; ++c) {
      acc += x[r * cols + c];
      out[r * cols + c] = acc;
    }
  }
}

__device__ __forceinline__ float pn_nanmin(float a, float b) { return (a != a || a < b) ? a : b; }

extern "C" __global__ void pn_minmax_partial_f32(pn_index n, int op, const float* x, float* partial) {
  __shared__ float warp_best[32];
  float best = op == 0 ? pn_neg_inf() : pn_pos_inf();
  PN_GRID_STRIDE(i, n) best = op == 0 ? pn_nanmax(best, x[i]) : pn_nanmin(best, x[i]);
  for (int off = 16; off > 0; off >>= 1) {
    const float o = __shfl_xor_sync(PN_FULL_MASK, best, off);
    best = op == 0 ? pn_nanmax(best, o) : pn_nanmin(best, o);
  }
  if ((threadIdx.x & 31) == 0) warp_best[threadIdx.x / 32] = best;
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < (int)blockDim.x / 32; ++w)
      best = op == 0 ? pn_nanmax(best, warp_best[w]) : pn_nanmin(best, warp_best[w]);
    partial[blockIdx.x] = best;
  }
}

// y = x^T for a (rows, cols) matrix, through a 32 x 33 shared tile so both the reads and
// the writes are coalesced. Block (32, 8); grid (ceil(cols/32), ceil(rows/32)).
extern "C" __global__ void pn_transpose(pn_index rows, pn_index cols, const float* x, float* y) {
  __shared__ float tile[32][33];
  const pn_index r0 = (pn_index)blockIdx.y * 32, c0 = (pn_index)blockIdx.x * 32;
  for (int k = threadIdx.y; k < 32; k += blockDim.y) {
    const pn_index r = r0 + k, c = c0 + threadIdx.x;
    if (r < rows && c < cols) tile[k][threadIdx.x] = x[r * cols + c];
  }
  __syncthreads();
  for (int k = threadIdx.y; k < 32; k += blockDim.y) {
    const pn_index c = c0 + k, r = r0 + threadIdx.x;  // y is (cols, rows)
    if (r < rows && c < cols) y[c * rows + r] = tile[threadIdx.x][k];
  }
}

#endif  // PYNEURO_CUDA_KERNELS_ELEMENTWISE_CUH

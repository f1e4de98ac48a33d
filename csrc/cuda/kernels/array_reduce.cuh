// array_reduce.cuh: the reductions of the cuda backend's array namespace: sums (all
// elements, per row; float32 and int64), max / min, argmax per row, the min and max of an
// int64 array (range checks of class targets and gather indices), running sums.
// Used through csrc/bindings/cuda_array_reduce.cpp and the kernel table (argmax,
// cross-entropy target checks).
//
// Every reduction is deterministic: a fixed tree (warp shuffles, then shared memory, then
// a second launch over the per-block partials), never atomics, so the same input always
// gives the same bits. pn_column_sum (bias.cuh) is the axis-0 float32 sum.
#ifndef PYNEURO_CUDA_KERNELS_ARRAY_REDUCE_CUH  // include guard (portable to NVRTC)
#define PYNEURO_CUDA_KERNELS_ARRAY_REDUCE_CUH
#include "common.cuh"

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
    if (best_i == cols || pn_argmax_better(v, j, best, best_i)) {
      best = v;
      best_i = j;
    }
  }
  for (int off = 16; off > 0; off >>= 1) {
    const float ov = __shfl_xor_sync(PN_FULL_MASK, best, off);
    const long long oi = __shfl_xor_sync(PN_FULL_MASK, best_i, off);
    if (oi != cols && (best_i == cols || pn_argmax_better(ov, oi, best, best_i))) {
      best = ov;
      best_i = oi;
    }
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
  if ((threadIdx.x & 31) == 0) {
    smin[threadIdx.x / 32] = lo;
    smax[threadIdx.x / 32] = hi;
  }
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
// One thread per row, in order, simple to read; fine for the short rows it serves (not a
// parallel scan). The sum runs in double and each output is rounded once, as the CPU
// backends do (a float32 running sum drifts: 0.2 after 1e5 numbers), so both devices agree.
extern "C" __global__ void pn_cumsum_rows(pn_index rows, pn_index cols, const float* x, float* out) {
  PN_GRID_STRIDE(r, rows) {
    double acc = 0.0;
    for (pn_index c = 0; c < cols; ++c) {
      acc += x[r * cols + c];
      out[r * cols + c] = (float)acc;
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

#endif  // PYNEURO_CUDA_KERNELS_ARRAY_REDUCE_CUH

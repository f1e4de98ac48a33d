// softmax.cuh: softmax, log_softmax, their backward passes, and cross-entropy fused
// with softmax, one row of a (rows, cols) float32 matrix per thread group.
//
// Forward cost per row of n: ~n exp, 4n FLOPs; bytes: the row is read twice (once for
// the online max/sum, once to write y) and written once, 12n bytes, where the second
// read mostly hits L2. The online max/sum (common.cuh) replaces the textbook three
// passes (max, sum, write) by two, and never leaves the row's group of threads.
//
// Launch: blockDim = (32, 8) for warp-per-row (rows up to ~1k columns: a warp's 32
// lanes stride over the row, shuffles reduce it, no shared memory), or (256, 1) for
// block-per-row (long rows: 8 warps share the row, shared memory merges the warps).
// gridDim.x = ceil(rows / blockDim.y). float4 loads are used when every row starts on
// a 16-byte boundary (cols % 4 == 0 and 16-byte-aligned pointers): a quarter of the
// load instructions for the same bytes.
//
// Cross-entropy (integer targets t): loss_i = logsumexp(x_i) - x_i[t_i], and
// grad_i = (softmax(x_i) - onehot(t_i)) * grad_loss_i. The probabilities are never
// stored: the backward pass recomputes exp(x - m) / s on the fly, so the forward writes
// rows floats instead of rows * cols. Targets are range-checked by the host before launch.
#ifndef PYNEURO_CUDA_KERNELS_SOFTMAX_CUH  // include guard (portable to NVRTC)
#define PYNEURO_CUDA_KERNELS_SOFTMAX_CUH
#include "common.cuh"

// Online (max, sum-exp) of one row, reduced over the row group.
__device__ __forceinline__ void pn_row_stats(const float* xr, pn_index cols, bool valid, float& m, float& s) {
  m = pn_neg_inf();
  s = 0.0f;
  if (valid) {
    const pn_index step = blockDim.x;
    if ((cols & 3) == 0 && pn_aligned16(xr)) {
      const float4* x4 = reinterpret_cast<const float4*>(xr);
      for (pn_index j = threadIdx.x; j < cols / 4; j += step) {
        const float4 v = x4[j];
        pn_online_add(m, s, v.x);
        pn_online_add(m, s, v.y);
        pn_online_add(m, s, v.z);
        pn_online_add(m, s, v.w);
      }
    } else {
      for (pn_index j = threadIdx.x; j < cols; j += step) pn_online_add(m, s, xr[j]);
    }
  }
  pn_group_online(m, s);
  pn_online_finish(m, s);
}

// log_output = 0: y = exp(x - m) / s;  log_output = 1: y = (x - m) - log s.
// (x - m) first: it is exact near the maximum, where m + log s would round away the small
// log s; the same holds for cross-entropy below.
__device__ __forceinline__ void pn_softmax_rows(pn_index rows, pn_index cols, const float* x, float* y,
                                                int log_output) {
  const pn_index row = pn_group_row();
  const bool valid = row < rows;
  const float* xr = x + (valid ? row * cols : 0);
  float m, s;
  pn_row_stats(xr, cols, valid, m, s);
  if (!valid) return;  // after the last __syncthreads of the reduction
  float* yr = y + row * cols;
  const float inv_s = 1.0f / s;
  const float log_s = logf(s);
  const pn_index step = blockDim.x;
  if ((cols & 3) == 0 && pn_aligned16(xr) && pn_aligned16(yr)) {
    const float4* x4 = reinterpret_cast<const float4*>(xr);
    float4* y4 = reinterpret_cast<float4*>(yr);
    for (pn_index j = threadIdx.x; j < cols / 4; j += step) {
      float4 v = x4[j];
      if (log_output) {
        v.x = (v.x - m) - log_s;
        v.y = (v.y - m) - log_s;
        v.z = (v.z - m) - log_s;
        v.w = (v.w - m) - log_s;
      } else {
        v.x = expf(v.x - m) * inv_s;
        v.y = expf(v.y - m) * inv_s;
        v.z = expf(v.z - m) * inv_s;
        v.w = expf(v.w - m) * inv_s;
      }
      y4[j] = v;
    }
  } else {
    for (pn_index j = threadIdx.x; j < cols; j += step)
      yr[j] = log_output ? (xr[j] - m) - log_s : expf(xr[j] - m) * inv_s;
  }
}

extern "C" __global__ void pn_softmax_warp(pn_index rows, pn_index cols, const float* x, float* y) {
  pn_softmax_rows(rows, cols, x, y, 0);
}
extern "C" __global__ void pn_softmax_block(pn_index rows, pn_index cols, const float* x, float* y) {
  pn_softmax_rows(rows, cols, x, y, 0);
}
extern "C" __global__ void pn_log_softmax_rows(pn_index rows, pn_index cols, const float* x, float* y) {
  pn_softmax_rows(rows, cols, x, y, 1);
}

// softmax backward: dx = y * (g - sum_j g_j y_j);  log_softmax backward (log_output = 1,
// y = log-probabilities): dx = g - exp(y) * sum_j g_j.
extern "C" __global__ void pn_softmax_backward_rows(pn_index rows, pn_index cols, const float* g,
                                                    const float* y, float* dx, int log_output) {
  const pn_index row = pn_group_row();
  const bool valid = row < rows;
  const pn_index base = valid ? row * cols : 0;
  float acc = 0.0f;
  if (valid)
    for (pn_index j = threadIdx.x; j < cols; j += blockDim.x)
      acc += log_output ? g[base + j] : g[base + j] * y[base + j];
  const float total = pn_group_sum(acc);
  if (!valid) return;
  for (pn_index j = threadIdx.x; j < cols; j += blockDim.x) {
    const float gj = g[base + j], yj = y[base + j];
    dx[base + j] = log_output ? gj - expf(yj) * total : yj * (gj - total);
  }
}

// Per-sample losses: loss_i = (m_i - x_i[t_i]) + log s_i  (= logsumexp(x_i) - x_i[t_i]).
extern "C" __global__ void pn_cross_entropy_forward(pn_index rows, pn_index cols, const float* x,
                                                    const long long* targets, float* losses) {
  const pn_index row = pn_group_row();
  const bool valid = row < rows;
  const float* xr = x + (valid ? row * cols : 0);
  float m, s;
  pn_row_stats(xr, cols, valid, m, s);
  if (valid && threadIdx.x == 0) losses[row] = (m - xr[targets[row]]) + logf(s);
}

// grad_i = (softmax(x_i) - onehot(t_i)) * grad_losses_i, the probabilities recomputed from
// the logits as exp(x - m) / s (exactly 1/s at the maximum, so p - 1 keeps its digits).
extern "C" __global__ void pn_cross_entropy_backward(pn_index rows, pn_index cols, const float* x,
                                                     const long long* targets, const float* grad_losses,
                                                     float* dx) {
  const pn_index row = pn_group_row();
  const bool valid = row < rows;
  const float* xr = x + (valid ? row * cols : 0);
  float m, s;
  pn_row_stats(xr, cols, valid, m, s);
  if (!valid) return;
  const float inv_s = 1.0f / s;
  const float gl = grad_losses[row];
  const pn_index t = targets[row];
  float* dr = dx + row * cols;
  for (pn_index j = threadIdx.x; j < cols; j += blockDim.x)
    dr[j] = (expf(xr[j] - m) * inv_s - (j == t ? 1.0f : 0.0f)) * gl;
}

#endif  // PYNEURO_CUDA_KERNELS_SOFTMAX_CUH

// bias.cuh: the bias of a Linear layer: y = x + b broadcast along the rows (forward) and
// db = the column sums of the output gradient (backward), in float32.
//
// bias_add is memory-bound (a grid-stride loop, read x and b, write y). column_sum is a
// deterministic reduction (fixed tree, no atomics: the same input always gives the same
// bits), laid out so a warp reads 32 consecutive floats of a row (coalesced).
#ifndef PYNEURO_CUDA_KERNELS_BIAS_CUH  // include guard (portable to NVRTC)
#define PYNEURO_CUDA_KERNELS_BIAS_CUH
#include "common.cuh"

// y[r, c] = x[r, c] + b[c]
extern "C" __global__ void pn_bias_add(pn_index rows, pn_index cols, const float* x, const float* b,
                                       float* y) {
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

#endif  // PYNEURO_CUDA_KERNELS_BIAS_CUH

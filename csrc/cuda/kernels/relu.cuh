// relu.cuh: the ReLU activation, forward and backward, in float32.
//
// Memory-bound: each element is read once and written once (relu_forward reads 4n and
// writes 4n bytes) for one comparison, so its speed is the memory bandwidth. A grid-stride
// loop (PN_GRID_STRIDE, common.cuh) serves any n with a bounded grid, consecutive threads
// on consecutive addresses (coalesced).
#ifndef PYNEURO_CUDA_KERNELS_RELU_CUH  // include guard (portable to NVRTC)
#define PYNEURO_CUDA_KERNELS_RELU_CUH
#include "common.cuh"

// y = max(x, 0) as torch.relu: 0 where x < 0, else x itself, so NaN propagates and -0.0 stays -0.0.
extern "C" __global__ void pn_relu_forward(pn_index n, const float* x, float* y) {
  PN_GRID_STRIDE(i, n) {
    const float v = x[i];
    y[i] = v < 0.0f ? 0.0f : v;
  }
}

// dx = 0 where x <= 0, else g (x may be relu's input or its output).
extern "C" __global__ void pn_relu_backward(pn_index n, const float* g, const float* x, float* dx) {
  PN_GRID_STRIDE(i, n) dx[i] = x[i] <= 0.0f ? 0.0f : g[i];
}

#endif  // PYNEURO_CUDA_KERNELS_RELU_CUH

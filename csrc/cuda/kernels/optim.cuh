// optim.cuh: the optimizer steps, torch.optim.SGD and torch.optim.Adam, in place on
// float32 parameters.
//
// One fused kernel per step reads param, grad and the state buffers once and writes the
// new values once: memory-bound (Adam moves 7 floats per parameter), with no temporary
// arrays. The per-step scalars (Adam's bias corrections) are computed on the host in
// double precision and passed in, as torch computes them.
#ifndef PYNEURO_CUDA_KERNELS_OPTIM_CUH  // include guard (portable to NVRTC)
#define PYNEURO_CUDA_KERNELS_OPTIM_CUH
#include "common.cuh"

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

// torch.optim.Adam (L2 weight decay), in place. step_size = lr / (1 - beta1^t),
// inv_sqrt_bc2 = 1 / sqrt(1 - beta2^t) and one_minus_beta1/2 are computed on the host in
// double precision (1 - beta rounded once, as torch's 1 - beta2 is: 1.0f - 0.999f is 1.3e-5 off).
extern "C" __global__ void pn_adam_step(pn_index n, float* param, const float* grad, float* exp_avg,
                                        float* exp_avg_sq, float step_size, float beta1, float beta2,
                                        float eps, float weight_decay, float inv_sqrt_bc2,
                                        float one_minus_beta1, float one_minus_beta2) {
  PN_GRID_STRIDE(i, n) {
    const float p = param[i];
    const float g = weight_decay != 0.0f ? grad[i] + weight_decay * p : grad[i];
    const float m = beta1 * exp_avg[i] + one_minus_beta1 * g;
    const float v = beta2 * exp_avg_sq[i] + one_minus_beta2 * g * g;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    param[i] = p - step_size * m / (sqrtf(v) * inv_sqrt_bc2 + eps);
  }
}

#endif  // PYNEURO_CUDA_KERNELS_OPTIM_CUH

// pyneuro/elementwise.h: the memory-bound kernels of one training step:
// ReLU, bias add and its gradient, optimizer updates, argmax, and the batch gather.
//
// The arithmetic kernels run with flush-to-zero/denormals-are-zero (denormal inputs count
// as 0, denormal results become 0); ReLU and argmax compare bit patterns, so they match
// NumPy exactly even for denormals. Results are bit-identical for any thread count.
#pragma once
#include "pyneuro/common.h"

namespace pyneuro::cpu {

// y = max(x, 0) (NaN propagates, -0.0 stays -0.0, as in PyTorch).            n FLOPs, 8n bytes
void relu_forward(const float* x, float* y, index_t n);
// GELU (gelu.cpp): y = x Phi(x), Phi the standard normal CDF, or with tanh the approximation
// x / (1 + exp(-2u)), u = sqrt(2/pi) (x + 0.044715 x^3) (= 0.5 x (1 + tanh(u))).
void gelu_forward(const float* x, float* y, index_t n, bool tanh);
// grad_x = grad_y * gelu'(x): Phi(x) + x phi(x), or the tanh form's derivative.
void gelu_backward(const float* grad_y, const float* x, float* grad_x, index_t n, bool tanh);
// grad_x = x <= 0 ? 0 : grad_y (x may be the input or the output of relu).
void relu_backward(const float* grad_y, const float* x, float* grad_x, index_t n);
// y[i, j] = x[i, j] + b[j]
void bias_add(const float* x, const float* b, float* y, index_t rows, index_t cols);
// grad_b[j] = sum_i grad_y[i, j] (summed in row order, whatever the thread count)
void bias_grad(const float* grad_y, float* grad_b, index_t rows, index_t cols);

// torch.optim.SGD, in place on param (and momentum_buf when momentum != 0):
//   g = grad + weight_decay * param
//   buf = first_step ? g : momentum * buf + (1 - dampening) * g
//   g = nesterov ? g + momentum * buf : buf          (only when momentum != 0)
//   param -= lr * g
void sgd_step(float* param, const float* grad, float* momentum_buf, index_t n, float lr, float momentum,
              float dampening, float weight_decay, bool nesterov, bool first_step);

// torch.optim.Adam (L2 weight decay, no amsgrad), in place; step counts from 1.
void adam_step(float* param, const float* grad, float* exp_avg, float* exp_avg_sq, index_t n,
               std::int64_t step, double lr, double beta1, double beta2, double eps, double weight_decay);

// The multi-tensor forms (torch's foreach): one call and one parallel region for all of a
// model's parameters. Threads split the concatenation of the tensors, not each tensor, so
// the small ones (biases) cost no parallel region of their own and the large ones are split
// the same way every step (see parallel_for). Same arithmetic per element as the single
// forms: the results are bit-identical to one call per tensor.
struct SgdTensor {
  float* param;
  const float* grad;
  float* momentum_buf;  // null when momentum == 0
  index_t n;
};
void sgd_step_multi(const SgdTensor* tensors, std::size_t count, float lr, float momentum, float dampening,
                    float weight_decay, bool nesterov, bool first_step);

struct AdamTensor {
  float* param;
  const float* grad;
  float *exp_avg, *exp_avg_sq;
  index_t n;
  std::int64_t step;  // counts from 1, per tensor
};
void adam_step_multi(const AdamTensor* tensors, std::size_t count, double lr, double beta1, double beta2,
                     double eps, double weight_decay);

// torch.optim.Adadelta (rho, eps, weight_decay, maximize), in place on every param and its
// square_avg and acc_delta, one parallel region for the list (the multi-tensor form only).
struct AdadeltaTensor {
  float* param;
  const float* grad;
  float *square_avg, *acc_delta;
  index_t n;
};
void adadelta_step_multi(const AdadeltaTensor* tensors, std::size_t count, double lr, double rho, double eps,
                         double weight_decay, bool maximize);

// out[i] = index of the first maximum of row i (a NaN counts as the maximum).
void argmax_rows(const float* x, std::int64_t* out, index_t rows, index_t cols);

// Row gather (gather.cpp): row i of out (row_bytes bytes) = row index[i] of a. Any dtype;
// every index must already be in range. Split over threads: the copy is latency-bound.
void take_rows(const void* a, index_t row_bytes, const std::int64_t* index, index_t count, void* out);

// torch.randperm (shuffle.cpp): perm = 0..n-1, then for i < n - 1 swap perm[i] and
// perm[i + words[i] % (n - i)] (words: n - 1 of the generator's 32-bit outputs).
void randperm_swaps(const std::uint64_t* words, index_t n, std::int64_t* perm);

// n tempered mt19937 outputs (as uint64, like NumPy's random_raw) from a NumPy MT19937 state,
// which advances as NumPy's would (mt19937.cpp).
void mt19937_words(void* numpy_state, index_t n, std::uint64_t* out);
// The same words as torch's uniform float32s in [0, 1): (word & 0xFFFFFF) * 2^-24.
void mt19937_unit_f32(void* numpy_state, index_t n, float* out);

// torch's normal_ on `blocks` blocks of 16 uniforms, in place (normal.cpp): values j and j + 8
// of a block are a Box-Muller pair, scaled by std and shifted by mean.
void box_muller_f32(float* data, index_t blocks, float mean, float std);
void box_muller_f64(double* data, index_t blocks, double mean, double std);

}  // namespace pyneuro::cpu

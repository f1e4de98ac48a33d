// elementwise.cpp: ReLU, bias, optimizer updates and argmax (see pyneuro/elementwise.h).
// Placeholder: clear loops with OpenMP.
#include "pyneuro/elementwise.h"

#include <cmath>

namespace pyneuro::cpu {

void relu_forward(const float* x, float* y, index_t n) {
#pragma omp parallel for num_threads(num_threads()) schedule(static)
  for (index_t i = 0; i < n; ++i) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}

void relu_backward(const float* gy, const float* x, float* gx, index_t n) {
#pragma omp parallel for num_threads(num_threads()) schedule(static)
  for (index_t i = 0; i < n; ++i) gx[i] = x[i] <= 0.0f ? 0.0f : gy[i];
}

void bias_add(const float* x, const float* b, float* y, index_t rows, index_t cols) {
#pragma omp parallel for num_threads(num_threads()) schedule(static)
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) y[i * cols + j] = x[i * cols + j] + b[j];
}

void bias_grad(const float* gy, float* gb, index_t rows, index_t cols) {
  for (index_t j = 0; j < cols; ++j) gb[j] = 0.0f;
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) gb[j] += gy[i * cols + j];
}

void sgd_step(float* param, const float* grad, float* buf, index_t n, float lr, float momentum,
              float dampening, float weight_decay, bool nesterov, bool first_step) {
#pragma omp parallel for num_threads(num_threads()) schedule(static)
  for (index_t i = 0; i < n; ++i) {
    float g = grad[i] + weight_decay * param[i];
    if (momentum != 0.0f) {
      buf[i] = first_step ? g : momentum * buf[i] + (1.0f - dampening) * g;
      g = nesterov ? g + momentum * buf[i] : buf[i];
    }
    param[i] -= lr * g;
  }
}

void adam_step(float* param, const float* grad, float* m, float* v, index_t n, std::int64_t step,
               float lr, float beta1, float beta2, float eps, float weight_decay) {
  const double bc1 = 1.0 - std::pow(double(beta1), double(step));
  const double bc2 = 1.0 - std::pow(double(beta2), double(step));
  const float step_size = float(lr / bc1);
  const float inv_sqrt_bc2 = float(1.0 / std::sqrt(bc2));
#pragma omp parallel for num_threads(num_threads()) schedule(static)
  for (index_t i = 0; i < n; ++i) {
    const float g = grad[i] + weight_decay * param[i];
    m[i] = beta1 * m[i] + (1.0f - beta1) * g;
    v[i] = beta2 * v[i] + (1.0f - beta2) * g * g;
    param[i] -= step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + eps);
  }
}

void argmax_rows(const float* x, std::int64_t* out, index_t rows, index_t cols) {
#pragma omp parallel for num_threads(num_threads()) schedule(static)
  for (index_t i = 0; i < rows; ++i) {
    const float* r = x + i * cols;
    index_t best = 0;
    for (index_t j = 0; j < cols; ++j) {
      if (std::isnan(r[j])) { best = j; break; }
      if (r[j] > r[best]) best = j;
    }
    out[i] = best;
  }
}

}  // namespace pyneuro::cpu

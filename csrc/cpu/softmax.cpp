// softmax.cpp: row-wise softmax, log_softmax and fused cross-entropy (see pyneuro/softmax.h).
// Placeholder: clear scalar loops, one row per OpenMP iteration.
#include "pyneuro/softmax.h"

#include <cmath>
#include <limits>

namespace pyneuro::cpu {

namespace {
// max and sum(exp(x - max)) of one row; the basis of every kernel here.
inline void row_max_sum(const float* x, index_t cols, float& mx, float& sum) {
  mx = -std::numeric_limits<float>::infinity();
  for (index_t j = 0; j < cols; ++j) {
    if (std::isnan(x[j])) { mx = x[j]; break; }
    mx = x[j] > mx ? x[j] : mx;
  }
  sum = 0.0f;
  for (index_t j = 0; j < cols; ++j) sum += std::exp(x[j] - mx);
}
}  // namespace

void softmax_forward(SoftmaxVariant, const float* x, float* y, index_t rows, index_t cols) {
#pragma omp parallel for num_threads(num_threads()) schedule(static)
  for (index_t i = 0; i < rows; ++i) {
    const float* xr = x + i * cols;
    float* yr = y + i * cols;
    float mx, sum;
    row_max_sum(xr, cols, mx, sum);
    const float inv = 1.0f / sum;
    for (index_t j = 0; j < cols; ++j) yr[j] = std::exp(xr[j] - mx) * inv;
  }
}

void softmax_backward(const float* gy, const float* y, float* gx, index_t rows, index_t cols) {
#pragma omp parallel for num_threads(num_threads()) schedule(static)
  for (index_t i = 0; i < rows; ++i) {
    const float* g = gy + i * cols;
    const float* yr = y + i * cols;
    float dot = 0.0f;
    for (index_t j = 0; j < cols; ++j) dot += g[j] * yr[j];
    for (index_t j = 0; j < cols; ++j) gx[i * cols + j] = yr[j] * (g[j] - dot);
  }
}

void log_softmax_forward(const float* x, float* y, index_t rows, index_t cols) {
#pragma omp parallel for num_threads(num_threads()) schedule(static)
  for (index_t i = 0; i < rows; ++i) {
    const float* xr = x + i * cols;
    float mx, sum;
    row_max_sum(xr, cols, mx, sum);
    const float lse = mx + std::log(sum);
    for (index_t j = 0; j < cols; ++j) y[i * cols + j] = xr[j] - lse;
  }
}

void log_softmax_backward(const float* gy, const float* y, float* gx, index_t rows, index_t cols) {
#pragma omp parallel for num_threads(num_threads()) schedule(static)
  for (index_t i = 0; i < rows; ++i) {
    const float* g = gy + i * cols;
    float gsum = 0.0f;
    for (index_t j = 0; j < cols; ++j) gsum += g[j];
    for (index_t j = 0; j < cols; ++j) gx[i * cols + j] = g[j] - std::exp(y[i * cols + j]) * gsum;
  }
}

void cross_entropy_forward(const float* logits, const std::int64_t* targets, float* losses,
                           index_t rows, index_t cols) {
#pragma omp parallel for num_threads(num_threads()) schedule(static)
  for (index_t i = 0; i < rows; ++i) {
    const float* xr = logits + i * cols;
    float mx, sum;
    row_max_sum(xr, cols, mx, sum);
    losses[i] = mx + std::log(sum) - xr[targets[i]];
  }
}

void cross_entropy_backward(const float* logits, const std::int64_t* targets, const float* grad_losses,
                            float* grad_logits, index_t rows, index_t cols) {
#pragma omp parallel for num_threads(num_threads()) schedule(static)
  for (index_t i = 0; i < rows; ++i) {
    const float* xr = logits + i * cols;
    float* gr = grad_logits + i * cols;
    float mx, sum;
    row_max_sum(xr, cols, mx, sum);
    const float scale = grad_losses[i] / sum;
    for (index_t j = 0; j < cols; ++j) gr[j] = std::exp(xr[j] - mx) * scale;
    gr[targets[i]] -= grad_losses[i];
  }
}

}  // namespace pyneuro::cpu

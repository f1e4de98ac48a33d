// pyneuro/softmax.h: row-wise softmax family on a (rows, cols) float32 matrix,
// and cross-entropy fused with it. All are numerically stable (max subtracted).
#pragma once
#include "pyneuro/common.h"

namespace pyneuro::cpu {

enum class SoftmaxVariant {
  ThreePass,  // max pass, exp+sum pass, scale pass
  Online,     // running max and rescaled sum in one read, then one write pass (default)
};

// y = exp(x - max) / sum(exp(x - max)), per row.
void softmax_forward(SoftmaxVariant variant, const float* x, float* y, index_t rows, index_t cols);
// grad_x = y * (grad_y - sum(grad_y * y)), per row.
void softmax_backward(const float* grad_y, const float* y, float* grad_x, index_t rows, index_t cols);
// y = x - max - log(sum(exp(x - max))), per row.
void log_softmax_forward(const float* x, float* y, index_t rows, index_t cols);
// grad_x = grad_y - exp(y) * sum(grad_y), per row.
void log_softmax_backward(const float* grad_y, const float* y, float* grad_x, index_t rows, index_t cols);
// losses[i] = logsumexp(logits[i]) - logits[i, targets[i]]. Targets must be in [0, cols).
void cross_entropy_forward(const float* logits, const std::int64_t* targets, float* losses,
                           index_t rows, index_t cols);
// grad_logits[i] = (softmax(logits[i]) - onehot(targets[i])) * grad_losses[i].
void cross_entropy_backward(const float* logits, const std::int64_t* targets, const float* grad_losses,
                            float* grad_logits, index_t rows, index_t cols);

}  // namespace pyneuro::cpu

// pyneuro/softmax.h: row-wise softmax family on a (rows, cols) float32 matrix,
// and cross-entropy fused with it. All are numerically stable (max subtracted).
//
// Special values give what the NumPy reference gives: a row holding NaN or +inf, or a row
// that is all -inf, comes out all NaN; a -inf entry of an otherwise finite row has
// probability 0 (log-probability -inf). Logits of +-1e4 or 5e4 stay finite. Kernels run
// with flush-to-zero, so results below FLT_MIN (~1.2e-38) are 0. Results are bit-identical
// for any thread count; the SIMD path (AVX-512, AVX2 or scalar) is picked at run time.
#pragma once
#include "pyneuro/common.h"

namespace pyneuro::cpu {

enum class SoftmaxVariant {
  ThreePass,  // max pass, exp+sum pass (exps stored in y), scale pass; x read twice per row
  Online,  // running max and rescaled sum in one read of x (per 8 KiB block), then one
  // pass rescaling y (default). Same code as ThreePass for rows of <= 2048.
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
void cross_entropy_forward(const float* logits, const std::int64_t* targets, float* losses, index_t rows,
                           index_t cols);
// grad_logits[i] = (softmax(logits[i]) - onehot(targets[i])) * grad_losses[i].
void cross_entropy_backward(const float* logits, const std::int64_t* targets, const float* grad_losses,
                            float* grad_logits, index_t rows, index_t cols);

}  // namespace pyneuro::cpu

// pyneuro/norm.h: the standardization at the core of batch, layer, group and instance norm
// (autograd/norm.py, Standardize), on a C-contiguous array viewed as (outer, stats, inner):
// statistic s runs over the outer * inner elements x[a, s, c]. BatchNorm2d is (N, C, H*W),
// LayerNorm (1, rows, normalized size), GroupNorm (1, N*G, C/G*H*W), InstanceNorm
// (1, N*C, H*W). float32 and float64 (the same code, with double accumulators for both).
//
// Results are bit-identical for any thread count: how a statistic's elements are split
// into partial sums depends on the shape only (norm.cpp). Special values as the NumPy
// reference: a NaN or inf among a statistic's elements makes its outputs NaN.
#pragma once
#include "pyneuro/common.h"

namespace pyneuro::cpu {

// mean[s] = sum(x) / m, var[s] = sum((x - mean)^2) / m (biased), rstd[s] = 1 / sqrt(var + eps),
// y = (x - mean) * rstd * w + b, m = outer * inner, with w = weight[s % period] and
// b = bias[s % period] (batch_norm's per-channel affine: period = channels; weight null: w = 1,
// bias null: b = 0); or, per_inner, w = weight[k] and b = bias[k] for element x[a, s, c],
// k = (s % period) * inner + c (period * inner entries each: layer_norm's affine with period
// 1, group_norm's per-channel one spread over each group's elements with period = groups).
// With m == 0: mean, var, rstd NaN.
template <typename T>
void standardize_forward(const T* x, T* y, T* mean, T* var, T* rstd, index_t outer, index_t stats,
                         index_t inner, double eps, const T* weight, const T* bias, index_t period,
                         bool per_inner);

// The gradient of y above given dL/dy = g: dx = w * rstd * (g - mean(g) - xhat * mean(g * xhat)),
// xhat = (x - mean) * rstd, the means over each statistic's m elements; and per statistic
// sum_g[s] = sum(g) and sum_gxhat[s] = sum(g * xhat) (the bias's and weight's gradients, before
// the statistics of one channel are added). per_inner: w = weight[k] as in forward, and the
// sums run over all elements with the same k (period * inner entries: layer_norm's bias and
// weight gradients, group_norm's before each channel's spatial entries are added).
template <typename T>
void standardize_backward(const T* g, const T* x, const T* mean, const T* rstd, T* dx, index_t outer,
                          index_t stats, index_t inner, const T* weight, index_t period, bool per_inner,
                          T* sum_g, T* sum_gxhat);

}  // namespace pyneuro::cpu

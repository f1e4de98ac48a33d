// norm.cpp: standardize forward and backward (declared in pyneuro/norm.h; the loops are in
// simd_norm.h), the core of batch, layer, group and instance norm: x viewed as (outer,
// stats, inner), one mean and variance per statistic s over its m = outer * inner elements.
//
//   forward:  mean = sum(x) / m,  var = sum((x - mean)^2) / m,  r = 1 / sqrt(var + eps),
//             y = (x - mean) * (r * w) + b
//   backward: dx = w * (r * g - r * sum(g) / m - (x - mean) * r^3 * sum(g * (x - mean)) / m),
//             and per statistic sum(g) and sum(g * xhat) (b's and w's gradients)
// with w, b the statistic's weight and bias (batch_norm's per-channel affine; 1 and 0 without):
// the affine costs no pass of its own, forward or backward. layer_norm's affine (per_inner)
// has w[c], b[c] per element of the normalized dims (group_norm's: each channel's spread over
// its group's elements, one row of them per group): g * w[c] enters the sums, and its
// parameter gradients, sums over all rows per c, take one more read of g and x (inner_sums:
// blocks of 64 rows summed in vectors, the blocks added in order in double; GroupNorm(4, 100)
// on 32x100x16x16, one thread: backward 0.53 -> 0.37 ms against double lanes throughout).
//
// What it costs. ~6 FLOPs per element forward and ~7 backward, against 8 bytes (forward:
// x read, y written) and 12 (backward: g and x read, dx written): bandwidth-bound, so the
// work is in touching memory as few times as possible. The NumPy form (autograd/norm.py's
// reference) makes 5 passes forward with 3 full-size temporaries and 6 backward.
//   1. Statistics in pieces that stay in L1 (kPiece elements, 8 KiB of float): each piece is
//      summed, then summed again as (x - shift) and (x - shift)^2 with the shift its rounded
//      mean -- the two-pass variance, its second pass from L1 -- and the pieces' (count,
//      mean, M2) are merged with Chan's formula in double. Why not one pass of sum(x) and
//      sum(x^2): in float32 their difference loses every digit of the variance when the mean
//      is ~1000x the spread (an un-normalised image, a bias-shifted activation). Why not
//      Welford per element: a division per element, and its serial chain stops vectorising.
//   2. Fused output: a statistic of at most kFuseBytes (BatchNorm2d's channel of 128x16x16
//      floats is 128 KiB; a LayerNorm row 1 KiB) writes its output right after its moments,
//      reading x again from L2 instead of memory: forward reads x once from memory.
//      Backward likewise: sum(g) and sum(g * (x - mean)), then dx, per statistic.
//   3. Threads over statistics (parallel_for, 4 chunks per thread). With fewer than
//      kMinTasks statistics (BatchNorm over 3 channels, GroupNorm of one sample) each is
//      cut into `split` ranges of at least kMinSplit elements, merged in order; split
//      depends on the shape only, so results are bit-identical for any thread count.
//   4. Inner sizes below kColumnsBelow (BatchNorm1d's (N, C) with inner 1) run the column
//      path: x as (outer, stats * inner), columns summed down the rows in double, one column
//      per lane, so a statistic's elements need not be contiguous.
// float runs on simd.h's vectors (AVX-512, AVX2 or scalar, picked at run time), double on
// scalar lanes. Threads run with flush-to-zero (denormal inputs count as 0), as the other
// kernels; NaN or inf among a statistic's elements makes all its outputs NaN, as in NumPy.
#include "pyneuro/norm.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "simd.h"

namespace pyneuro::cpu {
namespace {

constexpr index_t kPiece = 2048;  // elements: 8 KiB of float, in L1 for the second pass
constexpr index_t kColumnsBelow = 16;  // inner sizes below this run the column path
constexpr index_t kFuseBytes = index_t(256) << 10;  // a statistic this small is written at once
constexpr index_t kMinTasks = 16;  // fewer statistics than this are split
constexpr index_t kMinSplit = index_t(1) << 14;  // elements per range of a split statistic
constexpr index_t kColumnBlock = 4096;  // columns per task of the column path's output pass
constexpr index_t kSumRows = 64;  // rows summed in T before a parameter gradient's sums go to double

struct Moments {  // count, mean, and M2 = sum((x - mean)^2)
  double n, mean, m2;
};

// Chan et al.'s merge of two sets' moments (exact up to rounding, no cancellation).
inline void combine(Moments& acc, const Moments& p) {
  if (p.n == 0) return;
  if (acc.n == 0) {
    acc = p;
    return;
  }
  const double n = acc.n + p.n, delta = p.mean - acc.mean;
  acc.mean += delta * (p.n / n);
  acc.m2 += p.m2 + delta * delta * (acc.n * p.n / n);
  acc.n = n;
}

struct Plan {
  index_t outer, stats, inner, m, split;
  bool columns, fused;
};

Plan make_plan(index_t outer, index_t stats, index_t inner, index_t bytes_per_element) {
  Plan p{outer, stats, inner, outer * inner, 1, inner < kColumnsBelow, false};
  if (!p.columns && stats < kMinTasks) {
    index_t split = (kMinTasks + stats - 1) / stats;
    const index_t most = p.m / kMinSplit;
    if (split > most) split = most;
    p.split = split < 1 ? 1 : split;
  }
  p.fused = !p.columns && p.split == 1 && p.m * bytes_per_element <= kFuseBytes;
  return p;
}

// mean, var and r of a statistic from its moments; var and r as the NumPy form rounds them.
template <typename T>
void finish(const Moments& acc, double eps, T* mean, T* var, T* rstd) {
  if (acc.n == 0) {
    *mean = *var = *rstd = std::numeric_limits<T>::quiet_NaN();
    return;
  }
  double v = acc.m2 / acc.n;
  if (v < 0) v = 0;  // (rounding; NaN stays NaN)
  *mean = T(acc.mean);
  *var = T(v);
  *rstd = T(1.0 / std::sqrt(double(T(v)) + eps));
}

// coef = (c, -k2, -k3): dx = c * g - k2 - k3 * (x - mean) with c = w * r, k2 = w * r * sum(g) / m,
// k3 = w * r^3 * sum(g * (x - mean)) / m; sums = (sum(g), sum(g * xhat)) = (sum(g), r * sum(g * (x - mean))).
template <typename T>
void grad_coefficients(double sg, double sgc, T rstd, index_t m, T weight, T* coef, T* sums) {
  const double r = rstd, w = weight;
  coef[0] = T(w * r);
  coef[1] = T(-w * r * sg / double(m));
  coef[2] = T(-w * r * r * r * sgc / double(m));
  sums[0] = T(sg);
  sums[1] = T(r * sgc);
}

// The affine after the standardization: per statistic s, weight[s % period] and
// bias[s % period] (batch_norm's channels), 1 and 0 where null; or, per_inner, per element
// c of the inner dims, weight[c] and bias[c] (layer_norm's; both set).
template <typename T>
struct Affine {
  const T *weight, *bias;
  index_t period, inner;
  bool per_inner;
  T w(index_t s) const { return weight && !per_inner ? weight[s % period] : T(1); }
  T scale(index_t s, T r) const { return weight && !per_inner ? T(r * weight[s % period]) : r; }
  T shift(index_t s) const { return bias && !per_inner ? bias[s % period] : T(0); }
  // per_inner: the parameters of statistic s from the element at offset on (period rows of inner)
  index_t at(index_t s, index_t offset) const { return (s % period) * inner + offset % inner; }
  const T* wv(index_t s, index_t offset) const { return per_inner ? weight + at(s, offset) : nullptr; }
  const T* bv(index_t s, index_t offset) const { return per_inner ? bias + at(s, offset) : nullptr; }
};

namespace scalar_impl {
using namespace simd::scalar;  // Vec, kWidth, vload, ...
#include "simd_norm.h"
}  // namespace scalar_impl

#if PYNEURO_X86_SIMD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2_impl {
using namespace simd::avx2;  // Vec, kWidth, vload, ...
#include "simd_norm.h"
}  // namespace avx2_impl
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")
namespace avx512_impl {
using namespace simd::avx512;  // Vec, kWidth, vload, ...
#include "simd_norm.h"
}  // namespace avx512_impl
#pragma GCC pop_options
#endif

index_t work_of(index_t elements) { return elements * kCostElementwise; }

// The ranges [k * m / split, (k + 1) * m / split) of a split statistic.
inline index_t split_at(const Plan& p, index_t k) { return p.m * k / p.split; }

// Column path statistics, for statistics [s0, s1): columns [s0 * inner, s1 * inner).
template <typename T>
void column_moments(const T* x, T* mean, T* var, T* rstd, T* mean_col, const Plan& p, double eps, index_t s0,
                    index_t s1) {
  const index_t c0 = s0 * p.inner, n = (s1 - s0) * p.inner, cols = p.stats * p.inner;
  std::vector<double> d(n, 0.0), q(n, 0.0);
  for (index_t a = 0; a < p.outer; ++a) PYNEURO_SIMD_DISPATCH(columns_add(x + a * cols + c0, d.data(), n));
  for (index_t s = s0; s < s1; ++s) {
    double sum = 0.0;
    for (index_t c = 0; c < p.inner; ++c) sum += d[(s - s0) * p.inner + c];
    const T shift = T(sum / double(p.m));
    for (index_t c = 0; c < p.inner; ++c) mean_col[s * p.inner + c] = shift;
  }
  std::fill(d.begin(), d.end(), 0.0);
  for (index_t a = 0; a < p.outer; ++a)
    PYNEURO_SIMD_DISPATCH(columns_centered(x + a * cols + c0, mean_col + c0, d.data(), q.data(), n));
  for (index_t s = s0; s < s1; ++s) {
    double ds = 0.0, qs = 0.0;
    for (index_t c = 0; c < p.inner; ++c) {
      ds += d[(s - s0) * p.inner + c];
      qs += q[(s - s0) * p.inner + c];
    }
    const double shift = mean_col[s * p.inner];
    Moments mo{double(p.m), shift + ds / double(p.m), qs - ds * ds / double(p.m)};
    if (!std::isfinite(shift)) mo = {double(p.m), shift, shift - shift};
    finish(mo, eps, mean + s, var + s, rstd + s);
  }
}

// layer_norm's and group_norm's parameter gradients: sum_g[k] = sum(g) and sum_gxhat[k] =
// sum(g * xhat) over the elements x[a, s, c] with k = (s % period) * inner + c. Rows in fixed
// blocks of at most kSumRows (set by the shape, not the threads), each block summed in T with
// the vectors, the blocks then added in order in double. Narrow parameter rows (layer_norm's
// 256 over 6400 rows): tasks of a block of rows each, with a buffer of all k. Wide ones
// (group_norm's period * inner, 4 x 6400 over 32 samples): tasks of kColumnBlock entries of k,
// each over all its rows, one block after the other.
template <typename T>
void inner_sums(const T* g, const T* x, const T* mean, const T* rstd, const Plan& p, index_t period, T* sum_g,
                T* sum_gxhat) {
  const index_t rows = p.outer * p.stats, width = period * p.inner;
  if (width >= kColumnBlock) {
    const index_t chunks = (p.inner + kColumnBlock - 1) / kColumnBlock;
    parallel_for(period * chunks, work_of(rows * p.inner), [&](index_t t0, index_t t1) {
      std::vector<T> acc(2 * kColumnBlock);
      std::vector<double> total(2 * kColumnBlock);
      for (index_t t = t0; t < t1; ++t) {
        const index_t row = t / chunks, c0 = (t % chunks) * kColumnBlock;
        const index_t n = std::min(kColumnBlock, p.inner - c0);
        std::fill(total.begin(), total.end(), 0.0);
        index_t in_block = 0;
        const auto flush = [&] {
          for (index_t c = 0; c < n; ++c) {
            total[c] += acc[c];
            total[kColumnBlock + c] += acc[kColumnBlock + c];
          }
          std::fill(acc.begin(), acc.end(), T(0));
          in_block = 0;
        };
        std::fill(acc.begin(), acc.end(), T(0));
        for (index_t a = 0; a < p.outer; ++a)
          for (index_t s = row; s < p.stats; s += period) {
            const index_t r = a * p.stats + s;
            PYNEURO_SIMD_DISPATCH(inner_sums_rows(g + c0, x + c0, mean, rstd, p, period, r, r + 1, n,
                                                  row * p.inner, acc.data(), acc.data() + kColumnBlock));
            if (++in_block == kSumRows) flush();
          }
        flush();
        for (index_t c = 0; c < n; ++c) {
          sum_g[row * p.inner + c0 + c] = T(total[c]);
          sum_gxhat[row * p.inner + c0 + c] = T(total[kColumnBlock + c]);
        }
      }
    });
    return;
  }
  const index_t blocks = (rows + kSumRows - 1) / kSumRows;
  std::vector<T> part(2 * blocks * width, T(0));
  parallel_for(blocks, work_of(rows * p.inner), [&](index_t b0, index_t b1) {
    for (index_t b = b0; b < b1; ++b) {
      T* pg = part.data() + 2 * b * width;
      PYNEURO_SIMD_DISPATCH(inner_sums_rows(g, x, mean, rstd, p, period, b * kSumRows,
                                            std::min(rows, (b + 1) * kSumRows), p.inner, 0, pg, pg + width));
    }
  });
  for (index_t k = 0; k < width; ++k) {
    double a = 0.0, q = 0.0;
    for (index_t b = 0; b < blocks; ++b) {
      a += part[2 * b * width + k];
      q += part[(2 * b + 1) * width + k];
    }
    sum_g[k] = T(a);
    sum_gxhat[k] = T(q);
  }
}

}  // namespace

template <typename T>
void standardize_forward(const T* x, T* y, T* mean, T* var, T* rstd, index_t outer, index_t stats,
                         index_t inner, double eps, const T* weight, const T* bias, index_t period,
                         bool per_inner) {
  if (stats <= 0) return;
  std::vector<T> ones, zeros;  // a per_inner weight or bias not given
  if (per_inner && !weight) weight = (ones.assign((period < 1 ? 1 : period) * inner, T(1)), ones.data());
  if (per_inner && !bias) bias = (zeros.assign((period < 1 ? 1 : period) * inner, T(0)), zeros.data());
  const Affine<T> aff{weight, bias, period < 1 ? 1 : period, inner, per_inner};
  const Plan p = make_plan(outer, stats, inner, sizeof(T));
  const index_t numel = p.m * stats;
  if (p.m == 0) {
    for (index_t s = 0; s < stats; ++s) finish(Moments{0.0, 0.0, 0.0}, eps, mean + s, var + s, rstd + s);
    return;
  }
  if (p.columns) {
    const index_t cols = stats * inner, blocks = (cols + kColumnBlock - 1) / kColumnBlock;
    std::vector<T> mean_col(cols), scale_col(cols), shift_col(cols);
    parallel_for(stats, work_of(numel), [&](index_t s0, index_t s1) {
      column_moments(x, mean, var, rstd, mean_col.data(), p, eps, s0, s1);
    });
    for (index_t j = 0; j < cols; ++j) {
      const index_t s = j / inner;
      mean_col[j] = mean[s];
      scale_col[j] = per_inner ? T(rstd[s] * weight[aff.at(s, j)]) : aff.scale(s, rstd[s]);
      shift_col[j] = per_inner ? bias[aff.at(s, j)] : aff.shift(s);
    }
    parallel_for(outer * blocks, work_of(numel), [&](index_t t0, index_t t1) {
      for (index_t t = t0; t < t1; ++t) {
        const index_t a = t / blocks, c0 = (t % blocks) * kColumnBlock;
        const index_t n = cols - c0 < kColumnBlock ? cols - c0 : kColumnBlock, o = a * cols + c0;
        PYNEURO_SIMD_DISPATCH(normalize_columns(x + o, y + o, mean_col.data() + c0, scale_col.data() + c0,
                                                shift_col.data() + c0, n));
      }
    });
    return;
  }
  if (p.split == 1) {
    parallel_for(stats, work_of(numel), [&](index_t s0, index_t s1) {
      PYNEURO_SIMD_DISPATCH(forward_stats(x, y, mean, var, rstd, p, aff, eps, s0, s1));
    });
  } else {
    std::vector<Moments> part(stats * p.split);
    parallel_for(stats * p.split, work_of(numel), [&](index_t t0, index_t t1) {
      for (index_t t = t0; t < t1; ++t) {
        const index_t s = t / p.split, k = t % p.split;
        PYNEURO_SIMD_DISPATCH(range_moments_to(x, p, s, split_at(p, k), split_at(p, k + 1), &part[t]));
      }
    });
    for (index_t s = 0; s < stats; ++s) {
      Moments acc{0.0, 0.0, 0.0};
      for (index_t k = 0; k < p.split; ++k) combine(acc, part[s * p.split + k]);
      finish(acc, eps, mean + s, var + s, rstd + s);
    }
  }
  if (!p.fused) {
    parallel_for(outer * stats, work_of(numel), [&](index_t r0, index_t r1) {
      PYNEURO_SIMD_DISPATCH(forward_rows(x, y, mean, rstd, p, aff, r0, r1));
    });
  }
}

template <typename T>
void standardize_backward(const T* g, const T* x, const T* mean, const T* rstd, T* dx, index_t outer,
                          index_t stats, index_t inner, const T* weight, index_t period, bool per_inner,
                          T* sum_g, T* sum_gxhat) {
  if (stats <= 0) return;
  std::vector<T> ones;
  if (per_inner && !weight) weight = (ones.assign((period < 1 ? 1 : period) * inner, T(1)), ones.data());
  const Affine<T> aff{weight, nullptr, period < 1 ? 1 : period, inner, per_inner};
  const Plan p = make_plan(outer, stats, inner, 2 * sizeof(T));
  const index_t numel = p.m * stats;
  std::vector<T> coef(3 * stats), sums(2 * stats);
  const auto put_sums = [&] {
    if (per_inner) {
      inner_sums(g, x, mean, rstd, p, aff.period, sum_g, sum_gxhat);
      return;
    }
    for (index_t s = 0; s < stats; ++s) {
      sum_g[s] = sums[2 * s];
      sum_gxhat[s] = sums[2 * s + 1];
    }
  };
  if (p.m == 0) {
    for (index_t s = 0; s < (per_inner ? aff.period * inner : stats); ++s) sum_g[s] = sum_gxhat[s] = T(0);
    return;
  }
  if (p.columns) {
    const index_t cols = stats * inner, blocks = (cols + kColumnBlock - 1) / kColumnBlock;
    std::vector<T> mean_col(cols), c_col(cols), k2_col(cols), k3_col(cols), w_col(per_inner ? cols : 0);
    for (index_t j = 0; j < cols; ++j) mean_col[j] = mean[j / inner];
    for (index_t j = 0; j < index_t(w_col.size()); ++j) w_col[j] = weight[aff.at(j / inner, j)];
    const T* pw = per_inner ? w_col.data() : nullptr;
    parallel_for(stats, work_of(numel), [&](index_t s0, index_t s1) {
      const index_t c0 = s0 * inner, n = (s1 - s0) * inner;
      std::vector<double> sg(n, 0.0), sgc(n, 0.0);
      for (index_t a = 0; a < outer; ++a)
        PYNEURO_SIMD_DISPATCH(columns_grad(g + a * cols + c0, x + a * cols + c0, mean_col.data() + c0,
                                           pw ? pw + c0 : nullptr, sg.data(), sgc.data(), n));
      for (index_t s = s0; s < s1; ++s) {
        double a = 0.0, b = 0.0;
        for (index_t c = 0; c < inner; ++c) {
          a += sg[(s - s0) * inner + c];
          b += sgc[(s - s0) * inner + c];
        }
        grad_coefficients(a, b, rstd[s], p.m, aff.w(s), coef.data() + 3 * s, sums.data() + 2 * s);
      }
    });
    for (index_t j = 0; j < cols; ++j) {
      c_col[j] = per_inner ? T(coef[3 * (j / inner)] * weight[aff.at(j / inner, j)]) : coef[3 * (j / inner)];
      k2_col[j] = coef[3 * (j / inner) + 1];
      k3_col[j] = coef[3 * (j / inner) + 2];
    }
    parallel_for(outer * blocks, work_of(numel), [&](index_t t0, index_t t1) {
      for (index_t t = t0; t < t1; ++t) {
        const index_t a = t / blocks, c0 = (t % blocks) * kColumnBlock;
        const index_t n = cols - c0 < kColumnBlock ? cols - c0 : kColumnBlock, o = a * cols + c0;
        PYNEURO_SIMD_DISPATCH(backward_columns(g + o, x + o, dx + o, mean_col.data() + c0, c_col.data() + c0,
                                               k2_col.data() + c0, k3_col.data() + c0, n));
      }
    });
    put_sums();
    return;
  }
  if (p.split == 1) {
    parallel_for(stats, work_of(numel), [&](index_t s0, index_t s1) {
      PYNEURO_SIMD_DISPATCH(backward_stats(g, x, mean, rstd, dx, coef.data(), sums.data(), p, aff, s0, s1));
    });
  } else {
    std::vector<double> part(2 * stats * p.split);
    parallel_for(stats * p.split, work_of(numel), [&](index_t t0, index_t t1) {
      for (index_t t = t0; t < t1; ++t) {
        const index_t s = t / p.split, k = t % p.split;
        PYNEURO_SIMD_DISPATCH(
            range_grad_sums(g, x, mean[s], p, aff, s, split_at(p, k), split_at(p, k + 1), &part[2 * t]));
      }
    });
    for (index_t s = 0; s < stats; ++s) {
      double sg = 0.0, sgc = 0.0;
      for (index_t k = 0; k < p.split; ++k) {
        sg += part[2 * (s * p.split + k)];
        sgc += part[2 * (s * p.split + k) + 1];
      }
      grad_coefficients(sg, sgc, rstd[s], p.m, aff.w(s), coef.data() + 3 * s, sums.data() + 2 * s);
    }
  }
  if (!p.fused) {
    parallel_for(outer * stats, work_of(numel), [&](index_t r0, index_t r1) {
      PYNEURO_SIMD_DISPATCH(backward_rows(g, x, dx, mean, coef.data(), p, aff, r0, r1));
    });
  }
  put_sums();
}

template void standardize_forward<float>(const float*, float*, float*, float*, float*, index_t, index_t,
                                         index_t, double, const float*, const float*, index_t, bool);
template void standardize_forward<double>(const double*, double*, double*, double*, double*, index_t, index_t,
                                          index_t, double, const double*, const double*, index_t, bool);
template void standardize_backward<float>(const float*, const float*, const float*, const float*, float*,
                                          index_t, index_t, index_t, const float*, index_t, bool, float*,
                                          float*);
template void standardize_backward<double>(const double*, const double*, const double*, const double*,
                                           double*, index_t, index_t, index_t, const double*, index_t, bool,
                                           double*, double*);

}  // namespace pyneuro::cpu

// pool.cpp: 2-D max, average and adaptive-average pooling, forward and backward (NCHW float32).
//
// Each output is a reduction over its window of one input plane: kh*kw compares or adds per
// output, memory-bound (the input is read about (kh/sh)*(kw/sw) times, mostly from L1).
// Threads split the N*C planes; a plane's outputs, and a backward plane's scatter-adds, are
// computed by one thread in a fixed order, so results are the same for any thread count.
// The window rules copy torch's CPU kernels (aten/src/ATen/native/cpu/*Pool*Kernel.cpp):
//   max:      start at the window's first real element with value -inf; a later element wins
//             when it is strictly greater or NaN (first maximum kept, a NaN wins, padding never)
//   avg:      the divisor is the window clipped to the padded input (count_include_pad) or to
//             the input; divisor_override replaces it
//   adaptive: rows floor(i*H/oh) .. ceil((i+1)*H/oh), the same for columns
#include <algorithm>
#include <cmath>
#include <limits>

#include "pyneuro/conv.h"

namespace pyneuro::cpu {

void max_pool2d_forward(const PoolShape& s, const float* x, float* y, std::int64_t* indices) {
  const index_t HW = s.H * s.W, P = s.Ho * s.Wo;
  parallel_for(s.N * s.C, s.N * s.C * P * s.kh * s.kw, [&](index_t q0, index_t q1) {
    for (index_t q = q0; q < q1; ++q) {
      const float* xp = x + q * HW;
      for (index_t oh = 0; oh < s.Ho; ++oh) {
        index_t h0 = oh * s.sh - s.ph;
        const index_t h1 = std::min(h0 + (s.kh - 1) * s.dh + 1, s.H);
        while (h0 < 0) h0 += s.dh;
        for (index_t ow = 0; ow < s.Wo; ++ow) {
          index_t w0 = ow * s.sw - s.pw;
          const index_t w1 = std::min(w0 + (s.kw - 1) * s.dw + 1, s.W);
          while (w0 < 0) w0 += s.dw;
          index_t best = h0 * s.W + w0;
          float m = -std::numeric_limits<float>::infinity();
          for (index_t ih = h0; ih < h1; ih += s.dh) {
            for (index_t iw = w0; iw < w1; iw += s.dw) {
              const float v = xp[ih * s.W + iw];
              if (v > m || std::isnan(v)) {
                m = v;
                best = ih * s.W + iw;
              }
            }
          }
          y[q * P + oh * s.Wo + ow] = m;
          indices[q * P + oh * s.Wo + ow] = best;
        }
      }
    }
  });
}

void max_pool2d_backward(const PoolShape& s, const float* gy, const std::int64_t* indices, float* gx) {
  const index_t HW = s.H * s.W, P = s.Ho * s.Wo;
  parallel_for(s.N * s.C, s.N * s.C * (HW + P), [&](index_t q0, index_t q1) {
    for (index_t q = q0; q < q1; ++q) {
      float* xp = gx + q * HW;
      std::fill(xp, xp + HW, 0.0f);
      for (index_t p = 0; p < P; ++p) xp[indices[q * P + p]] += gy[q * P + p];
    }
  });
}

namespace {

struct AvgWindow {
  index_t h0, h1, w0, w1;
  float scale;  // 1 / divisor, 0 for a window with no real element
};

AvgWindow avg_window(const PoolShape& s, bool count_include_pad, index_t divisor_override, index_t oh,
                     index_t ow) {
  index_t h0 = oh * s.sh - s.ph, w0 = ow * s.sw - s.pw;
  index_t h1 = std::min(h0 + s.kh, s.H + s.ph), w1 = std::min(w0 + s.kw, s.W + s.pw);
  const index_t pool = (h1 - h0) * (w1 - w0);
  h0 = std::max<index_t>(h0, 0), w0 = std::max<index_t>(w0, 0);
  h1 = std::min(h1, s.H), w1 = std::min(w1, s.W);
  if (h0 >= h1 || w0 >= w1) return {0, 0, 0, 0, 0.0f};
  const index_t div = divisor_override ? divisor_override : count_include_pad ? pool : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, 1.0f / float(div)};
}

}  // namespace

void avg_pool2d_forward(const PoolShape& s, bool count_include_pad, index_t divisor_override, const float* x,
                        float* y) {
  const index_t HW = s.H * s.W, P = s.Ho * s.Wo;
  parallel_for(s.N * s.C, s.N * s.C * P * s.kh * s.kw, [&](index_t q0, index_t q1) {
    for (index_t q = q0; q < q1; ++q) {
      const float* xp = x + q * HW;
      for (index_t oh = 0; oh < s.Ho; ++oh) {
        for (index_t ow = 0; ow < s.Wo; ++ow) {
          const AvgWindow wd = avg_window(s, count_include_pad, divisor_override, oh, ow);
          float sum = 0.0f;
          for (index_t ih = wd.h0; ih < wd.h1; ++ih)
            for (index_t iw = wd.w0; iw < wd.w1; ++iw) sum += xp[ih * s.W + iw];
          y[q * P + oh * s.Wo + ow] = sum * wd.scale;
        }
      }
    }
  });
}

void avg_pool2d_backward(const PoolShape& s, bool count_include_pad, index_t divisor_override,
                         const float* gy, float* gx) {
  const index_t HW = s.H * s.W, P = s.Ho * s.Wo;
  parallel_for(s.N * s.C, s.N * s.C * (HW + P * s.kh * s.kw), [&](index_t q0, index_t q1) {
    for (index_t q = q0; q < q1; ++q) {
      float* xp = gx + q * HW;
      std::fill(xp, xp + HW, 0.0f);
      for (index_t oh = 0; oh < s.Ho; ++oh) {
        for (index_t ow = 0; ow < s.Wo; ++ow) {
          const AvgWindow wd = avg_window(s, count_include_pad, divisor_override, oh, ow);
          const float g = gy[q * P + oh * s.Wo + ow] * wd.scale;
          for (index_t ih = wd.h0; ih < wd.h1; ++ih)
            for (index_t iw = wd.w0; iw < wd.w1; ++iw) xp[ih * s.W + iw] += g;
        }
      }
    }
  });
}

namespace {
index_t start_index(index_t i, index_t out, index_t in) { return i * in / out; }
index_t end_index(index_t i, index_t out, index_t in) { return ((i + 1) * in + out - 1) / out; }
}  // namespace

void adaptive_avg_pool2d_forward(const PoolShape& s, const float* x, float* y) {
  const index_t HW = s.H * s.W, P = s.Ho * s.Wo;
  parallel_for(s.N * s.C, s.N * s.C * (HW + P), [&](index_t q0, index_t q1) {
    for (index_t q = q0; q < q1; ++q) {
      const float* xp = x + q * HW;
      for (index_t oh = 0; oh < s.Ho; ++oh) {
        const index_t h0 = start_index(oh, s.Ho, s.H), h1 = end_index(oh, s.Ho, s.H);
        for (index_t ow = 0; ow < s.Wo; ++ow) {
          const index_t w0 = start_index(ow, s.Wo, s.W), w1 = end_index(ow, s.Wo, s.W);
          float sum = 0.0f;
          for (index_t ih = h0; ih < h1; ++ih)
            for (index_t iw = w0; iw < w1; ++iw) sum += xp[ih * s.W + iw];
          y[q * P + oh * s.Wo + ow] = sum / float((h1 - h0) * (w1 - w0));
        }
      }
    }
  });
}

void adaptive_avg_pool2d_backward(const PoolShape& s, const float* gy, float* gx) {
  const index_t HW = s.H * s.W, P = s.Ho * s.Wo;
  parallel_for(s.N * s.C, s.N * s.C * (HW + P), [&](index_t q0, index_t q1) {
    for (index_t q = q0; q < q1; ++q) {
      float* xp = gx + q * HW;
      std::fill(xp, xp + HW, 0.0f);
      for (index_t oh = 0; oh < s.Ho; ++oh) {
        const index_t h0 = start_index(oh, s.Ho, s.H), h1 = end_index(oh, s.Ho, s.H);
        for (index_t ow = 0; ow < s.Wo; ++ow) {
          const index_t w0 = start_index(ow, s.Wo, s.W), w1 = end_index(ow, s.Wo, s.W);
          const float g = gy[q * P + oh * s.Wo + ow] / float((h1 - h0) * (w1 - w0));
          for (index_t ih = h0; ih < h1; ++ih)
            for (index_t iw = w0; iw < w1; ++iw) xp[ih * s.W + iw] += g;
        }
      }
    }
  });
}

}  // namespace pyneuro::cpu

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
#include <cstdint>
#include <cstring>
#include <limits>

#include "pyneuro/conv.h"

namespace pyneuro::cpu {

namespace {

// One output of max pooling over the window rows h0..h1 (step dh) and columns w0..w1 (step dw)
// of plane xp: the maximum and its flat index. The running maximum starts at -inf with the
// index of the window's first element, as torch's kernel starts: an element wins when it is
// strictly greater or NaN, so an all -inf window keeps that first index. A window that lies
// wholly in the padding (h0 >= h1 or w0 >= w1: padding 1, dilation 2) reads nothing and gives
// -inf with torch's index, which then points past the plane (torch's backward refuses it).
// Written with selects: on random data `v > m` is a coin toss, and as a branch it was
// mispredicted about half the time.
inline void window_max(const float* xp, index_t W, index_t h0, index_t h1, index_t dh, index_t w0, index_t w1,
                       index_t dw, float* y, std::int64_t* index) {
  index_t best = h0 * W + w0;
  float m = -std::numeric_limits<float>::infinity();
  for (index_t ih = h0; ih < h1; ih += dh) {
    for (index_t iw = w0; iw < w1; iw += dw) {
      const float v = xp[ih * W + iw];
      // all ones when v wins; the selects are done with bit masks, which the compiler
      // cannot turn back into a branch (with `take ? v : m` it did)
      const std::uint32_t take = 0u - static_cast<std::uint32_t>((v > m) | (v != v));
      std::uint32_t vb, mb;
      std::memcpy(&vb, &v, 4);
      std::memcpy(&mb, &m, 4);
      mb = (vb & take) | (mb & ~take);
      std::memcpy(&m, &mb, 4);
      const std::int64_t take64 = static_cast<std::int32_t>(take);  // sign-extended: 0 or -1
      best = ((ih * W + iw) & take64) | (best & ~take64);
    }
  }
  *y = m;
  *index = best;
}

// A plane whose every window lies inside it (no padding, dilation 1: the ConvNet's 2x2 pool),
// with the window size a compile-time constant where it is 2 or 3 (K = 0: any size), so the
// window loops unroll; the common 2x2 / stride 2 passes its strides as constants too
// (64x64x24x24: 1.67 -> 1.22 ms, model 167; numba's unrolled kernel of selects takes 0.74-0.81).
// Every size is a local here: through `const PoolShape&` the compiler reloaded them from memory
// after each store to y, which might alias them.
template <index_t K>
void max_pool_plane_inside(const float* xp, index_t W, index_t Ho, index_t Wo, index_t kh, index_t kw,
                           index_t sh, index_t sw, float* y, std::int64_t* index) {
  const index_t KH = K ? K : kh, KW = K ? K : kw;
  for (index_t oh = 0; oh < Ho; ++oh) {
    for (index_t ow = 0; ow < Wo; ++ow) {
      window_max(xp, W, oh * sh, oh * sh + KH, 1, ow * sw, ow * sw + KW, 1, y + oh * Wo + ow,
                 index + oh * Wo + ow);
    }
  }
}

}  // namespace

void max_pool2d_forward(const PoolShape& s, const float* x, float* y, std::int64_t* indices) {
  const index_t HW = s.H * s.W, P = s.Ho * s.Wo;
  // Every window inside the plane: the last window's end row/column is within H/W.
  const bool inside = s.ph == 0 && s.pw == 0 && s.dh == 1 && s.dw == 1 && (s.Ho - 1) * s.sh + s.kh <= s.H &&
                      (s.Wo - 1) * s.sw + s.kw <= s.W;
  parallel_for(s.N * s.C, s.N * s.C * P * s.kh * s.kw, [&](index_t q0, index_t q1) {
    const PoolShape t = s;  // a local copy: see max_pool_plane_inside
    for (index_t q = q0; q < q1; ++q) {
      const float* xp = x + q * HW;
      float* yq = y + q * P;
      std::int64_t* iq = indices + q * P;
      if (inside && t.kh == 2 && t.kw == 2 && t.sh == 2 && t.sw == 2) {
        max_pool_plane_inside<2>(xp, t.W, t.Ho, t.Wo, 2, 2, 2, 2, yq, iq);
      } else if (inside && t.kh == 2 && t.kw == 2) {
        max_pool_plane_inside<2>(xp, t.W, t.Ho, t.Wo, 2, 2, t.sh, t.sw, yq, iq);
      } else if (inside && t.kh == 3 && t.kw == 3) {
        max_pool_plane_inside<3>(xp, t.W, t.Ho, t.Wo, 3, 3, t.sh, t.sw, yq, iq);
      } else if (inside) {
        max_pool_plane_inside<0>(xp, t.W, t.Ho, t.Wo, t.kh, t.kw, t.sh, t.sw, yq, iq);
      } else {  // windows clipped by padding, or dilated: the general form
        for (index_t oh = 0; oh < t.Ho; ++oh) {
          index_t h0 = oh * t.sh - t.ph;
          const index_t h1 = std::min(h0 + (t.kh - 1) * t.dh + 1, t.H);
          while (h0 < 0) h0 += t.dh;
          for (index_t ow = 0; ow < t.Wo; ++ow) {
            index_t w0 = ow * t.sw - t.pw;
            const index_t w1 = std::min(w0 + (t.kw - 1) * t.dw + 1, t.W);
            while (w0 < 0) w0 += t.dw;
            window_max(xp, t.W, h0, h1, t.dh, w0, w1, t.dw, yq + oh * t.Wo + ow, iq + oh * t.Wo + ow);
          }
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

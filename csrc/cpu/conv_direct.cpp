// conv_direct.cpp -- convolution ladder rung 1: the formula's loops, no data reorganisation.
//
// Computes conv2d forward and both backward kernels (see pyneuro/conv.h);
// 2*N*O*Cg*kH*kW*Ho*Wo FLOPs each. Each loop nest is arranged so the innermost loop runs along
// a row of output positions ow with unit stride in y (and in x when sw == 1), which the
// compiler vectorises; the window bounds are computed once per row (valid_range) so the inner
// loop has no branch. Threads split whole output planes (forward: (n, o); grad_x: (n, c);
// grad_w: (o, c)), each computed by one thread in a fixed order.
//
// Why it is slow: every FLOP reloads its x value from memory/L1 (one load per FMA, and the
// weight is a scalar broadcast): arithmetic intensity ~1 FLOP per 4 bytes, nowhere near the
// FMA units' rate. Rung 2 (conv_im2col.cpp) turns the work into a matrix product.
#include <algorithm>

#include "pyneuro/conv.h"

namespace pyneuro::cpu {

void conv2d_forward_direct(const ConvShape& s, const float* x, const float* w, const float* bias, float* y) {
  const index_t Cg = s.Cg(), Og = s.Og(), P = s.P();
  parallel_for(s.N * s.O, index_t(s.flops()), [&](index_t r0, index_t r1) {
    for (index_t r = r0; r < r1; ++r) {
      const index_t n = r / s.O, o = r % s.O, g = o / Og;
      float* yp = y + r * P;
      std::fill(yp, yp + P, bias ? bias[o] : 0.0f);
      for (index_t c = 0; c < Cg; ++c) {
        const float* xp = x + (n * s.C + g * Cg + c) * s.H * s.W;
        for (index_t i = 0; i < s.kH; ++i) {
          index_t h0, h1;
          valid_range(s.Ho, s.H, s.sh, s.ph, i * s.dh, &h0, &h1);
          for (index_t j = 0; j < s.kW; ++j) {
            index_t w0, w1;
            valid_range(s.Wo, s.W, s.sw, s.pw, j * s.dw, &w0, &w1);
            const float wv = w[((o * Cg + c) * s.kH + i) * s.kW + j];
            for (index_t oh = h0; oh < h1; ++oh) {
              const float* xr = xp + (oh * s.sh - s.ph + i * s.dh) * s.W - s.pw + j * s.dw;
              float* yr = yp + oh * s.Wo;
              for (index_t ow = w0; ow < w1; ++ow) yr[ow] += wv * xr[ow * s.sw];
            }
          }
        }
      }
    }
  });
}

void conv2d_backward_input_direct(const ConvShape& s, const float* gy, const float* w, float* gx) {
  const index_t Cg = s.Cg(), Og = s.Og(), P = s.P();
  parallel_for(s.N * s.C, index_t(s.flops()), [&](index_t r0, index_t r1) {
    for (index_t r = r0; r < r1; ++r) {
      const index_t n = r / s.C, ch = r % s.C, g = ch / Cg, c = ch % Cg;
      float* xp = gx + r * s.H * s.W;
      std::fill(xp, xp + s.H * s.W, 0.0f);
      for (index_t o = g * Og; o < (g + 1) * Og; ++o) {
        const float* yp = gy + (n * s.O + o) * P;
        for (index_t i = 0; i < s.kH; ++i) {
          index_t h0, h1;
          valid_range(s.Ho, s.H, s.sh, s.ph, i * s.dh, &h0, &h1);
          for (index_t j = 0; j < s.kW; ++j) {
            index_t w0, w1;
            valid_range(s.Wo, s.W, s.sw, s.pw, j * s.dw, &w0, &w1);
            const float wv = w[((o * Cg + c) * s.kH + i) * s.kW + j];
            for (index_t oh = h0; oh < h1; ++oh) {
              float* xr = xp + (oh * s.sh - s.ph + i * s.dh) * s.W - s.pw + j * s.dw;
              const float* yr = yp + oh * s.Wo;
              for (index_t ow = w0; ow < w1; ++ow) xr[ow * s.sw] += wv * yr[ow];
            }
          }
        }
      }
    }
  });
}

void conv2d_backward_weight_direct(const ConvShape& s, const float* gy, const float* x, float* gw) {
  const index_t Cg = s.Cg(), Og = s.Og(), P = s.P();
  parallel_for(s.O * Cg, index_t(s.flops()), [&](index_t r0, index_t r1) {
    for (index_t r = r0; r < r1; ++r) {
      const index_t o = r / Cg, c = r % Cg, g = o / Og;
      for (index_t i = 0; i < s.kH; ++i) {
        index_t h0, h1;
        valid_range(s.Ho, s.H, s.sh, s.ph, i * s.dh, &h0, &h1);
        for (index_t j = 0; j < s.kW; ++j) {
          index_t w0, w1;
          valid_range(s.Wo, s.W, s.sw, s.pw, j * s.dw, &w0, &w1);
          float total = 0.0f;
          for (index_t n = 0; n < s.N; ++n) {
            const float* xp = x + (n * s.C + g * Cg + c) * s.H * s.W;
            const float* yp = gy + (n * s.O + o) * P;
            for (index_t oh = h0; oh < h1; ++oh) {
              const float* xr = xp + (oh * s.sh - s.ph + i * s.dh) * s.W - s.pw + j * s.dw;
              const float* yr = yp + oh * s.Wo;
              float row = 0.0f;
              for (index_t ow = w0; ow < w1; ++ow) row += yr[ow] * xr[ow * s.sw];
              total += row;
            }
          }
          gw[(r * s.kH + i) * s.kW + j] = total;
        }
      }
    }
  });
}

}  // namespace pyneuro::cpu

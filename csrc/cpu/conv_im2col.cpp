// conv_im2col.cpp -- convolution ladder rung 2: unfold the input (im2col), then one packed GEMM.
//
// Per image n and group g, im2col copies every input value a window reads into a matrix
//   col[K = Cg*kH*kW][P = Ho*Wo],  col[(c*kH + i)*kW + j][oh*Wo + ow] = x[n, g*Cg + c, ih, iw] (0 in padding)
// and the three kernels become matrix products with the packed matmul (matmul_packed.cpp):
//   forward        y[n, g]   (Og x P) = w_g (Og x K) @ col                  2*Og*K*P FLOPs
//   grad weight    grad_w_g (Og x K) += grad_y[n, g] (Og x P) @ col^T      (col read transposed in place)
//   grad input     col = w_g^T (K x Og) @ grad_y[n, g] (Og x P), then col2im adds col back into grad_x
// Bytes: the unfold writes K*P floats per image (kH*kW times the input) and the GEMM reads them once.
//
// Why it is faster than rung 1: the GEMM keeps an 8 x 32 tile of the output in registers for
// a whole depth block, so each loaded value feeds 8-32 FMAs instead of one; with packing and
// SIMD it runs near the FMA units' peak, and threads split each GEMM's output. The cost is the
// K x P buffer (for 32x26x26 -> 64x24x24: 288 x 576 floats = 650 KB per image) that is written
// and read once more -- rung 3 (conv_implicit.cpp) keeps it in L2 instead.
#include <algorithm>
#include <cstring>
#include <vector>

#include "pyneuro/conv.h"
#include "pyneuro/matmul.h"

namespace pyneuro::cpu {

// Visits, for every im2col row (c, i, j) and every output row oh meeting [p0, p1), the run of
// columns [a, b) of that row inside the tile, with the input row it reads (nullptr: padding)
// and the valid part [w0, w1) of the output row. fn(row, p_begin, a, b, w0, w1, in_row, real):
// element ow of the run reads x_g[in_row + ow*sw] when `real` (in_row itself may be negative:
// it is the offset of ow = 0, which may lie in the left padding); a padding row has real = false.
template <class F>
static void for_each_run(const ConvShape& s, index_t p0, index_t p1, const F& fn) {
  for (index_t c = 0; c < s.Cg(); ++c) {
    for (index_t i = 0; i < s.kH; ++i) {
      for (index_t j = 0; j < s.kW; ++j) {
        const index_t row = (c * s.kH + i) * s.kW + j;
        index_t w0, w1;
        valid_range(s.Wo, s.W, s.sw, s.pw, j * s.dw, &w0, &w1);
        for (index_t oh = p0 / s.Wo; oh * s.Wo < p1; ++oh) {
          const index_t a = std::max(index_t(0), p0 - oh * s.Wo), b = std::min(s.Wo, p1 - oh * s.Wo);
          const index_t ih = oh * s.sh - s.ph + i * s.dh;
          const bool real = ih >= 0 && ih < s.H;
          fn(row, oh * s.Wo - p0, a, b, w0, w1, (c * s.H + ih) * s.W - s.pw + j * s.dw, real);
        }
      }
    }
  }
}

// No padding and a column stride of 1 (the MNIST ConvNet's layers): every window lies inside the
// input and every run is a plain copy, so the runs are visited here directly, without the general
// visitor's per-run clamps, empty fills and a memcpy call for as few as 24 floats. Measured in
// process CPU time on one Zen 5 core, 32x26x26 -> 64x24x24 at batch 64: forward 10.7 -> 9.7 ms,
// grad_input 10.3 -> 9.1 ms, grad_weight 11.2 -> 10.1 ms (the GEMMs alone: ~7 ms).
// fn(dst_run, src_run, count) for each run.
static bool unpadded_unit_stride(const ConvShape& s) { return s.ph == 0 && s.pw == 0 && s.sw == 1; }

template <class F>
static void for_each_unpadded_run(const ConvShape& s, index_t p0, index_t p1, const F& fn) {
  for (index_t c = 0; c < s.Cg(); ++c) {
    for (index_t i = 0; i < s.kH; ++i) {
      for (index_t j = 0; j < s.kW; ++j) {
        const index_t row = (c * s.kH + i) * s.kW + j;
        for (index_t oh = p0 / s.Wo; oh * s.Wo < p1; ++oh) {
          const index_t a = std::max(index_t(0), p0 - oh * s.Wo), b = std::min(s.Wo, p1 - oh * s.Wo);
          const index_t in = (c * s.H + oh * s.sh + i * s.dh) * s.W + j * s.dw;
          fn(row * (p1 - p0) + oh * s.Wo - p0 + a, in + a, b - a);
        }
      }
    }
  }
}

void im2col(const ConvShape& s, const float* x_g, index_t p0, index_t p1, float* col) {
  const index_t ld = p1 - p0;
  if (unpadded_unit_stride(s)) {
    for_each_unpadded_run(s, p0, p1, [&](index_t d, index_t x, index_t count) {
      for (index_t k = 0; k < count; ++k) col[d + k] = x_g[x + k];
    });
    return;
  }
  for_each_run(
      s, p0, p1,
      [&](index_t row, index_t pb, index_t a, index_t b, index_t w0, index_t w1, index_t in_row, bool real) {
        float* dst = col + row * ld + pb;
        if (!real) {
          std::fill(dst + a, dst + b, 0.0f);
          return;
        }
        const index_t lo = std::clamp(w0, a, b), hi = std::clamp(w1, a, b);
        std::fill(dst + a, dst + lo, 0.0f);
        const float* src = x_g + in_row;
        if (s.sw == 1) {
          std::memcpy(dst + lo, src + lo, size_t(hi - lo) * sizeof(float));
        } else {
          for (index_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * s.sw];
        }
        std::fill(dst + hi, dst + b, 0.0f);
      });
}

void col2im_add(const ConvShape& s, const float* col, index_t p0, index_t p1, float* x_g) {
  const index_t ld = p1 - p0;
  if (unpadded_unit_stride(s)) {
    for_each_unpadded_run(s, p0, p1, [&](index_t d, index_t x, index_t count) {
      for (index_t k = 0; k < count; ++k) x_g[x + k] += col[d + k];
    });
    return;
  }
  for_each_run(
      s, p0, p1,
      [&](index_t row, index_t pb, index_t a, index_t b, index_t w0, index_t w1, index_t in_row, bool real) {
        if (!real) return;
        const index_t lo = std::clamp(w0, a, b), hi = std::clamp(w1, a, b);
        const float* src = col + row * ld + pb;
        float* dst = x_g + in_row;
        for (index_t ow = lo; ow < hi; ++ow) dst[ow * s.sw] += src[ow];
      });
}

void conv2d_forward_im2col(const ConvShape& s, const float* x, const float* w, const float* bias, float* y) {
  const index_t Cg = s.Cg(), Og = s.Og(), K = s.K(), P = s.P();
  std::vector<float> col(size_t(K * P));
  for (index_t n = 0; n < s.N; ++n) {
    for (index_t g = 0; g < s.groups; ++g) {
      im2col(s, x + (n * s.C + g * Cg) * s.H * s.W, 0, P, col.data());
      matmul(MatmulVariant::Packed, w + g * Og * K, col.data(), y + (n * s.O + g * Og) * P, Og, P, K, false,
             false);
    }
    if (bias) {
      for (index_t o = 0; o < s.O; ++o) {
        float* yp = y + (n * s.O + o) * P;
        for (index_t p = 0; p < P; ++p) yp[p] += bias[o];
      }
    }
  }
}

void conv2d_backward_weight_im2col(const ConvShape& s, const float* gy, const float* x, float* gw) {
  const index_t Cg = s.Cg(), Og = s.Og(), K = s.K(), P = s.P();
  std::vector<float> col(size_t(K * P)), tmp(size_t(Og * K));
  for (index_t n = 0; n < s.N; ++n) {
    for (index_t g = 0; g < s.groups; ++g) {
      im2col(s, x + (n * s.C + g * Cg) * s.H * s.W, 0, P, col.data());
      float* dst = gw + g * Og * K;
      // The first image writes grad_w; later ones add theirs, image by image in order.
      matmul(MatmulVariant::Packed, gy + (n * s.O + g * Og) * P, col.data(), n == 0 ? dst : tmp.data(), Og, K,
             P, false, true);
      if (n > 0) {
        for (index_t e = 0; e < Og * K; ++e) dst[e] += tmp[e];
      }
    }
  }
  if (s.N == 0) std::fill(gw, gw + s.O * K, 0.0f);
}

void conv2d_backward_input_im2col(const ConvShape& s, const float* gy, const float* w, float* gx) {
  const index_t Cg = s.Cg(), Og = s.Og(), K = s.K(), P = s.P();
  std::fill(gx, gx + s.N * s.C * s.H * s.W, 0.0f);
  std::vector<float> col(size_t(K * P));
  for (index_t n = 0; n < s.N; ++n) {
    for (index_t g = 0; g < s.groups; ++g) {
      matmul(MatmulVariant::Packed, w + g * Og * K, gy + (n * s.O + g * Og) * P, col.data(), K, P, Og, true,
             false);
      col2im_add(s, col.data(), 0, P, gx + (n * s.C + g * Cg) * s.H * s.W);
    }
  }
}

}  // namespace pyneuro::cpu

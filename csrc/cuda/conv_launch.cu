// conv_launch.cu: launch configurations of the convolution and pooling kernels.
//
// naive kernels and pooling: 1-D grid-stride loops, 256 threads per block, at most 8192
// blocks. tiled (implicit GEMM) kernels: 16 x 16 threads, grid (columns/16, rows/16, groups),
// the GEMM shapes of each pass as in kernels/conv.cuh.
#include "conv_launch.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "kernels/conv.cuh"
#include "kernels/pool.cuh"

namespace pyneuro::cuda {
namespace {

constexpr int64_t kBlock = 256;
constexpr int64_t kMaxBlocks = 8192;

unsigned grid_1d(int64_t n) {
  return static_cast<unsigned>(std::min<int64_t>((n + kBlock - 1) / kBlock, kMaxBlocks));
}

void launched(const char* kernel) { check(cudaGetLastError(), kernel); }

dim3 tiled_grid(int64_t cols, int64_t rows, int64_t groups) {
  const int64_t gx = (cols + 15) / 16, gy = (rows + 15) / 16;
  if (gx > 0x7fffffffLL || gy > 65535 || groups > 65535)
    throw std::invalid_argument("conv2d: the tiled kernel cannot cover a " + std::to_string(rows) + " x " +
                                std::to_string(cols) + " implicit GEMM with " + std::to_string(groups) +
                                " groups in one launch");
  return dim3(static_cast<unsigned>(gx), static_cast<unsigned>(gy), static_cast<unsigned>(groups));
}

}  // namespace

#define PN_GEO(g) \
  g.N, g.C, g.H, g.W, g.O, g.KH, g.KW, g.Ho, g.Wo, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups

void conv2d_forward(ConvVariant v, const ConvGeometry& g, const float* x, const float* w, const float* bias,
                    float* y) {
  const int64_t total = g.N * g.O * g.Ho * g.Wo;
  if (total == 0) return;
  const int has_bias = bias != nullptr;
  if (v == ConvVariant::naive) {
    pn_conv2d_forward_naive<<<grid_1d(total), kBlock>>>(PN_GEO(g), x, w, bias, has_bias, y);
    launched("pn_conv2d_forward_naive");
  } else {
    pn_conv2d_forward_tiled<<<tiled_grid(g.N * g.Ho * g.Wo, g.O / g.groups, g.groups), dim3(16, 16)>>>(
        PN_GEO(g), x, w, bias, has_bias, y);
    launched("pn_conv2d_forward_tiled");
  }
}

void conv2d_backward_input(ConvVariant v, const ConvGeometry& g, const float* dy, const float* w, float* dx) {
  const int64_t total = g.N * g.C * g.H * g.W;
  if (total == 0) return;
  if (v == ConvVariant::naive) {
    pn_conv2d_backward_input_naive<<<grid_1d(total), kBlock>>>(PN_GEO(g), dy, w, dx);
    launched("pn_conv2d_backward_input_naive");
  } else {
    pn_conv2d_backward_input_tiled<<<tiled_grid(g.N * g.H * g.W, g.C / g.groups, g.groups), dim3(16, 16)>>>(
        PN_GEO(g), dy, w, dx);
    launched("pn_conv2d_backward_input_tiled");
  }
}

void conv2d_backward_weight(ConvVariant v, const ConvGeometry& g, const float* dy, const float* x,
                            float* dw) {
  const int64_t total = g.O * (g.C / g.groups) * g.KH * g.KW;
  if (total == 0) return;
  if (v == ConvVariant::naive) {
    pn_conv2d_backward_weight_naive<<<grid_1d(total), kBlock>>>(PN_GEO(g), dy, x, dw);
    launched("pn_conv2d_backward_weight_naive");
  } else {
    pn_conv2d_backward_weight_tiled<<<tiled_grid((g.C / g.groups) * g.KH * g.KW, g.O / g.groups, g.groups),
                                      dim3(16, 16)>>>(PN_GEO(g), dy, x, dw);
    launched("pn_conv2d_backward_weight_tiled");
  }
}
#undef PN_GEO

void conv2d_backward_bias(int64_t N, int64_t O, int64_t HW, const float* dy, float* db) {
  if (O == 0) return;
  if (O > 0x7fffffffLL) throw std::invalid_argument("conv2d: too many output channels for one launch");
  pn_conv2d_backward_bias<<<static_cast<unsigned>(O), kBlock>>>(N, O, HW, dy, db);
  launched("pn_conv2d_backward_bias");
}

void max_pool2d_forward(int64_t P, int64_t H, int64_t W, int64_t Ho, int64_t Wo, const int64_t k[2],
                        const int64_t s[2], const int64_t p[2], const int64_t d[2], const float* x, float* y,
                        int64_t* idx) {
  if (P * Ho * Wo == 0) return;
  pn_max_pool2d_forward<<<grid_1d(P * Ho * Wo), kBlock>>>(P, H, W, Ho, Wo, k[0], k[1], s[0], s[1], p[0], p[1],
                                                          d[0], d[1], x, y,
                                                          reinterpret_cast<long long*>(idx));
  launched("pn_max_pool2d_forward");
}

void max_pool2d_backward(int64_t P, int64_t HW, int64_t HoWo, const float* dy, const int64_t* idx,
                         float* dx) {
  if (P * HW == 0) return;
  fill_f32(P * HW, 0.0f, dx);
  if (P * HoWo == 0) return;
  pn_max_pool2d_backward<<<grid_1d(P * HoWo), kBlock>>>(P, HW, HoWo, dy,
                                                        reinterpret_cast<const long long*>(idx), dx);
  launched("pn_max_pool2d_backward");
}

void avg_pool2d_forward(int64_t P, int64_t H, int64_t W, int64_t Ho, int64_t Wo, const int64_t k[2],
                        const int64_t s[2], const int64_t p[2], bool count_include_pad,
                        int64_t divisor_override, const float* x, float* y) {
  if (P * Ho * Wo == 0) return;
  pn_avg_pool2d_forward<<<grid_1d(P * Ho * Wo), kBlock>>>(P, H, W, Ho, Wo, k[0], k[1], s[0], s[1], p[0], p[1],
                                                          count_include_pad, divisor_override, x, y);
  launched("pn_avg_pool2d_forward");
}

void avg_pool2d_backward(int64_t P, int64_t H, int64_t W, int64_t Ho, int64_t Wo, const int64_t k[2],
                         const int64_t s[2], const int64_t p[2], bool count_include_pad,
                         int64_t divisor_override, const float* dy, float* dx) {
  if (P * H * W == 0) return;
  pn_avg_pool2d_backward<<<grid_1d(P * H * W), kBlock>>>(P, H, W, Ho, Wo, k[0], k[1], s[0], s[1], p[0], p[1],
                                                         count_include_pad, divisor_override, dy, dx);
  launched("pn_avg_pool2d_backward");
}

void adaptive_avg_pool2d_forward(int64_t P, int64_t H, int64_t W, int64_t Ho, int64_t Wo, const float* x,
                                 float* y) {
  if (P * Ho * Wo == 0) return;
  pn_adaptive_avg_pool2d_forward<<<grid_1d(P * Ho * Wo), kBlock>>>(P, H, W, Ho, Wo, x, y);
  launched("pn_adaptive_avg_pool2d_forward");
}

void adaptive_avg_pool2d_backward(int64_t P, int64_t H, int64_t W, int64_t Ho, int64_t Wo, const float* dy,
                                  float* dx) {
  if (P * H * W == 0) return;
  if (Ho * Wo == 0) {
    fill_f32(P * H * W, 0.0f, dx);
    return;
  }
  pn_adaptive_avg_pool2d_backward<<<grid_1d(P * H * W), kBlock>>>(P, H, W, Ho, Wo, dy, dx);
  launched("pn_adaptive_avg_pool2d_backward");
}

}  // namespace pyneuro::cuda

// conv_launch.h: host-side launchers of the convolution and pooling kernels
// (kernels/conv.cuh, kernels/pool.cuh). As launch.h: raw device pointers and sizes that
// the binding (csrc/bindings/cuda_conv.cpp) has already validated; each launch is
// checked with cudaGetLastError and throws pyneuro::cuda::Error on failure.
#pragma once
#include <cstdint>

#include "launch.h"

namespace pyneuro::cuda {

// The geometry of one convolution: x [N, C, H, W], w [O, C/groups, KH, KW], y [N, O, Ho, Wo].
struct ConvGeometry {
  int64_t N, C, H, W, O, KH, KW, Ho, Wo, sh, sw, ph, pw, dh, dw, groups;
};

enum class ConvVariant { naive, tiled };

void conv2d_forward(ConvVariant v, const ConvGeometry& g, const float* x, const float* w, const float* bias,
                    float* y);  // bias may be null
void conv2d_backward_input(ConvVariant v, const ConvGeometry& g, const float* dy, const float* w, float* dx);
void conv2d_backward_weight(ConvVariant v, const ConvGeometry& g, const float* dy, const float* x, float* dw);
void conv2d_backward_bias(int64_t N, int64_t O, int64_t HW, const float* dy, float* db);

// Pooling over P = N*C planes of H x W into Ho x Wo.
void max_pool2d_forward(int64_t P, int64_t H, int64_t W, int64_t Ho, int64_t Wo, const int64_t k[2],
                        const int64_t s[2], const int64_t p[2], const int64_t d[2], const float* x, float* y,
                        int64_t* idx);
void max_pool2d_backward(int64_t P, int64_t HW, int64_t HoWo, const float* dy, const int64_t* idx, float* dx);
void avg_pool2d_forward(int64_t P, int64_t H, int64_t W, int64_t Ho, int64_t Wo, const int64_t k[2],
                        const int64_t s[2], const int64_t p[2], bool count_include_pad,
                        int64_t divisor_override, const float* x, float* y);
void avg_pool2d_backward(int64_t P, int64_t H, int64_t W, int64_t Ho, int64_t Wo, const int64_t k[2],
                         const int64_t s[2], const int64_t p[2], bool count_include_pad,
                         int64_t divisor_override, const float* dy, float* dx);
void adaptive_avg_pool2d_forward(int64_t P, int64_t H, int64_t W, int64_t Ho, int64_t Wo, const float* x,
                                 float* y);
void adaptive_avg_pool2d_backward(int64_t P, int64_t H, int64_t W, int64_t Ho, int64_t Wo, const float* dy,
                                  float* dx);

}  // namespace pyneuro::cuda

// pyneuro/conv.h: 2-D convolution and pooling, NCHW float32, C-contiguous arrays.
//
// Convolution (cross-correlation, as torch.nn.functional.conv2d), per group g of `groups`:
//   y[n, o, oh, ow] = bias[o] + sum_{c, i, j} w[o, c, i, j] * x[n, g*Cg + c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]
// with Cg = C / groups, o in group g's Og = O / groups filters, and zero outside the input.
// Cost: 2 * N * O * Cg * kH * kW * Ho * Wo FLOPs forward, the same for each backward kernel.
//
// The ladder, one source file per rung (each opens with what changed and why it is faster):
//   csrc/cpu/conv_direct.cpp    1. "direct":   the loops of the formula above, OpenMP over outputs
//   csrc/cpu/conv_im2col.cpp    2. "im2col":   unfold one image into a K x P matrix, one packed GEMM
//   csrc/cpu/conv_implicit.cpp  3. "implicit": L2-sized column tiles of that matrix, built and used
//                                              on the fly, images split across threads (default)
//   csrc/cpu/conv.cpp           dispatch by variant, bias gradient
//   csrc/cpu/pool.cpp           max / average / adaptive-average pooling
// Every rung gives the same result for any thread count (no thread ever splits a sum
// between threads in a way that depends on their number).
#pragma once
#include "pyneuro/common.h"

namespace pyneuro::cpu {

enum class ConvVariant { Direct, Im2col, Implicit };

// Shapes and window parameters of one convolution, checked by the caller
// (Ho = (H + 2*ph - dh*(kH-1) - 1) / sh + 1 >= 1, C = Cg * groups, O % groups == 0).
struct ConvShape {
  index_t N, C, H, W;  // input
  index_t O, kH, kW;  // weight is O x (C / groups) x kH x kW
  index_t Ho, Wo;  // output
  index_t sh, sw, ph, pw, dh, dw, groups;
  index_t Cg() const { return C / groups; }
  index_t Og() const { return O / groups; }
  index_t K() const { return Cg() * kH * kW; }  // GEMM depth: one row of im2col per (c, i, j)
  index_t P() const { return Ho * Wo; }  // GEMM width: one column per output position
  double flops() const { return 2.0 * double(N) * double(O) * double(K()) * double(P()); }
};

void conv2d_forward(ConvVariant v, const ConvShape& s, const float* x, const float* w, const float* bias,
                    float* y);
void conv2d_backward_input(ConvVariant v, const ConvShape& s, const float* gy, const float* w, float* gx);
void conv2d_backward_weight(ConvVariant v, const ConvShape& s, const float* gy, const float* x, float* gw);
void conv2d_backward_bias(const float* gy, index_t N, index_t O, index_t P, float* gb);

// The rungs (conv.cpp dispatches).
void conv2d_forward_direct(const ConvShape& s, const float* x, const float* w, const float* bias, float* y);
void conv2d_backward_input_direct(const ConvShape& s, const float* gy, const float* w, float* gx);
void conv2d_backward_weight_direct(const ConvShape& s, const float* gy, const float* x, float* gw);
void conv2d_forward_im2col(const ConvShape& s, const float* x, const float* w, const float* bias, float* y);
void conv2d_backward_input_im2col(const ConvShape& s, const float* gy, const float* w, float* gx);
void conv2d_backward_weight_im2col(const ConvShape& s, const float* gy, const float* x, float* gw);
void conv2d_forward_implicit(const ConvShape& s, const float* x, const float* w, const float* bias, float* y);
void conv2d_backward_input_implicit(const ConvShape& s, const float* gy, const float* w, float* gx);
void conv2d_backward_weight_implicit(const ConvShape& s, const float* gy, const float* x, float* gw);

// Output indices [lo, hi) whose input coordinate q*stride - pad + off lies in [0, in).
inline void valid_range(index_t out, index_t in, index_t stride, index_t pad, index_t off, index_t* lo,
                        index_t* hi) {
  const index_t a = pad - off;  // q*stride >= a
  const index_t b = in + pad - off;  // q*stride <  b
  *lo = a <= 0 ? 0 : (a + stride - 1) / stride;
  *hi = b <= 0 ? 0 : (b + stride - 1) / stride;
  if (*hi > out) *hi = out;
  if (*lo > *hi) *lo = *hi;
}

// im2col of one image and group, output positions [p0, p1) only:
//   col[(c*kH + i)*kW + j][p - p0] = x_g[c, oh*sh - ph + i*dh, ow*sw - pw + j*dw] (0 outside), p = oh*Wo + ow.
// x_g points at the group's first channel of the image; col is K x (p1 - p0), row-major.
void im2col(const ConvShape& s, const float* x_g, index_t p0, index_t p1, float* col);
// The adjoint: x_g[...] += col[...] for the same index map (windows overlap, so it adds).
void col2im_add(const ConvShape& s, const float* col, index_t p0, index_t p1, float* x_g);

// ---------------------------------------------------------------- pooling
struct PoolShape {
  index_t N, C, H, W, Ho, Wo;
  index_t kh, kw, sh, sw, ph, pw, dh, dw;
};
// indices: flat h*W + w into the input plane; ties keep the first maximum in scan order, a NaN
// wins (as torch's CPU kernel), padding never wins.
void max_pool2d_forward(const PoolShape& s, const float* x, float* y, std::int64_t* indices);
void max_pool2d_backward(const PoolShape& s, const float* gy, const std::int64_t* indices, float* gx);
// divisor_override 0 means none.
void avg_pool2d_forward(const PoolShape& s, bool count_include_pad, index_t divisor_override, const float* x,
                        float* y);
void avg_pool2d_backward(const PoolShape& s, bool count_include_pad, index_t divisor_override,
                         const float* gy, float* gx);
void adaptive_avg_pool2d_forward(const PoolShape& s, const float* x, float* y);  // uses N, C, H, W, Ho, Wo
void adaptive_avg_pool2d_backward(const PoolShape& s, const float* gy, float* gx);

}  // namespace pyneuro::cpu

// conv.cuh: 2-D convolution (NCHW, float32) with stride, padding, dilation and groups.
//
// x [N, C, H, W], w [O, C/g, KH, KW], y [N, O, Ho, Wo], g = groups, Cg = C/g, Og = O/g.
// Cost: 2 * N * O * Cg * KH * KW * Ho * Wo FLOPs per pass (forward, grad input, grad
// weight alike); the minimum traffic is 4 * (|x| + |w| + |y|) bytes, so with Cg*KH*KW in
// the tens or more a convolution is compute-bound, like a matmul -- and it IS a matmul
// ("implicit GEMM"), per group g:
//
//   forward          Y[m, j]  = sum_k W[m, k] * X[k, j]     m: output channel (Og)
//                                                          j: (n, oh, ow)     (N*Ho*Wo)
//                                                          k: (ci, kh, kw)    (Cg*KH*KW)
//                    with X[k, j] = x[n, g*Cg+ci, oh*sh - ph + kh*dh, ow*sw - pw + kw*dw]
//                    (0 in the padding): the im2col matrix, never stored.
//   grad input       dX[m, j] = sum_k Wt[m, k] * dY[k, j]   m: ci, j: (n, ih, iw),
//                                                          k: (o, kh, kw) over the group
//                    with dY[k, j] = dy[n, o, oh, ow] where oh*sh = ih + ph - kh*dh (and
//                    the same for w), 0 when that is not a multiple of the stride or out
//                    of range: the transposed convolution, as a gather (no atomics).
//   grad weight      dW[m, j] = sum_k dY[m, k] * X[k, j]    m: o, j: (ci, kh, kw),
//                                                          k: (n, oh, ow)
//
// The ladder (each pass has both rungs, selected by name):
//   naive   one thread per output element, reading its operands straight from global
//           memory: Cg*KH*KW (or the transposed range) loads of x and of w per 2 FLOPs
//           each, so bandwidth and the caches bound it.
//   tiled   the implicit GEMM above with 16x16 tiles of both operands staged in shared
//           memory (as pn_matmul_tiled): each loaded value is used 16 times, and the
//           index arithmetic that turns (k, j) into an address is done once per load,
//           not once per FMA. Out-of-range (k, j) and padding load as 0.
//
// conv bias gradient: one block per output channel, a block-wide sum over N*Ho*Wo.
// Every kernel writes each output element exactly once (no atomics, deterministic).
#ifndef PYNEURO_CUDA_KERNELS_CONV_CUH  // include guard (portable to NVRTC)
#define PYNEURO_CUDA_KERNELS_CONV_CUH
#include "common.cuh"

// The geometry of one convolution, as passed to every kernel (all long long; the kernels'
// own signatures spell it out, for the tools that parse them: the fake CuPy, grep).
#define PN_CONV_PARAMS                                                                               \
  pn_index N, pn_index C, pn_index H, pn_index W, pn_index O, pn_index KH, pn_index KW, pn_index Ho, \
      pn_index Wo, pn_index sh, pn_index sw, pn_index ph, pn_index pw, pn_index dh, pn_index dw,     \
      pn_index groups
#define PN_CONV_ARGS N, C, H, W, O, KH, KW, Ho, Wo, sh, sw, ph, pw, dh, dw, groups

// ------------------------------------------------------------------------ naive
// 1-D grid-stride loops over the outputs; block 256.
extern "C" __global__ void pn_conv2d_forward_naive(pn_index N, pn_index C, pn_index H, pn_index W, pn_index O,
                                                   pn_index KH, pn_index KW, pn_index Ho, pn_index Wo,
                                                   pn_index sh, pn_index sw, pn_index ph, pn_index pw,
                                                   pn_index dh, pn_index dw, pn_index groups, const float* x,
                                                   const float* w, const float* bias, int has_bias,
                                                   float* y) {
  const pn_index Cg = C / groups, Og = O / groups, total = N * O * Ho * Wo;
  for (pn_index e = (pn_index)blockIdx.x * blockDim.x + threadIdx.x; e < total;
       e += (pn_index)gridDim.x * blockDim.x) {
    const pn_index ow = e % Wo, oh = (e / Wo) % Ho, o = (e / (Wo * Ho)) % O, n = e / (Wo * Ho * O);
    const pn_index c0 = (o / Og) * Cg;
    float acc = has_bias ? bias[o] : 0.0f;
    for (pn_index ci = 0; ci < Cg; ++ci)
      for (pn_index kh = 0; kh < KH; ++kh) {
        const pn_index ih = oh * sh - ph + kh * dh;
        if (ih < 0 || ih >= H) continue;
        for (pn_index kw = 0; kw < KW; ++kw) {
          const pn_index iw = ow * sw - pw + kw * dw;
          if (iw < 0 || iw >= W) continue;
          acc += w[((o * Cg + ci) * KH + kh) * KW + kw] * x[((n * C + c0 + ci) * H + ih) * W + iw];
        }
      }
    y[e] = acc;
  }
}

extern "C" __global__ void pn_conv2d_backward_input_naive(pn_index N, pn_index C, pn_index H, pn_index W,
                                                          pn_index O, pn_index KH, pn_index KW, pn_index Ho,
                                                          pn_index Wo, pn_index sh, pn_index sw, pn_index ph,
                                                          pn_index pw, pn_index dh, pn_index dw,
                                                          pn_index groups, const float* dy, const float* w,
                                                          float* dx) {
  const pn_index Cg = C / groups, Og = O / groups, total = N * C * H * W;
  for (pn_index e = (pn_index)blockIdx.x * blockDim.x + threadIdx.x; e < total;
       e += (pn_index)gridDim.x * blockDim.x) {
    const pn_index iw = e % W, ih = (e / W) % H, c = (e / (W * H)) % C, n = e / (W * H * C);
    const pn_index g = c / Cg, ci = c % Cg;
    float acc = 0.0f;
    for (pn_index o = g * Og; o < (g + 1) * Og; ++o)
      for (pn_index kh = 0; kh < KH; ++kh) {
        const pn_index th = ih + ph - kh * dh;  // = oh * sh
        if (th < 0 || th % sh) continue;
        const pn_index oh = th / sh;
        if (oh >= Ho) continue;
        for (pn_index kw = 0; kw < KW; ++kw) {
          const pn_index tw = iw + pw - kw * dw;
          if (tw < 0 || tw % sw) continue;
          const pn_index ow = tw / sw;
          if (ow >= Wo) continue;
          acc += w[((o * Cg + ci) * KH + kh) * KW + kw] * dy[((n * O + o) * Ho + oh) * Wo + ow];
        }
      }
    dx[e] = acc;
  }
}

extern "C" __global__ void pn_conv2d_backward_weight_naive(pn_index N, pn_index C, pn_index H, pn_index W,
                                                           pn_index O, pn_index KH, pn_index KW, pn_index Ho,
                                                           pn_index Wo, pn_index sh, pn_index sw, pn_index ph,
                                                           pn_index pw, pn_index dh, pn_index dw,
                                                           pn_index groups, const float* dy, const float* x,
                                                           float* dw_out) {
  const pn_index Cg = C / groups, Og = O / groups, total = O * Cg * KH * KW;
  for (pn_index e = (pn_index)blockIdx.x * blockDim.x + threadIdx.x; e < total;
       e += (pn_index)gridDim.x * blockDim.x) {
    const pn_index kw = e % KW, kh = (e / KW) % KH, ci = (e / (KW * KH)) % Cg, o = e / (KW * KH * Cg);
    const pn_index c = (o / Og) * Cg + ci;
    float acc = 0.0f;
    for (pn_index n = 0; n < N; ++n)
      for (pn_index oh = 0; oh < Ho; ++oh) {
        const pn_index ih = oh * sh - ph + kh * dh;
        if (ih < 0 || ih >= H) continue;
        for (pn_index ow = 0; ow < Wo; ++ow) {
          const pn_index iw = ow * sw - pw + kw * dw;
          if (iw < 0 || iw >= W) continue;
          acc += dy[((n * O + o) * Ho + oh) * Wo + ow] * x[((n * C + c) * H + ih) * W + iw];
        }
      }
    dw_out[e] = acc;
  }
}

// ------------------------------------------------------------------------ tiled implicit GEMM
#define PN_CONV_TILE 16

// Element (m, k) of the left operand and (k, j) of the right one for group g, 0 outside.
// MODE 0: forward, 1: grad input, 2: grad weight (see the table at the top).
template <int MODE>
__device__ __forceinline__ float pn_conv_a(PN_CONV_PARAMS, const float* A, pn_index g, pn_index m,
                                           pn_index k) {
  const pn_index Cg = C / groups, Og = O / groups;
  if (MODE == 0) {  // W[m, k], k = (ci, kh, kw): row m of the weight, contiguous
    return (m < Og && k < Cg * KH * KW) ? A[(g * Og + m) * Cg * KH * KW + k] : 0.0f;
  } else if (MODE == 1) {  // Wt[m = ci, k = (o, kh, kw)] = w[g*Og + o, ci, kh, kw]
    if (m >= Cg || k >= Og * KH * KW) return 0.0f;
    const pn_index o = k / (KH * KW), r = k % (KH * KW);
    return A[((g * Og + o) * Cg + m) * KH * KW + r];
  } else {  // dY[m = o, k = (n, oh, ow)]
    if (m >= Og || k >= N * Ho * Wo) return 0.0f;
    const pn_index n = k / (Ho * Wo), r = k % (Ho * Wo);
    return A[(n * O + g * Og + m) * Ho * Wo + r];
  }
}

template <int MODE>
__device__ __forceinline__ float pn_conv_b(PN_CONV_PARAMS, const float* B, pn_index g, pn_index k,
                                           pn_index j) {
  const pn_index Cg = C / groups, Og = O / groups;
  if (MODE == 0) {  // X[k = (ci, kh, kw), j = (n, oh, ow)]
    if (k >= Cg * KH * KW || j >= N * Ho * Wo) return 0.0f;
    const pn_index kw = k % KW, kh = (k / KW) % KH, ci = k / (KW * KH);
    const pn_index ow = j % Wo, oh = (j / Wo) % Ho, n = j / (Wo * Ho);
    const pn_index ih = oh * sh - ph + kh * dh, iw = ow * sw - pw + kw * dw;
    return (ih >= 0 && ih < H && iw >= 0 && iw < W) ? B[((n * C + g * Cg + ci) * H + ih) * W + iw] : 0.0f;
  } else if (MODE == 1) {  // dY[k = (o, kh, kw), j = (n, ih, iw)]
    if (k >= Og * KH * KW || j >= N * H * W) return 0.0f;
    const pn_index kw = k % KW, kh = (k / KW) % KH, o = k / (KW * KH);
    const pn_index iw = j % W, ih = (j / W) % H, n = j / (W * H);
    const pn_index th = ih + ph - kh * dh, tw = iw + pw - kw * dw;
    if (th < 0 || tw < 0 || th % sh || tw % sw) return 0.0f;
    const pn_index oh = th / sh, ow = tw / sw;
    return (oh < Ho && ow < Wo) ? B[((n * O + g * Og + o) * Ho + oh) * Wo + ow] : 0.0f;
  } else {  // X[k = (n, oh, ow), j = (ci, kh, kw)]
    if (k >= N * Ho * Wo || j >= Cg * KH * KW) return 0.0f;
    const pn_index ow = k % Wo, oh = (k / Wo) % Ho, n = k / (Wo * Ho);
    const pn_index kw = j % KW, kh = (j / KW) % KH, ci = j / (KW * KH);
    const pn_index ih = oh * sh - ph + kh * dh, iw = ow * sw - pw + kw * dw;
    return (ih >= 0 && ih < H && iw >= 0 && iw < W) ? B[((n * C + g * Cg + ci) * H + ih) * W + iw] : 0.0f;
  }
}

// Block (16, 16); grid (ceil(Ncols/16), ceil(M/16), groups). threadIdx.x walks along j, the
// output's contiguous index for the forward and grad-input passes (coalesced stores).
template <int MODE>
__device__ __forceinline__ void pn_conv_igemm(PN_CONV_PARAMS, const float* A, const float* B,
                                              const float* bias, int has_bias, float* out) {
  __shared__ float As[PN_CONV_TILE][PN_CONV_TILE + 1];  // As[r][k] = A[bm + r, k0 + k]
  __shared__ float Bs[PN_CONV_TILE][PN_CONV_TILE + 1];  // Bs[k][c] = B[k0 + k, bn + c]
  const pn_index Cg = C / groups, Og = O / groups;
  const pn_index M = MODE == 1 ? Cg : Og;
  const pn_index Ncols = MODE == 0 ? N * Ho * Wo : MODE == 1 ? N * H * W : Cg * KH * KW;
  const pn_index K = MODE == 0 ? Cg * KH * KW : MODE == 1 ? Og * KH * KW : N * Ho * Wo;
  const int tx = threadIdx.x, ty = threadIdx.y;
  const pn_index g = blockIdx.z;
  const pn_index bm = (pn_index)blockIdx.y * PN_CONV_TILE, bn = (pn_index)blockIdx.x * PN_CONV_TILE;
  float acc = 0.0f;
  for (pn_index k0 = 0; k0 < K; k0 += PN_CONV_TILE) {
    As[ty][tx] = pn_conv_a<MODE>(PN_CONV_ARGS, A, g, bm + ty, k0 + tx);
    Bs[ty][tx] = pn_conv_b<MODE>(PN_CONV_ARGS, B, g, k0 + ty, bn + tx);
    __syncthreads();
#pragma unroll
    for (int k = 0; k < PN_CONV_TILE; ++k) acc += As[ty][k] * Bs[k][tx];
    __syncthreads();
  }
  const pn_index m = bm + ty, j = bn + tx;
  if (m >= M || j >= Ncols) return;
  if (MODE == 0) {  // y[n, g*Og + m, oh, ow], j = (n, oh, ow)
    const pn_index o = g * Og + m, n = j / (Ho * Wo), r = j % (Ho * Wo);
    out[(n * O + o) * Ho * Wo + r] = acc + (has_bias ? bias[o] : 0.0f);
  } else if (MODE == 1) {  // dx[n, g*Cg + m, ih, iw], j = (n, ih, iw)
    const pn_index n = j / (H * W), r = j % (H * W);
    out[(n * C + g * Cg + m) * H * W + r] = acc;
  } else {  // dw[g*Og + m, j], j = (ci, kh, kw)
    out[(g * Og + m) * Cg * KH * KW + j] = acc;
  }
}

extern "C" __global__ void pn_conv2d_forward_tiled(pn_index N, pn_index C, pn_index H, pn_index W, pn_index O,
                                                   pn_index KH, pn_index KW, pn_index Ho, pn_index Wo,
                                                   pn_index sh, pn_index sw, pn_index ph, pn_index pw,
                                                   pn_index dh, pn_index dw, pn_index groups, const float* x,
                                                   const float* w, const float* bias, int has_bias,
                                                   float* y) {
  pn_conv_igemm<0>(PN_CONV_ARGS, w, x, bias, has_bias, y);
}

extern "C" __global__ void pn_conv2d_backward_input_tiled(pn_index N, pn_index C, pn_index H, pn_index W,
                                                          pn_index O, pn_index KH, pn_index KW, pn_index Ho,
                                                          pn_index Wo, pn_index sh, pn_index sw, pn_index ph,
                                                          pn_index pw, pn_index dh, pn_index dw,
                                                          pn_index groups, const float* dy, const float* w,
                                                          float* dx) {
  pn_conv_igemm<1>(PN_CONV_ARGS, w, dy, nullptr, 0, dx);
}

extern "C" __global__ void pn_conv2d_backward_weight_tiled(pn_index N, pn_index C, pn_index H, pn_index W,
                                                           pn_index O, pn_index KH, pn_index KW, pn_index Ho,
                                                           pn_index Wo, pn_index sh, pn_index sw, pn_index ph,
                                                           pn_index pw, pn_index dh, pn_index dw,
                                                           pn_index groups, const float* dy, const float* x,
                                                           float* dw_out) {
  pn_conv_igemm<2>(PN_CONV_ARGS, dy, x, nullptr, 0, dw_out);
}

// ------------------------------------------------------------------------ bias gradient
// grid (O); block (256): db[o] = sum over n and the Ho*Wo plane of dy[n, o].
extern "C" __global__ void pn_conv2d_backward_bias(pn_index N, pn_index O, pn_index HW, const float* dy,
                                                   float* db) {
  const pn_index o = blockIdx.x;
  float s = 0.0f;
  for (pn_index n = 0; n < N; ++n)
    for (pn_index i = threadIdx.x; i < HW; i += blockDim.x) s += dy[(n * O + o) * HW + i];
  s = pn_group_sum(s);
  if (threadIdx.x == 0) db[o] = s;
}

#endif  // PYNEURO_CUDA_KERNELS_CONV_CUH

// pool.cuh: 2-D max, average and adaptive-average pooling (NCHW, float32).
//
// Pooling reads each input element about (KH*KW)/(sh*sw) times and does one compare or
// add per read: no reuse to speak of, so it is bandwidth-bound and one thread per output
// (forward) or per input element (backward, as a gather) is the right shape; consecutive
// threads handle consecutive elements of a row, so loads and stores coalesce.
//
//   max forward    the window scan of torch's kernels: start at the first real element
//                  with -inf, replace on `v > best || v is NaN`, so ties keep the first
//                  maximum in row-major order and a NaN wins; padding is never selected.
//                  Writes the value and its flat index h*W + w in the input plane.
//   max backward   dx[plane, idx] += dy: an atomicAdd scatter (the kernel table passes no
//                  window geometry, so the gather form is not available); dx starts at 0.
//                  Overlapping windows make the order of additions, and so the last bit of
//                  a sum, depend on timing.
//   avg            torch's divisor rules (count_include_pad, ceil_mode, divisor_override);
//                  the backward pass gathers from the outputs whose window holds the input.
//   adaptive avg   windows [floor(i*H/Ho), ceil((i+1)*H/Ho)); backward gathers too.
#ifndef PYNEURO_CUDA_KERNELS_POOL_CUH  // include guard (portable to NVRTC)
#define PYNEURO_CUDA_KERNELS_POOL_CUH
#include "common.cuh"

__device__ __forceinline__ pn_index pn_imin(pn_index a, pn_index b) { return a < b ? a : b; }
__device__ __forceinline__ pn_index pn_imax(pn_index a, pn_index b) { return a > b ? a : b; }

// PN_GRID_STRIDE (the grid-stride loop) comes from common.cuh.
// 1-D grid-stride loops, block 256, for every kernel here. P = N*C planes.
extern "C" __global__ void pn_max_pool2d_forward(pn_index P, pn_index H, pn_index W, pn_index Ho, pn_index Wo,
                                                 pn_index kh, pn_index kw, pn_index sh, pn_index sw,
                                                 pn_index ph, pn_index pw, pn_index dh, pn_index dw,
                                                 const float* x, float* y, long long* idx) {
  PN_GRID_STRIDE(e, P * Ho * Wo) {
    const pn_index q = e % Wo, r = (e / Wo) % Ho, p = e / (Wo * Ho);
    pn_index h0 = r * sh - ph, w0 = q * sw - pw;
    const pn_index h1 = pn_imin(h0 + (kh - 1) * dh + 1, H), w1 = pn_imin(w0 + (kw - 1) * dw + 1, W);
    while (h0 < 0) h0 += dh;
    while (w0 < 0) w0 += dw;
    const float* plane = x + p * H * W;
    float best = pn_neg_inf();
    pn_index at = h0 * W + w0;
    for (pn_index ih = h0; ih < h1; ih += dh)
      for (pn_index iw = w0; iw < w1; iw += dw) {
        const float v = plane[ih * W + iw];
        if (v > best || v != v) {
          best = v;
          at = ih * W + iw;
        }
      }
    y[e] = best;
    idx[e] = at;
  }
}

// dx must be zero-filled before the launch.
extern "C" __global__ void pn_max_pool2d_backward(pn_index P, pn_index HW, pn_index HoWo, const float* dy,
                                                  const long long* idx, float* dx) {
  PN_GRID_STRIDE(e, P * HoWo) { atomicAdd(dx + (e / HoWo) * HW + idx[e], dy[e]); }
}

// Window [h0, h1) x [w0, w1) of output (r, q), clipped to the input, and its divisor.
__device__ __forceinline__ float pn_avg_window(pn_index r, pn_index q, pn_index kh, pn_index kw, pn_index sh,
                                               pn_index sw, pn_index ph, pn_index pw, pn_index H, pn_index W,
                                               int count_include_pad, pn_index divisor_override, pn_index& h0,
                                               pn_index& h1, pn_index& w0, pn_index& w1) {
  h0 = r * sh - ph;
  w0 = q * sw - pw;
  h1 = pn_imin(h0 + kh, H + ph);
  w1 = pn_imin(w0 + kw, W + pw);
  const pn_index pool = (h1 - h0) * (w1 - w0);
  h0 = pn_imax(h0, 0);
  w0 = pn_imax(w0, 0);
  h1 = pn_imin(h1, H);
  w1 = pn_imin(w1, W);
  const pn_index div = divisor_override ? divisor_override : count_include_pad ? pool : (h1 - h0) * (w1 - w0);
  return 1.0f / (float)div;
}

extern "C" __global__ void pn_avg_pool2d_forward(pn_index P, pn_index H, pn_index W, pn_index Ho, pn_index Wo,
                                                 pn_index kh, pn_index kw, pn_index sh, pn_index sw,
                                                 pn_index ph, pn_index pw, int count_include_pad,
                                                 pn_index divisor_override, const float* x, float* y) {
  PN_GRID_STRIDE(e, P * Ho * Wo) {
    const pn_index q = e % Wo, r = (e / Wo) % Ho, p = e / (Wo * Ho);
    pn_index h0, h1, w0, w1;
    const float inv = pn_avg_window(r, q, kh, kw, sh, sw, ph, pw, H, W, count_include_pad, divisor_override,
                                    h0, h1, w0, w1);
    const float* plane = x + p * H * W;
    float s = 0.0f;
    for (pn_index ih = h0; ih < h1; ++ih)
      for (pn_index iw = w0; iw < w1; ++iw) s += plane[ih * W + iw];
    y[e] = s * inv;
  }
}

// Gather: input (ih, iw) lies in the windows of outputs r in [(ih+ph-kh)/sh + 1, (ih+ph)/sh]
// (clipped), the same for q; each is re-checked against its clipped window.
extern "C" __global__ void pn_avg_pool2d_backward(pn_index P, pn_index H, pn_index W, pn_index Ho,
                                                  pn_index Wo, pn_index kh, pn_index kw, pn_index sh,
                                                  pn_index sw, pn_index ph, pn_index pw,
                                                  int count_include_pad, pn_index divisor_override,
                                                  const float* dy, float* dx) {
  PN_GRID_STRIDE(e, P * H * W) {
    const pn_index iw = e % W, ih = (e / W) % H, p = e / (W * H);
    const pn_index r0 = (ih + ph < kh) ? 0 : (ih + ph - kh) / sh + 1, r1 = pn_imin((ih + ph) / sh + 1, Ho);
    const pn_index q0 = (iw + pw < kw) ? 0 : (iw + pw - kw) / sw + 1, q1 = pn_imin((iw + pw) / sw + 1, Wo);
    const float* g = dy + p * Ho * Wo;
    float s = 0.0f;
    for (pn_index r = r0; r < r1; ++r)
      for (pn_index q = q0; q < q1; ++q) {
        pn_index h0, h1, w0, w1;
        const float inv = pn_avg_window(r, q, kh, kw, sh, sw, ph, pw, H, W, count_include_pad,
                                        divisor_override, h0, h1, w0, w1);
        if (ih >= h0 && ih < h1 && iw >= w0 && iw < w1) s += g[r * Wo + q] * inv;
      }
    dx[e] = s;
  }
}

__device__ __forceinline__ pn_index pn_adaptive_start(pn_index i, pn_index in, pn_index out) {
  return (i * in) / out;
}
__device__ __forceinline__ pn_index pn_adaptive_end(pn_index i, pn_index in, pn_index out) {
  return ((i + 1) * in + out - 1) / out;
}

extern "C" __global__ void pn_adaptive_avg_pool2d_forward(pn_index P, pn_index H, pn_index W, pn_index Ho,
                                                          pn_index Wo, const float* x, float* y) {
  PN_GRID_STRIDE(e, P * Ho * Wo) {
    const pn_index q = e % Wo, r = (e / Wo) % Ho, p = e / (Wo * Ho);
    const pn_index h0 = pn_adaptive_start(r, H, Ho), h1 = pn_adaptive_end(r, H, Ho);
    const pn_index w0 = pn_adaptive_start(q, W, Wo), w1 = pn_adaptive_end(q, W, Wo);
    const float* plane = x + p * H * W;
    float s = 0.0f;
    for (pn_index ih = h0; ih < h1; ++ih)
      for (pn_index iw = w0; iw < w1; ++iw) s += plane[ih * W + iw];
    y[e] = s / (float)((h1 - h0) * (w1 - w0));
  }
}

// Gather: the outputs whose window can hold row ih are r in [ih*Ho/H - 1, (ih+1)*Ho/H + 1]
// (a superset, clipped); each is re-checked against its window.
extern "C" __global__ void pn_adaptive_avg_pool2d_backward(pn_index P, pn_index H, pn_index W, pn_index Ho,
                                                           pn_index Wo, const float* dy, float* dx) {
  PN_GRID_STRIDE(e, P * H * W) {
    const pn_index iw = e % W, ih = (e / W) % H, p = e / (W * H);
    const pn_index r0 = pn_imax((ih * Ho) / H - 1, 0), r1 = pn_imin(((ih + 1) * Ho) / H + 2, Ho);
    const pn_index q0 = pn_imax((iw * Wo) / W - 1, 0), q1 = pn_imin(((iw + 1) * Wo) / W + 2, Wo);
    const float* g = dy + p * Ho * Wo;
    float s = 0.0f;
    for (pn_index r = r0; r < r1; ++r) {
      const pn_index h0 = pn_adaptive_start(r, H, Ho), h1 = pn_adaptive_end(r, H, Ho);
      if (ih < h0 || ih >= h1) continue;
      for (pn_index q = q0; q < q1; ++q) {
        const pn_index w0 = pn_adaptive_start(q, W, Wo), w1 = pn_adaptive_end(q, W, Wo);
        if (iw >= w0 && iw < w1) s += g[r * Wo + q] / (float)((h1 - h0) * (w1 - w0));
      }
    }
    dx[e] = s;
  }
}

#endif  // PYNEURO_CUDA_KERNELS_POOL_CUH

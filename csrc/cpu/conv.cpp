// conv.cpp: entry points of the convolution ladder: pick the rung asked for; the bias gradient.
// The rungs live one per file: conv_direct.cpp -> conv_im2col.cpp -> conv_implicit.cpp.
#include "pyneuro/conv.h"

namespace pyneuro::cpu {

void conv2d_forward(ConvVariant v, const ConvShape& s, const float* x, const float* w, const float* bias,
                    float* y) {
  if (s.N * s.O * s.P() == 0) return;
  switch (v) {
    case ConvVariant::Direct:
      conv2d_forward_direct(s, x, w, bias, y);
      break;
    case ConvVariant::Im2col:
      conv2d_forward_im2col(s, x, w, bias, y);
      break;
    case ConvVariant::Implicit:
      conv2d_forward_implicit(s, x, w, bias, y);
      break;
  }
}

void conv2d_backward_input(ConvVariant v, const ConvShape& s, const float* gy, const float* w, float* gx) {
  if (s.N * s.C * s.H * s.W == 0) return;
  switch (v) {
    case ConvVariant::Direct:
      conv2d_backward_input_direct(s, gy, w, gx);
      break;
    case ConvVariant::Im2col:
      conv2d_backward_input_im2col(s, gy, w, gx);
      break;
    case ConvVariant::Implicit:
      conv2d_backward_input_implicit(s, gy, w, gx);
      break;
  }
}

void conv2d_backward_weight(ConvVariant v, const ConvShape& s, const float* gy, const float* x, float* gw) {
  if (s.O * s.K() == 0) return;
  switch (v) {
    case ConvVariant::Direct:
      conv2d_backward_weight_direct(s, gy, x, gw);
      break;
    case ConvVariant::Im2col:
      conv2d_backward_weight_im2col(s, gy, x, gw);
      break;
    case ConvVariant::Implicit:
      conv2d_backward_weight_implicit(s, gy, x, gw);
      break;
  }
}

// grad_b[o] = sum over n and the P output positions of grad_y[n, o, :]: N*O*P adds, one pass
// over grad_y. Threads split the channels o; each sum runs in the same order for any count.
void conv2d_backward_bias(const float* gy, index_t N, index_t O, index_t P, float* gb) {
  parallel_for(O, N * O * P * kCostElementwise / 8, [&](index_t o0, index_t o1) {
    for (index_t o = o0; o < o1; ++o) {
      float total = 0.0f;
      for (index_t n = 0; n < N; ++n) {
        const float* g = gy + (n * O + o) * P;
        float part = 0.0f;
        for (index_t p = 0; p < P; ++p) part += g[p];
        total += part;
      }
      gb[o] = total;
    }
  });
}

}  // namespace pyneuro::cpu

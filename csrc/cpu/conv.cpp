// conv.cpp: entry points of the convolution ladder: pick the rung asked for; the bias gradient.
// The rungs live one per file: conv_direct.cpp -> conv_im2col.cpp -> conv_implicit.cpp.
#include "pyneuro/conv.h"

#include <algorithm>
#include <vector>

#include "pyneuro/elementwise.h"

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
// over grad_y, in two steps: (1) bias_grad's vectorised column sums over the batch, viewing
// grad_y as N rows of O*P columns (tiled, threads split the columns), then (2) each channel's P
// partial sums added up. Summed straight along each plane instead, every add waited for the
// previous one (one dependency chain, no vectors): 1.1 ms for the ConvNet's 64x64x24x24
// gradient on one Zen 5 core, against ~0.3 ms now. The order of the adds is fixed, so the
// result is the same for any thread count.
void conv2d_backward_bias(const float* gy, index_t N, index_t O, index_t P, float* gb) {
  if (N == 0 || P == 0) {
    std::fill(gb, gb + O, 0.0f);
    return;
  }
  std::vector<float> per_position(static_cast<std::size_t>(O * P));
  bias_grad(gy, per_position.data(), N, O * P);
  for (index_t o = 0; o < O; ++o) {
    const float* part = per_position.data() + o * P;
    float total = 0.0f;
    for (index_t p = 0; p < P; ++p) total += part[p];
    gb[o] = total;
  }
}

}  // namespace pyneuro::cpu

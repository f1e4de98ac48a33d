// gelu.cpp: GELU forward and backward, exact (erf) and tanh-approximated (declared in
// pyneuro/elementwise.h; the vector body is simd_gelu.h).
//
//   exact:  y = x Phi(x),  Phi(x) = erfc(-x / sqrt 2) / 2,  dy/dx = Phi(x) + x phi(x)
//   tanh:   y = 0.5 x (1 + tanh(u)) = x s,  s = 1 / (1 + exp(-2u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
//           dy/dx = s + 2 x s (1 - s) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
//
// What it costs. Per element 8 bytes moved (12 backward) and ~40 FLOPs: one exp, two
// divisions and a degree-11 polynomial (exact form), one exp and one division (tanh form).
// That is compute-bound in cache and close to the bandwidth from memory. The NumPy form it
// replaces (autograd/activation.py, still the reference and the GPU path) makes ~10 passes
// over the array with float64 temporaries, and erfc in three masked pieces.
// Why each step helps:
//   1. One erfc for all x, no branch: erfc(a) = exp(-a^2) erfcx(a) for a = |x| / sqrt 2 >= 0,
//      erfcx(a) (1 + 2a) a polynomial in q = (a - 2) / (a + 2) in [-1, 0.68] (N. Juffa's
//      construction; coefficients fitted here for relative error < 1.3e-8, i.e. 0.2 ulp).
//      Phi(x) = erfc(a) / 2 below 0 and 1 - erfc(a) / 2 above: relative accuracy to the far
//      tail (no 1 + erf(x) cancellation), and the same exp(-x^2 / 2) is phi's for backward.
//   2. x^2's rounding error folded back in (exp(-(h + l)) = exp(-h)(1 - l), l from an FMA):
//      without it exp(-x^2 / 2) would lose up to ~20 ulp around x = -6.
//   3. Vectorised (simd.h's vexp, AVX-512 / AVX2 / scalar chosen at run time), masked tails.
//   4. Threads (parallel_for) once an array is large; every element is computed alone, so the
//      result does not depend on the thread count.
// Denormals are kept (KeepDenormalsScope), as torch keeps them: Phi(-13) ~ 6e-39.
// float32 only; float64 tensors take the NumPy reference (the backend's table_for).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "pyneuro/elementwise.h"
#include "simd.h"

namespace pyneuro::cpu {
namespace {

namespace scalar_impl {
using namespace simd::scalar;  // Vec, kWidth, vload, ...
#include "simd_gelu.h"
}  // namespace scalar_impl

#if PYNEURO_X86_SIMD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2_impl {
using namespace simd::avx2;  // Vec, kWidth, vload, ...
#include "simd_gelu.h"
}  // namespace avx2_impl
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")
namespace avx512_impl {
using namespace simd::avx512;  // Vec, kWidth, vload, ...
#include "simd_gelu.h"
}  // namespace avx512_impl
#pragma GCC pop_options
#endif

// ~40 FLOPs and an exp per element: twice an exp-bound element's cost.
constexpr index_t kCostGelu = 2 * kCostExp;

}  // namespace

void gelu_forward(const float* x, float* y, index_t n, bool tanh) {
  parallel_for(n, n * kCostGelu, [&](index_t begin, index_t end) {
    KeepDenormalsScope keep;  // (torch's tiny tail values: common.h)
    PYNEURO_SIMD_DISPATCH(gelu_forward_range(x, y, begin, end, tanh));
  });
}

void gelu_backward(const float* gy, const float* x, float* gx, index_t n, bool tanh) {
  parallel_for(n, n * kCostGelu, [&](index_t begin, index_t end) {
    KeepDenormalsScope keep;
    PYNEURO_SIMD_DISPATCH(gelu_backward_range(gy, x, gx, begin, end, tanh));
  });
}

}  // namespace pyneuro::cpu

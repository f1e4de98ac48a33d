// softmax.cpp: row-wise softmax, log_softmax and cross-entropy fused with softmax
// (declared in pyneuro/softmax.h; the row kernels themselves are in simd_softmax.h).
//
// What it costs. Per element: one exp (~15 vector instructions with vexp, simd.h), a few
// adds/multiplies; bytes: 4 read + 4 written (softmax, log_softmax), 4 read (cross-entropy
// forward), 8 read + 4 written (backwards). At these intensities a kernel is either
// exp-bound (rows in cache) or bandwidth-bound (large matrices); the optimisations below
// attack both:
//   1. Vectorised exp: 16 exps per AVX-512 instruction sequence instead of one libm call
//      each (~10x). NumPy's `x - max, exp, sum, divide` also makes 4 full passes through
//      memory with 3 temporaries; here each row is read once from memory and revisited only
//      while it is in L1/L2.
//   2. Fusion: the online variant computes the running max and the rescaled sum in one read
//      of x; cross-entropy backward writes (p - onehot) * grad directly and never stores p;
//      cross-entropy forward writes nothing but one loss per row.
//   3. Masked tails: a row of 10 classes is one masked AVX-512 vector, no scalar loop.
//   4. Threads: rows are split over OpenMP threads only when there is enough work
//      (parallel_for, runtime.cpp); a 128x10 batch runs on the calling thread.
// Unlike the other kernels these keep denormals (KeepDenormalsScope, common.h), as torch:
// a probability below 1.2e-38 is kept, not flushed to 0.
// The same kernel source is compiled three times (scalar, AVX2+FMA, AVX-512) under GCC
// target pragmas and picked at run time (simd.h): no -march=native needed.
#include "pyneuro/softmax.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "simd.h"

namespace pyneuro::cpu {
namespace {

// Whether the narrow kernels run 10-class rows through their fixed-width loop
// (for_each_group in simd_softmax.h); PYNEURO_NARROW_FIXED=0 says no.
bool fixed_width_loop() {
  static const bool on = [] {
    const char* s = std::getenv("PYNEURO_NARROW_FIXED");
    return !(s && std::strcmp(s, "0") == 0);
  }();
  return on;
}

namespace scalar_impl {
using namespace simd;  // kInf, kNaN
using namespace simd::scalar;  // Vec, kWidth, vload, vexp, ...
#include "simd_softmax.h"
}  // namespace scalar_impl

#if PYNEURO_X86_SIMD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2_impl {
using namespace simd;  // kInf, kNaN
using namespace simd::avx2;  // Vec, kWidth, vload, vexp, ...
#include "simd_softmax.h"
}  // namespace avx2_impl
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")
namespace avx512_impl {
using namespace simd;  // kInf, kNaN
using namespace simd::avx512;  // Vec, kWidth, vload, vexp, ...
#include "simd_softmax.h"
}  // namespace avx512_impl
#pragma GCC pop_options
#endif

}  // namespace

void softmax_forward(SoftmaxVariant variant, const float* x, float* y, index_t rows, index_t cols) {
  const bool stream = rows * cols >= kStreamMinFloats;
  parallel_for(rows, rows * cols * kCostExp, [&](index_t begin, index_t end) {
    KeepDenormalsScope keep;  // (torch's tiny probabilities: common.h)
    if (variant == SoftmaxVariant::ThreePass) {
      PYNEURO_SIMD_DISPATCH(softmax_three_pass_rows(x, y, cols, begin, end));
    } else {
      PYNEURO_SIMD_DISPATCH(softmax_online_rows(x, y, cols, begin, end, stream));
    }
  });
}

void softmax_backward(const float* gy, const float* y, float* gx, index_t rows, index_t cols) {
  parallel_for(rows, rows * cols * kCostElementwise, [&](index_t begin, index_t end) {
    KeepDenormalsScope keep;  // (torch's tiny probabilities: common.h)
    PYNEURO_SIMD_DISPATCH(softmax_backward_rows(gy, y, gx, cols, begin, end));
  });
}

void log_softmax_forward(const float* x, float* y, index_t rows, index_t cols) {
  const bool stream = rows * cols >= kStreamMinFloats;
  parallel_for(rows, rows * cols * kCostExp, [&](index_t begin, index_t end) {
    KeepDenormalsScope keep;  // (torch's tiny probabilities: common.h)
    PYNEURO_SIMD_DISPATCH(log_softmax_forward_rows(x, y, cols, begin, end, stream));
  });
}

void log_softmax_backward(const float* gy, const float* y, float* gx, index_t rows, index_t cols) {
  parallel_for(rows, rows * cols * kCostExp, [&](index_t begin, index_t end) {
    KeepDenormalsScope keep;  // (torch's tiny probabilities: common.h)
    PYNEURO_SIMD_DISPATCH(log_softmax_backward_rows(gy, y, gx, cols, begin, end));
  });
}

void cross_entropy_forward(const float* logits, const std::int64_t* targets, float* losses, index_t rows,
                           index_t cols) {
  parallel_for(rows, rows * cols * kCostExp, [&](index_t begin, index_t end) {
    KeepDenormalsScope keep;  // (torch's tiny probabilities: common.h)
    PYNEURO_SIMD_DISPATCH(cross_entropy_forward_rows(logits, targets, losses, cols, begin, end));
  });
}

void cross_entropy_backward(const float* logits, const std::int64_t* targets, const float* grad_losses,
                            float* grad_logits, index_t rows, index_t cols) {
  parallel_for(rows, rows * cols * kCostExp, [&](index_t begin, index_t end) {
    KeepDenormalsScope keep;  // (torch's tiny probabilities: common.h)
    PYNEURO_SIMD_DISPATCH(
        cross_entropy_backward_rows(logits, targets, grad_losses, grad_logits, cols, begin, end));
  });
}

}  // namespace pyneuro::cpu

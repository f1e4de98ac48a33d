// elementwise.cpp: ReLU, bias add and its gradient, the SGD and Adam updates, argmax
// (declared in pyneuro/elementwise.h; the loops themselves are in simd_elementwise.h), and
// the matmul epilogue (pyneuro/matmul.h: bias, ReLU and a ReLU's mask, by the same rules).
//
// What it costs. Each kernel does 1-10 FLOPs per element and moves 8 bytes (ReLU forward,
// bias add), 12 (ReLU backward), 12-20 (SGD) or 28 (Adam) per element: at ~10-40 GB/s per
// core they are limited by memory bandwidth, never by arithmetic. So the optimisations are
// about bytes and overheads, not FLOPs:
//   1. One pass, no temporaries: NumPy's `np.where(x <= 0, 0, g)` first writes a boolean
//      array, then reads it back; `g * (x > 0)` also converts it to float. Here each input
//      byte is read once and each output byte written once.
//   2. Vectorised, branch-free loops: the same source is compiled for the scalar baseline,
//      AVX2 and AVX-512 (simd.h's target pragmas) and dispatched at run time; the
//      per-element selects become vector compare + blend/mask instructions.
//   3. Streaming stores for large ReLU outputs: no read-for-ownership of lines that are
//      about to be overwritten entirely.
//   4. Threads only where they pay: parallel_for (runtime.cpp) keeps small arrays on the
//      calling thread; large ones are split into one contiguous range per thread.
// bias_grad is a reduction, parallelised over columns (each column summed in row order),
// so its result is bit-identical for any thread count.
#include "pyneuro/elementwise.h"
#include "pyneuro/matmul.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "simd.h"

namespace pyneuro::cpu {
namespace {

struct SgdArgs {  // torch.optim.SGD's hyper-parameters
  float lr, momentum, dampening, weight_decay;
  bool nesterov, first_step;
};

struct AdamArgs {  // torch.optim.Adam's, with the bias corrections of this step folded in
  float beta1, beta2, one_minus_beta1, one_minus_beta2, eps, weight_decay, step_size, inv_sqrt_bc2;
};

struct AdadeltaArgs {  // torch.optim.Adadelta's; sign is -1 for maximize, else 1
  float lr, rho, one_minus_rho, eps, weight_decay, sign;
};

namespace scalar_impl {
using namespace simd::scalar;  // Vec, kWidth, vload, ...
#include "simd_elementwise.h"
}  // namespace scalar_impl

#if PYNEURO_X86_SIMD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2_impl {
using namespace simd::avx2;  // Vec, kWidth, vload, ...
#include "simd_elementwise.h"
}  // namespace avx2_impl
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")
namespace avx512_impl {
using namespace simd::avx512;  // Vec, kWidth, vload, ...
#include "simd_elementwise.h"
}  // namespace avx512_impl
#pragma GCC pop_options
#endif

}  // namespace

void relu_forward(const float* x, float* y, index_t n) {
  const bool stream = n >= kStreamMinFloats;
  parallel_for(n, n * kCostElementwise, [&](index_t begin, index_t end) {
    PYNEURO_SIMD_DISPATCH(relu_forward_range(x, y, begin, end, stream));
  });
}

void relu_backward(const float* gy, const float* x, float* gx, index_t n) {
  const bool stream = n >= kStreamMinFloats;
  parallel_for(n, n * kCostElementwise, [&](index_t begin, index_t end) {
    PYNEURO_SIMD_DISPATCH(relu_backward_range(gy, x, gx, begin, end, stream));
  });
}

void bias_add(const float* x, const float* b, float* y, index_t rows, index_t cols) {
  parallel_for(rows, rows * cols * kCostElementwise, [&](index_t begin, index_t end) {
    PYNEURO_SIMD_DISPATCH(bias_add_rows(x, b, y, cols, begin, end));
  });
}

void matmul_epilogue_tile(float* c, index_t ldc, index_t rows, index_t cols, const float* bias, bool relu,
                          const float* relu_mask) {
  PYNEURO_SIMD_DISPATCH(epilogue_rows(c, ldc, rows, cols, bias, relu, relu_mask));
}

void matmul_epilogue(float* C, index_t M, index_t N, const MatmulEpilogue& e) {
  if (!e.any()) return;
  parallel_for(M, M * N * kCostElementwise, [&](index_t begin, index_t end) {
    PYNEURO_SIMD_DISPATCH(epilogue_rows(C + begin * N, N, end - begin, N, e.bias, e.relu,
                                        e.relu_mask ? e.relu_mask + begin * N : nullptr));
  });
}

void bias_grad(const float* gy, float* gb, index_t rows, index_t cols) {
  // Split columns over threads only when each thread gets a few cache lines of them.
  const index_t work = cols >= 64 ? rows * cols * kCostElementwise : 0;
  parallel_for(cols, work, [&](index_t begin, index_t end) {
    PYNEURO_SIMD_DISPATCH(bias_grad_cols(gy, gb, rows, cols, begin, end));
  });
}

// An optimizer step goes parallel from this many elements (in all, for the multi-tensor form), far below
// kParallelMinWork's ~150 us of one core: its inputs were just written by both cores (the
// gradients by the parallel matmuls of the backward pass, split the same way step after
// step), so with parallel_for's fixed assignment each thread updates mostly what its own
// core's cache holds, where one thread alone would pull half of it across. Measured on the
// 784-256-10 MLP at batch 128 (203,530 parameters, 2.4 MB of state), step times interleaved
// in one process, 10 rounds: 1422 us with one thread for the update, 1336 us with two; the
// update alone (256 x 784 with momentum): 65 us on one thread, 28 us on two.
constexpr index_t kOptimizerParallelMin = index_t(1) << 16;
inline index_t optimizer_work(index_t n) { return n >= kOptimizerParallelMin ? kParallelMinWork : 0; }

void sgd_step(float* param, const float* grad, float* buf, index_t n, float lr, float momentum,
              float dampening, float weight_decay, bool nesterov, bool first_step) {
  const SgdArgs args{lr, momentum, dampening, weight_decay, nesterov, first_step};
  parallel_for(n, optimizer_work(n), [&](index_t begin, index_t end) {
    PYNEURO_SIMD_DISPATCH(sgd_range(param, grad, buf, args, begin, end));
  });
}

namespace {
// Bias corrections in double, once per call: 1 - beta^step loses digits in float32. So does
// 1 - beta itself (1.0f - 0.999f is 1.3e-5 below torch's float(1 - 0.999)): from the double.
AdamArgs adam_args(std::int64_t step, double lr, double beta1, double beta2, double eps,
                   double weight_decay) {
  const double bc1 = 1.0 - std::pow(beta1, double(step));
  const double bc2 = 1.0 - std::pow(beta2, double(step));
  return AdamArgs{float(beta1), float(beta2),        float(1.0 - beta1), float(1.0 - beta2),
                  float(eps),   float(weight_decay), float(lr / bc1),    float(1.0 / std::sqrt(bc2))};
}

// Runs body(tensor index, begin, end) over [0, total) of the concatenated tensors, split by
// parallel_for: a chunk that spans several tensors is cut at their boundaries.
template <class Body>
void for_concatenated(const std::vector<index_t>& offsets, const Body& body) {
  const index_t total = offsets.back();
  parallel_for(total, optimizer_work(total), [&](index_t begin, index_t end) {
    std::size_t i =
        std::size_t(std::upper_bound(offsets.begin(), offsets.end(), begin) - offsets.begin()) - 1;
    for (; begin < end; ++i) {
      const index_t stop = std::min(end, offsets[i + 1]);
      if (stop > begin) body(i, begin - offsets[i], stop - offsets[i]);
      begin = stop;
    }
  });
}

template <class T>
std::vector<index_t> offsets_of(const T* tensors, std::size_t count) {
  std::vector<index_t> off(count + 1, 0);
  for (std::size_t i = 0; i < count; ++i) off[i + 1] = off[i] + tensors[i].n;
  return off;
}
}  // namespace

void sgd_step_multi(const SgdTensor* t, std::size_t count, float lr, float momentum, float dampening,
                    float weight_decay, bool nesterov, bool first_step) {
  const SgdArgs args{lr, momentum, dampening, weight_decay, nesterov, first_step};
  for_concatenated(offsets_of(t, count), [&](std::size_t i, index_t begin, index_t end) {
    PYNEURO_SIMD_DISPATCH(sgd_range(t[i].param, t[i].grad, t[i].momentum_buf, args, begin, end));
  });
}

void adam_step_multi(const AdamTensor* t, std::size_t count, double lr, double beta1, double beta2,
                     double eps, double weight_decay) {
  std::vector<AdamArgs> args(count);
  for (std::size_t i = 0; i < count; ++i) args[i] = adam_args(t[i].step, lr, beta1, beta2, eps, weight_decay);
  for_concatenated(offsets_of(t, count), [&](std::size_t i, index_t begin, index_t end) {
    PYNEURO_SIMD_DISPATCH(
        adam_range(t[i].param, t[i].grad, t[i].exp_avg, t[i].exp_avg_sq, args[i], begin, end));
  });
}

// 1 - rho in double, then rounded once: what NumPy's float32 `t *= 1 - rho` uses (the
// reference path in optim/adadelta.py), so both paths scale by the same float.
void adadelta_step_multi(const AdadeltaTensor* t, std::size_t count, double lr, double rho, double eps,
                         double weight_decay, bool maximize) {
  const AdadeltaArgs args{float(lr),  float(rho),          float(1.0 - rho),
                          float(eps), float(weight_decay), maximize ? -1.0f : 1.0f};
  for_concatenated(offsets_of(t, count), [&](std::size_t i, index_t begin, index_t end) {
    PYNEURO_SIMD_DISPATCH(
        adadelta_range(t[i].param, t[i].grad, t[i].square_avg, t[i].acc_delta, args, begin, end));
  });
}

void adam_step(float* param, const float* grad, float* m, float* v, index_t n, std::int64_t step, double lr,
               double beta1, double beta2, double eps, double weight_decay) {
  const AdamArgs args = adam_args(step, lr, beta1, beta2, eps, weight_decay);
  parallel_for(n, optimizer_work(n), [&](index_t begin, index_t end) {
    PYNEURO_SIMD_DISPATCH(adam_range(param, grad, m, v, args, begin, end));
  });
}

void argmax_rows(const float* x, std::int64_t* out, index_t rows, index_t cols) {
  parallel_for(rows, rows * cols * kCostElementwise, [&](index_t begin, index_t end) {
    PYNEURO_SIMD_DISPATCH(argmax_rows(x, out, cols, begin, end));
  });
}

}  // namespace pyneuro::cpu

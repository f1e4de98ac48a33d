// normal.cpp: torch's CPU normal_ kernel for 16 or more values, Box-Muller on blocks of 16
// uniforms in place, bit for bit as pyneuro/_torch_stream.py's NumPy recipe (the reference).
//
// What it computes. A block holds 16 uniforms u in [0, 1); values j and j + 8 (j < 8) are one
// pair: radius = sqrt(-2 log(1 - u_j)), theta = 2 pi u_{j+8}, and the block becomes
//     [radius cos(theta) * std + mean,  radius sin(theta) * std + mean].
// float32 uses the cephes polynomial log and sin/cos torch's AVX2 kernel uses, with its fused
// multiply-adds where its compiled code has them (simd_normal.h); float64 calls the C library's
// log, cos and sin, as torch's float64 kernel does. Cost: ~60 flops per pair (float32), one
// read and one write per value.
//
// Why it is here. The NumPy recipe makes ~40 temporary arrays: randn(10_000_000) took 0.9-2.5 s
// (torch: 0.07 s) and nn.Embedding(50000, 2048), whose init draws 102 million normals, 18-38 s.
// Here a pair stays in registers, the blocks are vectorised (AVX2 / AVX-512 builds of the same
// loop, dispatched at run time) and split over the threads: the output does not depend on the
// split, each block being computed alone.
//
// Rounding. Each "fused" step is computed as the reference computes it: a * b + c in double,
// then rounded to float. The product of two floats is exact in double, so whether a compiler
// fused that double multiply-add or not, the result would be the same; the other steps are
// plain float operations, and -ffp-contract=off (CMakeLists.txt) keeps any two of them from
// being fused. Denormal results (a tiny std) are kept, as NumPy's: KeepDenormalsScope.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "pyneuro/elementwise.h"
#include "simd.h"

namespace pyneuro::cpu {
namespace {

namespace scalar_impl {
#include "simd_normal.h"
}  // namespace scalar_impl

#if PYNEURO_X86_SIMD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2_impl {
#include "simd_normal.h"
}  // namespace avx2_impl
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")
namespace avx512_impl {
#include "simd_normal.h"
}  // namespace avx512_impl
#pragma GCC pop_options
#endif

constexpr index_t kCostBoxMuller = 16 * 8;  // per block: 16 values, each about an exp's cost

}  // namespace

void box_muller_f32(float* data, index_t blocks, float mean, float std) {
  parallel_for(blocks, blocks * kCostBoxMuller, [&](index_t begin, index_t end) {
    KeepDenormalsScope keep;
    PYNEURO_SIMD_DISPATCH(box_muller_f32_blocks(data, begin, end, mean, std));
  });
}

void box_muller_f64(double* data, index_t blocks, double mean, double std) {
  const double two_pi = 2.0 * 3.14159265358979323846;
  parallel_for(blocks, blocks * kCostBoxMuller, [&](index_t begin, index_t end) {
    KeepDenormalsScope keep;
    for (index_t b = begin; b < end; ++b) {
      double* u = data + b * 16;
      for (int k = 0; k < 8; ++k) {
        const double radius = std::sqrt(-2.0 * std::log(1.0 - u[k]));
        const double theta = two_pi * u[k + 8];
        const double rc = radius * std::cos(theta), rs = radius * std::sin(theta);
        u[k] = rc * std + mean;
        u[k + 8] = rs * std + mean;
      }
    }
  });
}

}  // namespace pyneuro::cpu

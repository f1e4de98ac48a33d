// pyneuro/matmul.h: C = op(A) @ op(B) in float32, row-major.
//   A is (M, K), or (K, M) when trans_a: op(A) = A^T is read in place, never copied.
//   B is (K, N), or (N, K) when trans_b.
// Cost: 2*M*N*K FLOPs; (M*K + K*N + M*N) * 4 bytes at minimum.
#pragma once
#include "pyneuro/common.h"

namespace pyneuro::cpu {

enum class MatmulVariant {
  Naive,    // triple loop in i-k-j order (streams rows of B and C)
  Blocked,  // cache blocking so the working set stays in L1/L2
  Packed,   // BLIS-style packing + SIMD register-blocked micro-kernel + OpenMP (default)
};

void matmul(MatmulVariant variant, const float* A, const float* B, float* C,
            index_t M, index_t N, index_t K, bool trans_a, bool trans_b);

}  // namespace pyneuro::cpu

// matmul_naive.cpp -- ladder step 1: the triple loop, in the loop order the cache likes.
//
// Computes C[M,N] = op(A)[M,K] @ op(B)[K,N] (float32, row-major); 2*M*N*K FLOPs.
//
// What it does: for each row i of C, for each k, add A[i,k] * (row k of B) to row i of C.
//   for i: for k: for j: C[i,j] += A[i,k] * B[k,j]
// Why i-k-j and not the textbook i-j-k (a dot product per C element)? In i-k-j the inner
// loop walks row k of B and row i of C, both contiguous in memory: every 64-byte cache line
// brought in is used in full, the hardware prefetcher sees two plain streams, and the
// compiler vectorises the loop (C[i, j:j+4] += a * B[k, j:j+4]). The i-j-k order instead
// walks a column of B with a stride of N floats: one useful float per cache line.
//
// What limits it: nothing is reused from cache. Each row of C streams the whole of B
// (K*N*4 bytes: 16 MiB at 2048^2) from L3 or DRAM, for 2 FLOPs per 4-byte load, and C[i,j]
// is loaded and stored again for every k: 14-22 GFLOP/s on one core here while B fits in
// L3, 6-14 at 2048^3. Step 2 (matmul_blocked.cpp) fixes the reuse.
//
// Transposes are read in place through the index arithmetic of `at` below (templated, so
// the common no-transpose case compiles to straight contiguous loops). With trans_b the
// inner loop walks B with a stride -- correct, and slow, as the naive step should be.
//
// Threads: rows of C are independent, so parallel_for (runtime.cpp) splits the i loop among
// the threads. Each C element is summed over k in the same order whatever the thread count:
// results are bit-identical.
#include "pyneuro/matmul.h"

#include <algorithm>

namespace pyneuro::cpu {

namespace {

// op(X)[r, c] for X stored row-major with row stride ld, transposed or not.
template <bool Trans>
inline float at(const float* x, index_t ld, index_t r, index_t c) {
  return Trans ? x[c * ld + r] : x[r * ld + c];
}

template <bool TA, bool TB>
void naive(const MatmulProblem& p) {
  const index_t M = p.M, N = p.N, K = p.K;
  parallel_for(M, M * N * K, [&](index_t i0, index_t i1) {  // rows i0..i1 of C
    for (index_t i = i0; i < i1; ++i) {
      float* c = p.C + i * N;
      std::fill(c, c + N, 0.0f);
      for (index_t k = 0; k < K; ++k) {
        const float aik = at<TA>(p.A, p.lda, i, k);
        for (index_t j = 0; j < N; ++j) c[j] += aik * at<TB>(p.B, p.ldb, k, j);
      }
    }
  });
}

}  // namespace

void matmul_naive(const MatmulProblem& p) {
  if (p.trans_a) {
    p.trans_b ? naive<true, true>(p) : naive<true, false>(p);
  } else {
    p.trans_b ? naive<false, true>(p) : naive<false, false>(p);
  }
}

}  // namespace pyneuro::cpu

// matmul_blocked.cpp -- ladder step 2: cache blocking.
//
// Computes C[M,N] = op(A)[M,K] @ op(B)[K,N] (float32, row-major); 2*M*N*K FLOPs.
//
// What changed from step 1 (matmul_naive.cpp): the same i-k-j arithmetic, run block by
// block. C is cut into tiles of kRowBlock rows x kColBlock columns and the sum over k into
// chunks of kDepthBlock:
//   for each row block (shared out to the threads):
//     for each column block jc:  for each depth block pc:
//       for i in the row block:  for k in the depth block (4 at a time):  for j in jc:
//         C[i,j] = (((C[i,j] + A[i,k]B[k,j]) + A[i,k+1]B[k+1,j]) + ...) + A[i,k+3]B[k+3,j]
// Why it is faster:
// - Reuse of B from cache. In step 1 every row of C streamed all of B (K x N floats: 16 MiB
//   at 2048^2, far more than L2) from L3 or DRAM. Here the block of B the inner loops touch,
//   kDepthBlock x kColBlock floats (16 x 1024 x 4 B = 64 KiB), stays in L1/L2 while the
//   kRowBlock = 32 rows of C use it: B's traffic from L3/DRAM drops 32-fold (naive falls to
//   6-14 GFLOP/s at 2048^3 on one core here; blocked keeps ~29).
// - Fewer trips through C. The C row segment being updated (4 KiB) stays in L1, and with k
//   taken four at a time each C[i,j] is loaded and stored once per four terms instead of
//   once per term (the terms are still added one by one, in k order).
//
// What still limits it: every multiply-add still needs a load of B from L1/L2 and the
// compiler only uses the baseline SSE2 vectors (4 floats, no FMA) of plain x86-64: about
// 30 GFLOP/s per core against a peak above 100. Step 3 (matmul_packed.cpp) keeps a tile of
// C in registers, reuses each loaded B vector for 8 rows and uses AVX-512/AVX2 FMAs.
//
// Threads: row blocks are shared out to the threads (parallel_for); every C element still sums its
// k terms in the same order, so results are bit-identical for any thread count.
#include "pyneuro/matmul.h"

#include <algorithm>

namespace pyneuro::cpu {

namespace {

constexpr index_t kRowBlock = 32;  // rows of C that reuse one block of B
constexpr index_t kColBlock = 1024;  // columns of C (and B) per block: 4 KiB of a C row
constexpr index_t kDepthBlock = 16;  // k values per block: B block = 16 x 1024 floats

template <bool Trans>
inline float at(const float* x, index_t ld, index_t r, index_t c) {
  return Trans ? x[c * ld + r] : x[r * ld + c];
}

template <bool TA, bool TB>
void blocked(const MatmulProblem& p) {
  const index_t M = p.M, N = p.N, K = p.K;
  const index_t row_blocks = (M + kRowBlock - 1) / kRowBlock;
  parallel_for(row_blocks, M * N * K, [&](index_t rb0, index_t rb1) {  // row blocks rb0..rb1
    for (index_t rb = rb0; rb < rb1; ++rb) {
      const index_t i0 = rb * kRowBlock, i1 = std::min(M, i0 + kRowBlock);
      for (index_t jc = 0; jc < N; jc += kColBlock) {
        const index_t nb = std::min(kColBlock, N - jc);
        for (index_t pc = 0; pc < K; pc += kDepthBlock) {
          const index_t kb = std::min(kDepthBlock, K - pc);
          for (index_t i = i0; i < i1; ++i) {
            float* __restrict c = p.C + i * N + jc;  // C never overlaps A or B
            if (pc == 0) std::fill(c, c + nb, 0.0f);
            index_t k = pc;
            // Four k at a time: C[i, j] is loaded and stored once per four terms, which are
            // still added one by one, in k order.
            for (; k + 4 <= pc + kb; k += 4) {
              const float a0 = at<TA>(p.A, p.lda, i, k), a1 = at<TA>(p.A, p.lda, i, k + 1);
              const float a2 = at<TA>(p.A, p.lda, i, k + 2), a3 = at<TA>(p.A, p.lda, i, k + 3);
              if (TB) {  // B^T read in place: B[j, k..k+3] are contiguous, j strides by ldb
                for (index_t j = 0; j < nb; ++j) {
                  const float* b = p.B + (jc + j) * p.ldb + k;
                  c[j] = (((c[j] + a0 * b[0]) + a1 * b[1]) + a2 * b[2]) + a3 * b[3];
                }
              } else {  // rows k..k+3 of B: four contiguous streams
                const float* b0 = p.B + k * p.ldb + jc;
                const float *b1 = b0 + p.ldb, *b2 = b1 + p.ldb, *b3 = b2 + p.ldb;
                for (index_t j = 0; j < nb; ++j) {
                  c[j] = (((c[j] + a0 * b0[j]) + a1 * b1[j]) + a2 * b2[j]) + a3 * b3[j];
                }
              }
            }
            for (; k < pc + kb; ++k) {  // the last kb % 4 terms
              const float aik = at<TA>(p.A, p.lda, i, k);
              for (index_t j = 0; j < nb; ++j) c[j] += aik * at<TB>(p.B, p.ldb, k, jc + j);
            }
          }
        }
      }
    }
  });
}

}  // namespace

void matmul_blocked(const MatmulProblem& p) {
  if (p.trans_a) {
    p.trans_b ? blocked<true, true>(p) : blocked<true, false>(p);
  } else {
    p.trans_b ? blocked<false, true>(p) : blocked<false, false>(p);
  }
}

}  // namespace pyneuro::cpu

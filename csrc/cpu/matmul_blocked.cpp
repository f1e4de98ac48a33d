// matmul_blocked.cpp -- ladder step 2: cache blocking.
//
// Computes C[M,N] = op(A)[M,K] @ op(B)[K,N] (float32, row-major); 2*M*N*K FLOPs.
//
// What changed from step 1 (matmul_naive.cpp): the same i-k-j arithmetic, run block by
// block. C is cut into tiles of kRowBlock rows x kColBlock columns and the sum over k into
// chunks of kDepthBlock:
//   for each row block (one per thread at a time):
//     for each column block jc:  for each depth block pc:
//       for i in the row block:  for k in the depth block:  for j in the column block:
//         C[i,j] += A[i,k] * B[k,j]
// Why it is faster: in step 1 every row of C streamed all of B (K x N floats) from L3 or
// DRAM. Here the block of B that the inner loops touch, kDepthBlock x kColBlock floats
// (256 x 256 x 4 B = 256 KiB), stays in the 1 MiB L2 cache while kRowBlock rows of C use
// it: B's memory traffic drops by that factor. The row segment of C being updated
// (kColBlock floats = 1 KiB) stays in L1 for the whole depth block instead of being
// reloaded from L2/L3 for every k.
//
// What still limits it: the inner loop loads and stores C[i, j] for every k, so it runs at
// the speed of L1 loads/stores (one vector of C written per vector FMA), and the compiler
// only uses the baseline SSE2 vectors (4 floats) of plain x86-64. Step 3
// (matmul_packed.cpp) keeps a tile of C in registers and uses AVX-512/AVX2 FMAs.
//
// Threads: row blocks are shared out to the OpenMP threads; every C element still sums its
// k terms in the same order, so results are bit-identical for any thread count.
#include "pyneuro/matmul.h"

#include <algorithm>

namespace pyneuro::cpu {

namespace {

constexpr index_t kRowBlock = 32;     // rows of C that reuse one block of B
constexpr index_t kColBlock = 256;    // columns of C (and B) per block: 1 KiB of a C row
constexpr index_t kDepthBlock = 256;  // k values per block: B block = 256 x 256 floats

template <bool Trans>
inline float at(const float* x, index_t ld, index_t r, index_t c) {
  return Trans ? x[c * ld + r] : x[r * ld + c];
}

template <bool TA, bool TB>
void blocked(const MatmulProblem& p) {
  const index_t M = p.M, N = p.N, K = p.K;
  const index_t row_blocks = (M + kRowBlock - 1) / kRowBlock;
#pragma omp parallel num_threads(num_threads())
  {
    FlushToZeroScope ftz;
#pragma omp for schedule(static)
    for (index_t rb = 0; rb < row_blocks; ++rb) {
      const index_t i0 = rb * kRowBlock, i1 = std::min(M, i0 + kRowBlock);
      for (index_t jc = 0; jc < N; jc += kColBlock) {
        const index_t nb = std::min(kColBlock, N - jc);
        for (index_t pc = 0; pc < K; pc += kDepthBlock) {
          const index_t kb = std::min(kDepthBlock, K - pc);
          for (index_t i = i0; i < i1; ++i) {
            float* c = p.C + i * N + jc;
            if (pc == 0) std::fill(c, c + nb, 0.0f);
            for (index_t k = pc; k < pc + kb; ++k) {
              const float aik = at<TA>(p.A, p.lda, i, k);
              if (TB) {
                for (index_t j = 0; j < nb; ++j) c[j] += aik * at<TB>(p.B, p.ldb, k, jc + j);
              } else {
                const float* b = p.B + k * p.ldb + jc;  // row k of B: contiguous
                for (index_t j = 0; j < nb; ++j) c[j] += aik * b[j];
              }
            }
          }
        }
      }
    }
  }
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

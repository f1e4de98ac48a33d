// matmul.cpp: C[M,N] = op(A) @ op(B), float32, row-major: the entry point of the ladder.
// It settles the degenerate shapes once (empty C; K == 0 gives C = 0, the empty sum) and
// hands the rest to the variant asked for. The variants live one per file:
// matmul_naive.cpp -> matmul_blocked.cpp -> matmul_packed.cpp, each faster than the last.
#include <algorithm>

#include "pyneuro/matmul.h"

namespace pyneuro::cpu {

void matmul(MatmulVariant variant, const float* A, const float* B, float* C, index_t M, index_t N, index_t K,
            bool trans_a, bool trans_b, const MatmulEpilogue& epilogue) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    std::fill(C, C + M * N, 0.0f);
    matmul_epilogue(C, M, N, epilogue);  // on 0, the empty sum: the same bits as the passes after matmul
    return;
  }
  MatmulProblem p{A, B, C, M, N, K, trans_a ? M : K, trans_b ? K : N, trans_a, trans_b};
  bool epilogue_done = false;
  switch (variant) {
    case MatmulVariant::Naive:
      matmul_naive(p);
      break;
    case MatmulVariant::Blocked:
      matmul_blocked(p);
      break;
    case MatmulVariant::Packed:
      if (matmul_gemv(p)) break;
      p.epilogue = epilogue;  // the packed loop nest applies it tile by tile
      matmul_packed(p);
      epilogue_done = true;
      break;
  }
  if (!epilogue_done) matmul_epilogue(C, M, N, epilogue);  // in place: one pass over C
}

}  // namespace pyneuro::cpu

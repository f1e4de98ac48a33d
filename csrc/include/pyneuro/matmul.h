// pyneuro/matmul.h: C = op(A) @ op(B) in float32, row-major.
//   A is (M, K), or (K, M) when trans_a: op(A) = A^T is read in place, never copied.
//   B is (K, N), or (N, K) when trans_b.
// Cost: 2*M*N*K FLOPs; (M*K + K*N + M*N) * 4 bytes at minimum.
//
// The ladder, one source file per step (each opens with what changed and why it is faster):
//   csrc/cpu/matmul_naive.cpp    1. triple loop in i-k-j order
//   csrc/cpu/matmul_blocked.cpp  2. + cache blocking
//   csrc/cpu/matmul_packed.cpp   3. + packing, SIMD register-blocked micro-kernel, OpenMP
//   csrc/cpu/matmul.cpp          dispatch by variant
// Every variant gives bit-identical results for any thread count: threads split the rows
// and columns of C, never the K reduction, so each C element sees the same operations in
// the same order.
#pragma once
#include "pyneuro/common.h"

namespace pyneuro::cpu {

enum class MatmulVariant {
  Naive,  // triple loop in i-k-j order (streams rows of B and C)
  Blocked,  // cache blocking so the working set stays in L1/L2
  Packed,  // BLIS-style packing + SIMD register-blocked micro-kernel + OpenMP (default)
};

// What is done to C after the sum (a GEMM's "epilogue"), in this order:
//   bias (N floats, or null): C[i, j] += bias[j] -- the Linear layer's y = x W^T + b;
//   relu: C = max(C, 0) -- nn.Sequential's Linear followed by ReLU, in one call;
//   relu_mask (M x N floats, row stride N, or null): C[i, j] = 0 where relu_mask[i, j] <= 0
//     -- a gradient through the ReLU whose output relu_mask is (the Linear after it).
// The packed variant applies it to each C tile right after the tile's last depth block, while
// the tile is still in L1; the other steps (and the packed variant's narrow and few-row paths)
// in a pass after. Either way each element gets the bits of matmul followed by bias_add,
// relu_forward and relu_backward (the same ReLU rule, simd_elementwise.h's at_most_zero).
struct MatmulEpilogue {
  const float* bias = nullptr;
  bool relu = false;
  const float* relu_mask = nullptr;
  bool any() const { return bias || relu || relu_mask; }
};
void matmul(MatmulVariant variant, const float* A, const float* B, float* C, index_t M, index_t N, index_t K,
            bool trans_a, bool trans_b, const MatmulEpilogue& epilogue = {});
// The epilogue on rows x cols of C with row stride ldc: on one finished tile (serial; bias and
// relu_mask point at the tile's first column / element), or on all of an M x N C (parallel).
// Defined in elementwise.cpp, next to the ReLU kernels whose rule they share.
void matmul_epilogue_tile(float* c, index_t ldc, index_t rows, index_t cols, const float* bias, bool relu,
                          const float* relu_mask);
void matmul_epilogue(float* C, index_t M, index_t N, const MatmulEpilogue& epilogue);

// One matmul problem: op(A) is M x K, op(B) is K x N, C is M x N (ldc = N).
// lda/ldb are the row strides of A and B as stored (K or M for A, N or K for B).
struct MatmulProblem {
  const float* A;
  const float* B;
  float* C;
  index_t M, N, K;
  index_t lda, ldb;
  bool trans_a, trans_b;
  MatmulEpilogue epilogue = {};  // matmul_packed applies it tile by tile
};

// Knobs of the packed variant, for experiments, benchmarks and the lab
// (pyneuro._cpu.matmul_tuning). 0 (-1 for the flags) means automatic: block sizes from the
// cache sizes, the rest from the problem's shape, as matmul_blocking.h explains. kc decides
// where the k sum is cut into blocks, so it can change the last bits of a result; nothing
// here changes the rule that results are bit-identical for every thread count. Settings are
// process-wide; change them only while no matmul runs.
struct MatmulTuning {
  int kc = 0, mc = 0, nc = 0;  // depth, row and column block sizes
  int pack_a = -1;  // 1: always pack A, 0: read A in place
  int pack_b = -1;  // 1: always pack B, 0: read full panels of a row-major B in place
  int row_threads = 0;  // rows of the thread grid (threads split rows x columns of C)
  int pieces = -1;  // 1: a 1-D split is handed out in pieces (work stealing), 0: fixed shares
  int prefetch_b = -1;  // 1: the last A sliver under a B panel prefetches the next panel, 0: not
  double min_work_per_thread = 0;  // multiply-adds a thread must get, else fewer threads
};
MatmulTuning matmul_tuning();
void set_matmul_tuning(const MatmulTuning& t);
// The automatic block sizes for this CPU's cache sizes and SIMD path (kc for packed B
// panels, kc_in_place for panels read in place from a row-major B, mc, nc, kc_deep for a C
// larger than L2) and its register tile (mr, nr).
struct MatmulBlocks {
  int kc, mc, nc, mr, nr, kc_in_place, kc_deep;
  int depth_rule;  // the shapes that get kc_deep: 0 none, 1 a C over L2, 2 all (matmul_blocking.h)
};
MatmulBlocks matmul_auto_blocks();

// The ladder steps, called by matmul() with M, N >= 1 (K may be 0).
void matmul_naive(const MatmulProblem& p);
void matmul_blocked(const MatmulProblem& p);
void matmul_packed(const MatmulProblem& p);
// The packed variant's path for M <= 4 on AVX-512 (no packing); false when it does not apply.
bool matmul_gemv(const MatmulProblem& p);

}  // namespace pyneuro::cpu

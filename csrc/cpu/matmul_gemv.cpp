// matmul_gemv.cpp: the default ("packed") variant's path for a few rows of C (M <= 4), such
// as a Linear layer at batch 1. C = op(A) @ op(B) costs 2*M*N*K FLOPs but must read all of B
// (N*K*4 bytes): with M this small the product is memory-bound, and packing B (one more read
// and a write of B: 800 KB for a 784x256 weight, ~30 us) would cost more than the product.
// So B is read once, in place, in its stored layout:
//   trans_b (B is N x K, a Linear weight): C[i, j] = dot(A_i, B_j), contiguous in k;
//   otherwise (B is K x N):                C[i, :] = sum_k A[i, k] * B[k, :], rows of B
//                                           streamed through 4 vector accumulators per row.
// Rows of op(A) are copied to a small contiguous buffer first when trans_a (M*K floats).
// Columns are split across threads; each C element is summed by one thread in a fixed order,
// so the result is bit-identical for any thread count. AVX-512 only (chosen at run time);
// other machines (and compilers without x86 target attributes: aarch64, MSVC) keep the
// packed path, whose portable kernel the compiler vectorises.
#include <cstring>
#include <vector>

#include "pyneuro/matmul.h"

#if PYNEURO_X86_TARGETS
// GCC 12 warns that _mm512_reduce_add_ps reads an uninitialised register (its header starts
// from _mm512_undefined_ps); a known false positive of that header.
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

namespace pyneuro::cpu {

namespace {

#define PYNEURO_GEMV_TARGET __attribute__((target("avx512f,avx512vl,avx512dq,fma")))

constexpr index_t kMaxRows = 4;

// C[i, j] for j in [j0, j1): 4 columns at a time share each load of A_i.
PYNEURO_GEMV_TARGET void dot_rows(const float* const* a, index_t M, const float* B, index_t ldb, float* C,
                                  index_t N, index_t K, index_t j0, index_t j1) {
  const index_t kv = K & ~index_t(15);
  const __mmask16 tail = __mmask16((1u << (K - kv)) - 1u);
  for (index_t i = 0; i < M; ++i) {
    const float* ai = a[i];
    index_t j = j0;
    for (; j + 4 <= j1; j += 4) {
      const float* b0 = B + j * ldb;
      __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
      for (index_t k = 0; k < kv; k += 16) {
        const __m512 av = _mm512_loadu_ps(ai + k);
        s0 = _mm512_fmadd_ps(av, _mm512_loadu_ps(b0 + k), s0);
        s1 = _mm512_fmadd_ps(av, _mm512_loadu_ps(b0 + ldb + k), s1);
        s2 = _mm512_fmadd_ps(av, _mm512_loadu_ps(b0 + 2 * ldb + k), s2);
        s3 = _mm512_fmadd_ps(av, _mm512_loadu_ps(b0 + 3 * ldb + k), s3);
      }
      if (tail) {
        const __m512 av = _mm512_maskz_loadu_ps(tail, ai + kv);
        s0 = _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(tail, b0 + kv), s0);
        s1 = _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(tail, b0 + ldb + kv), s1);
        s2 = _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(tail, b0 + 2 * ldb + kv), s2);
        s3 = _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(tail, b0 + 3 * ldb + kv), s3);
      }
      C[i * N + j] = _mm512_reduce_add_ps(s0);
      C[i * N + j + 1] = _mm512_reduce_add_ps(s1);
      C[i * N + j + 2] = _mm512_reduce_add_ps(s2);
      C[i * N + j + 3] = _mm512_reduce_add_ps(s3);
    }
    for (; j < j1; ++j) {  // the last columns one at a time, summed in the same lane order
      const float* bj = B + j * ldb;
      __m512 s = _mm512_setzero_ps();
      for (index_t k = 0; k < kv; k += 16)
        s = _mm512_fmadd_ps(_mm512_loadu_ps(ai + k), _mm512_loadu_ps(bj + k), s);
      if (tail)
        s = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, ai + kv), _mm512_maskz_loadu_ps(tail, bj + kv), s);
      C[i * N + j] = _mm512_reduce_add_ps(s);
    }
  }
}

// C[i, j0:j1] = sum_k A[i, k] * B[k, j0:j1], 64 columns (4 vectors) per pass.
PYNEURO_GEMV_TARGET void axpy_rows(const float* const* a, index_t M, const float* B, index_t ldb, float* C,
                                   index_t N, index_t K, index_t j0, index_t j1) {
  for (index_t i = 0; i < M; ++i) {
    const float* ai = a[i];
    for (index_t j = j0; j < j1; j += 64) {
      const index_t width = j1 - j < 64 ? j1 - j : 64;
      __mmask16 m[4];
      for (int v = 0; v < 4; ++v) {
        const index_t left = width - 16 * v;
        m[v] = left >= 16 ? __mmask16(0xFFFF) : left <= 0 ? __mmask16(0) : __mmask16((1u << left) - 1u);
      }
      __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
      const float* bk = B + j;
      for (index_t k = 0; k < K; ++k, bk += ldb) {
        const __m512 av = _mm512_set1_ps(ai[k]);
        c0 = _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(m[0], bk), c0);
        c1 = _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(m[1], bk + 16), c1);
        c2 = _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(m[2], bk + 32), c2);
        c3 = _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(m[3], bk + 48), c3);
      }
      float* ci = C + i * N + j;
      _mm512_mask_storeu_ps(ci, m[0], c0);
      _mm512_mask_storeu_ps(ci + 16, m[1], c1);
      _mm512_mask_storeu_ps(ci + 32, m[2], c2);
      _mm512_mask_storeu_ps(ci + 48, m[3], c3);
    }
  }
}

}  // namespace

bool matmul_gemv(const MatmulProblem& p) {
  if (p.M > kMaxRows || std::strcmp(simd_path(), "avx512") != 0) return false;
  // Rows of op(A): in place, or gathered into a small buffer when A is stored transposed.
  std::vector<float> gathered;
  const float* rows[kMaxRows];
  for (index_t i = 0; i < p.M; ++i) rows[i] = p.A + i * p.lda;
  if (p.trans_a) {
    gathered.resize(size_t(p.M * p.K));
    for (index_t k = 0; k < p.K; ++k)
      for (index_t i = 0; i < p.M; ++i) gathered[size_t(i * p.K + k)] = p.A[k * p.lda + i];
    for (index_t i = 0; i < p.M; ++i) rows[i] = gathered.data() + i * p.K;
  }
  // Split columns into blocks of 64 so a thread's range never splits a block's sums.
  const index_t blocks = (p.N + 63) / 64;
  parallel_for(blocks, p.M * p.N * p.K / 4, [&](index_t b0, index_t b1) {
    const index_t j0 = b0 * 64, j1 = b1 * 64 < p.N ? b1 * 64 : p.N;
    if (p.trans_b)
      dot_rows(rows, p.M, p.B, p.ldb, p.C, p.N, p.K, j0, j1);
    else
      axpy_rows(rows, p.M, p.B, p.ldb, p.C, p.N, p.K, j0, j1);
  });
  return true;
}

}  // namespace pyneuro::cpu

#else  // no x86 target attributes: the packed path handles every shape

namespace pyneuro::cpu {
bool matmul_gemv(const MatmulProblem&) { return false; }
}  // namespace pyneuro::cpu

#endif  // PYNEURO_X86_TARGETS

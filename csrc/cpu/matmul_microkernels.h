// matmul_microkernels.h: the register-tile micro-kernels of the packed matmul, one struct per
// instruction set (AVX-512, AVX2, NEON, portable scalar), each with a templated
// run<ROWS, NV, KMAJOR> that computes C[0:ROWS, 0:n_valid] (+)= op(A) x Bp over one depth block,
// and at the end the generic packing loops the AVX2, NEON and scalar paths use.
//
// Not a standalone header: matmul_packed.cpp includes it inside its anonymous namespace, after
// it has defined index_t, MicroKernel, Isa and the target attributes these structs use (the
// same pattern as simd_softmax.h). It is a file of its own so that the driver (blocking,
// packing, threads) and the kernels (what one core does with its registers) each read in one
// sitting; the cost model of both is at the top of matmul_packed.cpp.

#if PYNEURO_X86_TARGETS
// ============================================================================ AVX-512
// C tile of ROWS x (NV*16) in ROWS*NV zmm registers; 8 x 32 (16 accumulators) by default.
struct Avx512 {
  template <int ROWS, int NV, bool KMAJOR>
  PYNEURO_TARGET_AVX512 static void run(index_t kc, const float* __restrict a, index_t as,
                                        const float* __restrict b, index_t bs, float* __restrict c,
                                        index_t ldc, int n_valid, bool accumulate,
                                        const float* __restrict b_next, index_t bns) {
    __m512 acc[ROWS][NV];
#pragma GCC unroll 16
    for (int i = 0; i < ROWS; ++i) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        // Start fetching the C tile now; it is needed only after the k loop. (A prefetch
        // never faults, so the few bytes past the right edge of C do not matter.)
        _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16 * v), _MM_HINT_T0);
        acc[i][v] = _mm512_setzero_ps();
      }
    }
    // One k step: NV loads of B, ROWS broadcasts of A, ROWS * NV FMAs.
    auto step = [&](const float* bk, const float* ak) PYNEURO_TARGET_AVX512 {
      __m512 bv[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) bv[v] = _mm512_loadu_ps(bk + 16 * v);  // aligned when packed
#pragma GCC unroll 16
      for (int i = 0; i < ROWS; ++i) {
        const __m512 ai = _mm512_set1_ps(KMAJOR ? ak[i] : ak[i * as]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
      }
    };
    if (b_next) {  // also pull row k of the next B panel into L1 (its NV lines)
      for (index_t k = 0; k < kc; ++k, b += bs, a += KMAJOR ? as : 1, b_next += bns) {
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v)
          _mm_prefetch(reinterpret_cast<const char*>(b_next + 16 * v), _MM_HINT_T0);
        step(b, a);
      }
    } else {
      for (index_t k = 0; k < kc; ++k, b += bs, a += KMAJOR ? as : 1) step(b, a);
    }
    __mmask16 mask[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const int nv = std::clamp(n_valid - 16 * v, 0, 16);
      mask[v] = static_cast<__mmask16>((1u << nv) - 1u);
    }
#pragma GCC unroll 16
    for (int i = 0; i < ROWS; ++i) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        float* ci = c + i * ldc + 16 * v;
        __m512 r = acc[i][v];
        if (accumulate) r = _mm512_add_ps(_mm512_maskz_loadu_ps(mask[v], ci), r);
        _mm512_mask_storeu_ps(ci, mask[v], r);
      }
    }
  }

  // 16 x 16 transpose in registers: r[t][c] -> r[c][t] (3 shuffle stages, 64 shuffles).
  PYNEURO_TARGET_AVX512 static inline void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int q = 0; q < 8; ++q) {
      t[2 * q] = _mm512_unpacklo_ps(r[2 * q], r[2 * q + 1]);
      t[2 * q + 1] = _mm512_unpackhi_ps(r[2 * q], r[2 * q + 1]);
    }
    // r[4g + s]: per 128-bit lane l, column 4l + s of rows 4g..4g+3.
    for (int g = 0; g < 4; ++g) {
      r[4 * g + 0] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
      r[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
      r[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
      r[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
    }
    for (int s = 0; s < 4; ++s) {
      t[s] = _mm512_shuffle_f32x4(r[s], r[4 + s], 0x88);
      t[4 + s] = _mm512_shuffle_f32x4(r[s], r[4 + s], 0xDD);
      t[8 + s] = _mm512_shuffle_f32x4(r[8 + s], r[12 + s], 0x88);
      t[12 + s] = _mm512_shuffle_f32x4(r[8 + s], r[12 + s], 0xDD);
    }
    for (int s = 0; s < 8; ++s) {
      r[s] = _mm512_shuffle_f32x4(t[s], t[8 + s], 0x88);
      r[8 + s] = _mm512_shuffle_f32x4(t[s], t[8 + s], 0xDD);
    }
  }

  static __mmask16 first(index_t n) {
    return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1u);
  }

  PYNEURO_TARGET_AVX512 static void pack_b(const MatmulProblem& p, index_t pc, index_t kc, index_t j0,
                                           int n_valid, int nr, float* dst) {
    const int nv = nr / 16;
    if (!p.trans_b) {  // rows of B are contiguous: one (masked) load + aligned store per vector
      const float* src = p.B + pc * p.ldb + j0;
      for (index_t k = 0; k < kc; ++k, src += p.ldb, dst += nr) {
        for (int v = 0; v < nv; ++v) {
          _mm512_store_ps(dst + 16 * v, _mm512_maskz_loadu_ps(first(n_valid - 16 * v), src + 16 * v));
        }
      }
      return;
    }
    // trans_b: op(B)[k, j] = B[j, k]. Load 16 rows of B (16 k each), transpose, store by k.
    for (int v = 0; v < nv; ++v) {
      const int rows = static_cast<int>(std::clamp<index_t>(n_valid - 16 * v, 0, 16));
      for (index_t k0 = 0; k0 < kc; k0 += 16) {
        const index_t kv = std::min<index_t>(16, kc - k0);
        const __mmask16 km = first(kv);
        __m512 r[16];
        for (int t = 0; t < 16; ++t) {
          r[t] = t < rows ? _mm512_maskz_loadu_ps(km, p.B + (j0 + 16 * v + t) * p.ldb + pc + k0)
                          : _mm512_setzero_ps();
        }
        transpose16(r);
        for (index_t t = 0; t < kv; ++t) _mm512_store_ps(dst + (k0 + t) * nr + 16 * v, r[t]);
      }
    }
  }

  PYNEURO_TARGET_AVX512 static void pack_a(const MatmulProblem& p, index_t i0, index_t rows, index_t pc,
                                           index_t kc, float* dst) {
    constexpr int MR = 8;
    if (p.trans_a) {  // op(A)[i, k] = A[k, i]: MR contiguous floats per k, a masked copy
      for (index_t r0 = 0; r0 < rows; r0 += MR, dst += kc * MR) {
        const __mmask8 m = static_cast<__mmask8>(first(rows - r0));
        const float* src = p.A + pc * p.lda + i0 + r0;
        for (index_t k = 0; k < kc; ++k)
          _mm256_store_ps(dst + k * MR, _mm256_maskz_loadu_ps(m, src + k * p.lda));
      }
      return;
    }
    // Row-major A: load 16 rows x 16 k, transpose, the two 8-row halves go to two panels.
    for (index_t r0 = 0; r0 < rows; r0 += 2 * MR) {
      const index_t rv = std::min<index_t>(2 * MR, rows - r0);
      float* d0 = dst + (r0 / MR) * kc * MR;
      float* d1 = d0 + kc * MR;
      for (index_t k0 = 0; k0 < kc; k0 += 16) {
        const index_t kv = std::min<index_t>(16, kc - k0);
        const __mmask16 km = first(kv);
        __m512 r[16];
        for (int t = 0; t < 16; ++t) {
          r[t] =
              t < rv ? _mm512_maskz_loadu_ps(km, p.A + (i0 + r0 + t) * p.lda + pc + k0) : _mm512_setzero_ps();
        }
        transpose16(r);
        for (index_t t = 0; t < kv; ++t) {
          _mm256_store_ps(d0 + (k0 + t) * MR, _mm512_castps512_ps256(r[t]));
          if (rv > MR) _mm256_store_ps(d1 + (k0 + t) * MR, _mm512_extractf32x8_ps(r[t], 1));
        }
      }
    }
  }
};

// ============================================================================ narrow N
// For N <= 16 columns with A transposed in place -- grad_W = H^T @ dY of a 10-class output
// layer -- the N-wide tile would leave most of each 16-lane register idle (10 of 16). This
// kernel turns the tile around: a register holds 16 consecutive ROWS of one column of C, so
// every lane works. op(A)[i0:i0+16, k] = A[k, i0:i0+16] is one contiguous load; B[k, j] is
// broadcast; a 16 x 16 transpose turns the column registers into rows of C for the store.
// Each C element still gets the same FMAs in the same order as in the main kernel.
// COLUMNS_OUT stores each column register as it is, as 16 consecutive floats of row j of
// the output (at c + j * ldc): that is the product's transpose, what the driver asks for
// when it computes A^T @ B with few ROWS as (B^T @ A)^T (see matmul_narrow).
struct Avx512Narrow {
  template <int NCOLS, bool COLUMNS_OUT>
  PYNEURO_TARGET_AVX512 static void run(index_t kc, const float* __restrict a, index_t lda,
                                        const float* __restrict b, float* __restrict c, index_t ldc, int rows,
                                        bool accumulate) {
    const __mmask16 row_mask = Avx512::first(rows);
    __m512 acc[NCOLS];  // acc[j] = C[0:16, j]; kept apart from the transpose's array so
    // that the compiler keeps it in registers through the k loop
#pragma GCC unroll 16
    for (int j = 0; j < NCOLS; ++j) acc[j] = _mm512_setzero_ps();
    for (index_t k = 0; k < kc; ++k) {
      const __m512 av = _mm512_maskz_loadu_ps(row_mask, a + k * lda);  // 16 rows of column k
#pragma GCC unroll 16
      for (int j = 0; j < NCOLS; ++j) acc[j] = _mm512_fmadd_ps(av, _mm512_set1_ps(b[j]), acc[j]);
      b += 16;  // packed B: 16 floats per k (zero-padded past N)
    }
    if constexpr (COLUMNS_OUT) {
#pragma GCC unroll 16
      for (int j = 0; j < NCOLS; ++j) {
        float* cj = c + j * ldc;
        __m512 v = acc[j];
        if (accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(row_mask, cj), v);
        _mm512_mask_storeu_ps(cj, row_mask, v);
      }
      return;
    }
    __m512 r[16];
#pragma GCC unroll 16
    for (int j = 0; j < 16; ++j) r[j] = j < NCOLS ? acc[j] : _mm512_setzero_ps();
    Avx512::transpose16(r);  // r[t] = row t of the C tile
    const __mmask16 col_mask = Avx512::first(NCOLS);
    for (int t = 0; t < rows; ++t) {
      float* ct = c + t * ldc;
      __m512 v = r[t];
      if (accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(col_mask, ct), v);
      _mm512_mask_storeu_ps(ct, col_mask, v);
    }
  }
};

// ============================================================================ AVX2 + FMA
// C tile of ROWS x (NV*8) in ROWS*NV ymm registers; 6 x 16 (12 of the 16 registers).
struct Avx2 {
  template <int ROWS, int NV, bool KMAJOR>
  PYNEURO_TARGET_AVX2 static void run(index_t kc, const float* __restrict a, index_t as,
                                      const float* __restrict b, index_t bs, float* __restrict c, index_t ldc,
                                      int n_valid, bool accumulate, const float*, index_t) {
    __m256 acc[ROWS][NV];
#pragma GCC unroll 16
    for (int i = 0; i < ROWS; ++i) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_setzero_ps();
    }
    for (index_t k = 0; k < kc; ++k) {
      __m256 bv[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) bv[v] = _mm256_loadu_ps(b + 8 * v);  // aligned when packed
#pragma GCC unroll 16
      for (int i = 0; i < ROWS; ++i) {
        const __m256 ai = _mm256_broadcast_ss(KMAJOR ? a + i : a + i * as);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
      }
      b += bs;
      a += KMAJOR ? as : 1;
    }
    // Lane masks for the right edge: lane l is stored when 8*v + l < n_valid.
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256i mask[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) mask[v] = _mm256_cmpgt_epi32(_mm256_set1_epi32(n_valid - 8 * v), lanes);
#pragma GCC unroll 16
    for (int i = 0; i < ROWS; ++i) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        float* ci = c + i * ldc + 8 * v;
        __m256 r = acc[i][v];
        if (accumulate) r = _mm256_add_ps(_mm256_maskload_ps(ci, mask[v]), r);
        _mm256_maskstore_ps(ci, mask[v], r);
      }
    }
  }
};

#endif  // PYNEURO_X86_TARGETS

#if PYNEURO_NEON
// ============================================================================ NEON (aarch64)
// C tile of ROWS x (NV*8) in ROWS*NV*2 q registers (4 floats each); 6 x 16 by default: 24
// accumulators + 4 B vectors of the 32 registers, the same shape as the AVX2 tile. Each
// "vector" of the driver (Isa::vl = 8) is two float32x4_t. Per k: 4 loads of B, 6 broadcasts
// of A, 24 FMAs (vfmaq_f32, fused like the x86 kernels). The right edge goes through a small
// buffer (NEON has no masked stores); rows past ROWS are never read.
struct Neon {
  template <int ROWS, int NV, bool KMAJOR>
  static void run(index_t kc, const float* __restrict a, index_t as, const float* __restrict b, index_t bs,
                  float* __restrict c, index_t ldc, int n_valid, bool accumulate, const float*, index_t) {
    constexpr int Q = 2 * NV;  // float32x4_t per tile row
    float32x4_t acc[ROWS][Q];
    for (int i = 0; i < ROWS; ++i)
      for (int q = 0; q < Q; ++q) acc[i][q] = vdupq_n_f32(0.0f);
    for (index_t k = 0; k < kc; ++k) {
      float32x4_t bv[Q];
      for (int q = 0; q < Q; ++q) bv[q] = vld1q_f32(b + 4 * q);
      for (int i = 0; i < ROWS; ++i) {
        const float32x4_t ai = vdupq_n_f32(KMAJOR ? a[i] : a[i * as]);
        for (int q = 0; q < Q; ++q) acc[i][q] = vfmaq_f32(acc[i][q], bv[q], ai);
      }
      b += bs;
      a += KMAJOR ? as : 1;
    }
    for (int i = 0; i < ROWS; ++i) {
      float* ci = c + i * ldc;
      if (n_valid == 4 * Q) {
        for (int q = 0; q < Q; ++q) {
          float32x4_t r = acc[i][q];
          if (accumulate) r = vaddq_f32(vld1q_f32(ci + 4 * q), r);
          vst1q_f32(ci + 4 * q, r);
        }
      } else {
        float tile[4 * Q];
        for (int q = 0; q < Q; ++q) vst1q_f32(tile + 4 * q, acc[i][q]);
        for (int j = 0; j < n_valid; ++j) ci[j] = accumulate ? ci[j] + tile[j] : tile[j];
      }
    }
  }
};
#endif  // PYNEURO_NEON

// ============================================================================ scalar
// Portable kernel (plain x86-64 / any CPU): ROWS x (NV*8) accumulators in an array the
// compiler keeps in registers -- baseline SSE on x86-64, NEON on aarch64 (part of its
// baseline, so no flag is needed). Also the reference for the tiling logic, and the path
// PYNEURO_SIMD=scalar forces (CI runs the conformance suite on it).
struct Scalar {
  template <int ROWS, int NV, bool KMAJOR>
  static void run(index_t kc, const float* __restrict a, index_t as, const float* __restrict b, index_t bs,
                  float* __restrict c, index_t ldc, int n_valid, bool accumulate, const float*, index_t) {
    constexpr int NR = 8 * NV;
    float acc[ROWS][NR] = {};
    for (index_t k = 0; k < kc; ++k) {
      for (int i = 0; i < ROWS; ++i) {
        const float ai = KMAJOR ? a[i] : a[i * as];
        for (int j = 0; j < NR; ++j) acc[i][j] += ai * b[j];
      }
      b += bs;
      a += KMAJOR ? as : 1;
    }
    for (int i = 0; i < ROWS; ++i) {
      float* ci = c + i * ldc;
      for (int j = 0; j < n_valid; ++j) ci[j] = accumulate ? ci[j] + acc[i][j] : acc[i][j];
    }
  }
};

// Generic packing (used by the AVX2, NEON and scalar paths): plain loops, correct for any layout.
// The copy runs along whichever index is contiguous in the source, so the compiler
// vectorises the common cases; padding is written separately.
void pack_b_generic(const MatmulProblem& p, index_t pc, index_t kc, index_t j0, int n_valid, int nr,
                    float* dst) {
  if (!p.trans_b) {  // row k of B is contiguous
    for (index_t k = 0; k < kc; ++k) {
      const float* src = p.B + (pc + k) * p.ldb + j0;
      float* d = dst + k * nr;
      for (int j = 0; j < n_valid; ++j) d[j] = src[j];
      for (int j = n_valid; j < nr; ++j) d[j] = 0.0f;
    }
    return;
  }
  for (int j = 0; j < nr; ++j) {  // trans_b: column j of op(B) is row j0 + j of B
    const float* src = p.B + (j0 + j) * p.ldb + pc;
    for (index_t k = 0; k < kc; ++k) dst[k * nr + j] = j < n_valid ? src[k] : 0.0f;
  }
}

template <int MR>
void pack_a_generic(const MatmulProblem& p, index_t i0, index_t rows, index_t pc, index_t kc, float* dst) {
  for (index_t r0 = 0; r0 < rows; r0 += MR, dst += kc * MR) {
    const int valid = int(std::min<index_t>(MR, rows - r0));
    if (p.trans_a) {  // op(A)[i, k] = A[k, i]: MR contiguous floats per k
      for (index_t k = 0; k < kc; ++k) {
        const float* src = p.A + (pc + k) * p.lda + i0 + r0;
        for (int i = 0; i < MR; ++i) dst[k * MR + i] = i < valid ? src[i] : 0.0f;
      }
    } else {  // row i of A is contiguous along k
      for (int i = 0; i < MR; ++i) {
        const float* src = p.A + (i0 + r0 + i) * p.lda + pc;
        for (index_t k = 0; k < kc; ++k) dst[k * MR + i] = i < valid ? src[k] : 0.0f;
      }
    }
  }
}

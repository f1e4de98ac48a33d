// matmul.cuh: C = op(A) @ op(B) in float32, the GPU matmul ladder.
//
// op(A) is M x K, op(B) is K x N, C is M x N (row-major, leading dimension ldc).
// op(X) = X or X^T, chosen by a flag: a transposed operand is read through swapped
// strides, never copied. Cost: 2*M*N*K FLOPs; the minimum traffic is 4*(MK + KN + MN)
// bytes, so at 4096^3 the kernel is compute-bound once operands are reused from
// on-chip memory. Each rung of the ladder raises that reuse:
//
//   naive       one thread per C element, reading A and B straight from global memory:
//               2K loads per 2K FLOPs, so bandwidth (and L1/L2 hit rate) bounds it.
//   tiled       32x32 tiles of A and B staged in shared memory; each loaded value is
//               used 32 times. Loads are arranged so consecutive threads read
//               consecutive addresses for either transpose flag (coalescing).
//   regblock    128x128 block tile, 8-deep K slices, each thread owns an 8x8 register
//               tile of C: per K step a thread reads 8 + 8 values from shared memory
//               for 64 FMAs (4 FMAs per shared load instead of 1), and the next K slice
//               is prefetched into registers while the current one is computed
//               (double-buffered shared memory, one __syncthreads per slice).
//   vectorized  regblock plus 128-bit (float4) global loads and shared-memory reads,
//               and a transposed shared tile padded by 4 floats so the transposing
//               stores are bank-conflict free. float4 needs 16-byte alignment: when a
//               pointer or leading dimension is not a multiple of 4 floats, or at a
//               ragged edge, the loader falls back to bounds-checked scalar loads.
//
// Every variant handles any M, N, K >= 0 (out-of-range elements load as 0 and are not
// stored), and K == 0 gives C = 0. Host code must not launch with M == 0 or N == 0.
#ifndef PYNEURO_CUDA_KERNELS_MATMUL_CUH  // include guard (portable to NVRTC)
#define PYNEURO_CUDA_KERNELS_MATMUL_CUH
#include "common.cuh"

// op(A)[i, k] and op(B)[k, j] for the simple kernels.
__device__ __forceinline__ float pn_load_a(const float* A, pn_index lda, int ta, pn_index i, pn_index k) {
  return ta ? A[k * lda + i] : A[i * lda + k];
}
__device__ __forceinline__ float pn_load_b(const float* B, pn_index ldb, int tb, pn_index k, pn_index j) {
  return tb ? B[j * ldb + k] : B[k * ldb + j];
}

// ------------------------------------------------------------------------ naive
// Block (16, 16); grid (ceil(N/16), ceil(M/16)); threadIdx.x walks along a row of C.
extern "C" __global__ void pn_matmul_naive(pn_index M, pn_index N, pn_index K, const float* A, pn_index lda,
                                           const float* B, pn_index ldb, float* C, pn_index ldc, int ta,
                                           int tb) {
  const pn_index i = (pn_index)blockIdx.y * blockDim.y + threadIdx.y;
  const pn_index j = (pn_index)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= M || j >= N) return;
  float acc = 0.0f;
  for (pn_index k = 0; k < K; ++k) acc += pn_load_a(A, lda, ta, i, k) * pn_load_b(B, ldb, tb, k, j);
  C[i * ldc + j] = acc;
}

// ------------------------------------------------------------------------ tiled
#define PN_TILE 32
// Block (32, 32); grid (ceil(N/32), ceil(M/32)).
extern "C" __global__ void pn_matmul_tiled(pn_index M, pn_index N, pn_index K, const float* A, pn_index lda,
                                           const float* B, pn_index ldb, float* C, pn_index ldc, int ta,
                                           int tb) {
  // +1 column: the transposed stores As[tx][ty] hit 32 different banks.
  __shared__ float As[PN_TILE][PN_TILE + 1];  // As[r][k] = op(A)[bm + r, k0 + k]
  __shared__ float Bs[PN_TILE][PN_TILE + 1];  // Bs[k][c] = op(B)[k0 + k, bn + c]
  const int tx = threadIdx.x, ty = threadIdx.y;
  const pn_index bm = (pn_index)blockIdx.y * PN_TILE, bn = (pn_index)blockIdx.x * PN_TILE;
  float acc = 0.0f;
  for (pn_index k0 = 0; k0 < K; k0 += PN_TILE) {
    // tx runs along each operand's contiguous dimension, so a warp reads 128 bytes.
    if (!ta) {
      const pn_index i = bm + ty, k = k0 + tx;
      As[ty][tx] = (i < M && k < K) ? A[i * lda + k] : 0.0f;
    } else {
      const pn_index i = bm + tx, k = k0 + ty;
      As[tx][ty] = (i < M && k < K) ? A[k * lda + i] : 0.0f;
    }
    if (!tb) {
      const pn_index k = k0 + ty, j = bn + tx;
      Bs[ty][tx] = (k < K && j < N) ? B[k * ldb + j] : 0.0f;
    } else {
      const pn_index k = k0 + tx, j = bn + ty;
      Bs[tx][ty] = (k < K && j < N) ? B[j * ldb + k] : 0.0f;
    }
    __syncthreads();
#pragma unroll
    for (int k = 0; k < PN_TILE; ++k) acc += As[ty][k] * Bs[k][tx];
    __syncthreads();
  }
  const pn_index i = bm + ty, j = bn + tx;
  if (i < M && j < N) C[i * ldc + j] = acc;
}

// ------------------------------------------------------------------------ register-blocked
#define PN_BM 128
#define PN_BN 128
#define PN_BK 8
#define PN_THREADS 256  // 16 x 16 threads, each owning an 8 x 8 tile of C

// Thread t computes C rows {ty*4 + 0..3, 64 + ty*4 + 0..3} and the same pattern of columns
// with tx (ty = t / 16, tx = t % 16). Splitting each thread's 8 rows/columns into two groups
// of 4, 64 apart, makes a quarter-warp's float4 shared reads cover 32 consecutive banks
// (conflict-free) and a warp's float4 stores to C cover one contiguous 256-byte run.
//
// Loads per K slice (256 threads, 4 floats each, one "quad" per thread per operand):
//   op(A) tile 128 x 8. Not transposed (contiguous along k): thread -> row tid/2, k (tid%2)*4.
//     Transposed (contiguous along m): thread -> k tid/32, rows (tid%32)*4.
//   op(B) tile 8 x 128. Not transposed (contiguous along n): k tid/32, columns (tid%32)*4.
//     Transposed (contiguous along k): column tid/2, k (tid%2)*4.
// Shared tiles are stored k-major, As[k][m] and Bs[k][n], so the inner product reads rows.

template <bool VEC>
__device__ __forceinline__ void pn_load_quad(float (&q)[4], const float* X, pn_index ld, pn_index row,
                                             pn_index col, pn_index rows, pn_index cols, bool aligned) {
  // Four consecutive elements X[row, col .. col+3] of a row-major rows x cols matrix.
  if (VEC && aligned && row < rows && col + 3 < cols) {
    const float4 v = *reinterpret_cast<const float4*>(X + row * ld + col);
    q[0] = v.x;
    q[1] = v.y;
    q[2] = v.z;
    q[3] = v.w;
  } else {
#pragma unroll
    for (int e = 0; e < 4; ++e) q[e] = (row < rows && col + e < cols) ? X[row * ld + col + e] : 0.0f;
  }
}

template <bool VEC, int PAD>
__device__ __forceinline__ void pn_matmul_blocked(pn_index M, pn_index N, pn_index K, const float* A,
                                                  pn_index lda, const float* B, pn_index ldb, float* C,
                                                  pn_index ldc, int ta, int tb) {
  __shared__ __align__(16) float As[2][PN_BK][PN_BM + PAD];
  __shared__ __align__(16) float Bs[2][PN_BK][PN_BN + PAD];
  const int tid = threadIdx.x;
  const int tx = tid % 16, ty = tid / 16;
  const pn_index bm = (pn_index)blockIdx.y * PN_BM, bn = (pn_index)blockIdx.x * PN_BN;
  // float4 loads need the base pointer and every row start 16-byte aligned.
  const bool a_al = pn_aligned16(A) && (lda % 4 == 0);
  const bool b_al = pn_aligned16(B) && (ldb % 4 == 0);

  float qa[4], qb[4];  // this thread's share of the next K slice, in registers
  auto load_slice = [&](pn_index k0) {
    if (!ta)
      pn_load_quad<VEC>(qa, A, lda, bm + tid / 2, k0 + (tid % 2) * 4, M, K, a_al);
    else
      pn_load_quad<VEC>(qa, A, lda, k0 + tid / 32, bm + (tid % 32) * 4, K, M, a_al);
    if (!tb)
      pn_load_quad<VEC>(qb, B, ldb, k0 + tid / 32, bn + (tid % 32) * 4, K, N, b_al);
    else
      pn_load_quad<VEC>(qb, B, ldb, bn + tid / 2, k0 + (tid % 2) * 4, N, K, b_al);
  };
  auto store_slice = [&](int buf) {
    if (!ta) {  // transpose on the way in: 4 k-values of one row go down a column of As
      const int r = tid / 2, k = (tid % 2) * 4;
#pragma unroll
      for (int e = 0; e < 4; ++e) As[buf][k + e][r] = qa[e];
    } else if (VEC) {
      *reinterpret_cast<float4*>(&As[buf][tid / 32][(tid % 32) * 4]) =
          make_float4(qa[0], qa[1], qa[2], qa[3]);
    } else {
#pragma unroll
      for (int e = 0; e < 4; ++e) As[buf][tid / 32][(tid % 32) * 4 + e] = qa[e];
    }
    if (tb) {
      const int c = tid / 2, k = (tid % 2) * 4;
#pragma unroll
      for (int e = 0; e < 4; ++e) Bs[buf][k + e][c] = qb[e];
    } else if (VEC) {
      *reinterpret_cast<float4*>(&Bs[buf][tid / 32][(tid % 32) * 4]) =
          make_float4(qb[0], qb[1], qb[2], qb[3]);
    } else {
#pragma unroll
      for (int e = 0; e < 4; ++e) Bs[buf][tid / 32][(tid % 32) * 4 + e] = qb[e];
    }
  };

  float acc[8][8];
#pragma unroll
  for (int i = 0; i < 8; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[i][j] = 0.0f;

  int buf = 0;
  load_slice(0);
  store_slice(0);
  __syncthreads();
  for (pn_index k0 = 0; k0 < K; k0 += PN_BK) {
    const bool has_next = k0 + PN_BK < K;
    if (has_next) load_slice(k0 + PN_BK);  // global loads in flight during the FMAs below
#pragma unroll
    for (int k = 0; k < PN_BK; ++k) {
      float a[8], b[8];
      if (VEC) {
        const float4 a0 = *reinterpret_cast<const float4*>(&As[buf][k][ty * 4]);
        const float4 a1 = *reinterpret_cast<const float4*>(&As[buf][k][64 + ty * 4]);
        const float4 b0 = *reinterpret_cast<const float4*>(&Bs[buf][k][tx * 4]);
        const float4 b1 = *reinterpret_cast<const float4*>(&Bs[buf][k][64 + tx * 4]);
        a[0] = a0.x;
        a[1] = a0.y;
        a[2] = a0.z;
        a[3] = a0.w;
        a[4] = a1.x;
        a[5] = a1.y;
        a[6] = a1.z;
        a[7] = a1.w;
        b[0] = b0.x;
        b[1] = b0.y;
        b[2] = b0.z;
        b[3] = b0.w;
        b[4] = b1.x;
        b[5] = b1.y;
        b[6] = b1.z;
        b[7] = b1.w;
      } else {
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          a[e] = As[buf][k][ty * 4 + e];
          a[4 + e] = As[buf][k][64 + ty * 4 + e];
          b[e] = Bs[buf][k][tx * 4 + e];
          b[4 + e] = Bs[buf][k][64 + tx * 4 + e];
        }
      }
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] += a[i] * b[j];
    }
    // The other buffer was last read before the previous __syncthreads, so it is free.
    if (has_next) store_slice(buf ^ 1);
    __syncthreads();
    buf ^= 1;
  }

  const bool c_al = pn_aligned16(C) && (ldc % 4 == 0);
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const pn_index row = bm + (i < 4 ? ty * 4 + i : 64 + ty * 4 + (i - 4));
    if (row >= M) continue;
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const pn_index col = bn + half * 64 + tx * 4;
      float* c = C + row * ldc + col;
      if (VEC && c_al && col + 3 < N) {
        *reinterpret_cast<float4*>(c) =
            make_float4(acc[i][half * 4], acc[i][half * 4 + 1], acc[i][half * 4 + 2], acc[i][half * 4 + 3]);
      } else {
#pragma unroll
        for (int e = 0; e < 4; ++e)
          if (col + e < N) c[e] = acc[i][half * 4 + e];
      }
    }
  }
}

// Block 256 threads; grid (ceil(N/128), ceil(M/128)).
extern "C" __global__ void __launch_bounds__(PN_THREADS)
    pn_matmul_regblock(pn_index M, pn_index N, pn_index K, const float* A, pn_index lda, const float* B,
                       pn_index ldb, float* C, pn_index ldc, int ta, int tb) {
  pn_matmul_blocked<false, 0>(M, N, K, A, lda, B, ldb, C, ldc, ta, tb);
}

extern "C" __global__ void __launch_bounds__(PN_THREADS)
    pn_matmul_vectorized(pn_index M, pn_index N, pn_index K, const float* A, pn_index lda, const float* B,
                         pn_index ldb, float* C, pn_index ldc, int ta, int tb) {
  pn_matmul_blocked<true, 4>(M, N, K, A, lda, B, ldb, C, ldc, ta, tb);
}

#endif  // PYNEURO_CUDA_KERNELS_MATMUL_CUH

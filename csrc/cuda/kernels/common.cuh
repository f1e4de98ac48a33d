// common.cuh: small device helpers shared by every pyneuro CUDA kernel.
//
// The kernel sources in this folder are header-only and self-contained: no host
// code and no includes beyond each other, so the same text is compiled ahead of
// time into pyneuro._cuda (nvcc) and at run time by the CuPy backend (NVRTC via
// cupy.RawModule, which has no C++ standard library). Hence `long long` instead
// of int64_t, and infinities built from bit patterns instead of <cmath> macros.
//
// Every kernel is `extern "C"` (unmangled names that RawModule can look up) and
// takes sizes as `long long`, so offsets such as row * cols never overflow 32 bits.
#ifndef PYNEURO_CUDA_KERNELS_COMMON_CUH  // include guard (portable to NVRTC)
#define PYNEURO_CUDA_KERNELS_COMMON_CUH

typedef long long pn_index;

#define PN_FULL_MASK 0xffffffffu

// Grid-stride loop: thread i handles i, i + gridDim.x * blockDim.x, ... so any n runs on a
// bounded grid, and consecutive threads touch consecutive addresses (coalesced).
#define PN_GRID_STRIDE(i, n)                                                  \
  for (pn_index i = (pn_index)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
       i += (pn_index)gridDim.x * blockDim.x)

__device__ __forceinline__ float pn_neg_inf() { return __int_as_float(0xff800000); }
__device__ __forceinline__ float pn_pos_inf() { return __int_as_float(0x7f800000); }
__device__ __forceinline__ float pn_nan() { return __int_as_float(0x7fffffff); }

// max that propagates NaN (fmaxf would drop it), as NumPy's np.max does.
__device__ __forceinline__ float pn_nanmax(float a, float b) { return (a != a || a > b) ? a : b; }

__device__ __forceinline__ float pn_warp_sum(float v) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(PN_FULL_MASK, v, off);
  return v;
}

// ---------------------------------------------------------------- online softmax statistics
// A row's softmax needs its maximum m and s = sum_j exp(x_j - m). The online form keeps
// (m, s) for the elements seen so far and rescales s whenever m grows, so one pass over
// the row gives both (Milakov & Gimelshein, 2018). Two partial states merge the same way,
// which is how the lanes of a warp and the warps of a block combine.
//
// The `m == M ? s : s * exp(m - M)` form keeps the edge cases exact: an all -inf prefix
// never computes exp(-inf - -inf) = NaN, a NaN anywhere makes m (and so s) NaN, and
// pn_online_finish turns s into NaN when m is +inf, as exp(inf - inf) does in NumPy.
__device__ __forceinline__ void pn_online_add(float& m, float& s, float x) {
  const float M = pn_nanmax(m, x);
  s = (m == M ? s : s * expf(m - M)) + (x == M ? 1.0f : expf(x - M));
  m = M;
}

__device__ __forceinline__ void pn_online_merge(float& m, float& s, float m2, float s2) {
  const float M = pn_nanmax(m, m2);
  s = (m == M ? s : s * expf(m - M)) + (m2 == M ? s2 : s2 * expf(m2 - M));
  m = M;
}

__device__ __forceinline__ void pn_online_finish(float m, float& s) {
  if (m == pn_pos_inf()) s = pn_nan();
}

__device__ __forceinline__ void pn_warp_online(float& m, float& s) {
  for (int off = 16; off > 0; off >>= 1) {
    const float m2 = __shfl_xor_sync(PN_FULL_MASK, m, off);
    const float s2 = __shfl_xor_sync(PN_FULL_MASK, s, off);
    pn_online_merge(m, s, m2, s2);
  }
}

// ---------------------------------------------------------------- row groups
// "Row" kernels give each row to a group of blockDim.x threads (a multiple of 32);
// blockDim.y rows share a block. blockDim.x == 32 is warp-per-row (short rows, no
// shared memory, no __syncthreads); blockDim.x = 256..1024 with blockDim.y == 1 is
// block-per-row (long rows). Threads whose row is past the end still take part in
// the reductions (they hold neutral values) so every __syncthreads is reached.
__device__ __forceinline__ pn_index pn_group_row() { return (pn_index)blockIdx.x * blockDim.y + threadIdx.y; }

// Online (m, s) of the whole row group, returned to every thread of the group.
__device__ __forceinline__ void pn_group_online(float& m, float& s) {
  pn_warp_online(m, s);
  if (blockDim.x > 32) {  // uniform over the block: either every thread syncs or none
    __shared__ float sm[32], ss[32];
    const int warps = blockDim.x / 32;
    const int slot = threadIdx.y * warps + threadIdx.x / 32;
    if ((threadIdx.x & 31) == 0) {
      sm[slot] = m;
      ss[slot] = s;
    }
    __syncthreads();
    m = pn_neg_inf();
    s = 0.0f;
    for (int w = 0; w < warps; ++w)
      pn_online_merge(m, s, sm[threadIdx.y * warps + w], ss[threadIdx.y * warps + w]);
    __syncthreads();  // the slots may be reused by a later reduction
  }
}

// Sum over the row group, returned to every thread of the group.
__device__ __forceinline__ float pn_group_sum(float v) {
  v = pn_warp_sum(v);
  if (blockDim.x > 32) {
    __shared__ float partial[32];
    const int warps = blockDim.x / 32;
    const int slot = threadIdx.y * warps + threadIdx.x / 32;
    if ((threadIdx.x & 31) == 0) partial[slot] = v;
    __syncthreads();
    v = 0.0f;
    for (int w = 0; w < warps; ++w) v += partial[threadIdx.y * warps + w];
    __syncthreads();
  }
  return v;
}

// True when p is 16-byte aligned, so float4 loads from it are legal.
__device__ __forceinline__ bool pn_aligned16(const void* p) {
  return (reinterpret_cast<unsigned long long>(p) & 15ull) == 0;
}

#endif  // PYNEURO_CUDA_KERNELS_COMMON_CUH

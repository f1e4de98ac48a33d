// array_indexing.cuh: moving elements between layouts on the device, for the cuda backend's
// array namespace (used through csrc/bindings/cuda_array_layout.cpp and
// cuda_array_index.cpp): strided copies (basic slicing a[1:5, ::2], assignment into a slice,
// general broadcasting, permuting axes, concatenation, the diagonal of eye) and integer-
// array gathers and scatter-adds (a[idx], a[rows, targets], embedding lookups and their
// gradients), and the tiled 2-D transpose.
//
// The kernels are dtype-blind: they move 1-, 4- or 8-byte elements (bool; float32;
// int64 / float64), one extern "C" entry per element size around one template.
// Layouts travel by value as small structs (at most PN_MAX_DIMS axes), strides and
// offsets counted in elements.
#ifndef PYNEURO_CUDA_KERNELS_ARRAY_INDEXING_CUH  // include guard (portable to NVRTC)
#define PYNEURO_CUDA_KERNELS_ARRAY_INDEXING_CUH
#include "common.cuh"

#define PN_MAX_DIMS 8

// ------------------------------------------------------------------------ strided copy
// For every multi-index k over `shape`: dst[dst_offset + k . dst_stride] =
// src[src_offset + k . src_stride]. A stride of 0 repeats an element (broadcasting);
// a negative stride walks backwards. Grid-stride over the prod(shape) positions; each
// thread decodes its index with ndim divisions (the copies it serves are not hot).
struct pn_strided {
  long long shape[PN_MAX_DIMS];
  long long src_stride[PN_MAX_DIMS];
  long long dst_stride[PN_MAX_DIMS];
  long long src_offset;
  long long dst_offset;
  int ndim;
};

template <typename T>
__device__ __forceinline__ void pn_strided_copy_impl(pn_index n, const pn_strided& s, const T* src, T* dst) {
  PN_GRID_STRIDE(i, n) {
    pn_index rem = i, so = s.src_offset, d_off = s.dst_offset;
    for (int d = s.ndim - 1; d >= 0; --d) {
      const pn_index k = rem % s.shape[d];
      rem /= s.shape[d];
      so += k * s.src_stride[d];
      d_off += k * s.dst_stride[d];
    }
    dst[d_off] = src[so];
  }
}

extern "C" __global__ void pn_strided_copy_1(pn_index n, pn_strided s, const unsigned char* src,
                                             unsigned char* dst) {
  pn_strided_copy_impl(n, s, src, dst);
}
extern "C" __global__ void pn_strided_copy_4(pn_index n, pn_strided s, const unsigned int* src,
                                             unsigned int* dst) {
  pn_strided_copy_impl(n, s, src, dst);
}
extern "C" __global__ void pn_strided_copy_8(pn_index n, pn_strided s, const unsigned long long* src,
                                             unsigned long long* dst) {
  pn_strided_copy_impl(n, s, src, dst);
}

// ------------------------------------------------------------------------ gather / scatter-add
// Integer-array indexing of the leading k axes of a C-contiguous source:
//   out[j, r] = src[sum_d idx_d[j] * stride[d] + r],  j < n_idx, r < inner,
// where idx_d is a device int64 array of n_idx entries or (idx[d] == null) the constant
// imm[d]; negative indices count from the end of their axis (dim[d]), as in NumPy. The
// caller has checked every index against its axis (-dim <= i < dim) before the launch.
struct pn_gather_args {
  const long long* idx[PN_MAX_DIMS];
  long long imm[PN_MAX_DIMS];
  long long dim[PN_MAX_DIMS];
  long long stride[PN_MAX_DIMS];
  int k;
};

__device__ __forceinline__ pn_index pn_gather_offset(const pn_gather_args& g, pn_index j) {
  pn_index off = 0;
  for (int d = 0; d < g.k; ++d) {
    long long v = g.idx[d] ? g.idx[d][j] : g.imm[d];
    if (v < 0) v += g.dim[d];
    off += v * g.stride[d];
  }
  return off;
}

template <typename T>
__device__ __forceinline__ void pn_gather_impl(pn_index n_idx, pn_index inner, const pn_gather_args& g,
                                               const T* src, T* out) {
  PN_GRID_STRIDE(i, n_idx * inner) {
    const pn_index j = i / inner, r = i - j * inner;
    out[i] = src[pn_gather_offset(g, j) + r];
  }
}

extern "C" __global__ void pn_gather_1(pn_index n_idx, pn_index inner, pn_gather_args g,
                                       const unsigned char* src, unsigned char* out) {
  pn_gather_impl(n_idx, inner, g, src, out);
}
extern "C" __global__ void pn_gather_4(pn_index n_idx, pn_index inner, pn_gather_args g,
                                       const unsigned int* src, unsigned int* out) {
  pn_gather_impl(n_idx, inner, g, src, out);
}
extern "C" __global__ void pn_gather_8(pn_index n_idx, pn_index inner, pn_gather_args g,
                                       const unsigned long long* src, unsigned long long* out) {
  pn_gather_impl(n_idx, inner, g, src, out);
}

// The backward of a gather: dst[sum_d idx_d[j] * stride[d] + r] += values[j, r]. Indices
// may repeat (the same row picked twice gets both gradients), so the adds are atomic;
// the order of additions, and so the last bits of a repeated row, may vary between runs
// (as with torch's index_put_(accumulate=True)). Rows that are not repeated are exact.
extern "C" __global__ void pn_scatter_add_f32(pn_index n_idx, pn_index inner, pn_gather_args g,
                                              const float* values, float* dst) {
  PN_GRID_STRIDE(i, n_idx * inner) {
    const pn_index j = i / inner, r = i - j * inner;
    atomicAdd(dst + pn_gather_offset(g, j) + r, values[i]);
  }
}

// a[idx] = value: dst[sum_d idx_d[j] * stride[d] + r] = *value (one element of 1, 4 or 8
// bytes, in device memory). Every element gets the same value, so repeated indices write the
// same bits in any order.
template <typename T>
__device__ __forceinline__ void pn_scatter_fill_impl(pn_index n_idx, pn_index inner, const pn_gather_args& g,
                                                     const T* value, T* dst) {
  PN_GRID_STRIDE(i, n_idx * inner) {
    const pn_index j = i / inner, r = i - j * inner;
    dst[pn_gather_offset(g, j) + r] = *value;
  }
}

extern "C" __global__ void pn_scatter_fill_1(pn_index n_idx, pn_index inner, pn_gather_args g,
                                             const unsigned char* value, unsigned char* dst) {
  pn_scatter_fill_impl(n_idx, inner, g, value, dst);
}
extern "C" __global__ void pn_scatter_fill_4(pn_index n_idx, pn_index inner, pn_gather_args g,
                                             const unsigned int* value, unsigned int* dst) {
  pn_scatter_fill_impl(n_idx, inner, g, value, dst);
}
extern "C" __global__ void pn_scatter_fill_8(pn_index n_idx, pn_index inner, pn_gather_args g,
                                             const unsigned long long* value, unsigned long long* dst) {
  pn_scatter_fill_impl(n_idx, inner, g, value, dst);
}

// ------------------------------------------------------------------------ take along the last axis
// out[o, j] = src[o, idx[o, j]] for an (outer, len) source and (outer, k) int64 indices
// (np.take_along_axis on the last axis; other axes are moved last by the caller).
template <typename T>
__device__ __forceinline__ void pn_take_rows_impl(pn_index outer, pn_index k, pn_index len,
                                                  const long long* idx, const T* src, T* out) {
  PN_GRID_STRIDE(i, outer * k) {
    const pn_index o = i / k;
    long long v = idx[i];
    if (v < 0) v += len;
    out[i] = src[o * len + v];
  }
}

extern "C" __global__ void pn_take_rows_4(pn_index outer, pn_index k, pn_index len, const long long* idx,
                                          const unsigned int* src, unsigned int* out) {
  pn_take_rows_impl(outer, k, len, idx, src, out);
}
extern "C" __global__ void pn_take_rows_8(pn_index outer, pn_index k, pn_index len, const long long* idx,
                                          const unsigned long long* src, unsigned long long* out) {
  pn_take_rows_impl(outer, k, len, idx, src, out);
}

// ------------------------------------------------------------------------ transpose
// y = x^T for a (rows, cols) matrix, through a 32 x 33 shared tile so both the reads and
// the writes are coalesced. Block (32, 8); grid (ceil(cols/32), ceil(rows/32)).
extern "C" __global__ void pn_transpose(pn_index rows, pn_index cols, const float* x, float* y) {
  __shared__ float tile[32][33];
  const pn_index r0 = (pn_index)blockIdx.y * 32, c0 = (pn_index)blockIdx.x * 32;
  for (int k = threadIdx.y; k < 32; k += blockDim.y) {
    const pn_index r = r0 + k, c = c0 + threadIdx.x;
    if (r < rows && c < cols) tile[k][threadIdx.x] = x[r * cols + c];
  }
  __syncthreads();
  for (int k = threadIdx.y; k < 32; k += blockDim.y) {
    const pn_index c = c0 + k, r = r0 + threadIdx.x;  // y is (cols, rows)
    if (r < rows && c < cols) y[c * rows + r] = tile[threadIdx.x][k];
  }
}

#endif  // PYNEURO_CUDA_KERNELS_ARRAY_INDEXING_CUH

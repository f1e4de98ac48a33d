// launch.h: host-side entry points of pyneuro's CUDA kernels (no Python in here).
//
// Each function takes raw device pointers and sizes that the caller (the pybind11
// binding, csrc/bindings/cuda_module.cpp) has already validated, picks a launch
// configuration, launches on the legacy default stream and checks the launch with
// cudaGetLastError. Failures throw:
//   pyneuro::cuda::Error (a std::runtime_error -> Python RuntimeError) for CUDA errors,
//     its message holding the CUDA error name and string;
//   std::invalid_argument (-> ValueError) for sizes a launch cannot cover.
// The kernels themselves live in kernels/*.cuh (shared with the CuPy backend).
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace pyneuro::cuda {

struct Error : std::runtime_error {
  cudaError_t code;
  Error(cudaError_t c, const std::string& what) : std::runtime_error(what), code(c) {}
};

// Throws Error("<what>: <cudaErrorName>: <description>") unless err == cudaSuccess.
void check(cudaError_t err, const char* what);
std::string error_string(cudaError_t err);

// ---------------------------------------------------------------- devices
// Number of devices, or a negative CUDA error code (e.g. -35, -100) when none usable.
int device_count_or_error(cudaError_t* err);
void synchronize();

// ---------------------------------------------------------------- caching allocator
// Freed blocks go to a per-size free list and are handed out again for the same
// (rounded) size, so a training loop allocating the same shapes every step calls
// cudaMalloc only during its first step. On cudaMalloc failure the cache is released
// and the allocation retried once. All work runs on the legacy default stream, so a
// block freed after a launch may be reused by the next launch (stream order).
void* device_malloc(std::size_t bytes);
void device_free(void* ptr, std::size_t bytes) noexcept;
struct AllocatorStats {
  std::size_t cuda_malloc_calls, cache_hits, bytes_in_use, bytes_cached, blocks_in_use, blocks_cached;
  std::size_t peak_bytes_in_use, peak_bytes_reserved;  // highest since start or the last reset
};
AllocatorStats allocator_stats();
void reset_peak_stats();  // peaks := the current values
void empty_cache();

// ---------------------------------------------------------------- kernels
enum class MatmulVariant { naive, tiled, regblock, vectorized };
// C (M x N, leading dim ldc) = op(A) @ op(B); op(A) is M x K, op(B) K x N.
void matmul(MatmulVariant v, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
            int64_t ldb, float* C, int64_t ldc, bool trans_a, bool trans_b);

// Softmax family, (rows, cols) row-major. block_per_row: 256 threads per row instead of 32.
void softmax(bool block_per_row, int64_t rows, int64_t cols, const float* x, float* y);
void log_softmax(int64_t rows, int64_t cols, const float* x, float* y);
void softmax_backward(bool log_output, int64_t rows, int64_t cols, const float* g, const float* y, float* dx);
void cross_entropy_forward(int64_t rows, int64_t cols, const float* x, const int64_t* targets, float* losses);
void cross_entropy_backward(int64_t rows, int64_t cols, const float* x, const int64_t* targets,
                            const float* grad_losses, float* dx);
// Long rows get a block each; short rows a warp each.
bool prefers_block_per_row(int64_t cols);

void relu_forward(int64_t n, const float* x, float* y);
void relu_backward(int64_t n, const float* g, const float* x, float* dx);
void bias_add(int64_t rows, int64_t cols, const float* x, const float* b, float* y);
void column_sum(int64_t rows, int64_t cols, const float* g, float* out);
void row_sum(int64_t rows, int64_t cols, const float* x, float* out);
void sgd_step(int64_t n, float* param, const float* grad, float* buf, float lr, float momentum,
              float dampening, float weight_decay, bool nesterov, bool first_step);
void adam_step(int64_t n, float* param, const float* grad, float* exp_avg, float* exp_avg_sq, int64_t step,
               double lr, double beta1, double beta2, double eps, double weight_decay);
void argmax(int64_t rows, int64_t cols, const float* x, int64_t* out);
// (min, max) of n >= 1 int64 values, copied back to the host (synchronises).
void int64_minmax(int64_t n, const int64_t* t, int64_t* lo, int64_t* hi);
// The same into out[0] (min) and out[1] (max) in device memory (no copy back).
void int64_minmax_device(int64_t n, const int64_t* t, int64_t* out);

// Generic ops for the array namespace (see kernels/array_elementwise.cuh for the mode codes).
void binary(int64_t n, int op, const float* a, int a_mode, float a_imm, const float* b, int b_mode,
            float b_imm, int64_t cols, float* out);
void unary(int64_t n, int op, const float* x, float* y);
// Sum of n floats into *out (a device float). Uses a small scratch block from the allocator.
void sum_all(int64_t n, const float* x, float* out);
void fill_f32(int64_t n, float value, float* y);
void fill_i64(int64_t n, int64_t value, int64_t* y);
// dtype codes: 0 float32, 1 int64, 2 float64, 3 bool (one byte). Implemented: f32 <-> i64,
// f32 <-> f64, bool -> f32 / i64, f32 / i64 -> bool.
void cast(int64_t n, int src_dtype, const void* x, int dst_dtype, void* y);
void transpose(int64_t rows, int64_t cols, const float* x, float* y);
// ---------------------------------------------------------------- array-namespace extras
// Comparisons / logic into bool (uint8 0/1) for float32, int64 or bool operands (dtype
// codes as cast); op codes and operand modes as kernels/array_elementwise.cuh pn_compare_*.
// a_imm / b_imm hold the immediate for mode 3 (converted to the operand dtype).
void compare(int64_t n, int dtype, int op, const void* a, int a_mode, double a_imm, const void* b, int b_mode,
             double b_imm, int64_t cols, uint8_t* out);
// int64 elementwise op (0 add, 1 subtract, 2 multiply, 4 maximum, 5 minimum), modes as binary.
void binary_i64(int64_t n, int op, const int64_t* a, int a_mode, int64_t a_imm, const int64_t* b, int b_mode,
                int64_t b_imm, int64_t cols, int64_t* out);
// out = cond ? a : b (float32 or int64 a, b; dtype code as cast).
void where(int64_t n, int dtype, const uint8_t* cond, int c_mode, bool c_imm, const void* a, int a_mode,
           double a_imm, const void* b, int b_mode, double b_imm, int64_t cols, void* out);
// 0 isnan, 1 isfinite, 2 isinf.
void float_predicate(int64_t n, int op, const float* x, uint8_t* out);
void arange_f32(int64_t n, double start, double step, float* y);
void arange_i64(int64_t n, int64_t start, int64_t step, int64_t* y);
void sum_all_i64(int64_t n, const int64_t* x, int64_t* out);
void row_sum_i64(int64_t rows, int64_t cols, const int64_t* x, int64_t* out);
void cumsum_rows(int64_t rows, int64_t cols, const float* x, float* out);
// op 0: max, 1: min over n >= 1 floats into *out (a device float); NaN propagates.
void minmax_all_f32(int64_t n, int op, const float* x, float* out);

// Strided element copy (see kernels/array_indexing.cuh): elem_size 1, 4 or 8; strides and
// offsets in elements; at most kMaxDims axes.
constexpr int kMaxDims = 8;
struct Strided {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t src_stride[kMaxDims] = {};
  int64_t dst_stride[kMaxDims] = {};
  int64_t src_offset = 0, dst_offset = 0;
};
void strided_copy(int elem_size, const Strided& s, const void* src, void* dst);
// Integer-array gather on the leading k axes (kernels/array_indexing.cuh pn_gather_*); indices
// already range-checked. idx[d] == nullptr: the constant imm[d].
struct Gather {
  int k = 0;
  const int64_t* idx[kMaxDims] = {};
  int64_t imm[kMaxDims] = {};
  int64_t dim[kMaxDims] = {};
  int64_t stride[kMaxDims] = {};
};
void gather(int elem_size, int64_t n_idx, int64_t inner, const Gather& g, const void* src, void* out);
void scatter_add_f32(int64_t n_idx, int64_t inner, const Gather& g, const float* values, float* dst);
// dst[gathered positions] = *value (one element of elem_size bytes in device memory).
void scatter_fill(int elem_size, int64_t n_idx, int64_t inner, const Gather& g, const void* value, void* dst);
// out[o, j] = src[o, idx[o, j]] for (outer, len) src and (outer, k) idx; elem_size 4 or 8.
void take_rows(int elem_size, int64_t outer, int64_t k, int64_t len, const int64_t* idx, const void* src,
               void* out);

// ---------------------------------------------------------------- transfers
// Every copy between host and device goes through these (and int64_minmax), which count
// them: a training step that should stay on the device can be checked to do none.
void copy_device(void* dst, const void* src, std::size_t bytes);
void copy_to_host(void* dst, const void* src, std::size_t bytes);
void copy_to_device(void* dst, const void* src, std::size_t bytes);
struct TransferStats {
  uint64_t d2h_copies, d2h_bytes, h2d_copies, h2d_bytes;
};
TransferStats transfer_stats();
void reset_transfer_stats();

}  // namespace pyneuro::cuda

// launch.cu: launch configurations for the kernels in kernels/*.cuh, and the error
// checks around them. Kept apart from the kernels so the same kernel text can also be
// compiled at run time by the CuPy backend (cupy.RawModule), which does its own launching.
//
// Launch rules used throughout:
//   * nothing is launched for an empty problem (a zero-size grid is an error in CUDA);
//   * elementwise kernels use grid-stride loops with at most PN_MAX_BLOCKS blocks;
//   * every launch is followed by cudaGetLastError, turned into pyneuro::cuda::Error.
#include "launch.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/elementwise.cuh"
#include "kernels/matmul.cuh"
#include "kernels/softmax.cuh"

namespace pyneuro::cuda {
namespace {

constexpr int64_t kBlock = 256;
constexpr int64_t kMaxBlocks = 8192;  // enough to fill any current GPU; loops cover the rest
constexpr int64_t kMaxGridY = 65535;

unsigned grid_1d(int64_t n) {
  return static_cast<unsigned>(std::min<int64_t>((n + kBlock - 1) / kBlock, kMaxBlocks));
}

void launched(const char* kernel) { check(cudaGetLastError(), kernel); }

// Row kernels: (32, 8) warp-per-row or (256, 1) block-per-row; grid.x covers the rows.
void row_launch_dims(bool block_per_row, int64_t rows, dim3& grid, dim3& block) {
  block = block_per_row ? dim3(256, 1) : dim3(32, 8);
  const int64_t blocks = (rows + block.y - 1) / block.y;
  if (blocks > 0x7fffffffLL) throw std::invalid_argument("too many rows for one launch: " + std::to_string(rows));
  grid = dim3(static_cast<unsigned>(blocks));
}

}  // namespace

std::string error_string(cudaError_t err) {
  return std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
}

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) {
    // Clear a non-sticky error so the next call does not report it again.
    cudaGetLastError();
    throw Error(err, std::string(what) + " failed: " + error_string(err));
  }
}

int device_count_or_error(cudaError_t* err) {
  int count = 0;
  *err = cudaGetDeviceCount(&count);
  if (*err != cudaSuccess) {
    cudaGetLastError();
    return -static_cast<int>(*err);
  }
  return count;
}

void synchronize() { check(cudaDeviceSynchronize(), "cudaDeviceSynchronize"); }

// ------------------------------------------------------------------------- matmul
void matmul(MatmulVariant v, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
            int64_t ldb, float* C, int64_t ldc, bool trans_a, bool trans_b) {
  if (M == 0 || N == 0) return;
  const int ta = trans_a, tb = trans_b;
  auto grid_for = [&](int64_t tile_m, int64_t tile_n, const char* name) {
    const int64_t gy = (M + tile_m - 1) / tile_m, gx = (N + tile_n - 1) / tile_n;
    if (gy > kMaxGridY || gx > 0x7fffffffLL)
      throw std::invalid_argument(std::string("matmul variant '") + name + "' cannot cover M=" + std::to_string(M) +
                                  ", N=" + std::to_string(N) + " in one launch");
    return dim3(static_cast<unsigned>(gx), static_cast<unsigned>(gy));
  };
  switch (v) {
    case MatmulVariant::naive:
      pn_matmul_naive<<<grid_for(16, 16, "naive"), dim3(16, 16)>>>(M, N, K, A, lda, B, ldb, C, ldc, ta, tb);
      return launched("pn_matmul_naive");
    case MatmulVariant::tiled:
      pn_matmul_tiled<<<grid_for(PN_TILE, PN_TILE, "tiled"), dim3(PN_TILE, PN_TILE)>>>(M, N, K, A, lda, B, ldb, C,
                                                                                       ldc, ta, tb);
      return launched("pn_matmul_tiled");
    case MatmulVariant::regblock:
      pn_matmul_regblock<<<grid_for(PN_BM, PN_BN, "regblock"), PN_THREADS>>>(M, N, K, A, lda, B, ldb, C, ldc, ta,
                                                                            tb);
      return launched("pn_matmul_regblock");
    case MatmulVariant::vectorized:
      pn_matmul_vectorized<<<grid_for(PN_BM, PN_BN, "vectorized"), PN_THREADS>>>(M, N, K, A, lda, B, ldb, C, ldc,
                                                                                ta, tb);
      return launched("pn_matmul_vectorized");
  }
}

// ------------------------------------------------------------------------- softmax family
bool prefers_block_per_row(int64_t cols) { return cols > 1024; }

void softmax(bool block_per_row, int64_t rows, int64_t cols, const float* x, float* y) {
  if (rows == 0 || cols == 0) return;
  dim3 grid, block;
  row_launch_dims(block_per_row, rows, grid, block);
  if (block_per_row) {
    pn_softmax_block<<<grid, block>>>(rows, cols, x, y);
    return launched("pn_softmax_block");
  }
  pn_softmax_warp<<<grid, block>>>(rows, cols, x, y);
  launched("pn_softmax_warp");
}

void log_softmax(int64_t rows, int64_t cols, const float* x, float* y) {
  if (rows == 0 || cols == 0) return;
  dim3 grid, block;
  row_launch_dims(prefers_block_per_row(cols), rows, grid, block);
  pn_log_softmax_rows<<<grid, block>>>(rows, cols, x, y);
  launched("pn_log_softmax_rows");
}

void softmax_backward(bool log_output, int64_t rows, int64_t cols, const float* g, const float* y, float* dx) {
  if (rows == 0 || cols == 0) return;
  dim3 grid, block;
  row_launch_dims(prefers_block_per_row(cols), rows, grid, block);
  pn_softmax_backward_rows<<<grid, block>>>(rows, cols, g, y, dx, log_output ? 1 : 0);
  launched("pn_softmax_backward_rows");
}

void cross_entropy_forward(int64_t rows, int64_t cols, const float* x, const int64_t* targets, float* losses) {
  if (rows == 0) return;
  dim3 grid, block;
  row_launch_dims(prefers_block_per_row(cols), rows, grid, block);
  pn_cross_entropy_forward<<<grid, block>>>(rows, cols, x, reinterpret_cast<const long long*>(targets), losses);
  launched("pn_cross_entropy_forward");
}

void cross_entropy_backward(int64_t rows, int64_t cols, const float* x, const int64_t* targets,
                            const float* grad_losses, float* dx) {
  if (rows == 0 || cols == 0) return;
  dim3 grid, block;
  row_launch_dims(prefers_block_per_row(cols), rows, grid, block);
  pn_cross_entropy_backward<<<grid, block>>>(rows, cols, x, reinterpret_cast<const long long*>(targets),
                                             grad_losses, dx);
  launched("pn_cross_entropy_backward");
}

// ------------------------------------------------------------------------- elementwise
void relu_forward(int64_t n, const float* x, float* y) {
  if (n == 0) return;
  pn_relu_forward<<<grid_1d(n), kBlock>>>(n, x, y);
  launched("pn_relu_forward");
}

void relu_backward(int64_t n, const float* g, const float* x, float* dx) {
  if (n == 0) return;
  pn_relu_backward<<<grid_1d(n), kBlock>>>(n, g, x, dx);
  launched("pn_relu_backward");
}

void bias_add(int64_t rows, int64_t cols, const float* x, const float* b, float* y) {
  if (rows == 0 || cols == 0) return;
  pn_bias_add<<<grid_1d(rows * cols), kBlock>>>(rows, cols, x, b, y);
  launched("pn_bias_add");
}

void column_sum(int64_t rows, int64_t cols, const float* g, float* out) {
  if (cols == 0) return;
  // rows == 0 still launches: the kernel writes the zero sums.
  const int64_t blocks = (cols + 31) / 32;
  if (blocks > 0x7fffffffLL) throw std::invalid_argument("too many columns: " + std::to_string(cols));
  pn_column_sum<<<static_cast<unsigned>(blocks), dim3(32, 8)>>>(rows, cols, g, out);
  launched("pn_column_sum");
}

void row_sum(int64_t rows, int64_t cols, const float* x, float* out) {
  if (rows == 0) return;
  dim3 grid, block;
  row_launch_dims(prefers_block_per_row(cols), rows, grid, block);
  pn_row_sum<<<grid, block>>>(rows, cols, x, out);
  launched("pn_row_sum");
}

void sgd_step(int64_t n, float* param, const float* grad, float* buf, float lr, float momentum, float dampening,
              float weight_decay, bool nesterov, bool first_step) {
  if (n == 0) return;
  pn_sgd_step<<<grid_1d(n), kBlock>>>(n, param, grad, buf, lr, momentum, dampening, weight_decay, nesterov,
                                      first_step, momentum != 0.0f && buf != nullptr);
  launched("pn_sgd_step");
}

void adam_step(int64_t n, float* param, const float* grad, float* exp_avg, float* exp_avg_sq, int64_t step,
               double lr, double beta1, double beta2, double eps, double weight_decay) {
  if (n == 0) return;
  const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(step));
  const double bc2 = 1.0 - std::pow(beta2, static_cast<double>(step));
  pn_adam_step<<<grid_1d(n), kBlock>>>(n, param, grad, exp_avg, exp_avg_sq, static_cast<float>(lr / bc1),
                                       static_cast<float>(beta1), static_cast<float>(beta2),
                                       static_cast<float>(eps), static_cast<float>(weight_decay),
                                       static_cast<float>(1.0 / std::sqrt(bc2)));
  launched("pn_adam_step");
}

void argmax(int64_t rows, int64_t cols, const float* x, int64_t* out) {
  if (rows == 0) return;
  dim3 grid, block;
  row_launch_dims(false, rows, grid, block);
  pn_argmax_rows<<<grid, block>>>(rows, cols, x, reinterpret_cast<long long*>(out));
  launched("pn_argmax_rows");
}

void int64_minmax(int64_t n, const int64_t* t, int64_t* lo, int64_t* hi) {
  long long* scratch = static_cast<long long*>(device_malloc(2 * sizeof(long long)));
  long long host[2] = {0, 0};
  try {
    pn_int64_minmax<<<1, 1024>>>(n, reinterpret_cast<const long long*>(t), scratch);
    launched("pn_int64_minmax");
    check(cudaMemcpy(host, scratch, sizeof(host), cudaMemcpyDeviceToHost), "cudaMemcpy (target range)");
  } catch (...) {
    device_free(scratch, 2 * sizeof(long long));
    throw;
  }
  device_free(scratch, 2 * sizeof(long long));
  *lo = host[0];
  *hi = host[1];
}

void binary(int64_t n, int op, const float* a, int a_mode, float a_imm, const float* b, int b_mode, float b_imm,
            int64_t cols, float* out) {
  if (n == 0) return;
  pn_binary<<<grid_1d(n), kBlock>>>(n, op, a, a_mode, a_imm, b, b_mode, b_imm, cols > 0 ? cols : 1, out);
  launched("pn_binary");
}

void unary(int64_t n, int op, const float* x, float* y) {
  if (n == 0) return;
  pn_unary<<<grid_1d(n), kBlock>>>(n, op, x, y);
  launched("pn_unary");
}

void fill_f32(int64_t n, float value, float* y) {
  if (n == 0) return;
  pn_fill_f32<<<grid_1d(n), kBlock>>>(n, value, y);
  launched("pn_fill_f32");
}

void fill_i64(int64_t n, int64_t value, int64_t* y) {
  if (n == 0) return;
  pn_fill_i64<<<grid_1d(n), kBlock>>>(n, value, reinterpret_cast<long long*>(y));
  launched("pn_fill_i64");
}

void sum_all(int64_t n, const float* x, float* out) {
  if (n == 0) return fill_f32(1, 0.0f, out);
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>((n + kBlock - 1) / kBlock, 1024));
  float* partial = static_cast<float*>(device_malloc(blocks * sizeof(float)));
  try {
    pn_sum_partial<<<blocks, kBlock>>>(n, x, partial);
    launched("pn_sum_partial");
    pn_sum_partial<<<1, kBlock>>>(blocks, partial, out);
    launched("pn_sum_partial (final)");
  } catch (...) {
    device_free(partial, blocks * sizeof(float));
    throw;
  }
  // Freed in stream order: a later kernel reusing the block runs after these two.
  device_free(partial, blocks * sizeof(float));
}

void cast(int64_t n, int src, const void* x, int dst, void* y) {
  if (n == 0) return;
  if (src == dst) return copy_device(y, x, static_cast<std::size_t>(n) * (src == 0 ? 4 : 8));
  const unsigned g = grid_1d(n);
  if (src == 1 && dst == 0) pn_cast_i64_f32<<<g, kBlock>>>(n, static_cast<const long long*>(x), static_cast<float*>(y));
  else if (src == 0 && dst == 1) pn_cast_f32_i64<<<g, kBlock>>>(n, static_cast<const float*>(x), static_cast<long long*>(y));
  else if (src == 2 && dst == 0) pn_cast_f64_f32<<<g, kBlock>>>(n, static_cast<const double*>(x), static_cast<float*>(y));
  else if (src == 0 && dst == 2) pn_cast_f32_f64<<<g, kBlock>>>(n, static_cast<const float*>(x), static_cast<double*>(y));
  else throw std::invalid_argument("unsupported cast between device dtypes " + std::to_string(src) + " -> " +
                                   std::to_string(dst));
  launched("pn_cast");
}

void transpose(int64_t rows, int64_t cols, const float* x, float* y) {
  if (rows == 0 || cols == 0) return;
  const int64_t gx = (cols + 31) / 32, gy = (rows + 31) / 32;
  if (gy > kMaxGridY) throw std::invalid_argument("transpose: too many rows: " + std::to_string(rows));
  pn_transpose<<<dim3(static_cast<unsigned>(gx), static_cast<unsigned>(gy)), dim3(32, 8)>>>(rows, cols, x, y);
  launched("pn_transpose");
}

void copy_device(void* dst, const void* src, std::size_t bytes) {
  if (bytes) check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice), "cudaMemcpy (device to device)");
}
void copy_to_host(void* dst, const void* src, std::size_t bytes) {
  if (bytes) check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy (device to host)");
}
void copy_to_device(void* dst, const void* src, std::size_t bytes) {
  if (bytes) check(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "cudaMemcpy (host to device)");
}

}  // namespace pyneuro::cuda

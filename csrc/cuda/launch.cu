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
#include <atomic>
#include <cmath>
#include <string>

// The taught kernels of a training step, then the array namespace's (see kernels/*.cuh).
#include "kernels/bias.cuh"
#include "kernels/matmul.cuh"
#include "kernels/optim.cuh"
#include "kernels/relu.cuh"
#include "kernels/softmax.cuh"
#include "kernels/array_elementwise.cuh"
#include "kernels/array_indexing.cuh"
#include "kernels/array_reduce.cuh"

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
  if (blocks > 0x7fffffffLL)
    throw std::invalid_argument("too many rows for one launch: " + std::to_string(rows));
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
      throw std::invalid_argument(std::string("matmul variant '") + name + "' cannot cover M=" +
                                  std::to_string(M) + ", N=" + std::to_string(N) + " in one launch");
    return dim3(static_cast<unsigned>(gx), static_cast<unsigned>(gy));
  };
  switch (v) {
    case MatmulVariant::naive:
      pn_matmul_naive<<<grid_for(16, 16, "naive"), dim3(16, 16)>>>(M, N, K, A, lda, B, ldb, C, ldc, ta, tb);
      return launched("pn_matmul_naive");
    case MatmulVariant::tiled:
      pn_matmul_tiled<<<grid_for(PN_TILE, PN_TILE, "tiled"), dim3(PN_TILE, PN_TILE)>>>(M, N, K, A, lda, B,
                                                                                       ldb, C, ldc, ta, tb);
      return launched("pn_matmul_tiled");
    case MatmulVariant::regblock:
      pn_matmul_regblock<<<grid_for(PN_BM, PN_BN, "regblock"), PN_THREADS>>>(M, N, K, A, lda, B, ldb, C, ldc,
                                                                             ta, tb);
      return launched("pn_matmul_regblock");
    case MatmulVariant::vectorized:
      pn_matmul_vectorized<<<grid_for(PN_BM, PN_BN, "vectorized"), PN_THREADS>>>(M, N, K, A, lda, B, ldb, C,
                                                                                 ldc, ta, tb);
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

void softmax_backward(bool log_output, int64_t rows, int64_t cols, const float* g, const float* y,
                      float* dx) {
  if (rows == 0 || cols == 0) return;
  dim3 grid, block;
  row_launch_dims(prefers_block_per_row(cols), rows, grid, block);
  pn_softmax_backward_rows<<<grid, block>>>(rows, cols, g, y, dx, log_output ? 1 : 0);
  launched("pn_softmax_backward_rows");
}

void cross_entropy_forward(int64_t rows, int64_t cols, const float* x, const int64_t* targets,
                           float* losses) {
  if (rows == 0) return;
  dim3 grid, block;
  row_launch_dims(prefers_block_per_row(cols), rows, grid, block);
  pn_cross_entropy_forward<<<grid, block>>>(rows, cols, x, reinterpret_cast<const long long*>(targets),
                                            losses);
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

void sgd_step(int64_t n, float* param, const float* grad, float* buf, float lr, float momentum,
              float dampening, float weight_decay, bool nesterov, bool first_step) {
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
                                       static_cast<float>(1.0 / std::sqrt(bc2)),
                                       static_cast<float>(1.0 - beta1), static_cast<float>(1.0 - beta2));
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
    copy_to_host(host, scratch, sizeof(host));
  } catch (...) {
    device_free(scratch, 2 * sizeof(long long));
    throw;
  }
  device_free(scratch, 2 * sizeof(long long));
  *lo = host[0];
  *hi = host[1];
}

void int64_minmax_device(int64_t n, const int64_t* t, int64_t* out) {
  if (n == 0) throw std::invalid_argument("min/max of an empty array");
  pn_int64_minmax<<<1, 1024>>>(n, reinterpret_cast<const long long*>(t), reinterpret_cast<long long*>(out));
  launched("pn_int64_minmax");
}

void binary(int64_t n, int op, const float* a, int a_mode, float a_imm, const float* b, int b_mode,
            float b_imm, int64_t cols, float* out) {
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
  if (src == dst) return copy_device(y, x, static_cast<std::size_t>(n) * (src == 0 ? 4 : src == 3 ? 1 : 8));
  const unsigned g = grid_1d(n);
  if (src == 1 && dst == 0)
    pn_cast_i64_f32<<<g, kBlock>>>(n, static_cast<const long long*>(x), static_cast<float*>(y));
  else if (src == 0 && dst == 1)
    pn_cast_f32_i64<<<g, kBlock>>>(n, static_cast<const float*>(x), static_cast<long long*>(y));
  else if (src == 2 && dst == 0)
    pn_cast_f64_f32<<<g, kBlock>>>(n, static_cast<const double*>(x), static_cast<float*>(y));
  else if (src == 0 && dst == 2)
    pn_cast_f32_f64<<<g, kBlock>>>(n, static_cast<const float*>(x), static_cast<double*>(y));
  else if (src == 3 && dst == 0)
    pn_cast_b8_f32<<<g, kBlock>>>(n, static_cast<const unsigned char*>(x), static_cast<float*>(y));
  else if (src == 3 && dst == 1)
    pn_cast_b8_i64<<<g, kBlock>>>(n, static_cast<const unsigned char*>(x), static_cast<long long*>(y));
  else if (src == 0 && dst == 3)
    pn_cast_f32_b8<<<g, kBlock>>>(n, static_cast<const float*>(x), static_cast<unsigned char*>(y));
  else if (src == 1 && dst == 3)
    pn_cast_i64_b8<<<g, kBlock>>>(n, static_cast<const long long*>(x), static_cast<unsigned char*>(y));
  else
    throw std::invalid_argument("unsupported cast between device dtypes " + std::to_string(src) + " -> " +
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

// ------------------------------------------------------------------------- array-namespace extras
namespace {
template <typename T>
T imm_as(double v) {
  return static_cast<T>(v);
}
}  // namespace

void compare(int64_t n, int dtype, int op, const void* a, int a_mode, double a_imm, const void* b, int b_mode,
             double b_imm, int64_t cols, uint8_t* out) {
  if (n == 0) return;
  const unsigned g = grid_1d(n);
  cols = cols > 0 ? cols : 1;
  unsigned char* o = reinterpret_cast<unsigned char*>(out);
  if (dtype == 0) {
    pn_compare_f32<<<g, kBlock>>>(n, op, static_cast<const float*>(a), a_mode, imm_as<float>(a_imm),
                                  static_cast<const float*>(b), b_mode, imm_as<float>(b_imm), cols, o);
  } else if (dtype == 1) {
    pn_compare_i64<<<g, kBlock>>>(n, op, static_cast<const long long*>(a), a_mode, imm_as<long long>(a_imm),
                                  static_cast<const long long*>(b), b_mode, imm_as<long long>(b_imm), cols,
                                  o);
  } else if (dtype == 3) {
    pn_compare_b8<<<g, kBlock>>>(
        n, op, static_cast<const unsigned char*>(a), a_mode, static_cast<unsigned char>(a_imm != 0.0),
        static_cast<const unsigned char*>(b), b_mode, static_cast<unsigned char>(b_imm != 0.0), cols, o);
  } else {
    throw std::invalid_argument("compare: unsupported dtype code " + std::to_string(dtype));
  }
  launched("pn_compare");
}

void binary_i64(int64_t n, int op, const int64_t* a, int a_mode, int64_t a_imm, const int64_t* b, int b_mode,
                int64_t b_imm, int64_t cols, int64_t* out) {
  if (n == 0) return;
  pn_binary_i64<<<grid_1d(n), kBlock>>>(n, op, reinterpret_cast<const long long*>(a), a_mode, a_imm,
                                        reinterpret_cast<const long long*>(b), b_mode, b_imm,
                                        cols > 0 ? cols : 1, reinterpret_cast<long long*>(out));
  launched("pn_binary_i64");
}

void where(int64_t n, int dtype, const uint8_t* cond, int c_mode, bool c_imm, const void* a, int a_mode,
           double a_imm, const void* b, int b_mode, double b_imm, int64_t cols, void* out) {
  if (n == 0) return;
  const unsigned g = grid_1d(n);
  cols = cols > 0 ? cols : 1;
  const unsigned char* c = reinterpret_cast<const unsigned char*>(cond);
  const unsigned char ci = c_imm ? 1 : 0;
  if (dtype == 0) {
    pn_where_f32<<<g, kBlock>>>(n, c, c_mode, ci, static_cast<const float*>(a), a_mode, imm_as<float>(a_imm),
                                static_cast<const float*>(b), b_mode, imm_as<float>(b_imm), cols,
                                static_cast<float*>(out));
  } else if (dtype == 1) {
    pn_where_i64<<<g, kBlock>>>(n, c, c_mode, ci, static_cast<const long long*>(a), a_mode,
                                imm_as<long long>(a_imm), static_cast<const long long*>(b), b_mode,
                                imm_as<long long>(b_imm), cols, static_cast<long long*>(out));
  } else {
    throw std::invalid_argument("where: unsupported dtype code " + std::to_string(dtype));
  }
  launched("pn_where");
}

void float_predicate(int64_t n, int op, const float* x, uint8_t* out) {
  if (n == 0) return;
  pn_float_predicate<<<grid_1d(n), kBlock>>>(n, op, x, reinterpret_cast<unsigned char*>(out));
  launched("pn_float_predicate");
}

void arange_f32(int64_t n, double start, double step, float* y) {
  if (n == 0) return;
  pn_arange_f32<<<grid_1d(n), kBlock>>>(n, start, step, y);
  launched("pn_arange_f32");
}

void arange_i64(int64_t n, int64_t start, int64_t step, int64_t* y) {
  if (n == 0) return;
  pn_arange_i64<<<grid_1d(n), kBlock>>>(n, start, step, reinterpret_cast<long long*>(y));
  launched("pn_arange_i64");
}

void sum_all_i64(int64_t n, const int64_t* x, int64_t* out) {
  if (n == 0) return fill_i64(1, 0, out);
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>((n + kBlock - 1) / kBlock, 1024));
  long long* partial = static_cast<long long*>(device_malloc(blocks * sizeof(long long)));
  try {
    pn_sum_partial_i64<<<blocks, kBlock>>>(n, reinterpret_cast<const long long*>(x), partial);
    launched("pn_sum_partial_i64");
    pn_sum_partial_i64<<<1, kBlock>>>(blocks, partial, reinterpret_cast<long long*>(out));
    launched("pn_sum_partial_i64 (final)");
  } catch (...) {
    device_free(partial, blocks * sizeof(long long));
    throw;
  }
  device_free(partial, blocks * sizeof(long long));
}

void row_sum_i64(int64_t rows, int64_t cols, const int64_t* x, int64_t* out) {
  if (rows == 0) return;
  if (cols == 0) return fill_i64(rows, 0, out);
  dim3 grid, block;
  row_launch_dims(false, rows, grid, block);
  pn_row_sum_i64<<<grid, block>>>(rows, cols, reinterpret_cast<const long long*>(x),
                                  reinterpret_cast<long long*>(out));
  launched("pn_row_sum_i64");
}

void cumsum_rows(int64_t rows, int64_t cols, const float* x, float* out) {
  if (rows == 0 || cols == 0) return;
  pn_cumsum_rows<<<grid_1d(rows), kBlock>>>(rows, cols, x, out);
  launched("pn_cumsum_rows");
}

void minmax_all_f32(int64_t n, int op, const float* x, float* out) {
  if (n == 0) throw std::invalid_argument("max/min of an empty array");
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>((n + kBlock - 1) / kBlock, 1024));
  float* partial = static_cast<float*>(device_malloc(blocks * sizeof(float)));
  try {
    pn_minmax_partial_f32<<<blocks, kBlock>>>(n, op, x, partial);
    launched("pn_minmax_partial_f32");
    pn_minmax_partial_f32<<<1, kBlock>>>(blocks, op, partial, out);
    launched("pn_minmax_partial_f32 (final)");
  } catch (...) {
    device_free(partial, blocks * sizeof(float));
    throw;
  }
  device_free(partial, blocks * sizeof(float));
}

void strided_copy(int elem_size, const Strided& s, const void* src, void* dst) {
  if (s.ndim < 0 || s.ndim > kMaxDims) throw std::invalid_argument("strided copy: too many dimensions");
  int64_t n = 1;
  pn_strided k{};
  for (int d = 0; d < s.ndim; ++d) {
    n *= s.shape[d];
    k.shape[d] = s.shape[d];
    k.src_stride[d] = s.src_stride[d];
    k.dst_stride[d] = s.dst_stride[d];
  }
  k.ndim = s.ndim;
  k.src_offset = s.src_offset;
  k.dst_offset = s.dst_offset;
  if (n == 0) return;
  const unsigned g = grid_1d(n);
  switch (elem_size) {
    case 1:
      pn_strided_copy_1<<<g, kBlock>>>(n, k, static_cast<const unsigned char*>(src),
                                       static_cast<unsigned char*>(dst));
      break;
    case 4:
      pn_strided_copy_4<<<g, kBlock>>>(n, k, static_cast<const unsigned int*>(src),
                                       static_cast<unsigned int*>(dst));
      break;
    case 8:
      pn_strided_copy_8<<<g, kBlock>>>(n, k, static_cast<const unsigned long long*>(src),
                                       static_cast<unsigned long long*>(dst));
      break;
    default:
      throw std::invalid_argument("strided copy: element size " + std::to_string(elem_size));
  }
  launched("pn_strided_copy");
}

namespace {
pn_gather_args gather_args(const Gather& g) {
  if (g.k < 0 || g.k > kMaxDims) throw std::invalid_argument("gather: too many index arrays");
  pn_gather_args a{};
  a.k = g.k;
  for (int d = 0; d < g.k; ++d) {
    a.idx[d] = reinterpret_cast<const long long*>(g.idx[d]);
    a.imm[d] = g.imm[d];
    a.dim[d] = g.dim[d];
    a.stride[d] = g.stride[d];
  }
  return a;
}
}  // namespace

void gather(int elem_size, int64_t n_idx, int64_t inner, const Gather& g, const void* src, void* out) {
  const pn_gather_args a = gather_args(g);
  if (n_idx == 0 || inner == 0) return;
  const unsigned grid = grid_1d(n_idx * inner);
  switch (elem_size) {
    case 1:
      pn_gather_1<<<grid, kBlock>>>(n_idx, inner, a, static_cast<const unsigned char*>(src),
                                    static_cast<unsigned char*>(out));
      break;
    case 4:
      pn_gather_4<<<grid, kBlock>>>(n_idx, inner, a, static_cast<const unsigned int*>(src),
                                    static_cast<unsigned int*>(out));
      break;
    case 8:
      pn_gather_8<<<grid, kBlock>>>(n_idx, inner, a, static_cast<const unsigned long long*>(src),
                                    static_cast<unsigned long long*>(out));
      break;
    default:
      throw std::invalid_argument("gather: element size " + std::to_string(elem_size));
  }
  launched("pn_gather");
}

void scatter_add_f32(int64_t n_idx, int64_t inner, const Gather& g, const float* values, float* dst) {
  const pn_gather_args a = gather_args(g);
  if (n_idx == 0 || inner == 0) return;
  pn_scatter_add_f32<<<grid_1d(n_idx * inner), kBlock>>>(n_idx, inner, a, values, dst);
  launched("pn_scatter_add_f32");
}

void scatter_fill(int elem_size, int64_t n_idx, int64_t inner, const Gather& g, const void* value,
                  void* dst) {
  const pn_gather_args a = gather_args(g);
  if (n_idx == 0 || inner == 0) return;
  const unsigned grid = grid_1d(n_idx * inner);
  switch (elem_size) {
    case 1:
      pn_scatter_fill_1<<<grid, kBlock>>>(n_idx, inner, a, static_cast<const unsigned char*>(value),
                                          static_cast<unsigned char*>(dst));
      break;
    case 4:
      pn_scatter_fill_4<<<grid, kBlock>>>(n_idx, inner, a, static_cast<const unsigned int*>(value),
                                          static_cast<unsigned int*>(dst));
      break;
    case 8:
      pn_scatter_fill_8<<<grid, kBlock>>>(n_idx, inner, a, static_cast<const unsigned long long*>(value),
                                          static_cast<unsigned long long*>(dst));
      break;
    default:
      throw std::invalid_argument("scatter_fill: element size " + std::to_string(elem_size));
  }
  launched("pn_scatter_fill");
}

void take_rows(int elem_size, int64_t outer, int64_t k, int64_t len, const int64_t* idx, const void* src,
               void* out) {
  if (outer == 0 || k == 0) return;
  const long long* ix = reinterpret_cast<const long long*>(idx);
  const unsigned g = grid_1d(outer * k);
  if (elem_size == 4) {
    pn_take_rows_4<<<g, kBlock>>>(outer, k, len, ix, static_cast<const unsigned int*>(src),
                                  static_cast<unsigned int*>(out));
  } else if (elem_size == 8) {
    pn_take_rows_8<<<g, kBlock>>>(outer, k, len, ix, static_cast<const unsigned long long*>(src),
                                  static_cast<unsigned long long*>(out));
  } else {
    throw std::invalid_argument("take_rows: element size " + std::to_string(elem_size));
  }
  launched("pn_take_rows");
}

// ------------------------------------------------------------------------- transfers
namespace {
std::atomic<uint64_t> g_d2h_copies{0}, g_d2h_bytes{0}, g_h2d_copies{0}, g_h2d_bytes{0};
}  // namespace

TransferStats transfer_stats() {
  return {g_d2h_copies.load(), g_d2h_bytes.load(), g_h2d_copies.load(), g_h2d_bytes.load()};
}

void reset_transfer_stats() {
  g_d2h_copies = 0;
  g_d2h_bytes = 0;
  g_h2d_copies = 0;
  g_h2d_bytes = 0;
}

void copy_device(void* dst, const void* src, std::size_t bytes) {
  if (bytes) check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice), "cudaMemcpy (device to device)");
}
void copy_to_host(void* dst, const void* src, std::size_t bytes) {
  ++g_d2h_copies;
  g_d2h_bytes += bytes;
  if (bytes) check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy (device to host)");
}
void copy_to_device(void* dst, const void* src, std::size_t bytes) {
  ++g_h2d_copies;
  g_h2d_bytes += bytes;
  if (bytes) check(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "cudaMemcpy (host to device)");
}

}  // namespace pyneuro::cuda

// portable_check.cpp: runs the CPU kernels compiled for another architecture (aarch64, under
// qemu-aarch64 in CI: .ci/cross_compile.sh) against double-precision references, so the
// portable path is executed there, not only compiled. Exits 1 on the first mismatch.
// Checked: packed matmul (all four transposes, edge sizes), softmax, log_softmax,
// cross-entropy forward/backward, ReLU.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "pyneuro/elementwise.h"
#include "pyneuro/matmul.h"
#include "pyneuro/softmax.h"

using pyneuro::index_t;
namespace cpu = pyneuro::cpu;

static int failures = 0;
static std::uint32_t seed = 12345;
static float rnd() {  // uniform in [-2, 2)
  seed = seed * 1664525u + 1013904223u;
  return float(seed >> 8) / float(1 << 24) * 4.0f - 2.0f;
}
static void check(bool ok, const char* what, index_t a, index_t b, index_t c) {
  if (!ok) {
    std::printf("FAIL %s (%lld, %lld, %lld)\n", what, (long long)a, (long long)b, (long long)c);
    ++failures;
  }
}

static void check_matmul(index_t M, index_t N, index_t K, bool ta, bool tb) {
  std::vector<float> A(static_cast<size_t>(M * K)), B(static_cast<size_t>(K * N)),
      C(static_cast<size_t>(M * N));
  for (auto& v : A) v = rnd();
  for (auto& v : B) v = rnd();
  cpu::matmul(cpu::MatmulVariant::Packed, A.data(), B.data(), C.data(), M, N, K, ta, tb);
  double worst = 0;
  for (index_t i = 0; i < M; ++i)
    for (index_t j = 0; j < N; ++j) {
      double s = 0, mag = 0;
      for (index_t k = 0; k < K; ++k) {
        const double a = ta ? A[size_t(k * M + i)] : A[size_t(i * K + k)];
        const double b = tb ? B[size_t(j * K + k)] : B[size_t(k * N + j)];
        s += a * b;
        mag += std::fabs(a * b);
      }
      const double err = std::fabs(C[size_t(i * N + j)] - s) / (mag + 1e-30);
      worst = err > worst ? err : worst;
    }
  check(worst < 1e-5, ta ? (tb ? "matmul A^T B^T" : "matmul A^T B") : (tb ? "matmul A B^T" : "matmul A B"), M,
        N, K);
}

static void check_softmax_family(index_t rows, index_t cols) {
  std::vector<float> x(static_cast<size_t>(rows * cols)), y(x.size()), ly(x.size()), g(x.size()),
      losses(static_cast<size_t>(rows));
  std::vector<std::int64_t> t(static_cast<size_t>(rows));
  std::vector<float> ones(static_cast<size_t>(rows), 1.0f);
  for (auto& v : x) v = rnd() * 4.0f;
  for (index_t i = 0; i < rows; ++i) t[size_t(i)] = (i * 7) % cols;
  cpu::softmax_forward(cpu::SoftmaxVariant::Online, x.data(), y.data(), rows, cols);
  cpu::log_softmax_forward(x.data(), ly.data(), rows, cols);
  cpu::cross_entropy_forward(x.data(), t.data(), losses.data(), rows, cols);
  cpu::cross_entropy_backward(x.data(), t.data(), ones.data(), g.data(), rows, cols);
  double worst = 0;
  for (index_t i = 0; i < rows; ++i) {
    const float* xi = x.data() + i * cols;
    double m = xi[0];
    for (index_t j = 1; j < cols; ++j) m = xi[j] > m ? xi[j] : m;
    double s = 0;
    for (index_t j = 0; j < cols; ++j) s += std::exp(xi[j] - m);
    const double lse = m + std::log(s);
    for (index_t j = 0; j < cols; ++j) {
      const double p = std::exp(xi[j] - lse);
      const size_t at = size_t(i * cols + j);
      worst = std::fmax(worst, std::fabs(y[at] - p));
      worst = std::fmax(worst, std::fabs(ly[at] - (xi[j] - lse)) / (1.0 + std::fabs(xi[j] - lse)));
      worst = std::fmax(worst, std::fabs(g[at] - (p - (j == t[size_t(i)] ? 1.0 : 0.0))));
    }
    worst = std::fmax(worst, std::fabs(losses[size_t(i)] - (lse - xi[t[size_t(i)]])) / (1.0 + lse));
  }
  check(worst < 1e-5, "softmax / log_softmax / cross-entropy", rows, cols, 0);
}

int main() {
  for (index_t M : {1, 3, 8, 33})
    for (index_t N : {1, 10, 17, 64})
      for (index_t K : {0, 1, 31, 300})
        for (int t = 0; t < 4; ++t) check_matmul(M, N, K, t & 1, t & 2);
  for (index_t rows : {1, 5, 64})
    for (index_t cols : {1, 7, 10, 33, 3000}) check_softmax_family(rows, cols);
  std::vector<float> x = {-1.0f, 0.0f, 2.5f, -0.0f, NAN}, y(x.size());
  cpu::relu_forward(x.data(), y.data(), index_t(x.size()));
  check(y[0] == 0.0f && y[1] == 0.0f && y[2] == 2.5f && std::isnan(y[4]), "relu", 0, 0, 0);
  std::printf("%s: %d failure(s), SIMD path %s, OpenMP %s\n", failures ? "FAIL" : "ok", failures,
              pyneuro::simd_path(), pyneuro::openmp_enabled() ? "on" : "off");
  return failures ? 1 : 0;
}

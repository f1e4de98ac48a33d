// emu_check.cpp: runs pyneuro's CUDA launch code and kernels on the CPU emulator
// (cuda_runtime_api.h in this folder) and checks every result against a plain C++
// reference. Built and run by tests/test_cuda_emulated.py; prints one line per failure
// and exits non-zero if any check failed.
//
// What it can catch without a GPU: wrong indexing, missing bounds checks (results are
// compared element by element; buffers are padded with canaries that must survive),
// wrong launch configurations, float4 paths taken on misaligned data (the emulator's
// float4 is a 16-byte aligned struct and misaligned access is checked explicitly),
// missing __syncthreads (a wrong result) and divergent ones or shuffles (a failed launch).
// What it cannot: timing, real memory-model races, warp-synchronous assumptions.
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "launch.h"

namespace pc = pyneuro::cuda;

static int failures = 0;
static bool quick = false;  // --quick: fewer matmul shapes
static std::mt19937 rng(1234);

static void fail(const std::string& what) {
  if (failures++ < 40) std::printf("FAIL %s\n", what.c_str());
}

// A float buffer with canaries before and after the data, at a chosen misalignment.
struct Buf {
  std::vector<float> storage;
  size_t off, n;
  Buf(size_t n_, size_t misalign_floats = 0)
      : storage(n_ + 64 + misalign_floats, 12345.0f), off(32 + misalign_floats), n(n_) {}
  float* p() { return storage.data() + off; }
  float& operator[](size_t i) { return storage[off + i]; }
  void randn(float scale = 1.0f) {
    std::normal_distribution<float> d(0.0f, scale);
    for (size_t i = 0; i < n; ++i) (*this)[i] = d(rng);
  }
  bool canaries_ok() const {
    for (size_t i = 0; i < off; ++i)
      if (storage[i] != 12345.0f) return false;
    for (size_t i = off + n; i < storage.size(); ++i)
      if (storage[i] != 12345.0f) return false;
    return true;
  }
};

static bool close(double got, double want, double rtol, double atol) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  return std::fabs(got - want) <= atol + rtol * std::fabs(want);
}

static void check_vec(const std::string& what, Buf& got, const std::vector<double>& want, double rtol,
                      double atol) {
  if (!got.canaries_ok()) fail(what + ": wrote outside its output");
  int bad = 0;
  for (size_t i = 0; i < want.size(); ++i)
    if (!close(got[i], want[i], rtol, atol)) {
      if (bad++ == 0)
        fail(what + ": element " + std::to_string(i) + " got " + std::to_string(got[i]) + " want " +
             std::to_string(want[i]));
    }
}

// ------------------------------------------------------------------ matmul
static void test_matmul() {
  const int shapes[][3] = {{1, 1, 1}, {3, 5, 7},      {33, 129, 9}, {130, 4, 12},
                           {8, 8, 0}, {129, 131, 20}, {16, 260, 16}};
  const char* names[] = {"naive", "tiled", "regblock", "vectorized"};
  const pc::MatmulVariant vs[] = {pc::MatmulVariant::naive, pc::MatmulVariant::tiled,
                                  pc::MatmulVariant::regblock, pc::MatmulVariant::vectorized};
  const size_t n_shapes = quick ? 5 : sizeof(shapes) / sizeof(shapes[0]);
  for (size_t si = 0; si < n_shapes; ++si)
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (size_t mis = 0; mis < 2; ++mis) {
          const int64_t M = shapes[si][0], N = shapes[si][1], K = shapes[si][2];
          Buf A(M * K, mis), B(K * N, mis);
          A.randn();
          B.randn();
          const int64_t lda = ta ? M : K, ldb = tb ? K : N;
          std::vector<double> want(M * N, 0.0);
          for (int64_t i = 0; i < M; ++i)
            for (int64_t j = 0; j < N; ++j) {
              double acc = 0;
              for (int64_t k = 0; k < K; ++k)
                acc += double(ta ? A[k * lda + i] : A[i * lda + k]) *
                       double(tb ? B[j * ldb + k] : B[k * ldb + j]);
              want[i * N + j] = acc;
            }
          for (int v = 0; v < 4; ++v) {
            Buf C(M * N);
            pc::matmul(vs[v], M, N, K, A.p(), lda, B.p(), ldb, C.p(), N, ta, tb);
            check_vec(std::string("matmul ") + names[v] + " " + std::to_string(M) + "x" + std::to_string(N) +
                          "x" + std::to_string(K) + " ta=" + std::to_string(ta) +
                          " tb=" + std::to_string(tb) + " misaligned=" + std::to_string(mis),
                      C, want, 1e-5, 1e-5);
            if (!A.canaries_ok() || !B.canaries_ok()) fail("matmul wrote into its inputs");
          }
        }
}

// ------------------------------------------------------------------ rows
static std::vector<double> ref_softmax(const std::vector<float>& x, int64_t r, int64_t c, bool log) {
  std::vector<double> y(r * c);
  for (int64_t i = 0; i < r; ++i) {
    double m = -INFINITY;
    bool nan = false;
    for (int64_t j = 0; j < c; ++j) {
      nan |= std::isnan(x[i * c + j]);
      m = std::max(m, double(x[i * c + j]));
    }
    if (nan) m = NAN;
    double s = 0;
    for (int64_t j = 0; j < c; ++j) s += std::exp(double(x[i * c + j]) - m);
    for (int64_t j = 0; j < c; ++j) {
      const double sh = double(x[i * c + j]) - m;
      y[i * c + j] = log ? sh - std::log(s) : std::exp(sh) / s;
    }
  }
  return y;
}

static void test_rows() {
  const int64_t shapes[][2] = {{1, 1}, {9, 3}, {5, 36}, {3, 1030}, {2, 4096}, {17, 32}, {4, 3}};
  for (auto& s : shapes) {
    const int64_t r = s[0], c = s[1];
    const std::string tag = std::to_string(r) + "x" + std::to_string(c);
    Buf x(r * c), g(r * c);
    x.randn(3.0f);
    g.randn();
    if (r == 4 && c == 3) {  // the NaN / inf rows of the conformance suite
      const float inf = INFINITY, nan = NAN;
      const float v[12] = {0, nan, 1, inf, 0, 1, -inf, 0, 1, -inf, -inf, -inf};
      for (int i = 0; i < 12; ++i) x[i] = v[i];
    }
    std::vector<float> xv(x.p(), x.p() + r * c), gv(g.p(), g.p() + r * c);
    const auto sm = ref_softmax(xv, r, c, false), lsm = ref_softmax(xv, r, c, true);
    for (int blk = 0; blk < 2; ++blk) {
      Buf y(r * c);
      pc::softmax(blk, r, c, x.p(), y.p());
      check_vec("softmax " + std::string(blk ? "block " : "warp ") + tag, y, sm, 1e-5, 1e-7);
    }
    Buf ly(r * c);
    pc::log_softmax(r, c, x.p(), ly.p());
    check_vec("log_softmax " + tag, ly, lsm, 1e-5, 1e-5);
    // backward passes from the float32 forward outputs
    Buf y(r * c), dx(r * c), dlx(r * c);
    for (int64_t i = 0; i < r * c; ++i) {
      y[i] = float(sm[i]);
      ly[i] = float(lsm[i]);
    }
    pc::softmax_backward(false, r, c, g.p(), y.p(), dx.p());
    pc::softmax_backward(true, r, c, g.p(), ly.p(), dlx.p());
    std::vector<double> w1(r * c), w2(r * c);
    for (int64_t i = 0; i < r; ++i) {
      double dot = 0, sg = 0;
      for (int64_t j = 0; j < c; ++j) {
        dot += double(g[i * c + j]) * y[i * c + j];
        sg += g[i * c + j];
      }
      for (int64_t j = 0; j < c; ++j) {
        w1[i * c + j] = y[i * c + j] * (g[i * c + j] - dot);
        w2[i * c + j] = g[i * c + j] - std::exp(double(ly[i * c + j])) * sg;
      }
    }
    check_vec("softmax_backward " + tag, dx, w1, 1e-4, 1e-5);
    check_vec("log_softmax_backward " + tag, dlx, w2, 1e-4, 1e-4);
    // cross-entropy and argmax
    std::vector<int64_t> t(r);
    for (int64_t i = 0; i < r; ++i) t[i] = int64_t(rng() % c);
    Buf gl(r), loss(r), dce(r * c);
    gl.randn();
    pc::cross_entropy_forward(r, c, x.p(), t.data(), loss.p());
    pc::cross_entropy_backward(r, c, x.p(), t.data(), gl.p(), dce.p());
    std::vector<double> wl(r), wd(r * c);
    for (int64_t i = 0; i < r; ++i) {
      wl[i] = -lsm[i * c + t[i]];
      for (int64_t j = 0; j < c; ++j) wd[i * c + j] = (sm[i * c + j] - (j == t[i])) * gl[i];
    }
    check_vec("cross_entropy_forward " + tag, loss, wl, 1e-5, 1e-5);
    check_vec("cross_entropy_backward " + tag, dce, wd, 1e-5, 1e-7);
    std::vector<int64_t> am(r + 2, -7);
    pc::argmax(r, c, x.p(), am.data() + 1);
    if (am[0] != -7 || am[r + 1] != -7) fail("argmax wrote outside its output " + tag);
    for (int64_t i = 0; i < r; ++i) {
      int64_t best = 0;
      for (int64_t j = 1; j < c; ++j) {
        const float a = x[i * c + j], b = x[i * c + best];
        if (std::isnan(b)) break;
        if (std::isnan(a) || a > b) best = j;
      }
      if (am[i + 1] != best)
        fail("argmax " + tag + " row " + std::to_string(i) + " got " + std::to_string(am[i + 1]) + " want " +
             std::to_string(best));
    }
  }
}

// ------------------------------------------------------------------ elementwise, reductions, optimizers
static void test_elementwise() {
  const int64_t r = 37, c = 45, n = r * c;
  Buf x(n), g(n), b(c), y(n), dx(n), col(c), row(r), tr(n);
  x.randn();
  g.randn();
  b.randn();
  x[0] = NAN;
  x[1] = -0.0f;  // torch.relu keeps -0.0 (checked by sign below: -0.0 == 0.0 for check_vec)
  pc::relu_forward(n, x.p(), y.p());
  pc::relu_backward(n, g.p(), x.p(), dx.p());
  std::vector<double> wy(n), wdx(n), wb(n), wcol(c, 0.0), wrow(r, 0.0), wtr(n);
  for (int64_t i = 0; i < n; ++i) {
    wy[i] = std::isnan(x[i]) ? NAN : std::max(0.0f, x[i]);
    wdx[i] = x[i] <= 0 ? 0.0 : g[i];
    wb[i] = double(g[i]) + b[i % c];
    wcol[i % c] += g[i];
    wrow[i / c] += g[i];
    wtr[(i % c) * r + i / c] = g[i];
  }
  check_vec("relu_forward", y, wy, 0, 0);
  if (!std::signbit(y[1])) fail("relu_forward(-0.0) is +0.0, torch's is -0.0");
  check_vec("relu_backward", dx, wdx, 0, 0);
  Buf yb(n);
  pc::bias_add(r, c, g.p(), b.p(), yb.p());
  check_vec("bias_add", yb, wb, 1e-6, 1e-6);
  pc::column_sum(r, c, g.p(), col.p());
  check_vec("column_sum", col, wcol, 1e-5, 1e-5);
  pc::row_sum(r, c, g.p(), row.p());
  check_vec("row_sum", row, wrow, 1e-5, 1e-5);
  pc::transpose(r, c, g.p(), tr.p());
  check_vec("transpose", tr, wtr, 0, 0);
  Buf total(1);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += g[i];
  pc::sum_all(n, g.p(), total.p());
  check_vec("sum_all", total, {sum}, 1e-5, 1e-4);
  // binary op modes: full, row (i % cols), column (i / cols), immediate, one element
  Buf out(n), colv(r);
  colv.randn();
  const int modes[][2] = {{0, 0}, {0, 1}, {2, 0}, {3, 0}, {0, 4}, {2, 1}};
  for (int op = 0; op < 6; ++op)
    for (auto& md : modes) {
      auto pick = [&](int mode, Buf& full, int64_t i) -> double {
        switch (mode) {
          case 0:
            return full[i];
          case 1:
            return b[i % c];
          case 2:
            return colv[i / c];
          case 3:
            return 0.5;
          default:
            return b[0];
        }
      };
      float* pa = md[0] == 0   ? x.p()
                  : md[0] == 1 ? b.p()
                  : md[0] == 2 ? colv.p()
                  : md[0] == 4 ? b.p()
                               : nullptr;
      float* pb = md[1] == 0   ? g.p()
                  : md[1] == 1 ? b.p()
                  : md[1] == 2 ? colv.p()
                  : md[1] == 4 ? b.p()
                               : nullptr;
      pc::binary(n, op, pa, md[0], 0.5f, pb, md[1], 0.5f, c, out.p());
      std::vector<double> want(n);
      for (int64_t i = 0; i < n; ++i) {
        const double u = float(pick(md[0], x, i)), v = float(pick(md[1], g, i));
        want[i] = op == 0   ? u + v
                  : op == 1 ? u - v
                  : op == 2 ? u * v
                  : op == 3 ? u / v
                  : op == 4 ? (std::isnan(u) || u > v ? u : v)
                            : (std::isnan(u) || u < v ? u : v);
      }
      check_vec(
          "binary op " + std::to_string(op) + " modes " + std::to_string(md[0]) + "," + std::to_string(md[1]),
          out, want, 1e-6, 1e-6);
    }
  // optimizers: three SGD (nesterov, weight decay) and Adam steps against double references
  Buf p(n), buf(n), m(n), v(n), p2(n);
  p.randn();
  for (int64_t i = 0; i < n; ++i) {
    buf[i] = 0;
    m[i] = 0;
    v[i] = 0;
    p2[i] = p[i];
  }
  std::vector<double> rp(p.p(), p.p() + n), rbuf(n, 0.0), rp2(rp), rm(n, 0.0), rv(n, 0.0);
  for (int step = 1; step <= 3; ++step) {
    pc::sgd_step(n, p.p(), g.p(), buf.p(), 0.1f, 0.9f, 0.1f, 0.01f, true, step == 1);
    pc::adam_step(n, p2.p(), g.p(), m.p(), v.p(), step, 1e-2, 0.9, 0.999, 1e-8, 0.01);
    for (int64_t i = 0; i < n; ++i) {
      double gg = g[i] + 0.01 * rp[i];
      rbuf[i] = step == 1 ? gg : 0.9 * rbuf[i] + 0.9 * gg;
      rp[i] -= 0.1 * (gg + 0.9 * rbuf[i]);
      double ga = g[i] + 0.01 * rp2[i];
      rm[i] = 0.9 * rm[i] + 0.1 * ga;
      rv[i] = 0.999 * rv[i] + 0.001 * ga * ga;
      rp2[i] -= 1e-2 / (1 - std::pow(0.9, step)) * rm[i] /
                (std::sqrt(rv[i]) / std::sqrt(1 - std::pow(0.999, step)) + 1e-8);
    }
  }
  check_vec("sgd_step", p, rp, 1e-5, 1e-6);
  check_vec("adam_step", p2, rp2, 1e-5, 1e-6);
  // int64 min/max (target range check) and casts
  std::vector<int64_t> t(3001);
  for (size_t i = 0; i < t.size(); ++i) t[i] = int64_t(rng() % 1000) - 3;
  t[1777] = 5000;
  int64_t lo = 0, hi = 0;
  pc::int64_minmax(int64_t(t.size()), t.data(), &lo, &hi);
  int64_t wlo = t[0], whi = t[0];
  for (auto e : t) {
    wlo = std::min(wlo, e);
    whi = std::max(whi, e);
  }
  if (lo != wlo || hi != whi) fail("int64_minmax");
  std::vector<int64_t> ti(n);
  Buf back(n);
  pc::cast(n, 0, g.p(), 1, ti.data());
  pc::cast(n, 1, ti.data(), 0, back.p());
  std::vector<double> wback(n);
  for (int64_t i = 0; i < n; ++i) wback[i] = double(int64_t(g[i]));
  check_vec("cast f32 -> i64 -> f32", back, wback, 0, 0);
}

int main(int argc, char** argv) {
  quick = argc > 1 && std::string(argv[1]) == "--quick";
  test_matmul();
  test_rows();
  test_elementwise();
  const auto st = pc::allocator_stats();
  if (st.blocks_in_use != 0)
    fail("allocator: scratch blocks still in use: " + std::to_string(st.blocks_in_use));
  std::printf("%s: %d failure(s)\n", failures ? "FAILED" : "OK", failures);
  return failures ? 1 : 0;
}

// matmul.cpp: C[M,N] = op(A) @ op(B), float32, row-major (see pyneuro/matmul.h).
// Cost: 2*M*N*K FLOPs. Placeholder ladder: plain loops, correct on every shape;
// the fast variants replace these bodies.
#include "pyneuro/matmul.h"

#include <algorithm>
#include <cstring>

namespace pyneuro::cpu {

namespace {

// Element accessors that read op(A)[i,k] and op(B)[k,j] without copying.
struct View {
  const float* p;
  index_t ld;
  bool trans;
  float at(index_t r, index_t c) const { return trans ? p[c * ld + r] : p[r * ld + c]; }
};

void matmul_naive(View a, View b, float* C, index_t M, index_t N, index_t K) {
#pragma omp parallel for num_threads(num_threads()) schedule(static)
  for (index_t i = 0; i < M; ++i) {
    float* c = C + i * N;
    std::fill(c, c + N, 0.0f);
    for (index_t k = 0; k < K; ++k) {
      const float aik = a.at(i, k);
      for (index_t j = 0; j < N; ++j) c[j] += aik * b.at(k, j);
    }
  }
}

}  // namespace

void matmul(MatmulVariant variant, const float* A, const float* B, float* C,
            index_t M, index_t N, index_t K, bool trans_a, bool trans_b) {
  if (M == 0 || N == 0) return;
  View a{A, trans_a ? M : K, trans_a};
  View b{B, trans_b ? K : N, trans_b};
  (void)variant;
  matmul_naive(a, b, C, M, N, K);
}

}  // namespace pyneuro::cpu

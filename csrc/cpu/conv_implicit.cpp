// conv_implicit.cpp -- convolution ladder rung 3 (the default): im2col in L2-sized column tiles,
// built just before the GEMM uses them, with whole images split across threads.
//
// Same products as rung 2 (conv_im2col.cpp), 2*N*O*Cg*kH*kW*Ho*Wo FLOPs each, but:
//
// 1. Tiles, not the whole unfolded image. For output positions [p0, p0 + pt) only a K x pt
//    slice of the im2col matrix is built (pt chosen so it is <= 512 KB, it stays in this core's
//    L2), and the packed GEMM consumes it at once. The full K x P buffer (650 KB per image for
//    the MNIST net's second layer, kH*kW times the input) is never written to memory and read
//    back: the unfold's stores and the GEMM's loads both hit L2.
// 2. A 1x1 kernel with stride 1 and no padding needs no unfold at all: the input plane *is*
//    the im2col matrix (K = Cg rows of P floats); the GEMM reads it in place (ldb = P).
// 3. Threads split images, not each GEMM. A per-image GEMM is small (64 x 576 x 288 = 10.6
//    MFLOP); splitting it between threads costs a fork/join per call (one per image and group,
//    or per tile), and on a busy machine a late thread stalls all the others. Here each thread
//    runs whole images with a one-thread GEMM (the packed matmul plans for one thread inside a
//    parallel region), so there is one fork/join per call, and each thread's unfold and GEMM
//    share its own L2.
// 4. grad_w sums over images. So that the result does not depend on the thread count, images
//    go in fixed chunks of kImagesPerChunk; each chunk sums its images in order into its own
//    partial grad_w, and the partials are added in chunk order at the end (an extra
//    ceil(N/4) * O*K floats: 1.2 MB for the MNIST net's second layer at batch 64).
#include <algorithm>
#include <vector>

#include "pyneuro/conv.h"
#include "pyneuro/matmul.h"

namespace pyneuro::cpu {

namespace {

constexpr index_t kTileBytes = 512 * 1024;
constexpr index_t kImagesPerChunk = 4;

// Columns per tile: all P when the K x P slice fits kTileBytes, else a multiple of 32 (the
// packed kernel's panel width on AVX-512), at least 32.
index_t tile_width(const ConvShape& s) {
  const index_t fit = kTileBytes / (4 * std::max<index_t>(1, s.K()));
  if (fit >= s.P()) return s.P();
  return std::max<index_t>(32, fit / 32 * 32);
}

bool pointwise(const ConvShape& s) {
  return s.kH == 1 && s.kW == 1 && s.sh == 1 && s.sw == 1 && s.ph == 0 && s.pw == 0;
}

// C (M x N, ldc = N) = op(A) @ op(B) with explicit leading dimensions; one thread when called
// inside a parallel region.
void gemm(const float* A, index_t lda, bool ta, const float* B, index_t ldb, bool tb, float* C, index_t M,
          index_t N, index_t K) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    std::fill(C, C + M * N, 0.0f);
    return;
  }
  const MatmulProblem p{A, B, C, M, N, K, lda, ldb, ta, tb};
  if (!matmul_gemv(p)) matmul_packed(p);
}

float* scratch(std::vector<float>& v, index_t n) {
  if (index_t(v.size()) < n) v.resize(size_t(n));
  return v.data();
}

}  // namespace

void conv2d_forward_implicit(const ConvShape& s, const float* x, const float* w, const float* bias,
                             float* y) {
  const index_t Cg = s.Cg(), Og = s.Og(), K = s.K(), P = s.P(), pt = tile_width(s);
  parallel_for(s.N, index_t(s.flops()), [&](index_t n0, index_t n1) {
    thread_local std::vector<float> colv, outv;
    float* col = scratch(colv, K * pt);
    float* out = scratch(outv, Og * pt);
    for (index_t n = n0; n < n1; ++n) {
      for (index_t g = 0; g < s.groups; ++g) {
        const float* xg = x + (n * s.C + g * Cg) * s.H * s.W;
        float* yg = y + (n * s.O + g * Og) * P;
        for (index_t p0 = 0; p0 < P; p0 += pt) {
          const index_t np = std::min(pt, P - p0);
          const float* B = xg + p0;
          index_t ldb = P;
          if (!pointwise(s)) {
            im2col(s, xg, p0, p0 + np, col);
            B = col, ldb = np;
          }
          // One tile covering every column writes y directly; narrower ones go through `out`.
          float* C = np == P ? yg : out;
          gemm(w + g * Og * K, K, false, B, ldb, false, C, Og, np, K);
          for (index_t o = 0; o < Og; ++o) {
            const float b = bias ? bias[g * Og + o] : 0.0f;
            float* yr = yg + o * P + p0;
            const float* cr = C + o * np + (C == yg ? p0 : 0);
            for (index_t p = 0; p < np; ++p) yr[p] = cr[p] + b;
          }
        }
      }
    }
  });
}

void conv2d_backward_input_implicit(const ConvShape& s, const float* gy, const float* w, float* gx) {
  const index_t Cg = s.Cg(), Og = s.Og(), K = s.K(), P = s.P(), pt = tile_width(s);
  parallel_for(s.N, index_t(s.flops()), [&](index_t n0, index_t n1) {
    thread_local std::vector<float> colv;
    float* col = scratch(colv, K * pt);
    for (index_t n = n0; n < n1; ++n) {
      std::fill(gx + n * s.C * s.H * s.W, gx + (n + 1) * s.C * s.H * s.W, 0.0f);
      for (index_t g = 0; g < s.groups; ++g) {
        const float* gyg = gy + (n * s.O + g * Og) * P;
        float* gxg = gx + (n * s.C + g * Cg) * s.H * s.W;
        for (index_t p0 = 0; p0 < P; p0 += pt) {
          const index_t np = std::min(pt, P - p0);
          gemm(w + g * Og * K, K, true, gyg + p0, P, false, col, K, np, Og);  // col = w_g^T @ grad_y tile
          col2im_add(s, col, p0, p0 + np, gxg);
        }
      }
    }
  });
}

void conv2d_backward_weight_implicit(const ConvShape& s, const float* gy, const float* x, float* gw) {
  const index_t Cg = s.Cg(), Og = s.Og(), K = s.K(), P = s.P(), pt = tile_width(s);
  const index_t OK = s.O * K, chunks = (s.N + kImagesPerChunk - 1) / kImagesPerChunk;
  if (chunks == 0) {
    std::fill(gw, gw + OK, 0.0f);
    return;
  }
  std::vector<float> partial(size_t(chunks * OK), 0.0f);
  parallel_for(chunks, index_t(s.flops()), [&](index_t c0, index_t c1) {
    thread_local std::vector<float> colv, tmpv;
    float* col = scratch(colv, K * pt);
    float* tmp = scratch(tmpv, Og * K);
    for (index_t ch = c0; ch < c1; ++ch) {
      float* acc = partial.data() + ch * OK;
      for (index_t n = ch * kImagesPerChunk; n < std::min(s.N, (ch + 1) * kImagesPerChunk); ++n) {
        for (index_t g = 0; g < s.groups; ++g) {
          const float* xg = x + (n * s.C + g * Cg) * s.H * s.W;
          const float* gyg = gy + (n * s.O + g * Og) * P;
          float* accg = acc + g * Og * K;
          for (index_t p0 = 0; p0 < P; p0 += pt) {
            const index_t np = std::min(pt, P - p0);
            const float* B = xg + p0;
            index_t ldb = P;
            if (!pointwise(s)) {
              im2col(s, xg, p0, p0 + np, col);
              B = col, ldb = np;
            }
            gemm(gyg + p0, P, false, B, ldb, true, tmp, Og, K, np);  // grad_y tile @ col tile^T
            for (index_t e = 0; e < Og * K; ++e) accg[e] += tmp[e];
          }
        }
      }
    }
  });
  // Partials in chunk order, so the sum is the same for any thread count.
  parallel_for(OK, OK * chunks, [&](index_t e0, index_t e1) {
    for (index_t e = e0; e < e1; ++e) {
      float total = partial[size_t(e)];
      for (index_t ch = 1; ch < chunks; ++ch) total += partial[size_t(ch * OK + e)];
      gw[e] = total;
    }
  });
}

}  // namespace pyneuro::cpu

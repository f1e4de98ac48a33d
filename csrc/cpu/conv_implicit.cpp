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
// 5. grad_w with few output positions batches images into one GEMM. Per image the product
//    is Og x K with depth P; when P is tiny (P = 1: a DCGAN discriminator's 4x4 -> 1x1 head,
//    or a ConvTranspose2d from a 1x1 input, whose grad_w is this kernel with roles swapped)
//    each GEMM is an outer product that writes Og*K floats for 2*Og*K FLOPs and then is added
//    into the partial: memory-bound, N times over. With P < kSmallP the (n, p) pairs of a
//    chunk of images form one reduction axis: grad_y goes into an Og x (nb*P) buffer, the
//    im2col columns into a K x (nb*P) buffer, and one GEMM of depth nb*P writes the chunk's
//    partial directly (no per-image tmp or add). nb = ceil(kBatchDepth / P) images, at least
//    kImagesPerChunk, else at most what keeps the columns within kBatchBytes; it depends on the
//    shape only, so the result still does not depend on the thread count. Shapes with
//    P >= kSmallP keep the per-image loop above unchanged. A window covering the whole
//    unpadded input (the DCGAN head) needs no unfold: the columns are x's rows in place.
//    Measured on 2 Zen 4 cores (medians): ConvTranspose2d(100, 512, 4) from 64x100x1x1,
//    grad_w 44 -> 1.1 ms; Conv2d(512, 1, 4) on 64x512x4x4, grad_w 2.6 -> 0.07 ms (its
//    unfold of 8192 one-float runs per image was the cost, not the GEMM).
#include <algorithm>
#include <vector>

#include "pyneuro/conv.h"
#include "pyneuro/matmul.h"

namespace pyneuro::cpu {

namespace {

constexpr index_t kTileBytes = 512 * 1024;
constexpr index_t kImagesPerChunk = 4;
constexpr index_t kSmallP = 32;  // grad_w batches images below this many positions
constexpr index_t kBatchDepth = 256;  // target GEMM depth nb*P of a batched chunk
constexpr index_t kBatchBytes = 2 * 1024 * 1024;  // cap on a batched chunk's K x (nb*P) columns

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

// Columns p0 .. p0+np of one image-group's im2col matrix (K rows), as a GEMM operand: a
// pointwise convolution's columns are x_g's own rows, read in place (ld = P); any other
// convolution's are unfolded into col (ld = np). The forward and grad_w loops share it.
struct ColumnTile {
  const float* data;
  index_t ld;
};
ColumnTile column_tile(const ConvShape& s, const float* xg, index_t p0, index_t np, float* col) {
  if (pointwise(s)) return {xg + p0, s.P()};
  im2col(s, xg, p0, p0 + np, col);
  return {col, np};
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
          const ColumnTile B = column_tile(s, xg, p0, np, col);
          // One tile covering every column writes y directly; narrower ones go through `out`.
          float* C = np == P ? yg : out;
          gemm(w + g * Og * K, K, false, B.data, B.ld, false, C, Og, np, K);
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

// Images per chunk of grad_w: kImagesPerChunk, or for P < kSmallP enough images that the
// batched GEMM's depth nb*P reaches kBatchDepth, within kBatchBytes of columns (point 5).
index_t images_per_chunk(const ConvShape& s) {
  const index_t P = s.P();
  if (P >= kSmallP) return kImagesPerChunk;
  const index_t want = (kBatchDepth + P - 1) / P;
  const index_t fit = kBatchBytes / (4 * P * std::max<index_t>(1, s.K()));
  return std::max(kImagesPerChunk, std::min(want, fit));
}

// One chunk's grad_w for P < kSmallP: acc (O x K) = sum over its images n and positions p of
// grad_y[n, :, p] (outer) col_n[:, p], as one GEMM per group of depth nb*P (point 5).
void backward_weight_batched(const ConvShape& s, const float* gy, const float* x, index_t n0, index_t n1,
                             float* acc) {
  const index_t Cg = s.Cg(), Og = s.Og(), K = s.K(), P = s.P(), D = (n1 - n0) * P;
  thread_local std::vector<float> av, bv, colv;
  float* A = scratch(av, Og * D);
  float* B = scratch(bv, K * D);
  float* col = scratch(colv, K * P);
  // A window covering the whole unpadded input (Ho = Wo = 1): each image's column *is* its input
  // plane, so the chunk's columns are x's rows as they lie (ldb = C*H*W) and need no unfold.
  const bool whole = P == 1 && s.kH == s.H && s.kW == s.W && s.ph == 0 && s.pw == 0 && s.dh == 1 && s.dw == 1;
  for (index_t g = 0; g < s.groups; ++g) {
    if (whole) {
      for (index_t n = n0; n < n1; ++n)
        for (index_t o = 0; o < Og; ++o) A[o * D + n - n0] = gy[n * s.O + g * Og + o];
      gemm(A, D, false, x + (n0 * s.C + g * Cg) * s.H * s.W, s.C * s.H * s.W, false, acc + g * Og * K, Og, K,
           D);
      continue;
    }
    for (index_t n = n0; n < n1; ++n) {
      const index_t c0 = (n - n0) * P;
      const float* gyg = gy + (n * s.O + g * Og) * P;
      for (index_t o = 0; o < Og; ++o) std::copy(gyg + o * P, gyg + (o + 1) * P, A + o * D + c0);
      im2col(s, x + (n * s.C + g * Cg) * s.H * s.W, 0, P, col);
      for (index_t k = 0; k < K; ++k) std::copy(col + k * P, col + (k + 1) * P, B + k * D + c0);
    }
    gemm(A, D, false, B, D, true, acc + g * Og * K, Og, K, D);  // grad_y chunk @ columns^T
  }
}

void conv2d_backward_weight_implicit(const ConvShape& s, const float* gy, const float* x, float* gw) {
  const index_t Cg = s.Cg(), Og = s.Og(), K = s.K(), P = s.P(), pt = tile_width(s);
  const index_t per = images_per_chunk(s);
  const index_t OK = s.O * K, chunks = (s.N + per - 1) / per;
  if (chunks == 0) {
    std::fill(gw, gw + OK, 0.0f);
    return;
  }
  std::vector<float> partial(size_t(chunks * OK), 0.0f);
  if (P < kSmallP) {
    parallel_for(chunks, index_t(s.flops()), [&](index_t c0, index_t c1) {
      for (index_t ch = c0; ch < c1; ++ch)
        backward_weight_batched(s, gy, x, ch * per, std::min(s.N, (ch + 1) * per), partial.data() + ch * OK);
    });
  } else {
    parallel_for(chunks, index_t(s.flops()), [&](index_t c0, index_t c1) {
      thread_local std::vector<float> colv, tmpv;
      float* col = scratch(colv, K * pt);
      float* tmp = scratch(tmpv, Og * K);
      for (index_t ch = c0; ch < c1; ++ch) {
        float* acc = partial.data() + ch * OK;
        for (index_t n = ch * per; n < std::min(s.N, (ch + 1) * per); ++n) {
          for (index_t g = 0; g < s.groups; ++g) {
            const float* xg = x + (n * s.C + g * Cg) * s.H * s.W;
            const float* gyg = gy + (n * s.O + g * Og) * P;
            float* accg = acc + g * Og * K;
            for (index_t p0 = 0; p0 < P; p0 += pt) {
              const index_t np = std::min(pt, P - p0);
              const ColumnTile B = column_tile(s, xg, p0, np, col);
              gemm(gyg + p0, P, false, B.data, B.ld, true, tmp, Og, K, np);  // grad_y tile @ col tile^T
              for (index_t e = 0; e < Og * K; ++e) accg[e] += tmp[e];
            }
          }
        }
      }
    });
  }
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

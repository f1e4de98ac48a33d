// matmul_packed.cpp -- ladder step 3 (the default): packing, a SIMD register-blocked
// micro-kernel and threads, after the BLIS design (Van Zee & van de Geijn, "BLIS: A Framework
// for Rapidly Instantiating BLAS Functionality", 2015; Goto & van de Geijn, "Anatomy of
// High-Performance Matrix Multiplication", 2008). Computes C[M,N] = op(A)[M,K] @ op(B)[K,N]
// (float32, row-major); 2*M*N*K FLOPs.
//
// What changed from step 2 (matmul_blocked.cpp), and why each change is faster:
//
// 1. A register-blocked micro-kernel. Step 2 loaded and stored C[i,j] for every k. Here a
//    tile of MR x NR elements of C (8 x 32 with AVX-512: 16 zmm registers) stays in
//    registers for a whole depth block of kc values of k. Each k costs NR/16 vector loads of
//    B, MR broadcasts of A and MR*NR/16 fused multiply-adds (FMA), so the loads no longer
//    bound the speed: the FMA units do (2 x 256-bit FMA pipes per core here = 32 FLOP/cycle).
//    MR*NR/16 independent accumulators cover the 4-cycle FMA latency many times over.
// 2. SIMD with run-time dispatch: AVX-512 (16 floats per register, 32 registers, mask
//    registers for ragged edges), AVX2+FMA (8 floats, 16 registers: a 6 x 16 tile), NEON on
//    aarch64 (4 floats, 32 registers: a 6 x 16 tile) or a portable scalar kernel, chosen
//    once from cpuid (pyneuro::simd_path(); PYNEURO_SIMD=avx2
//    or scalar forces a narrower one). Each SIMD function is compiled with
//    __attribute__((target(...))), so the library's baseline stays plain x86-64.
// 3. Packing. Before the kernel runs, a kc x NR panel of op(B) is copied into a contiguous,
//    64-byte-aligned buffer in exactly the order the kernel reads it (k-major, NR floats per
//    k, zero-padded at the right edge). The kernel then streams B with aligned unit-stride
//    loads that the prefetcher follows, the panel fits L1 and its whole block sits in
//    L2/L3 with no cache-set conflicts, whatever N is. Transposed inputs are packed straight
//    from their transposed layout (a 16 x 16 in-register transpose for trans_b), so neither
//    forward nor backward passes ever copy a .T. A is packed the same way (MR floats per k)
//    whenever each A sliver meets more than two B panels. With only a few columns (the 10
//    classes of an MLP's last layer) the kernel reads A in place instead -- rows of A, or
//    the MR contiguous floats per k of a transposed A: a copy used once or twice would cost
//    as much as it saves. Likewise a row-major B is read in place when fewer than 64 rows of A
//    meet it (b_in_place_by_shape). Packing only moves values: results are the same either way.
// 4. Loop nest (BLIS): jc over NC columns -> pc over kc depth -> [pack B block] ->
//    ic over MC rows -> [pack A block] -> jr over NR -> ir over MR -> micro-kernel.
//    The packed B block (kc x NC) lives in L3/L2, one B panel (kc x NR) in L1 while all
//    MR-row slivers of the A block (MC x kc, in L2) pass under it. The last sliver under a
//    panel prefetches the next panel, a row of it per k step: the first sliver under that
//    panel then finds it in L1 instead of waiting on L2 (an in-place panel, 784 floats a
//    row, is too far apart for the hardware prefetcher). It matters where few slivers share
//    a panel: the MLP's 128x256 @ 256x784 (8 slivers per thread) 1-3% faster in paired
//    rounds, one thread at 64x1024x784 3%; 1024^3 (32 slivers) and the rest unchanged.
//    A B block that fits L1 whole (a short K) swaps jr and ir: C is then written row by
//    row, in order, which is most of the work of a K = 10 product (up to 1.4x faster).
//    kc, MC and NC come from the cache sizes the OS reports (matmul_blocking.h: size_blocks);
//    see and change them with pyneuro._cpu.matmul_tuning().
// 5. Threads. The members of a team job (team.cpp) split the rows and/or columns of C (a
//    tm x tn grid chosen by a small cost model: FMAs plus packing). Each runs the whole loop
//    nest above on its own share, packing its own B panels and A blocks, so no thread ever
//    waits for another inside the call, and the caller takes the share of a worker that has
//    not joined (on a busy machine a barrier can cost milliseconds). Nobody splits the k
//    reduction: each C element sees the same FMAs in the same order for any thread count,
//    so results are bit-identical for 1, 2 or 64 threads. Problems under ~256K multiply-adds
//    (K < 32: under 32K elements of C) run on one thread: a second costs more than it saves.
//    Every thread sets flush-to-zero (denormals cost ~100 cycles each).
// 6. Edges. N not a multiple of NR: the packed B panel is zero-padded and C is read and
//    written through AVX-512 mask registers (masked loads never touch memory past the end);
//    an edge panel of <= 16 columns (784 = 24 x 32 + 16) runs the one-vector kernel.
//    M not a multiple of MR: the kernel is instantiated for every row count 1..MR, so an
//    edge tile computes and stores exactly its rows, and reads no row of A past M.
// 7. Narrow N with a transposed A (AVX-512): grad_W = H^T @ dY of a 10-class output layer
//    would use 10 of the 16 lanes of each register. There the tile is turned around --
//    each register holds 16 rows of one column of C -- so every lane works (Avx512Narrow).
//    Few ROWS with a transposed A -- the other orientation of that gradient, dY^T @ H,
//    (10 x 256) -- is the transpose of such a product, (H^T @ dY)^T, and runs through the
//    same kernel, which then stores its column registers as rows of C: 128x10^T @ 128x256
//    took ~0.7x the time of the 8 x 32 tiles (10-13 -> 6.5-9 us, NumPy 8.3), same bits.
//
// Scratch buffers are owned by the calling thread and reused across calls (no page faults).
//
// Measured (AVX-512, OpenBLAS 'SkylakeX' the peer): Zen 4, one core ~105 GFLOP/s of its 117
// peak (blocked ~30, naive 14-22), two 175-215; Zen 5, one core 206-213 of 235 (NumPy
// 208-223), two ~390 at 2048^3 (NumPy ~400). K = 10 (dY @ W2) is bound by FMA issue.

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "pyneuro/matmul.h"
#include "pyneuro/team.h"

// The AVX-512 and AVX2 kernels need x86 and GCC/clang target attributes (PYNEURO_X86_TARGETS,
// pyneuro/common.h); everywhere else (aarch64, MSVC) only the portable Scalar kernel is built.
#if PYNEURO_X86_TARGETS
#if !defined(__clang__)
// GCC 12 warns about its own AVX-512 headers (the deliberately undefined __Y operand inside
// masked loads and shuffles, GCC bug 105593); those values are never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>
#endif
#if PYNEURO_NEON
#include <arm_neon.h>
#endif

namespace pyneuro::cpu {

namespace {

#define PYNEURO_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))
#define PYNEURO_TARGET_AVX2 __attribute__((target("avx2,fma")))

constexpr int kMaxMR = 8;
constexpr int kMaxNV = 2;
constexpr index_t kShortA = 512;  // rows of an A that is read in place (should_pack_a)

inline index_t ceil_div(index_t a, index_t b) { return (a + b - 1) / b; }
inline index_t round_up(index_t a, index_t b) { return ceil_div(a, b) * b; }

// The knobs of MatmulTuning (pyneuro/matmul.h), one atomic each so that a kernel running on
// another thread reads a whole value. The two packing flags start from the environment
// (PYNEURO_MATMUL_PACK_A / PYNEURO_MATMUL_PACK_B = 0 or 1), for experiments from the shell.
int env_flag(const char* name) {
  const char* s = std::getenv(name);
  return s && *s ? (std::atoi(s) != 0) : -1;
}
struct TuningStore {
  std::atomic<int> kc{0}, mc{0}, nc{0}, row_threads{0};
  std::atomic<int> pack_a{env_flag("PYNEURO_MATMUL_PACK_A")}, pack_b{env_flag("PYNEURO_MATMUL_PACK_B")};
  std::atomic<int> pieces{-1}, prefetch_b{-1};
  std::atomic<double> min_work{0};
};
TuningStore& tuning_store() {
  static TuningStore t;
  return t;
}

// Micro-kernel: C[0:ROWS, 0:n_valid] (+)= sum_k op(A)[i, k] * Bp[k, j] over k < kc.
// A layouts: Rows    op(A)[i, k] = a[i * a_stride + k]   (A in place, row-major)
//            KMajor  op(A)[i, k] = a[k * a_stride + i]   (packed panel: a_stride = MR;
//                                                         transposed A in place: lda)
// B: Bp[k, j] = b[k * b_stride + j] for the NR = NV * vector width columns of the tile: a
// packed panel (b_stride = NR) or, for a full panel of a row-major B, B in place (ldb).
// accumulate = false on the first depth block (C = sum), true after (C = C + sum).
// b_next (or null): the next B panel, rows b_next_stride floats apart; the kernel prefetches
// its row k into L1 at step k (AVX-512 only; the other kernels ignore it).
using MicroKernel = void (*)(index_t kc, const float* a, index_t a_stride, const float* b, index_t b_stride,
                             float* c, index_t ldc, int n_valid, bool accumulate, const float* b_next,
                             index_t b_next_stride);
enum ALayout : int { kRows = 0, kKMajor = 1 };

// Packs op(B)[pc:pc+kc, j0:j0+n_valid] into a kc x nr panel, zero-padded to nr columns.
using PackB = void (*)(const MatmulProblem& p, index_t pc, index_t kc, index_t j0, int n_valid, int nr,
                       float* dst);
// Packs op(A)[i0:i0+rows, pc:pc+kc] into ceil(rows/MR) k-major panels of kc x MR floats.
using PackA = void (*)(const MatmulProblem& p, index_t i0, index_t rows, index_t pc, index_t kc, float* dst);

// Narrow kernel (see Avx512Narrow): C[0:rows, 0:n] (+)= A^T-in-place (lda) x packed B.
using NarrowKernel = void (*)(index_t kc, const float* a, index_t lda, const float* b, float* c, index_t ldc,
                              int rows, bool accumulate);

// Which shapes get the deep depth block kc_deep (size_blocks, matmul_blocking.h): none (Intel), those whose C is
// larger than L2 (other AMD and unknown CPUs), or all (Zen 4).
enum DepthRule : int { kL1Blocks = 0, kDeepOverL2 = 1, kDeepEverywhere = 2 };

// Everything the driver needs to know about one instruction set.
struct Isa {
  int mr;  // rows of the C tile
  int vl;  // floats per vector register
  int nv_max;  // vectors per row of the C tile (NR = nv * vl)
  index_t kc_max, mc_max, nc_max;
  index_t kc_in_place_max, kc_deep_max;  // kc for panels read in place / a deep block (size_blocks)
  int depth_rule;  // which shapes take kc_deep (DepthRule)
  index_t l1_floats, l2_floats;  // a B block within L1 is walked row by row (gemm_share)
  MicroKernel kernel[kMaxNV][2][kMaxMR];  // [nv - 1][ALayout][rows - 1]
  PackB pack_b;
  PackA pack_a;
  NarrowKernel narrow[16] = {};  // [n - 1]; AVX-512 only, else null
  NarrowKernel narrow_columns_out[16] = {};  // the same, storing the transposed result
};

// Fills Isa::kernel with Impl::run<ROWS, NV, LAYOUT> for every ROWS, NV and layout.
template <class Impl, int NV, int L, int... R>
void fill_kernels(Isa& isa, std::integer_sequence<int, R...>) {
  ((isa.kernel[NV - 1][L][R] = &Impl::template run<R + 1, NV, L == kKMajor>), ...);
}

// The micro-kernels, one struct per instruction set (AVX-512, AVX2, NEON, scalar).
#include "matmul_microkernels.h"

template <class Impl, int MR, int VL, int NV_MAX>
Isa make_isa(PackB pb, PackA pa) {
  Isa isa{};
  isa.mr = MR;
  isa.vl = VL;
  isa.nv_max = NV_MAX;
  fill_kernels<Impl, 1, kRows>(isa, std::make_integer_sequence<int, MR>{});
  fill_kernels<Impl, 1, kKMajor>(isa, std::make_integer_sequence<int, MR>{});
  if constexpr (NV_MAX >= 2) {
    fill_kernels<Impl, 2, kRows>(isa, std::make_integer_sequence<int, MR>{});
    fill_kernels<Impl, 2, kKMajor>(isa, std::make_integer_sequence<int, MR>{});
  }
  isa.pack_b = pb;
  isa.pack_a = pa;
  return isa;
}

#if PYNEURO_X86_TARGETS
template <int... N>
void fill_narrow(Isa& isa, std::integer_sequence<int, N...>) {
  ((isa.narrow[N] = &Avx512Narrow::run<N + 1, false>), ...);
  ((isa.narrow_columns_out[N] = &Avx512Narrow::run<N + 1, true>), ...);
}
#endif

// The blocking rules: block sizes, packing choices, depth blocks, thread grid.
#include "matmul_blocking.h"

// The kernels of the SIMD path chosen from cpuid (simd_path()).
Isa kernels_for_this_cpu() {
#if PYNEURO_X86_TARGETS
  const char* path = simd_path();
  if (std::strcmp(path, "avx512") == 0) {
    Isa isa = make_isa<Avx512, 8, 16, 2>(&Avx512::pack_b, &Avx512::pack_a);
    fill_narrow(isa, std::make_integer_sequence<int, 16>{});
    return isa;
  }
  if (std::strcmp(path, "avx2") == 0) return make_isa<Avx2, 6, 8, 2>(&pack_b_generic, &pack_a_generic<6>);
#endif
#if PYNEURO_NEON
  if (std::strcmp(simd_path(), "neon") == 0)
    return make_isa<Neon, 6, 8, 2>(&pack_b_generic, &pack_a_generic<6>);
#endif
  return make_isa<Scalar, 4, 8, 1>(&pack_b_generic, &pack_a_generic<4>);
}

const Isa& isa_for_this_cpu() {
  static const Isa isa = [] {
    Isa i = kernels_for_this_cpu();
    size_blocks(i);
    return i;
  }();
  return isa;
}

// 64-byte-aligned scratch that grows on demand and is kept for the next call.
class Scratch {
 public:
  ~Scratch() { aligned_free(ptr_); }
  float* get(size_t floats) {
    if (floats > cap_) {
      aligned_free(ptr_);
      ptr_ = nullptr;
      cap_ = 0;
      ptr_ = static_cast<float*>(aligned_malloc(floats * sizeof(float)));
      if (!ptr_) throw std::bad_alloc();
      cap_ = floats;
    }
    return ptr_;
  }

 private:
  float* ptr_ = nullptr;
  size_t cap_ = 0;
};

// One thread's share of the work, C[m0:m1, n0:n1], with the full BLIS loop nest and its own
// packed buffers (bbuf: kc x nc of B; abuf: mc x kc of A when A is packed). Sequential.
void gemm_share(const Isa& isa, const Blocking& bl, const MatmulProblem& p, index_t m0, index_t m1,
                index_t n0, index_t n1, float* bbuf, float* abuf) {
  const index_t N = p.N, MR = bl.mr, NR = bl.nr;
  // Row blocks of equal size (at most mc): no short last block that would stream the whole
  // B block from L2 for a few rows.
  const index_t mc = round_up(ceil_div(m1 - m0, ceil_div(m1 - m0, bl.mc)), MR);
  for (index_t jc = n0; jc < n1; jc += bl.nc) {  // column block: nc columns
    const index_t ncb = std::min(bl.nc, n1 - jc);
    const index_t panels = ceil_div(ncb, NR);
    for (index_t pc = 0; pc < p.K; pc += bl.kc) {  // depth block: kc values of k
      const index_t kcb = std::min(bl.kc, p.K - pc);
      const bool accumulate = pc > 0;
      const bool last_depth = pc + kcb >= p.K;  // C tiles are final after this block
      // Pack the B block: a row-major B 8 rows at a time across all panels (a stream for the
      // prefetcher; by panel 1024^3 was 5% slower on Zen 5). A share of one row block packs each
      // panel just before its slivers, into one L1-sized buffer: the whole block (fc1 grad_W: 400 KiB)
      // evicts L2 (model 167, alternating: 256x784x128 0.95x, 128x784x256 0.93-1.0x, epoch 3.7%).
      const bool by_panel = !bl.b_in_place && m1 - m0 <= mc && kcb * panels * NR > isa.l1_floats;
      const index_t rows_per_pass = p.trans_b ? kcb : 8;
      for (index_t k0 = 0; k0 < kcb && !by_panel; k0 += rows_per_pass)
        for (index_t q = 0; q < panels; ++q) {
          const int n_valid = int(std::min(NR, ncb - q * NR));
          if (bl.b_in_place && n_valid == NR) continue;  // (read in place below)
          isa.pack_b(p, pc + k0, std::min(rows_per_pass, kcb - k0), jc + q * NR, n_valid, int(NR),
                     bbuf + q * kcb * NR + k0 * NR);
        }
      for (index_t ic = m0; ic < m1; ic += mc) {  // row block: mc rows
        const index_t mcb = std::min(mc, m1 - ic);
        if (bl.pack_a) isa.pack_a(p, ic, mcb, pc, kcb, abuf);
        // C tile (sliver ir, panel q): the micro-kernel over this depth block.
        auto tile = [&](index_t q, index_t ir, bool prefetch_next) PYNEURO_ALWAYS_INLINE {
          const int n_valid = int(std::min(NR, ncb - q * NR));
          const bool in_place = bl.b_in_place && n_valid == NR;
          const float* bp = in_place ? p.B + pc * p.ldb + jc + q * NR : bbuf + (by_panel ? 0 : q * kcb * NR);
          const index_t bs = in_place ? p.ldb : NR;
          float* c = p.C + ic * N + jc + q * NR;
          const int rows = int(std::min(MR, mcb - ir));
          const float* a;
          index_t as;
          if (bl.pack_a) {
            a = abuf + ir * kcb;  // panel ir / MR: kcb x MR floats
            as = MR;
          } else if (p.trans_a) {
            a = p.A + pc * p.lda + ic + ir;  // A^T in place: MR contiguous floats per k
            as = p.lda;
          } else {
            a = p.A + (ic + ir) * p.lda + pc;  // rows of A in place
            as = p.lda;
          }
          // The last sliver under this panel pulls the next panel into L1 as it goes.
          const float* next = nullptr;
          index_t next_stride = 0;
          if (prefetch_next && ir + MR >= mcb && q + 1 < panels) {
            const bool next_in_place = bl.b_in_place && std::min(NR, ncb - (q + 1) * NR) == NR;
            next = next_in_place ? p.B + pc * p.ldb + jc + (q + 1) * NR : bbuf + (q + 1) * kcb * NR;
            next_stride = next_in_place ? p.ldb : NR;
          }
          // Edge panel of <= one vector of columns: half the FMAs (N = 784: 1-2.5% faster).
          const MicroKernel* kernels = n_valid * bl.nv <= bl.nr ? bl.edge_kernels : bl.kernels;
          kernels[rows - 1](kcb, a, as, bp, bs, c + ir * N, N, n_valid, accumulate, next, next_stride);
          if (last_depth && p.epilogue.any()) {  // (the tile is final, and still in L1)
            const MatmulEpilogue& e = p.epilogue;
            const index_t at = (ic + ir) * N + jc + q * NR;
            matmul_epilogue_tile(c + ir * N, N, rows, n_valid, e.bias ? e.bias + jc + q * NR : nullptr,
                                 e.relu, e.relu_mask ? e.relu_mask + at : nullptr);
          }
        };
        if (kcb * panels * NR <= isa.l1_floats) {
          // A B block that fits L1 whole (a short K): C, which such a product mostly writes,
          // is written row by row, not a 128-byte strip of every row per panel. Model 167:
          // 128x10 @ 10x256 8.2 -> 7.4 us, 1024x10x784 185 -> 165, 512x10x1024 160 -> 113.
          for (index_t ir = 0; ir < mcb; ir += MR)
            for (index_t q = 0; q < panels; ++q) tile(q, ir, false);
        } else {
          for (index_t q = 0; q < panels; ++q) {  // one B panel (in L1) ...
            if (by_panel) isa.pack_b(p, pc, kcb, jc + q * NR, int(std::min(NR, ncb - q * NR)), int(NR), bbuf);
            for (index_t ir = 0; ir < mcb; ir += MR)
              tile(q, ir, bl.prefetch_b && !by_panel);  // ... meets every A sliver
          }
        }
      }
    }
  }
}

}  // namespace

// op(A) = A^T in place and N <= 16 (AVX-512): the narrow kernel over tiles of 16 rows.
// Threads split the row tiles; each packs the (tiny) kc x 16 block of B itself.
// With out_transposed, p is the transpose of the caller's problem and C is written as
// C^T (row j of the caller's C holds column j of p's): that is how A^T @ B with at most 16
// ROWS runs -- the weight gradient dY^T @ H of a 10-class output layer, C = (10 x 256):
// as (H^T @ dY)^T, a product with 10 columns, every lane works instead of 10 of 16 rows of
// an 8 x 32 tile in the main kernel. Same FMAs per element in the same order, so the same bits.
void matmul_narrow(const Isa& isa, const MatmulProblem& p, bool out_transposed) {
  constexpr index_t kTileRows = 16, kTileCols = 16;
  const index_t kc = depth_block(isa, p);  // as choose_blocking
  const index_t tiles = ceil_div(p.M, kTileRows);
  const int nt = int(std::min<index_t>(threads_for(p), tiles));
  const size_t per_thread = size_t(kc * kTileCols);
  thread_local Scratch scratch;
  float* const buffers = scratch.get(per_thread * size_t(nt));
  const NarrowKernel kernel = (out_transposed ? isa.narrow_columns_out : isa.narrow)[p.N - 1];
  // Row i of p's C: at C + i * N, or (transposed) column i of the caller's C, at C + i.
  const index_t ldc = out_transposed ? p.M : p.N, row_step = out_transposed ? 1 : p.N;

  parallel_chunks(nt, nt, 1, [&](index_t t0, index_t t1) {  // share t: rows, on any member
    float* const bp = buffers + per_thread * size_t(team_member());
    for (index_t t = t0; t < t1; ++t) {
      const index_t i0 = tiles * t / nt * kTileRows, i1 = std::min(p.M, tiles * (t + 1) / nt * kTileRows);
      for (index_t pc = 0; pc < p.K && i0 < i1; pc += kc) {
        const index_t kcb = std::min(kc, p.K - pc);
        isa.pack_b(p, pc, kcb, 0, int(p.N), int(kTileCols), bp);
        for (index_t i = i0; i < i1; i += kTileRows) {
          const int rows = int(std::min(kTileRows, p.M - i));
          kernel(kcb, p.A + pc * p.lda + i, p.lda, bp, p.C + i * row_step, ldc, rows, pc > 0);
        }
      }
    }
  });
}

// Pieces per thread of the work-stealing split (below). Each piece streams the operand the
// threads share (the in-place A or B) from L2 again, so pieces cost a little when both cores
// run at the same speed: the isolated MLP matmuls took 2-5% longer in pieces than in fixed
// halves on a quiet machine (2 pieces per thread: 1-3.5%), and 6-13% less while the VM was
// busy. Inside the training step, where the cores' speeds differ most, pieces won: the
// 784-256-10 step took 2-4% less (median of 100 paired rounds, twice; bench/step_ab.md).
constexpr int kPiecesPerThread = 4;

void matmul_packed(const MatmulProblem& p) {
  const Isa& isa = isa_for_this_cpu();
  // A^T @ B with at most 16 columns, or at most 16 rows as (B^T @ A)^T: the narrow kernel.
  if (isa.narrow[0] && p.trans_a && (p.N <= 16 || (!p.trans_b && p.M <= 16))) {
    if (p.N <= 16) {
      matmul_narrow(isa, p, false);
    } else {
      MatmulProblem t = p;
      t.A = p.B, t.B = p.A, t.M = p.N, t.N = p.M, t.lda = p.ldb, t.ldb = p.lda;
      matmul_narrow(isa, t, true);
    }
    matmul_epilogue(p.C, p.M, p.N, p.epilogue);  // (a weight gradient never has one)
    return;
  }
  const Blocking bl = choose_blocking(isa, p);
  const std::pair<int, int> grid = thread_grid(threads_for(p), bl, p.M, p.N, splits_rows(p));
  const int tm = grid.first, tn = grid.second;  // (plain ints: C++17 lambdas cannot capture a binding)
  const int nt = tm * tn;
  const index_t row_panels = ceil_div(p.M, bl.mr), col_panels = ceil_div(p.N, bl.nr);

  // A one-dimensional split whose shared operand is read in place -- the threads split the
  // columns and A is not packed (an MLP's forward), or they split the rows and B is read in
  // place (its weight and input gradients) -- costs nothing more in small pieces: each piece
  // packs only its own part. Then the pieces are handed out as parallel_for hands out chunks:
  // thread t works through its own share first (the rows or columns it computed last time),
  // then takes what is left of the other's. On a shared machine one core often runs 30-50%
  // slower than the other for milliseconds (measured per thread on the 2-vCPU Xeon: one
  // thread done at 170 us, the other at 260 us, on the same call), and a fixed half makes
  // everyone wait for the slow one. Where a piece would re-pack the shared operand (A packed
  // and the columns split, or B packed and the rows split: 1024^3) the fixed grid stays.
  const int forced = tuning_store().pieces.load(std::memory_order_relaxed);
  const bool by_cols = tm == 1 && tn > 1 && (forced < 0 ? !bl.pack_a : forced != 0);
  const bool by_rows = tn == 1 && tm > 1 && (forced < 0 ? bl.b_in_place : forced != 0);
  if (by_cols || by_rows) {
    const index_t units = by_cols ? col_panels : row_panels;
    // kPiecesPerThread pieces per thread; a piece is at most this many units.
    const index_t piece = ceil_div(units, std::min<index_t>(units, index_t(nt) * kPiecesPerThread));
    const index_t cols = by_cols ? piece * bl.nr : p.N;
    const size_t per_thread = round_up(index_t(scratch_floats(bl, cols)), 16);
    thread_local Scratch scratch;  // owned by the calling thread, reused by later calls
    float* const buffers = scratch.get(per_thread * size_t(nt));
    parallel_chunks(units, nt, kPiecesPerThread, [&](index_t u0, index_t u1) {
      float* const bbuf = buffers + per_thread * size_t(team_member());
      float* const abuf = bbuf + size_t(bl.kc) * size_t(std::min(bl.nc, round_up(cols, bl.nr)));
      if (by_cols)
        gemm_share(isa, bl, p, 0, p.M, u0 * bl.nr, std::min(p.N, u1 * bl.nr), bbuf, abuf);
      else
        gemm_share(isa, bl, p, u0 * bl.mr, std::min(p.M, u1 * bl.mr), 0, p.N, bbuf, abuf);
    });
    return;
  }

  // Thread t gets row panels [r0, r1) and column panels [c0, c1) of the tm x tn grid.
  const index_t share_cols = ceil_div(col_panels, tn) * bl.nr;
  const size_t per_thread = round_up(index_t(scratch_floats(bl, share_cols)), 16);
  thread_local Scratch scratch;  // owned by the calling thread, reused by later calls
  float* const buffers = scratch.get(per_thread * size_t(nt));

  // Share t of the grid on whichever member takes it (a late worker's too), in its buffers.
  parallel_chunks(nt, nt, 1, [&](index_t t0, index_t t1) {
    float* const bbuf = buffers + per_thread * size_t(team_member());
    float* const abuf = bbuf + size_t(bl.kc) * size_t(std::min(bl.nc, round_up(share_cols, bl.nr)));
    for (index_t t = t0; t < t1; ++t) {
      const index_t tr = t / tn, tc = t % tn;
      const index_t m0 = std::min(p.M, row_panels * tr / tm * bl.mr);
      const index_t m1 = std::min(p.M, row_panels * (tr + 1) / tm * bl.mr);
      const index_t n0 = std::min(p.N, col_panels * tc / tn * bl.nr);
      const index_t n1 = std::min(p.N, col_panels * (tc + 1) / tn * bl.nr);
      if (m0 < m1 && n0 < n1) gemm_share(isa, bl, p, m0, m1, n0, n1, bbuf, abuf);
    }
  });
}

MatmulTuning matmul_tuning() {
  const TuningStore& t = tuning_store();
  MatmulTuning r;
  r.kc = t.kc.load();
  r.mc = t.mc.load();
  r.nc = t.nc.load();
  r.pack_a = t.pack_a.load();
  r.pack_b = t.pack_b.load();
  r.row_threads = t.row_threads.load();
  r.pieces = t.pieces.load();
  r.prefetch_b = t.prefetch_b.load();
  r.min_work_per_thread = t.min_work.load();
  return r;
}

void set_matmul_tuning(const MatmulTuning& r) {
  TuningStore& t = tuning_store();
  t.kc = std::max(0, r.kc);
  t.mc = std::max(0, r.mc);
  t.nc = std::max(0, r.nc);
  t.pack_a = r.pack_a < 0 ? -1 : int(r.pack_a != 0);
  t.pack_b = r.pack_b < 0 ? -1 : int(r.pack_b != 0);
  t.row_threads = std::max(0, r.row_threads);
  t.pieces = r.pieces < 0 ? -1 : int(r.pieces != 0);
  t.prefetch_b = r.prefetch_b < 0 ? -1 : int(r.prefetch_b != 0);
  t.min_work = std::max(0.0, r.min_work_per_thread);
}

MatmulBlocks matmul_auto_blocks() {
  const Isa& isa = isa_for_this_cpu();
  return {int(isa.kc_max),
          int(isa.mc_max),
          int(isa.nc_max),
          isa.mr,
          isa.mr ? isa.vl * isa.nv_max : 0,
          int(isa.kc_in_place_max),
          int(isa.kc_deep_max),
          isa.depth_rule};
}

}  // namespace pyneuro::cpu

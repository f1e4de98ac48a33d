// matmul_blocking.h: how the packed matmul (matmul_packed.cpp) cuts one problem -- the block
// sizes from this CPU's caches (size_blocks), which operands it packs and which it reads in
// place, the depth blocks of the k sum (depth_block), and how many threads take which part of C
// (threads_for, thread_grid). Every rule here is a choice of speed only, except the depth
// blocks: they decide where the k sum is cut, so the bits follow the shape and the CPU, never
// the thread count. Each rule carries the measurements that set it.
//
// Not a standalone header: matmul_packed.cpp includes it inside its anonymous namespace, after
// Isa, TuningStore and the helpers they use (the same pattern as matmul_microkernels.h), so the
// driver reads as the loop nest and the rules read in one place.

// Block sizes from this CPU's cache sizes (a simplified form of the analytical model of Low
// et al., "Analytical Modeling Is Enough for High-Performance BLIS", 2016):
//   kc: the kc x NR panel of B must stay in L1d while the MR x kc slivers of A stream past
//       it, next to the C tile and the next panel coming in. A packed panel (contiguous)
//       gets two thirds of L1d (48 KiB L1d, NR = 32: kc = 256; 32 KiB: 160), a panel read
//       in place from a row-major B (should_read_b_in_place: rows 784 floats apart) half
//       of it (192; 128): at kc 256 one made 128x256 @ 256x784 23% slower (model 167 Xeon).
//       But each depth block loads and stores all of C once, and a C over L2 comes from L3
//       or memory, whose bandwidth two threads share: there AMD's cores want kc 4x (kc_deep,
//       at most 1024; the panel streams from L2, the A sliver sits in L1). Zen 5, 2 threads:
//       2048^3 53 -> 38-39 ms (NumPy 40-44), 1024^3 6.1 -> 5.3-5.5, 4096x784x256 6.1 -> 4.6.
//       Intel's lose (model 167, kc 256 / 1024, x NumPy): 2048^3 1.04-1.06 / 0.96-0.99, 1024^3
//       1.04 / 0.99, 1024x2048^T x1024 1.06 / 0.96: kc_deep = kc there.
//       Zen 4 issues one 512-bit FMA per cycle (cpu_splits_512bit_fma), so a k step of the
//       8 x 32 tile takes 16 cycles, and its 128 bytes of B (8 B/cycle) come from L2 as fast
//       as from L1: the panel need not fit L1, and every shape takes the deepest block,
//       kc_deep = 1024 (one block up to K = 1024; kDeepEverywhere). Zen 4 (family 19h model
//       17), x the automatic kc of 160 / 128, 2 threads: fc1 128x784 @ (256x784)^T 1.08,
//       32x784x256 (in place) 1.08, 32x400x784 1.06, 512^3 1.04, 1024^3 1.01, none slower
//       (one thread: 1.00-1.06); the MLP epoch 0.95x its time (6 paired epochs).
//       PYNEURO_MATMUL_DEEP_K = 0, 1 or 2 forces kL1Blocks, kDeepOverL2 or kDeepEverywhere.
//       Shape and CPU pick kc, so do the bits.
//   mc: the mc x kc block of A stays in L2 while every panel of the B block passes under
//       it. It gets an eighth of L2 (2 MiB, kc = 256: 256 rows; 1 MiB, kc = 160: 200),
//       not the model's half: the L2 also holds the B block streaming past, the C tiles and
//       the prefetcher's lines, and an SMT sibling's blocks. Model 167 Xeon, paired rounds:
//       1024^3 and 2048^3 took 5-12% less at mc = 128-384 than at the half-of-L2 1024; so
//       did AVX2 (kc = 384: mc 678 -> 168) and Zen 4's blocks (mc 1024 -> 256), 0-12%.
//       mc comes from the L1 kc even where the deep block runs (on Zen 4 an A block of
//       200 x 1024 floats, most of L2): there mc 64, 128, 200 and 256 measured the same.
//   nc: the kc x nc block of B lives in L3 (L2 without one), which the threads share: a
//       quarter of it, at most 4096 columns (nc only groups columns: results never change).
void size_blocks(Isa& isa) {
  const CacheSizes& c = cache_sizes();
  const index_t nr = index_t(isa.vl) * isa.nv_max, f = index_t(sizeof(float));
  const index_t l1 = index_t(c.l1d), l2 = index_t(c.l2), l3 = index_t(c.l3 ? c.l3 : c.l2);
  isa.kc_max = std::clamp<index_t>(l1 * 2 / 3 / (nr * f) / 16 * 16, 64, 512);
  isa.kc_in_place_max = std::clamp<index_t>(l1 / 2 / (nr * f) / 16 * 16, 64, 512);
  const char* forced = std::getenv("PYNEURO_MATMUL_DEEP_K");  // unset: by CPU
  const int by_cpu = cpu_is_intel()                            ? kL1Blocks
                     : isa.vl == 16 && cpu_splits_512bit_fma() ? kDeepEverywhere
                                                               : kDeepOverL2;
  isa.depth_rule = forced && *forced ? std::clamp(std::atoi(forced), 0, 2) : by_cpu;
  isa.kc_deep_max = isa.depth_rule == kDeepEverywhere ? 1024
                    : isa.depth_rule == kDeepOverL2   ? std::min<index_t>(4 * isa.kc_max, 1024)
                                                      : isa.kc_max;
  isa.mc_max = std::clamp<index_t>(l2 / 8 / (isa.kc_max * f) / isa.mr * isa.mr, 4 * isa.mr, 1024);
  isa.nc_max = std::clamp<index_t>(l3 / 4 / (isa.kc_max * f) / nr * nr, 4 * nr, 4096);
  isa.l1_floats = l1 / f;
  isa.l2_floats = l2 / f;
}

// Blocking of one problem, chosen from its shape alone (never from the thread count), so
// every thread count sums the k terms of each C element in the same blocks and order.
struct Blocking {
  int mr, nr, nv;
  index_t kc, mc, nc;
  bool pack_a;
  bool b_in_place;  // full B panels read in place (see should_read_b_in_place)
  bool prefetch_b;  // the last A sliver under a B panel prefetches the next one
  const MicroKernel* kernels;  // [rows - 1] for the A layout the kernel will read
  // The same with one vector per row, for an edge panel of at most one vector of columns.
  const MicroKernel* edge_kernels;
};

// Whether rows ld floats apart fall into different L1 sets: true when the stride in 64-byte
// lines shares no large power of two with the 64 sets (784 floats = 49 lines: yes; 1024
// floats = 64 lines: every row in one set). Rows not whole lines apart count as "no".
bool rows_spread_over_sets(index_t ld) {
  if (ld % 16 != 0) return false;
  return ((ld / 16) & 3) != 0;  // gcd(lines, 64) <= 2
}

// Pack A when each A sliver meets more than two B panels: the copy then pays for itself
// (contiguous, aligned broadcasts instead of MR strided streams). With few columns (the
// 10 classes of an MLP's last layer) the kernel reads A in place. So it does for a short,
// row-major A whose rows spread over the L1 sets (e.g. the 128 x 784 batch of an MLP's
// first layer): each thread would copy the whole A (its share of C is a column range) only
// to read it back a few times, and in place its MR rows are MR lines per 16 values of k,
// as cheap to read as the packed panel (fc1 128x784 @ 784x256^T alone: +8% GFLOP/s,
// median; inside a whole training step the difference is within noise, step_ab.md).
bool should_pack_a(const MatmulProblem& p, int nr) {
  const int forced = tuning_store().pack_a.load(std::memory_order_relaxed);
  if (forced >= 0) return forced != 0;
  if (!p.trans_a && p.M <= kShortA && rows_spread_over_sets(p.lda)) return false;
  return ceil_div(p.N, nr) > 2;
}

// Read full panels of a row-major B in place instead of packing them? In place, a panel row is
// NR floats at stride ldb: fine for L1 as long as consecutive rows fall in different cache sets
// (rows_spread_over_sets; a B with 1024 columns is packed), but the panel's kc rows lie on kc
// pages, more than the L1 TLB holds, and every sliver walks them again. A packed panel is one
// pass over those rows, then contiguous. With panels packed one at a time into an L1-sized
// buffer (gemm_share), packing wins from 64 rows of A on: packed / in place, model 167 Xeon,
// one process alternating (M x N x K, 2 threads): 64x784x128 0.94, 128x784x128 0.91, 256x784x128
// (fc1 grad_W) 0.95, 256x784x192 0.83, 256x400x128 0.92, 1000x784x128 0.91, 64x784x400 0.99;
// below it loses: 16x784x128 1.14, 32x784x128 1.08, 32x784x400 (a convolution's) 1.01-1.08,
// 32x400x784 1.08; one thread alike (32 rows 1.06, 64 rows 0.95). An in-place panel gets a
// shallower depth block (size_blocks), so the shape alone decides: the bits never depend on it.
constexpr index_t kRowsThatPackB = 64;
bool b_in_place_by_shape(const MatmulProblem& p) {
  return !p.trans_b && rows_spread_over_sets(p.ldb) && p.M < kRowsThatPackB;
}
bool should_read_b_in_place(const MatmulProblem& p) {
  const int forced = tuning_store().pack_b.load(std::memory_order_relaxed);
  if (forced >= 0 && !p.trans_b) return forced == 0;
  return b_in_place_by_shape(p);
}

// Equal depth blocks of at most kc values of k: the tuned kc, else the automatic one: the deep
// one for every shape on Zen 4, else for panels read in place (by the shape's default), for a
// C larger than L2, or for the rest.
index_t depth_block(const Isa& isa, const MatmulProblem& p) {
  const index_t kc = tuning_store().kc.load(std::memory_order_relaxed);
  const index_t kc_auto = isa.depth_rule == kDeepEverywhere                   ? isa.kc_deep_max
                          : b_in_place_by_shape(p)                            ? isa.kc_in_place_max
                          : double(p.M) * double(p.N) > double(isa.l2_floats) ? isa.kc_deep_max
                                                                              : isa.kc_max;
  return ceil_div(p.K, ceil_div(p.K, kc > 0 ? kc : kc_auto));
}

Blocking choose_blocking(const Isa& isa, const MatmulProblem& p) {
  Blocking b;
  b.mr = isa.mr;
  b.nv = p.N <= isa.vl ? 1 : isa.nv_max;  // narrow tiles for a few columns (e.g. 10 classes)
  b.nr = b.nv * isa.vl;
  const TuningStore& t = tuning_store();
  b.kc = depth_block(isa, p);
  const index_t mc = t.mc.load(std::memory_order_relaxed);
  b.mc = mc > 0 ? round_up(mc, b.mr) : isa.mc_max;
  const index_t nc = t.nc.load(std::memory_order_relaxed);
  b.nc = round_up(nc > 0 ? nc : isa.nc_max, b.nr);
  b.pack_a = should_pack_a(p, b.nr);
  b.b_in_place = should_read_b_in_place(p);
  const int pf = t.prefetch_b.load(std::memory_order_relaxed);
  b.prefetch_b = pf != 0;
  b.kernels = isa.kernel[b.nv - 1][b.pack_a || p.trans_a ? kKMajor : kRows];
  b.edge_kernels = isa.kernel[0][b.pack_a || p.trans_a ? kKMajor : kRows];
  return b;
}

// Scratch floats one thread needs for a share of up to `cols` columns.
size_t scratch_floats(const Blocking& b, index_t cols) {
  const size_t bpanel = size_t(b.kc) * size_t(std::min(b.nc, round_up(cols, b.nr)));
  const size_t apanel = b.pack_a ? size_t(b.kc) * size_t(round_up(b.mc, b.mr)) : 0;
  return bpanel + apanel;
}

// Splits nt threads into a tm x tn grid over the rows x columns of C. Each thread packs the
// B panels of its own columns (and the A blocks of its own rows), so threads never wait for
// one another; threads of the same column range pack the same B panels. The grid minimises
// the busiest thread's cost in cycles per k: rows x cols / 16 for its FMAs (16 lanes per
// cycle) plus ~3/4 cycle per B element of its columns and 1/4 per A element of its rows, 1/2
// if it packs them (with 1/4 for B, 128x784x256 took the row split, each thread packing all
// of B: 7% slower than columns, 64x784x256 22%). Operands read in place cost that too: every
// thread still streams its part through L2. Charged nothing, an in-place B sent 32x784x784 to
// the row split, 313 us against 165 for the columns (128x784x784 972 / 612, 64x400x784 174 /
// 151), an in-place A 512x784x128^T to the column split, 362 / 300 (256x784x64^T 95 / 81,
// 512x400x128 174 / 149); model 167 Xeon, 2 threads.
// A K under kRowSplitDepth splits the rows: such a product mostly writes C, and each thread
// then writes whole rows, not part of every row. Rows / columns, 2 threads, model 167: K = 32:
// 1000x32x64 16 / 39 us, 1000x32x256 61 / 89, 512x32x128 17 / 34, never slower (256x32x1000
// 67 / 71); K = 64 where N <= M (each thread of a row split packs all of B; of a column split,
// reads all of A): 1000x64x256 108 / 132, 128x64x128 12 / 19, 512x64x128 28 / 36, but 64x64x2000 70 / 60.
constexpr index_t kRowSplitDepth = 64;
bool splits_rows(const MatmulProblem& p) {
  return p.K < kRowSplitDepth || (p.K == kRowSplitDepth && p.N <= p.M);
}
std::pair<int, int> thread_grid(int nt, const Blocking& b, index_t M, index_t N, bool short_k) {
  const index_t row_panels = ceil_div(M, b.mr), col_panels = ceil_div(N, b.nr);
  nt = int(std::max<index_t>(1, std::min<index_t>(nt, row_panels * col_panels)));
  const int forced_tm = tuning_store().row_threads.load(std::memory_order_relaxed);
  if (forced_tm > 0 && nt % forced_tm == 0) return {forced_tm, nt / forced_tm};
  if (short_k && row_panels >= nt) return {nt, 1};
  int best_tm = 1;
  double best = -1;
  for (int tm = 1; tm <= nt; ++tm) {
    const int tn = nt / tm;
    if (nt % tm || tm > row_panels || tn > col_panels) continue;
    const double rows = double(std::min(M, ceil_div(row_panels, tm) * b.mr));
    const double cols = double(std::min(N, ceil_div(col_panels, tn) * b.nr));
    const double cost = rows * cols / 16.0 + 0.75 * cols + (b.pack_a ? 0.5 : 0.25) * rows;
    if (best < 0 || cost < best) {
      best = cost;
      best_tm = tm;
    }
  }
  if (best < 0) return {1, 1};  // e.g. a prime nt larger than both panel counts
  return {best_tm, nt / best_tm};
}

// Each thread must get at least this many multiply-adds (~1.5 us of one core's work), or
// engaging it costs more than it saves. On libgomp, whose idle workers slept during the Python
// between two kernels of a training step (a futex wake-up: 10-40 us on the 2-core VM), this
// was 512K. pyneuro's team (team.cpp) never waits for a sleeping worker and keeps idle ones
// yielding for 500 us, so a second thread pays off from ~128K again: with 30 us of Python
// between calls, model 167, 1 -> 2 threads: 80^3 7.8 -> 6.3 us, 96^3 11.6 -> 8.9, 64x100x100
// 10.8 -> 7.7, h @ W2^T (128x256x10) 8.0 -> 7.1, 32x784x32^T 12.2 -> 10.4 (64^3 4.2 -> 4.3);
// the 784-256-10 step at batch 128 0.986-0.991x its time with 512K in four in-process A/Bs.
// A K under kMinDepthForThreads (dY @ W2, 128x10 @ 10x256) mostly writes C: threads are
// counted by C elements, kMinShortOutputPerThread each, in fixed row shares (thread_grid;
// pieces took 10-20% longer). Model 167, 1 -> 2 threads: 128x10x256 6.3 -> 5.0 us, 512x10x256
// 22 -> 13, 1500x10x512 137 -> 66 (torch 89). The MLP step: the same epoch time in
// bench/e2e_torch.py (4 paired runs), 4.5% less in a phase-timed loop.
constexpr double kMinWorkPerThread = 128.0 * 1024;
constexpr index_t kMinDepthForThreads = 32;
constexpr double kMinShortOutputPerThread = 16.0 * 1024;

int threads_for(const MatmulProblem& p) {
  // Called from inside a parallel region (conv_implicit.cpp runs one GEMM per image on each
  // thread): the nested region would get one thread, so the call must plan for one.
  if (in_parallel_region()) return 1;
  const double outputs = double(p.M) * double(p.N);
  if (p.K < kMinDepthForThreads)
    return std::max(1, int(std::min<double>(num_threads(), outputs / kMinShortOutputPerThread)));
  const double work = outputs * double(p.K);
  const double tuned = tuning_store().min_work.load(std::memory_order_relaxed);
  const double per_thread = tuned > 0 ? tuned : kMinWorkPerThread;
  return std::max(1, int(std::min<double>(num_threads(), work / per_thread)));
}

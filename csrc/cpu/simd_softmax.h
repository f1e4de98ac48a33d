// simd_softmax.h: the row kernels of the softmax family, written once against simd.h's
// vector vocabulary (Vec, kWidth, vload, vstore, vload_tail, vexp, vhsum, ...).
//
// No include guard on purpose: softmax.cpp includes this file once per instruction set,
// each time inside a namespace that says `using namespace simd::<isa>` and under that
// ISA's `#pragma GCC target`, so the same source becomes a scalar, an AVX2 and an AVX-512
// kernel. Include nothing here; softmax.cpp includes the headers first.
//
// Every kernel works on rows [begin, end) of a row-major (rows, cols) matrix; the caller
// (softmax.cpp) splits the rows over threads. A row is never split, so every reduction runs
// in one fixed order and results are bit-identical for any thread count.
//
// Special values follow the NumPy reference (x - max, exp, sum, divide) exactly:
//   * the row maximum ignores NaN, but exp(NaN - max) = NaN poisons the row sum, so a row
//     holding a NaN comes out all NaN;
//   * a row holding +inf has max = +inf and inf - inf = NaN: all NaN;
//   * a row that is all -inf has max = -inf and -inf - (-inf) = NaN: all NaN (explicit);
//   * a -inf entry in an otherwise finite row gives probability 0 / log-probability -inf.

// One exp of a scalar, inlined (simd::scalar::vexp): a libm call inside a row loop would
// force the compiler to reload every vector constant of vexp after it, on every row.
inline float scalar_exp(float x) { return simd::scalar::vexp(x); }

// One natural log of a scalar, inlined for the same reason (simd::scalar::vlog, Cephes' logf),
// for the one log per row of the row kernels; zero, negative, subnormal and infinite x (never
// a row sum of a finite row) go to std::log.
inline float scalar_log(float x) {
  if (!(x >= 1.17549435e-38f && x <= 3.40282347e38f)) return std::log(x);
  return simd::scalar::vlog(x);
}

// Online softmax processes a long row in blocks of this many floats (8 KiB): the block is
// read from memory once for its maximum and then re-read from L1 for the exps.
constexpr index_t kBlock = 2048;

// Largest entry of x[0, n), ignoring NaN; -inf for an empty or all -inf (or all-NaN) row.
inline float row_max(const float* x, index_t n) {
  Vec m0 = vset1(-kInf), m1 = m0;  // two accumulators: two independent max chains
  index_t j = 0;
  for (; j + 2 * kWidth <= n; j += 2 * kWidth) {
    m0 = vmax(vload(x + j), m0);
    m1 = vmax(vload(x + j + kWidth), m1);
  }
  for (; j + kWidth <= n; j += kWidth) m0 = vmax(vload(x + j), m0);
  if (j < n) m0 = vmax(vload_tail(x + j, n - j, -kInf), m0);
  return vhmax(vmax(m1, m0));
}

// Returns sum_j exp(x[j] - shift) over [0, n); with Store, also writes each exp to out[j].
// The exp (~15 vector instructions) dominates: everything else is one load and one add.
// next (or null): the n floats read after these (the row's next block, or the next row),
// prefetched into L1 meanwhile. The exps keep the core busy for as long as memory needs to
// deliver the next block; without the prefetch the two alternate (row_max waits on memory,
// then sum_exp computes while memory idles). Measured (in-process A/B, 2-core Xeon):
// cross-entropy forward 1024x50000 15-19 -> 10-12 ms, 4096x1024 1.14-1.18 -> 0.88-1.09 ms;
// softmax and log_softmax 4096x1024 1.36-1.44 -> 1.10-1.22 ms.
template <bool Store>
inline float sum_exp(const float* x, index_t n, float shift, float* out, const float* next = nullptr) {
  const Vec s = vset1(shift);
  Vec acc0 = vset1(0.0f), acc1 = acc0;
  index_t j = 0;
  for (; j + 2 * kWidth <= n; j += 2 * kWidth) {
    if (next) simd::prefetch_l1(next + j), simd::prefetch_l1(next + j + kWidth);
    const Vec e0 = vexp(vsub(vload(x + j), s));
    const Vec e1 = vexp(vsub(vload(x + j + kWidth), s));
    if (Store) {
      vstore(out + j, e0);
      vstore(out + j + kWidth, e1);
    }
    acc0 = vadd(acc0, e0);
    acc1 = vadd(acc1, e1);
  }
  for (; j + kWidth <= n; j += kWidth) {
    const Vec e = vexp(vsub(vload(x + j), s));
    if (Store) vstore(out + j, e);
    acc0 = vadd(acc0, e);
  }
  if (j < n) {  // masked tail: inactive lanes load -inf, so they add exp(-inf) = 0
    const Vec e = vexp(vsub(vload_tail(x + j, n - j, -kInf), s));
    if (Store) vstore_tail(out + j, e, n - j);
    acc0 = vadd(acc0, e);
  }
  return vhsum(vadd(acc0, acc1));
}

// out[j] = f(a[j]) for j in [0, n); out may alias a. A masked vector does the tail.
template <class F>
inline void map1(const float* a, float* out, index_t n, F f) {
  index_t j = 0;
  for (; j + kWidth <= n; j += kWidth) vstore(out + j, f(vload(a + j)));
  if (j < n) vstore_tail(out + j, f(vload_tail(a + j, n - j, 0.0f)), n - j);
}

// map1 for an output no cache can hold: streaming stores, which write a line without reading
// it first. A masked head up to the first aligned vector of out, then aligned streams, then a
// masked tail. (The caller issues vstream_fence() once its stores are done.)
// next (or null): n floats the caller reads next (the following row), prefetched into L2
// while this pass writes. The pass only writes to memory and reads from cache, so memory's
// read side would idle; with the prefetch the next row's read overlaps these writes instead
// of following them (1024 x 50000, in-process A/B on the 2-core Xeon: softmax 19.9 -> 18.2 ms,
// log_softmax 19.6 -> 17.9 ms; reading x with the exps is what takes the rest).
template <class F>
inline void map1_stream(const float* a, float* out, index_t n, F f, const float* next = nullptr) {
  constexpr std::uintptr_t kBytes = kWidth * sizeof(float);
  index_t j = index_t((kBytes - reinterpret_cast<std::uintptr_t>(out) % kBytes) % kBytes / sizeof(float));
  if (j > n) j = n;
  if (j > 0) vstore_tail(out, f(vload_tail(a, j, 0.0f)), j);
  for (; j + kWidth <= n; j += kWidth) {
    if (next) simd::prefetch_l2(next + j);
    vstream(out + j, f(vload(a + j)));
  }
  if (j < n) vstore_tail(out + j, f(vload_tail(a + j, n - j, 0.0f)), n - j);
}

// out[j] = f(a[j], b[j]) for j in [0, n).
template <class F>
inline void map2(const float* a, const float* b, float* out, index_t n, F f) {
  index_t j = 0;
  for (; j + kWidth <= n; j += kWidth) vstore(out + j, f(vload(a + j), vload(b + j)));
  if (j < n) vstore_tail(out + j, f(vload_tail(a + j, n - j, 0.0f), vload_tail(b + j, n - j, 0.0f)), n - j);
}

inline void fill_nan(float* y, index_t n) {
  for (index_t j = 0; j < n; ++j) y[j] = kNaN;
}

// Running maximum M and sum S = sum_j exp(x[j] - M) of a whole row, in one read of x
// (Milakov & Gimelshein's online normaliser, per block): each block's maximum mb and sum
// sb = sum exp(x - mb) are computed while the block sits in L1, then folded in with
//   mb >  M:  S = S * exp(M - mb) + sb,  M = mb
//   mb <= M:  S = S + sb * exp(mb - M)
// (two scalar exps per block, nothing per element). With Store, y receives exp(x - mb) and
// block_max[k] = mb for block k, so the caller only rescales y by exp(mb - M) / S.
// A block that is all -inf uses shift 0 (its exps are exactly 0; -inf - (-inf) would be
// NaN) and adds nothing; a NaN block gives sb = NaN, which propagates into S.
struct MaxSum {
  float max;
  float sum;
};

template <bool Store>
inline MaxSum online_max_sum(const float* x, index_t cols, float* y, float* block_max,
                             const float* after = nullptr) {
  MaxSum ms{-kInf, 0.0f};
  for (index_t b = 0, k = 0; b < cols; b += kBlock, ++k) {
    const index_t n = cols - b < kBlock ? cols - b : kBlock;
    const float mb = row_max(x + b, n);
    const float* next = b + kBlock < cols ? x + b + kBlock : after;
    const float sb = sum_exp<Store>(x + b, n, mb == -kInf ? 0.0f : mb, Store ? y + b : nullptr, next);
    if (Store) block_max[k] = mb;
    if (mb > ms.max) {
      // Nothing to rescale while the sum is 0 (always so for the first block): skipping
      // the scalar exp keeps short rows free of libm calls.
      ms.sum = ms.sum == 0.0f ? sb : ms.sum * scalar_exp(ms.max - mb) + sb;
      ms.max = mb;
    } else if (sb != 0.0f) {  // skips all -inf blocks (0 * exp(-inf - -inf) would be NaN)
      ms.sum += sb * scalar_exp(mb - ms.max);
    }
  }
  return ms;
}

// ---------------------------------------------------------------------------- narrow rows
// Rows of at most kNarrow columns (the output layer of a classifier: 10 classes) are too
// short for the row kernels below: a row of 10 is one masked vector, and each row pays a
// horizontal max, a horizontal sum and a chain of dependent scalar steps (~150 cycles per
// row measured at 8192x10, for 10 exps). The narrow kernels take a group of kWidth
// consecutive rows at once, kWidth * cols contiguous floats, and keep one row per lane:
//   * the row maxima and row sums come from vreduce_each: each row is loaded as one vector
//     (its columns beyond kWidth folded in), and one reduction tree of shuffles turns the
//     kWidth row vectors into one vector with row l's result in lane l. (A gather per column
//     did the same with cols gathers; on Zen 5 a 16-lane gather costs ~20 cycles and that
//     path ran 2x slower than the tree, on Intel 1.2x.)
//   * elementwise work runs on the group's contiguous floats (cols vectors, no masks), and
//     vpermute spreads the per-row values (max, 1/sum) over the lanes of each row.
// The last, partial group (fewer than kWidth rows) runs on zero-padded copies (below).
// Special values come out as in the row kernels without a branch: an all -inf row has max
// -inf, -inf - -inf = NaN, so its exps, sum and outputs are NaN; NaN and +inf as there.
constexpr index_t kNarrow = 32;

// The lane indices of one row group: gather[l] = l * cols (lane l's row start), row_of[k * kWidth
// + l] = the row (in the group) of flat element k * kWidth + l.
struct NarrowIndex {
  int gather[kWidth];
  int row_of[kNarrow * kWidth];
  explicit NarrowIndex(index_t cols) {
    for (int l = 0; l < kWidth; ++l) gather[l] = int(l * cols);
    int r = 0;
    for (index_t f = 0, c = 0; f < cols * kWidth; ++f) {  // no division: count columns
      row_of[f] = r;
      if (++c == cols) c = 0, ++r;
    }
  }
  const int* rows(index_t k) const { return row_of + k * kWidth; }
};

// Lane l = Op over row l of a group: the row's parts (part(l, c): columns [c, c + kWidth) of
// row l, lanes past the row's end neutral for Op) folded into one vector, then one vreduce_each.
template <Vec (*Op)(Vec, Vec), class Part>
inline Vec group_reduce(const Part& part, index_t cols) {
  Vec r[kWidth];
  for (int l = 0; l < kWidth; ++l) {
    Vec v = part(l, 0);
    for (index_t c = kWidth; c < cols; c += kWidth) v = Op(part(l, c), v);
    r[l] = v;
  }
  return vreduce_each<Op>(r);
}

// The parts group_reduce folds. Rows read in place (row l at g + l * cols), with a masked load
// for the last part:
struct RowPart {
  const float* g;
  index_t cols;
  float fill;
  Vec operator()(int l, index_t c) const {
    const float* row = g + l * cols + c;
    return c + kWidth <= cols ? vload(row) : vload_tail(row, cols - c, fill);
  }
};
// Rows of a group just written by whole-vector stores: vload_stored (in-register shifts of the
// stored vectors), never a load that straddles two stores in flight. Lanes past the end are 0.
struct StoredPart {
  const float* g;
  index_t cols;
  Vec operator()(int l, index_t c) const {
    return vload_stored(g, l * cols + c, cols - c < kWidth ? cols - c : kWidth, cols);
  }
};
// The product of two groups' rows, g * y (for a row's dot product).
struct ProductPart {
  RowPart g, y;
  Vec operator()(int l, index_t c) const { return vmul(g(l, c), y(l, c)); }
};

// Row maxima of a group (lane l: row l). A NaN may or may not win a max; the row's exps and
// sum are NaN either way, so its outputs are the same.
inline Vec group_max(const float* xg, index_t cols) {
  return group_reduce<vmax>(RowPart{xg, cols, -kInf}, cols);
}

// Row sums of a group's (contiguous) values.
inline Vec group_sum(const float* vg, index_t cols) {
  return group_reduce<vadd>(RowPart{vg, cols, 0.0f}, cols);
}

// y = exp(x - max(row)) for a group, returns the row sums (of y just stored: StoredPart).
inline Vec group_exp(const float* xg, float* yg, index_t cols, const NarrowIndex& ix, Vec m) {
  Vec s = vset1(0.0f);  // with one lane, a group is one row: its sum is the exps' running sum
  for (index_t k = 0; k < cols; ++k) {
    const Vec e = vexp(vsub(vload(xg + k * kWidth), vpermute(m, ix.rows(k))));
    vstore(yg + k * kWidth, e);
    if constexpr (kWidth == 1) s = vadd(s, e);
  }
  if constexpr (kWidth == 1) return s;
  return group_reduce<vadd>(StoredPart{yg, cols}, cols);
}

// y *= f(row) for a group.
inline void group_scale(float* yg, index_t cols, const NarrowIndex& ix, Vec f) {
  for (index_t k = 0; k < cols; ++k)
    vstore(yg + k * kWidth, vmul(vload(yg + k * kWidth), vpermute(f, ix.rows(k))));
}

// One group of kWidth rows each: xg, yg, ... point at the group's first row.
inline void softmax_group(const float* xg, float* yg, index_t cols, const NarrowIndex& ix) {
  const Vec sum = group_exp(xg, yg, cols, ix, group_max(xg, cols));
  group_scale(yg, cols, ix, vdiv(vset1(1.0f), sum));
}

// Row sums of exp(x - max) with the maxima, the exps kept in a scratch group.
inline Vec group_sum_exp(const float* xg, index_t cols, const NarrowIndex& ix, Vec m) {
  float e[kNarrow * kWidth];
  return group_exp(xg, e, cols, ix, m);
}

// log of each lane: row sums are in [1, cols] or NaN, vlog's domain (simd.h).
inline Vec group_log(Vec s) { return vlog(s); }

inline void log_softmax_group(const float* xg, float* yg, index_t cols, const NarrowIndex& ix) {
  const Vec m = group_max(xg, cols);
  const Vec log_sum = group_log(group_sum_exp(xg, cols, ix, m));
  for (index_t k = 0; k < cols; ++k) {
    const int* r = ix.rows(k);
    vstore(yg + k * kWidth, vsub(vsub(vload(xg + k * kWidth), vpermute(m, r)), vpermute(log_sum, r)));
  }
}

// Lane l = x[l * cols + targets[l]] - max(row l): each row's target logit, shifted.
inline Vec group_target_shifted(const float* xg, const std::int64_t* tg, const NarrowIndex& ix, Vec m) {
  int at[kWidth];
  for (int l = 0; l < kWidth; ++l) at[l] = ix.gather[l] + int(tg[l]);
  return vsub(vgather(xg, at), m);
}

inline void cross_entropy_forward_group(const float* xg, const std::int64_t* tg, float* lg, index_t cols,
                                        const NarrowIndex& ix) {
  const Vec m = group_max(xg, cols);
  const Vec log_sum = group_log(group_sum_exp(xg, cols, ix, m));
  vstore(lg, vsub(log_sum, group_target_shifted(xg, tg, ix, m)));
}

inline void cross_entropy_backward_group(const float* xg, const std::int64_t* tg, const float* glg, float* gg,
                                         index_t cols, const NarrowIndex& ix) {
  const Vec m = group_max(xg, cols);
  const Vec sum = group_exp(xg, gg, cols, ix, m);
  const Vec gl = vload(glg);
  group_scale(gg, cols, ix, vdiv(gl, sum));
  // The target entries: (p_t - 1) * grad_loss, p_t recomputed from the logit (exact near 1).
  const Vec p_t = vdiv(vexp(group_target_shifted(xg, tg, ix, m)), sum);
  float gt[kWidth];
  vstore(gt, vmul(vsub(p_t, vset1(1.0f)), gl));
  for (int l = 0; l < kWidth; ++l) gg[l * cols + tg[l]] = gt[l];
}

inline void softmax_backward_group(const float* gg, const float* yg, float* gxg, index_t cols,
                                   const NarrowIndex& ix) {
  const Vec dot = group_reduce<vadd>(ProductPart{{gg, cols, 0.0f}, {yg, cols, 0.0f}}, cols);
  for (index_t k = 0; k < cols; ++k) {
    const index_t o = k * kWidth;
    vstore(gxg + o, vmul(vload(yg + o), vsub(vload(gg + o), vpermute(dot, ix.rows(k)))));
  }
}

inline void log_softmax_backward_group(const float* gg, const float* yg, float* gxg, index_t cols,
                                       const NarrowIndex& ix) {
  const Vec gsum = group_sum(gg, cols);
  for (index_t k = 0; k < cols; ++k) {
    const index_t o = k * kWidth;
    vstore(gxg + o, vsub(vload(gg + o), vmul(vexp(vload(yg + o)), vpermute(gsum, ix.rows(k)))));
  }
}

// Rows [begin, end) in groups. The last, partial group runs on zero-padded copies (inputs
// of rows >= end are 0, target 0, grad_loss 0), through the same group code: every lane's
// arithmetic is independent of the other lanes, so each row's result is the same bits
// whichever group it falls in, and results stay identical for any split over threads.
struct Padded {
  // Copies rows [i, end) of a (rows, width) array into a zeroed group-sized buffer.
  template <class T>
  static void in(T* dst, const T* src, index_t i, index_t end, index_t width) {
    for (index_t k = 0; k < kWidth * width; ++k) dst[k] = T(0);
    std::memcpy(dst, src + i * width, sizeof(T) * std::size_t((end - i) * width));
  }
  template <class T>
  static void out(T* dst, const T* src, index_t i, index_t end, index_t width) {
    std::memcpy(dst + i * width, src, sizeof(T) * std::size_t((end - i) * width));
  }
};
constexpr index_t kGroupFloats = kNarrow * kWidth;

// Calls f(cols). The classifier width of the course's datasets (MNIST, Fashion-MNIST,
// CIFAR-10: kFixedCols = 10 classes) comes as a compile-time constant, so each narrow driver
// below is compiled twice: for 10 columns the column loops unroll, with every mask and part
// count known to the compiler. Measured at 8192x10 on Zen 4 (in one process, the switch
// read per call for the test): softmax 55.5 -> 49.1 us, log_softmax 61.6 -> 55.1, the
// backwards 3-8% faster, cross-entropy forward the same; bench/narrow_fixed.py (separate
// processes) 1.02-1.10x. PYNEURO_NARROW_FIXED=0 turns it off (fixed_width_loop in
// softmax.cpp). Every 10-column row, whole groups and the padded last one, runs the same
// code: its bits never depend on how the rows were split over threads (they may differ from
// the general loop's by a fused multiply-add).
constexpr index_t kFixedCols = 10;
template <class F>
inline void with_cols(index_t cols, const F& f) {
  if (cols == kFixedCols && fixed_width_loop()) {
    f(std::integral_constant<index_t, kFixedCols>{});
  } else {
    f(cols);
  }
}

// The narrow softmax and log_softmax forwards (Group: softmax_group or log_softmax_group).
template <void (*Group)(const float*, float*, index_t, const NarrowIndex&)>
inline void forward_narrow(const float* x, float* y, index_t cols_, index_t begin, index_t end) {
  with_cols(cols_, [&](auto cols) {
    const NarrowIndex ix(cols);
    index_t i = begin;
    for (; i + kWidth <= end; i += kWidth) Group(x + i * cols, y + i * cols, cols, ix);
    if (i == end) return;
    float xp[kGroupFloats], yp[kGroupFloats];
    Padded::in(xp, x, i, end, cols);
    Group(xp, yp, cols, ix);
    Padded::out(y, yp, i, end, cols);
  });
}

inline void cross_entropy_forward_narrow(const float* x, const std::int64_t* targets, float* losses,
                                         index_t cols_, index_t begin, index_t end) {
  with_cols(cols_, [&](auto cols) {
    const NarrowIndex ix(cols);
    index_t i = begin;
    for (; i + kWidth <= end; i += kWidth)
      cross_entropy_forward_group(x + i * cols, targets + i, losses + i, cols, ix);
    if (i == end) return;
    float xp[kGroupFloats], lp[kWidth];
    std::int64_t tp[kWidth];
    Padded::in(xp, x, i, end, cols);
    Padded::in(tp, targets, i, end, 1);
    cross_entropy_forward_group(xp, tp, lp, cols, ix);
    Padded::out(losses, lp, i, end, 1);
  });
}

inline void cross_entropy_backward_narrow(const float* x, const std::int64_t* targets,
                                          const float* grad_losses, float* grad, index_t cols_, index_t begin,
                                          index_t end) {
  with_cols(cols_, [&](auto cols) {
    const NarrowIndex ix(cols);
    index_t i = begin;
    for (; i + kWidth <= end; i += kWidth)
      cross_entropy_backward_group(x + i * cols, targets + i, grad_losses + i, grad + i * cols, cols, ix);
    if (i == end) return;
    float xp[kGroupFloats], gp[kGroupFloats], glp[kWidth];
    std::int64_t tp[kWidth];
    Padded::in(xp, x, i, end, cols);
    Padded::in(tp, targets, i, end, 1);
    Padded::in(glp, grad_losses, i, end, 1);
    cross_entropy_backward_group(xp, tp, glp, gp, cols, ix);
    Padded::out(grad, gp, i, end, cols);
  });
}

template <void (*Group)(const float*, const float*, float*, index_t, const NarrowIndex&)>
inline void backward_narrow(const float* g, const float* y, float* gx, index_t cols_, index_t begin,
                            index_t end) {
  with_cols(cols_, [&](auto cols) {
    const NarrowIndex ix(cols);
    index_t i = begin;
    for (; i + kWidth <= end; i += kWidth) Group(g + i * cols, y + i * cols, gx + i * cols, cols, ix);
    if (i == end) return;
    float gp[kGroupFloats], yp[kGroupFloats], gxp[kGroupFloats];
    Padded::in(gp, g, i, end, cols);
    Padded::in(yp, y, i, end, cols);
    Group(gp, yp, gxp, cols, ix);
    Padded::out(gx, gxp, i, end, cols);
  });
}

// Which rows take the narrow path.
inline bool narrow(index_t cols) { return cols > 0 && cols <= kNarrow; }

// ---------------------------------------------------------------------------- forward

// Three passes over each row: max; exp(x - max) stored and summed; scale by 1 / sum.
// Passes 2 and 3 re-read the row from cache, while it is still there.
void softmax_three_pass_rows(const float* x, float* y, index_t cols, index_t begin, index_t end) {
  if (narrow(cols)) return forward_narrow<softmax_group>(x, y, cols, begin, end);
  for (index_t i = begin; i < end; ++i) {
    const float* xr = x + i * cols;
    float* yr = y + i * cols;
    const float mx = row_max(xr, cols);  // pass 1: read x
    if (mx == -kInf) {
      fill_nan(yr, cols);
      continue;
    }
    // pass 2: read x, write y (and fetch the next row meanwhile, when it fits in L1)
    const float sum = sum_exp<true>(xr, cols, mx, yr, cols <= kBlock && i + 1 < end ? xr + cols : nullptr);
    const Vec inv = vset1(1.0f / sum);
    map1(yr, yr, cols, [inv](Vec e) { return vmul(e, inv); });  // pass 3: y *= 1/sum
  }
}

// Online (fused): one read of x computes the running max and rescaled sum and stores the
// block-shifted exps in y; one pass over y (in cache) applies exp(mb - M) / S per block.
// One exp per element, like three-pass, but x is read once instead of twice.
// Second pass of the online kernels: y holds exp(x - mb) per block (online_max_sum<true>);
// multiply block k by exp(mb_k - max) * factor. exp(0) = 1 exactly for the block that holds
// the maximum, which is every block of a short row: then it is one multiply per element.
inline void rescale_blocks(float* y, index_t cols, const float* block_max, float max, float factor) {
  for (index_t b = 0, k = 0; b < cols; b += kBlock, ++k) {
    const index_t n = cols - b < kBlock ? cols - b : kBlock;
    const Vec s = vset1(block_max[k] == max ? factor : scalar_exp(block_max[k] - max) * factor);
    map1(y + b, y + b, n, [s](Vec e) { return vmul(e, s); });
  }
}

// Scratch for one block maximum per kBlock floats of a row: on the stack for rows of up to
// 64 blocks (131072 floats), else on the heap (once per call and thread).
class BlockMaxScratch {
 public:
  explicit BlockMaxScratch(index_t cols) : blocks_((cols + kBlock - 1) / kBlock) {
    if (blocks_ > kStack) heap_.resize(blocks_);
  }
  float* data() { return blocks_ > kStack ? heap_.data() : stack_; }

 private:
  static constexpr index_t kStack = 64;
  index_t blocks_;
  float stack_[kStack];
  std::vector<float> heap_;
};

// Like rescale_blocks, from the block-shifted exps e into y with streaming stores (y's lines
// are written without being read first). A scalar head and tail where y is not aligned.
inline void rescale_blocks_stream(const float* e, float* y, index_t cols, const float* block_max, float max,
                                  float factor, const float* next) {
  for (index_t b = 0, k = 0; b < cols; b += kBlock, ++k) {
    const index_t n = cols - b < kBlock ? cols - b : kBlock;
    const Vec s = vset1(block_max[k] == max ? factor : scalar_exp(block_max[k] - max) * factor);
    map1_stream(e + b, y + b, n, [s](Vec v) { return vmul(v, s); }, next ? next + b : nullptr);
  }
}

// A row of at most kBlock floats is a single block: the online recurrence has nothing to
// fuse (x is read from memory once either way and re-read from L1), so it runs the same code
// as three-pass.
// With stream (an output of at least kStreamMinFloats, more than any cache holds) the exps go
// to a scratch row instead, which stays in L2, and y is written once from it with streaming
// stores: y's lines are never read before they are written, 410 instead of 615 MB of memory
// traffic at 1024x50000. (Tried before the output pool existed, this was 1.15x slower: the
// page faults of the fresh output dominated either way.)
void softmax_online_rows(const float* x, float* y, index_t cols, index_t begin, index_t end, bool stream) {
  if (cols <= kBlock) return softmax_three_pass_rows(x, y, cols, begin, end);
  BlockMaxScratch scratch(cols);
  float* block_max = scratch.data();
  std::vector<float> row(stream ? size_t(cols) : 0);
  for (index_t i = begin; i < end; ++i) {
    const float* xr = x + i * cols;
    float* yr = y + i * cols;
    const MaxSum ms = online_max_sum<true>(xr, cols, stream ? row.data() : yr, block_max,
                                           i + 1 < end ? xr + cols : nullptr);
    if (ms.max == -kInf) {
      fill_nan(yr, cols);
      continue;
    }
    if (stream) {  // (and the next row of x on its way to L2 meanwhile)
      rescale_blocks_stream(row.data(), yr, cols, block_max, ms.max, 1.0f / ms.sum,
                            i + 1 < end ? xr + cols : nullptr);
    } else {
      rescale_blocks(yr, cols, block_max, ms.max, 1.0f / ms.sum);
    }
  }
  if (stream) vstream_fence();
}

// y = (x - max) - log(sum exp(x - max)): one read for max and sum, one to write.
// With stream (an output of at least kStreamMinFloats), y is written with streaming stores.
void log_softmax_forward_rows(const float* x, float* y, index_t cols, index_t begin, index_t end,
                              bool stream) {
  if (narrow(cols)) return forward_narrow<log_softmax_group>(x, y, cols, begin, end);
  for (index_t i = begin; i < end; ++i) {
    const float* xr = x + i * cols;
    float* yr = y + i * cols;
    const MaxSum ms = online_max_sum<false>(xr, cols, nullptr, nullptr, i + 1 < end ? xr + cols : nullptr);
    if (ms.max == -kInf) {
      fill_nan(yr, cols);
      continue;
    }
    const Vec mx = vset1(ms.max), log_sum = vset1(scalar_log(ms.sum));
    const auto f = [mx, log_sum](Vec v) { return vsub(vsub(v, mx), log_sum); };
    if (stream) {  // (and the next row of x on its way to L2 meanwhile)
      map1_stream(xr, yr, cols, f, i + 1 < end ? xr + cols : nullptr);
    } else {
      map1(xr, yr, cols, f);
    }
  }
  if (stream) vstream_fence();
}

// losses[i] = log(sum exp(x - max)) - (x[target] - max): one read of the row, no writes.
// (x[target] - max) first: it is exact near the maximum, where max + log(sum) would round
// away log(sum) (logits [1e8, 1e8, 0] would give 0 instead of ln 2).
void cross_entropy_forward_rows(const float* x, const std::int64_t* targets, float* losses, index_t cols,
                                index_t begin, index_t end) {
  if (narrow(cols)) return cross_entropy_forward_narrow(x, targets, losses, cols, begin, end);
  for (index_t i = begin; i < end; ++i) {
    const float* xr = x + i * cols;
    const MaxSum ms = online_max_sum<false>(xr, cols, nullptr, nullptr, i + 1 < end ? xr + cols : nullptr);
    losses[i] = ms.max == -kInf ? kNaN : scalar_log(ms.sum) - (xr[targets[i]] - ms.max);
  }
}

// ---------------------------------------------------------------------------- backward

// grad_x = y * (g - sum(g * y)): a dot product, then one elementwise pass (rows in cache).
void softmax_backward_rows(const float* g, const float* y, float* gx, index_t cols, index_t begin,
                           index_t end) {
  if (narrow(cols)) return backward_narrow<softmax_backward_group>(g, y, gx, cols, begin, end);
  for (index_t i = begin; i < end; ++i) {
    const float* gr = g + i * cols;
    const float* yr = y + i * cols;
    Vec acc0 = vset1(0.0f), acc1 = acc0;
    index_t j = 0;
    for (; j + 2 * kWidth <= cols; j += 2 * kWidth) {
      acc0 = vfma(vload(gr + j), vload(yr + j), acc0);
      acc1 = vfma(vload(gr + j + kWidth), vload(yr + j + kWidth), acc1);
    }
    for (; j + kWidth <= cols; j += kWidth) acc0 = vfma(vload(gr + j), vload(yr + j), acc0);
    if (j < cols) acc0 = vfma(vload_tail(gr + j, cols - j, 0.0f), vload_tail(yr + j, cols - j, 0.0f), acc0);
    const Vec dot = vset1(vhsum(vadd(acc0, acc1)));
    map2(gr, yr, gx + i * cols, cols, [dot](Vec gv, Vec yv) { return vmul(yv, vsub(gv, dot)); });
  }
}

// grad_x = g - exp(y) * sum(g)  (exp(y) is the softmax): a sum, then one pass with an exp.
void log_softmax_backward_rows(const float* g, const float* y, float* gx, index_t cols, index_t begin,
                               index_t end) {
  if (narrow(cols)) return backward_narrow<log_softmax_backward_group>(g, y, gx, cols, begin, end);
  for (index_t i = begin; i < end; ++i) {
    const float* gr = g + i * cols;
    Vec acc0 = vset1(0.0f), acc1 = acc0;
    index_t j = 0;
    for (; j + 2 * kWidth <= cols; j += 2 * kWidth) {
      acc0 = vadd(acc0, vload(gr + j));
      acc1 = vadd(acc1, vload(gr + j + kWidth));
    }
    for (; j + kWidth <= cols; j += kWidth) acc0 = vadd(acc0, vload(gr + j));
    if (j < cols) acc0 = vadd(acc0, vload_tail(gr + j, cols - j, 0.0f));
    const Vec gsum = vset1(vhsum(vadd(acc0, acc1)));
    map2(gr, y + i * cols, gx + i * cols, cols,
         [gsum](Vec gv, Vec yv) { return vsub(gv, vmul(vexp(yv), gsum)); });
  }
}

// grad = (softmax(x) - onehot(target)) * grad_loss, the probabilities never stored: like
// online softmax, one read of x computes max and sum and leaves the block-shifted exps in
// grad, and one pass scales them by exp(mb - max) * grad_loss / sum; then the target entry
// is rewritten as (p_t - 1) * grad_loss. (Writing exp(x - max) * grad_loss / sum directly
// with streaming stores instead, a second exp per element, was slower even at 1024x50000:
// 47-53 ms against 34 ms.)
void cross_entropy_backward_rows(const float* x, const std::int64_t* targets, const float* grad_losses,
                                 float* grad, index_t cols, index_t begin, index_t end) {
  if (narrow(cols)) return cross_entropy_backward_narrow(x, targets, grad_losses, grad, cols, begin, end);
  BlockMaxScratch scratch(cols);
  float* block_max = scratch.data();
  for (index_t i = begin; i < end; ++i) {
    const float* xr = x + i * cols;
    float* gr = grad + i * cols;
    const MaxSum ms = online_max_sum<true>(xr, cols, gr, block_max, i + 1 < end ? xr + cols : nullptr);
    if (ms.max == -kInf) {
      fill_nan(gr, cols);
      continue;
    }
    const float gl = grad_losses[i];
    rescale_blocks(gr, cols, block_max, ms.max, gl / ms.sum);
    const index_t t = targets[i];
    const float p_t = scalar_exp(xr[t] - ms.max) / ms.sum;
    gr[t] = (p_t - 1.0f) * gl;
  }
}

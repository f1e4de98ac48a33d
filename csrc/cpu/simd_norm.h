// simd_norm.h: the range kernels of norm.cpp (standardize forward and backward).
//
// No include guard on purpose: norm.cpp includes this file once per instruction set (scalar,
// AVX2, AVX-512), each time under that ISA's `#pragma GCC target` with simd.h's vector
// vocabulary in scope (Vec, kWidth, vload, ...), as softmax.cpp does with simd_softmax.h.
// float data runs on those vectors; double data (gradient checks, torch's double) on
// Lanes<double>, four scalar accumulators, which the compiler keeps in registers: correct
// and fast enough for tests, not tuned. norm.cpp defines Moments, Plan, combine() and
// kPiece before including this file.

// The lane vocabulary for element type T: float uses the ISA's vectors, double scalars.
template <typename T>
struct Lanes;

template <>
struct Lanes<float> {
  using V = Vec;
  static constexpr int W = kWidth;
  static V zero() { return vset1(0.0f); }
  static V set1(float a) { return vset1(a); }
  static V load(const float* p) { return vload(p); }
  static V load_tail(const float* p, index_t n, float fill) { return vload_tail(p, n, fill); }
  static void store(float* p, V v) { vstore(p, v); }
  static void store_tail(float* p, V v, index_t n) { vstore_tail(p, v, n); }
  static V add(V a, V b) { return vadd(a, b); }
  static V sub(V a, V b) { return vsub(a, b); }
  static V mul(V a, V b) { return vmul(a, b); }
  static V fma(V a, V b, V c) { return vfma(a, b, c); }
  static double hsum(V v) { return vhsum(v); }
};

template <>
struct Lanes<double> {
  using V = double;
  static constexpr int W = 1;
  static V zero() { return 0.0; }
  static V set1(double a) { return a; }
  static V load(const double* p) { return *p; }
  static V load_tail(const double* p, index_t, double) { return *p; }  // never called: W == 1
  static void store(double* p, V v) { *p = v; }
  static void store_tail(double* p, V v, index_t) { *p = v; }
  static V add(V a, V b) { return a + b; }
  static V sub(V a, V b) { return a - b; }
  static V mul(V a, V b) { return a * b; }
  static V fma(V a, V b, V c) { return a * b + c; }
  static double hsum(V v) { return v; }
};

// The moments of p[0, n), n <= kPiece (a piece that stays in L1 for its second pass):
// the sum gives a shift mp (the piece's mean rounded to T), then one more pass sums
// d = x - mp and d * d: mean = mp + sum(d) / n, M2 = sum(d * d) - sum(d)^2 / n, the
// shifted two-pass formula. One pass of sum(x) and sum(x * x) would subtract two large
// numbers (float32 loses every digit of the variance of data whose mean is 1000x its
// spread); with the shift within rounding of the mean, the correction sum(d)^2 / n is tiny.
template <typename T>
Moments piece_moments(const T* p, index_t n) {
  using L = Lanes<T>;
  using V = typename L::V;
  constexpr int W = L::W;
  V s0 = L::zero(), s1 = L::zero(), s2 = L::zero(), s3 = L::zero();
  index_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    s0 = L::add(s0, L::load(p + i));
    s1 = L::add(s1, L::load(p + i + W));
    s2 = L::add(s2, L::load(p + i + 2 * W));
    s3 = L::add(s3, L::load(p + i + 3 * W));
  }
  for (; i + W <= n; i += W) s0 = L::add(s0, L::load(p + i));
  if (i < n) s1 = L::add(s1, L::load_tail(p + i, n - i, T(0)));
  const T mp = T(L::hsum(L::add(L::add(s0, s1), L::add(s2, s3))) / double(n));
  const V vm = L::set1(mp);
  V d0 = L::zero(), d1 = L::zero(), q0 = L::zero(), q1 = L::zero();
  i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    const V a = L::sub(L::load(p + i), vm), b = L::sub(L::load(p + i + W), vm);
    d0 = L::add(d0, a);
    d1 = L::add(d1, b);
    q0 = L::fma(a, a, q0);
    q1 = L::fma(b, b, q1);
  }
  for (; i + W <= n; i += W) {
    const V a = L::sub(L::load(p + i), vm);
    d0 = L::add(d0, a);
    q0 = L::fma(a, a, q0);
  }
  if (i < n) {  // the tail's missing lanes read as mp: they add 0 to both sums
    const V a = L::sub(L::load_tail(p + i, n - i, mp), vm);
    d1 = L::add(d1, a);
    q1 = L::fma(a, a, q1);
  }
  const double d = L::hsum(L::add(d0, d1)), q = L::hsum(L::add(q0, q1));
  if (!std::isfinite(double(mp))) return {double(n), double(mp), double(mp) - double(mp)};  // inf / NaN
  return {double(n), double(mp) + d / double(n), q - d * d / double(n)};
}

// sum(g') and sum(g' * (x - mean)) over [0, n), added to sg and sgc; g' = g, or g * wv with
// kInner (LayerNorm's weight along the normalized elements).
template <bool kInner, typename T>
void piece_grad_sums_t(const T* g, const T* x, T mean, index_t n, const T* wv, double& sg, double& sgc) {
  using L = Lanes<T>;
  using V = typename L::V;
  constexpr int W = L::W;
  const auto ld = [&](index_t i) {
    return kInner ? L::mul(L::load(g + i), L::load(wv + i)) : L::load(g + i);
  };
  const V vm = L::set1(mean);
  V a0 = L::zero(), a1 = L::zero(), b0 = L::zero(), b1 = L::zero();
  index_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    const V g0 = ld(i), g1 = ld(i + W);
    a0 = L::add(a0, g0);
    a1 = L::add(a1, g1);
    b0 = L::fma(g0, L::sub(L::load(x + i), vm), b0);
    b1 = L::fma(g1, L::sub(L::load(x + i + W), vm), b1);
  }
  for (; i + W <= n; i += W) {
    const V g0 = ld(i);
    a0 = L::add(a0, g0);
    b0 = L::fma(g0, L::sub(L::load(x + i), vm), b0);
  }
  if (i < n) {
    V g0 = L::load_tail(g + i, n - i, T(0));
    if (kInner) g0 = L::mul(g0, L::load_tail(wv + i, n - i, T(0)));
    a1 = L::add(a1, g0);
    b1 = L::fma(g0, L::sub(L::load_tail(x + i, n - i, mean), vm), b1);
  }
  sg += L::hsum(L::add(a0, a1));
  sgc += L::hsum(L::add(b0, b1));
}

template <typename T>
void piece_grad_sums(const T* g, const T* x, T mean, index_t n, const T* wv, double& sg, double& sgc) {
  if (wv)
    piece_grad_sums_t<true>(g, x, mean, n, wv, sg, sgc);
  else
    piece_grad_sums_t<false>(g, x, mean, n, wv, sg, sgc);
}

// y = (x - mean) * scale + shift over [0, n) (scale = r * w, shift = b; without an affine
// r and 0, the same bits as (x - mean) * r).
// With wv and bv (per element, LayerNorm's affine): y = (x - mean) * scale * wv + bv.
template <typename T>
void normalize_piece(const T* x, T* y, index_t n, T mean, T scale, T shift, const T* wv, const T* bv) {
  using L = Lanes<T>;
  using V = typename L::V;
  constexpr int W = L::W;
  const V vm = L::set1(mean), vs = L::set1(scale), vb = L::set1(shift);
  index_t i = 0;
  if (wv) {
    for (; i + W <= n; i += W)
      L::store(y + i, L::fma(L::mul(L::sub(L::load(x + i), vm), vs), L::load(wv + i), L::load(bv + i)));
    if (i < n) {
      const V d = L::mul(L::sub(L::load_tail(x + i, n - i, mean), vm), vs);
      L::store_tail(y + i, L::fma(d, L::load_tail(wv + i, n - i, T(0)), L::load_tail(bv + i, n - i, T(0))),
                    n - i);
    }
    return;
  }
  for (; i + W <= n; i += W) L::store(y + i, L::fma(L::sub(L::load(x + i), vm), vs, vb));
  if (i < n) L::store_tail(y + i, L::fma(L::sub(L::load_tail(x + i, n - i, mean), vm), vs, vb), n - i);
}

// dx = c * g - k2 - k3 * (x - mean) over [0, n) (c = w * r, nk2 = -k2, nk3 = -k3).
// With wv (per element, LayerNorm's weight): g * wv in place of g.
template <typename T>
void backward_piece(const T* g, const T* x, T* dx, index_t n, T mean, T c, T nk2, T nk3, const T* wv) {
  using L = Lanes<T>;
  using V = typename L::V;
  constexpr int W = L::W;
  const V vm = L::set1(mean), vc = L::set1(c), v2 = L::set1(nk2), v3 = L::set1(nk3);
  index_t i = 0;
  if (wv) {
    for (; i + W <= n; i += W) {
      const V gw = L::mul(L::load(g + i), L::load(wv + i));
      L::store(dx + i, L::fma(v3, L::sub(L::load(x + i), vm), L::fma(vc, gw, v2)));
    }
    if (i < n) {
      const V gw = L::mul(L::load_tail(g + i, n - i, T(0)), L::load_tail(wv + i, n - i, T(0)));
      const V xv = L::load_tail(x + i, n - i, mean);
      L::store_tail(dx + i, L::fma(v3, L::sub(xv, vm), L::fma(vc, gw, v2)), n - i);
    }
    return;
  }
  for (; i + W <= n; i += W)
    L::store(dx + i, L::fma(v3, L::sub(L::load(x + i), vm), L::fma(vc, L::load(g + i), v2)));
  if (i < n) {
    const V gv = L::load_tail(g + i, n - i, T(0)), xv = L::load_tail(x + i, n - i, mean);
    L::store_tail(dx + i, L::fma(v3, L::sub(xv, vm), L::fma(vc, gv, v2)), n - i);
  }
}

// Calls f(offset, length) for the pieces of elements [j0, j1) of statistic s: element j is
// x[j / inner, s, j % inner], at offset ((j / inner) * stats + s) * inner + j % inner. Pieces
// never cross a row of inner elements and hold at most kPiece; where they start depends on
// j0, j1 and the shape only.
template <class F>
void for_pieces(const Plan& p, index_t s, index_t j0, index_t j1, const F& f) {
  while (j0 < j1) {
    const index_t a = j0 / p.inner, c = j0 % p.inner;
    index_t len = p.inner - c;
    if (len > j1 - j0) len = j1 - j0;
    if (len > kPiece) len = kPiece;
    f((a * p.stats + s) * p.inner + c, len);
    j0 += len;
  }
}

// The moments of elements [j0, j1) of statistic s.
template <typename T>
Moments range_moments(const T* x, const Plan& p, index_t s, index_t j0, index_t j1) {
  Moments acc{0.0, 0.0, 0.0};
  for_pieces(p, s, j0, j1, [&](index_t off, index_t len) { combine(acc, piece_moments(x + off, len)); });
  return acc;
}

template <typename T>
void range_moments_to(const T* x, const Plan& p, index_t s, index_t j0, index_t j1, Moments* out) {
  *out = range_moments(x, p, s, j0, j1);
}

// out = (sum(g'), sum(g' * (x - mean))) over elements [j0, j1) of statistic s (g' as in
// piece_grad_sums).
template <typename T>
void range_grad_sums(const T* g, const T* x, T mean, const Plan& p, const Affine<T>& aff, index_t s,
                     index_t j0, index_t j1, double* out) {
  double sg = 0.0, sgc = 0.0;
  for_pieces(p, s, j0, j1, [&](index_t off, index_t len) {
    piece_grad_sums(g + off, x + off, mean, len, aff.wv(s, off), sg, sgc);
  });
  out[0] = sg;
  out[1] = sgc;
}

// Row path, one task per statistic (Plan::split == 1): its moments, and with p.fused its
// output at once, while its elements are still in L1/L2.
template <typename T>
void forward_stats(const T* x, T* y, T* mean, T* var, T* rstd, const Plan& p, const Affine<T>& aff,
                   double eps, index_t s0, index_t s1) {
  for (index_t s = s0; s < s1; ++s) {
    finish(range_moments(x, p, s, 0, p.m), eps, mean + s, var + s, rstd + s);
    if (!p.fused) continue;
    const T mu = mean[s], scale = aff.scale(s, rstd[s]), shift = aff.shift(s);
    for_pieces(p, s, 0, p.m, [&](index_t off, index_t len) {
      normalize_piece(x + off, y + off, len, mu, scale, shift, aff.wv(s, off), aff.bv(s, off));
    });
  }
}

// Row path: rows [r0, r1) of (outer * stats) rows of inner elements, row a * stats + s.
template <typename T>
void forward_rows(const T* x, T* y, const T* mean, const T* rstd, const Plan& p, const Affine<T>& aff,
                  index_t r0, index_t r1) {
  for (index_t r = r0; r < r1; ++r) {
    const index_t s = r % p.stats, o = r * p.inner;
    normalize_piece(x + o, y + o, p.inner, mean[s], aff.scale(s, rstd[s]), aff.shift(s), aff.wv(s, o),
                    aff.bv(s, o));
  }
}

// Row path backward, one task per statistic: sums, coefficients and, when fused, dx.
template <typename T>
void backward_stats(const T* g, const T* x, const T* mean, const T* rstd, T* dx, T* coef, T* sums,
                    const Plan& p, const Affine<T>& aff, index_t s0, index_t s1) {
  for (index_t s = s0; s < s1; ++s) {
    double sg = 0.0, sgc = 0.0;
    const T mu = mean[s];
    for_pieces(p, s, 0, p.m, [&](index_t off, index_t len) {
      piece_grad_sums(g + off, x + off, mu, len, aff.wv(s, off), sg, sgc);
    });
    grad_coefficients(sg, sgc, rstd[s], p.m, aff.w(s), coef + 3 * s, sums + 2 * s);
    if (!p.fused) continue;
    const T c = coef[3 * s], nk2 = coef[3 * s + 1], nk3 = coef[3 * s + 2];
    for_pieces(p, s, 0, p.m, [&](index_t off, index_t len) {
      backward_piece(g + off, x + off, dx + off, len, mu, c, nk2, nk3, aff.wv(s, off));
    });
  }
}

template <typename T>
void backward_rows(const T* g, const T* x, T* dx, const T* mean, const T* coef, const Plan& p,
                   const Affine<T>& aff, index_t r0, index_t r1) {
  for (index_t r = r0; r < r1; ++r) {
    const index_t s = r % p.stats, o = r * p.inner;
    backward_piece(g + o, x + o, dx + o, p.inner, mean[s], coef[3 * s], coef[3 * s + 1], coef[3 * s + 2],
                   aff.wv(s, o));
  }
}

// Column path (inner < kColumnsBelow): x is (outer, stats * inner), each column summed down
// the outer rows in double, one column per lane (no horizontal sums), then a statistic's
// inner columns added in order. Columns [c0, c0 + n) of row a start at a * cols + c0.
template <typename T>
void columns_add(const T* x, double* s, index_t n) {
  for (index_t i = 0; i < n; ++i) s[i] += double(x[i]);
}

template <typename T>
void columns_centered(const T* x, const T* mean, double* d, double* q, index_t n) {
  for (index_t i = 0; i < n; ++i) {
    const double c = double(x[i]) - double(mean[i]);
    d[i] += c;
    q[i] += c * c;
  }
}

// w: per column (LayerNorm's weight, repeated), or null.
template <typename T>
void columns_grad(const T* g, const T* x, const T* mean, const T* w, double* sg, double* sgc, index_t n) {
  for (index_t i = 0; i < n; ++i) {
    const double gi = w ? double(g[i]) * double(w[i]) : double(g[i]);
    sg[i] += gi;
    sgc[i] += gi * (double(x[i]) - double(mean[i]));
  }
}

// The parameter gradients of a per_inner affine, rows [r0, r1) of (outer * stats) rows of
// inner elements, their first n columns from g and x on: sum_g[k + c] += g and
// sum_gxhat[k + c] += g * (x - mean) * r, k = (s % period) * inner - k0, in T, one column per
// lane (the callers add at most a block of rows this way, then the blocks in double).
template <typename T>
void inner_sums_rows(const T* g, const T* x, const T* mean, const T* rstd, const Plan& p, index_t period,
                     index_t r0, index_t r1, index_t n, index_t k0, T* sum_g, T* sum_gxhat) {
  using L = Lanes<T>;
  constexpr int W = L::W;
  for (index_t r = r0; r < r1; ++r) {
    const index_t s = r % p.stats, o = r * p.inner, k = (s % period) * p.inner - k0;
    const auto vm = L::set1(mean[s]), vr = L::set1(rstd[s]);
    T *sg = sum_g + k, *sx = sum_gxhat + k;
    const T *gr = g + o, *xr = x + o;
    index_t c = 0;
    for (; c + W <= n; c += W) {
      const auto gv = L::load(gr + c);
      L::store(sg + c, L::add(L::load(sg + c), gv));
      L::store(sx + c, L::fma(gv, L::mul(L::sub(L::load(xr + c), vm), vr), L::load(sx + c)));
    }
    for (; c < n; ++c) {
      sg[c] += gr[c];
      sx[c] += gr[c] * ((xr[c] - mean[s]) * rstd[s]);
    }
  }
}

// y = (x - mean) * scale + shift with per-column mean, scale and shift, over [0, n).
template <typename T>
void normalize_columns(const T* x, T* y, const T* mean, const T* scale, const T* shift, index_t n) {
  using L = Lanes<T>;
  constexpr int W = L::W;
  index_t i = 0;
  for (; i + W <= n; i += W)
    L::store(y + i,
             L::fma(L::sub(L::load(x + i), L::load(mean + i)), L::load(scale + i), L::load(shift + i)));
  for (; i < n; ++i) y[i] = std::fma(x[i] - mean[i], scale[i], shift[i]);
}

// dx = c * g + nk2 + nk3 * (x - mean) with per-column coefficients, over [0, n).
template <typename T>
void backward_columns(const T* g, const T* x, T* dx, const T* mean, const T* c, const T* nk2, const T* nk3,
                      index_t n) {
  using L = Lanes<T>;
  constexpr int W = L::W;
  index_t i = 0;
  for (; i + W <= n; i += W) {
    const auto d = L::sub(L::load(x + i), L::load(mean + i));
    L::store(dx + i, L::fma(L::load(nk3 + i), d, L::fma(L::load(c + i), L::load(g + i), L::load(nk2 + i))));
  }
  for (; i < n; ++i) dx[i] = std::fma(nk3[i], x[i] - mean[i], std::fma(c[i], g[i], nk2[i]));
}

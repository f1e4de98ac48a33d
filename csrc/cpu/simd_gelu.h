// simd_gelu.h: the vector body of gelu.cpp, written once with simd.h's vocabulary (Vec, vexp,
// vfma, ...) and included once per instruction set (scalar, AVX2, AVX-512), as simd_softmax.h.
// No include guard on purpose; include nothing here.

// erfcx(a) (1 + 2a) ~ P(q), q = (a - 2) / (a + 2), for a in [0, 10.5] (q in [-1, 0.68]):
// a degree-11 least-squares fit (Lawson-weighted for the relative error, float32 coefficients,
// highest power first), relative error < 1.3e-8.
constexpr int kErfcxTerms = 12;
constexpr float kErfcx[kErfcxTerms] = {7.987687422e-05f,  1.704905008e-04f,  -4.003509821e-04f,
                                       -1.421657740e-03f, 1.252074842e-03f,  8.709284477e-03f,
                                       -8.030650206e-03f, -5.421783403e-02f, 1.640510112e-01f,
                                       -1.660305262e-01f, -9.276381880e-02f, 1.276978374e+00f};
constexpr float kSqrtHalfGelu = 0.70710678118654752f;  // 1 / sqrt 2
constexpr float kInvSqrt2Pi = 0.39894228040143268f;  // 1 / sqrt(2 pi): phi(0)
// |x| is clamped here: exp(-x^2 / 2) is 0 beyond (vexp flushes below -104), so Phi(-|x|) is
// exactly 0 and x^2 stays finite (its rounding error too, for x = +-inf).
constexpr float kGeluMaxAbs = 15.0f;
constexpr float kTanhBeta = 0.79788456080286536f;  // sqrt(2 / pi)
constexpr float kTanhKappa = 0.044715f;

// Phi(x) (cdf) and exp(-x^2 / 2) (gauss), x may be +-inf or NaN (then both are NaN).
inline void normal_cdf(Vec x, Vec& cdf, Vec& gauss) {
  const Vec one = vset1(1.0f), two = vset1(2.0f), half = vset1(0.5f);
  const Vec ax = vmin(vset1(kGeluMaxAbs), vabs(x));  // (NaN passes: second operand)
  const Vec sq = vmul(ax, ax);
  const Vec sq_err = vmul_err(ax, ax, sq);  // ax^2 = sq + sq_err exactly
  Vec e = vexp(vmul(sq, vset1(-0.5f)));
  e = vfma(vmul(e, sq_err), vset1(-0.5f), e);  // exp(-(sq + sq_err) / 2) ~ e (1 - sq_err / 2)
  const Vec a = vmul(ax, vset1(kSqrtHalfGelu));
  const Vec q = vdiv(vsub(a, two), vadd(a, two));
  Vec p = vset1(kErfcx[0]);
  for (int i = 1; i < kErfcxTerms; ++i) p = vfma(p, q, vset1(kErfcx[i]));
  const Vec tail = vdiv(vmul(vmul(p, e), half), vfma(a, two, one));  // erfc(a) / 2 = Phi(-|x|)
  cdf = vblend_neg(x, tail, vsub(one, tail));
  gauss = e;
}

// s = 1 / (1 + exp(-2u)) (the tanh form's 0.5 (1 + tanh(u))) and 1 - s = exp(-2u) s, which
// keeps its digits as s nears 1; where exp(-2u) overflows (s = 0) 1 - s is 1, not inf * 0.
inline void tanh_share(Vec x, Vec& s, Vec& one_minus_s) {
  const Vec one = vset1(1.0f);
  const Vec inner = vmul(vmul(x, vset1(-2.0f * kTanhBeta)), vfma(vmul(x, x), vset1(kTanhKappa), one));
  const Vec e = vexp(inner);
  s = vdiv(one, vadd(one, e));
  one_minus_s = vmin(vmul(e, s), one);  // (inf * 0 = NaN -> 1: vmin's NaN rule)
}

inline Vec gelu_value(Vec x, bool tanh) {
  Vec share, other;
  if (tanh)
    tanh_share(x, share, other);
  else
    normal_cdf(x, share, other);
  return vmul(x, share);
}

inline Vec gelu_slope(Vec x, bool tanh) {
  Vec share, other;
  if (tanh) {
    tanh_share(x, share, other);
    const Vec du = vmul(vset1(2.0f * kTanhBeta), vfma(vmul(x, x), vset1(3.0f * kTanhKappa), vset1(1.0f)));
    return vfma(vmul(vmul(x, share), other), du, share);  // s + x s (1 - s) 2 beta (1 + 3 kappa x^2)
  }
  normal_cdf(x, share, other);
  return vfma(vmul(x, other), vset1(kInvSqrt2Pi), share);  // Phi(x) + x phi(x)
}

void gelu_forward_range(const float* x, float* y, index_t begin, index_t end, bool tanh) {
  index_t i = begin;
  for (; i + kWidth <= end; i += kWidth) vstore(y + i, gelu_value(vload(x + i), tanh));
  if (i < end) vstore_tail(y + i, gelu_value(vload_tail(x + i, end - i, 0.0f), tanh), end - i);
}

void gelu_backward_range(const float* gy, const float* x, float* gx, index_t begin, index_t end, bool tanh) {
  index_t i = begin;
  for (; i + kWidth <= end; i += kWidth) vstore(gx + i, vmul(vload(gy + i), gelu_slope(vload(x + i), tanh)));
  if (i < end) {
    const index_t r = end - i;
    vstore_tail(gx + i, vmul(vload_tail(gy + i, r, 0.0f), gelu_slope(vload_tail(x + i, r, 0.0f), tanh)), r);
  }
}

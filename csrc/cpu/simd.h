// simd.h: a tiny float-vector vocabulary (Vec, kWidth, vload, vadd, vexp, vhsum, ...) in
// three versions, so that each kernel is written once and compiled for every instruction set:
//
//   pyneuro::simd::scalar   Vec = float   (kWidth 1)   any CPU; the reference path
//   pyneuro::simd::avx2     Vec = __m256  (kWidth 8)   AVX2 + FMA (Haswell, Zen 1 and later)
//   pyneuro::simd::avx512   Vec = __m512  (kWidth 16)  AVX-512 F/VL/DQ/BW (Skylake-X, Zen 4)
//
// No -march flag is needed: the AVX2 and AVX-512 versions sit between
// `#pragma GCC push_options / target(...) / pop_options`, which gives every function defined
// in between __attribute__((target(...))). The library's baseline stays x86-64, and the
// kernels pick a version at run time (pyneuro::simd_path(), i.e. cpuid; PYNEURO_SIMD=avx2 or
// scalar forces a narrower one). Kernel files include their generic body once per namespace
// (see softmax.cpp). Every name here has internal linkage (anonymous namespace), so the
// linker can never swap an AVX-512 copy of a function into the scalar path.
//
// The one non-trivial piece is vexp, a vectorised exp (Cephes' expf algorithm):
//   exp(x) = 2^n * exp(r),  n = round(x / ln 2),  r = x - n ln 2 in [-ln2/2, ln2/2]
//   exp(r) ~ 1 + r + r^2 P(r)   (P of degree 5: |error| < 2 ulp over the float range)
// ln 2 is split in two constants (C1 has 9 significant bits, so n*C1 is exact) to keep r
// accurate. The argument is clamped to [-104, 89] first, which makes
//   x >= 89 (and +inf) -> +inf, x <= -104 (and -inf) -> 0, NaN -> NaN
// without a branch: the clamps are written min(hi, x) / max(lo, x) because x86 min/max
// return their *second* operand when either is NaN, so a NaN x passes through. The scaling
// by 2^n must also cover n in [-151, 128], outside a float's normal exponents: AVX-512 has
// vscalefps for exactly that; AVX2 and scalar multiply by 2^(n/2) and 2^(n - n/2), two
// normal powers of two, so results in the denormal range round correctly (or flush to 0
// under FTZ, which the kernel threads set).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "pyneuro/common.h"

#if (defined(__x86_64__) || defined(_M_X64)) && defined(__GNUC__) && !defined(__clang__)
// GCC 12 warns that _mm512_undefined_ps() (inside the reduce and shuffle intrinsics) is
// uninitialised (GCC bug 105593); those values are never read.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#define PYNEURO_X86_SIMD 1  // the AVX2 and AVX-512 paths are compiled (GCC's target pragma)
#else
#define PYNEURO_X86_SIMD 0  // other compilers / CPUs: the scalar path only
#endif

namespace pyneuro::simd {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
// Float bit patterns read as int32: -0.0 is the smallest int32; the negative floats below it,
// from -denormal to -inf, run up to -inf's; the negative NaNs lie above -inf's, up to -1.
constexpr std::int32_t kNegZeroBits = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t kNegInfBits = -0x00800000;  // 0xff800000

// Constants of the exp approximation (Cephes expf).
constexpr float kExpHi = 89.0f;  // exp(89) > FLT_MAX: overflows to +inf
constexpr float kExpLo = -104.0f;  // exp(-104) < half the smallest denormal: rounds to 0
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f;  // ln 2 = kLn2Hi + kLn2Lo, kLn2Hi exact in 9 bits
constexpr float kLn2Lo = -2.12194440e-4f;
constexpr float kP0 = 1.9875691500e-4f, kP1 = 1.3981999507e-3f, kP2 = 8.3334519073e-3f,
                kP3 = 4.1665795894e-2f, kP4 = 1.6666665459e-1f, kP5 = 5.0000001201e-1f;
// vlog (Cephes' logf): x = 2^e * (1 + m), 1 + m in [sqrt(1/2), sqrt(2)); log x = e * ln 2 +
// m - m^2 / 2 + m^3 * P(m), P of degree 8; within ~1 ulp of libm's logf for normal x. Only
// for positive normal x and NaN (which comes out NaN): the softmax kernels take logs of row
// sums, which are in [1, cols] or NaN.
constexpr float kSqrtHalf = 0.707106781186547524f;
constexpr float kL[9] = {7.0376836292e-2f,  -1.1514610310e-1f, 1.1676998740e-1f,
                         -1.2420140846e-1f, 1.4249322787e-1f,  -1.6668057665e-1f,
                         2.0000714765e-1f,  -2.4999993993e-1f, 3.3333331174e-1f};

// ------------------------------------------------------------------ scalar: Vec = float
namespace scalar {
using Vec = float;
constexpr int kWidth = 1;
inline Vec vset1(float a) { return a; }
inline Vec vload(const float* p) { return *p; }
inline void vstore(float* p, Vec v) { *p = v; }
// Partial vectors never occur with one lane; these exist so generic code compiles.
inline Vec vload_tail(const float* p, index_t, float) { return *p; }
inline void vstore_tail(float* p, Vec v, index_t) { *p = v; }
inline Vec vadd(Vec a, Vec b) { return a + b; }
inline Vec vsub(Vec a, Vec b) { return a - b; }
inline Vec vmul(Vec a, Vec b) { return a * b; }
inline Vec vfma(Vec a, Vec b, Vec c) { return a * b + c; }
// max(x, m) that ignores a NaN in x (the running maximum m is never NaN).
inline Vec vmax(Vec x, Vec m) { return x > m ? x : m; }
inline Vec vdiv(Vec a, Vec b) { return a / b; }
// Lane l = base[idx[l]] (a gather), and lane l = v[idx[l]] (a permutation of lanes): the narrow-row
// kernels of simd_softmax.h read a column of kWidth rows with one and spread per-row values with the other.
inline Vec vgather(const float* base, const int* idx) { return base[idx[0]]; }
inline Vec vpermute(Vec v, const int*) { return v; }
// Lane l = Op over the lanes of r[l], for l < kWidth: kWidth horizontal reductions at once,
// the transpose built into the reduction tree (the narrow-row kernels' row maxima and sums).
template <Vec (*Op)(Vec, Vec)>
inline Vec vreduce_each(const Vec* r) {
  return r[0];
}
// Lanes [0, n) = flat[start + l], the rest 0, where flat[0, nvec * kWidth) was just written by
// whole-vector stores (see avx512::vload_stored).
inline Vec vload_stored(const float* flat, index_t start, index_t, index_t) { return flat[start]; }
inline Vec vlog(Vec x) {
  if (x != x) return x;  // NaN
  std::uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  float e = float(int(bits >> 23) - 126);
  bits = (bits & 0x007fffffu) | 0x3f000000u;  // mantissa in [0.5, 1)
  float m;
  std::memcpy(&m, &bits, sizeof m);
  if (m < kSqrtHalf) {
    e -= 1.0f;
    m = m + m - 1.0f;
  } else {
    m = m - 1.0f;
  }
  const float z = m * m;
  float p = kL[0];
  for (int i = 1; i < 9; ++i) p = p * m + kL[i];
  float y = m * z * p;
  y += kLn2Lo * e;
  y += -0.5f * z;
  return m + y + kLn2Hi * e;
}
inline float vhsum(Vec v) { return v; }
inline float vhmax(Vec v) { return v; }
// ReLU's gradient: g where x > 0 or x is NaN, else 0. Compared as int32 bits, not floats:
// under DAZ a denormal x compares equal to 0.
inline Vec vrelu_grad(Vec g, Vec x) {
  std::int32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits > 0 || x != x ? g : 0.0f;
}
// ReLU itself: x, except +0 where x is negative (-0.0 stays -0.0, NaN stays NaN: torch.relu's
// max(x, 0)). Bits again, as vrelu_grad: under DAZ a negative denormal would compare equal to 0.
inline Vec vrelu(Vec x) {
  std::int32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits > kNegInfBits || bits == kNegZeroBits ? x : 0.0f;
}
// min(x, m) that returns m where x is NaN (as vmax): clamp with vmin(vset1(hi), x) to let NaN through.
inline Vec vmin(Vec x, Vec m) { return x < m ? x : m; }
inline Vec vabs(Vec x) { return std::fabs(x); }
// Lanes where x's sign bit is set take if_neg, the others otherwise.
inline Vec vblend_neg(Vec x, Vec if_neg, Vec otherwise) { return std::signbit(x) ? if_neg : otherwise; }
// a * b - p exactly, p = a * b rounded (the product's rounding error; exact in double).
inline Vec vmul_err(Vec a, Vec b, Vec p) { return float(double(a) * double(b) - double(p)); }
// Non-temporal (streaming) store of a full vector to an address aligned to its size:
// the line goes to memory without first being read into the cache.
inline void vstream(float* p, Vec v) { *p = v; }
inline void vstream_fence() {}

inline float pow2i(int n) {  // 2^n for n in [-126, 127], built from its exponent bits
  const std::uint32_t bits = std::uint32_t(n + 127) << 23;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

inline Vec vexp(Vec x) {
  if (x != x) return x;  // NaN
  x = x > kExpHi ? kExpHi : x;
  x = x < kExpLo ? kExpLo : x;
  // Round to nearest by adding and subtracting 1.5 * 2^23 (exact for |x * log2 e| < 2^22;
  // std::nearbyint would be a libm call on the x86-64 baseline).
  constexpr float kRound = 12582912.0f;
  const float n = (x * kLog2e + kRound) - kRound;
  float r = x - n * kLn2Hi;
  r = r - n * kLn2Lo;
  float p = kP0;
  p = p * r + kP1;
  p = p * r + kP2;
  p = p * r + kP3;
  p = p * r + kP4;
  p = p * r + kP5;
  p = p * (r * r) + r + 1.0f;
  const int ni = int(n), n1 = ni / 2;
  return p * pow2i(n1) * pow2i(ni - n1);
}
}  // namespace scalar

#if PYNEURO_X86_SIMD
// ------------------------------------------------------------------ AVX2 + FMA: 8 floats
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {
using Vec = __m256;
constexpr int kWidth = 8;
inline Vec vset1(float a) { return _mm256_set1_ps(a); }
inline Vec vload(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, Vec v) { _mm256_storeu_ps(p, v); }
// Lanes [0, n) active (0 < n < 8): maskload never touches the memory of inactive lanes.
inline __m256i tail_mask(index_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
inline Vec vload_tail(const float* p, index_t n, float fill) {
  const __m256i m = tail_mask(n);
  return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
}
inline void vstore_tail(float* p, Vec v, index_t n) { _mm256_maskstore_ps(p, tail_mask(n), v); }
inline Vec vadd(Vec a, Vec b) { return _mm256_add_ps(a, b); }
inline Vec vsub(Vec a, Vec b) { return _mm256_sub_ps(a, b); }
inline Vec vmul(Vec a, Vec b) { return _mm256_mul_ps(a, b); }
inline Vec vfma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline Vec vmax(Vec x, Vec m) { return _mm256_max_ps(x, m); }  // NaN in x -> m
inline Vec vdiv(Vec a, Vec b) { return _mm256_div_ps(a, b); }
// A zeroed (not undefined) merge source: otherwise the gather waits for whatever last used its
// register (an exp chain: the cross-entropy kernel ran 3x slower).
inline Vec vgather(const float* base, const int* idx) {
  const __m256i i = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx));
  return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), base, i, _mm256_castsi256_ps(_mm256_set1_epi32(-1)),
                                  4);
}
inline Vec vpermute(Vec v, const int* idx) {
  return _mm256_permutevar8x32_ps(v, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx)));
}
// Three halving steps; each pairs two vectors and folds both with one Op of two shuffles:
// 8 vectors of 8 -> 4 vectors (lanes 0-3 row i, 4-7 row i+4) -> 2 vectors (per 128 bits:
// two lanes of row 2i+4k, two of row 2i+1+4k) -> 1 vector, lane l = row l.
template <Vec (*Op)(Vec, Vec)>
inline Vec vreduce_each(const Vec* r) {
  Vec a[4], c[2];
  for (int i = 0; i < 4; ++i)
    a[i] = Op(_mm256_permute2f128_ps(r[i], r[i + 4], 0x20), _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  for (int i = 0; i < 2; ++i) {
    const __m256d p = _mm256_castps_pd(a[2 * i]), q = _mm256_castps_pd(a[2 * i + 1]);
    c[i] = Op(_mm256_castpd_ps(_mm256_unpacklo_pd(p, q)), _mm256_castpd_ps(_mm256_unpackhi_pd(p, q)));
  }
  return Op(_mm256_shuffle_ps(c[0], c[1], 0x88), _mm256_shuffle_ps(c[0], c[1], 0xDD));
}
// As avx512::vload_stored: each stored vector permuted, then the two blended.
inline Vec vload_stored(const float* flat, index_t start, index_t n, index_t nvec) {
  const index_t v = start / kWidth;
  const __m256i idx =
      _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(int(start % kWidth)));
  const Vec lo = _mm256_permutevar8x32_ps(vload(flat + v * kWidth), idx);  // uses idx mod 8
  const Vec hi = _mm256_permutevar8x32_ps(vload(flat + (v + 1 < nvec ? v + 1 : v) * kWidth), idx);
  const Vec r = _mm256_blendv_ps(lo, hi, _mm256_castsi256_ps(_mm256_cmpgt_epi32(idx, _mm256_set1_epi32(7))));
  return n >= kWidth ? r : _mm256_and_ps(r, _mm256_castsi256_ps(tail_mask(n)));
}
inline Vec vlog(Vec x) {  // as scalar::vlog, lane by lane
  const __m256i bits = _mm256_castps_si256(x);
  Vec e = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(126)));
  Vec m = _mm256_castsi256_ps(
      _mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x007fffff)), _mm256_set1_epi32(0x3f000000)));
  const Vec small = _mm256_cmp_ps(m, _mm256_set1_ps(kSqrtHalf), _CMP_LT_OQ);
  e = _mm256_sub_ps(e, _mm256_and_ps(small, _mm256_set1_ps(1.0f)));
  m = _mm256_add_ps(_mm256_sub_ps(m, _mm256_set1_ps(1.0f)), _mm256_and_ps(small, m));
  const Vec z = _mm256_mul_ps(m, m);
  Vec p = _mm256_set1_ps(kL[0]);
  for (int i = 1; i < 9; ++i) p = _mm256_fmadd_ps(p, m, _mm256_set1_ps(kL[i]));
  Vec y = _mm256_mul_ps(_mm256_mul_ps(m, z), p);
  y = _mm256_fmadd_ps(_mm256_set1_ps(kLn2Lo), e, y);
  y = _mm256_fmadd_ps(_mm256_set1_ps(-0.5f), z, y);
  const Vec r = _mm256_fmadd_ps(_mm256_set1_ps(kLn2Hi), e, _mm256_add_ps(m, y));
  return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));  // NaN stays NaN
}
inline float vhsum(Vec v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline float vhmax(Vec v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}
inline Vec vrelu_grad(Vec g, Vec x) {
  const __m256i positive = _mm256_cmpgt_epi32(_mm256_castps_si256(x), _mm256_setzero_si256());
  const Vec keep = _mm256_or_ps(_mm256_castsi256_ps(positive), _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
  return _mm256_and_ps(keep, g);
}
inline Vec vrelu(Vec x) {  // as scalar::vrelu: keep x where its bits exceed -inf's, or it is -0.0
  const __m256i b = _mm256_castps_si256(x);
  const __m256i keep = _mm256_or_si256(_mm256_cmpgt_epi32(b, _mm256_set1_epi32(kNegInfBits)),
                                       _mm256_cmpeq_epi32(b, _mm256_set1_epi32(kNegZeroBits)));
  return _mm256_and_ps(_mm256_castsi256_ps(keep), x);
}
inline Vec vmin(Vec x, Vec m) { return _mm256_min_ps(x, m); }  // NaN in x -> m
inline Vec vabs(Vec x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x); }
inline Vec vblend_neg(Vec x, Vec if_neg, Vec otherwise) { return _mm256_blendv_ps(otherwise, if_neg, x); }
inline Vec vmul_err(Vec a, Vec b, Vec p) { return _mm256_fmsub_ps(a, b, p); }
inline void vstream(float* p, Vec v) { _mm256_stream_ps(p, v); }
inline void vstream_fence() { _mm_sfence(); }

inline Vec vexp(Vec x) {
  x = _mm256_min_ps(_mm256_set1_ps(kExpHi), x);  // NaN passes (second operand)
  x = _mm256_max_ps(_mm256_set1_ps(kExpLo), x);
  const Vec n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  Vec r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Hi), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Lo), r);
  Vec p = _mm256_set1_ps(kP0);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP1));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP2));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP5));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r);
  p = _mm256_add_ps(p, _mm256_set1_ps(1.0f));
  // 2^n = 2^n1 * 2^n2 with n1 = n >> 1: both stay normal floats for n in [-151, 128].
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i n1 = _mm256_srai_epi32(ni, 1);
  const __m256i n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const Vec s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const Vec s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}
}  // namespace avx2
#pragma GCC pop_options

// ------------------------------------------------------------------ AVX-512: 16 floats
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")
namespace avx512 {
using Vec = __m512;
constexpr int kWidth = 16;
inline Vec vset1(float a) { return _mm512_set1_ps(a); }
inline Vec vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, Vec v) { _mm512_storeu_ps(p, v); }
// Lanes [0, n) active (0 < n < 16). Masked-off lanes are never read or written, so a
// row's tail needs no scalar loop and no padding.
inline __mmask16 tail_mask(index_t n) { return __mmask16((1u << n) - 1u); }
inline Vec vload_tail(const float* p, index_t n, float fill) {
  return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), tail_mask(n), p);
}
inline void vstore_tail(float* p, Vec v, index_t n) { _mm512_mask_storeu_ps(p, tail_mask(n), v); }
inline Vec vadd(Vec a, Vec b) { return _mm512_add_ps(a, b); }
inline Vec vsub(Vec a, Vec b) { return _mm512_sub_ps(a, b); }
inline Vec vmul(Vec a, Vec b) { return _mm512_mul_ps(a, b); }
inline Vec vfma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline Vec vmax(Vec x, Vec m) { return _mm512_max_ps(x, m); }  // NaN in x -> m
inline Vec vdiv(Vec a, Vec b) { return _mm512_div_ps(a, b); }
inline Vec vgather(const float* base, const int* idx) {  // zeroed merge source, as avx2::vgather
  return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), __mmask16(0xffff), _mm512_loadu_si512(idx), base, 4);
}
inline Vec vpermute(Vec v, const int* idx) { return _mm512_permutexvar_ps(_mm512_loadu_si512(idx), v); }
// Four halving steps, as avx2::vreduce_each with one more: 16 vectors -> 8 (lanes 0-7 row
// 8h+i, 8-15 row 8h+i+4) -> 4 (128-bit block k: row i+4k) -> 2 (per block: two lanes of row
// 2i+4k, two of row 2i+1+4k) -> 1, lane l = row l. 30 shuffles and 15 Ops for 16 rows, where
// a gather per column costs ~20 cycles on Zen 5 (3x slower at 8192x10).
template <Vec (*Op)(Vec, Vec)>
inline Vec vreduce_each(const Vec* r) {
  Vec a[8], b[4], c[2];
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 4; ++i) {
      const Vec p = r[8 * h + i], q = r[8 * h + i + 4];
      a[4 * h + i] = Op(_mm512_shuffle_f32x4(p, q, 0x44), _mm512_shuffle_f32x4(p, q, 0xEE));
    }
  for (int i = 0; i < 4; ++i)
    b[i] = Op(_mm512_shuffle_f32x4(a[i], a[i + 4], 0x88), _mm512_shuffle_f32x4(a[i], a[i + 4], 0xDD));
  for (int i = 0; i < 2; ++i) {
    const __m512d p = _mm512_castps_pd(b[2 * i]), q = _mm512_castps_pd(b[2 * i + 1]);
    c[i] = Op(_mm512_castpd_ps(_mm512_unpacklo_pd(p, q)), _mm512_castpd_ps(_mm512_unpackhi_pd(p, q)));
  }
  return Op(_mm512_shuffle_ps(c[0], c[1], 0x88), _mm512_shuffle_ps(c[0], c[1], 0xDD));
}
// Lanes [0, n) = flat[start + l], the rest 0, where flat[0, nvec * kWidth) was just written by
// whole-vector stores: one two-source permute of the two stored vectors around start. A load
// of flat + start would straddle two stores still in the store buffer, which cannot forward
// to it: it waits for both to reach L1 (the narrow softmax ran at half speed on Zen 5).
inline Vec vload_stored(const float* flat, index_t start, index_t n, index_t nvec) {
  const index_t v = start / kWidth;
  const __m512i idx =
      _mm512_add_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                       _mm512_set1_epi32(int(start % kWidth)));
  const Vec lo = vload(flat + v * kWidth), hi = vload(flat + (v + 1 < nvec ? v + 1 : v) * kWidth);
  return _mm512_maskz_permutex2var_ps(n >= kWidth ? __mmask16(0xffff) : tail_mask(n), lo, idx, hi);
}
inline Vec vlog(Vec x) {  // as scalar::vlog, lane by lane
  const __m512i bits = _mm512_castps_si512(x);
  Vec e = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_srli_epi32(bits, 23), _mm512_set1_epi32(126)));
  Vec m = _mm512_castsi512_ps(
      _mm512_or_si512(_mm512_and_si512(bits, _mm512_set1_epi32(0x007fffff)), _mm512_set1_epi32(0x3f000000)));
  const __mmask16 small = _mm512_cmp_ps_mask(m, _mm512_set1_ps(kSqrtHalf), _CMP_LT_OQ);
  e = _mm512_mask_sub_ps(e, small, e, _mm512_set1_ps(1.0f));
  m = _mm512_mask_add_ps(_mm512_sub_ps(m, _mm512_set1_ps(1.0f)), small,
                         _mm512_sub_ps(m, _mm512_set1_ps(1.0f)), m);
  const Vec z = _mm512_mul_ps(m, m);
  Vec p = _mm512_set1_ps(kL[0]);
  for (int i = 1; i < 9; ++i) p = _mm512_fmadd_ps(p, m, _mm512_set1_ps(kL[i]));
  Vec y = _mm512_mul_ps(_mm512_mul_ps(m, z), p);
  y = _mm512_fmadd_ps(_mm512_set1_ps(kLn2Lo), e, y);
  y = _mm512_fmadd_ps(_mm512_set1_ps(-0.5f), z, y);
  const Vec r = _mm512_fmadd_ps(_mm512_set1_ps(kLn2Hi), e, _mm512_add_ps(m, y));
  return _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);  // NaN stays NaN
}
inline float vhsum(Vec v) { return _mm512_reduce_add_ps(v); }
inline float vhmax(Vec v) { return _mm512_reduce_max_ps(v); }
inline Vec vrelu_grad(Vec g, Vec x) {
  const __mmask16 keep = _mm512_cmpgt_epi32_mask(_mm512_castps_si512(x), _mm512_setzero_si512()) |
                         _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  return _mm512_maskz_mov_ps(keep, g);
}
inline Vec vrelu(Vec x) {  // as scalar::vrelu
  const __m512i b = _mm512_castps_si512(x);
  const __mmask16 keep = _mm512_cmpgt_epi32_mask(b, _mm512_set1_epi32(kNegInfBits)) |
                         _mm512_cmpeq_epi32_mask(b, _mm512_set1_epi32(kNegZeroBits));
  return _mm512_maskz_mov_ps(keep, x);
}
inline Vec vmin(Vec x, Vec m) { return _mm512_min_ps(x, m); }  // NaN in x -> m
inline Vec vabs(Vec x) { return _mm512_abs_ps(x); }
inline Vec vblend_neg(Vec x, Vec if_neg, Vec otherwise) {
  return _mm512_mask_blend_ps(_mm512_movepi32_mask(_mm512_castps_si512(x)), otherwise, if_neg);
}
inline Vec vmul_err(Vec a, Vec b, Vec p) { return _mm512_fmsub_ps(a, b, p); }
inline void vstream(float* p, Vec v) { _mm512_stream_ps(p, v); }
inline void vstream_fence() { _mm_sfence(); }

inline Vec vexp(Vec x) {
  x = _mm512_min_ps(_mm512_set1_ps(kExpHi), x);  // NaN passes (second operand)
  x = _mm512_max_ps(_mm512_set1_ps(kExpLo), x);
  const Vec n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  Vec r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Hi), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Lo), r);
  Vec p = _mm512_set1_ps(kP0);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP1));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP2));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP5));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r);
  p = _mm512_add_ps(p, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);  // p * 2^n, with IEEE overflow, denormals and underflow
}
}  // namespace avx512
#pragma GCC pop_options
#endif  // PYNEURO_X86_SIMD

}  // namespace
}  // namespace pyneuro::simd

namespace pyneuro::simd {

// A hint to bring the line at p into the cache: Level 2 = L2 (moderate temporal locality),
// 3 = L1 (needed within microseconds). It never faults, so p may point past the end of an
// array. A no-op for compilers without the builtin.
template <int Level>
inline void prefetch(const void* p) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p, 0, Level);
#else
  (void)p;
#endif
}
inline void prefetch_l2(const void* p) { prefetch<2>(p); }
inline void prefetch_l1(const void* p) { prefetch<3>(p); }

// The instruction set the kernels dispatch to (pyneuro::simd_path(), read once).
enum class Isa { Scalar, Avx2, Avx512 };

inline Isa active_isa() {
  static const Isa isa = [] {
    const char* p = simd_path();
    if (PYNEURO_X86_SIMD && std::strcmp(p, "avx512") == 0) return Isa::Avx512;
    if (PYNEURO_X86_SIMD && std::strcmp(p, "avx2") == 0) return Isa::Avx2;
    return Isa::Scalar;
  }();
  return isa;
}

}  // namespace pyneuro::simd

// PYNEURO_SIMD_DISPATCH(expr): evaluates expr inside the namespace of the active ISA's
// kernels (scalar_impl, avx2_impl or avx512_impl, which each kernel file defines).
#if PYNEURO_X86_SIMD
#define PYNEURO_SIMD_DISPATCH(expr)          \
  do {                                       \
    switch (::pyneuro::simd::active_isa()) { \
      case ::pyneuro::simd::Isa::Avx512:     \
        avx512_impl::expr;                   \
        break;                               \
      case ::pyneuro::simd::Isa::Avx2:       \
        avx2_impl::expr;                     \
        break;                               \
      default:                               \
        scalar_impl::expr;                   \
        break;                               \
    }                                        \
  } while (0)
#else
#define PYNEURO_SIMD_DISPATCH(expr) scalar_impl::expr
#endif

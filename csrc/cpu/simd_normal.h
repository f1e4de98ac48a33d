// simd_normal.h: the Box-Muller kernel of normal.cpp, written as plain loops that the compiler
// vectorises for the instruction set it is compiling for (the 8 pairs of a block: one AVX2
// vector; the double steps two). Included once per instruction set by normal.cpp, as
// simd_elementwise.h is by elementwise.cpp, so no include guard. normal.cpp is compiled with
// -ffp-contract=off: every rounding below is the reference's (see there).

inline float fused(float a, float b, float c) { return float(double(a) * double(b) + double(c)); }

inline std::int32_t bits_of(float x) {
  std::int32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

inline float float_of(std::int32_t b) {
  float x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

constexpr double kLogP[9] = {7.0376836292e-2f,  -1.1514610310e-1f, 1.1676998740e-1f,
                             -1.2420140846e-1f, 1.4249322787e-1f,  -1.6668057665e-1f,
                             2.0000714765e-1f,  -2.4999993993e-1f, 3.3333331174e-1f};

// Natural log of a positive float (cephes): x = m 2^e, m in [sqrt(1/2), sqrt(2)), then a
// degree-9 polynomial in m - 1. Denormals are read as the smallest normal, as the reference.
float log_f32(float x) {
  const float smallest = float_of(0x00800000);
  x = x > smallest ? x : smallest;
  const std::int32_t b = bits_of(x);
  float e = float((b >> 23) - 0x7F) + 1.0f;
  float m = float_of((b & ~0x7F800000) | bits_of(0.5f));  // in [0.5, 1)
  const bool small = m < 0.707106781186547524f;
  e = e - (small ? 1.0f : 0.0f);
  m = (m - 1.0f) + (small ? m : 0.0f);  // m - 1, or 2m - 1 when m < sqrt(1/2)
  const float z = m * m;
  float y = float(kLogP[0]);
  for (int k = 1; k < 9; ++k) y = float(double(y) * double(m) + kLogP[k]);
  const float ym = y * m;
  const float ec = e * -2.12194440e-4f;
  y = fused(ym, z, ec);
  y = fused(-z, 0.5f, y);
  const float my = m + y;
  return fused(e, 0.693359375f, my);
}

// (sin x, cos x) for float x >= 0 (cephes): reduce by multiples of pi/4 (pi/4 in three parts),
// then one of two polynomials, the signs from the octant.
void sincos_f32(float x, float* s_out, float* c_out) {
  const float scaled = x * 1.27323954473516f;
  std::int32_t j = std::int32_t(scaled);  // truncated, as the reference's astype(int32)
  j = (j + 1) & ~1;
  const float y = float(j);
  float r = fused(y, -0.78515625f, x);
  r = fused(y, -2.4187564849853515625e-4f, r);
  r = fused(y, -3.77489497744594108e-8f, r);
  const float z = r * r;
  float cp = fused(2.443315711809948e-5f, z, -1.388731625493765e-3f);
  cp = fused(cp, z, 4.166664568298827e-2f);
  const float cpz = cp * z;
  const float half_z = z * 0.5f;
  cp = fused(cpz, z, -half_z) + 1.0f;
  float sp = fused(-1.9515295891e-4f, z, 8.3321608736e-3f);
  sp = fused(sp, z, -1.6666654611e-1f);
  const float spz = sp * z;
  sp = fused(spz, r, r);
  const bool first = (j & 2) == 0;
  float s = first ? sp : cp;
  float c = first ? cp : sp;
  if ((j & 4) != 0) s = -s;
  if ((~(j - 2) & 4) != 0) c = -c;
  *s_out = s;
  *c_out = c;
}

// Blocks [begin, end) of 16 uniforms -> normals, in place (float32: the polynomials above).
void box_muller_f32_blocks(float* data, index_t begin, index_t end, float mean, float std) {
  const float two_pi = float(2.0 * 3.14159265358979323846);
  for (index_t b = begin; b < end; ++b) {
    float* u = data + b * 16;
    for (int k = 0; k < 8; ++k) {  // the 8 pairs of a block: one vector on AVX2
      const float radius = std::sqrt(-2.0f * log_f32(1.0f - u[k]));
      float s, c;
      sincos_f32(two_pi * u[k + 8], &s, &c);
      const float rc = radius * c, rs = radius * s;
      u[k] = fused(rc, std, mean);
      u[k + 8] = fused(rs, std, mean);
    }
  }
}

// simd_elementwise.h: the range kernels of elementwise.cpp, written as plain loops that the
// compiler vectorises for the instruction set it is compiling for.
//
// No include guard on purpose: elementwise.cpp includes this file once per instruction set
// (scalar/baseline, AVX2, AVX-512), each time under that ISA's `#pragma GCC target`, so GCC's
// auto-vectoriser emits 4-, 8- or 16-wide code from the same source. These kernels move
// 8-28 bytes per element for 1-10 FLOPs: they are bandwidth-bound, and the job is to touch
// each byte once, with no temporaries (NumPy's `np.where(x <= 0, 0, g)` writes a boolean
// array and then reads it back). Branches that do not depend on the element (momentum,
// nesterov, ...) are hoisted out of the loops, so every loop body is branch-free.
// Include nothing here; elementwise.cpp includes the headers, defines SgdArgs/AdamArgs and
// brings simd.h's vector vocabulary (Vec, vload, ...) into scope.

// ReLU compares through the bit pattern, not with `x < 0`: the kernels run with DAZ
// (denormals-are-zero, see FlushToZeroScope), under which -1e-45 < 0 is false. As an int32,
// a float is <= 0 exactly when its sign bit is set or it is +0 -- or it is a negative NaN,
// hence the extra x == x (NaN compares unequal to itself, DAZ or not).
inline bool at_most_zero(float x) {
  std::int32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits <= 0 && x == x;
}

// relu(x): x, except +0 where x is negative. -0.0 stays -0.0 (as torch.relu's max(x, 0):
// 1 / relu(-0.0) is -inf there too) and NaN stays NaN; bits again (a negative denormal is
// negative, DAZ or not). The same rule as simd.h's vrelu, one float at a time.
inline float relu_value(float x) {
  std::int32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits > simd::kNegInfBits || bits == simd::kNegZeroBits ? x : 0.0f;
}

// With stream (outputs of at least kStreamMinFloats, elementwise.cpp), ReLU writes with
// streaming (non-temporal) stores: such an output cannot stay in cache anyway, and a normal
// store first reads each line it writes (16 instead of 12 bytes of traffic per element for
// ReLU backward; measured 0.87-0.94 ms instead of 1.07-1.81 ms at 4096x1024, 2 threads).
// The values are the same either way.

// y = relu_value(x): max(x, 0) with torch's -0.0; NaN propagates, as in torch.relu.
void relu_forward_range(const float* x, float* y, index_t begin, index_t end, bool stream) {
  index_t i = begin;
  if (stream) {  // as in relu_backward_range below
    for (; i < end && reinterpret_cast<std::uintptr_t>(y + i) % (kWidth * sizeof(float)) != 0; ++i)
      y[i] = relu_value(x[i]);
    for (; i + kWidth <= end; i += kWidth) vstream(y + i, vrelu(vload(x + i)));
    vstream_fence();
  }
  for (; i < end; ++i) y[i] = relu_value(x[i]);
}

// grad_x = x <= 0 ? 0 : grad_y (a NaN x lets the gradient through, like the reference).
void relu_backward_range(const float* gy, const float* x, float* gx, index_t begin, index_t end,
                         bool stream) {
  index_t i = begin;
  if (stream) {
    // Scalar head up to a vector-aligned output address, then aligned streaming stores.
    for (; i < end && reinterpret_cast<std::uintptr_t>(gx + i) % (kWidth * sizeof(float)) != 0; ++i)
      gx[i] = at_most_zero(x[i]) ? 0.0f : gy[i];
    for (; i + kWidth <= end; i += kWidth) vstream(gx + i, vrelu_grad(vload(gy + i), vload(x + i)));
    vstream_fence();
  }
  for (; i < end; ++i) gx[i] = at_most_zero(x[i]) ? 0.0f : gy[i];
}

// The matmul epilogue (pyneuro/matmul.h) on rows x cols of C, row stride ldc, in place: + bias
// (as bias_add_rows), then relu (as relu_forward_range), then the mask of a ReLU output (as
// relu_backward_range, whose x is the mask): the same bits as those passes after the matmul.
// Written with vectors, not left to the auto-vectoriser: it runs on one C tile at a time (8 x 32
// floats, still in L1), a row of two vectors, each loaded once, passed through bias, relu and
// mask in registers and stored once (a masked load and store at a ragged row end). The three
// scalar loops compiled to code whose speed changed with the rule inside them: with relu_value
// (-0.0 kept) bias + relu on 128x10 @ 10x256 took 21 us on one thread instead of 14 (Zen 4).
void epilogue_rows(float* c, index_t ldc, index_t rows, index_t cols, const float* bias, bool relu,
                   const float* mask) {
  for (index_t r = 0; r < rows; ++r) {
    float* row = c + r * ldc;
    const float* m = mask ? mask + r * ldc : nullptr;
    for (index_t j = 0; j < cols; j += kWidth) {
      const index_t n = cols - j;  // (kWidth 1, the scalar build: always a full vector)
      const bool full = n >= kWidth;
      Vec v = full ? vload(row + j) : vload_tail(row + j, n, 0.0f);
      if (bias) v = vadd(v, full ? vload(bias + j) : vload_tail(bias + j, n, 0.0f));
      if (relu) v = vrelu(v);
      if (m) v = vrelu_grad(v, full ? vload(m + j) : vload_tail(m + j, n, 1.0f));
      if (full)
        vstore(row + j, v);
      else
        vstore_tail(row + j, v, n);
    }
  }
}

void bias_add_rows(const float* x, const float* b, float* y, index_t cols, index_t begin, index_t end) {
  for (index_t i = begin; i < end; ++i) {
    const float* xr = x + i * cols;
    float* yr = y + i * cols;
    for (index_t j = 0; j < cols; ++j) yr[j] = xr[j] + b[j];
  }
}

// grad_b[j] = sum_i grad_y[i, j] for columns [begin, end). Each column is summed in row
// order (storing and reloading a partial sum does not change it), so the result does not
// depend on how the columns were split over threads. The loop nest is tiled: for a block
// of kRowBlock rows, a strip of kStrip vectors of columns is accumulated in registers (loads
// only), then added to grad_b; the block's rows stream through the cache side by side, and
// grad_b is loaded and stored once per block instead of once per row.
void bias_grad_cols(const float* gy, float* gb, index_t rows, index_t cols, index_t begin, index_t end) {
  constexpr int kStrip = 8;
  constexpr index_t kStripCols = kStrip * kWidth;
  constexpr index_t kRowBlock = 32;
  for (index_t j = begin; j < end; ++j) gb[j] = 0.0f;
  for (index_t i0 = 0; i0 < rows; i0 += kRowBlock) {
    const index_t i1 = rows - i0 < kRowBlock ? rows : i0 + kRowBlock;
    index_t j0 = begin;
    for (; j0 + kStripCols <= end; j0 += kStripCols) {
      Vec acc[kStrip];
      for (int k = 0; k < kStrip; ++k) acc[k] = vload(gb + j0 + k * kWidth);
      for (index_t i = i0; i < i1; ++i) {
        const float* gr = gy + i * cols + j0;
        for (int k = 0; k < kStrip; ++k) acc[k] = vadd(acc[k], vload(gr + k * kWidth));
      }
      for (int k = 0; k < kStrip; ++k) vstore(gb + j0 + k * kWidth, acc[k]);
    }
    // The last, narrower strip: whole vectors and a masked last one, where there is at least
    // one whole vector (512x1000: 229 -> 117 us). Narrower (a 10-class layer) the scalar loop
    // stays: one vector a row is one dependency chain through the rows (8192x10: 19 -> 23 us).
    if (end - j0 < kWidth) {
      for (index_t i = i0; i < i1; ++i) {
        const float* gr = gy + i * cols;
        for (index_t j = j0; j < end; ++j) gb[j] += gr[j];
      }
    } else if (j0 < end) {
      const index_t rem = end - j0;
      const int full = int(rem / kWidth), part = int(rem % kWidth);
      Vec acc[kStrip];
      for (int k = 0; k < full; ++k) acc[k] = vload(gb + j0 + k * kWidth);
      if (part) acc[full] = vload_tail(gb + j0 + full * kWidth, part, 0.0f);
      for (index_t i = i0; i < i1; ++i) {
        const float* gr = gy + i * cols + j0;
        for (int k = 0; k < full; ++k) acc[k] = vadd(acc[k], vload(gr + k * kWidth));
        if (part) acc[full] = vadd(acc[full], vload_tail(gr + full * kWidth, part, 0.0f));
      }
      for (int k = 0; k < full; ++k) vstore(gb + j0 + k * kWidth, acc[k]);
      if (part) vstore_tail(gb + j0 + full * kWidth, acc[full], part);
    }
  }
}

// torch.optim.SGD on [begin, end); see elementwise.h for the formula. Like the reference,
// weight_decay == 0 uses grad as it is (0 * inf would turn an infinite param into NaN).
void sgd_range(float* p, const float* grad, float* buf, const SgdArgs& a, index_t begin, index_t end) {
  const float lr = a.lr, wd = a.weight_decay, mom = a.momentum, keep = 1.0f - a.dampening;
  if (mom == 0.0f) {
    for (index_t i = begin; i < end; ++i) p[i] -= lr * (wd != 0.0f ? grad[i] + wd * p[i] : grad[i]);
  } else if (a.first_step) {  // buf = g
    for (index_t i = begin; i < end; ++i) {
      const float g = wd != 0.0f ? grad[i] + wd * p[i] : grad[i];
      buf[i] = g;
      p[i] -= lr * (a.nesterov ? g + mom * g : g);
    }
  } else if (a.nesterov) {
    for (index_t i = begin; i < end; ++i) {
      const float g = wd != 0.0f ? grad[i] + wd * p[i] : grad[i];
      const float b = mom * buf[i] + keep * g;
      buf[i] = b;
      p[i] -= lr * (g + mom * b);
    }
  } else {
    for (index_t i = begin; i < end; ++i) {
      const float g = wd != 0.0f ? grad[i] + wd * p[i] : grad[i];
      const float b = mom * buf[i] + keep * g;
      buf[i] = b;
      p[i] -= lr * b;
    }
  }
}

// torch.optim.Adam on [begin, end): 4 arrays read, 3 written, one sqrt and one divide.
void adam_range(float* p, const float* grad, float* m, float* v, const AdamArgs& a, index_t begin,
                index_t end) {
  const float b1 = a.beta1, b2 = a.beta2, c1 = a.one_minus_beta1, c2 = a.one_minus_beta2;
  for (index_t i = begin; i < end; ++i) {
    const float g = a.weight_decay != 0.0f ? grad[i] + a.weight_decay * p[i] : grad[i];
    const float mi = b1 * m[i] + c1 * g;
    const float vi = b2 * v[i] + c2 * g * g;
    m[i] = mi;
    v[i] = vi;
    p[i] -= a.step_size * mi / (std::sqrt(vi) * a.inv_sqrt_bc2 + a.eps);
  }
}

// torch.optim.Adadelta on [begin, end): 4 arrays read, 3 written, two square roots and a
// divide per element, in one pass (the NumPy form in optim/adadelta.py makes ~16 passes):
//   g = sign * grad + weight_decay * p;  v = rho v + (1 - rho) g^2
//   dx = sqrt(u + eps) / sqrt(v + eps) * g;  u = rho u + (1 - rho) dx^2;  p -= lr dx
void adadelta_range(float* p, const float* grad, float* v, float* u, const AdadeltaArgs& a, index_t begin,
                    index_t end) {
  const float rho = a.rho, keep = a.one_minus_rho, eps = a.eps, wd = a.weight_decay, lr = a.lr;
  for (index_t i = begin; i < end; ++i) {
    const float g = wd != 0.0f ? a.sign * grad[i] + wd * p[i] : a.sign * grad[i];
    const float vi = rho * v[i] + keep * (g * g);
    const float dx = std::sqrt(u[i] + eps) / std::sqrt(vi + eps) * g;
    v[i] = vi;
    u[i] = rho * u[i] + keep * (dx * dx);
    p[i] -= lr * dx;
  }
}

// Order key of a non-NaN float as an int32, DAZ-proof like at_most_zero: positive floats
// order like their bits; a negative one maps to minus its magnitude bits, so -0 == +0.
// Written as a select (no branch), so the loops below vectorise.
inline std::int32_t order_key(float x) {
  std::int32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  const std::int32_t neg = -(bits & 0x7fffffff);
  return bits < 0 ? neg : bits;
}

// Index of the first maximum of each row; the first NaN wins (NumPy's and torch's rule).
// A compare-and-branch scan cannot vectorise (each step depends on the last), so a row is
// read twice instead, both times as branch-free SIMD loops: pass 1 reduces the row to its
// largest order key and a "has NaN" flag; pass 2 looks for the first element equal to that
// key (or the first NaN), kChunk elements at a time -- a vector OR-reduction per chunk and a
// short scalar scan only inside the chunk that hits. The row is in L1/L2 for pass 2, which
// stops at the hit: about 1.5 reads per element at vector speed, against one read at one
// element per cycle for the scalar scan (4096 x 1024: ~5x faster).
template <class Hit>
index_t first_hit(const float* r, index_t cols, Hit hit) {
  constexpr index_t kChunk = 64;
  for (index_t j0 = 0; j0 < cols; j0 += kChunk) {
    const index_t j1 = std::min(cols, j0 + kChunk);
    int any = 0;
    for (index_t j = j0; j < j1; ++j) any |= hit(r[j]);
    if (any) {
      for (index_t j = j0; j < j1; ++j)
        if (hit(r[j])) return j;
    }
  }
  return 0;
}

void argmax_rows(const float* x, std::int64_t* out, index_t cols, index_t begin, index_t end) {
  for (index_t i = begin; i < end; ++i) {
    const float* r = x + i * cols;
    std::int32_t best_key = std::numeric_limits<std::int32_t>::min();
    int has_nan = 0;
    for (index_t j = 0; j < cols; ++j) {
      const float v = r[j];
      has_nan |= v != v;
      best_key = std::max(best_key, order_key(v));
    }
    out[i] = has_nan ? first_hit(r, cols, [](float v) { return int(v != v); })
                     : first_hit(r, cols, [best_key](float v) { return int(order_key(v) == best_key); });
  }
}

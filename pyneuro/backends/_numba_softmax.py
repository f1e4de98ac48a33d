"""Numba kernels of the softmax family: softmax, log_softmax, cross-entropy (fused).

What they compute, per row x of a (rows, cols) float32 array (m = max x, s = sum exp(x - m)):

    softmax       y = exp(x - m) / s                 forward: ~4 FLOPs + 1 exp per element
    log_softmax   y = (x - m) - log(s)
    cross-entropy loss = m + log(s) - x[target]       (softmax is never materialised)
                  grad = (exp(x - m) / s - onehot(target)) * grad_loss
    backward      softmax:     gx = y * (g - sum(g * y));  log_softmax: gx = g - exp(y) * sum(g)

Bytes: forward kernels read x once or twice and write y once (8-12 bytes per element);
the rows of a typical batch fit in L1/L2, so the cost is the exp: it is computed here by
`_exp`, a polynomial that LLVM can vectorise (numba's math.exp becomes a scalar libm
call per element, ~5-10x slower in these loops).

Optimisations and why they help:
* Subtracting the row max (the log-sum-exp trick) keeps exp's argument <= 0, so logits
  of 1e4 give finite results.
* Online softmax (Milakov & Gimelshein, 2018): the max and the sum of exps are found in
  ONE pass over x; when a larger max m' appears the running sum is rescaled by
  exp(m - m'). We do this per chunk of CHUNK elements (chunk max first, then a
  vectorised sum of exps), so the rescale costs one scalar exp per chunk, not per
  element. Cross-entropy forward is then a single pass over the logits; softmax needs a
  second pass to write y. The "three_pass" variant (max; exp and sum, storing exp in y;
  scale y) is the textbook form, kept for comparison.
* Parallelism is over rows (prange): each row is reduced by one thread in a fixed
  order, so results are bit-identical for every thread count.

NaN and infinities follow the NumPy reference: a NaN in a row makes the whole row NaN;
a row holding +inf, or a row of only -inf, gives NaN (inf - inf); -inf entries of an
otherwise finite row give probability 0.
"""
from __future__ import annotations

import numpy as np
from numba import prange

from ._numba_jit import helper, kernel

CHUNK = 256  # elements per online-softmax chunk: 4 AVX-512 vectors, small enough for registers

# Constants of the Cephes/SLEEF-style float32 exp.
_LOG2E = np.float32(1.44269504088896341)
_LN2_HI = np.float32(0.693359375)      # ln 2 split in two: n * LN2_HI is exact for |n| < 2^9
_LN2_LO = np.float32(-2.12194440e-4)
_EXP_HI = np.float32(88.72283)         # above: exp overflows float32 -> +inf
_EXP_LO = np.float32(-88.0)            # below (~2^-126): flushed to 0, like the C++ FTZ mode
_INF = np.float32(np.inf)


@helper(fastmath={"contract"})  # NOT reassoc: that would undo the exact range reduction
def _exp(t):
    """exp(t) for float32 t, vectorisable (no calls, no branches: only selects).

    exp(t) = 2^n * exp(r), n = round(t / ln 2), r = t - n ln 2 in [-ln2/2, ln2/2];
    exp(r) is a degree-7 polynomial (max error ~1 ulp); 2^n is built from its exponent
    bits. Results below ~2^-126 flush to zero; NaN stays NaN; +inf gives inf, -inf 0.
    """
    tc = t if t > _EXP_LO else _EXP_LO          # also maps NaN -> _EXP_LO (fixed below)
    tc = tc if tc < _EXP_HI else _EXP_HI
    n = np.floor(tc * _LOG2E + np.float32(0.5))
    r = tc - n * _LN2_HI
    r = r - n * _LN2_LO
    p = np.float32(1.9875691500e-4)
    p = p * r + np.float32(1.3981999507e-3)
    p = p * r + np.float32(8.3334519073e-3)
    p = p * r + np.float32(4.1665795894e-2)
    p = p * r + np.float32(1.6666665459e-1)
    p = p * r + np.float32(5.0000001201e-1)
    p = p * r * r + r + np.float32(1.0)
    # 2^(n-1) from its bits (biased exponent n-1+127, clamped at 0 -> 0.0), times 2:
    # splitting the power keeps n = 128 (t near 88.7) finite.
    e = np.int32(n) + np.int32(126)
    e = e if e > 0 else np.int32(0)
    scale = np.int32(e << 23).view(np.float32)
    y = (p * scale) * np.float32(2.0)
    y = y if t <= _EXP_HI else _INF
    return y if t == t else t


@helper()
def _row_max(x):
    """Max of a row; NaN if the row holds a NaN; -inf for an empty row. Vectorised.

    Numba's LLVM does not vectorise a floating-point max reduction (that needs
    function-wide no-NaN attributes), but it does vectorise an integer one. IEEE floats
    are sign-magnitude: flipping the 31 value bits of the negative ones gives int32 keys
    that sort exactly like the floats (-inf < ... < -0.0 < +0.0 < ... < +inf), so the max
    is found on the keys and turned back into a float by the same flip. NaNs (exponent
    all ones, mantissa not zero) are counted in the same pass.
    """
    bits = x.view(np.int32)
    low31 = np.int32(0x7FFFFFFF)
    best = np.int32(-2139095041)        # the key of -inf (0xFF800000 flipped)
    nans = 0
    for j in range(bits.shape[0]):
        b = bits[j]
        key = b ^ ((b >> 31) & low31)
        best = key if key > best else best
        nans += (b & low31) > np.int32(0x7F800000)
    if nans:
        return np.float32(np.nan)
    return np.int32(best ^ ((best >> 31) & low31)).view(np.float32)


@helper()
def _sum_exp(x, m):
    """sum(exp(x - m)) over a row (reassociated into vector partial sums)."""
    acc = np.float32(0.0)
    for j in range(x.shape[0]):
        acc += _exp(x[j] - m)
    return acc


@helper()
def _online_max_sum(x):
    """(m, s): row max and sum(exp(x - m)) in one pass, chunk by chunk (online softmax).

    A NaN anywhere gives (NaN, NaN), so every output of the row is NaN.
    """
    m = -_INF
    s = np.float32(0.0)
    for c0 in range(0, x.shape[0], CHUNK):
        chunk = x[c0:c0 + CHUNK]        # a slice: indices from 0, so the loops vectorise
        cm = _row_max(chunk)
        if cm != cm:
            return cm, cm
        if cm > m:                      # a new maximum: rescale what was summed so far
            s = s * _exp(m - cm)
            m = cm
        s += _sum_exp(chunk, m)
    return m, s


@kernel()
def softmax_online(x, y):
    for i in prange(x.shape[0]):
        m, s = _online_max_sum(x[i])
        inv = np.float32(1.0) / s
        xi, yi = x[i], y[i]
        for j in range(x.shape[1]):
            yi[j] = _exp(xi[j] - m) * inv


@kernel()
def softmax_three_pass(x, y):
    for i in prange(x.shape[0]):
        xi, yi = x[i], y[i]
        m = _row_max(xi)                        # pass 1: max
        s = np.float32(0.0)
        for j in range(x.shape[1]):             # pass 2: exp, stored, and summed
            e = _exp(xi[j] - m)
            yi[j] = e
            s += e
        inv = np.float32(1.0) / s
        for j in range(x.shape[1]):             # pass 3: normalise
            yi[j] *= inv


@kernel()
def log_softmax_forward(x, y):
    for i in prange(x.shape[0]):
        m, s = _online_max_sum(x[i])
        log_s = np.log(s)
        xi, yi = x[i], y[i]
        for j in range(x.shape[1]):
            yi[j] = (xi[j] - m) - log_s


@kernel()
def softmax_backward(g, y, gx):
    for i in prange(y.shape[0]):
        gi, yi, out = g[i], y[i], gx[i]
        dot = np.float32(0.0)
        for j in range(y.shape[1]):
            dot += gi[j] * yi[j]
        for j in range(y.shape[1]):
            out[j] = yi[j] * (gi[j] - dot)


@kernel()
def log_softmax_backward(g, y, gx):
    for i in prange(y.shape[0]):
        gi, yi, out = g[i], y[i], gx[i]
        total = np.float32(0.0)
        for j in range(y.shape[1]):
            total += gi[j]
        for j in range(y.shape[1]):
            out[j] = gi[j] - _exp(yi[j]) * total   # _exp is valid on the whole float32 range


@kernel()
def cross_entropy_forward(logits, targets, losses):
    for i in prange(logits.shape[0]):
        m, s = _online_max_sum(logits[i])       # one pass over the row
        losses[i] = (m + np.log(s)) - logits[i, targets[i]]


@kernel()
def cross_entropy_backward(logits, targets, grad_losses, grad):
    for i in prange(logits.shape[0]):
        xi, gi = logits[i], grad[i]
        m, s = _online_max_sum(xi)
        gl = grad_losses[i]
        scale = gl / s
        for j in range(logits.shape[1]):
            gi[j] = _exp(xi[j] - m) * scale
        gi[targets[i]] -= gl

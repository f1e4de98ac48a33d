"""Numba kernels of the softmax family: softmax, log_softmax, cross-entropy (fused).

What they compute, per row x of a (rows, cols) float32 array (m = max x, s = sum exp(x - m)):

    softmax       y = exp(x - m) / s                 forward: ~4 FLOPs + 1 exp per element
    log_softmax   y = (x - m) - log(s)
    cross-entropy loss = log(s) - (x[target] - m)     (softmax is never materialised;
                  x[target] - m first: m + log(s) would round log(s) away at |m| ~ 1e8)
                  grad = (exp(x - m) / s - onehot(target)) * grad_loss
    backward      softmax:     gx = y * (g - sum(g * y));  log_softmax: gx = g - exp(y) * sum(g)

Bytes: forward kernels read x once or twice and write y once (8-12 bytes per element);
the rows of a typical batch fit in L1/L2, so the cost is the exp. Numba's math.exp is a
scalar libm call per element (no SVML here); `_exp` / `_exp_le0` below are a polynomial
exp written with selects only, which LLVM vectorises (~0.2 ns per element, 16 lanes).

Optimisations and why they help:
* Subtracting the row max (the log-sum-exp trick) keeps exp's argument <= 0, so logits
  of 1e4 give finite results, and lets the softmax kernels use `_exp_le0`, which skips
  the overflow handling that t <= 0 never needs.
* Vectorised row max: numba cannot vectorise a float max reduction, so `_row_max` runs
  it on the floats' bit patterns as integers (see there), NaN detection included.
* Online softmax (Milakov & Gimelshein, 2018): the max and the sum of exps are found in
  ONE read of x. A long row is processed in blocks of CHUNK floats: the block's max mb,
  then exp(x - mb) stored into y and summed while the block sits in L1, then (mb, sum)
  folded into the running (m, s) with one scalar exp per block; a last pass over y (in
  cache) multiplies each block by exp(mb - m) / s. One exp per element, x read once.
  Cross-entropy forward needs no y: it is a single pass over the logits. A row of at
  most CHUNK floats is one block, i.e. exactly the "three_pass" textbook form
  (max; exp stored and summed; scale), which is kept as the other variant.
* One division per row, not per element: each row is scaled by f = 1 / s in its own
  helper (`_scale`). Written inline after the row's exp loop, the reassociation that
  SAFE_FASTMATH allows let LLVM rewrite `y * (1 / s)` into `y / s`: a vector division per
  element (up to 16 cycles per zmm), which made softmax and cross-entropy backward at
  4096x1024 1.3-1.4x slower (1.8x -> 1.3x the C++ time). A test checks the kernels'
  assembly for vector divisions.
* Cross-entropy backward is the online softmax scaled by grad_loss, then grad_loss
  subtracted at the target: one exp per element, no one-hot matrix.
* Narrow rows (fewer than NARROW_COLS floats, e.g. 10 classes) are shorter than one
  vector: per-row loops would run in their scalar tails. `narrow_rows` transposes blocks
  of 64 rows, so that max, exp and sum run as vector loops over the rows instead.
* Parallelism is over rows (prange): each row is reduced by one thread in a fixed
  order, so results are bit-identical for every thread count.

NaN and infinities follow the NumPy reference: a NaN in a row makes the whole row NaN;
a row holding +inf, or a row of only -inf, gives NaN (inf - inf); -inf entries of an
otherwise finite row give probability 0.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .jit import helper, kernel, wide_vectors

CHUNK = 2048  # floats per online-softmax block (8 KiB): read from memory once, then from L1
ROWS_PER_TASK = 8  # rows per parallel task of the kernels that need per-row scratch space

# Constants of the Cephes/SLEEF-style float32 exp.
_LOG2E = np.float32(1.44269504088896341)
_LN2_HI = np.float32(0.693359375)  # ln 2 split in two: n * LN2_HI is exact for |n| < 2^9
_LN2_LO = np.float32(-2.12194440e-4)
_EXP_HI = np.float32(88.72283)  # above: exp overflows float32 -> +inf
_EXP_LO = np.float32(-104.0)  # exp(-104) < half the smallest denormal: rounds to 0 (as the C++ vexp)
_INF = np.float32(np.inf)


@helper(fastmath={"contract"})  # NOT reassoc: that would undo the exact range reduction
def _exp_reduced(tc):
    """(exp(r), n) with tc = n ln 2 + r, n = round(tc / ln 2), r in [-ln2/2, ln2/2]:
    the range reduction (ln 2 split in two for exactness) and a degree-7 polynomial."""
    n = np.floor(tc * _LOG2E + np.float32(0.5))
    r = tc - n * _LN2_HI
    r = r - n * _LN2_LO
    p = np.float32(1.9875691500e-4)
    p = p * r + np.float32(1.3981999507e-3)
    p = p * r + np.float32(8.3334519073e-3)
    p = p * r + np.float32(4.1665795894e-2)
    p = p * r + np.float32(1.6666665459e-1)
    p = p * r + np.float32(5.0000001201e-1)
    return p * r * r + r + np.float32(1.0), n


@helper(fastmath={"contract"})  # NOT reassoc: that would undo the exact range reduction
def _exp(t):
    """exp(t) for float32 t, vectorisable (no calls, no branches: only selects).

    exp(t) = 2^n * exp(r), n = round(t / ln 2), r = t - n ln 2 in [-ln2/2, ln2/2];
    exp(r) is a degree-7 polynomial (max error ~1 ulp); 2^n is built from its exponent
    bits. Results below 2^-126 are denormals (as torch's: 2^n applied in two normal steps,
    the last one rounding), 0 below half the smallest; NaN stays NaN; +inf gives inf, -inf 0.
    """
    tc = t if t > _EXP_LO else _EXP_LO  # also maps NaN -> _EXP_LO (fixed below)
    tc = tc if tc < _EXP_HI else _EXP_HI
    p, n = _exp_reduced(tc)
    # 2^(n1-1) from its bits (biased exponent n1-1+127 >= 1), times 2 (splitting the power
    # keeps n = 128, t near 88.7, finite), times 2^(n-n1) (n < -125 only: into the denormals)
    n1 = n if n > np.float32(-125.0) else np.float32(-125.0)
    scale = np.int32((np.int32(n1) + np.int32(126)) << 23).view(np.float32)
    low = np.int32((np.int32(n - n1) + np.int32(127)) << 23).view(np.float32)
    y = ((p * scale) * np.float32(2.0)) * low
    y = y if t <= _EXP_HI else _INF
    return y if t == t else t


@helper(fastmath={"contract"})
def _exp_le0(t):
    """exp(t) for t <= 0, the only arguments the softmax kernels produce (x - max).

    The same polynomial as _exp, without the overflow handling that t <= 0 never needs
    (~40% faster). t = -inf gives 0; so does NaN (t = inf - inf in a row that holds +inf,
    or x - NaN): the rows where that happens come out NaN anyway, through 0 * (1/0).
    """
    tc = t if t > _EXP_LO else _EXP_LO
    p, n = _exp_reduced(tc)
    # 2^n in two normal steps (n >= -150 here): 2^n1, n1 >= -126, then 2^(n - n1) >= 2^-24,
    # whose product rounds once into the denormals (torch keeps them; exp(-104) rounds to 0)
    n1 = n if n > np.float32(-126.0) else np.float32(-126.0)
    high = np.int32((np.int32(n1) + np.int32(127)) << 23).view(np.float32)
    low = np.int32((np.int32(n - n1) + np.int32(127)) << 23).view(np.float32)
    return (p * high) * low


@helper(fastmath={"contract"})
def _exp_le0_flushed(t):
    """exp(t) for t <= 0 with results below 2^-126 flushed to 0: one multiply fewer than
    _exp_le0. Only for sums that hold exp(0) = 1 (x - max at the max): a term below 2^-126
    is less than 2^-102 of such a sum, far under its last bit (2^-24), so flushing it
    leaves the sum as it was. Softmax values themselves use _exp_le0 (denormals kept)."""
    tc = t if t > _EXP_LO else _EXP_LO
    p, n = _exp_reduced(tc)
    e = np.int32(n) + np.int32(127)  # n >= -150 here; e <= 0 means below 2^-126: 0.0
    e = e if e > 0 else np.int32(0)
    return p * np.int32(e << 23).view(np.float32)


@helper(fastmath={"contract"})  # NOT reassoc: it would turn this back into (m + log s) - x_t
def _ce_loss(m, s, xt):
    """Cross-entropy of one row from its max m and s = sum(exp(x - m)): log(s) - (x_t - m).

    x_t - m first: it is exact near the maximum, where m + log(s) would round log(s) away
    (logits [1e8, 1e8, 0] would give 0 instead of ln 2)."""
    return np.log(s) - (xt - m)


@helper(fastmath={"contract"})  # NOT reassoc: it would fold this into x - (m + log s)
def _log_prob(x, m, log_s):
    """One log_softmax entry: (x - m) - log(s), x - m first for the same reason as _ce_loss."""
    return (x - m) - log_s


@helper()
def _row_max(x):
    """Max of a row; NaN if the row holds a NaN; -inf for an empty row. Vectorised.

    Numba's LLVM does not vectorise a floating-point max reduction (that needs
    function-wide no-NaN attributes), but it does vectorise integer ones. IEEE floats
    are sign-magnitude: flipping the 31 value bits of the negative ones gives int32 keys
    that sort exactly like the floats (-inf < ... < -0.0 < +0.0 < ... < +inf), so the max
    is found on the keys and turned back into a float by the same flip. A NaN's key lies
    above +inf's (sign bit clear) or below -inf's (sign bit set), so the largest and the
    smallest key together also tell whether the row holds a NaN.

    The key is cast back to int32: numba widens int32 arithmetic to int64, and 64-bit
    keys would halve the lanes per vector (8 instead of 16) and add a widening per load.
    """
    wide_vectors()
    bits = x.view(np.int32)
    low31 = np.int32(0x7FFFFFFF)
    key_neg_inf = np.int32(-2139095041)  # 0xFF800000 flipped
    key_pos_inf = np.int32(0x7F800000)
    hi, lo = key_neg_inf, key_pos_inf
    for j in range(bits.shape[0]):
        b = bits[j]
        key = np.int32(b ^ ((b >> 31) & low31))
        hi = key if key > hi else hi
        lo = key if key < lo else lo
    if hi > key_pos_inf or lo < key_neg_inf:
        return np.float32(np.nan)
    return np.int32(hi ^ ((hi >> 31) & low31)).view(np.float32)


@helper()
def _sum_exp(x, shift):
    """sum(exp(x - shift)) over a row (reassociated into vector partial sums); shift is the
    row's max, so the sum holds exp(0) = 1 and its denormal terms may flush (see there)."""
    wide_vectors()
    acc = np.float32(0.0)
    for j in range(x.shape[0]):
        acc += _exp_le0_flushed(x[j] - shift)
    return acc


@helper()
def _sum_exp_store(x, shift, out):
    """out = exp(x - shift); returns sum(out)."""
    wide_vectors()
    acc = np.float32(0.0)
    for j in range(x.shape[0]):
        e = _exp_le0(x[j] - shift)
        out[j] = e
        acc += e
    return acc


@helper()
def _scale(y, f):
    """y *= f (a helper of its own so that the multiply stays one: see the module docstring)."""
    wide_vectors()
    for j in range(y.shape[0]):
        y[j] *= f


@helper()
def _fold(m, s, mb, sb):
    """Merge a block's (max mb, sum sb = sum exp(x - mb)) into the running (m, s).

    The smaller of the two maxima is rescaled to the larger, so no exp ever overflows.
    A block that is all -inf (sb == 0) changes nothing; -inf - (-inf) would be NaN.
    """
    if mb > m:
        return mb, s * _exp_le0(m - mb) + sb
    if sb != 0.0:
        return m, s + sb * _exp_le0(mb - m)
    return m, s


@helper()
def _online_max_sum(x):
    """(m, s): row max and sum(exp(x - m)) in one read of x (online softmax), block by block.

    Each block's max and sum of exps are computed while it sits in L1, then folded into the
    running pair: two scalar exps per block, one vector exp per element.
    """
    wide_vectors()
    m = -_INF
    s = np.float32(0.0)
    for c0 in range(0, x.shape[0], CHUNK):
        block = x[c0 : c0 + CHUNK]  # a slice: indices from 0, so the loops vectorise
        mb = _row_max(block)
        if mb != mb:  # a NaN: the whole row is NaN
            return mb, mb
        sb = _sum_exp(block, mb if mb != -_INF else np.float32(0.0))
        m, s = _fold(m, s, mb, sb)
    return m, s


@helper()
def _online_softmax_row(x, y, scale, block_max):
    """y = softmax(x) * scale, one exp per element.

    Pass 1 (one read of x): per block, y_block = exp(x_block - mb) and the block's
    (mb, sb) is folded into the running (m, s). Pass 2 (over y, in cache): each block is
    multiplied by exp(mb - m) * scale / s, which turns its shift mb into the row's max m.
    block_max (scratch, one float per block) remembers each block's mb for pass 2.
    """
    wide_vectors()
    blocks = (x.shape[0] + CHUNK - 1) // CHUNK
    m = -_INF
    s = np.float32(0.0)
    for k in range(blocks):
        xb, yb = x[k * CHUNK : (k + 1) * CHUNK], y[k * CHUNK : (k + 1) * CHUNK]
        mb = _row_max(xb)
        if mb != mb:  # a NaN: the whole row is NaN
            y[:] = mb
            return
        sb = _sum_exp_store(xb, mb if mb != -_INF else np.float32(0.0), yb)
        block_max[k] = mb
        m, s = _fold(m, s, mb, sb)
    inv = scale / s
    for k in range(blocks):
        f = inv * _exp_le0(block_max[k] - m)  # exp(0) = 1 for the block that holds m
        _scale(y[k * CHUNK : (k + 1) * CHUNK], f)


@helper()
def _softmax_row(x, y, scale):
    """y = softmax(x) * scale in three passes: max (read x); exps stored in y and summed
    (read x, write y); y scaled (read and write y, still in cache). This is the whole
    "three_pass" variant, and also what the online one does with a row of at most CHUNK
    floats: a single block, so there is nothing to fold or rescale."""
    wide_vectors()
    m = _row_max(x)
    s = _sum_exp_store(x, m, y)
    _scale(y, scale / s)


@kernel()
def softmax_online(x, y):
    rows, cols = x.shape
    one = np.float32(1.0)
    for task in prange((rows + ROWS_PER_TASK - 1) // ROWS_PER_TASK):
        wide_vectors()
        r0, r1 = task * ROWS_PER_TASK, min((task + 1) * ROWS_PER_TASK, rows)
        if cols <= CHUNK:
            for i in range(r0, r1):
                _softmax_row(x[i], y[i], one)
        else:
            block_max = np.empty((cols + CHUNK - 1) // CHUNK, np.float32)
            for i in range(r0, r1):
                _online_softmax_row(x[i], y[i], one, block_max)


@kernel()
def softmax_three_pass(x, y):
    one = np.float32(1.0)
    for i in prange(x.shape[0]):
        wide_vectors()
        _softmax_row(x[i], y[i], one)  # max; exps stored and summed; scaled


@kernel()
def log_softmax_forward(x, y):
    for i in prange(x.shape[0]):
        wide_vectors()
        m, s = _online_max_sum(x[i])
        log_s = np.log(s)
        xi, yi = x[i], y[i]
        for j in range(x.shape[1]):
            yi[j] = _log_prob(xi[j], m, log_s)


@kernel()
def softmax_backward(g, y, gx):
    for i in prange(y.shape[0]):
        wide_vectors()
        gi, yi, out = g[i], y[i], gx[i]
        dot = np.float32(0.0)
        for j in range(y.shape[1]):
            dot += gi[j] * yi[j]
        for j in range(y.shape[1]):
            out[j] = yi[j] * (gi[j] - dot)


@kernel()
def log_softmax_backward(g, y, gx):
    for i in prange(y.shape[0]):
        wide_vectors()
        gi, yi, out = g[i], y[i], gx[i]
        total = np.float32(0.0)
        for j in range(y.shape[1]):
            total += gi[j]
        for j in range(y.shape[1]):
            out[j] = gi[j] - _exp(yi[j]) * total  # _exp is valid on the whole float32 range


@kernel()
def cross_entropy_forward(logits, targets, losses):
    """Returns the number of targets outside [0, classes): their rows are left NaN and the
    caller raises (the range check rides along with the kernel instead of a separate
    min/max pass, which costs as much as the whole kernel on an MNIST-sized batch)."""
    classes = logits.shape[1]
    bad = 0
    for i in prange(logits.shape[0]):
        wide_vectors()
        t = targets[i]
        if t < 0 or t >= classes:
            losses[i] = np.float32(np.nan)
            bad += 1
            continue
        m, s = _online_max_sum(logits[i])  # one pass over the row
        losses[i] = _ce_loss(m, s, logits[i, t])
    return bad


@kernel()
def cross_entropy_backward(logits, targets, grad_losses, grad):
    """Returns the number of targets outside [0, classes) (see cross_entropy_forward)."""
    rows, cols = logits.shape
    bad = 0
    for task in prange((rows + ROWS_PER_TASK - 1) // ROWS_PER_TASK):
        wide_vectors()
        r0, r1 = task * ROWS_PER_TASK, min((task + 1) * ROWS_PER_TASK, rows)
        if cols <= CHUNK:  # grad = softmax * grad_loss ...
            for i in range(r0, r1):
                _softmax_row(logits[i], grad[i], grad_losses[i])
        else:
            block_max = np.empty((cols + CHUNK - 1) // CHUNK, np.float32)
            for i in range(r0, r1):
                _online_softmax_row(logits[i], grad[i], grad_losses[i], block_max)
        for i in range(r0, r1):  # ... - onehot * grad_loss
            t = targets[i]
            if 0 <= t < cols:
                grad[i, t] -= grad_losses[i]
            else:
                bad += 1
    return bad


# ----------------------------------------------------------------------------- narrow rows
# A row of 10 logits (an MNIST classifier) is shorter than one AVX-512 vector: the row
# loops above would run entirely in their scalar tails. For such rows the kernel below
# takes NARROW_ROWS rows at a time and transposes them into a (cols, rows) scratch block
# ("structure of arrays"): then every step - row max, x - max, exp, row sum - is a loop
# over 64 rows at once, which LLVM vectorises, instead of a loop over 10 columns. One
# kernel serves the four row operations (mode), so this path costs one compilation.
NARROW_COLS = 32  # rows shorter than this take the narrow path
NARROW_ROWS = 64  # rows per block (and per parallel task) on that path
SOFTMAX, LOG_SOFTMAX, CE_FORWARD, CE_BACKWARD, CE_BOTH = 0, 1, 2, 3, 4  # CE_BOTH: losses and gradient


@helper()
def _narrow_block(x, r0, r1, e, m, s):
    """For rows r0..r1 of x: m[i] = row max, e[j, i] = exp(x[r0+i, j] - m[i]), s[i] = row sum.

    e is the transposed (cols, NARROW_ROWS) scratch block; every inner loop runs over
    the rows i, with the same per-row operation order as the wide kernels.
    """
    wide_vectors()
    cols = x.shape[1]
    n = r1 - r0
    mi, si = m[:n], s[:n]
    xb = x[r0:r1]
    for j in range(cols):  # transpose the block into e
        ej = e[j, :n]
        for i in range(n):
            ej[i] = xb[i, j]
    nans = np.zeros(NARROW_ROWS, np.int32)[:n]
    mi[:] = -_INF
    for j in range(cols):  # row maxima (NaN counted apart)
        ej = e[j, :n]
        for i in range(n):
            v = ej[i]
            mi[i] = v if v > mi[i] else mi[i]
            nans[i] += v != v
    for i in range(n):
        if nans[i]:
            mi[i] = np.float32(np.nan)
    si[:] = 0.0
    for j in range(cols):  # exps and row sums
        ej = e[j, :n]
        for i in range(n):
            v = _exp_le0(ej[i] - mi[i])
            ej[i] = v
            si[i] += v


@kernel()
def narrow_rows(x, targets, grad_losses, y, losses, mode):
    """softmax / log_softmax (into y), cross-entropy forward (into losses), backward (into y)
    or both (CE_BOTH: the batch loss's pair in one call) of rows with fewer than NARROW_COLS
    columns; unused arguments may be empty.
    Returns the number of class targets outside [0, cols) (cross-entropy modes only)."""
    rows, cols = x.shape
    bad = 0
    for task in prange((rows + NARROW_ROWS - 1) // NARROW_ROWS):
        wide_vectors()
        r0, r1 = task * NARROW_ROWS, min((task + 1) * NARROW_ROWS, rows)
        e = np.empty((cols, NARROW_ROWS), np.float32)
        m = np.empty(NARROW_ROWS, np.float32)
        s = np.empty(NARROW_ROWS, np.float32)
        _narrow_block(x, r0, r1, e, m, s)
        n = r1 - r0
        if mode == CE_FORWARD or mode == CE_BOTH:
            for i in range(n):
                t = targets[r0 + i]
                if 0 <= t < cols:
                    losses[r0 + i] = _ce_loss(m[i], s[i], x[r0 + i, t])
                else:
                    losses[r0 + i] = np.float32(np.nan)
                    if mode == CE_FORWARD:
                        bad += 1  # (CE_BOTH counts it in the gradient's loop below)
            if mode == CE_FORWARD:
                continue
        f = np.empty(NARROW_ROWS, np.float32)  # per-row factor (or log-sum) of the output
        for i in range(n):
            if mode == LOG_SOFTMAX:
                f[i] = np.log(s[i])
            elif mode == CE_BACKWARD or mode == CE_BOTH:
                f[i] = grad_losses[r0 + i] / s[i]
            else:
                f[i] = np.float32(1.0) / s[i]
        yb, xb, fb, mb = y[r0:r1], x[r0:r1], f[:n], m[:n]
        for j in range(cols):  # transpose back into the output rows
            ej = e[j, :n]
            if mode == LOG_SOFTMAX:
                for i in range(n):
                    yb[i, j] = _log_prob(xb[i, j], mb[i], fb[i])
            else:
                for i in range(n):
                    yb[i, j] = ej[i] * fb[i]
        if mode == CE_BACKWARD or mode == CE_BOTH:
            for i in range(n):
                t = targets[r0 + i]
                if 0 <= t < cols:
                    y[r0 + i, t] -= grad_losses[r0 + i]
                else:
                    bad += 1
    return bad


# ----------------------------------------------------------------------------- batch loss
@kernel(parallel=False, fastmath=set())
def sum_in_order(losses):
    """The float64 sum of a 1-D float32 array, index by index (no reassociation: the reduced
    loss is the same whatever the thread count of the kernel that wrote the losses)."""
    total = 0.0
    for i in range(losses.shape[0]):
        total += losses[i]
    return total

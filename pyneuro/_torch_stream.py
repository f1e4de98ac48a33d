"""PyTorch's CPU random streams, reproduced draw for draw.

`torch.manual_seed(s)` seeds a 32-bit Mersenne Twister (mt19937) with the low 32 bits of s,
and every CPU sampler turns the twister's 32-bit words into numbers in a fixed, documented
way. pyneuro's Generator (random.py) keeps the same twister and the same recipes, so

    >>> pn.manual_seed(0); pn.randn(3)      # prints what torch.manual_seed(0); torch.randn(3) prints
    tensor([ 1.5410, -0.2934, -2.1788])

and a course notebook's numbers (weights, shuffles, dropout masks) are the ones in its text.
NumPy's MT19937 bit generator produces the words; only its seeding differs from torch's, so
the seed is turned into the twister's 624-word key here (the reference init_genrand recipe).

The recipes (each checked against torch 2.13 in tests/test_torch_stream.py):

* word: one 32-bit output; word64 = (first word << 32) | second word.
* uniform float32 in [0, 1): the low 24 bits of a word times 2**-24 (float64: the low 53 bits
  of a word64 times 2**-53; float16 draws float32s and rounds them). uniform_(a, b) is then
  u * (b - a) + a, rounded once (a fused multiply-add), in float32 for float32 and float16.
* integers in [low, high): word % (high - low) + low (word64 when the range needs 33+ bits);
  random_() on int64: word64 % 2**63.
* randperm(n): start from 0..n-1 and for i = 0..n-2 swap element i with element
  i + word % (n - i).
* bernoulli(p) for a Python float p: uniform float64 < p (float32 tensor p: uniform float32).
  Dropout draws bernoulli(1 - p) and keeps the ones.
* normal, fewer than 16 values: Box-Muller in float64 from two uniform float64s
  (r = sqrt(-2 log1p(-u2)), theta = 2 pi u1), returning r cos(theta) and caching r sin(theta)
  for the next call (the cache lives in the generator and is cleared by manual_seed).
* normal, 16 or more float32 values: first one uniform float32 per value, then Box-Muller on
  blocks of 16 (values j and j + 8 of a block are the pair), computed with the cephes
  polynomial log and sin/cos approximations torch's AVX2 kernel uses, rounded as its compiled
  code rounds (fused multiply-adds where the compiler fuses them) so the results are
  bit-identical. When the count is not a multiple of 16, the last 16 values are drawn again
  and recomputed. float64: the same blocks in float64 with exact log/sin/cos.

* poisson (torch.poisson): torch's sample_poisson value by value (_torch_samplers.py, which
  also holds the Gamma, Dirichlet and Binomial samplers of pyneuro.distributions).

NumPy's other samplers, where a caller asks this stream for them (exponential, gamma, ... by
NumPy's names), draw from a NumPy generator seeded by four words of the stream: reproducible
under a seed, not torch's values.
"""

from __future__ import annotations

import functools
import math
import sys
import threading

import numpy as np

from . import _sorting, _torch_samplers
from ._memory import numpy_memory_error

_F32 = np.float32
_MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
_MASK24 = np.uint64((1 << 24) - 1)


def _key(seed: int) -> np.ndarray:
    """mt19937's 624-word state for a 32-bit seed (the reference init_genrand)."""
    key = np.empty(624, np.uint32)
    s = seed & 0xFFFFFFFF
    key[0] = s
    for j in range(1, 624):
        s = (1812433253 * (s ^ (s >> 30)) + j) & 0xFFFFFFFF
        key[j] = s
    return key


_TWISTER: list = []  # [the _cpu module or None], decided on first use


def _native_twister():
    """pyneuro._cpu, if loaded and its mt19937_words gives random_raw's words from the same NumPy
    state (checked once, across two twists; the state's layout is NumPy's, not an API), else None."""
    if not _TWISTER:
        native = sys.modules.get("pyneuro._cpu")
        if native is None:
            return None  # not loaded (yet): ask again next time
        ours, numpys = np.random.MT19937(20240601), np.random.MT19937(20240601)
        ok = all(
            np.array_equal(native.mt19937_words(ours.ctypes.state_address, n), numpys.random_raw(n))
            for n in (5, 700, 1300)
        )
        same_state = ours.state["state"]["pos"] == numpys.state["state"]["pos"] and np.array_equal(
            ours.state["state"]["key"], numpys.state["state"]["key"]
        )
        _TWISTER.append(native if ok and same_state else None)
    return _TWISTER[0]


def _atomic(method):
    """The method runs under its stream's lock: one draw at a time per stream, as torch's ops hold
    their generator's mutex, so threads drawing from one generator each get a run of the stream
    that one of them would have drawn alone (never interleaved words, nor a cached normal taken twice).
    A draw too large to allocate raises torch's RuntimeError (NumPy's MemoryError is none), so that
    Normal(0., 1.).sample((2**40,)) and Categorical(...).sample((2**40,)) fail as torch's."""

    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self._lock:
            try:
                return method(self, *args, **kwargs)
            except MemoryError as exc:
                raise numpy_memory_error(exc) from None  # (torch names no op here)

    return locked


class TorchStream:
    """One generator's stream: torch's mt19937 plus its cached second normal value."""

    __slots__ = ("_bits", "_cached_normal", "_lock")

    def __init__(self, seed: int):
        self._bits = np.random.MT19937()
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": _key(seed), "pos": 624}}
        self._cached_normal = None
        self._lock = threading.RLock()  # (reentrant: a draw calls other draws; _torch_samplers takes it too)

    def __getstate__(self):  # (a Generator pickles, as torch's: its stream, not the lock)
        return self._bits, self._cached_normal

    def __setstate__(self, state) -> None:
        self._bits, self._cached_normal = state
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ state
    @_atomic
    def state(self) -> dict:
        st = self._bits.state["state"]
        return {"key": [int(k) for k in st["key"]], "pos": int(st["pos"]), "normal": self._cached_normal}

    @_atomic
    def set_state(self, state: dict) -> None:
        key = np.asarray(state["key"], dtype=np.uint32)
        if key.shape != (624,) or not 0 <= int(state["pos"]) <= 624:
            raise ValueError("not an mt19937 state")
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": int(state["pos"])}}
        cached = state.get("normal")
        self._cached_normal = None if cached is None else float(cached)

    # ------------------------------------------------------------------ raw words
    @_atomic
    def words(self, n: int) -> np.ndarray:
        """n 32-bit outputs (as uint64): from the C++ twister when pyneuro._cpu is loaded and
        reads NumPy's state correctly (~0.45 ns a word against random_raw's ~1.7), else NumPy's."""
        n = int(n)
        native = _native_twister()
        if native is not None and n > 64:
            with self._bits.lock:  # the lock random_raw takes: one thread at a time advances the state
                return native.mt19937_words(self._bits.ctypes.state_address, n)
        return self._bits.random_raw(n)

    def words64(self, n: int) -> np.ndarray:
        w = self.words(2 * n)
        return (w[0::2] << _SHIFT32) | (w[1::2] & _MASK32)

    # ------------------------------------------------------------------ uniform
    @_atomic
    def _unit(self, n: int, dtype) -> np.ndarray:
        """n uniform values in [0, 1): float64 from 53 bits, anything else float32 from 24 bits."""
        if np.dtype(dtype) == np.float64:
            return (self.words64(n) & np.uint64((1 << 53) - 1)).astype(np.float64) * 2.0**-53
        native = _native_twister()
        if native is not None and n > 64:
            with self._bits.lock:  # as in words(): the same outputs, written as the floats below
                return native.mt19937_unit_f32(self._bits.ctypes.state_address, n)
        return (self.words(n) & _MASK24).astype(_F32) * _F32(2.0**-24)

    @_atomic
    def uniform_fill(self, shape, dtype=np.float32, low=0.0, high=1.0) -> np.ndarray:
        """Tensor.uniform_(low, high): u * (high - low) + low with one rounding (torch's compiled
        kernel fuses the multiply-add), in float32 for float32 and float16 tensors."""
        shape = tuple(shape)
        dtype = np.dtype(dtype)
        u = self._unit(int(np.prod(shape, dtype=np.int64)), dtype)
        if low != 0 or high != 1:
            if dtype == np.float64:
                u = _fma64(u, np.float64(high) - np.float64(low), np.float64(low))
            else:
                lo, hi = _F32(dtype.type(low)), _F32(dtype.type(high))
                u = _fma(u, hi - lo, lo)
        return u.astype(dtype, copy=False).reshape(shape)

    # ------------------------------------------------------------------ normal
    @_atomic
    def normal_fill(self, shape, dtype=np.float32, mean=0.0, std=1.0, serial=False) -> np.ndarray:
        """Tensor.normal_(mean, std), torch's CPU kernel: 16 at a time for a contiguous tensor
        of 16 or more elements, else (serial=True: a tensor that is not contiguous) one by one."""
        shape = tuple(shape)
        dtype = np.dtype(dtype)
        n = math.prod(shape)
        if n < 16 or serial:
            out = np.array(self._scalar_normals(n), dtype=np.float64) * std + mean
        elif dtype in (np.float32, np.float16):  # float16: rounded float32 normals (not torch's half kernel)
            out = self._fill(n, _F32, _box_muller_f32, mean, std)
        else:
            out = self._fill(n, np.float64, _box_muller_f64, mean, std)
        return out.astype(dtype, copy=False).reshape(shape)

    def _scalar_normal(self) -> float:
        """One normal value as torch's scalar path draws it: the cached sin of the last pair, else
        a fresh pair of uniforms (Box-Muller; cos returned, sin cached)."""
        return self._scalar_normals(1)[0]

    @_atomic
    def _scalar_normals(self, n: int) -> list:
        """n values of _scalar_normal in a row, the same bits, with the uniforms drawn at once:
        each fresh pair of uniforms gives cos then sin, and an odd count leaves the sin cached."""
        out = []
        if n and self._cached_normal is not None:
            out.append(self._cached_normal)
            self._cached_normal = None
        pairs = (n - len(out) + 1) // 2
        if pairs:
            # _unit(2 * pairs, float64) in Python's ints and floats (exact: 53 bits times 2**-53)
            w = self.words(4 * pairs).tolist()
            low53, scale = (1 << 53) - 1, 2.0**-53
            u = [(((w[i] << 32) | w[i + 1]) & low53) * scale for i in range(0, len(w), 2)]
            log1p, sqrt, cos, sin = math.log1p, math.sqrt, math.cos, math.sin  # (the C library's, as torch's)
            two_pi = 2.0 * math.pi
            for i in range(0, 2 * pairs, 2):
                r = sqrt(-2.0 * log1p(-u[i + 1]))
                theta = two_pi * u[i]
                out.append(r * cos(theta))
                if len(out) < n:
                    out.append(r * sin(theta))
                else:
                    self._cached_normal = r * sin(theta)
        return out

    def _fill(self, n, dtype, block_fn, mean, std) -> np.ndarray:
        data = self._unit(n, dtype)
        full = n - n % 16
        _blocks(data[:full], block_fn, mean, std)
        if full != n:  # the last 16 values are drawn again and recomputed
            tail = self._unit(16, dtype)
            _blocks(tail, block_fn, mean, std)
            data[n - 16 :] = tail
        return data

    # ------------------------------------------------------------------ float64 recipes
    # Tensor.exponential_/geometric_/cauchy_/log_normal_: one float64 uniform per value, through
    # the C library's functions (math.*) as torch's kernels call them.
    @_atomic
    def exponential_fill(self, shape, lambd=1.0) -> np.ndarray:
        return _shaped(-1.0 / lambd * _libm(_LOG1P, -self._unit(_count(shape), np.float64)), shape)

    @_atomic
    def geometric_fill(self, shape, p) -> np.ndarray:
        return _shaped(np.ceil(_libm(_LOG, self._unit(_count(shape), np.float64)) / math.log1p(-p)), shape)

    @_atomic
    def cauchy_fill(self, shape, median=0.0, sigma=1.0) -> np.ndarray:
        u = self._unit(_count(shape), np.float64)
        return _shaped(median + sigma * _libm(_TAN, math.pi * (u - 0.5)), shape)

    @_atomic
    def log_normal_fill(self, shape, mean=1.0, std=2.0) -> np.ndarray:
        draws = [math.exp(z * std + mean) for z in self._scalar_normals(_count(shape))]
        return _shaped(np.array(draws, dtype=np.float64), shape)

    # ------------------------------------------------------------------ integers
    @_atomic
    def integers(self, low, high=None, size=None, dtype=np.int64, full_range=False) -> np.ndarray:
        """random_(low, high) / randint: word % (high - low) + low, a 64-bit word from a span of 2**28
        on (torch 2.13); random_() of the dtype's whole range (full_range) from 2**32 on. (numpy.random.
        Generator's signature: integers(high) means [0, high).)"""
        if high is None:
            low, high = 0, low
        shape = () if size is None else _as_shape(size)
        n = int(np.prod(shape, dtype=np.int64))
        span = int(high) - int(low)
        w = self.words64(n) if span >= (1 << 32 if full_range else 1 << 28) else self.words(n)
        return (
            ((w % np.uint64(span)).astype(np.int64) + np.int64(low)).astype(dtype, copy=False).reshape(shape)
        )

    @_atomic
    def random_int64(self, shape) -> np.ndarray:
        """random_() on int64 with no bounds: word64 % 2**63."""
        shape = tuple(shape)
        w = self.words64(int(np.prod(shape, dtype=np.int64)))
        return (w & np.uint64((1 << 63) - 1)).astype(np.int64).reshape(shape)

    @_atomic
    def permutation(self, n: int) -> np.ndarray:
        """randperm(n): torch's swap sequence (in C++ when pyneuro._cpu is loaded: a DataLoader
        shuffles 60,000 indices in ~0.2 ms there against ~9 ms in this loop)."""
        n = int(n)
        native = sys.modules.get("pyneuro._cpu")
        if native is not None and n > 1:
            return native.randperm_swaps(self.words(n - 1))
        perm = list(range(n))
        if n > 1:
            offsets = (self.words(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)).tolist()
            for i, z in enumerate(offsets):
                j = i + z
                perm[i], perm[j] = perm[j], perm[i]
        return np.asarray(perm, dtype=np.int64)

    # ------------------------------------------------------------------ multinomial
    @_atomic
    def multinomial_draw(
        self, probs: np.ndarray, num_samples: int, replacement: bool, noise=None
    ) -> np.ndarray:
        """torch.multinomial on (rows, K) weights (checked by the caller) -> (rows, num_samples).

        One draw, or none repeated: the exponential race. q = probs / Exponential(1) (one
        exponential_ draw per weight, in the weights' dtype); the sample is the argmax of q, or
        the indices of its num_samples largest values. Several draws with replacement: per row,
        the cumulative weights (divided by their sum, the last set to 1) and, per draw, the
        first category whose cumulative weight reaches a float64 uniform."""
        rows, k = probs.shape
        if not replacement or num_samples == 1:  # noise: the exponential draws, if the caller made them
            q = probs / (self.exponential_fill(probs.shape).astype(probs.dtype) if noise is None else noise)
            if num_samples > 1:  # torch's topk, whose order among equal q (zero weights) is its own
                order = _sorting.topk(q, 1, num_samples, True, True)
                if order is not None:
                    return order
            return np.argsort(-q, axis=1, kind="stable")[:, :num_samples].astype(np.int64)
        units = self._unit(rows * num_samples, np.float64).reshape(rows, num_samples)  # row by row, as torch
        cum = np.cumsum(probs, axis=1)  # (in order, in the weights' dtype)
        last = cum[:, -1:]
        cum = np.where(last > 0, cum / np.where(last > 0, last, 1), cum).astype(probs.dtype, copy=False)
        cum[:, -1] = 1
        # the first category whose cumulative weight reaches each uniform: how many stay below it (a
        # block of rows at a time: a Python round per row took seconds for 10**5 rows)
        out = np.empty((rows, num_samples), np.int64)
        block = max(1, (1 << 22) // (num_samples * k))
        for r in range(0, rows, block):
            out[r : r + block] = (cum[r : r + block, None, :] < units[r : r + block, :, None]).sum(-1)
        return out

    # ------------------------------------------------------------------ bernoulli
    @_atomic
    def bernoulli(self, p, shape=None) -> np.ndarray:
        """A bool mask: uniform < p. A Python float p (or a float64 array) compares a float64
        uniform; a float32/float16 array p a float32 one, as torch's two kernels do."""
        if isinstance(p, np.ndarray):
            shape = p.shape if shape is None else tuple(shape)
            p = np.broadcast_to(p, shape)
            unit = self._unit(p.size, np.float64 if p.dtype == np.float64 else _F32).reshape(shape)
            return unit < p
        shape = tuple(shape)
        return self._unit(int(np.prod(shape, dtype=np.int64)), np.float64).reshape(shape) < float(p)

    # ------------------------------------------------------------------ NumPy-generator forms
    # numpy.random.Generator's names and signatures, for draw sites written against NumPy
    # (rand, randn, randint and randperm reach torch's recipes through them).
    def random(self, size=None, dtype=np.float64) -> np.ndarray:
        return self.uniform_fill(_as_shape(size), dtype)

    def standard_normal(self, size=None, dtype=np.float64) -> np.ndarray:
        return self.normal_fill(_as_shape(size), dtype)

    def uniform(self, low=0.0, high=1.0, size=None) -> np.ndarray:
        return self.uniform_fill(_as_shape(size), np.float64, low, high)

    def normal(self, loc=0.0, scale=1.0, size=None) -> np.ndarray:
        return self.normal_fill(_as_shape(size), np.float64, loc, scale)

    def poisson(self, lam) -> np.ndarray:
        """Poisson draws for an array of rates, torch's sample_poisson value by value (torch.poisson)."""
        return _torch_samplers.poisson(np.asarray(lam, dtype=np.float64), self)

    def __getattr__(self, name):
        """NumPy's other samplers (exponential, gamma, poisson, ...): drawn by a NumPy generator
        seeded with four words of this stream, so they are reproducible under a seed."""
        if name not in _NUMPY_SAMPLERS:
            raise AttributeError(f"'TorchStream' object has no attribute '{name}'")
        seed = [int(w) for w in self.words(4)]
        return getattr(np.random.Generator(np.random.PCG64(seed)), name)


_NUMPY_SAMPLERS = frozenset(
    "beta binomial chisquare choice dirichlet exponential gamma geometric gumbel laplace logistic lognormal"
    " multinomial negative_binomial shuffle standard_cauchy standard_exponential standard_gamma"
    " standard_t vonmises wald weibull".split()
)


def _count(shape) -> int:
    return int(np.prod(tuple(shape), dtype=np.int64))


def _shaped(values, shape) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(tuple(shape))


def _as_shape(size) -> tuple:
    if size is None:
        return ()
    return (int(size),) if isinstance(size, (int, np.integer)) else tuple(int(s) for s in size)


# ----------------------------------------------------------------------------- Box-Muller blocks
def _blocks(data: np.ndarray, block_fn, mean, std) -> None:
    """Blocks of 16 uniforms (a contiguous array) -> normals, in place: by pyneuro._cpu's
    box_muller when it is loaded (the same bits in one pass, ~20x faster), else by block_fn,
    the NumPy recipe below, which is the reference."""
    native = sys.modules.get("pyneuro._cpu")
    if native is not None:
        native.box_muller(data, float(mean), float(std))
    elif data.size:
        data[:] = block_fn(data.reshape(-1, 16), mean, std).reshape(-1)


def _fma(a, b, c) -> np.ndarray:
    """a * b + c rounded once to float32 (the product of two floats is exact in float64)."""
    return (np.asarray(a, np.float64) * np.asarray(b, np.float64) + np.asarray(c, np.float64)).astype(_F32)


def _fma64(a, b, c) -> np.ndarray:
    """a * b + c for float64 arrays with (almost always) one rounding: the product split exactly
    into p + e (Dekker's two-product, by Veltkamp's splitting), the sum p + c into s + t
    (Knuth's two-sum), then s + (t + e)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    p = a * b
    a_hi = a * 134217729.0 - (a * 134217729.0 - a)  # 2**27 + 1: the top 26 bits of a
    b_hi = b * 134217729.0 - (b * 134217729.0 - b)
    a_lo, b_lo = a - a_hi, b - b_hi
    e = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    s = p + c
    c_part = s - p
    t = (p - (s - c_part)) + (c - c_part)
    return s + (t + e)


_LOG_P = (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1)
_LOG_P += (-1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1)


def _log_f32(x: np.ndarray) -> np.ndarray:
    """Natural log of positive float32s by the cephes recipe: x = m * 2**e with m in
    [sqrt(1/2), sqrt(2)), then log(m) from a degree-9 polynomial in m - 1."""
    x = np.maximum(x, np.array(0x00800000, np.int32).view(_F32))  # denormals to the smallest normal
    bits = x.view(np.int32)
    e = ((bits >> 23) - 0x7F).astype(_F32) + _F32(1)
    m = ((bits & ~0x7F800000) | np.array(0.5, _F32).view(np.int32)).view(_F32)  # in [0.5, 1)
    small = m < _F32(0.707106781186547524)
    e = e - small.astype(_F32)
    m = (m - _F32(1)) + np.where(small, m, _F32(0))  # m - 1, or 2m - 1 when m < sqrt(1/2)
    z = m * m
    m64 = m.astype(np.float64)  # the polynomial's fused steps y * m + c, in float64 then rounded
    y = np.full_like(m, _F32(_LOG_P[0]))
    for c in _LOG_P[1:]:
        y = (y * m64 + float(_F32(c))).astype(_F32)
    y = _fma(y * m, z, e * _F32(-2.12194440e-4))
    y = _fma(-z, _F32(0.5), y)
    return _fma(e, _F32(0.693359375), m + y)


def _sincos_f32(x: np.ndarray):
    """(sin x, cos x) for float32 x >= 0 by the cephes recipe: reduce by multiples of pi/4
    (pi/4 split in three parts for an exact reduction), then one of two polynomials."""
    j = (x * _F32(1.27323954473516)).astype(np.int32)  # x / (pi/4), truncated
    j = (j + 1) & ~1
    y = j.astype(_F32)
    r = _fma(y, _F32(-0.78515625), x)
    r = _fma(y, _F32(-2.4187564849853515625e-4), r)
    r = _fma(y, _F32(-3.77489497744594108e-8), r)
    z = r * r
    cos_poly = _fma(_F32(2.443315711809948e-5), z, _F32(-1.388731625493765e-3))
    cos_poly = _fma(cos_poly, z, _F32(4.166664568298827e-2))
    cos_poly = _fma(cos_poly * z, z, -(z * _F32(0.5))) + _F32(1)
    sin_poly = _fma(_F32(-1.9515295891e-4), z, _F32(8.3321608736e-3))
    sin_poly = _fma(sin_poly, z, _F32(-1.6666654611e-1))
    sin_poly = _fma(sin_poly * z, r, r)
    first = (j & 2) == 0
    s = np.where(first, sin_poly, cos_poly)
    c = np.where(first, cos_poly, sin_poly)
    s = np.where((j & 4) != 0, -s, s)
    c = np.where((~(j - 2) & 4) != 0, -c, c)
    return s, c


def _box_muller_f32(block: np.ndarray, mean, std) -> np.ndarray:
    """Blocks of 16 uniform float32s -> 16 normals: (j, j + 8) is one Box-Muller pair."""
    radius = np.sqrt(_F32(-2) * _log_f32(_F32(1) - block[:, :8]))
    s, c = _sincos_f32(_F32(2.0 * np.pi) * block[:, 8:])
    mean, std = _F32(mean), _F32(std)
    return np.concatenate([_fma(radius * c, std, mean), _fma(radius * s, std, mean)], axis=1)


_LOG, _LOG1P, _COS, _SIN, _TAN = (
    np.frompyfunc(f, 1, 1) for f in (math.log, math.log1p, math.cos, math.sin, math.tan)
)


def _libm(fn, x: np.ndarray) -> np.ndarray:
    """fn(x) by the C library, as torch's float64 kernel calls it (NumPy's own SIMD float64
    log/sin/cos differ from it by an ulp or two in about 0.2% of cases)."""
    return fn(x).astype(np.float64)


def _box_muller_f64(block: np.ndarray, mean, std) -> np.ndarray:
    radius = np.sqrt(-2.0 * _libm(_LOG, 1.0 - block[:, :8]))
    theta = 2.0 * np.pi * block[:, 8:]
    pair = [radius * _libm(f, theta) for f in (_COS, _SIN)]
    return np.concatenate([p * std + mean for p in pair], axis=1)

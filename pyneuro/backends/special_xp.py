"""Elementwise functions written once for any array namespace `xp` (NumPy, CuPy, pyneuro's CUDA
namespace): erf and erfc (Cephes' rational approximations, in float64), GELU with its derivative,
and the clamps that keep a signed zero as torch's do (clamp_low, clamp_high). autograd/math.py builds erfcx, erfinv, log_ndtr, ... on these; the numpy
backend's gelu_forward / gelu_backward are the GELU functions below (the reference the cpu
backend's C++ kernels are tested against), and autograd/activation.py runs them on backends
without those kernels.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

_SQRT1_2 = 1 / math.sqrt(2)
_PDF = 1 / math.sqrt(2 * math.pi)
_TANH_BETA = math.sqrt(2 / math.pi)
_TANH_KAPPA = 0.044715


QUIET = {"divide": "ignore", "invalid": "ignore", "over": "ignore"}  # NumPy's warnings off: inf/NaN, as torch


def errstate(xp):
    """np.errstate(divide/invalid/over='ignore') where the namespace has it (cupy does not):
    NumPy's own context manager, entered per call of the small ops, so no wrapper around it."""
    if xp is np:
        return np.errstate(**QUIET)
    return xp.errstate(**QUIET) if hasattr(xp, "errstate") else contextlib.nullcontext()


def _poly(x, coefs):
    """coefs[0] x^n + ... + coefs[n] (Horner), updated in place in one new array: the same
    operations as `out = out * x + c`, without a fresh array at each step."""
    out = coefs[0] + 0 * x  # (0 * x: NaN where x is infinite, as the products below would make it)
    for c in coefs[1:]:
        out *= x
        out += c
    return out


def _f64(xp, a):
    return a.astype(xp.float64) if hasattr(a, "astype") else xp.asarray(a, dtype=xp.float64)


# ----------------------------------------------------------------------------- erf, erfc, erfinv
# Cephes ndtr.c: erf(x) = x T(x^2) / U(x^2) for |x| <= 1; erfc(x) = e^(-x^2) P(x) / Q(x) for
# 1 <= x < 8 and e^(-x^2) R(x) / S(x) beyond (Q, S, U with a leading 1).
_ERF_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
          7.00332514112805075473e3, 5.55923013010394962768e4)  # fmt: skip
_ERF_U = (1.0, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
          2.26290000613890934246e4, 4.92673942608635921086e4)  # fmt: skip
_ERFC_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
           4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
           9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)  # fmt: skip
_ERFC_Q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
           9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
           1.65666309194161350182e3, 5.57535340817727675546e2)  # fmt: skip
_ERFC_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
           6.16021097993053585195e0, 7.40974269950448939160e0, 2.97886665372100240670e0)  # fmt: skip
_ERFC_S = (1.0, 2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
           1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0)  # fmt: skip


def _pieces(xp, x, *branches):
    """out[m] = f(x[m]) for each (mask m, f): each formula runs only on its own elements."""
    out = xp.full(x.shape, xp.nan)
    for mask, f in branches:
        if mask.any():
            out[mask] = f(x[mask])
    return out


def _erf_small(x):
    """erf(x) for |x| <= 1."""
    z = x * x
    return x * _poly(z, _ERF_T) / _poly(z, _ERF_U)


def _erfc_large(xp, ax):
    """erfc(x) for x >= 1 (0 once e^(-x^2) underflows; NaN stays NaN)."""
    return _pieces(
        xp,
        ax,
        (ax < 8, lambda x: xp.exp(-x * x) * _poly(x, _ERFC_P) / _poly(x, _ERFC_Q)),
        ((ax >= 8) & (ax < 27), lambda x: xp.exp(-x * x) * _poly(x, _ERFC_R) / _poly(x, _ERFC_S)),
        (ax >= 27, xp.zeros_like),
    )


def erf(xp, a):
    if hasattr(xp, "erf"):  # (pyneuro's CUDA namespace: its kernel's erff, on float32 device arrays)
        return xp.erf(a)
    x = _f64(xp, a)
    ax = xp.abs(x)
    with errstate(xp):
        return _pieces(
            xp, x, (ax <= 1, _erf_small), (ax > 1, lambda v: xp.sign(v) * (1 - _erfc_large(xp, xp.abs(v))))
        )


def erfc(xp, a):
    """1 - erf(x) for |x| < 1, erfc_large(x) above 1 and 2 - erfc_large(-x) below -1. The first
    formula runs on the whole array (most of a typical input, e.g. gelu's, lies there) and only
    the rest is gathered and written back: the same values as three masked pieces, in about a
    third of the time (no gather and scatter of the large piece)."""
    if hasattr(xp, "erfc"):  # (as erf's)
        return xp.erfc(a)
    x = _f64(xp, a)
    with errstate(xp):
        out = 1 - _erf_small(x)  # (finite or NaN where |x| >= 1: replaced below; NaN stays NaN)
        large = xp.abs(x) >= 1
        if large.any():
            v = x[large]
            tail = _erfc_large(xp, xp.abs(v))
            out[large] = xp.where(v > 0, tail, 2 - tail)
        return out


# ----------------------------------------------------------------------------- GELU
def _wide(xp, a):
    """a in float64 where erfc is computed in float64 (NumPy, CuPy): x / sqrt 2 rounded to float32
    would cost exp(-x^2 / 2) up to ~4e-6 of its value at x = -8; pyneuro's CUDA namespace keeps
    float32 (its erfc kernel is). (The tanh form stays in a's dtype, as torch computes it: in
    float64 it would take 5x as long.)"""
    return a if hasattr(xp, "erfc") else _f64(xp, a)


def _opmath(a):
    """float16 in float32, as torch computes half-precision elementwise ops (its opmath type)."""
    return a.astype("float32") if a.dtype.itemsize < 4 else a


def gelu(xp, a, approximate="none"):
    """x Phi(x), Phi(x) = erfc(-x / sqrt 2) / 2 (no cancellation for x << 0); approximate="tanh":
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), exactly as torch's, in a's dtype. The caller
    rounds to a's dtype."""
    if approximate == "tanh":
        x = _opmath(a)
        return 0.5 * x * (1 + xp.tanh(_TANH_BETA * (x + _TANH_KAPPA * x * x * x)))
    x = _wide(xp, a)
    return x * (0.5 * erfc(xp, x * -_SQRT1_2))


def gelu_grad(xp, a, approximate="none"):
    """d gelu / dx: Phi(x) + x phi(x), or torch's derivative of the tanh form (in the dtype gelu
    computes in: the caller rounds)."""
    if approximate == "tanh":
        x = _opmath(a)
        t = xp.tanh(_TANH_BETA * (x + _TANH_KAPPA * x * x * x))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _TANH_BETA * (1 + 3 * _TANH_KAPPA * x * x)
    x = _wide(xp, a)
    return 0.5 * erfc(xp, x * -_SQRT1_2) + x * (xp.exp(-0.5 * x * x) * _PDF)


# ----------------------------------------------------------------------------- clamps
def clamp_low(xp, a, lo, out=None):
    """max(a, lo) that returns a itself where a == lo: torch's clamp(min=) and relu keep -0.0
    (relu(-0.0) is -0.0, 1 / relu(-0.0) = -inf), NaN stays NaN. NumPy's float32 and float64
    loops (x86 maxps) return their second operand on a tie, so (lo, a) is that order at no cost;
    its float16 loop returns the first, hence the where (any order, a NaN of either kept). The GPU
    namespaces: max(a, lo) as before."""
    if xp is np and (a.dtype.char in "fd" or a.dtype.kind != "f"):  # (integers: no tie to break)
        return np.maximum(lo, a, out=out)
    if xp is not np:
        return xp.maximum(a, lo) if out is None else xp.maximum(a, lo, out=out)
    r = np.maximum(a, lo)
    r = np.where(a == r, a, r)  # (a NaN bound or a stays NaN)
    if out is None:
        return r
    out[...] = r
    return out


def clamp_high(xp, a, hi, out=None):
    """min(a, hi) that returns a where a == hi (torch's clamp(max=0) of -0.0 is -0.0), as clamp_low."""
    if xp is np and (a.dtype.char in "fd" or a.dtype.kind != "f"):
        return np.minimum(hi, a, out=out)
    if xp is not np:
        return xp.minimum(a, hi) if out is None else xp.minimum(a, hi, out=out)
    r = np.minimum(a, hi)
    r = np.where(a == r, a, r)
    if out is None:
        return r
    out[...] = r
    return out

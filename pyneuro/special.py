"""pyneuro.special: torch.special's import path (`torch.special.erf`, `torch.special.expit`, ...).

Most names are the functions of functions_math.py (the same objects) under torch.special's names
(gammaln is lgamma, psi is digamma); the others (expit, ndtr, ndtri, xlog1py, entr, zeta, i1, i0e, i1e,
erfcx, log_ndtr, softmax with dtype=, ...) are defined below, with torch.special's signatures, from
Tensor methods and the kernels of autograd/math.py.
"""

from __future__ import annotations

import math

from ._tensor_base import need_tensor
from .autograd.shape import renamed
from .functions_math import (
    _binary,
    _unary,
    digamma,
    erf,
    erfc,
    erfinv,
    exp2,
    expm1,
    i0,
    logit,
    mvlgamma,
    polygamma,
    sinc,
    xlogy,
)
from .functions_math import lgamma as gammaln

__all__ = [
    "digamma", "entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln", "i0", "log1p",
    "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc",
    "softmax", "xlog1py", "xlogy", "zeta", "i1", "i0e", "i1e", "erfcx", "log_ndtr",
    "modified_bessel_i0", "modified_bessel_i1", "spherical_bessel_j0",
]  # fmt: skip

psi = digamma
multigammaln = mvlgamma


def zeta(input, other):
    """The Hurwitz zeta function sum_k (other + k)^-input; differentiable in other only, as torch."""
    return _binary("zeta", input, other)


def round(input, *, decimals=0):
    """Round half to even (torch.special.round is torch.round)."""
    return need_tensor(input, "round").round(decimals=decimals)


def expit(input):
    """The logistic sigmoid 1 / (1 + e^-x) (torch.sigmoid)."""
    return need_tensor(input, "expit").sigmoid()


def log1p(input):
    return need_tensor(input, "log1p").log1p()


def logsumexp(input, dim, keepdim=False):
    return need_tensor(input, "logsumexp").logsumexp(dim, keepdim)


def softmax(input, dim, *, dtype=None):
    """softmax along dim, computed in dtype if given (the input is cast first, as torch)."""
    t = need_tensor(input, "softmax")
    return (t if dtype is None else t.to(dtype)).softmax(dim)


def log_softmax(input, dim, *, dtype=None):
    t = need_tensor(input, "log_softmax")
    return (t if dtype is None else t.to(dtype)).log_softmax(dim)


def ndtr(input):
    """The standard normal CDF, (1 + erf(x / sqrt 2)) / 2, as erfc(-x / sqrt 2) / 2 (exact in the lower tail)."""
    return erfc(need_tensor(input, "ndtr")._floating() * (-1 / math.sqrt(2))) * 0.5


def ndtri(input):
    """The inverse of ndtr: sqrt 2 * erfinv(2p - 1)."""
    return renamed(
        erfinv(need_tensor(input, "ndtri")._floating() * 2 - 1) * math.sqrt(2), "SpecialNdtriBackward0"
    )


def xlog1py(input, other):
    """input * log1p(other), 0 where input is 0 (unless other is NaN)."""
    return _binary("xlog1py", input, other)


def entr(input):
    """The elementwise entropy -x ln x (0 at 0, -inf for x < 0)."""
    return _unary("entr", input)


def i1(input):
    """The modified Bessel function of the first kind, order 1."""
    return _unary("i1", input)


def i0e(input):
    """e^-|x| I0(x), which does not overflow."""
    return _unary("i0e", input)


def i1e(input):
    """e^-|x| I1(x)."""
    return _unary("i1e", input)


def erfcx(input):
    """The scaled complementary error function e^(x^2) erfc(x)."""
    return _unary("erfcx", input)


def log_ndtr(input):
    """log of the standard normal CDF, accurate far into both tails."""
    return _unary("log_ndtr", input)


def modified_bessel_i0(input):
    """I0(x), the modified Bessel function of the first kind, order 0 (i0's values; as torch's,
    no gradient flows through it)."""
    return i0(need_tensor(input, "modified_bessel_i0")).detach()


def modified_bessel_i1(input):
    """I1(x), order 1 (i1's values; no gradient, as torch's)."""
    return i1(need_tensor(input, "modified_bessel_i1")).detach()


def spherical_bessel_j0(input):
    """j0(x) = sin(x) / x (1 at 0, 0 at +-inf): sinc(x / pi); no gradient, as torch's."""
    x = need_tensor(input, "spherical_bessel_j0").detach()._floating()
    return sinc(x / math.pi).masked_fill(x.isinf(), 0.0)

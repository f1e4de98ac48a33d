"""pyneuro.special: torch.special's import path (`torch.special.erf`, `torch.special.expit`, ...).

Most names are the functions of functions_math.py (the same objects) under torch.special's names
(gammaln is lgamma, psi is digamma); the others (expit, ndtr, ndtri, xlog1py, entr, zeta, i1, i0e, i1e,
erfcx, log_ndtr, softmax with dtype=, ...) are defined below, with torch.special's signatures, from
Tensor methods and the kernels of autograd/math.py.
"""

from __future__ import annotations

import math

import numpy as np

from . import _bessel, _polynomials
from ._arguments import UNSET_ZERO, check_tensor_arguments
from ._out import add_out_keyword
from ._tensor_base import TensorBase, _backend, _wrap, need_tensor
from .functions_math import (
    _binary,
    _floats,
    _operands,
    _plain,
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
    "modified_bessel_i0", "modified_bessel_i1", "spherical_bessel_j0", "gammainc", "gammaincc",
    "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_k0", "modified_bessel_k1",
    "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "airy_ai",
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
    "legendre_polynomial_p",
]  # fmt: skip

psi = digamma
multigammaln = mvlgamma


def zeta(input, other):
    """The Hurwitz zeta function sum_k (other + k)^-input; differentiable in other only, as torch."""
    return _binary("zeta", input, other)


def round(input, *, decimals=UNSET_ZERO):
    """Round half to even (torch.special.round is torch.round)."""
    return need_tensor(input, "round").round(decimals=decimals)


def expit(input):
    """The logistic sigmoid 1 / (1 + e^-x) (torch.sigmoid)."""
    return need_tensor(input, "expit").sigmoid()


def log1p(input):
    return need_tensor(input, "log1p").log1p()


def logsumexp(input, dim, keepdim=False):
    return need_tensor(input, "logsumexp").logsumexp(dim, keepdim)


def softmax(input, dim, dtype=None):  # (dtype by position too, as torch.special.softmax; not log_softmax)
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
    """The inverse of ndtr, sqrt 2 * erfinv(2p - 1), accurate far in both tails (autograd/math.py)."""
    return _unary("ndtri", input)


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


def _host_bessel(name: str, input):
    """torch.special.<name>(input) by pyneuro/_bessel.py on the host, in input's float dtype
    (integers and bools: the default float dtype), with no gradient, as torch's."""
    x = need_tensor(input, name).detach()._floating()
    backend = _backend(x.device)
    values = getattr(_bessel, name)(backend.to_numpy(x._data)).astype(x._data.dtype)
    return _wrap(backend.asarray(values), x.device)


def bessel_j0(input):
    """J0(x), the Bessel function of the first kind, order 0."""
    return _host_bessel("bessel_j0", input)


def bessel_j1(input):
    return _host_bessel("bessel_j1", input)


def bessel_y0(input):
    """Y0(x), the Bessel function of the second kind, order 0 (-inf at 0, NaN for x < 0)."""
    return _host_bessel("bessel_y0", input)


def bessel_y1(input):
    return _host_bessel("bessel_y1", input)


def modified_bessel_k0(input):
    """K0(x), the modified Bessel function of the second kind, order 0."""
    return _host_bessel("modified_bessel_k0", input)


def modified_bessel_k1(input):
    return _host_bessel("modified_bessel_k1", input)


def scaled_modified_bessel_k0(input):
    """exp(x) K0(x), finite where K0 underflows."""
    return _host_bessel("scaled_modified_bessel_k0", input)


def scaled_modified_bessel_k1(input):
    return _host_bessel("scaled_modified_bessel_k1", input)


def airy_ai(input):
    """Ai(x), the Airy function of the first kind."""
    return _host_bessel("airy_ai", input)


def spherical_bessel_j0(input):
    """j0(x) = sin(x) / x (1 at 0, 0 at +-inf): sinc(x / pi); no gradient, as torch's."""
    x = need_tensor(input, "spherical_bessel_j0").detach()._floating()
    return sinc(x / math.pi).masked_fill(x.isinf(), 0.0)


def gammainc(input, other):
    """The regularized lower incomplete gamma function P(input, other); differentiable in other."""
    return _binary("igamma", input, other, scalars=False, ints=False)


def gammaincc(input, other):
    """The regularized upper incomplete gamma function Q(input, other) = 1 - P(input, other)."""
    return _binary("igammac", input, other, scalars=False, ints=False)


# ----------------------------------------------------------------------------- orthogonal polynomials
def _polynomial(name, input, n):
    """p_n(x) as ATen computes it (_polynomials.py), on the host; no gradient, as torch's."""
    a, b = _floats(*_operands(input, n, name))
    order = b.detach().cpu().numpy() if isinstance(b, TensorBase) else np.asarray(b)
    return _plain(a, _polynomials.polynomial(name, a.detach().cpu().numpy(), order))


def chebyshev_polynomial_t(input, n):
    return _polynomial("chebyshev_polynomial_t", input, n)


def chebyshev_polynomial_u(input, n):
    return _polynomial("chebyshev_polynomial_u", input, n)


def chebyshev_polynomial_v(input, n):
    return _polynomial("chebyshev_polynomial_v", input, n)


def chebyshev_polynomial_w(input, n):
    return _polynomial("chebyshev_polynomial_w", input, n)


def shifted_chebyshev_polynomial_t(input, n):
    return _polynomial("shifted_chebyshev_polynomial_t", input, n)


def shifted_chebyshev_polynomial_u(input, n):
    return _polynomial("shifted_chebyshev_polynomial_u", input, n)


def shifted_chebyshev_polynomial_v(input, n):
    return _polynomial("shifted_chebyshev_polynomial_v", input, n)


def shifted_chebyshev_polynomial_w(input, n):
    return _polynomial("shifted_chebyshev_polynomial_w", input, n)


def hermite_polynomial_h(input, n):
    return _polynomial("hermite_polynomial_h", input, n)


def hermite_polynomial_he(input, n):
    return _polynomial("hermite_polynomial_he", input, n)


def laguerre_polynomial_l(input, n):
    return _polynomial("laguerre_polynomial_l", input, n)


def legendre_polynomial_p(input, n):
    return _polynomial("legendre_polynomial_p", input, n)


# torch.special's functions take out= (torch.special.erf(x, out=y)), by _out.py's one rule, and refuse a
# list where a Tensor goes (_arguments.py)
add_out_keyword(globals(), [name for name in __all__ if name not in ("softmax", "log_softmax")])
check_tensor_arguments(globals(), __name__)

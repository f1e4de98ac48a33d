"""The special functions only the distributions need: the regularised incomplete gamma P(a, x)
(Gamma's and Chi2's cdf) and the implicit reparameterisation gradient of a Gamma draw (private).

log Γ, ψ, erf and erfinv are pyneuro's own (functions_math.py, autograd/math.py: the one copy of
each); they are re-exported here for the distribution modules. Everything is computed in float64
and rounded to the input's dtype.
"""

from __future__ import annotations

import numpy as np

from ..autograd import math as _m
from ..autograd.function import Function, _errstate, _unbroadcast
from ..functions_math import atan, digamma, erf, erfinv, lgamma

__all__ = ["atan", "digamma", "erf", "erfinv", "lgamma", "gammainc", "standard_gamma"]


def gammainc_array(xp, a, x):
    """The regularised lower incomplete gamma P(a, x) = γ(a, x) / Γ(a), elementwise, in float64.

    Its series  x^a e^-x / Γ(a + 1) Σ x^n / ((a + 1)...(a + n))  for x < a + 1, else 1 minus
    the continued fraction for Q(a, x) (Numerical Recipes' gser / gcf, evaluated with Lentz's method).
    """
    a, x = xp.broadcast_arrays(xp.asarray(a, dtype=xp.float64), xp.asarray(x, dtype=xp.float64))
    with _errstate(xp):
        series = x < a + 1
        xs, xc = xp.where(series, x, 0.0), xp.where(series, a + 2.0, x)  # each branch on its own inputs
        term = 1.0 / a
        total = term
        for n in range(1, 2000):
            term = term * xs / (a + n)
            total = total + term
            if n % 20 == 0 and bool(xp.all(xp.abs(term) <= xp.abs(total) * 1e-16)):
                break
        p = total * xp.exp(a * xp.log(xs) - xs - _m.lgamma(xp, a))
        tiny = 1e-300
        b = xc + 1.0 - a
        c = xp.full_like(b, 1.0 / tiny)
        d = 1.0 / b
        h = d
        for i in range(1, 2000):
            an = -i * (i - a)
            b = b + 2.0
            d = an * d + b
            d = xp.where(xp.abs(d) < tiny, tiny, d)
            c = b + an / c
            c = xp.where(xp.abs(c) < tiny, tiny, c)
            d = 1.0 / d
            delta = d * c
            h = h * delta
            if i % 10 == 0 and bool(xp.all(xp.abs(delta - 1.0) <= 1e-15)):
                break
        q = h * xp.exp(a * xp.log(xc) - xc - _m.lgamma(xp, a))
        out = xp.where(series, p, 1.0 - q)
        return xp.where(x <= 0, 0.0, out)


def gamma_sample_grad_array(xp, alpha, x):
    """d x / d alpha for x ~ Gamma(alpha, 1) drawn by inverting the cdf P(alpha, x) = u (u held
    fixed): - (∂P/∂alpha) / p(x; alpha), the implicit reparameterisation gradient. ∂P/∂alpha
    is a central difference of P in float64 (relative step 1e-5: error ~1e-9)."""
    alpha, x = xp.asarray(alpha, dtype=xp.float64), xp.asarray(x, dtype=xp.float64)
    h = 1e-5 * xp.maximum(alpha, 1e-3)
    dp = (gammainc_array(xp, alpha + h, x) - gammainc_array(xp, alpha - h, x)) / (2 * h)
    with _errstate(xp):
        density = xp.exp((alpha - 1) * xp.log(x) - x - _m.lgamma(xp, alpha))
        return xp.where(density > 0, -dp / density, 0.0)


class _GammaReparam(Function):
    """out = x, a Gamma(alpha, 1) draw made outside; backward: d x / d alpha (implicit
    reparameterisation, gamma_sample_grad_array), so the draw is differentiable in alpha."""

    __slots__ = ()
    saved_for = ((0,),)

    def forward(self, alpha, x):
        self.saved = (alpha, x)
        return x

    def backward(self, g):
        alpha, x = self.saved
        d = gamma_sample_grad_array(self.bk.xp, alpha, x)
        return (g * d).astype(g.dtype, copy=False), None


class _GammaInc(Function):
    """out = P(a, x), the regularised lower incomplete gamma (Gamma's cdf).
    d/dx = x^(a-1) e^-x / Γ(a);  d/da by a central difference in float64."""

    __slots__ = ()
    saved_for = ((0, 1), (0, 1))

    def forward(self, a, x):
        self.saved = (a, x)
        return gammainc_array(self.bk.xp, a, x).astype(np.result_type(a.dtype, x.dtype), copy=False)

    def backward(self, g):
        a, x = self.saved
        xp = self.bk.xp
        af, xf = xp.asarray(a, dtype=xp.float64), xp.asarray(x, dtype=xp.float64)
        ga = gx = None
        with _errstate(xp):
            if self.needs[0]:
                h = 1e-5 * xp.maximum(af, 1e-3)
                d = (gammainc_array(xp, af + h, xf) - gammainc_array(xp, af - h, xf)) / (2 * h)
                ga = _unbroadcast((g * d).astype(g.dtype, copy=False), a.shape)
            if self.needs[1]:
                d = xp.exp((af - 1) * xp.log(xf) - xf - _m.lgamma(xp, af))
                gx = _unbroadcast((g * xp.where(xf > 0, d, 0.0)).astype(g.dtype, copy=False), x.shape)
        return ga, gx


def _float(t):
    return t if t.is_floating_point() else t.float()


def gammainc(a, x):
    """P(a, x), the regularised lower incomplete gamma of two Tensors (differentiable in both)."""
    return _GammaInc.apply(_float(a), _float(x))


def standard_gamma(alpha, draw):
    """A Gamma(alpha, 1) draw of alpha's shape, differentiable in alpha: `draw(alpha_array)`
    makes the values (on the host, from pyneuro's generator), _GammaReparam gives the gradient."""
    return _GammaReparam.apply(alpha, draw(alpha))

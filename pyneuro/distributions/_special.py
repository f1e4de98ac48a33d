"""The special functions the distributions need: lgamma, digamma, erf, erfinv (private).

Beta, Gamma, Dirichlet, Poisson and Binomial normalise their densities with log Γ; their
entropies and KL terms use its derivative ψ (digamma), and the gradients of those need ψ'
(trigamma). Normal's cdf and icdf need erf and its inverse. NumPy has none of them, so
they are written here on the backend's array namespace `xp` (NumPy or CuPy):

    log Γ(x)   shift x up to z >= 8 with  log Γ(x) = log Γ(x + 1) - log x,
               then Stirling's series  (z - 1/2) log z - z + log(2π)/2 + 1/(12 z) - 1/(360 z³) + ...
    ψ(x)       the same shift  ψ(x) = ψ(x + 1) - 1/x,  then  log z - 1/(2z) - 1/(12 z²) + ...
    ψ'(x)      ψ'(x) = ψ'(x + 1) + 1/x²,  then  1/z + 1/(2 z²) + 1/(6 z³) - 1/(30 z⁵) + ...
    erf(x)     its Taylor series for |x| < 2.5, else 1 - erfc(x) with erfc's continued fraction
    erfinv(y)  Giles' single-precision approximation, polished by two Newton steps on erf

Negative arguments of log Γ and ψ use the reflection formulas. Everything is computed in
float64 and rounded to the input's dtype, so float32 results are correctly rounded to ~1 ulp.
Each op is an autograd Function (lgamma' = ψ, ψ' = trigamma, erf' = 2/√π e^(-x²),
erfinv' = √π/2 e^(erfinv(y)²)), so gradients flow through log_prob and entropy.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Function, _errstate, _unbroadcast

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_SHIFT = 8.0  # shift arguments up to this before the asymptotic series (error < 1e-13 there)


def _shift_up(xp, x, term):
    """Move every x below _SHIFT up by 1 at a time, summing term(x) over the steps taken."""
    acc = xp.zeros_like(x)
    for _ in range(int(_SHIFT)):
        small = x < _SHIFT
        acc = acc + xp.where(small, term(xp.where(small, x, 1.0)), 0.0)
        x = xp.where(small, x + 1.0, x)
    return x, acc


def _reflect(xp, x):
    """(x or 1 - x for x < 0.5, the mask of reflected entries): the reflection formulas' argument."""
    neg = x < 0.5
    return xp.where(neg, 1.0 - x, x), neg


def lgamma_array(xp, x):
    """log |Γ(x)| elementwise, in float64."""
    x = xp.asarray(x, dtype=xp.float64)
    with _errstate(xp):
        y, neg = _reflect(xp, x)
        z, acc = _shift_up(xp, y, xp.log)
        r = 1.0 / (z * z)
        series = (1 / 12 + r * (-1 / 360 + r * (1 / 1260 + r * (-1 / 1680 + r * (1 / 1188))))) / z
        out = (z - 0.5) * xp.log(z) - z + _LOG_SQRT_2PI + series - acc
        # Γ(x) Γ(1 - x) = π / sin(π x); the poles (x = 0, -1, ...) give +inf, as in torch
        refl = math.log(math.pi) - xp.log(xp.abs(xp.sin(math.pi * x))) - out
        refl = xp.where(x == xp.floor(x), xp.inf, refl)
        return xp.where(neg, refl, out)


def digamma_array(xp, x):
    """ψ(x) = d/dx log Γ(x) elementwise, in float64 (nan at the poles 0, -1, ... as in torch)."""
    x = xp.asarray(x, dtype=xp.float64)
    with _errstate(xp):
        y, neg = _reflect(xp, x)
        z, acc = _shift_up(xp, y, lambda v: 1.0 / v)
        r = 1.0 / (z * z)
        series = r * (1 / 12 - r * (1 / 120 - r * (1 / 252 - r * (1 / 240 - r * (1 / 132)))))
        out = xp.log(z) - 0.5 / z - series - acc
        # ψ(1 - x) - ψ(x) = π cot(π x)
        refl = out - math.pi / xp.tan(math.pi * x)
        refl = xp.where(
            x == xp.floor(x), xp.where(x == 0, -xp.inf, xp.nan), refl
        )  # torch's values at the poles
        return xp.where(neg, refl, out)


def trigamma_array(xp, x):
    """ψ'(x) elementwise for x > 0, in float64 (the derivative of digamma)."""
    x = xp.asarray(x, dtype=xp.float64)
    with _errstate(xp):
        y, neg = _reflect(xp, x)
        z, acc = _shift_up(xp, y, lambda v: 1.0 / (v * v))
        r = 1.0 / (z * z)
        series = 1 / z + r / 2 + (r / z) * (1 / 6 - r * (1 / 30 - r * (1 / 42 - r * (1 / 30 - r * (5 / 66)))))
        out = series + acc
        # ψ'(1 - x) + ψ'(x) = π² / sin²(π x)
        refl = (math.pi / xp.sin(math.pi * x)) ** 2 - out
        return xp.where(neg, refl, out)


def _erf_erfc(xp, a):
    """(erf(a), erfc(a)) for float64 a >= 0, each to ~1e-14 (erfc relative to itself for a >= 2.5)."""
    # Taylor: erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1)), summed for x < 2.5
    s = xp.minimum(a, 2.5)
    term = s.copy()
    total = s.copy()
    s2 = s * s
    for n in range(1, 60):
        term = -term * s2 / n
        total = total + term / (2 * n + 1)
    small = total * (2 / math.sqrt(math.pi))
    # erfc(x) = e^(-x²)/√π / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) for x >= 2.5
    b = xp.maximum(a, 2.5)
    f = b.copy()
    for k in range(60, 0, -1):
        f = b + (k / 2) / f
    tail = xp.exp(-b * b) / (math.sqrt(math.pi) * f)
    near = a < 2.5
    return xp.where(near, small, 1.0 - tail), xp.where(near, 1.0 - small, tail)


def erf_array(xp, x):
    """erf(x) elementwise, in float64 (absolute error below 1e-14)."""
    x = xp.asarray(x, dtype=xp.float64)
    return xp.sign(x) * _erf_erfc(xp, xp.abs(x))[0]


def erfinv_array(xp, y):
    """erfinv(y) elementwise for -1 <= y <= 1, in float64 (±inf at ±1, nan outside)."""
    y = xp.asarray(y, dtype=xp.float64)
    with _errstate(xp):
        inside = xp.abs(y) < 1
        a = xp.where(inside, xp.abs(y), 0.0)
        # M. Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011), float32 version
        w = -xp.log((1.0 - a) * (1.0 + a))
        w1 = w - 2.5
        p1 = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                  -0.00417768164, 0.246640727, 1.50140941):  # fmt: skip
            p1 = c + p1 * w1
        w2 = xp.sqrt(xp.maximum(w, 5.0)) - 3.0
        p2 = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
                  0.00943887047, 1.00167406, 2.83297682):  # fmt: skip
            p2 = c + p2 * w2
        x = xp.where(w < 5.0, p1, p2) * a
        # Newton on erf(x) = a; for a >= 1/2 on log erfc(x) = log(1 - a), which keeps the digits
        # of a near 1 and is nearly linear in the tail
        for _ in range(3):
            e, ec = _erf_erfc(xp, x)
            slope = 2 / math.sqrt(math.pi) * xp.exp(-x * x)
            step = xp.where(a < 0.5, (e - a) / slope, (xp.log(1.0 - a) - xp.log(ec)) * ec / slope)
            x = x - step
        edge = xp.where(y == 1, xp.inf, xp.where(y == -1, -xp.inf, xp.nan))
        return xp.where(inside, xp.sign(y) * x, edge)


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
        p = total * xp.exp(a * xp.log(xs) - xs - lgamma_array(xp, a))
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
        q = h * xp.exp(a * xp.log(xc) - xc - lgamma_array(xp, a))
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
        density = xp.exp((alpha - 1) * xp.log(x) - x - lgamma_array(xp, alpha))
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
                d = xp.exp((af - 1) * xp.log(xf) - xf - lgamma_array(xp, af))
                gx = _unbroadcast((g * xp.where(xf > 0, d, 0.0)).astype(g.dtype, copy=False), x.shape)
        return ga, gx


class _Special(Function):
    """out = f(a) for f in lgamma, digamma, erf, erfinv; the derivative is written beside each.

    name      f(a)           d f / d a
    lgamma    log |Γ(a)|     ψ(a)
    digamma   ψ(a)           ψ'(a)
    erf       erf(a)         2/√π e^(-a²)
    erfinv    erfinv(a)      √π/2 e^(out²)
    atan      arctan(a)      1 / (1 + a²)       (Cauchy's cdf)
    """

    __slots__ = ()
    saved_for = ((0,),)

    _FORWARD = {
        "lgamma": lgamma_array,
        "digamma": digamma_array,
        "erf": erf_array,
        "erfinv": erfinv_array,
        "atan": lambda xp, a: xp.arctan(a),
    }

    def forward(self, a, name="lgamma"):
        xp = self.bk.xp
        out = self._FORWARD[name](xp, a).astype(a.dtype, copy=False)
        self.saved = (a, out, name)
        return out

    def backward(self, g):
        a, out, name = self.saved
        xp = self.bk.xp
        with _errstate(xp):
            if name == "lgamma":
                d = digamma_array(xp, a)
            elif name == "digamma":
                d = trigamma_array(xp, a)
            elif name == "atan":
                d = 1 / (1 + a.astype(xp.float64) ** 2)
            elif name == "erf":
                d = (2 / math.sqrt(math.pi)) * xp.exp(-(a.astype(xp.float64) ** 2))
            else:
                d = (math.sqrt(math.pi) / 2) * xp.exp(out.astype(xp.float64) ** 2)
        return ((g * d).astype(g.dtype, copy=False),)


def _float(t):
    return t if t.is_floating_point() else t.float()


def lgamma(t):
    """log |Γ(t)| of a Tensor (differentiable)."""
    return _Special.apply(_float(t), name="lgamma")


def digamma(t):
    """ψ(t) of a Tensor (differentiable)."""
    return _Special.apply(_float(t), name="digamma")


def erf(t):
    """erf(t) of a Tensor (differentiable)."""
    return _Special.apply(_float(t), name="erf")


def erfinv(t):
    """erfinv(t) of a Tensor (differentiable)."""
    return _Special.apply(_float(t), name="erfinv")


def gammainc(a, x):
    """P(a, x), the regularised lower incomplete gamma of two Tensors (differentiable in both)."""
    return _GammaInc.apply(_float(a), _float(x))


def standard_gamma(alpha, draw):
    """A Gamma(alpha, 1) draw of alpha's shape, differentiable in alpha: `draw(alpha_array)`
    makes the values (on the host, from pyneuro's generator), _GammaReparam gives the gradient."""
    return _GammaReparam.apply(alpha, draw(alpha))


def atan(t):
    """arctan(t) of a Tensor (differentiable)."""
    return _Special.apply(_float(t), name="atan")

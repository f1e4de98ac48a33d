"""The rest of torch's elementwise math as autograd Functions: trigonometric and hyperbolic
functions, erf and the gamma family, and the binary ones (atan2, hypot, xlogy, fmax, ...).

NumPy has no erf, erfinv, lgamma or digamma, so this module computes them itself, in
float64 with published rational/asymptotic series, then rounds to the input's dtype:

    erf, erfc     Cephes (S. Moshier) rational approximations, ~1e-16 relative in float64
    erfinv        M. Giles' single-precision approximation + Halley/Newton steps on erf/erfc
    lgamma        Lanczos (g=7, 9 terms) for x >= 1/2, the reflection formula below
    digamma       the recurrence psi(x) = psi(x+1) - 1/x up to x >= 10, then the
                  asymptotic series; reflection psi(1-x) - pi / tan(pi x) for x < 0
    polygamma     (-1)^(n+1) n! zeta(n+1, x), the Hurwitz zeta function by Euler-Maclaurin
    i0, i1        the power series (|x| < 30) or the asymptotic series (i1 is i0's derivative),
                  optionally scaled by e^-|x| (i0e, i1e)
    erfcx         e^(x^2) erfc(x): Cephes' erfc ratio itself above 1; log_ndtr through it

Each is written with the array namespace `xp` only, so it runs on NumPy and CuPy alike.

Two Functions hold the ops, each a table with the value and the derivative side by side:
`Unary` (out = f(a)) and `Binary` (out = f(a, b)), with one subclass per op named as torch names
it (UNARY_OPS["tan"] is `Tan`, whose nodes print as TanBackward0); `Lerp` is the op of three tensors.
"""

from __future__ import annotations

import math

from ..backends.special_xp import (
    _ERFC_P,
    _ERFC_Q,
    _ERFC_R,
    _ERFC_S,
    _erf_small,
    _f64,
    _pieces,
    _poly,
    erf,
    erfc,
)
from .function import Function, _errstate, _shape_of, _unbroadcast

_PI = math.pi
_SQRT_PI = math.sqrt(math.pi)
_LN2 = math.log(2.0)


# erf and erfc (and the helpers erfcx, erfinv, ... share) live in backends/special_xp.py, which the
# numpy backend's gelu kernels use too.


def erfcx(xp, a):
    """e^(x^2) erfc(x) without overflow: above 1 it is Cephes' ratio itself (erfc = e^(-x^2) ratio)."""
    x = _f64(xp, a)
    with _errstate(xp):
        return _pieces(
            xp,
            x,
            ((x >= 1) & (x < 8), lambda v: _poly(v, _ERFC_P) / _poly(v, _ERFC_Q)),
            ((x >= 8) & (x < xp.inf), lambda v: _poly(v, _ERFC_R) / _poly(v, _ERFC_S)),
            (x == xp.inf, xp.zeros_like),
            (xp.abs(x) < 1, lambda v: xp.exp(v * v) * (1 - _erf_small(v))),
            (x <= -1, lambda v: 2 * xp.exp(v * v) - erfcx(xp, -v)),
        )


def log_ndtr(xp, a):
    """log of the standard normal CDF: log1p(-erfc(x/sqrt 2)/2) above -1, else
    log(erfcx(-x/sqrt 2) / 2) - x^2/2 (no underflow far in the lower tail)."""
    x = _f64(xp, a)
    r = 1 / math.sqrt(2)
    with _errstate(xp):
        return _pieces(
            xp,
            x,
            (x > -1, lambda v: xp.log1p(-0.5 * erfc(xp, v * r))),
            (x <= -1, lambda v: xp.log(0.5 * erfcx(xp, -v * r)) - v * v / 2),
        )


def _erfinv_central(xp, y):
    """erfinv(y) for 0 <= y <= 1/2: Giles' guess (~1e-7), then one Halley step on erf(x) - y
    (erf'' = -2x erf'), which cubes the error."""
    x = y * _poly(-xp.log((1 - y) * (1 + y)) - 2.5, _GILES_CENTRAL)
    f = erf(xp, x) - y
    return x - f / ((2 / _SQRT_PI) * xp.exp(-x * x) + x * f)


def _erfinv_tail(xp, y):
    """erfinv(y) for 1/2 < y < 1: Giles' guess, then Newton on log erfc(x) - log(1 - y) (1 - y is
    exact here): two steps, two more where 1 - y < 1e-7, beyond the guess's float32 range."""
    w = -xp.log((1 - y) * (1 + y))
    x = y * xp.where(
        w < 5, _poly(w - 2.5, _GILES_CENTRAL), _poly(xp.sqrt(xp.maximum(w, 5.0)) - 3, _GILES_TAIL)
    )

    def newton(x, y):
        c = erfc(xp, xp.minimum(x, 26.0))
        return x + (xp.log(c) - xp.log(1 - y)) * c / ((2 / _SQRT_PI) * xp.exp(-x * x))

    x = newton(newton(x, y), y)
    far = 1 - y < 1e-7
    if far.any():
        x[far] = newton(newton(x[far], y[far]), y[far])
    return x


# M. Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011), single precision
_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)  # fmt: skip
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
               -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)  # fmt: skip


def erfinv(xp, a):
    """The x with erf(x) = a (+-inf at +-1, NaN beyond)."""
    y = _f64(xp, a)
    ay = xp.abs(y)
    with _errstate(xp):
        x = _pieces(
            xp,
            ay,
            (ay <= 0.5, lambda v: _erfinv_central(xp, v)),
            ((ay > 0.5) & (ay < 1), lambda v: _erfinv_tail(xp, v)),
            (ay == 1, lambda v: v * xp.inf),
        )
        return xp.sign(y) * x


def _erfcinv_small(xp, q):
    """The x >= 0 with erfc(x) = q, for 0 < q <= 1/2 (float64): Giles' guess at erfinv(1 - q)
    from w = -log(q (2 - q)), then Newton on log erfc(x) = log q, which keeps q's own digits
    (1 - q would lose them all below 1e-16)."""
    w = -xp.log(q * (2 - q))
    x = (1 - q) * xp.where(
        w < 5, _poly(w - 2.5, _GILES_CENTRAL), _poly(xp.sqrt(xp.clip(w, 5.0, 36.0)) - 3, _GILES_TAIL)
    )
    t = -xp.log(q)  # beyond Giles' range (q < 1e-16): erfc(x) ~ e^(-x^2) / (x sqrt pi)
    x = xp.where(w > 36, xp.sqrt(xp.maximum(t - 0.5 * xp.log(_PI * t), 1.0)), x)
    for _ in range(5):  # log erfc(x) = log erfcx(x) - x^2: no underflow however small q is
        c = erfcx(xp, x)
        x = x + (xp.log(c) - x * x - xp.log(q)) * c * (_SQRT_PI / 2)
    return x


def ndtri(xp, a):
    """The p-quantile of the standard normal: sqrt 2 erfinv(2p - 1), computed from the nearer
    end, q = 2 min(p, 1 - p) (exact), as -sqrt 2 erfcinv(q) below 1/2: 2p - 1 rounds p = 1e-8
    to -1 in float32 (-inf where torch gives -5.612)."""
    p = _f64(xp, a)
    with _errstate(xp):
        q = 2 * xp.minimum(p, 1 - p)
        x = _pieces(
            xp,
            q,
            ((q > 0.5) & (q <= 1), lambda v: erfinv(xp, 1 - v)),
            ((q > 0) & (q <= 0.5), lambda v: _erfcinv_small(xp, v)),
            (q == 0, lambda v: v + xp.inf),
        )
        return math.sqrt(2) * xp.where(p < 0.5, -x, x)


# ----------------------------------------------------------------------------- lgamma, digamma
_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7)  # fmt: skip


def _sinpi(xp, x):
    """sin(pi x), exact at the integers (the argument is reduced mod 2 before multiplying by pi)."""
    r = x - 2 * xp.round(x / 2)  # exact: x's distance to the nearest even integer, in [-1, 1]
    return xp.where(x == xp.floor(x), 0.0, xp.sin(_PI * r))


def lgamma(xp, a):
    """log|Gamma(x)|: inf at the poles 0, -1, -2, ... and at +-inf; Lanczos for x >= 1/2,
    lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x) below."""
    x = _f64(xp, a)
    with _errstate(xp):
        refl = x < 0.5
        z = xp.where(refl, 1 - x, x) - 1  # Gamma(z + 1) by Lanczos, z >= -1/2
        z = xp.where(xp.isinf(z), 1.0, z)  # +-inf: the answer is set below
        s = _LANCZOS[0] + 0 * z
        for i, c in enumerate(_LANCZOS[1:], start=1):
            s = s + c / (z + i)
        t = z + _LANCZOS_G + 0.5
        value = 0.5 * math.log(2 * _PI) + (z + 0.5) * xp.log(t) - t + xp.log(s)
        value = xp.where(refl, xp.log(_PI / xp.abs(_sinpi(xp, x))) - value, value)
        value = xp.where((x == 1) | (x == 2), 0.0, value)  # exact zeros, as Gamma(1) = Gamma(2) = 1
        return xp.where(xp.isinf(x), xp.inf, value)


def _psi_series(xp, x):
    """digamma for x > 0: the recurrence psi(x) = psi(x+1) - 1/x up to x >= 10, then the
    asymptotic series log x - 1/(2x) - y/12 + y^2/120 - y^3/252 + ... in y = 1/x^2."""
    acc = xp.zeros_like(x)
    small = x < 10
    if small.any():  # shift those by exactly 10: x + 10 >= 10 for every x > 0
        xs = x[small]
        acc[small] = sum(1 / (xs + k) for k in range(10))
        x = x.copy()
        x[small] = xs + 10
    y = 1 / (x * x)
    series = y * _poly(y, (1 / 12, -691 / 32760, 1 / 132, -1 / 240, 1 / 252, -1 / 120, 1 / 12))
    return xp.log(x) - 0.5 / x - series - acc


def digamma(xp, a):
    """psi(x) = Gamma'(x) / Gamma(x); -inf at +0, inf at -0, NaN at the negative integers (as torch)."""
    x = _f64(xp, a)
    with _errstate(xp):
        neg = x < 0
        pos = xp.where(neg, 1 - x, x)
        value = _psi_series(xp, xp.where(pos > 0, pos, 1.0))
        r = x - xp.round(x)  # tan has period 1: pi / tan(pi x) = pi cos(pi r) / sin(pi r), exact for tiny x
        value = xp.where(neg, value - _PI * xp.cos(_PI * r) / xp.sin(_PI * r), value)
        value = xp.where(neg & (r == 0), xp.nan, value)
        value = xp.where(x == 0, xp.where(xp.signbit(x), xp.inf, -xp.inf), value)
        return xp.where(x == xp.inf, xp.inf, xp.where((x == -xp.inf) | xp.isnan(x), xp.nan, value))


_TINY_F64 = 1e-300  # Lentz's guard against dividing by zero

# Bernoulli numbers B_2, B_4, ..., B_24, for the Euler-Maclaurin tail of the Hurwitz zeta function
_BERNOULLI_2J = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798,
                 -174611 / 330, 854513 / 138, -236364091 / 2730)  # fmt: skip


_DIRECT_TERMS = 64  # terms summed one round each (q >= -54); further ones by _far_terms


def _far_terms(xp, s, q, n, shape):
    """sum_{_DIRECT_TERMS <= k < n} (q + k)^-s for each element whose q needs more terms: a chunk of
    k at a time (q = -1e7 + 0.5 took 10**7 rounds over the whole array: minutes; torch loops in C)."""
    out = xp.zeros(shape)
    flat = out.reshape(-1)
    qs, ss, ns = (xp.broadcast_to(xp.asarray(v, dtype=xp.float64), shape).reshape(-1) for v in (q, s, n))
    for i in xp.flatnonzero(ns > _DIRECT_TERMS).tolist():
        total, end = 0.0, int(ns[i])
        for k0 in range(_DIRECT_TERMS, end, 1 << 20):
            k = xp.arange(k0, min(end, k0 + (1 << 20)), dtype=xp.float64)
            total += float(((qs[i] + k) ** -ss[i]).sum())
        flat[i] = total
    return out


def zeta(xp, s, q):
    """The Hurwitz zeta function sum_{k>=0} (q + k)^-s for s > 1: the terms summed directly until
    q + n >= 10 (n per element), then Euler-Maclaurin: w^(1-s)/(s-1) + w^-s/2 +
    sum_j B_2j / (2j)! s (s+1) ... (s+2j-2) w^(-s-2j+1), w = q + n. Infinite at the poles q = 0, -1, ..."""
    q = _f64(xp, q)
    with _errstate(xp):
        pole = (q <= 0) & (q == xp.floor(q))  # (summing up to them from -1e18 would never end)
        n = xp.where(xp.isfinite(q) & (q < 10) & ~pole, xp.ceil(10 - q), 0.0)
        total = xp.zeros(
            xp.broadcast_shapes(q.shape, xp.shape(s)) if hasattr(xp, "broadcast_shapes") else q.shape
        )
        steps = int(n.max()) if n.size else 0
        for k in range(min(steps, _DIRECT_TERMS)):
            total = total + xp.where(k < n, (q + k) ** -s, 0.0)
        if steps > _DIRECT_TERMS:  # q far below 0: the rest of its terms as array sums
            total = total + _far_terms(xp, s, q, n, total.shape)
        w = q + n
        total = total + w ** (1 - s) / (s - 1) + 0.5 * w**-s
        poch, fact = s, 2.0  # s (s+1) ... (s+2j-2) and (2j)!
        for j, b in enumerate(_BERNOULLI_2J, start=1):
            total = total + b / fact * poch * w ** (-s - 2 * j + 1)
            poch = poch * (s + 2 * j - 1) * (s + 2 * j)
            fact *= (2 * j + 1) * (2 * j + 2)
        return xp.where(q == -xp.inf, xp.nan, xp.where(pole, xp.inf, total))


def polygamma(xp, a, n=0):
    """The n-th derivative of digamma: (-1)^(n+1) n! zeta(n + 1, x) for n >= 1; as torch's, n! is
    exp(lgamma(n + 1)) and the product is taken in x's float type, so past n = 34 (float32) / 170
    (float64) it is inf, times zeta (0 where it underflows: NaN). (math.factorial(10**6) took seconds,
    then overflowed a float.)"""
    if n == 0:
        return digamma(xp, a)
    dt = a.dtype if a.dtype.itemsize == 8 else xp.float32
    with _errstate(xp):
        factor = xp.exp(xp.asarray(math.lgamma(n + 1), dtype=dt)) * (1 if n % 2 else -1)
        return factor * zeta(xp, float(n + 1), a).astype(dt, copy=False)


def _bessel_i_series(xp, x, nu):
    """I_nu(x) = sum (x/2)^(2k+nu) / (k! (k+nu)!), for 0 <= x < 30."""
    h = x / 2
    term = h.copy() if nu == 1 else xp.ones_like(h)
    total = term.copy()
    for k in range(1, 70):
        term = term * h * h / (k * (k + nu))
        total = total + term
    return total


def _bessel_i_asymptotic(xp, x, nu, scaled=False):
    """I_nu(x) for x >= 30: e^x / sqrt(2 pi x) sum (-1)^k a_k / x^k, a_k = prod_{j<=k} (4 nu^2 - (2j-1)^2) / (k! 8^k)."""
    total, coef = xp.ones_like(x), 1.0
    for k in range(1, 12):
        coef = coef * (4 * nu * nu - (2 * k - 1) ** 2) / (k * 8)
        total = total + coef * (-1) ** k / x**k
    return total * (1.0 if scaled else xp.exp(x)) / xp.sqrt(2 * _PI * x)


def bessel_i(xp, a, nu, scaled=False):
    """The modified Bessel functions I0 (even) and I1 (odd, I0's derivative); scaled: e^-|x| I(x)."""
    x = _f64(xp, a)
    ax = xp.abs(x)
    with _errstate(xp):
        mag = _pieces(
            xp,
            ax,
            (ax < 30, lambda v: _bessel_i_series(xp, v, nu) * (xp.exp(-v) if scaled else 1.0)),
            (ax >= 30, lambda v: _bessel_i_asymptotic(xp, v, nu, scaled)),
        )
        return mag if nu == 0 else xp.sign(x) * mag


# ----------------------------------------------------------------------------- Unary
def _sinc(xp, a):
    px = _PI * a
    with _errstate(xp):
        return xp.where(a == 0, 1.0, xp.sin(px) / px)


def _sinc_grad(xp, a, out):
    """torch's formula; where px * a underflows (|a| below ~1e-22 in float32) its 0 / 0 is the
    limit 0, as torch's gradient there (not NaN)."""
    px = _PI * a
    with _errstate(xp):
        denominator = px * a
        return xp.where(denominator == 0, 0.0, (xp.cos(px) * px - xp.sin(px)) / denominator)


def _logit(xp, a, eps=None):
    if eps is not None:  # torch's clamp: x < eps ? eps : (x > 1 - eps ? 1 - eps : x), also for eps > 0.5
        a = xp.where(a < eps, eps, xp.where(a > 1 - eps, 1 - eps, a)).astype(a.dtype, copy=False)
    return xp.log(a / (1 - a))


def _logit_grad(xp, a, out, eps=None):
    d = 1 / (a * (1 - a))
    if eps is None:
        return xp.where((a < 0) | (a > 1), xp.nan, d)
    return xp.where((a < eps) | (a > 1 - eps), 0.0, d)


def _nan_to_num(xp, a, nan=0.0, posinf=None, neginf=None):
    return xp.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)


def _angle(xp, a):
    """The complex argument of a real number: pi below 0, else 0 (NaN stays NaN)."""
    return xp.where(xp.isnan(a), a, xp.where(a < 0, _PI, 0.0))


def _i1_grad(xp, a, scaled):
    """d/dx I1(x) = I0(x) - I1(x)/x (1/2 at 0); scaled: d/dx e^-|x| I1(x) = I0e - I1e (sign(x) + 1/x)."""
    with _errstate(xp):
        i1 = bessel_i(xp, a, 1, scaled)
        d = bessel_i(xp, a, 0, scaled) - i1 * ((xp.sign(a) if scaled else 0) + 1 / a)
        return xp.where(a == 0, 0.5, d)


def _entr(xp, a):
    """-x ln x: 0 at 0, -inf below (torch.special.entr)."""
    return xp.where(
        a > 0, -a * xp.log(xp.where(a > 0, a, 1.0)), xp.where(a == 0, 0.0, xp.where(a < 0, -xp.inf, a))
    )


# name: (f(xp, a, **params), f'(xp, a, out, **params), what f' reads: "a", "out" or "a,out")
UNARY = {
    "tan": (lambda xp, a: xp.tan(a), lambda xp, a, out: 1 + out * out, "out"),
    "asin": (lambda xp, a: xp.arcsin(a), lambda xp, a, out: 1 / xp.sqrt(1 - a * a), "a"),
    "acos": (lambda xp, a: xp.arccos(a), lambda xp, a, out: -1 / xp.sqrt(1 - a * a), "a"),
    "atan": (lambda xp, a: xp.arctan(a), lambda xp, a, out: 1 / (1 + a * a), "a"),
    "sinh": (lambda xp, a: xp.sinh(a), lambda xp, a, out: xp.cosh(a), "a"),
    "cosh": (lambda xp, a: xp.cosh(a), lambda xp, a, out: xp.sinh(a), "a"),
    "asinh": (lambda xp, a: xp.arcsinh(a), lambda xp, a, out: 1 / xp.sqrt(a * a + 1), "a"),
    "acosh": (lambda xp, a: xp.arccosh(a), lambda xp, a, out: 1 / xp.sqrt(a * a - 1), "a"),
    "atanh": (lambda xp, a: xp.arctanh(a), lambda xp, a, out: 1 / (1 - a * a), "a"),
    "sinc": (_sinc, _sinc_grad, "a"),
    "exp2": (lambda xp, a: xp.exp2(a), lambda xp, a, out: out * _LN2, "out"),
    "frac": (lambda xp, a: a - xp.trunc(a), lambda xp, a, out: xp.ones_like(a), ""),
    "erf": (erf, lambda xp, a, out: (2 / _SQRT_PI) * xp.exp(-a * a), "a"),
    "erfc": (erfc, lambda xp, a, out: (-2 / _SQRT_PI) * xp.exp(-a * a), "a"),
    "erfinv": (
        erfinv,
        lambda xp, a, out: (_SQRT_PI / 2) * xp.exp(erfinv(xp, a) ** 2),
        "a",
    ),  # from a, as torch
    "ndtri": (ndtri, lambda xp, a, out: math.sqrt(2 * _PI) * xp.exp(out * out / 2), "out"),
    "lgamma": (lgamma, lambda xp, a, out: digamma(xp, a), "a"),
    "digamma": (digamma, lambda xp, a, out: polygamma(xp, a, 1), "a"),
    "polygamma": (polygamma, lambda xp, a, out, n: polygamma(xp, a, n + 1), "a"),
    "angle": (_angle, lambda xp, a, out: xp.zeros_like(a), ""),
    "i0": (lambda xp, a: bessel_i(xp, a, 0), lambda xp, a, out: bessel_i(xp, a, 1), "a"),
    "logit": (_logit, _logit_grad, "a"),
    "nan_to_num": (_nan_to_num, lambda xp, a, out, **kw: xp.isfinite(a), "a"),
    "entr": (_entr, lambda xp, a, out: -(xp.log(a) + 1), "a"),
    "i1": (lambda xp, a: bessel_i(xp, a, 1), lambda xp, a, out: _i1_grad(xp, a, False), "a"),
    "i0e": (
        lambda xp, a: bessel_i(xp, a, 0, True),
        lambda xp, a, out: bessel_i(xp, a, 1, True) - xp.sign(a) * out,
        "a,out",
    ),  # fmt: skip
    "i1e": (lambda xp, a: bessel_i(xp, a, 1, True), lambda xp, a, out: _i1_grad(xp, a, True), "a"),
    "erfcx": (erfcx, lambda xp, a, out: 2 * a * out - 2 / _SQRT_PI, "a,out"),
    # phi(x) / Phi(x) = sqrt(2/pi) / erfcx(-x/sqrt 2): no cancellation far in the lower tail
    "log_ndtr": (log_ndtr, lambda xp, a, out: math.sqrt(2 / _PI) / erfcx(xp, -a / math.sqrt(2)), "a"),
}


class Unary(Function):
    """out = f(a) for f in UNARY (the value and the derivative written side by side there);
    the result keeps a's floating dtype. d out / d a = f'(a). One subclass per op (UNARY_OPS,
    named as torch names the op, so that its node prints as TanBackward0, ErfBackward0, ...)."""

    __slots__ = ()
    op = "tan"
    table = UNARY  # (activation.py's subclass reads its own table)

    def saved_tensors(self):
        reads = self.table[self.op][2]
        return (((0,),) if "a" in reads else ()), "out" in reads

    def forward(self, a, **params):
        xp = self.bk.xp
        with _errstate(xp):  # (a float64 result beyond float32's range rounds to inf quietly, as torch's)
            out = xp.asarray(self.table[self.op][0](xp, a, **params)).astype(a.dtype, copy=False)
        self.saved = (a, out, params)
        return out

    def backward(self, g):
        a, out, params = self.saved
        xp = self.bk.xp
        with _errstate(xp):
            d = self.table[self.op][1](xp, a, out, **params)
            return ((g * d).astype(g.dtype, copy=False),)


def _op_classes(base, table, torch_names=None):
    """{name: the subclass of base for that op}, each named as torch names the op ("nan_to_num": NanToNum)."""
    names = torch_names or {}
    return {
        op: type(
            names.get(op, op.title().replace("_", "")),
            (base,),
            {"__slots__": (), "op": op, "__module__": __name__},
        )
        for op in table
    }


UNARY_OPS = _op_classes(
    Unary,
    UNARY,
    {
        "entr": "SpecialEntr",
        "i1": "SpecialI1",
        "i0e": "SpecialI0E",
        "i1e": "SpecialI1E",
        "erfcx": "SpecialErfcx",
        "log_ndtr": "SpecialLogNdtr",
        "ndtri": "SpecialNdtri",
    },  # fmt: skip
)


# ----------------------------------------------------------------------------- Binary
def _xlogy(xp, a, b):
    return xp.where((a == 0) & ~xp.isnan(b), 0.0, a * xp.log(b))


def _logaddexp_grads(xp, a, b, out, base):
    """d/da log_base(base^a + base^b) = base^a / (base^a + base^b) = 1 / (1 + base^(b - a))."""
    pa = 1 / (1 + base ** (b - a))  # NaN where a and b are the same infinity, as in torch
    return pa, 1 - pa


def _xlog1py(xp, a, b):
    return xp.where((a == 0) & ~xp.isnan(b), 0.0, a * xp.log1p(b))


def _atan2_grads(xp, a, b, out):
    r = a * a + b * b
    zero = r == 0  # torch: 0 at the origin, not NaN
    r = xp.where(zero, 1.0, r)
    return xp.where(zero, 0.0, b / r), xp.where(zero, 0.0, -a / r)


def _fmax_grads(xp, a, b, out, largest):
    """All of the gradient to the side fmax picks: a on ties and where b is NaN (as torch)."""
    to_a = ((a >= b) if largest else (a <= b)) | xp.isnan(b)
    return to_a, ~to_a


def _copysign_grads(xp, a, b, out):
    return xp.where(a == 0, 0.0, out / xp.where(a == 0, 1.0, a)), None


def _remainder(xp, a, b):
    """torch's float remainder: fmod, then + b where a nonzero result's sign differs from b's.
    A zero keeps fmod's sign (0. % -3 is 0. and -3. % 3 is -0., as torch; NumPy's are -0. and 0.)."""
    r = xp.fmod(a, b)
    return xp.where((r != 0) & ((r < 0) != (b < 0)), r + b, r)


def _rounded_quotient_grad(kind):
    def grads(xp, a, b, out):
        q = a / b
        return xp.ones_like(q), -(xp.trunc(q) if kind == "trunc" else xp.floor(q))

    return grads


def _no_grads(xp, a, b, out):
    return xp.zeros_like(out), None


def _hurwitz_zeta(xp, s, q):
    """zeta(s, q) with cephes' domain, as torch: inf at s = 1 and at the poles q = 0, -1, ...; NaN for
    s < 1, for q < 0 not whole with s not whole, and for q = inf."""
    s, q = _f64(xp, s), _f64(xp, q)
    out = zeta(xp, s, q)
    out = xp.where((q <= 0) & (q == xp.floor(q)), xp.inf, out)
    nan = (s < 1) | ((q < 0) & (q != xp.floor(q)) & (s != xp.floor(s))) | (q == xp.inf)
    return xp.where(s == 1, xp.inf, xp.where(nan, xp.nan, out))


def igamma(xp, a, x, upper=False):
    """The regularized incomplete gamma function P(a, x) (upper: Q = 1 - P), cephes' way: the
    series of P where x < a + 1, the continued fraction of Q elsewhere (200 + 12 sqrt(a) terms:
    float64 accuracy). a = 0: P = 1 (x > 0); NaN for a < 0 or x < 0."""
    a, x = _f64(xp, a), _f64(xp, x)
    a, x = xp.broadcast_arrays(a, x)
    big = xp.isfinite(a) & (a > 1e7)  # ~12 sqrt(a) terms would take forever: Wilson-Hilferty instead
    finite = xp.abs(xp.where(xp.isfinite(a) & ~big, a, 0.0))
    terms = 200 + int(12 * math.sqrt(float(finite.max()))) if finite.size else 0  # both need ~sqrt(a) terms
    with _errstate(xp):
        log_front = a * xp.log(x) - x - lgamma(xp, a)  # log(x^a e^-x / Gamma(a))
        ap, term = a.copy(), 1 / a  # series: P = front / a * sum_k x^k / ((a+1)...(a+k))
        total = term
        for _ in range(terms):
            ap = ap + 1
            term = term * x / ap
            total = total + term
        p_series = xp.exp(log_front) * total
        b = x + 1 - a  # Lentz's continued fraction for Q
        c, d = 1 / _TINY_F64, 1 / xp.where(b == 0, _TINY_F64, b)
        h = d
        for i in range(1, terms):
            an = -i * (i - a)
            b = b + 2
            d = an * d + b
            d = 1 / xp.where(d == 0, _TINY_F64, d)
            c = b + an / xp.where(c == 0, _TINY_F64, c)
            h = h * d * c
        q_fraction = xp.exp(log_front) * h
        p = xp.where(x < a + 1, p_series, 1 - q_fraction)
        p = xp.where((x == 0) & (a > 0), 0.0, xp.where(a == 0, xp.where(x > 0, 1.0, xp.nan), p))
        p = xp.where(xp.isinf(x) & (x > 0), 1.0, xp.where(xp.isinf(a) & xp.isfinite(x), 0.0, p))
        p = xp.where((a < 0) | (x < 0), xp.nan, p)
        q = xp.where(x < a + 1, 1 - p_series, q_fraction)
        q = xp.where(xp.isnan(p) | (p == 0) | (p == 1), 1 - p, q)
        if big.any():  # (x / a)^(1/3) is normal with mean 1 - 1/(9a), variance 1/(9a): error O(1/a)
            z = ((x / xp.where(big, a, 1.0)) ** (1 / 3) - 1 + 1 / (9 * a)) * xp.sqrt(9 * a) / math.sqrt(2)
            ok = big & (x > 0) & xp.isfinite(x)
            p, q = xp.where(ok, erfc(xp, -z) / 2, p), xp.where(ok, erfc(xp, z) / 2, q)
        return q if upper else p


def _igamma_grads(upper):
    """d/dx P(a, x) = x^(a-1) e^-x / Gamma(a) (Q: minus it); none for a, as torch."""

    def grads(xp, a, x, out):
        d = xp.exp((a - 1) * xp.log(x) - x - lgamma(xp, a))
        return None, -d if upper else d

    return grads


def _not_differentiable(name):
    def grads(xp, a, b, out):
        raise RuntimeError(f"derivative for aten::{name} is not implemented")

    return grads


# name: (f(xp, a, b, **params), (f_a, f_b)(xp, a, b, out, **params), (what a's gradient reads, what b's
# gradient reads)): an in-place change of a tensor that only an unneeded gradient reads is no error, as in torch
BINARY = {
    "atan2": (lambda xp, a, b: xp.arctan2(a, b), _atan2_grads, ("a,b", "a,b")),
    "hypot": (lambda xp, a, b: xp.hypot(a, b), lambda xp, a, b, out: (a / out, b / out), ("a,out", "b,out")),
    "xlogy": (
        _xlogy,
        lambda xp, a, b, out: (xp.where((a == 0) & (b <= 0), 0.0, xp.log(b)), a / b),
        ("a,b", "a,b"),
    ),
    "xlog1py": (
        _xlog1py,
        lambda xp, a, b, out: (xp.where((a == 0) & (b <= -1), 0.0, xp.log1p(b)), a / (1 + b)),
        ("a,b", "a,b"),
    ),
    "logaddexp": (
        lambda xp, a, b: xp.logaddexp(a, b),
        lambda xp, a, b, out: _logaddexp_grads(xp, a, b, out, math.e),
        ("a,b", "a,b"),
    ),  # fmt: skip
    "logaddexp2": (
        lambda xp, a, b: xp.logaddexp2(a, b),
        lambda xp, a, b, out: _logaddexp_grads(xp, a, b, out, 2.0),
        ("a,b", "a,b"),
    ),  # fmt: skip
    "fmax": (
        lambda xp, a, b: xp.fmax(a, b),
        lambda xp, a, b, out: _fmax_grads(xp, a, b, out, True),
        ("a,b", "a,b"),
    ),
    "fmin": (
        lambda xp, a, b: xp.fmin(a, b),
        lambda xp, a, b, out: _fmax_grads(xp, a, b, out, False),
        ("a,b", "a,b"),
    ),
    "copysign": (lambda xp, a, b: xp.copysign(a, b), _copysign_grads, ("a,out", "")),
    "fmod": (lambda xp, a, b: xp.fmod(a, b), _rounded_quotient_grad("trunc"), ("", "a,b")),
    "remainder": (_remainder, _rounded_quotient_grad("floor"), ("", "a,b")),
    # div(rounding_mode=...) of floats: piecewise constant, so a zero gradient (as torch)
    "div_floor": (lambda xp, a, b: xp.floor_divide(a, b), _no_grads, ("", "")),
    "div_trunc": (lambda xp, a, b: xp.trunc(a / b), _no_grads, ("", "")),
    # in the graph like torch's, whose backward raises
    "floor_divide": (lambda xp, a, b: xp.floor_divide(a, b), _not_differentiable("floor_divide"), ("", "")),
    # torch's `a == 0 ? b : a > 0`: NaN gives 0 (NumPy's heaviside gives NaN)
    "heaviside": (
        lambda xp, a, b: xp.where(a == 0, b, a > 0).astype(a.dtype),
        _not_differentiable("heaviside"),
        ("", ""),
    ),
    "igamma": (igamma, _igamma_grads(False), ("", "a,b")),
    "igammac": (lambda xp, a, b: igamma(xp, a, b, upper=True), _igamma_grads(True), ("", "a,b")),
    # d/dq zeta(s, q) = -s zeta(s + 1, q); none for s (None: torch's NotImplementedError at backward)
    "zeta": (_hurwitz_zeta, lambda xp, a, b, out: (None, -a * _hurwitz_zeta(xp, a + 1, b)), ("", "a,b")),
    # torch's rule: the gradient passes to input where the step was taken, none to other
    "nextafter": (lambda xp, a, b: xp.nextafter(a, b), lambda xp, a, b, out: (a != b, None), ("a,b", "")),
}


class Binary(Function):
    """out = f(a, b) for f in BINARY (broadcasting; b may be a Python number where torch takes
    one); the partial derivatives are written beside each f and summed back to each shape.
    One subclass per op, as Unary's (BINARY_OPS)."""

    __slots__ = ()
    op = "atan2"

    def saved_tensors(self):
        reads = [r.split(",") for r in BINARY[self.op][2]]
        # saved_for[i]: the gradients that read input i; the output is saved if a needed gradient reads it
        saved_for = tuple(tuple(j for j in (0, 1) if x in reads[j]) for x in ("a", "b"))
        return saved_for, any("out" in r and need for r, need in zip(reads, self.needs))

    def forward(self, a, b, **params):
        xp = self.bk.xp
        with _errstate(xp):
            out = BINARY[self.op][0](xp, a, b, **params)
        dtype = a.dtype if hasattr(a, "dtype") else b.dtype
        out = xp.asarray(out).astype(dtype, copy=False)
        self.saved = (a, b, out, params)
        return out

    def backward(self, g):
        a, b, out, params = self.saved
        xp = self.bk.xp
        with _errstate(xp):
            da, db = BINARY[self.op][1](xp, a, b, out, **params)
            if self.needs[0] and da is None:
                raise NotImplementedError(f"the derivative for '{self.op}' is not implemented.")
            ga = None
            if self.needs[0] and BINARY[self.op][1] is _no_grads:  # torch's grad.zero_(): +0 for any g
                ga = xp.zeros(_shape_of(a), dtype=g.dtype)
            elif self.needs[0]:
                ga = _times(xp, g, da)
                if self.op in XLOGY_GRADS:
                    ga = xp.where((g == 0) & ~xp.isnan(b), xp.zeros((), ga.dtype), ga)
                ga = _unbroadcast(ga, _shape_of(a))
            gb = None
            if self.needs[1] and db is not None:
                gb = _unbroadcast(_times(xp, g, db), _shape_of(b))
            elif self.needs[1]:
                gb = xp.zeros(_shape_of(b), dtype=g.dtype)
        return ga, gb


# torch's gradient of xlogy's x is xlogy(g, y): 0 where g is 0, even where log(y) is NaN (y < 0)
# or -inf (y = 0), so an element indexed or masked away after xlogy takes no NaN back
XLOGY_GRADS = frozenset({"xlogy", "xlog1py"})


def _times(xp, g, d):
    """g times a partial derivative; a mask (fmax's side) selects g, so that an inf or NaN g gives
    0 where it is off, as torch's masked_fill (a product would give NaN there)."""
    if getattr(d, "dtype", None) is not None and d.dtype.kind == "b":
        return xp.where(d, g, xp.zeros((), g.dtype))
    return (g * d).astype(g.dtype, copy=False)


# div(rounding_mode=...) is torch's Div node too (its overload with a mode: autograd/names)
BINARY_OPS = _op_classes(
    Binary,
    BINARY,
    {
        "div_floor": "DivMode",
        "div_trunc": "DivMode",
        "xlog1py": "SpecialXlog1Py",
        "zeta": "SpecialZeta",
        "floor_divide": "NotImplemented",
        "heaviside": "NotImplemented",
    },
)


class NotDifferentiable(Function):
    """An output torch records in the graph but has no derivative for (torch.histogram of a tensor
    that requires grad: hist and bin_edges print grad_fn=<NotImplemented>, and numpy() refuses
    them; bincount's weights; unique's values, whose node torch names after its op,
    Unique2Backward0, autograd/names; set_ of a tensor in the graph): forward hands back the array
    the op computed, backward raises torch's error (a node named after the op: NotImplementedError,
    as torch's; an in-place op's, set_'s, names it bare)."""

    __slots__ = ()
    saves_tensors = False

    def forward(self, a, out=None, op=""):
        self.saved = (op,)
        return out

    def backward(self, g):
        op = self.saved[0]
        if self.name() != "NotImplemented":
            raise NotImplementedError(f"the derivative for '{op}' is not implemented.")
        raise RuntimeError(f"derivative for {op if op.endswith('_') else 'aten::' + op} is not implemented")


class Lerp(Function):
    """out = start + w (end - start), computed as end - (end - start)(1 - w) where |w| >= 1/2
    (as torch does, so w = 1 gives end exactly). d/dstart = 1 - w, d/dend = w, d/dw = end - start."""

    __slots__ = ()
    saved_for = ((2,), (2,), (0, 1))  # start and end are read for w's gradient, w for theirs

    def forward(self, start, end, weight):
        xp = self.bk.xp
        with _errstate(xp):  # inf - inf: NaN without a warning, as torch
            diff = end - start
            out = xp.where(xp.abs(weight) < 0.5, start + weight * diff, end - diff * (1 - weight))
        self.saved = (start, end, weight)
        return xp.asarray(out).astype(start.dtype, copy=False)

    def backward(self, g):
        start, end, w = self.saved
        s, e, ws = _shape_of(start), _shape_of(end), _shape_of(w)
        return (
            _unbroadcast(g * (1 - w), s) if self.needs[0] else None,
            _unbroadcast(g * w, e) if self.needs[1] else None,
            _unbroadcast(g * (end - start), ws) if len(self.needs) > 2 and self.needs[2] else None,
        )

"""Bessel and Airy functions on NumPy arrays, in float64: the numbers behind torch.special's
bessel_j0/j1, bessel_y0/y1, modified_bessel_k0/k1, scaled_modified_bessel_k0/k1 and airy_ai
(special.py wraps them as tensors; torch gives them no gradient, nor does pyneuro).

Each is summed from its textbook representation, chosen per range so that no step loses the
digits a float32 (or float64) answer needs:

- J0, J1, Y0, Y1 for x < 12: their power series (A&S 9.1.10-11; the largest term is about
  I0(12) ~ 2e4, so the cancellation costs 4 of float64's 16 digits); for x >= 12 Hankel's
  asymptotic expansion (A&S 9.2.5-10) summed to 20 terms, whose error is below e^(-2x);
- K0, K1 for x <= 1: their series (A&S 9.6.13, 9.6.11); for 1 < x <= 30 the integral
  K_nu(x) = int_0^inf exp(-x cosh t) cosh(nu t) dt by the trapezoidal rule, which for this
  integrand (analytic in the strip |Im t| < pi/2) converges exponentially in 1 / h while the
  step (0.1) stays below the integrand's width ~ 1/sqrt(x); past 30 the asymptotic expansion
  (A&S 9.7.2). The scaled forms exp(x) K_nu(x) integrate exp(-x (cosh t - 1)), never underflowing;
- Ai(x) for x > 0 is sqrt(x / 3) K_{1/3}(2/3 x^{3/2}) / pi (the same integral, x > 1/4; the
  Maclaurin series below that), for -8 <= x <= 0 the Maclaurin series (A&S 10.4.2), and below
  -8 the asymptotic expansion of Ai(-x) (A&S 10.4.60) in zeta = 2/3 |x|^{3/2} >= 15.

Edge values are torch's: J and Y at +-inf are NaN (its sin/cos of inf), Y and K at 0 are -inf / +inf, Y and K of a negative
number are NaN, K at +inf is 0, Ai at +-inf is NaN (torch's).

Arrows: imports NumPy only.
"""

from __future__ import annotations

import math

import numpy as np

_EULER = 0.57721566490153286061
_SERIES_TERMS = 60  # the power series at x < 12: the terms fall below 1e-30 of the largest by then
_HANKEL_TERMS = 20  # (at x = 12 the terms shrink until about the 24th)
_SWITCH = 12.0


# ---------------------------------------------------------------------------- J and Y
def _series_jy(x, order):
    """J_order(x) and the series part of Y_order(x) for 0 < x (order 0 or 1), by A&S 9.1.10/11."""
    q = -(x * x) / 4.0
    harmonic = 0.0
    term = np.ones_like(x) if order == 0 else x / 2.0
    j = term.copy()
    y = np.zeros_like(x)  # sum of (-1)^k (x/2)^(2k+order) / (k! (k+order)!) * (H_k + H_(k+order))
    if order == 1:
        y = y + term * 1.0  # k = 0: H_0 + H_1 = 1
    for k in range(1, _SERIES_TERMS):
        term = term * q / (k * (k + order))
        harmonic += 1.0 / k
        j = j + term
        y = y + term * (harmonic + harmonic + (1.0 / (k + 1) if order else 0.0))  # H_k + H_(k+order)
    return j, y


def _hankel(x, order):
    """(P, Q) of Hankel's expansion for J/Y of the given order at x >= 12."""
    mu = 4.0 * order * order
    p = np.ones_like(x)
    q = np.zeros_like(x)
    a = 1.0  # a_k = prod_{j=1..k} (mu - (2j - 1)^2) / (k! 8^k)
    for k in range(1, _HANKEL_TERMS + 1):
        a = a * (mu - (2 * k - 1) ** 2) / (k * 8.0)
        term = a / x**k
        sign = -1.0 if (k // 2) % 2 else 1.0  # (-1)^(k//2)
        if k % 2:
            q = q + sign * term
        else:
            p = p + sign * term
    return p, q


def _jy(x, order, want):
    """J_order (want 'j') or Y_order (want 'y') for x > 0."""
    out = np.empty_like(x)
    small = x < _SWITCH
    if small.any():
        xs = x[small]
        j, s = _series_jy(xs, order)
        if want == "j":
            out[small] = j
        else:  # A&S 9.1.11 with psi(k+1) = H_k - gamma
            out[small] = (2 / math.pi) * (np.log(xs / 2) + _EULER) * j - s / math.pi
            if order == 1:
                out[small] -= 2 / (math.pi * xs)
    big = ~small
    if big.any():
        xb = x[big]
        p, q = _hankel(xb, order)
        chi = xb - (order / 2.0 + 0.25) * math.pi
        scale = np.sqrt(2 / (math.pi * xb))
        out[big] = scale * (
            p * np.cos(chi) - q * np.sin(chi) if want == "j" else p * np.sin(chi) + q * np.cos(chi)
        )
    return out


def _finite_positive(x, fn, at_zero, at_inf, negative):
    """fn on the finite x > 0; the given values at 0, +inf and for x < 0; NaN stays NaN."""
    x = np.asarray(x, dtype=np.float64)
    out = np.full(x.shape, np.nan)
    ok = np.isfinite(x) & (x > 0)
    if ok.any():
        out[ok] = fn(x[ok])
    out[x == 0] = at_zero
    out[np.isposinf(x)] = at_inf
    out[x < 0] = negative if not callable(negative) else negative(x[x < 0])
    return out


def bessel_j0(x):
    x = np.abs(np.asarray(x, dtype=np.float64))
    return _finite_positive(x, lambda v: _jy(v, 0, "j"), 1.0, np.nan, np.nan)


def bessel_j1(x):
    x = np.asarray(x, dtype=np.float64)
    out = _finite_positive(np.abs(x), lambda v: _jy(v, 1, "j"), 0.0, np.nan, np.nan)
    return np.where(x < 0, -out, out)  # (odd)


def bessel_y0(x):
    return _finite_positive(x, lambda v: _jy(v, 0, "y"), -np.inf, np.nan, np.nan)


def bessel_y1(x):
    return _finite_positive(x, lambda v: _jy(v, 1, "y"), -np.inf, np.nan, np.nan)


# ---------------------------------------------------------------------------- K
_H = 0.1
_K_ASYMPTOTIC = 30.0


def _k_asymptotic(x, nu):
    """exp(x) K_nu(x) for x > 30 (A&S 9.7.2): sqrt(pi / 2x) sum_k a_k(nu) / x^k, whose terms
    shrink until k ~ 2x; 30 terms leave an error far below float64's."""
    mu = 4.0 * nu * nu
    total, a = np.ones_like(x), 1.0
    for k in range(1, 31):
        a = a * (mu - (2 * k - 1) ** 2) / (k * 8.0)
        total = total + a / x**k
    return np.sqrt(math.pi / (2 * x)) * total


def _k_integral(x, nu, scaled):
    """K_nu(x) (scaled: exp(x) K_nu(x)) for x > 0: by the trapezoidal rule on [0, inf) up to x = 30
    (the integrand's width ~ 1/sqrt(x) stays above the step), by A&S 9.7.2 past it."""
    big = x > _K_ASYMPTOTIC
    if big.any():
        out = np.empty_like(x)
        out[big] = _k_asymptotic(x[big], nu)
        if (~big).any():
            out[~big] = _k_integral(x[~big], nu, True)
        return out if scaled else out * np.exp(-x)
    top = math.acosh(1.0 + 745.0 / float(x.min()))  # past it exp(-x (cosh t - 1)) < 1e-323
    t = np.arange(0.0, top + _H, _H)
    weights = np.full(t.shape, _H)
    weights[0] = _H / 2
    out = np.empty_like(x)
    for start in range(0, x.size, 1 << 16):  # (in slices: a (slice, len(t)) temporary)
        xs = x[start : start + (1 << 16)]
        e = np.exp(-np.outer(xs, np.cosh(t) - 1.0))
        out[start : start + (1 << 16)] = e @ (weights * np.cosh(nu * t))
    return out if scaled else out * np.exp(-x)


def _k_series(x, order):
    """K0 / K1 for 0 < x <= 1 (A&S 9.6.13 and 9.6.11 with psi(k+1) = H_k - gamma)."""
    q = x * x / 4.0
    log_half = np.log(x / 2.0)
    if order == 0:
        term, harmonic = np.ones_like(x), 0.0
        i0, s = term.copy(), np.zeros_like(x)
        for k in range(1, 30):
            term = term * q / (k * k)
            harmonic += 1.0 / k
            i0 = i0 + term
            s = s + term * harmonic
        return -(log_half + _EULER) * i0 + s
    term = x / 2.0  # (x/2)^(2k+1) / (k! (k+1)!)
    harmonic = 0.0
    i1 = term.copy()
    s = term * (1.0 - 2 * _EULER)  # k = 0: psi(1) + psi(2) = 1 - 2 gamma
    for k in range(1, 30):
        term = term * q / (k * (k + 1))
        harmonic += 1.0 / k
        i1 = i1 + term
        s = s + term * (2 * harmonic + 1.0 / (k + 1) - 2 * _EULER)
    return 1.0 / x + log_half * i1 - s / 2.0


def _k(x, order, scaled):
    out = np.empty_like(x)
    small = x <= 1.0
    if small.any():
        xs = x[small]
        k = _k_series(xs, order)
        out[small] = k * np.exp(xs) if scaled else k
    if (~small).any():
        out[~small] = _k_integral(x[~small], order, scaled)
    return out


def modified_bessel_k0(x):
    return _finite_positive(x, lambda v: _k(v, 0, False), np.inf, 0.0, np.nan)


def modified_bessel_k1(x):
    return _finite_positive(x, lambda v: _k(v, 1, False), np.inf, 0.0, np.nan)


def scaled_modified_bessel_k0(x):
    return _finite_positive(x, lambda v: _k(v, 0, True), np.inf, 0.0, np.nan)


def scaled_modified_bessel_k1(x):
    return _finite_positive(x, lambda v: _k(v, 1, True), np.inf, 0.0, np.nan)


# ---------------------------------------------------------------------------- Airy Ai
_AI0 = 0.355028053887817239260  # Ai(0)
_AIP0 = 0.258819403792806798405  # -Ai'(0)


def _airy_series(x):
    """Ai(x) = Ai(0) f(x) - (-Ai'(0)) g(x) by its Maclaurin series (A&S 10.4.2-3)."""
    z = x**3
    f_term, g_term = np.ones_like(x), x.copy()
    f, g = f_term.copy(), g_term.copy()
    for k in range(1, 60):
        f_term = f_term * z / ((3 * k - 1) * (3 * k))
        g_term = g_term * z / ((3 * k) * (3 * k + 1))
        f, g = f + f_term, g + g_term
    return _AI0 * f - _AIP0 * g


def _airy_negative(x):
    """Ai(x) for x < -8 by A&S 10.4.60 in zeta = 2/3 |x|^{3/2}."""
    r = -x
    zeta = 2.0 / 3.0 * r**1.5
    p, q = np.ones_like(x), np.zeros_like(x)
    u = 1.0
    for k in range(1, 24):  # u_k = (2k+1)(2k+3)...(6k-1) / (216^k k!)
        u = u * (6 * k - 5) * (6 * k - 3) * (6 * k - 1) / ((2 * k - 1) * 216.0 * k)
        term = u / zeta**k
        sign = -1.0 if (k // 2) % 2 else 1.0
        if k % 2:
            q = q + sign * term
        else:
            p = p + sign * term
    phase = zeta + math.pi / 4
    return (np.sin(phase) * p - np.cos(phase) * q) / (math.sqrt(math.pi) * r**0.25)


def airy_ai(x):
    """Ai(x) (NaN at +-inf, as torch's)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.full(x.shape, np.nan)
    finite = np.isfinite(x)
    mid = finite & (x >= -8.0) & (x <= 0.25)
    if mid.any():
        out[mid] = _airy_series(x[mid])
    pos = finite & (x > 0.25)
    if pos.any():
        xp = x[pos]
        zeta = 2.0 / 3.0 * xp**1.5
        out[pos] = np.sqrt(xp / 3.0) * _k_integral(zeta, 1.0 / 3.0, False) / math.pi
    neg = finite & (x < -8.0)
    if neg.any():
        out[neg] = _airy_negative(x[neg])
    return out

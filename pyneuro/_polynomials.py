"""torch.special's orthogonal polynomials p_n(x) (Chebyshev T/U/V/W and their shifted forms, Hermite
H/He, Laguerre L, Legendre P), computed as ATen's Math.h does, elementwise in x's dtype:

- n truncated to an integer (NaN, inf and n past int64's range: INT64_MIN); n < 0 gives 0;
- each family's special points (|x| == 1, the shifted families' x == 0 and x == 1, Laguerre's x == 0);
- the Chebyshev families' closed forms for |x| < 1 past a small n (cos(n acos x), ...);
- Hermite past n = 128 (float32) / 512 (float64): NaN;
- otherwise the three-term recurrence, stopped early where it turned NaN (overflow).

The recurrence runs over all elements at once, one step a round, dropping the elements that are done;
what is still finite after _STEPS rounds (Legendre and Laguerre inside their oscillating range, which never
overflow) goes on by products of the steps' 2x2 matrices in float64, a block at a time, so n = 10**8
takes seconds where a step a round took hours (torch itself loops n times in C).
"""

from __future__ import annotations

import numpy as np

_STEPS = 1 << 14  # rounds of the elementwise recurrence before the matrix products take over
_BLOCK = 1 << 16  # steps per matrix product


def _fma(a, q, b):
    """a q + b rounded once: C compiles ATen's steps to a fused multiply-add (exact in float64 for float32)."""
    if getattr(q, "dtype", None) == np.float32:
        return (a.astype(np.float64) * q + b).astype(np.float32)
    return a * q + b


def _cheb(x, k, q, p):
    return _fma(x + x, q, -p)


def _hermite_h(x, k, q, p):
    return _fma(x + x, q, -((2 * k) * p))


def _hermite_he(x, k, q, p):
    return _fma(x, q, -(k * p))


def _laguerre(x, k, q, p):
    return _fma((k + k) + (1 - x), q, -(k * p)) / (k + 1)


def _legendre(x, k, q, p):
    return _fma((k + k + 1) * x, q, -(k * p)) / (k + 1)


def _acos(y):  # in float64, rounded: the correctly rounded acosf of C (NumPy's float32 arccos is 1-2 ulp off)
    return np.arccos(y.astype(np.float64)).astype(y.dtype)


def _cos(v):
    return np.cos(v.astype(np.float64)).astype(v.dtype)


def _sin(v):
    return np.sin(v.astype(np.float64)).astype(v.dtype)


def _odd(n):
    return n % 2 == 1


def _sign_by_parity(n, v):
    return np.where(_odd(n), -v, v)


# Each family: (p_1(y), the step r = step(y, k, q = p_k, p = p_{k-1}) for k = 1 .. n-1, special points,
# closed form (smallest n it is used past, formula) for |y| < 1). y is x, or 2x - 1 for the shifted forms;
# special points are (mask(x), value(x, n)) in ATen's order, tested on x itself.
def _at_one(x):
    return np.abs(x) == 1


_T_ONE = (_at_one, lambda x, n: np.where((x > 0) | ~_odd(n), 1, -1))
_U_ONE = (_at_one, lambda x, n: np.where((x > 0) | ~_odd(n), n + 1, -(n + 1)))
_V_ONE = (_at_one, lambda x, n: np.where(x > 0, 1, _sign_by_parity(n, n + n + 1)))
_W_ONE = (_at_one, lambda x, n: np.where(x > 0, n + n + 1, _sign_by_parity(n, 1)))


def _closed_t(y, n):
    return _cos(n * _acos(y))


def _closed_u(y, n):
    s = _sin(_acos(y))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(s != 0, _sin((n + 1) * _acos(y)) / s, (n + 1) * _cos((n + 1) * _acos(y)) / y)


def _closed_v(y, n):
    a = _acos(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(_sin(a / 2) != 1, _cos((n + 0.5) * a) / _cos(a / 2), _sign_by_parity(n, n + n + 1))


def _closed_w(y, n):
    a = _acos(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            _cos(a / 2) != 1,
            _sin((n + 0.5) * a) / _sin(a / 2),
            np.where(y > 0, n + n + 1, _sign_by_parity(n, 1)),
        )


def _shifted_points(at_one, at_zero):
    return [(lambda x: x == 1, at_one), (lambda x: x == 0, at_zero)]


_FAMILIES = {
    "chebyshev_polynomial_t": (lambda y: y, _cheb, [_T_ONE], (6, _closed_t)),
    "chebyshev_polynomial_u": (lambda y: y + y, _cheb, [_U_ONE], (8, _closed_u)),
    "chebyshev_polynomial_v": (lambda y: y + y - 1, _cheb, [_V_ONE], (8, _closed_v)),
    "chebyshev_polynomial_w": (lambda y: y + y + 1, _cheb, [_W_ONE], (8, _closed_w)),
    "shifted_chebyshev_polynomial_t": (
        lambda y: y,
        _cheb,
        _shifted_points(lambda x, n: np.ones_like(n), lambda x, n: _sign_by_parity(n, 1)),
        (6, _closed_t),
    ),
    "shifted_chebyshev_polynomial_u": (
        lambda y: y + y,
        _cheb,
        _shifted_points(lambda x, n: n + 1, lambda x, n: _sign_by_parity(n, n + 1)),
        (6, _closed_u),
    ),
    "shifted_chebyshev_polynomial_v": (
        lambda y: y + y - 1,
        _cheb,
        _shifted_points(lambda x, n: np.ones_like(n), lambda x, n: _sign_by_parity(n, n + n + 1)),
        (6, _closed_v),
    ),
    "shifted_chebyshev_polynomial_w": (
        lambda y: y + y + 1,
        _cheb,
        _shifted_points(lambda x, n: n + n + 1, lambda x, n: _sign_by_parity(n, 1)),
        (4, _closed_w),
    ),
    "hermite_polynomial_h": (lambda y: y + y, _hermite_h, [], None),
    "hermite_polynomial_he": (lambda y: y, _hermite_he, [], None),
    "laguerre_polynomial_l": (
        lambda y: 1 - y,
        _laguerre,
        [(lambda x: x == 0, lambda x, n: np.ones_like(n))],
        None,
    ),
    "legendre_polynomial_p": (lambda y: y, _legendre, [_T_ONE], None),
}


def polynomial(name: str, x: np.ndarray, order: np.ndarray) -> np.ndarray:
    """p_n(x) of torch.special.<name>, for x (a floating array) and order (broadcast to x, any real)."""
    first, step, points, closed = _FAMILIES[name]
    dtype = x.dtype
    x, order = np.broadcast_arrays(x, order)
    shape = x.shape
    x = x.reshape(-1)
    order = order.reshape(-1).astype(np.float64)
    with np.errstate(invalid="ignore"):  # NaN, inf and past int64: x86's conversion gives INT64_MIN, so 0
        n = np.where(np.abs(order) < 2.0**63, np.trunc(order), -1).astype(np.int64)
    out = np.zeros(x.shape, dtype)
    todo = n >= 0
    for mask, value in points:
        hit = todo & mask(x)
        out[hit] = value(x[hit], n[hit])
        todo &= ~hit
    y = (x + x - dtype.type(1)) if name.startswith("shifted") else x
    if closed is not None:
        hit = todo & (n > closed[0]) & (np.abs(y) < 1)
        with np.errstate(all="ignore"):
            out[hit] = closed[1](y[hit], n[hit].astype(dtype))
        todo &= ~hit
    if name.startswith("hermite"):
        hit = todo & (n > (128 if dtype == np.float32 else 512))
        out[hit] = np.nan
        todo &= ~hit
    for k, value in ((0, lambda y: np.ones_like(y)), (1, first)):
        hit = todo & (n == k)
        out[hit] = value(y[hit])
        todo &= n != k
    idx = np.flatnonzero(todo)
    out[idx] = _recurrence(y[idx], n[idx], first, step)
    return out.reshape(shape)


def _recurrence(y, n, first, step):
    """p_n(y) for n >= 2 by the step, elementwise in y's dtype; where it turns NaN it stops (ATen's loop)."""
    out = np.empty_like(y)
    live = np.arange(y.size)
    p, q = np.ones_like(y), first(y)
    k = 1
    with np.errstate(all="ignore"):
        while live.size and k < _STEPS:
            q, p = step(y, k, q, p), q
            k += 1
            done = (n == k) | np.isnan(q)
            if done.any():
                out[live[done]] = q[done]
                keep = ~done
                live, y, n, p, q = live[keep], y[keep], n[keep], p[keep], q[keep]
        for i in range(live.size):
            out[live[i]] = _by_blocks(y[i], k, int(n[i]), p[i], q[i], step)
    return out


def _by_blocks(y, k, n, p, q, step):
    """p_n from p = p_{k-1}, q = p_k: the steps k .. n-1 as products of 2x2 matrices in float64."""
    q, p, y = np.float64(q), np.float64(p), np.float64(y)
    while k < n and np.isfinite(q) and np.isfinite(p):
        j = np.arange(k, min(n, k + _BLOCK), dtype=np.float64)
        # step j: (q, p) <- (a q + b p, q), the matrix [[a, b], [1, 0]] (each step is linear in q and p)
        a, b, c, d = (
            step(y, j, 1.0, 0.0) + 0 * j,
            step(y, j, 0.0, 1.0) + 0 * j,
            np.ones_like(j),
            np.zeros_like(j),
        )
        while a.size > 1:  # pairs multiplied, the later step on the left
            if a.size % 2:
                a, b, c, d = (np.append(v, e) for v, e in zip((a, b, c, d), (1.0, 0.0, 0.0, 1.0)))
            (a0, a1), (b0, b1), (c0, c1), (d0, d1) = (v.reshape(-1, 2).T for v in (a, b, c, d))
            a, b, c, d = a1 * a0 + b1 * c0, a1 * b0 + b1 * d0, c1 * a0 + d1 * c0, c1 * b0 + d1 * d0
        q, p = a[0] * q + b[0] * p, c[0] * q + d[0] * p
        k += j.size
    return q if np.isfinite(q) and np.isfinite(p) else np.nan

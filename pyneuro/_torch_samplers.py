"""torch's CPU rejection samplers, draw for draw: Gamma (Marsaglia and Tsang), Dirichlet, Poisson
(Hörmann's transformed rejection) and Binomial (BTRS, or inversion for small means).

Each value takes a variable number of draws from the generator, so these run value by value in
the order torch's CPU kernels visit them (row-major), with torch's arithmetic: uniforms are
float64 from 53 bits of the twister (`TorchStream._unit`), normals are its float64 Box-Muller
with the cached second value (`TorchStream._scalar_normal`). With these, `pn.manual_seed(s)`
followed by `Gamma(...).sample()`, `Beta`, `Dirichlet`, `Chi2`, `StudentT`, `Poisson` or
`Binomial` gives the numbers torch gives. Python loops: fine for the sizes a distribution is
sampled at in a course; a large draw is slow, not wrong.
"""

from __future__ import annotations

import math

import numpy as np

from ._memory import check_allocation

_THIRD_F32 = float(np.float32(1.0) / np.float32(3.0))  # the C++ literal 1.0f / 3.0f
_C0331_F32 = float(np.float32(0.0331))  # 0.0331f


def _values(a: np.ndarray, what: str) -> list:
    """a's values as Python floats, in row-major order; a draw too large for memory is refused first
    with torch's RuntimeError (a list item is a pointer and a float object, then a float64 result)."""
    check_allocation(np.size(a) * 48, what)
    return np.ascontiguousarray(a).reshape(-1).tolist()


def _uniform(stream) -> float:
    return float(stream._unit(1, np.float64)[0])


def sample_gamma(alpha: float, stream, single: bool) -> float:
    """One Gamma(alpha, 1) draw as torch's sample_gamma computes it; single: alpha is a float32
    (its float arithmetic: alpha + 1 and alpha - 1/3 rounded to float32), else a float64."""
    f32 = np.float32 if single else float
    alpha = f32(alpha)
    scale = 1.0
    if alpha < 1.0:  # boost alpha for a higher acceptance probability
        if alpha == 0.0:
            return 0.0
        scale *= math.pow(1.0 - _uniform(stream), float(f32(1.0) / alpha))
        alpha = f32(alpha + f32(1.0))
    d = float(f32(alpha - f32(_THIRD_F32)))
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        while True:
            x = stream._scalar_normal()
            y = 1.0 + c * x
            if y > 0:
                break
        v = y * y * y
        u = 1.0 - _uniform(stream)
        xx = x * x
        if u < 1.0 - _C0331_F32 * xx * xx:
            return scale * d * v
        if math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v


def standard_gamma(alpha: np.ndarray, stream) -> np.ndarray:
    """torch._standard_gamma on the CPU: each value at least the dtype's smallest normal number."""
    single = alpha.dtype != np.float64
    tiny = np.finfo(np.float32 if single else np.float64).tiny
    with stream._lock:  # (one op's draws in a row, as torch's generator mutex: _torch_stream._atomic)
        flat = [sample_gamma(a, stream, single) for a in _values(alpha, "_standard_gamma")]
    out = np.asarray(flat, dtype=np.float64).astype(np.float32 if single else np.float64)
    return np.maximum(out, tiny).reshape(alpha.shape).astype(alpha.dtype, copy=False)


def dirichlet(alpha: np.ndarray, stream) -> tuple[np.ndarray, np.ndarray]:
    """torch._sample_dirichlet on the CPU: float64 gammas normalised over the last dim, kept in
    [smallest normal, the number below 1] of the dtype. Returns (the draws, the float64 gammas)."""
    with stream._lock:
        flat = [sample_gamma(a, stream, False) for a in _values(alpha, "_sample_dirichlet")]
    gammas = np.maximum(np.asarray(flat, dtype=np.float64), np.finfo(np.float64).tiny).reshape(alpha.shape)
    out = gammas / gammas.sum(-1, keepdims=True)
    dtype = np.float32 if alpha.dtype != np.float64 else np.float64
    one = dtype(1.0)
    return np.clip(out, np.finfo(dtype).tiny, np.nextafter(one, dtype(0.0))).astype(alpha.dtype), gammas


def sample_poisson(lam: float, stream) -> int:
    """One Poisson(lam) draw as torch's CPU sample_poisson: transformed rejection for lam >= 10,
    else the product of uniforms."""
    if lam >= 10:
        slam, loglam = math.sqrt(lam), math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = _uniform(stream) - 0.5
            v = _uniform(stream)
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if math.log(v) + math.log(invalpha) - math.log(
                a / (us * us) + b
            ) <= -lam + k * loglam - math.lgamma(k + 1):
                return k
    if lam == 0:
        return 0
    enlam, x, prod = math.exp(-lam), 0, 1.0
    while True:
        prod *= _uniform(stream)
        if prod > enlam:
            x += 1
        else:
            return x


def poisson(rates: np.ndarray, stream) -> np.ndarray:
    with stream._lock:
        flat = [sample_poisson(r, stream) for r in _values(rates, "poisson")]
    return np.asarray(flat, dtype=np.float64).reshape(rates.shape).astype(rates.dtype)


def _stirling_tail(k: float) -> float:
    """log(k!) - Stirling's approximation of it (a table below 10, the series above), as torch."""
    table = (
        0.08106146679532726,
        0.04134069595540929,
        0.02767792568499834,
        0.02079067210376509,
        0.01664469118982119,
        0.01387612882307075,
        0.01189670994589177,
        0.01041126526197209,
        0.009255462182712733,
        0.008330563433362871,
    )
    if k <= 9:
        return table[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _btrs(count, prob, stream) -> float:
    """Transformed rejection (Hörmann's BTRS); count and prob are float32 or float64 scalars, and
    what torch computes in their type (the products, r, m) is computed in it here too."""
    one = type(prob)(1)
    stddev = float(np.sqrt(count * prob * (one - prob)))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * float(prob)
    c = float(count * prob) + 0.5
    v_r = 0.92 - 4.2 / b
    r = float(prob / (one - prob))
    alpha = (2.83 + 5.1 / b) * stddev
    m = math.floor(float((count + one) * prob))
    count = float(count)
    while True:
        u = _uniform(stream) - 0.5
        v = _uniform(stream)
        us = 0.5 - abs(u)
        k = math.floor((2 * a / us + b) * u + c)
        if k < 0 or k > count:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        v = math.log(v * alpha / (a / (us * us) + b))
        upper = (
            (m + 0.5) * math.log((m + 1) / (r * (count - m + 1)))
            + (count + 1) * math.log((count - m + 1) / (count - k + 1))
            + (k + 0.5) * math.log(r * (count - k + 1) / (k + 1))
            + _stirling_tail(m)
            + _stirling_tail(count - m)
            - _stirling_tail(k)
            - _stirling_tail(count - k)
        )
        if v <= upper:
            return k


def _inversion(count, prob, stream) -> float:
    geom_sum, num_geom = 0.0, 0
    logprob = float(np.log1p(-prob))  # in prob's type (log1pf for a float32), as torch
    while True:
        geom_sum += math.ceil(math.log(_uniform(stream)) / logprob)
        if geom_sum > count:
            return num_geom
        num_geom += 1


def sample_binomial(count, prob, stream) -> float:
    """One Binomial(count, prob) draw as torch's sample_binomial (count, prob: NumPy float32 or
    float64 scalars, the tensor's dtype)."""
    if count <= 0.0 or prob <= 0.0:
        return 0.0
    if prob >= 1.0:
        return float(count)
    if prob <= 0.5:
        return _btrs(count, prob, stream) if count * prob >= 10.0 else _inversion(count, prob, stream)
    q = type(prob)(1.0 - float(prob))
    return float(count) - (_btrs(count, q, stream) if count * q >= 10.0 else _inversion(count, q, stream))


def binomial(counts: np.ndarray, probs: np.ndarray, stream) -> np.ndarray:
    """torch.binomial on the CPU (counts and probs of one floating dtype, broadcast together)."""
    counts, probs = np.broadcast_arrays(counts, probs)
    check_allocation(np.size(counts) * 48, "binomial")  # (NumPy scalars: the dtype's arithmetic)
    pairs = zip(np.ascontiguousarray(counts).reshape(-1), np.ascontiguousarray(probs).reshape(-1))
    with stream._lock:
        flat = [sample_binomial(n, p, stream) for n, p in pairs]
    return np.asarray(flat, dtype=np.float64).reshape(counts.shape).astype(probs.dtype)

"""torch.signal.windows: the SciPy-style window functions (bartlett, blackman, cosine,
exponential, gaussian, general_cosine, general_hamming, hamming, hann, kaiser, nuttall).

Each is computed as torch computes it (a linspace of the window's phase, then exp / sin /
cos / i0 of it, in the requested dtype), so the values agree with torch's to the last bit
where the elementwise functions do; `sym=False` gives the periodic window (one sample of
the M + 1 symmetric window dropped), the one spectral analysis uses. The older top-level
torch.hann_window & co. are in torch_names.py.

Arrows: imports creation (the factories), _dtype and torch_runtime (the layout); the math is
Tensor methods.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .._dtype import _dtype, default_float
from .._dtype import float32 as _float32
from .._dtype import float64 as _float64
from ..creation import arange, empty, linspace, ones, tensor
from ..torch_runtime import strided

__all__ = [
    "bartlett",
    "blackman",
    "cosine",
    "exponential",
    "gaussian",
    "general_cosine",
    "general_hamming",
    "hamming",
    "hann",
    "kaiser",
    "nuttall",
]


def _checks(name: str, M: int, dtype, layout):
    """torch's argument checks; the dtype to use (the default float dtype when None)."""
    dtype = default_float() if dtype is None else dtype
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if layout is not strided and layout is not None:
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    if _dtype(dtype) not in (_float32, _float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dtype}")
    return dtype


def _trivial(M, dtype, device, requires_grad):
    """The window of length 0 or 1 (empty, [1.]), or None."""
    if M == 0:
        return empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    if M == 1:
        return ones((1,), dtype=dtype, device=device, requires_grad=requires_grad)
    return None


def _phase(start, step, M, dtype, device, requires_grad, scaled=True):
    """M points from start * step to (start + M - 1) * step (scaled=False: from start to
    start + (M - 1) * step), torch's linspace of a window's phase."""
    first, last = (start * step, (start + (M - 1)) * step) if scaled else (start, start + (M - 1) * step)
    return linspace(first, last, M, dtype=dtype, device=device, requires_grad=requires_grad)


def exponential(
    M, *, center=None, tau=1.0, sym=True, dtype=None, layout=strided, device=None, requires_grad=False
):
    """exp(-|n - center| / tau)."""
    dtype = _checks("exponential", M, dtype, layout)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if M == 0:
        return empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    if center is None:
        center = (M if not sym and M > 1 else M - 1) / 2.0
    return (-_phase(-center, 1 / tau, M, dtype, device, requires_grad).abs()).exp()


def cosine(M, *, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    """sin(pi (n + 1/2) / M), the sine window."""
    dtype = _checks("cosine", M, dtype, layout)
    if M == 0:
        return empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    step = math.pi / (M + 1 if not sym and M > 1 else M)
    return _phase(0.5, step, M, dtype, device, requires_grad).sin()


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    """exp(-(n / (2 std))^2), centred."""
    dtype = _checks("gaussian", M, dtype, layout)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    if M == 0:
        return empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    start = -(M if not sym and M > 1 else M - 1) / 2.0
    return (-(_phase(start, 1 / (std * math.sqrt(2)), M, dtype, device, requires_grad) ** 2)).exp()


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    """I0(beta sqrt(1 - ((n - N/2) / (N/2))^2)) / I0(beta), N = M - 1 (sym) or M."""
    dtype = _checks("kaiser", M, dtype, layout)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    done = _trivial(M, dtype, device, requires_grad)
    if done is not None:
        return done
    b = tensor(beta, dtype=dtype, device=device)
    start = -b
    step = 2.0 * b / (M if not sym else M - 1)
    end = b.minimum(start + (M - 1) * step)
    k = linspace(start.item(), end.item(), M, dtype=dtype, device=device, requires_grad=requires_grad)
    return (b * b - k**2).sqrt().i0() / b.i0()


def hamming(M, *, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)


def hann(M, *, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    return general_hamming(
        M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad
    )


def blackman(M, *, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    dtype = _checks("blackman", M, dtype, layout)
    return general_cosine(
        M,
        a=[0.42, 0.5, 0.08],
        sym=sym,
        dtype=dtype,
        layout=layout,
        device=device,
        requires_grad=requires_grad,
    )


def bartlett(M, *, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    """1 - |2n / N - 1|, the triangle."""
    dtype = _checks("bartlett", M, dtype, layout)
    done = _trivial(M, dtype, device, requires_grad)
    if done is not None:
        return done
    return 1 - _phase(-1, 2 / (M if not sym else M - 1), M, dtype, device, requires_grad, scaled=False).abs()


def general_cosine(M, *, a, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    """sum_i (-1)^i a_i cos(2 pi i n / N)."""
    dtype = _checks("general_cosine", M, dtype, layout)
    done = _trivial(M, dtype, device, requires_grad)
    if done is not None:
        return done
    if not isinstance(a, Iterable):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    step = 2 * math.pi / (M if not sym else M - 1)
    k = linspace(0, (M - 1) * step, M, dtype=dtype, device=device, requires_grad=requires_grad)
    a_i = tensor(
        [(-1) ** i * w for i, w in enumerate(a)], device=device, dtype=dtype, requires_grad=requires_grad
    )
    i = arange(a_i.shape[0], dtype=a_i.dtype, device=a_i.device, requires_grad=a_i.requires_grad)
    return (a_i.unsqueeze(-1) * (i.unsqueeze(-1) * k).cos()).sum(0)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    """alpha - (1 - alpha) cos(2 pi n / N)."""
    return general_cosine(
        M,
        a=[alpha, 1.0 - alpha],
        sym=sym,
        dtype=dtype,
        layout=layout,
        device=device,
        requires_grad=requires_grad,
    )


def nuttall(M, *, sym=True, dtype=None, layout=strided, device=None, requires_grad=False):
    """Nuttall's minimum 4-term Blackman-Harris window."""
    return general_cosine(
        M,
        a=[0.3635819, 0.4891775, 0.1365995, 0.0106411],
        sym=sym,
        dtype=dtype,
        layout=layout,
        device=device,
        requires_grad=requires_grad,
    )

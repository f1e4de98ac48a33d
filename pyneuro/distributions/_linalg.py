"""The linear algebra MultivariateNormal needs: cholesky and solve, as autograd Functions (private).

pyneuro has no differentiable torch.linalg.cholesky yet, so these two are written here on the
backend's array namespace (xp.linalg: NumPy or CuPy), with their gradients beside them:

    L = cholesky(A)     (A = L Lᵀ, L lower)
        Ā = sym(L⁻ᵀ Φ(Lᵀ L̄) L⁻¹),  Φ: the lower triangle with the diagonal halved,
        sym(S) = (S + Sᵀ) / 2  (Murray, "Differentiation of the Cholesky decomposition", 2016)
    X = solve(A, B)     (A X = B; batch dims broadcast)
        B̄ = A⁻ᵀ X̄,  Ā = -B̄ Xᵀ  (the lower triangle of it when A is known to be lower triangular)
"""

from __future__ import annotations

import numpy as np

from .. import creation
from ..autograd.function import Function, _unbroadcast


def _mT(x):
    return x.swapaxes(-1, -2)


class _Cholesky(Function):
    """L = cholesky(A) for symmetric positive-definite A (batched over leading dims)."""

    __slots__ = ()
    saved_for = ()
    saves_output = True

    def forward(self, a):
        xp = self.bk.xp
        try:
            out = xp.linalg.cholesky(a)
        except Exception as exc:
            if type(exc).__name__ != "LinAlgError":
                raise
            # torch raises torch.linalg.LinAlgError, a RuntimeError
            raise RuntimeError(f"cholesky: the input is not positive-definite ({exc})") from None
        self.saved = (out,)
        return out

    def backward(self, g):
        (L,) = self.saved
        xp = self.bk.xp
        phi = xp.tril(_mT(L) @ g)
        n = L.shape[-1]
        idx = xp.arange(n)
        phi[..., idx, idx] *= 0.5
        # S = L⁻ᵀ Φ L⁻¹, by two solves: L⁻ᵀ (L⁻ᵀ Φᵀ)ᵀ
        left = xp.linalg.solve(_mT(L), phi)
        s = _mT(xp.linalg.solve(_mT(L), _mT(left)))
        return (0.5 * (s + _mT(s)),)


class _Solve(Function):
    """X = A⁻¹ B for square A (..., n, n) and B (..., n, k), batch dims broadcast."""

    __slots__ = ()
    saved_for = ((0, 1), ())  # backward reads A for both gradients (and the output X for A's)

    def saved_tensors(self):
        return self.saved_for, bool(self.needs[0])

    def forward(self, a, b, lower=False):
        xp = self.bk.xp
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a_b = xp.broadcast_to(a, batch + a.shape[-2:])
        b_b = xp.broadcast_to(b, batch + b.shape[-2:])
        out = xp.linalg.solve(a_b, b_b)
        self.saved = (a_b, out, lower)
        return out

    def backward(self, g):
        a, x, lower = self.saved
        xp = self.bk.xp
        A, B = self.inputs
        gb = xp.linalg.solve(_mT(a), g)
        ga = None
        if self.needs[0]:
            ga = -(gb @ _mT(x))
            if lower:
                ga = xp.tril(ga)
            ga = _unbroadcast(ga, A.shape)
        return ga, (_unbroadcast(gb, B.shape) if self.needs[1] else None)


def cholesky(a):
    """The lower Cholesky factor of a (batch of) symmetric positive-definite matrix (differentiable)."""
    return _Cholesky.apply(a)


def solve(a, b, lower=False):
    """X with a X = b (differentiable); lower=True when a is lower triangular (its gradient stays so)."""
    return _Solve.apply(a, b, lower=lower)


def diagonal(m):
    """The diagonal of the last two dims of a (batch of) square matrix, differentiable (m[..., i, i])."""
    idx = creation.arange(m.shape[-1], device=m.device)
    return m[..., idx, idx]

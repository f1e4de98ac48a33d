"""The linear algebra the multivariate families need, on pyneuro.linalg (differentiable to any
order, so a Hessian of MultivariateNormal.log_prob works, as torch's):

    L = cholesky(A)     (A = L Lᵀ, L lower)
    X = solve(A, B)     (A X = B; batch dims broadcast; lower=True: A is lower triangular, only
                         its lower triangle is read and gets a gradient)
"""

from __future__ import annotations

from .. import creation, linalg


def cholesky(a):
    """The lower Cholesky factor of a (batch of) symmetric positive-definite matrix (differentiable)."""
    return linalg.cholesky(a)


def solve(a, b, lower=False):
    """X with a X = b (differentiable); lower=True when a is lower triangular (its gradient stays so)."""
    return linalg.solve_triangular(a, b, upper=False) if lower else linalg.solve(a, b)


def diagonal(m):
    """The diagonal of the last two dims of a (batch of) square matrix, differentiable (m[..., i, i])."""
    idx = creation.arange(m.shape[-1], device=m.device)
    return m[..., idx, idx]

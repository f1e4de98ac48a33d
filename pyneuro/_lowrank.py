"""torch.svd_lowrank / torch.pca_lowrank (torch._lowrank): a randomized truncated SVD (Halko et
al., 2009, algorithm 5.1), written as torch writes it so that a seed gives torch's values: the
same torch.randn draw for the random basis, then QR and matmul on dense tensors (a sparse input
is refused)."""

from __future__ import annotations

from . import linalg
from ._tensor_base import TensorBase
from ._tensor_base import need_tensor as _need_tensor
from .creation import randn


def _floating(A):
    return A.dtype if A.is_floating_point() else randn(0).dtype  # torch's get_floating_dtype


def _basis(A, q: int, niter: int, M=None):
    """An orthonormal Q (m, q) whose span approximates A's range (A - M's)."""
    R = randn(A.shape[-1], q, dtype=_floating(A), device=A.device)
    X = A @ R if M is None else A @ R - M @ R
    Q = linalg.qr(X).Q
    for _ in range(niter):
        X = A.mH @ Q if M is None else A.mH @ Q - M.mH @ Q
        Q = linalg.qr(X).Q
        X = A @ Q if M is None else A @ Q - M @ Q
        Q = linalg.qr(X).Q
    return Q


def svd_lowrank(A, q: int | None = 6, niter: int | None = 2, M=None):
    """(U, S, V) of rank q with A ~ U diag(S) V^T (A - M's where M is given)."""
    A = _need_tensor(A, "svd_lowrank")
    q = 6 if q is None else q
    niter = 2 if niter is None else niter
    m, n = A.shape[-2:]
    if M is not None:
        M = _need_tensor(M, "svd_lowrank").broadcast_to(A.size())
    if m < n:  # work on the tall one
        A = A.mH
        M = None if M is None else M.mH
    Q = _basis(A, q, niter, M)
    B = Q.mH @ A if M is None else Q.mH @ A - Q.mH @ M
    U, S, Vh = linalg.svd(B, full_matrices=False)
    U, V = Q @ U, Vh.mH
    return (V, S, U) if m < n else (U, S, V)


def pca_lowrank(A, q: int | None = None, center: bool = True, niter: int = 2):
    """svd_lowrank of A with its column means subtracted (center=True): V's columns are the
    principal directions, S**2 / (m - 1) the variances along them."""
    if not isinstance(A, TensorBase):
        raise TypeError(f"pca_lowrank(): argument 'A' must be Tensor, not {type(A).__name__}")
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not (q >= 0 and q <= min(m, n)):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return svd_lowrank(A, q, niter=niter)
    return svd_lowrank(A - A.mean(dim=(-2,), keepdim=True), q, niter=niter)


__all__ = ["svd_lowrank", "pca_lowrank"]

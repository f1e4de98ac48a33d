"""torch.linalg.householder_product (torch.orgqr): the first n columns of the product
H_1 H_2 ... H_k of Householder reflections H_i = I - tau_i v_i v_i^T, where v_i is column i of
A below the diagonal with a 1 on it (the form LAPACK's geqrf leaves a QR factorization in).

Applied from the right to the first n columns of the identity, each reflection is two matrix
products (M - tau_i v_i (v_i^T M)), written in Tensor ops, so autograd gives the gradients in
A and tau (torch's node: LinalgHouseholderProductBackward0). Batches broadcast through matmul.

geqrf computes that factorization itself (on the host, LAPACK's dgeqr2 step by step, so the
same a and tau come out); torch gives it no gradient, nor does pyneuro.

Arrows: imports _dtype, _tensor_base, creation, return_types and autograd.shape; linalg.py,
torch_names_extra.py and _tensor_extra.py re-export it.
"""

from __future__ import annotations

import math

import numpy as np

from . import return_types
from ._dtype import torch_name
from ._tensor_base import _backend, _wrap, need_tensor
from .autograd.shape import renamed
from .creation import eye

_NAME = "torch.linalg.householder_product"


def _check(A, tau):
    need_tensor(A, "linalg_householder_product", "input")
    need_tensor(tau, "linalg_householder_product", "tau", 2)
    if A.ndim < 2:
        raise RuntimeError(f"{_NAME}: input must have at least 2 dimensions.")
    m, n = A.shape[-2], A.shape[-1]
    if m < n:
        raise RuntimeError(f"{_NAME}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if tau.ndim != A.ndim - 1:
        raise RuntimeError(
            f"{_NAME}: Expected tau to have one dimension less than input, but got tau.ndim equal to "
            f"{tau.ndim} and input.ndim is equal to {A.ndim}"
        )
    if n < tau.shape[-1]:
        raise RuntimeError(f"{_NAME}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(
            f"{_NAME}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
            f"{list(tau.shape[:-1])}"
        )
    if tau.dtype != A.dtype:
        raise RuntimeError(
            f"{_NAME}: tau dtype {torch_name(tau.dtype)} does not match input dtype {torch_name(A.dtype)}"
        )
    if A.dtype.kind != "f":
        raise NotImplementedError(f"\"orgqr_cpu\" not implemented for '{torch_name(A.dtype)}'")


def householder_product(A, tau):
    """Q (m x n): the first n columns of H_1 ... H_k for A (m x n, m >= n) and tau (k <= n)."""
    _check(A, tau)
    m, n = A.shape[-2], A.shape[-1]
    below = A.tril(-1) + eye(m, n, dtype=A.dtype, device=A.device)  # v_i in column i
    q = eye(m, n, dtype=A.dtype, device=A.device).expand(*A.shape)
    for i in reversed(range(tau.shape[-1])):
        v = below[..., :, i : i + 1]  # (..., m, 1)
        q = q - tau[..., i : i + 1].unsqueeze(-1) * (v @ (v.mT @ q))
    return renamed(q, "LinalgHouseholderProductBackward0")


def orgqr(input, tau):
    """torch.orgqr: householder_product."""
    return householder_product(input, tau)


def _geqrf_array(a):
    """LAPACK's geqr2 on one float matrix, in place: R on and above the diagonal, the
    Householder vectors below it; returns tau (dlarfg's: beta = -sign(alpha) ||(alpha, x)||,
    tau = (beta - alpha) / beta, v = x / (alpha - beta); tau = 0 where x is already 0)."""
    m, n = a.shape
    tau = np.zeros(min(m, n), dtype=a.dtype)
    for i in range(min(m, n)):
        alpha, x = a[i, i], a[i + 1 :, i]
        xnorm = np.linalg.norm(x)
        if xnorm == 0:
            continue
        beta = -math.copysign(math.hypot(alpha, xnorm), alpha)
        tau[i] = (beta - alpha) / beta
        x /= alpha - beta
        a[i, i] = beta
        v = np.concatenate(([1.0], x)).astype(a.dtype)
        a[i:, i + 1 :] -= tau[i] * np.outer(v, v @ a[i:, i + 1 :])
    return tau


def geqrf(input):
    """torch.geqrf: (a, tau), the QR factorization as LAPACK's geqrf leaves it (R above the
    diagonal, the Householder vectors below; householder_product(a, tau) is Q). No gradient,
    as torch's."""
    need_tensor(input, "geqrf")
    if input.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    if input.dtype.kind != "f":
        raise NotImplementedError(f"\"geqrf_cpu\" not implemented for '{torch_name(input.dtype)}'")
    backend = _backend(input.device)
    a = np.array(backend.to_numpy(input.detach()._data), dtype=input._data.dtype, copy=True)
    m, n = a.shape[-2:]
    flat = a.reshape((int(np.prod(a.shape[:-2], dtype=np.int64)), m, n))
    taus = np.stack([_geqrf_array(x) for x in flat]) if len(flat) else np.zeros((0, min(m, n)), a.dtype)
    tau = taus.reshape(a.shape[:-2] + (min(m, n),))
    return return_types.geqrf(
        _wrap(backend.asarray(a), input.device), _wrap(backend.asarray(tau), input.device)
    )


def ormqr(input, tau, other, left=True, transpose=False):
    """torch.ormqr: Q other (left), other Q (left=False), or with Q^T (transpose), where
    Q = H_1 ... H_k is the m x m product of input's Householder reflections (as from geqrf);
    each H_i applied as a rank-one update, so the gradients flow to all three."""
    need_tensor(input, "ormqr")
    need_tensor(tau, "ormqr", "input2", 2)
    need_tensor(other, "ormqr", "input3", 3)
    if input.ndim < 2 or other.ndim < 2:
        raise RuntimeError("torch.ormqr: input must have at least 2 dimensions.")
    m = other.shape[-2] if left else other.shape[-1]
    if input.shape[-2] != m:
        raise RuntimeError(f"torch.ormqr: other.shape[{-2 if left else -1}] must be equal to input.shape[-2]")
    if tau.shape[-1] > min(other.shape[-2], input.shape[-1]):
        raise RuntimeError(
            "torch.ormqr: tau.shape[-1] must be equal to min(other.shape[-2], input.shape[-1])"
        )
    below = input.tril(-1) + eye(input.shape[-2], input.shape[-1], dtype=input.dtype, device=input.device)
    k = tau.shape[-1]
    # Q C = H_1 (... (H_k C)); Q^T C = H_k (... (H_1 C)); C Q = ((C H_1) ...) H_k; C Q^T the reverse
    order = range(k) if left == transpose else reversed(range(k))
    out = other
    for i in order:
        v = below[..., :, i : i + 1]
        t = tau[..., i : i + 1].unsqueeze(-1)
        out = out - t * (v @ (v.mT @ out)) if left else out - t * ((out @ v) @ v.mT)
    return out

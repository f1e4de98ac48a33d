"""Euclidean distances between rows by matrix products: torch.cdist's p = 2 and pdist's backward.

cdist(x1, x2)[i, j] = ||x1_i - x2_j||. Forming every difference costs P R M memory and time in
elementwise ops (1000 x 1000 rows of 64: 256 MB); expanding the square instead,

    ||a - b||^2 = ||a||^2 + ||b||^2 - 2 a.b,

turns the P R M multiply-adds into one matrix product (the matmul kernel) and P R memory. torch
does the same when either side has more than 25 rows (compute_mode's default), clamping the
rounding's small negatives at 0 before the square root. The cancellation costs digits where
two rows are close: torch accepts that (compute_mode='donot_use_mm_for_euclid_dist' avoids it).

Gradient (torch's _euclidean_dist_backward): with r = g / d (0 where d = 0, the subgradient torch
picks at a zero distance),

    d/dx1_i = x1_i sum_j r_ij - sum_j r_ij x2_j       d/dx2_j = x2_j sum_i r_ij - sum_i r_ij x1_i

two more matrix products. pdist's backward is the same with x1 = x2 = x and r symmetric.
Both backwards are Tensor ops, so create_graph=True differentiates them again.
"""

from __future__ import annotations

import numpy as np

from .autograd import Function
from .creation import as_tensor

_CHUNK = 1 << 20  # elements of differences pdist's forward forms at once


class EuclideanDist(Function):
    """cdist(x1, x2, p=2) through x1 @ x2^T (rows (..., P, M) and (..., R, M), batch dims broadcast)."""

    @staticmethod
    def forward(ctx, x1, x2):
        n1 = (x1 * x1).sum(-1, keepdim=True)
        n2 = (x2 * x2).sum(-1, keepdim=True)
        d = (n1 + n2.mT - 2 * (x1 @ x2.mT)).clamp_min(0).sqrt()
        ctx.save_for_backward(x1, x2, d)
        return d

    @staticmethod
    def backward(ctx, g):
        x1, x2, d = ctx.saved_tensors
        r = (g / d).masked_fill(d == 0, 0)
        return x1 * r.sum(-1, keepdim=True) - r @ x2, x2 * r.sum(-2).unsqueeze(-1) - r.mT @ x1


class PairDist(Function):
    """pdist(x, p=2): ||x_i - x_j|| for i < j in row-major order, the differences formed a chunk
    at a time (exact, as torch's kernel); backward scatters r into a symmetric (N, N) matrix."""

    @staticmethod
    def forward(ctx, x, i, j):
        step = max(1, _CHUNK // max(x.shape[1], 1))
        d = x.new_empty(len(i))
        for s in range(0, len(i), step):
            d[s : s + step] = (x[i[s : s + step]] - x[j[s : s + step]]).norm(dim=1)
        ctx.save_for_backward(x, d)
        ctx.pairs = (i, j)
        return d

    @staticmethod
    def backward(ctx, g):
        x, d = ctx.saved_tensors
        i, j = ctx.pairs
        r = (g / d).masked_fill(d == 0, 0)
        full = x.new_zeros(x.shape[0], x.shape[0]).index_put((i, j), r)
        full = full + full.mT
        return x * full.sum(1, keepdim=True) - full @ x, None, None


def pair_indices(n: int, device):
    """The (i, j) row pairs with i < j, in pdist's row-major order, as int64 tensors."""
    i, j = np.triu_indices(n, k=1)
    return as_tensor(i.astype(np.int64), device=device), as_tensor(j.astype(np.int64), device=device)

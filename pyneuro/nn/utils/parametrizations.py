"""torch.nn.utils.parametrizations: ready-made parametrizations (see parametrize.py).

weight_norm(module) makes module.weight = g * v / ||v|| (the norm over every dim but `dim`),
with g and v the parameters `parametrizations.weight.original0` and `.original1`, the keys
torch saves; a checkpoint of the older nn.utils.weight_norm (weight_g, weight_v) still loads.

spectral_norm(module) makes module.weight = W / sigma(W), sigma the largest singular value,
estimated by power iteration on the buffers _u and _v (15 steps at registration, one per read in
training mode, none in eval), drawn and refined exactly as torch's so a seed gives its values.

orthogonal(module) keeps module.weight orthogonal (Q^T Q = I, or Q Q^T for a wide matrix): it is
base @ map(X), base the original weight made orthogonal at registration (QR with R's diagonal
positive; a tall matrix completed with torch.randn columns) and map the matrix exponential or
the Cayley map of the skew-symmetric X - X^T (X's lower triangle), or a product of Householder
reflections; X starts at -I, where every map gives I, so the weight starts as base.
"""

from __future__ import annotations

import numpy as np

from ... import functional as F
from ...autograd import no_grad
from ...creation import arange, empty, eye, randn, zeros
from ...functions import cat, where
from ...linalg import qr, solve
from ...tensor import Tensor
from ..modules.conv import ConvTranspose1d, ConvTranspose2d
from ..modules.conv3d import ConvTranspose3d
from ..modules.module import Module
from . import parametrize
from .weight_norms import _norm_except_dim, _weight_norm


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparameterise module.<name> as g * v / ||v|| (Salimans & Kingma, 2016); returns module."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def compat_hook(state_dict, prefix, *_rest) -> None:  # the older API's keys
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(compat_hook)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                f"Expected n_power_iterations to be positive, but got n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = empty(h, dtype=weight.dtype, device=weight.device).normal_(0, 1)
            v = empty(w, dtype=weight.dtype, device=weight.device).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:  # the dim whose slices are the output units comes first
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        with no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(weight_mat.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(weight_mat.t().mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Divide module.<name> by its largest singular value (Miyato et al., 2018); returns module."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:  # a transposed convolution's output units are along dim 1
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


def _householder_product(a: Tensor, tau: Tensor) -> Tensor:
    """torch.linalg.householder_product: the first k columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T
    with v_i column i of a below the diagonal and 1 on it (a (n, k), tau (k,)), differentiably."""
    n, k = a.shape[-2], a.shape[-1]
    q = eye(n, dtype=a.dtype, device=a.device)
    rows = arange(n, device=a.device)
    for i in range(k):
        v = where(rows == i, 1.0, where(rows > i, a[..., :, i], 0.0)).unsqueeze(-1)
        q = q - (q @ v) * tau[..., i : i + 1].unsqueeze(-1) @ v.mT
    return q[..., :k]


def _make_orthogonal(a: Tensor) -> Tensor:
    """The Q of a's QR decomposition, its columns signed so that R's diagonal is positive (torch's)."""
    q, r = qr(a)
    return q * r.diagonal(dim1=-2, dim2=-1).sign().unsqueeze(-2)


class _Orthogonal(Module):
    def __init__(self, weight: Tensor, orthogonal_map: str, *, use_trivialization: bool = True) -> None:
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, x: Tensor) -> Tensor:
        n, k = x.shape[-2], x.shape[-1]
        transposed = n < k
        if transposed:
            x = x.mT
            n, k = k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            x = x.tril()
            if n != k:  # embedded in a square matrix
                x = cat([x, zeros(*x.shape[:-2], n, n - k, dtype=x.dtype, device=x.device)], dim=-1)
            a = x - x.mT  # skew-symmetric
            if self.orthogonal_map == "matrix_exp":
                q = a.matrix_exp()
            else:  # the Cayley retraction (I + A/2)(I - A/2)^-1
                i = eye(n, dtype=a.dtype, device=a.device)
                q = solve(i - 0.5 * a, i + 0.5 * a)
            if n != k:
                q = q[..., :k]
        else:
            a = x.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (a * a).sum(dim=-2))
            q = _householder_product(a, tau) * x.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if getattr(self, "base", None) is not None:
            q = self.base @ q
        return q.mT if transposed else q

    def right_inverse(self, q: Tensor) -> Tensor:
        """Assigning module.weight = q: base becomes q made orthogonal, and X = -I (torch's trivialization)."""
        if tuple(q.shape) != tuple(self.shape):
            raise ValueError(
                f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor of shape {q.shape}."
            )
        if "base" not in self._buffers:
            raise NotImplementedError("pyneuro's orthogonal supports use_trivialization=True only")
        q_init = q
        with no_grad():
            n, k = q.shape[-2], q.shape[-1]
            if n < k:
                q = q.mT
                n, k = k, n
            if n == k:
                eye_k = eye(k, dtype=q.dtype, device=q.device)
                close = ((q.mT @ q) - eye_k).abs().max() <= 10.0 * n * float(
                    np.finfo(np.dtype(q.dtype.name)).eps
                )
                q = q.clone() if bool(close) else _make_orthogonal(q)
            else:  # completed into a full n x n orthogonal matrix
                extra = randn(*q.shape[:-2], n, n - k, dtype=q.dtype, device=q.device)
                q = _make_orthogonal(cat([q, extra], dim=-1))
            self.base = q
            neg_id = zeros(tuple(q_init.shape), dtype=q_init.dtype, device=q_init.device)
            neg_id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
        return neg_id


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:  # fmt: skip
    """Keep module.<name> orthogonal (torch.nn.utils.parametrizations.orthogonal); returns module.

    orthogonal_map: "matrix_exp" (default for square matrices), "cayley" or "householder" (default
    otherwise)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in ("matrix_exp", "cayley", "householder"):
        raise ValueError(
            f'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". Got: {orthogonal_map}'
        )
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


__all__ = ["weight_norm", "spectral_norm", "orthogonal"]

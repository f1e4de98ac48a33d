"""LKJCholesky: a distribution over Cholesky factors L of correlation matrices (L Lᵀ has a unit
diagonal), with density ∝ det(L Lᵀ)^(η - 1) (Lewandowski, Kurowicka & Joe, 2009).

Draws use the onion method as torch does: row i of L is a random direction scaled to the length
√y, y ~ Beta(i/2, η + (d - 2 - i)/2) on the host generator, with the diagonal filling the row to
unit length. log_prob needs only the diagonal of L and the multivariate log-gamma.
"""

from __future__ import annotations

import math

from .. import creation
from ..functions import cat
from . import constraints
from ._linalg import diagonal
from ._special import lgamma
from .distribution import Distribution
from .gamma import Beta
from .utils import _finfo, _standard_normal, broadcast_all

__all__ = ["LKJCholesky"]


def _mvlgamma(a, p: int):
    """The multivariate log-gamma log Γ_p(a) = p(p-1)/4 log π + Σ_{j<p} log Γ(a - j/2)."""
    total = p * (p - 1) / 4 * math.log(math.pi)
    for j in range(p):
        total = total + lgamma(a - j / 2)
    return total


class LKJCholesky(Distribution):
    """LKJCholesky(dim, concentration η = 1): η = 1 is uniform over correlation matrices, larger η
    concentrates them near the identity."""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        marginal_conc = self.concentration + 0.5 * (dim - 2)
        offset = creation.arange(dim - 1, dtype=self.concentration.dtype, device=self.concentration.device)
        offset = cat([offset[:1] * 0, offset])
        self._beta = Beta(offset + 0.5, marginal_conc.unsqueeze(-1) - 0.5 * offset)
        super().__init__(self.concentration.shape, (dim, dim), validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        new.dim = self.dim
        new._beta = self._beta.expand(tuple(batch_shape) + (self.dim,))
        return self._expand_params(new, batch_shape, ("concentration",))

    def sample(self, sample_shape=()):
        y = self._beta.sample(sample_shape).unsqueeze(-1)
        u_normal = _standard_normal(y, self._extended_shape(sample_shape)).tril(-1)
        tiny = float(_finfo(y).tiny)
        # rows as unit directions (row 0 of tril(-1) is all zeros and stays so)
        u_hypersphere = u_normal / u_normal.pow(2).sum(-1, keepdim=True).sqrt().clamp(min=tiny)
        w = y.sqrt() * u_hypersphere
        diag = (1 - w.pow(2).sum(-1)).clamp(min=tiny).sqrt()
        return w + diag.unsqueeze(-1) * creation.eye(self.dim, dtype=w.dtype, device=w.device)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diag_elems = diagonal(value)[..., 1:]
        order = creation.arange(2, self.dim + 1, dtype=value.dtype, device=value.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = (order * diag_elems.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        normalize = 0.5 * dm1 * math.log(math.pi) + _mvlgamma(alpha - 0.5, dm1) - lgamma(alpha) * dm1
        return unnormalized - normalize

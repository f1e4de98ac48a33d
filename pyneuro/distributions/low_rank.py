"""LowRankMultivariateNormal: a Gaussian whose covariance is low rank plus diagonal, Σ = W Wᵀ + D.

With W of shape (n, m), m << n, everything costs O(n m²) instead of O(n³), through the
m x m "capacitance" matrix C = I + Wᵀ D⁻¹ W and its Cholesky factor L_C:

    log det Σ      = 2 Σ log diag(L_C) + Σ log D                  (matrix determinant lemma)
    xᵀ Σ⁻¹ x       = xᵀ D⁻¹ x - ‖L_C⁻¹ Wᵀ D⁻¹ x‖²                 (Woodbury identity)
    rsample        loc + W ε_W + √D ε_D,  ε_W ~ N(0, I_m), ε_D ~ N(0, I_n)

The KL divergences with itself and with MultivariateNormal are registered here too.
"""

from __future__ import annotations

import math

import numpy as np

from .. import creation
from . import constraints
from ._linalg import cholesky, diagonal, solve
from .distribution import Distribution
from .kl import register_kl
from .multivariate_normal import MultivariateNormal, _batch_mahalanobis, _batch_mv
from .utils import _standard_normal, broadcast_shapes, lazy_property

__all__ = ["LowRankMultivariateNormal"]


def _eye_like(t, n):
    return creation.eye(n, dtype=t.dtype, device=t.device)


def _diag_embed(d):
    """A batch of diagonal matrices with d on the diagonal."""
    return d.unsqueeze(-1) * _eye_like(d, d.shape[-1])


def _batch_capacitance_tril(W, D):
    """The Cholesky factor of C = I + Wᵀ D⁻¹ W."""
    Wt_Dinv = W.mT / D.unsqueeze(-2)
    return cholesky(Wt_Dinv @ W + _eye_like(W, W.shape[-1]))


def _batch_lowrank_logdet(W, D, capacitance_tril):
    return 2 * diagonal(capacitance_tril).log().sum(-1) + D.log().sum(-1)


def _batch_lowrank_mahalanobis(W, D, x, capacitance_tril):
    Wt_Dinv = W.mT / D.unsqueeze(-2)
    return (x.pow(2) / D).sum(-1) - _batch_mahalanobis(capacitance_tril, _batch_mv(Wt_Dinv, x))


def _batch_trace_XXT(m):
    """tr(M Mᵀ) = the sum of the squares of M's entries, per matrix."""
    return m.pow(2).sum((-2, -1))


class LowRankMultivariateNormal(Distribution):
    """LowRankMultivariateNormal(loc, cov_factor W (…, n, m), cov_diag D (…, n))."""

    arg_constraints = {
        "loc": constraints.real_vector,
        "cov_factor": constraints.independent(constraints.real, 2),
        "cov_diag": constraints.independent(constraints.positive, 1),
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        n = loc.shape[-1]
        if cov_factor.dim() < 2:
            raise ValueError(
                "cov_factor must be at least two-dimensional, with optional leading batch dimensions"
            )
        if tuple(cov_factor.shape[-2:-1]) != (n,):
            raise ValueError(f"cov_factor must be a batch of matrices with shape {n} x m")
        if tuple(cov_diag.shape[-1:]) != (n,):
            raise ValueError(f"cov_diag must be a batch of vectors with shape {loc.shape[-1:]}")
        m = cov_factor.shape[-1]
        try:
            batch = np.broadcast_shapes(
                tuple(loc.shape[:-1]), tuple(cov_factor.shape[:-2]), tuple(cov_diag.shape[:-1])
            )
        except ValueError:
            raise ValueError(
                f"Incompatible batch shapes: loc {loc.shape}, cov_factor {cov_factor.shape}, cov_diag {cov_diag.shape}"
            ) from None
        self.loc = loc.expand(batch + (n,))
        self.cov_factor = cov_factor.expand(batch + (n, m))
        self.cov_diag = cov_diag.expand(batch + (n,))
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        super().__init__(batch, (n,), validate_args=validate_args)
        self._capacitance_tril = _batch_capacitance_tril(cov_factor, cov_diag)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LowRankMultivariateNormal, _instance)
        loc_shape = tuple(batch_shape) + tuple(self.event_shape)
        new.loc = self.loc.expand(loc_shape)
        new.cov_diag = self.cov_diag.expand(loc_shape)
        new.cov_factor = self.cov_factor.expand(loc_shape + tuple(self.cov_factor.shape[-1:]))
        new._unbroadcasted_cov_factor = self._unbroadcasted_cov_factor
        new._unbroadcasted_cov_diag = self._unbroadcasted_cov_diag
        new._capacitance_tril = self._capacitance_tril
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _matrix_shape(self):
        return tuple(self._batch_shape) + tuple(self._event_shape) * 2

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @lazy_property
    def variance(self):
        v = self._unbroadcasted_cov_factor.pow(2).sum(-1) + self._unbroadcasted_cov_diag
        return v.expand(tuple(self._batch_shape) + tuple(self._event_shape))

    @lazy_property
    def scale_tril(self):
        n = self._event_shape[0]
        sqrt_d = self._unbroadcasted_cov_diag.sqrt().unsqueeze(-1)
        dinvsqrt_w = self._unbroadcasted_cov_factor / sqrt_d
        k = dinvsqrt_w @ dinvsqrt_w.mT + _eye_like(sqrt_d, n)
        return (sqrt_d * cholesky(k)).expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        W = self._unbroadcasted_cov_factor
        return (W @ W.mT + _diag_embed(self._unbroadcasted_cov_diag)).expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        Wt_Dinv = self._unbroadcasted_cov_factor.mT / self._unbroadcasted_cov_diag.unsqueeze(-2)
        A = solve(self._capacitance_tril, Wt_Dinv, lower=True)
        return (_diag_embed(self._unbroadcasted_cov_diag.reciprocal()) - A.mT @ A).expand(
            self._matrix_shape()
        )

    def rsample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        eps_w = _standard_normal(self.loc, shape[:-1] + tuple(self.cov_factor.shape[-1:]))
        eps_d = _standard_normal(self.loc, shape)
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return self.loc + _batch_mv(W, eps_w) + D.sqrt() * eps_d

    def _log_det(self):
        return _batch_lowrank_logdet(
            self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag, self._capacitance_tril
        )

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        m = _batch_lowrank_mahalanobis(W, D, value - self.loc, self._capacitance_tril)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + self._log_det() + m)

    def entropy(self):
        h = 0.5 * (self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._log_det())
        return h if len(self._batch_shape) == 0 else h.expand(tuple(self._batch_shape))


def _check_event_shapes(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError(
            "KL-divergence between two (Low Rank) Multivariate Normals with different event shapes cannot be computed"
        )


def _lowrank_terms(q, diff):
    """log det Σ_q, the Mahalanobis term of diff, and A = L_C⁻¹ Wᵀ D⁻¹ for a low-rank q."""
    Wq, Dq, Lq = q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag, q._capacitance_tril
    A = solve(Lq, Wq.mT / Dq.unsqueeze(-2), lower=True)
    return _batch_lowrank_logdet(Wq, Dq, Lq), _batch_lowrank_mahalanobis(Wq, Dq, diff, Lq), A


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrank_lowrank(p, q):
    _check_event_shapes(p, q)
    q_logdet, term3, A = _lowrank_terms(q, q.loc - p.loc)
    Wp, Dp, Dq = p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag, q._unbroadcasted_cov_diag
    term21 = (Dp / Dq).sum(-1)
    term22 = _batch_trace_XXT(Wp * Dq.rsqrt().unsqueeze(-1))
    term23 = _batch_trace_XXT(A * Dp.sqrt().unsqueeze(-2))
    term24 = _batch_trace_XXT(A @ Wp)
    term1 = q_logdet - p._log_det()
    return 0.5 * (term1 + term21 + term22 - term23 - term24 + term3 - p.event_shape[0])


@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_mvn_lowrank(p, q):
    _check_event_shapes(p, q)
    q_logdet, term3, A = _lowrank_terms(q, q.loc - p.loc)
    Lp, Dq = p._unbroadcasted_scale_tril, q._unbroadcasted_cov_diag
    term1 = q_logdet - 2 * diagonal(Lp).log().sum(-1)
    term2 = _batch_trace_XXT(Lp * Dq.rsqrt().unsqueeze(-1)) - _batch_trace_XXT(A @ Lp)
    return 0.5 * (term1 + term2 + term3 - p.event_shape[0])


@register_kl(LowRankMultivariateNormal, MultivariateNormal)
def _kl_lowrank_mvn(p, q):
    _check_event_shapes(p, q)
    Lq = q._unbroadcasted_scale_tril
    term1 = 2 * diagonal(Lq).log().sum(-1) - p._log_det()
    term3 = _batch_mahalanobis(Lq, q.loc - p.loc)
    n = p.event_shape[0]
    Wp = p._unbroadcasted_cov_factor
    batch = broadcast_shapes(Lq.shape[:-2], Wp.shape[:-2])
    lq = Lq.expand(batch + (n, n))
    term21 = _batch_trace_XXT(solve(lq, Wp.expand(batch + (n, Wp.shape[-1])), lower=True))
    term22 = _batch_trace_XXT(
        solve(lq, _diag_embed(p._unbroadcasted_cov_diag.sqrt()).expand(batch + (n, n)), lower=True)
    )
    return 0.5 * (term1 + term21 + term22 + term3 - n)

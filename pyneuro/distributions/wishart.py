"""Wishart: the distribution of X = Σ_k z_k z_kᵀ for df Gaussian vectors z_k ~ N(0, Σ), a distribution
over positive-definite matrices (the conjugate prior of a Gaussian's precision).

It works, like MultivariateNormal, with the Cholesky factor L of Σ (from _linalg.cholesky):

    log_prob(X) = -ν (p log 2 / 2 + Σ log L_ii) - log Γ_p(ν/2) + (ν - p - 1)/2 log det X - tr(Σ⁻¹ X) / 2
    rsample     = (L A)(L A)ᵀ,  A lower triangular with A_ii = √χ²(ν - i), A_ij ~ N(0, 1)  (Bartlett)

log det X and tr(Σ⁻¹ X) = ‖L⁻¹ chol(X)‖²_F both come from Cholesky factors, so they are differentiable.
"""

from __future__ import annotations

import math
import warnings

from .. import creation
from ..functions import where
from . import constraints
from ._linalg import cholesky, diagonal, solve
from ._special import digamma
from .distribution import ExponentialFamily
from .gamma import Chi2
from .lkj_cholesky import _mvlgamma
from .utils import _finfo, _standard_normal, broadcast_shapes, lazy_property

__all__ = ["Wishart"]

_LOG_2 = math.log(2)


def _mvdigamma(x, p: int):
    """The multivariate digamma Σ_{j<p} ψ(x - j/2)."""
    total = 0.0
    for j in range(p):
        total = total + digamma(x - j / 2)
    return total


class Wishart(ExponentialFamily):
    """Wishart(df, covariance_matrix=Σ | precision_matrix=Σ⁻¹ | scale_tril=L): p x p positive-definite draws."""

    support = constraints.positive_definite
    has_rsample = True

    @property
    def arg_constraints(self):
        return {
            "covariance_matrix": constraints.positive_definite,
            "precision_matrix": constraints.positive_definite,
            "scale_tril": constraints.lower_cholesky,
            "df": constraints.greater_than(self.event_shape[-1] - 1),
        }

    def __init__(
        self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None
    ):
        if (covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None) != 1:
            raise AssertionError(
                "Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified."
            )
        given = {
            "covariance_matrix": covariance_matrix,
            "precision_matrix": precision_matrix,
            "scale_tril": scale_tril,
        }
        name, param = next((k, v) for k, v in given.items() if v is not None)
        if param.dim() < 2:
            raise ValueError(
                "scale_tril must be at least two-dimensional, with optional leading batch dimensions"
            )
        p = param.shape[-1]
        if hasattr(df, "shape"):
            batch_shape = broadcast_shapes(param.shape[:-2], df.shape)
            self.df = df.expand(batch_shape)
        else:
            batch_shape = tuple(param.shape[:-2])
            self.df = creation.tensor(float(df), dtype=param.dtype, device=param.device)
        if bool((self.df <= p - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        setattr(self, name, param.expand(tuple(batch_shape) + (p, p)))
        if bool((self.df < p).any()):
            warnings.warn(
                "Low df values detected. Singular samples are highly likely to occur for ndim - 1 < df < ndim.",
                stacklevel=2,
            )
        super().__init__(batch_shape, (p, p), validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = param
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = cholesky(param)
        else:
            self._unbroadcasted_scale_tril = cholesky(
                solve(param, creation.eye(p, dtype=param.dtype, device=param.device))
            )
        self._dist_chi2 = self._chi2(batch_shape)

    def _chi2(self, batch_shape):
        """Chi2(df - i) for the Bartlett diagonal, i = 0..p-1."""
        p = self._event_shape[-1]
        offsets = creation.arange(
            p, dtype=self._unbroadcasted_scale_tril.dtype, device=self._unbroadcasted_scale_tril.device
        )
        return Chi2(df=(self.df.unsqueeze(-1) - offsets).expand(tuple(batch_shape) + (p,)))

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Wishart, _instance)
        cov_shape = tuple(batch_shape) + tuple(self.event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(cov_shape)
        new.df = self.df.expand(tuple(batch_shape))
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, getattr(self, name).expand(cov_shape))
        ExponentialFamily.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        new._dist_chi2 = new._chi2(batch_shape)
        return new

    def _matrix_shape(self):
        return tuple(self._batch_shape) + tuple(self._event_shape)

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return (L @ L.mT).expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        L = self._unbroadcasted_scale_tril
        inv = solve(L, creation.eye(L.shape[-1], dtype=L.dtype, device=L.device), lower=True)
        return (inv.mT @ inv).expand(self._matrix_shape())

    def _df_matrix(self, df):
        return df.reshape(tuple(self._batch_shape) + (1, 1))

    @property
    def mean(self):
        return self._df_matrix(self.df) * self.covariance_matrix

    @property
    def mode(self):
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        return self._df_matrix(where(factor <= 0, math.nan, factor)) * self.covariance_matrix

    @property
    def variance(self):
        V = self.covariance_matrix
        d = diagonal(V)
        return self._df_matrix(self.df) * (V.pow(2) + d.unsqueeze(-1) * d.unsqueeze(-2))

    def rsample(self, sample_shape=()):
        """Bartlett's construction; torch redraws the rare singular samples, which happen only for df < p."""
        shape = tuple(self._extended_shape(sample_shape))
        p = self._event_shape[-1]
        eps = float(_finfo(self.df).eps)
        diag = self._dist_chi2.rsample(sample_shape).sqrt().clamp(min=eps)
        eye = creation.eye(p, dtype=diag.dtype, device=diag.device)
        noise = diag.unsqueeze(-1) * eye + _standard_normal(diag, shape).tril(-1)
        chol = self._unbroadcasted_scale_tril @ noise
        return chol @ chol.mT

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        nu, p = self.df, self._event_shape[-1]
        L = self._unbroadcasted_scale_tril
        value_tril = cholesky(value)
        log_det_value = 2 * diagonal(value_tril).log().sum(-1)
        m = solve(L.expand(tuple(value_tril.shape)), value_tril, lower=True)
        trace = m.pow(2).sum((-2, -1))  # tr(Σ⁻¹ X) = ‖L⁻¹ chol(X)‖²_F
        return (
            -nu * (p * _LOG_2 / 2 + diagonal(L).log().sum(-1))
            - _mvlgamma(nu / 2, p)
            + (nu - p - 1) / 2 * log_det_value
            - trace / 2
        )

    def entropy(self):
        nu, p = self.df, self._event_shape[-1]
        return (
            (p + 1) * (p * _LOG_2 / 2 + diagonal(self._unbroadcasted_scale_tril).log().sum(-1))
            + _mvlgamma(nu / 2, p)
            - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p)
            + nu * p / 2
        )

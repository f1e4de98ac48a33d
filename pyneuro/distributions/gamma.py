"""The Gamma family: Gamma, Chi2, Beta, Dirichlet, FisherSnedecor.

Their densities are normalised by log Γ (lgamma) and their entropies use ψ (digamma), from
_special.py. Draws start from Gamma(alpha, 1) variates made on the host by torch's own CPU
samplers (pyneuro/_torch_samplers.py: a seed gives torch's numbers); rsample makes them differentiable in
alpha by implicit reparameterisation
(d x / d alpha = -(∂F/∂alpha) / f at the drawn x, F the Gamma cdf), and Beta and Dirichlet
normalise such draws (x_i / Σ x_j), so their gradients follow through the division.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _torch_samplers as samplers
from .. import creation
from .._dtype import float64
from ..functions import stack, where
from ..nn import functional as F
from ..random import _rng
from . import constraints
from ._special import digamma, gammainc, lgamma, standard_gamma
from .distribution import Distribution, ExponentialFamily
from .utils import _finfo, _host_tensor, _xlogy, broadcast_all

__all__ = ["Beta", "Chi2", "Dirichlet", "FisherSnedecor", "Gamma"]


def _host_params(a) -> np.ndarray:
    """A parameter tensor's values on the host, float64 or float32 as torch's kernel reads them."""
    return np.asarray(a.detach().cpu().numpy(), dtype=np.float64 if a.dtype == float64 else np.float32)


def _standard_gamma(alpha):
    """Gamma(alpha, 1) draws of alpha's shape (torch._standard_gamma's numbers), differentiable in alpha."""
    return standard_gamma(
        alpha, lambda a: _host_tensor(samplers.standard_gamma(_host_params(a), _rng(None)), a)
    )


def _dirichlet(alpha):
    """Dirichlet(alpha) draws over alpha's last dim (torch._sample_dirichlet's numbers), differentiable
    in alpha through the normalised Gamma draws they come from."""
    values, gammas = samplers.dirichlet(_host_params(alpha), _rng(None))
    g = standard_gamma(alpha, lambda a: _host_tensor(gammas, a))
    x = g / g.sum(-1, keepdim=True)
    return _host_tensor(values, alpha) + (x - x.detach())


class Gamma(ExponentialFamily):
    """Gamma(concentration, rate): density rate^a x^(a-1) e^(-rate x) / Γ(a) for x >= 0."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Gamma, _instance)
        return self._expand_params(new, batch_shape, ("concentration", "rate"))

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        value = _standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        value.detach().clamp_(min=float(_finfo(value).tiny))  # as torch: not recorded in the graph
        return value

    def log_prob(self, value):
        if not hasattr(value, "shape"):
            value = creation.tensor(float(value), dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        a, rate = self.concentration, self.rate
        return _xlogy(a, rate) + _xlogy(a - 1, value) - rate * value - lgamma(a)

    def entropy(self):
        a = self.concentration
        return a - self.rate.log() + lgamma(a) + (1.0 - a) * digamma(a)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return gammainc(self.concentration, self.rate * value)


class Chi2(Gamma):
    """Chi2(df): the Gamma(df / 2, 1 / 2) distribution."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        (df,) = broadcast_all(df)
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(batch_shape, new)

    @property
    def df(self):
        return self.concentration * 2


class Dirichlet(ExponentialFamily):
    """Dirichlet(concentration): probability vectors x on the simplex, density ∝ Π x_i^(a_i - 1)."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Dirichlet, _instance)
        return self._expand_params(new, batch_shape, ("concentration",))

    def rsample(self, sample_shape=()):
        return _dirichlet(self.concentration.expand(tuple(self._extended_shape(sample_shape))))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a = self.concentration
        return _xlogy(a - 1.0, value).sum(-1) + lgamma(a.sum(-1)) - lgamma(a).sum(-1)

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        """(a - 1)+ normalised; where every a < 1, the corner of the largest (a - 1)+ (torch's rule)."""
        am1 = (self.concentration - 1).clamp(min=0.0)
        mode = am1 / am1.sum(-1, keepdim=True)
        corner = F.one_hot(mode.argmax(-1), am1.shape[-1]).to(mode.dtype)
        all_small = (self.concentration < 1).all(-1, keepdim=True)
        return where(all_small, corner, mode)

    @property
    def variance(self):
        a0 = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (a0 - self.concentration) / (a0.pow(2) * (a0 + 1))

    def entropy(self):
        a = self.concentration
        k = a.shape[-1]
        a0 = a.sum(-1)
        return lgamma(a).sum(-1) - lgamma(a0) - (k - a0) * digamma(a0) - ((a - 1.0) * digamma(a)).sum(-1)


class Beta(ExponentialFamily):
    """Beta(concentration1, concentration0): density x^(c1-1) (1-x)^(c0-1) / B(c1, c0) on [0, 1]."""

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        # (torch's: the parameters live in a Dirichlet over (c1, c0), so they are properties, and
        # its repr, which lists the parameters in __dict__, reads `Beta()`)
        concentration1, concentration0 = broadcast_all(concentration1, concentration0)
        both = stack([concentration1, concentration0], -1)
        self._dirichlet = Dirichlet(both, validate_args=validate_args)
        super().__init__(self._dirichlet.batch_shape, validate_args=validate_args)

    @property
    def concentration1(self):
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self):
        return self._dirichlet.concentration[..., 1]

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Beta, _instance)
        new._dirichlet = self._dirichlet.expand(batch_shape)
        Distribution.__init__(new, new._dirichlet.batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        return self._as_dirichlet().mode[..., 0]

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def _as_dirichlet(self):
        return self._dirichlet

    def rsample(self, sample_shape=()):
        return self._as_dirichlet().rsample(sample_shape).select(-1, 0)  # torch's: one Dirichlet draw

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c1, c0 = self.concentration1, self.concentration0
        log_beta = lgamma(c1) + lgamma(c0) - lgamma(c1 + c0)
        return _xlogy(c1 - 1.0, value) + _xlogy(c0 - 1.0, 1.0 - value) - log_beta

    def entropy(self):
        return self._as_dirichlet().entropy()


class FisherSnedecor(Distribution):
    """FisherSnedecor(df1, df2): the F distribution, (X1 / df1) / (X2 / df2) for X_i ~ Chi2(df_i)."""

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args=None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        super().__init__(self.df1.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(FisherSnedecor, _instance)
        new._gamma1 = self._gamma1.expand(batch_shape)
        new._gamma2 = self._gamma2.expand(batch_shape)
        return self._expand_params(new, batch_shape, ("df1", "df2"))

    @property
    def mean(self):
        df2 = where(self.df2 <= 2, math.nan, self.df2)
        return df2 / (df2 - 2)

    @property
    def mode(self):
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return where(self.df1 <= 2, math.nan, mode)

    @property
    def variance(self):
        df2 = where(self.df2 <= 4, math.nan, self.df2)
        return 2 * df2.pow(2) * (self.df1 + df2 - 2) / (self.df1 * (df2 - 2).pow(2) * (df2 - 4))

    def rsample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        tiny = float(_finfo(self.df1).tiny)
        x1 = self._gamma1.rsample(sample_shape).reshape(shape)
        x2 = self._gamma2.rsample(sample_shape).reshape(shape).clamp(min=tiny)
        return (x1 / x2).clamp(min=tiny)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        ct1, ct2 = self.df1 * 0.5, self.df2 * 0.5
        ct3 = self.df1 / self.df2
        t1 = lgamma(ct1 + ct2) - lgamma(ct1) - lgamma(ct2)
        t2 = ct1 * ct3.log() + (ct1 - 1) * value.log()
        t3 = (ct1 + ct2) * (ct3 * value).log1p()
        return t1 + t2 - t3

"""pyneuro.distributions: torch.distributions' import path (Normal, Categorical, ...).

    >>> import pyneuro as torch
    >>> from pyneuro.distributions import Normal, kl_divergence
    >>> q = Normal(mu, std)              # a batch of Gaussians
    >>> z = q.rsample()                  # reparameterised: gradients reach mu and std
    >>> q.log_prob(z), q.entropy(), kl_divergence(q, Normal(0.0, 1.0))

distribution.py holds the base class, constraints.py the parameter/support sets, utils.py the
shared helpers, _special.py the special functions (lgamma, digamma, erf, erfinv) the
densities need; the families are grouped by kind in the other modules.
"""

from __future__ import annotations

from . import constraints
from .discrete import (
    Bernoulli,
    Binomial,
    Categorical,
    OneHotCategorical,
    OneHotCategoricalStraightThrough,
    Poisson,
)
from .distribution import Distribution
from .gamma import Beta, Chi2, Dirichlet, Gamma
from .kl import kl_divergence, register_kl
from .multivariate_normal import Independent, MultivariateNormal
from .normal import Exponential, Laplace, Normal, Uniform

__all__ = [
    "Bernoulli",
    "Beta",
    "Chi2",
    "Dirichlet",
    "Gamma",
    "Independent",
    "Binomial",
    "Categorical",
    "OneHotCategorical",
    "OneHotCategoricalStraightThrough",
    "Poisson",
    "Distribution",
    "Exponential",
    "Laplace",
    "MultivariateNormal",
    "Normal",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
]

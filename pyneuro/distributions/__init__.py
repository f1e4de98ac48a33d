"""pyneuro.distributions: torch.distributions' import path (Normal, Categorical, ...).

    >>> import pyneuro as torch
    >>> from pyneuro.distributions import Normal, kl_divergence
    >>> q = Normal(mu, std)              # a batch of Gaussians
    >>> z = q.rsample()                  # reparameterised: gradients reach mu and std
    >>> q.log_prob(z), q.entropy(), kl_divergence(q, Normal(0.0, 1.0))

distribution.py holds the base class, constraints.py the parameter/support sets, utils.py the
shared helpers, _special.py the special functions (lgamma, digamma, erf, erfinv, the incomplete
gamma) the densities need, _linalg.py a differentiable Cholesky and solve; the families are
grouped by kind in the other modules, and transforms.py holds the maps of TransformedDistribution.
"""

from __future__ import annotations

from . import constraints, transforms
from .discrete import (
    Bernoulli,
    Binomial,
    Categorical,
    Geometric,
    Multinomial,
    OneHotCategorical,
    OneHotCategoricalStraightThrough,
    Poisson,
)
from .distribution import Distribution
from .gamma import Beta, Chi2, Dirichlet, Gamma
from .kl import kl_divergence, register_kl
from .mixture import MixtureSameFamily
from .multivariate_normal import Independent, MultivariateNormal
from .normal import Cauchy, Exponential, Gumbel, Laplace, Normal, StudentT, Uniform
from .transformed_distribution import HalfNormal, LogNormal, TransformedDistribution
from .transforms import (
    AbsTransform,
    AffineTransform,
    ComposeTransform,
    ExpTransform,
    PowerTransform,
    SigmoidTransform,
    SoftplusTransform,
    TanhTransform,
    Transform,
)

__all__ = [
    "AbsTransform",
    "AffineTransform",
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "Cauchy",
    "Chi2",
    "ComposeTransform",
    "Dirichlet",
    "Distribution",
    "ExpTransform",
    "Exponential",
    "Gamma",
    "Geometric",
    "Gumbel",
    "HalfNormal",
    "Independent",
    "Laplace",
    "LogNormal",
    "MixtureSameFamily",
    "Multinomial",
    "MultivariateNormal",
    "Normal",
    "OneHotCategorical",
    "OneHotCategoricalStraightThrough",
    "Poisson",
    "PowerTransform",
    "SigmoidTransform",
    "SoftplusTransform",
    "StudentT",
    "TanhTransform",
    "Transform",
    "TransformedDistribution",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
    "transforms",
]

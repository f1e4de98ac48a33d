"""pyneuro.distributions: torch.distributions' import path (Normal, Categorical, ...).

    >>> import pyneuro as torch
    >>> from pyneuro.distributions import Normal, kl_divergence
    >>> q = Normal(mu, std)              # a batch of Gaussians
    >>> z = q.rsample()                  # reparameterised: gradients reach mu and std
    >>> q.log_prob(z), q.entropy(), kl_divergence(q, Normal(0.0, 1.0))

distribution.py holds the base classes, constraints.py the parameter/support sets, utils.py the
shared helpers, _special.py the special functions (lgamma, digamma, erf, erfinv, the incomplete
gamma) the densities need, _linalg.py the Cholesky factor and solves (on pyneuro.linalg). The families are
grouped by kind: normal.py (one real variable), discrete.py, gamma.py, multivariate_normal.py
(with Independent), low_rank.py, transformed_distribution.py (LogNormal, ...), relaxed.py
(Gumbel-softmax), mixture.py, continuous_bernoulli.py, von_mises.py, lkj_cholesky.py, wishart.py. transforms.py holds the
maps of TransformedDistribution (transforms_blocks.py the Cat, Stack and CorrCholesky ones),
constraint_registry.py biject_to/transform_to, kl.py and
kl_cross.py the KL divergences. torch's per-family module names are aliases of these modules.
"""

from __future__ import annotations

import re
import sys

from . import (  # noqa: F401  (attributes, not in __all__ as torch's; importing kl_cross registers its KL pairs)
    constraints,
    kl_cross,
    transforms,
)
from .constraint_registry import biject_to, transform_to
from .continuous_bernoulli import ContinuousBernoulli
from .discrete import (
    Bernoulli,
    Binomial,
    Categorical,
    Geometric,
    Multinomial,
    NegativeBinomial,
    OneHotCategorical,
    OneHotCategoricalStraightThrough,
    Poisson,
)
from .distribution import Distribution, ExponentialFamily
from .gamma import Beta, Chi2, Dirichlet, FisherSnedecor, Gamma
from .kl import kl_divergence, register_kl
from .lkj_cholesky import LKJCholesky
from .low_rank import LowRankMultivariateNormal
from .mixture import MixtureSameFamily
from .multivariate_normal import Independent, MultivariateNormal
from .normal import Cauchy, Exponential, GeneralizedPareto, Gumbel, Laplace, Normal, StudentT, Uniform
from .relaxed import (  # noqa: F401  (the first two: attributes, not in torch's __all__)
    ExpRelaxedCategorical,
    LogitRelaxedBernoulli,
    RelaxedBernoulli,
    RelaxedOneHotCategorical,
)
from .transformed_distribution import (
    HalfCauchy,
    HalfNormal,
    InverseGamma,
    Kumaraswamy,
    LogisticNormal,
    LogNormal,
    Pareto,
    TransformedDistribution,
    Weibull,
)
from .transforms import (
    AbsTransform,
    AffineTransform,
    ComposeTransform,
    CumulativeDistributionTransform,
    ExpTransform,
    IndependentTransform,
    LowerCholeskyTransform,
    PositiveDefiniteTransform,
    PowerTransform,
    ReshapeTransform,
    SigmoidTransform,
    SoftmaxTransform,
    SoftplusTransform,
    StickBreakingTransform,
    TanhTransform,
    Transform,
    identity_transform,
)
from .transforms_blocks import CatTransform, CorrCholeskyTransform, StackTransform
from .von_mises import VonMises
from .wishart import Wishart

# (as torch's: not its submodules constraints and transforms, nor the relaxed families' Exp/Logit
# bases, which torch exports from relaxed_categorical and relaxed_bernoulli only)
__all__ = [
    "AbsTransform",
    "AffineTransform",
    "Bernoulli",
    "Beta",
    "Binomial",
    "CatTransform",
    "Categorical",
    "Cauchy",
    "Chi2",
    "ComposeTransform",
    "ContinuousBernoulli",
    "CorrCholeskyTransform",
    "CumulativeDistributionTransform",
    "Dirichlet",
    "Distribution",
    "ExpTransform",
    "Exponential",
    "ExponentialFamily",
    "FisherSnedecor",
    "Gamma",
    "GeneralizedPareto",
    "Geometric",
    "Gumbel",
    "HalfCauchy",
    "HalfNormal",
    "Independent",
    "IndependentTransform",
    "InverseGamma",
    "Kumaraswamy",
    "LKJCholesky",
    "Laplace",
    "LogNormal",
    "LogisticNormal",
    "LowRankMultivariateNormal",
    "LowerCholeskyTransform",
    "MixtureSameFamily",
    "Multinomial",
    "MultivariateNormal",
    "NegativeBinomial",
    "Normal",
    "OneHotCategorical",
    "OneHotCategoricalStraightThrough",
    "Pareto",
    "Poisson",
    "PositiveDefiniteTransform",
    "PowerTransform",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
    "ReshapeTransform",
    "SigmoidTransform",
    "SoftmaxTransform",
    "SoftplusTransform",
    "StackTransform",
    "StickBreakingTransform",
    "StudentT",
    "TanhTransform",
    "Transform",
    "TransformedDistribution",
    "Uniform",
    "VonMises",
    "Weibull",
    "Wishart",
    "biject_to",
    "identity_transform",
    "kl_divergence",
    "register_kl",
    "transform_to",
]


def _alias_torch_module_names():
    """torch keeps one family per module (torch.distributions.categorical, .bernoulli, ...), and
    scripts import from those paths; here the families are grouped, so each torch module name is
    registered as an alias of the module that holds its class."""
    from . import (
        discrete,
        distribution,
        gamma,
        low_rank,
        mixture,
        multivariate_normal,
        normal,
        relaxed,
        transformed_distribution,
    )

    where = {
        discrete: (
            "bernoulli",
            "binomial",
            "categorical",
            "geometric",
            "multinomial",
            "negative_binomial",
            "one_hot_categorical",
            "poisson",
        ),
        distribution: ("exp_family",),
        gamma: ("beta", "chi2", "dirichlet", "fishersnedecor"),
        low_rank: ("lowrank_multivariate_normal",),
        mixture: ("mixture_same_family",),
        multivariate_normal: ("independent",),
        normal: ("cauchy", "exponential", "generalized_pareto", "gumbel", "laplace", "studentT", "uniform"),
        transformed_distribution: (
            "half_cauchy",
            "half_normal",
            "inverse_gamma",
            "kumaraswamy",
            "log_normal",
            "logistic_normal",
            "pareto",
            "weibull",
        ),
        relaxed: ("relaxed_bernoulli", "relaxed_categorical"),
    }
    for module, names in where.items():
        for name in names:
            sys.modules.setdefault(f"{__name__}.{name}", module)
            globals().setdefault(name, module)  # torch.distributions.categorical.Categorical
    # each class names torch's module as its own (type(d) prints <class '...multinomial.Multinomial'>,
    # a pickle finds it there): the family's name, but for these
    homes = {
        "exp_family": ("ExponentialFamily",),
        "fishersnedecor": ("FisherSnedecor",),
        "lowrank_multivariate_normal": ("LowRankMultivariateNormal",),
        "one_hot_categorical": ("OneHotCategorical", "OneHotCategoricalStraightThrough"),
        "relaxed_bernoulli": ("RelaxedBernoulli", "LogitRelaxedBernoulli"),
        "relaxed_categorical": ("RelaxedOneHotCategorical", "ExpRelaxedCategorical"),
        "studentT": ("StudentT",),
        "transforms": ("CatTransform", "CorrCholeskyTransform", "StackTransform"),
    }
    named = {cls: name for name, classes in homes.items() for cls in classes}
    for module, names in where.items():
        for cls in vars(module).values():
            if isinstance(cls, type) and cls.__module__ == module.__name__:
                home = named.get(cls.__name__) or re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()
                if home in names or home in homes:
                    cls.__module__ = f"{__name__}.{home}"
    for cls in homes["transforms"]:
        globals()[cls].__module__ = f"{__name__}.transforms"


_alias_torch_module_names()


# pyneuro's own names here that torch.distributions does not have: the modules that group its
# families (torch's per-family module names are aliases of them), helpers and imports
_OWN_NAMES = {
    "discrete",
    "kl_cross",
    "low_rank",
    "mixture",
    "relaxed",
    "transforms_blocks",
    "ExpRelaxedCategorical",
    "LogitRelaxedBernoulli",
    "annotations",
    "re",
    "sys",
    "__dir__",
}


def __dir__():
    """dir(torch.distributions) as torch lists it (d2l.ai's "Documentation" section prints it)."""
    return sorted(n for n in globals() if n not in _OWN_NAMES and (n[:2] == "__" or n[0] != "_"))

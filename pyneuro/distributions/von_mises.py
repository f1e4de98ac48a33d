"""VonMises: the circular normal distribution of an angle, density exp(κ cos(x - loc)) / (2π I₀(κ)).

I₀ and I₁ (modified Bessel functions) are torch's polynomial approximations (Abramowitz &
Stegun 9.8.1-9.8.4) composed from Tensor ops, so log_prob is differentiable in loc and κ.
Draws use Best & Fisher's rejection sampler (1979), run in float64 on the host from pyneuro's
generator; they lie in [-π, π). There is no rsample, as in torch.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.grad_mode import no_grad
from ..functions import where
from ..random import _rng
from . import constraints
from .distribution import Distribution
from .utils import _host_tensor, broadcast_all

__all__ = ["VonMises"]

_I0_COEF_SMALL = [1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813]
_I0_COEF_LARGE = [0.39894228, 0.01328592, 0.00225319, -0.00157565, 0.00916281, -0.02057706, 0.02635537,
                  -0.01647633, 0.00392377]  # fmt: skip
_I1_COEF_SMALL = [0.5, 0.87890594, 0.51498869, 0.15084934, 0.02658733, 0.00301532, 0.00032411]
_I1_COEF_LARGE = [0.39894228, -0.03988024, -0.00362018, 0.00163801, -0.01031555, 0.02282967, -0.02895312,
                  0.01787654, -0.00420059]  # fmt: skip


def _eval_poly(y, coef):
    result = coef[-1]
    for c in reversed(coef[:-1]):
        result = c + y * result
    return result


def _log_modified_bessel_fn(x, order=0):
    """log I_order(x) for x > 0, order 0 or 1: a series in (x / 3.75)² below 3.75, an asymptotic one above."""
    if order not in (0, 1):
        raise AssertionError(f"order must be 0 or 1, got {order}")
    # each branch sees only its own range of x, so the one not chosen stays finite (and so do gradients)
    xs, xl = x.clamp(max=3.75), x.clamp(min=3.75)
    small = _eval_poly((xs / 3.75) ** 2, _I1_COEF_SMALL if order else _I0_COEF_SMALL)
    if order == 1:
        small = xs.abs() * small
    small = small.log()
    large = xl - 0.5 * xl.log() + _eval_poly(3.75 / xl, _I1_COEF_LARGE if order else _I0_COEF_LARGE).log()
    return where(x < 3.75, small, large)


def _rejection_sample(loc, kappa, proposal_r, shape, rng):
    """Best & Fisher's sampler in float64 NumPy: redraw until every entry is accepted. As torch's,
    each round draws for every entry and a later acceptance replaces an earlier one (so a seed
    gives torch's numbers)."""
    x = np.zeros(shape)
    done = np.zeros(shape, dtype=bool)
    while not done.all():
        u1, u2, u3 = rng.random((3,) + shape)
        z = np.cos(math.pi * u1)
        f = (1 + proposal_r * z) / (proposal_r + z)
        c = kappa * (proposal_r - f)
        with np.errstate(divide="ignore", invalid="ignore"):
            accept = (c * (2 - c) - u2 > 0) | (np.log(c / u2) + 1 - c >= 0)
        x = np.where(accept, np.sign(u3 - 0.5) * np.arccos(np.clip(f, -1, 1)), x)
        done |= accept
    return (x + math.pi + loc) % (2 * math.pi) - math.pi


class VonMises(Distribution):
    """VonMises(loc, concentration κ): an angle concentrated around loc (κ = 0 is uniform on the circle)."""

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, (), validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(VonMises, _instance)
        return self._expand_params(new, batch_shape, ("loc", "concentration"))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.concentration * (value - self.loc).cos()
        return log_prob - math.log(2 * math.pi) - _log_modified_bessel_fn(self.concentration, order=0)

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        with no_grad():
            loc = np.broadcast_to(self.loc.detach().cpu().numpy().astype(np.float64), shape)
            kappa = np.broadcast_to(self.concentration.detach().cpu().numpy().astype(np.float64), shape)
            tau = 1 + np.sqrt(1 + 4 * kappa**2)
            rho = (tau - np.sqrt(2 * tau)) / (2 * kappa)
            with np.errstate(divide="ignore", invalid="ignore"):
                proposal_r = np.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho**2) / (2 * rho))
            return _host_tensor(_rejection_sample(loc, kappa, proposal_r, shape, _rng(None)), self.loc)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        """The circular variance 1 - I₁(κ) / I₀(κ)."""
        k = self.concentration
        return 1 - (_log_modified_bessel_fn(k, order=1) - _log_modified_bessel_fn(k, order=0)).exp()

"""Distribution: the base class of every distribution (torch.distributions.Distribution).

A distribution has a `batch_shape` (independent distributions side by side, from the
parameters' broadcast shape) and an `event_shape` (the shape of one draw: () for a scalar
variable, (k,) for a k-dimensional one). `sample(sample_shape)` returns a tensor of shape
sample_shape + batch_shape + event_shape; `log_prob(value)` reduces the event dims and
returns batch-shaped scores.

`rsample` is the reparameterised draw: loc + scale * eps with eps drawn without gradient,
so the gradient of a loss on the sample reaches the parameters (a VAE's encoder).
`sample` is rsample under no_grad (or a non-differentiable draw where there is no rsample).

Validation (on by default, as in torch): __init__ checks every parameter against its
`arg_constraints` and raises ValueError; log_prob/cdf check the value's shape and support.
"""

from __future__ import annotations

import functools
import numbers
import warnings

from .._memory import numpy_memory_error
from .._shapes import Size
from .._tensor_base import TensorBase
from ..autograd import grad
from ..autograd.grad_mode import no_grad
from . import constraints
from .utils import lazy_property

__all__ = ["Distribution", "ExponentialFamily"]


def _as_size(shape) -> Size:
    """A sample shape: a tuple, list or Size (a bare int is torch's TypeError: sample((3,)))."""
    if isinstance(shape, numbers.Integral):
        raise TypeError(f"'{type(shape).__name__}' object is not iterable")
    return Size(tuple(int(s) for s in shape))


def _allocating(method):
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except MemoryError as exc:
            raise numpy_memory_error(exc, f"{type(self).__name__}.{method.__name__}") from None

    return run


class Distribution:
    """The base: shapes, validation, sample via rsample, stddev from variance, torch's repr."""

    has_rsample = False
    has_enumerate_support = False
    _validate_args = True  # torch's default (__debug__)
    arg_constraints: dict = {}

    def __init_subclass__(cls, **kwargs):
        """Each class's sample and rsample raise torch's RuntimeError for a draw too large for memory
        (Normal(0., 1.).sample((2**40,))), not NumPy's MemoryError."""
        super().__init_subclass__(**kwargs)
        for name in ("sample", "rsample"):
            if name in cls.__dict__:
                setattr(cls, name, _allocating(cls.__dict__[name]))

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn argument validation on or off for every distribution created from now on."""
        if value not in (True, False):
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = _as_size(batch_shape)
        self._event_shape = _as_size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            for param, constraint in self.arg_constraints.items():
                if constraints.is_dependent(constraint):
                    continue
                if param not in self.__dict__ and isinstance(getattr(type(self), param, None), lazy_property):
                    continue  # skip arguments not given (probs when built from logits)
                value = getattr(self, param)
                if not bool(constraint.check(value).all()):
                    raise ValueError(
                        f"Expected parameter {param} ({type(value).__name__} of shape {tuple(value.shape)}) "
                        f"of distribution {self!r} to satisfy the constraint {constraint!r}, "
                        f"but found invalid values:\n{value}"
                    )

    # ------------------------------------------------------------------ shapes
    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    def _extended_shape(self, sample_shape=()) -> Size:
        return Size(tuple(_as_size(sample_shape)) + tuple(self._batch_shape) + tuple(self._event_shape))

    def expand(self, batch_shape, _instance=None):
        raise NotImplementedError

    def _get_checked_instance(self, cls, _instance=None):
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f"Subclass {type(self).__name__} of {cls.__name__} that defines a custom __init__ method "
                "must also define a custom .expand() method."
            )
        return type(self).__new__(type(self)) if _instance is None else _instance

    def _expand_params(self, new, batch_shape, names):
        """expand(): the named parameters expanded to batch_shape (+ event dims), set on `new`."""
        batch_shape = _as_size(batch_shape)
        for name in names:
            if name in self.__dict__:
                value = getattr(self, name)
                extra = tuple(value.shape[len(self.batch_shape) :])
                setattr(new, name, value.expand(tuple(batch_shape) + extra))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    # ------------------------------------------------------------------ what subclasses define
    @property
    def support(self):
        raise NotImplementedError

    @property
    def mean(self):
        raise NotImplementedError

    @property
    def mode(self):
        raise NotImplementedError(f"{type(self)} does not implement mode")

    @property
    def variance(self):
        raise NotImplementedError

    @property
    def stddev(self):
        return self.variance.sqrt()

    def sample(self, sample_shape=()):
        """A draw of shape sample_shape + batch_shape + event_shape, without gradient."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()):
        raise NotImplementedError

    def sample_n(self, n: int):
        return self.sample(Size((n,)))

    def log_prob(self, value):
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError

    def icdf(self, value):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def enumerate_support(self, expand=True):
        raise NotImplementedError

    def perplexity(self):
        return self.entropy().exp()

    # ------------------------------------------------------------------ validation
    def _validate_sample(self, value) -> None:
        """torch's checks of a value given to log_prob/cdf: a Tensor, shapes that broadcast, in the support."""
        if not isinstance(value, TensorBase):
            raise ValueError("The value argument to log_prob must be a Tensor")
        shape = tuple(value.shape)
        event_start = len(shape) - len(self._event_shape)
        if tuple(shape[event_start:]) != tuple(self._event_shape):
            raise ValueError(
                f"The right-most size of value must match event_shape: {value.shape} vs {self._event_shape}."
            )
        expected = tuple(self._batch_shape) + tuple(self._event_shape)
        for i, j in zip(reversed(shape), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(
                    f"Value is not broadcastable with batch_shape+event_shape: {Size(shape)} vs {Size(expected)}."
                )
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(
                f"{type(self)} does not define `support` to enable sample validation. Please initialize the "
                "distribution with `validate_args=False` to turn off validation.",
                stacklevel=2,
            )
            return
        if not bool(support.check(value).all()):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape {shape}) "
                f"to be within the support ({support!r}) of the distribution {self!r}, "
                f"but found invalid values:\n{value}"
            )

    def __repr__(self) -> str:
        names = [k for k in self.arg_constraints if k in self.__dict__]
        parts = []
        for p in names:
            v = self.__dict__[p]
            parts.append(f"{p}: {v if v.numel() == 1 else v.size()}")
        return f"{type(self).__name__}({', '.join(parts)})"


class ExponentialFamily(Distribution):
    """The base of the exponential families p(x; θ) = exp(<t(x), θ> - F(θ) + k(x)) (torch.distributions.ExponentialFamily).

    A subclass gives its natural parameters θ (`_natural_params`), the log-normaliser F
    (`_log_normalizer`) and E[k(x)] (`_mean_carrier_measure`); the entropy then follows as
    F(θ) - <θ, ∇F(θ)> - E[k(x)], with ∇F from autograd. The families here (Normal, Bernoulli,
    Gamma, ...) write their entropies in closed form instead, so this one serves user subclasses;
    pyneuro runs no double backward, so this entropy carries no gradient to θ.
    """

    @property
    def _natural_params(self):
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError

    def entropy(self):
        result = -self._mean_carrier_measure
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        lg_normal = self._log_normalizer(*nparams)
        gradients = grad(lg_normal.sum(), nparams)
        result = result + lg_normal.detach()
        for theta, g in zip(nparams, gradients):
            result = result - (theta.detach() * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result

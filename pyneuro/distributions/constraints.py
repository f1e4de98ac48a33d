"""Constraints: the sets a distribution's parameters and samples must lie in (torch.distributions.constraints).

A constraint answers `check(value)`: a bool Tensor, True where value is valid, with the
constraint's `event_dim` rightmost dimensions reduced away (a simplex is checked per row).
Distributions declare `arg_constraints` (one per parameter, checked in __init__ when
validate_args is on) and a `support` (checked by log_prob, cdf); a failing check raises
ValueError with torch's message. Their reprs are torch's: Real(), GreaterThan(lower_bound=0.0).
"""

from __future__ import annotations

import numpy as np

from .._tensor_base import _wrap

__all__ = [
    "symmetric",
    "square",
    "positive_semidefinite",
    "lower_triangular",
    "Constraint",
    "boolean",
    "cat",
    "corr_cholesky",
    "dependent",
    "dependent_property",
    "greater_than",
    "greater_than_eq",
    "half_open_interval",
    "independent",
    "integer_interval",
    "interval",
    "is_dependent",
    "less_than",
    "lower_cholesky",
    "multinomial",
    "nonnegative",
    "nonnegative_integer",
    "one_hot",
    "positive",
    "positive_definite",
    "positive_integer",
    "real",
    "real_vector",
    "simplex",
    "stack",
    "unit_interval",
]


class Constraint:
    """The base: a set of valid values; `is_discrete` and `event_dim` as in torch."""

    is_discrete = False
    event_dim = 0

    def check(self, value):
        raise NotImplementedError

    def _args(self):
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__.lstrip('_')}({self._args()})"


class _Dependent(Constraint):
    """A constraint that depends on other parameters (Uniform's low < high): never checked here."""

    def __init__(self, *, is_discrete=False, event_dim=0):
        self.is_discrete = is_discrete
        self.event_dim = event_dim

    def __call__(self, *, is_discrete=False, event_dim=0):
        return _Dependent(is_discrete=is_discrete, event_dim=event_dim)

    def check(self, value):
        raise ValueError("Cannot determine validity of dependent constraint")


def is_dependent(constraint) -> bool:
    return isinstance(constraint, _Dependent)


class dependent_property(property):
    """A property that is also a dependent constraint (a support computed from the parameters)."""

    def __init__(self, fn=None, *, is_discrete=False, event_dim=0):
        super().__init__(fn)
        self.is_discrete = is_discrete
        self.event_dim = event_dim


class _IndependentConstraint(Constraint):
    """A base constraint checked per event: its `reinterpreted_batch_ndims` rightmost dims must all hold."""

    def __init__(self, base, reinterpreted_batch_ndims):
        self.base_constraint = base
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    @property
    def is_discrete(self):
        return self.base_constraint.is_discrete

    @property
    def event_dim(self):
        return self.base_constraint.event_dim + self.reinterpreted_batch_ndims

    def check(self, value):
        result = self.base_constraint.check(value)
        for _ in range(self.reinterpreted_batch_ndims):
            result = result.all(-1)
        return result

    def __repr__(self) -> str:
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        return (value == 0) | (value == 1)


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def check(self, value):
        is_boolean = ((value == 0) | (value == 1)).all(-1)
        return is_boolean & (value.sum(-1) == 1)


class _IntegerInterval(Constraint):
    is_discrete = True

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound

    def check(self, value):
        return (value % 1 == 0) & (self.lower_bound <= value) & (value <= self.upper_bound)

    def _args(self):
        return f"lower_bound={self.lower_bound}, upper_bound={self.upper_bound}"


class _IntegerGreaterThan(Constraint):
    is_discrete = True

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return (value % 1 == 0) & (value >= self.lower_bound)

    def _args(self):
        return f"lower_bound={self.lower_bound}"


class _Real(Constraint):
    def check(self, value):
        return value == value  # False only for NaN


class _GreaterThan(Constraint):
    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return self.lower_bound < value

    def _args(self):
        return f"lower_bound={self.lower_bound}"


class _GreaterThanEq(_GreaterThan):
    def check(self, value):
        return self.lower_bound <= value


class _LessThan(Constraint):
    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, value):
        return value < self.upper_bound

    def _args(self):
        return f"upper_bound={self.upper_bound}"


class _Interval(Constraint):
    def __init__(self, lower_bound, upper_bound):
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound

    def check(self, value):
        return (self.lower_bound <= value) & (value <= self.upper_bound)

    def _args(self):
        return f"lower_bound={self.lower_bound}, upper_bound={self.upper_bound}"


class _HalfOpenInterval(_Interval):
    def check(self, value):
        return (self.lower_bound <= value) & (value < self.upper_bound)


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value):
        return (value >= 0).all(-1) & ((value.sum(-1) - 1).abs() < 1e-6)


class _Multinomial(Constraint):
    """Non-negative counts summing to at most upper_bound (torch checks this weaker condition too)."""

    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, value):
        return (value >= 0).all(-1) & (value.sum(-1) <= self.upper_bound)


class _LowerCholesky(Constraint):
    event_dim = 2

    def check(self, value):
        lower = (value.tril() == value).flatten(-2).all(-1)
        n = value.shape[-1]
        diag = value.flatten(-2)[..., :: n + 1] if n else value.flatten(-2)
        return lower & (diag > 0).all(-1)


class _LowerTriangular(Constraint):
    """Lower-triangular square matrices."""

    event_dim = 2

    def check(self, value):
        return (value.tril() == value).flatten(-2).all(-1)


class _Square(Constraint):
    """Square matrices (a property of the shape: every batch entry alike)."""

    event_dim = 2

    def check(self, value):
        square = value.shape[-2] == value.shape[-1]
        return _wrap(np.full(tuple(value.shape[:-2]), square), "cpu").to(value.device)


class _Symmetric(_Square):
    """Symmetric square matrices (to 1e-6, as torch's isclose check)."""

    def check(self, value):
        square = super().check(value)
        if not bool(square.all()):
            return square
        return value.isclose(value.mT, atol=1e-6).all(-1).all(-1)


class _PositiveSemidefinite(_Symmetric):
    """Symmetric matrices whose eigenvalues are all >= 0."""

    def check(self, value):
        symmetric = super().check(value)
        if not bool(symmetric.all()):
            return symmetric
        a = np.asarray(value.detach().cpu().numpy(), dtype=np.float64)
        return _wrap(np.linalg.eigvalsh(a)[..., 0] >= 0, "cpu").to(value.device)


class _PositiveDefinite(Constraint):
    event_dim = 2

    def check(self, value):
        # a host check (no gradient): symmetric, and every eigenvalue positive
        a = np.asarray(value.detach().cpu().numpy(), dtype=np.float64)
        sym = np.isclose(a, np.swapaxes(a, -1, -2), atol=1e-6).all(axis=(-1, -2))
        pos = np.ones(a.shape[:-2], dtype=bool)
        if sym.any():
            pos = np.linalg.eigvalsh(np.where(sym[..., None, None], a, np.eye(a.shape[-1])))[..., 0] > 0
        return _wrap(np.asarray(sym & pos), "cpu").to(value.device)


class _CorrCholesky(Constraint):
    """Cholesky factors of correlation matrices: lower Cholesky factors whose rows have unit length."""

    event_dim = 2

    def check(self, value):
        tol = float(np.finfo(np.dtype(str(value.dtype).rsplit(".", 1)[-1])).eps) * value.shape[-1] * 10
        row_norm = value.detach().pow(2).sum(-1).sqrt()
        return _LowerCholesky().check(value) & ((row_norm - 1.0).abs() <= tol).all(-1)


class _Cat(Constraint):
    """Constraints cseq applied to consecutive slices (of the given lengths) along dim, as torch.cat joins them."""

    def __init__(self, cseq, dim=0, lengths=None):
        self.cseq = list(cseq)
        self.lengths = list(lengths) if lengths is not None else [1] * len(self.cseq)
        if len(self.lengths) != len(self.cseq):
            raise AssertionError(f"lengths ({len(self.lengths)}) must match cseq ({len(self.cseq)})")
        self.dim = dim

    @property
    def is_discrete(self):
        return any(c.is_discrete for c in self.cseq)

    @property
    def event_dim(self):
        return max(c.event_dim for c in self.cseq)

    def check(self, value):
        from ..functions import cat

        checks, start = [], 0
        for constraint, length in zip(self.cseq, self.lengths):
            checks.append(constraint.check(value.narrow(self.dim, start, length)))
            start += length
        return cat(checks, self.dim)


class _Stack(Constraint):
    """Constraint cseq[i] applied to value.select(dim, i), as torch.stack joins them."""

    def __init__(self, cseq, dim=0):
        self.cseq = list(cseq)
        self.dim = dim

    @property
    def is_discrete(self):
        return any(c.is_discrete for c in self.cseq)

    @property
    def event_dim(self):
        dim = max(c.event_dim for c in self.cseq)
        return dim + 1 if self.dim + dim < 0 else dim

    def check(self, value):
        from ..functions import stack

        parts = [value.select(self.dim, i) for i in range(value.shape[self.dim])]
        return stack([c.check(v) for v, c in zip(parts, self.cseq)], self.dim)


dependent = _Dependent()
boolean = _Boolean()
one_hot = _OneHot()
real = _Real()
real_vector = _IndependentConstraint(real, 1)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
unit_interval = _Interval(0.0, 1.0)
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
simplex = _Simplex()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
lower_triangular = _LowerTriangular()
square = _Square()
symmetric = _Symmetric()
positive_semidefinite = _PositiveSemidefinite()
independent = _IndependentConstraint
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
interval = _Interval
half_open_interval = _HalfOpenInterval
integer_interval = _IntegerInterval
multinomial = _Multinomial
corr_cholesky = _CorrCholesky()
cat = _Cat
stack = _Stack

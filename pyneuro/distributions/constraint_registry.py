"""biject_to and transform_to: from a constraint to a Transform that maps the real numbers onto it
(torch.distributions.constraint_registry).

They let an optimiser work on unconstrained values: keep `u` free and use
`transform_to(constraints.positive)(u)` (= exp(u)) as a positive parameter. biject_to gives a
bijection (its log-Jacobian is defined), transform_to any map onto the set (it may be cheaper):

    real                        identity
    positive, nonnegative       exp
    greater_than(a)             a + exp(x)           less_than(b)   b - exp(x)
    interval(a, b)              a + (b - a) sigmoid(x)  (sigmoid alone for [0, 1])
    simplex                     stick breaking (biject_to), softmax (transform_to)
    lower_cholesky              LowerCholeskyTransform (transform_to)
    positive_definite           PositiveDefiniteTransform (transform_to)
    corr_cholesky               CorrCholeskyTransform
    cat, stack                  CatTransform, StackTransform of the parts' transforms
    independent(c, n)           the transform of c, its log-Jacobian summed over n dims
"""

from __future__ import annotations

import numbers

from . import constraints
from .transforms import (
    AffineTransform,
    ComposeTransform,
    ExpTransform,
    IndependentTransform,
    LowerCholeskyTransform,
    PositiveDefiniteTransform,
    SigmoidTransform,
    SoftmaxTransform,
    StickBreakingTransform,
    identity_transform,
)
from .transforms_blocks import CatTransform, CorrCholeskyTransform, StackTransform

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]


class ConstraintRegistry:
    """A table from constraint classes (or singletons) to factories factory(constraint) -> Transform."""

    def __init__(self):
        self._registry = {}

    def register(self, constraint, factory=None):
        if factory is None:  # used as a decorator
            return lambda factory: self.register(constraint, factory)
        if isinstance(constraint, constraints.Constraint):
            constraint = type(constraint)
        if not (isinstance(constraint, type) and issubclass(constraint, constraints.Constraint)):
            raise TypeError(
                f"Expected constraint to be either a Constraint subclass or instance, but got {constraint}"
            )
        self._registry[constraint] = factory
        return factory

    def __call__(self, constraint):
        try:
            factory = self._registry[type(constraint)]
        except KeyError:
            raise NotImplementedError(f"Cannot transform {type(constraint).__name__} constraints") from None
        return factory(constraint)


biject_to = ConstraintRegistry()
transform_to = ConstraintRegistry()


def _both(constraint_type):
    """Register one factory with both registries."""

    def decorator(factory):
        biject_to.register(constraint_type, factory)
        transform_to.register(constraint_type, factory)
        return factory

    return decorator


@_both(constraints._Real)
def _transform_to_real(constraint):
    return identity_transform


@biject_to.register(constraints._IndependentConstraint)
def _biject_to_independent(constraint):
    base = biject_to(constraint.base_constraint)
    return IndependentTransform(base, constraint.reinterpreted_batch_ndims)


@transform_to.register(constraints._IndependentConstraint)
def _transform_to_independent(constraint):
    base = transform_to(constraint.base_constraint)
    return IndependentTransform(base, constraint.reinterpreted_batch_ndims)


@_both(constraints._GreaterThan)
@_both(constraints._GreaterThanEq)
def _transform_to_greater_than(constraint):
    if isinstance(constraint.lower_bound, numbers.Number) and constraint.lower_bound == 0:
        return ExpTransform()
    return ComposeTransform([ExpTransform(), AffineTransform(constraint.lower_bound, 1)])


@_both(constraints._LessThan)
def _transform_to_less_than(constraint):
    return ComposeTransform([ExpTransform(), AffineTransform(constraint.upper_bound, -1)])


@_both(constraints._Interval)
@_both(constraints._HalfOpenInterval)
def _transform_to_interval(constraint):
    lower, upper = constraint.lower_bound, constraint.upper_bound
    if isinstance(lower, numbers.Number) and isinstance(upper, numbers.Number) and lower == 0 and upper == 1:
        return SigmoidTransform()
    return ComposeTransform([SigmoidTransform(), AffineTransform(lower, upper - lower)])


@biject_to.register(constraints._Simplex)
def _biject_to_simplex(constraint):
    return StickBreakingTransform()


@transform_to.register(constraints._Simplex)
def _transform_to_simplex(constraint):
    return SoftmaxTransform()


@transform_to.register(constraints._LowerCholesky)
def _transform_to_lower_cholesky(constraint):
    return LowerCholeskyTransform()


@_both(constraints._CorrCholesky)
def _transform_to_corr_cholesky(constraint):
    return CorrCholeskyTransform()


@biject_to.register(constraints._Cat)
def _biject_to_cat(constraint):
    return CatTransform([biject_to(c) for c in constraint.cseq], constraint.dim, constraint.lengths)


@transform_to.register(constraints._Cat)
def _transform_to_cat(constraint):
    return CatTransform([transform_to(c) for c in constraint.cseq], constraint.dim, constraint.lengths)


@biject_to.register(constraints._Stack)
def _biject_to_stack(constraint):
    return StackTransform([biject_to(c) for c in constraint.cseq], constraint.dim)


@transform_to.register(constraints._Stack)
def _transform_to_stack(constraint):
    return StackTransform([transform_to(c) for c in constraint.cseq], constraint.dim)


@transform_to.register(constraints._PositiveDefinite)
def _transform_to_positive_definite(constraint):
    return PositiveDefiniteTransform()

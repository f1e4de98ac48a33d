"""Exception types that satisfy both DESIGN.md and PyTorch.

DESIGN.md promises ValueError for bad shapes and TypeError for bad dtypes; PyTorch raises
RuntimeError for both. These classes derive from both, so code written for either
(`except ValueError:` or torch-style `except RuntimeError:`) catches them:

    >>> pn.ones(3) + pn.ones(4)
    ShapeError: add: operands could not be broadcast together with shapes (3,) (4,)
    >>> isinstance(err, ValueError), isinstance(err, RuntimeError)
    (True, True)
"""
from __future__ import annotations


class ShapeError(ValueError, RuntimeError):
    """A shape (or value) that does not fit the operation: a ValueError and a RuntimeError."""


class DTypeError(TypeError, RuntimeError):
    """A dtype that the operation cannot take: a TypeError and a RuntimeError."""

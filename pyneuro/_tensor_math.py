"""Tensor's remaining elementwise math: trigonometric and hyperbolic functions, erf, logical
and bitwise ops, the comparison spellings (eq, greater, ...), and the in-place `_` forms.

A mixin of pyneuro.tensor.Tensor; the torch-level functions (pn.tan, pn.logical_and, ...)
are in functions_math.py.
"""

from __future__ import annotations


class MathMethods:
    __slots__ = ()

"""Tensor's remaining reductions, statistics and small linear algebra: count_nonzero, nansum,
quantile, aminmax, kthvalue, trace, addmm, cross, ...

A mixin of pyneuro.tensor.Tensor; the torch-level functions (pn.amax, pn.quantile, ...) are in
functions_reduce.py.
"""

from __future__ import annotations


class ReduceMethods:
    __slots__ = ()

"""Tensor's remaining shape, joining and indexing methods: tensor_split, take, diagonal,
index_add, scatter_reduce, unfold, ...

A mixin of pyneuro.tensor.Tensor; the torch-level functions (pn.hstack, pn.tensor_split, ...)
are in functions_index.py.
"""

from __future__ import annotations


class IndexMethods:
    __slots__ = ()

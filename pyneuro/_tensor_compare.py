"""CompareMethods: the methods of Tensor that compare, test and order elements without recording a
graph (==, <, &, ~, all, any, isnan, argsort), and `_other`, which readies the operand of every
binary op: the same device, torch's promoted dtypes, a Python number or a NumPy array read as
torch reads it. A mixin of Tensor (tensor.py), below every op that records a graph.

Arrows: imports _tensor_base (the slots, `_wrap`, `_promote`) and what it imports; tensor.py
imports this module.
"""

from __future__ import annotations

import operator as _op

import numpy as np

from ._dtype import _PY_FLOAT, _PY_INT, _SCALARS, default_float, int64, uint8, wrap_int
from ._errors import operand_type_error
from ._shapes import c_order, normalize_dims, one_dim
from ._tensor_base import TensorBase, _backend, _broadcast_check, _host_array, _promote, _wrap

_eq, _ne, _lt, _le, _gt, _ge = _op.eq, _op.ne, _op.lt, _op.le, _op.gt, _op.ge
_and, _or, _xor = _op.and_, _op.or_, _op.xor


class CompareMethods:
    """Comparisons, truth tests and argsort of Tensor (a mixin: it has no state of its own)."""

    __slots__ = ()
    __hash__ = object.__hash__  # (defining __eq__ would make it None: tensors hash by identity, as torch's)

    # ------------------------------------------------------------------ operands of binary ops
    def _other(self, other):
        """(self, other) ready for a binary op: same device, promoted dtypes (PyTorch rules)."""
        a = self
        if isinstance(other, TensorBase):
            da, db = a._data.dtype, other._data.dtype
            if da is not db and da != db:  # builtin dtypes are singletons: `is` settles most cases
                a, other = _promote(a, other)
            return a, other
        if isinstance(other, _SCALARS) or isinstance(other, (np.floating, np.integer, np.bool_)):
            if isinstance(other, (_PY_FLOAT, np.floating)) and a._data.dtype.kind != "f":
                a = a._cast(default_float())
            if isinstance(other, (np.floating, np.integer, np.bool_)):
                other = (
                    other.item() if other.dtype.itemsize <= 8 else float(other)
                )  # (longdouble's item() is itself)
            if type(other) is _PY_INT and a._data.dtype.kind == "b":
                a = a._cast(int64)  # an int is the higher category: bool_tensor ** 2 is int64, as torch
            if a._data.dtype.kind in "iu" and type(other) is _PY_INT:
                other = wrap_int(other, a._data.dtype)  # int8_tensor + 300 wraps, as torch's C cast
            return a, other
        if getattr(type(other), "is_sparse", False) is True:  # dense op sparse: on its dense form
            return self._other(other.to_dense())
        if not isinstance(other, np.ndarray):  # as torch: a list, tuple, Size or (values, indices) pair
            raise operand_type_error(other)
        other = _wrap(_backend(self.device).asarray(_host_array(other)), self.device)
        if a._data.dtype != other._data.dtype:
            a, other = _promote(a, other)
        return a, other

    # ------------------------------------------------------------------ comparisons (no grad)
    def _compare(self, other, op):
        if not isinstance(other, (TensorBase, _SCALARS, np.generic, np.ndarray)):
            # as torch: t == None, t == "auto", t == [1, 2] are False (Python's identity), t < None TypeError
            return NotImplemented
        a, b = self._other(other)
        if isinstance(b, TensorBase) and a._data.shape != b._data.shape:
            _broadcast_check(a, b, op.__name__.strip("_"))
        return _wrap(op(a._data, b._data if isinstance(b, TensorBase) else b), self.device)

    def __eq__(self, other):
        return self._compare(other, _eq)

    def __ne__(self, other):
        return self._compare(other, _ne)

    def __lt__(self, other):
        return self._compare(other, _lt)

    def __le__(self, other):
        return self._compare(other, _le)

    def __gt__(self, other):
        return self._compare(other, _gt)

    def __ge__(self, other):
        return self._compare(other, _ge)

    def __and__(self, other):
        return self._compare(other, _and)

    def __or__(self, other):
        return self._compare(other, _or)

    def __xor__(self, other):
        return self._compare(other, _xor)

    def __invert__(self):
        return _wrap(~self._data, self.device)

    def logical_not(self):
        return _wrap(self._data == 0, self.device)

    def all(self, dim=None, keepdim=False):
        return self._truth(self._data.all(axis=self._axes(dim), keepdims=keepdim))

    def any(self, dim=None, keepdim=False):
        return self._truth(self._data.any(axis=self._axes(dim), keepdims=keepdim))

    def _axes(self, dim):
        """dim (None, an int, a tuple or list) as NumPy's axis, checked as torch checks it (a 0-d
        tensor takes dim 0 and -1)."""
        if dim is None:
            return None
        axes = normalize_dims(dim, self.ndim)
        return axes if self.ndim else None

    def _truth(self, out):
        """all/any's answer: bool, but uint8 for a uint8 tensor (torch's old byte masks)."""
        out = c_order(_backend(self.device).xp.asarray(out))
        return _wrap(out.astype(uint8) if self._data.dtype == uint8 else out, self.device)

    def isnan(self):
        return _wrap(_backend(self.device).xp.isnan(self._data), self.device)

    def isfinite(self):
        return _wrap(_backend(self.device).xp.isfinite(self._data), self.device)

    def isinf(self):
        return _wrap(_backend(self.device).xp.isinf(self._data), self.device)

    def argsort(self, dim=-1, descending=False, stable=False):
        """The stable argsort along dim (int64, no gradient): Tensor.argsort's answer for stable=True
        and where the C++ tie-exact kernel cannot serve (pyneuro/_sorting.py). Descending sorts the
        reversed row ascending and maps back, so ties keep their order, NaN comes first (torch's
        "largest") and unsigned and bool tensors need no negation."""
        data = self._data
        xp = _backend(self.device).xp
        d = one_dim(dim, data.ndim)
        if data.ndim == 0:
            return _wrap(xp.zeros((), dtype=np.int64), self.device)
        if not descending:
            return _wrap(data.argsort(axis=d, kind="stable").astype(np.int64), self.device)
        reversed_order = xp.flip(data, axis=d).argsort(axis=d, kind="stable")
        return _wrap((data.shape[d] - 1 - xp.flip(reversed_order, axis=d)).astype(np.int64), self.device)

"""The torch spellings of the Tensor methods that course code uses (`import pyneuro as torch`).

`CompatMethods` is a mixin of Tensor (tensor.py): the legacy type strings (`t.type()`) and the
methods that are one call into a free function (`t.roll`, `t.bincount`). `accept_numpy_keywords`
is the class decorator that lets the methods taking a dim also take NumPy's `axis=`/`keepdims=`
(the rule itself is `_shapes.numpy_keywords`, shared with the free functions).

Arrows: imports _dtype, _shapes, _tensor_base, functions and functions_scan; tensor.py imports this module.
"""

from __future__ import annotations

from . import functions_scan as _scan
from ._dtype import _dtype
from ._shapes import numpy_keywords
from ._tensor_base import TensorBase
from .functions import bincount, roll

# t.type(): torch's legacy tensor type names. They stay "torch.*" under pyneuro, since they
# are strings course code compares (`x.type() == 'torch.FloatTensor'`), not module paths.
_TYPE_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
}
_FROM_TYPE_NAME = {v: k for k, v in _TYPE_NAMES.items()}

# The Tensor methods that take a dim and so also take axis= / keepdims= (as torch does).
DIM_METHODS = (
    "sum",
    "mean",
    "std",
    "var",
    "max",
    "min",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "all",
    "any",
    "logsumexp",
    "softmax",
    "log_softmax",
    "cumsum",
    "norm",
    "sort",
    "argsort",
    "topk",
    "squeeze",
    "unsqueeze",
    "prod",
    "chunk",
    "split",
    "unbind",
    "gather",
    "index_select",
    "repeat_interleave",
    "cumprod",
    "logcumsumexp",
    "cummax",
    "cummin",
    "median",
    "nanmedian",
    "mode",
)


def accept_numpy_keywords(cls):
    """Class decorator: wrap cls's DIM_METHODS with `numpy_keywords` (once, at import)."""
    for name in DIM_METHODS:
        setattr(cls, name, numpy_keywords(getattr(cls, name)))
    return cls


class CompatMethods:
    """torch.Tensor methods whose body is elsewhere: legacy type strings, roll, bincount, and the
    scans and order statistics of functions_scan.py (cumprod, cummax, median, mode, ...)."""

    __slots__ = ()

    def type(self: TensorBase, dtype=None):
        """No argument: torch's type string ('torch.FloatTensor'); else a cast (a dtype or such a string)."""
        if dtype is None:
            where = "torch.cuda." if self.device == "cuda" else "torch."
            return where + _TYPE_NAMES.get(self._data.dtype.name, self._data.dtype.name)
        if isinstance(dtype, str) and dtype.rsplit(".", 1)[-1] in _FROM_TYPE_NAME:
            dtype = _FROM_TYPE_NAME[dtype.rsplit(".", 1)[-1]]
        return self._cast(_dtype(dtype))

    def roll(self, shifts, dims=None):
        return roll(self, shifts, dims)

    def bincount(self, weights=None, minlength=0):
        return bincount(self, weights, minlength)

    def ravel(self):
        return self.reshape(-1)

    def cumprod(self, dim, dtype=None):
        return _scan.cumprod(self, dim, dtype=dtype)

    def logcumsumexp(self, dim):
        return _scan.logcumsumexp(self, dim)

    def cummax(self, dim):
        return _scan.cummax(self, dim)

    def cummin(self, dim):
        return _scan.cummin(self, dim)

    def median(self, dim=None, keepdim=False):
        return _scan.median(self, dim, keepdim)

    def nanmedian(self, dim=None, keepdim=False):
        return _scan.nanmedian(self, dim, keepdim)

    def mode(self, dim=-1, keepdim=False):
        return _scan.mode(self, dim, keepdim)

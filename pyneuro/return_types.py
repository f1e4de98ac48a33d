"""pyneuro.return_types: the named tuples that ops returning several tensors give back, with
torch.return_types' names, fields and printout:

    >>> pn.max(pn.tensor([[1, 3]]), 1)
    pyneuro.return_types.max(
    values=tensor([3]),
    indices=tensor([1]))

Each is a namedtuple (unpack it, index it, or read its fields). Imports nothing from pyneuro.
"""

from __future__ import annotations

from collections import namedtuple


def _result_type(name: str, fields: str):
    cls = namedtuple(name, fields)
    cls.__module__ = __name__
    cls.__qualname__ = name

    def __repr__(self) -> str:  # torch's layout: one field per line
        shown = ",\n".join(f"{field}={value!r}" for field, value in zip(self._fields, self))
        return f"pyneuro.return_types.{name}(\n{shown})"

    cls.__repr__ = __repr__
    return cls


_VALUES_INDICES = "values indices"
max = _result_type("max", _VALUES_INDICES)
min = _result_type("min", _VALUES_INDICES)
sort = _result_type("sort", _VALUES_INDICES)
topk = _result_type("topk", _VALUES_INDICES)
kthvalue = _result_type("kthvalue", _VALUES_INDICES)
median = _result_type("median", _VALUES_INDICES)
nanmedian = _result_type("nanmedian", _VALUES_INDICES)
mode = _result_type("mode", _VALUES_INDICES)
cummax = _result_type("cummax", _VALUES_INDICES)
cummin = _result_type("cummin", _VALUES_INDICES)
aminmax = _result_type("aminmax", "min max")
frexp = _result_type("frexp", "mantissa exponent")
histogram = _result_type("histogram", "hist bin_edges")
svd = _result_type("svd", "U S V")
triangular_solve = _result_type("triangular_solve", "solution cloned_coefficient")
slogdet = _result_type("slogdet", "sign logabsdet")
linalg_slogdet = _result_type("linalg_slogdet", "sign logabsdet")
linalg_eigh = _result_type("linalg_eigh", "eigenvalues eigenvectors")
linalg_svd = _result_type("linalg_svd", "U S Vh")
linalg_qr = _result_type("linalg_qr", "Q R")
qr = _result_type("qr", "Q R")
linalg_lstsq = _result_type("linalg_lstsq", "solution residuals rank singular_values")
linalg_inv_ex = _result_type("linalg_inv_ex", "inverse info")
linalg_cholesky_ex = _result_type("linalg_cholesky_ex", "L info")
linalg_solve_ex = _result_type("linalg_solve_ex", "result info")
linalg_lu_factor = _result_type("linalg_lu_factor", "LU pivots")
linalg_lu_factor_ex = _result_type("linalg_lu_factor_ex", "LU pivots info")
linalg_lu = _result_type("linalg_lu", "P L U")
lu_unpack = _result_type("lu_unpack", "P L U")
_lu_with_info = _result_type("_lu_with_info", "LU pivots info")
geqrf = _result_type("geqrf", "a tau")
histogramdd = _result_type("histogramdd", "hist bin_edges")

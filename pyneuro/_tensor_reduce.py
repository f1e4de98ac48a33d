"""Tensor's remaining reductions, statistics and small linear algebra: count_nonzero, nansum,
quantile, aminmax, kthvalue, trace, addmm, cross, det, ..., and the random in-place fills
(bernoulli_, random_, exponential_, ...).

A mixin of pyneuro.tensor.Tensor; the torch-level functions (pn.quantile, pn.addmm, ...) are in
functions_reduce.py and call these methods. Everything differentiable here is composed from
Tensor ops (sort + gather for quantile and kthvalue, matmul for addmm, ...), so the gradients
follow from theirs; the matrix functions (det, inverse, ...) are pyneuro.linalg's. Results that
are counts, indices or booleans carry no graph.

Random fills draw from pyneuro's generator (pyneuro/random.py: the default one, or
`generator=`), on the host in float64, and are written in with copy_, which bumps the version
counter and refuses a leaf that requires grad, as every in-place op does.
"""

from __future__ import annotations

import builtins
import operator
import warnings

import numpy as np

from . import _sorting, return_types
from ._dtype import _PY_BOOL, _PY_INT, c_type_name, float32, torch_name
from ._errors import ArgumentError, DTypeError, IndexRangeError, ShapeError, reworded
from ._histogram import bin_counts, check_bins, torch_linspace, uniform_edges
from ._shapes import numpy_keywords, one_dim
from ._tensor_base import TensorBase, _backend, _from_data, _wrap, need_tensor
from .autograd.math import NotDifferentiable as _NotDifferentiable
from .autograd.shape import ReadsInputs as _ReadsInputs
from .autograd.shape import named as _named
from .autograd.shape import renamed as _renamed
from .autograd.shape import watch as _watch
from .autograd.stand_in import follows as _follows
from .random import _rng, check_floating, check_int_bounds, draw_in_memory_order, is_int_arg, raise_int_args

AminmaxResult = return_types.aminmax
SvdResult = return_types.svd
TriangularSolveResult = return_types.triangular_solve
HistogramResult = return_types.histogram

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _host(t: TensorBase) -> np.ndarray:
    return np.asarray(_backend(t.device).to_numpy(t._data))


def _check_float(t: TensorBase, message: str) -> None:
    if t._data.dtype.kind != "f":
        raise DTypeError(message)


def _check_arg_reduction(t, dim, what):
    """argmax/argmin of nothing: IndexError like torch (NumPy would raise a ValueError); one dim."""
    if isinstance(dim, (tuple, list)):  # (one dim only: torch's TypeError)
        raise TypeError(f"{what}(): argument 'dim' must be int, not {type(dim).__name__}")
    if t._data.dtype.kind == "b":
        raise RuntimeError(f"{what}(): does not support bool input")
    if t._data.size == 0:
        if dim is None:
            raise IndexError(f"{what}(): Expected reduction dim to be specified for input.numel() == 0.")
        d = one_dim(dim, t.ndim)
        if t.ndim and t.shape[d] == 0:
            raise IndexError(
                f"{what}(): Expected reduction dim {dim} to have non-zero size (shape {tuple(t.shape)})."
            )


def _arg_reduce(t, dim, keepdim, what):
    """argmax/argmin (int64, no grad): of the flattened tensor (dim=None; keepdim keeps every dim at
    size 1) or along dim (a 0-d tensor's only dim keeps it 0-d, keepdim or not, as torch's)."""
    data = t._data
    bk = _backend(t.device)
    _check_arg_reduction(t, dim, what)
    if dim is None:
        out = bk.xp.asarray(getattr(data, what)()).astype(np.int64)
        return _wrap(out.reshape((1,) * data.ndim) if keepdim else out, t.device)
    d = one_dim(dim, data.ndim)
    if not data.ndim:
        return _wrap(bk.xp.zeros((), np.int64), t.device)
    if what == "argmax" and data.ndim == 2 and d == 1 and data.dtype == float32 and data.shape[1]:
        out = bk.argmax(data)  # the kernel for a batch of logits
    else:
        out = getattr(data, what)(axis=d).astype(np.int64)
    if keepdim:
        out = bk.xp.expand_dims(out, d)
    return _wrap(bk.xp.asarray(out), t.device)


class ReduceMethods:
    """Reductions, statistics, matrix products, linear algebra and random fills of Tensor (a mixin)."""

    __slots__ = ()

    # ------------------------------------------------------------------ reductions
    def argmax(self, dim=None, keepdim=False):
        """Index of the (first) maximum, flattened or along dim."""
        return _arg_reduce(self, dim, keepdim, "argmax")

    def argmin(self, dim=None, keepdim=False):
        """Index of the (first) minimum, flattened or along dim."""
        return _arg_reduce(self, dim, keepdim, "argmin")

    @numpy_keywords
    def aminmax(self, *, dim=None, keepdim=False) -> AminmaxResult:
        """(min, max) over dim (or all elements), like torch.aminmax."""
        if dim is not None and self.ndim and not self.shape[one_dim(dim, self.ndim)]:
            raise IndexRangeError(f"aminmax: Expected reduction dim {dim} to have non-zero size.")
        if dim is None and self.numel() == 0:
            raise ArgumentError(
                "aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity."
            )
        low, high = self.amin(dim, keepdim), self.amax(dim, keepdim)
        return AminmaxResult(_renamed(low, "AminmaxBackward0"), _renamed(high, "AminmaxBackward0"))

    @numpy_keywords
    def count_nonzero(self, dim=None, *dims):
        """The number of non-zero elements (over dim: an int, a tuple or several ints), int64."""
        return (self != 0).sum(dim=(dim, *dims) if dims else dim)

    @numpy_keywords
    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        """The sum treating NaN as zero (NaN elements get a zero gradient)."""
        x = self.masked_fill(self.isnan(), 0) if self._data.dtype.kind == "f" else self
        # (torch's node saves the input: changed in place before backward, it raises)
        return _watch(_renamed(x.sum(dim=dim, keepdim=keepdim, dtype=dtype), "NansumBackward0"), self)

    @numpy_keywords
    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        """The mean of the non-NaN elements (NaN where there are none)."""
        x = self if dtype is None else self.to(dtype=dtype)
        _check_float(
            x,
            f"nanmean(): expected input to have floating point or complex dtype but got {x.dtype.torch_name}",
        )
        count = (~x.isnan()).sum(dim=dim, keepdim=keepdim)
        return x.nansum(dim=dim, keepdim=keepdim) / count

    @numpy_keywords
    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        """The q-th quantiles over dim (all elements when dim is None), like torch.quantile:
        the sorted values at rank q * (n - 1), interpolated (linear, lower, higher, midpoint,
        nearest); a row holding NaN gives NaN. q a 1-D tensor: its dimension comes first."""
        return _quantile(self, q, dim, keepdim, interpolation, "quantile")

    @numpy_keywords
    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        """quantile ignoring NaN (each row ranks only its non-NaN values; all NaN: NaN)."""
        return _quantile(self, q, dim, keepdim, interpolation, "nanquantile")

    @numpy_keywords
    def kthvalue(self, k, dim=-1, keepdim=False):
        """(values, indices) of the k-th smallest element along dim (k counts from 1)."""
        if self._data.dtype.kind == "b":
            raise NotImplementedError("\"kthvalue_cpu\" not implemented for 'Bool'")
        x = self.reshape(1) if self.ndim == 0 else self
        d = one_dim(dim, x.ndim)
        k = operator.index(k)
        if not x.shape[d] and not x.numel():
            raise IndexRangeError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
        if not 1 <= k <= x.shape[d]:
            raise ArgumentError(f"kthvalue(): selected number k out of range for dimension {dim}")
        kth = _sorting.kthvalue(x._data, d, k)  # torch's index among equal values (C++), or None
        idx = x.argsort(d, stable=True).narrow(d, k - 1, 1) if kth is None else _wrap(kth, x.device)
        values = x._gather(d, idx)
        if not keepdim or self.ndim == 0:
            values, idx = values.squeeze(d), idx.squeeze(d)
        return return_types.kthvalue(_watch(_renamed(values, "KthvalueBackward0"), idx), idx)

    def msort(self):
        """The values sorted along dimension 0."""
        return self.sort(dim=0).values

    def histc(self, bins=100, min=0, max=0):
        """A histogram of `bins` equal bins over [min, max] (min == max: the data's range);
        elements outside are ignored. Same dtype as the input; no gradient."""
        if self._data.dtype.kind != "f":
            raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{self.dtype.torch_name}'")
        check_bins(bins)
        data = _host(self).reshape(-1)
        lo, hi = float(min), float(max)
        if lo == hi and data.size:
            lo, hi = float(data.min()), float(data.max())
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ArgumentError(f"torch.histc: range of [{lo}, {hi}] is not finite")
        if lo > hi:
            raise ArgumentError("torch.histc: max must be larger than min")
        edges = torch_linspace(lo, hi, int(bins) + 1, data.dtype)
        hist = bin_counts(data, edges, "linear", None)
        return _from_data(hist, None, self.device)

    def histogram(self, bins=100, *, range=None, weight=None, density=False):
        """(hist, bin_edges): counts (or weights, or a density) in `bins` equal bins over range
        (default: the data's min and max), or in the bins whose edges a 1-D tensor gives."""
        if self._data.dtype.kind != "f":
            raise NotImplementedError(f"\"histogramdd\" not implemented for '{self.dtype.torch_name}'")
        data = _host(self).reshape(-1)
        if isinstance(bins, TensorBase):
            if bins.ndim != 1:
                raise RuntimeError(f"histogramdd: bins tensor should have one dimension, got {bins.ndim}")
            edges, how = _host(bins).astype(data.dtype), "search"
        else:
            edges, how = uniform_edges(data, bins, range, 0), "local"
        w = None if weight is None else _host(weight).reshape(-1).astype(data.dtype)
        hist = bin_counts(data, edges, how, w)
        if density:
            with np.errstate(divide="ignore", invalid="ignore"):  # no weight at all: NaN, as torch
                hist = hist / hist.sum() / np.diff(edges)
        dev = self.device
        hist = hist.astype(data.dtype)
        if self._req:  # both outputs in the graph, as torch's, with no derivative
            return HistogramResult(
                *(_NotDifferentiable.apply(self, out=a, op="histogram") for a in (hist, edges))
            )
        return HistogramResult(_from_data(hist, None, dev), _from_data(edges, None, dev))

    # ------------------------------------------------------------------ statistics
    def cov(self, *, correction=1, fweights=None, aweights=None):
        """The covariance matrix of the variables in the rows (observations in the columns),
        weighted by fweights (integer frequencies) and aweights, like torch.cov."""
        if self.ndim > 2:
            raise ShapeError(
                f"cov(): expected input to have two or fewer dimensions but got an input with {self.ndim} dimensions"
            )
        x = self.reshape(1, -1) if self.ndim < 2 else self
        if x._data.dtype.kind != "f":
            x = x.float()
        if fweights is not None and fweights._data.dtype.kind not in "iu":
            raise DTypeError(
                f"cov(): expected fweights to have integral dtype but got fweights with {torch_name(fweights.dtype)} dtype"
            )
        for name, weights in (("fweights", fweights), ("aweights", aweights)):
            if weights is not None and bool((weights < 0).any()):
                raise RuntimeError(f"cov(): {name} cannot be negative")
        w = fweights
        if aweights is not None:
            w = aweights if w is None else w * aweights
        n = x.shape[1]
        w_sum = w.sum() if w is not None else n
        avg = (x * w if w is not None else x).sum(1) / w_sum
        if w is not None and correction != 0 and aweights is not None:
            norm = w_sum - correction * (w * aweights).sum() / w_sum
        else:
            norm = w_sum - correction
        if float(norm) <= 0:
            warnings.warn(
                "cov(): degrees of freedom is <= 0. Correction should be strictly less than the "
                "number of observations.",
                UserWarning,
                stacklevel=2,
            )
            norm = norm * 0 if isinstance(norm, TensorBase) else 0
        x = x - avg.unsqueeze(1)
        c = x @ (x * w if w is not None else x).t()
        return (c / norm).squeeze()

    def corrcoef(self):
        """The Pearson correlation coefficients of the rows, clipped to [-1, 1]."""
        c = self.cov()
        if c.ndim == 0:
            return c / c
        std = c.diag().sqrt()
        return (c / std.reshape(-1, 1) / std.reshape(1, -1)).clamp(-1, 1)

    # ------------------------------------------------------------------ matrix products
    def trace(self):
        """The sum of the main diagonal of a matrix (int64 for integers)."""
        if self.ndim != 2:
            raise ShapeError(f"trace: expected a matrix, but got tensor with dim {self.ndim}")
        if self._data.dtype.kind == "b":
            raise NotImplementedError("\"trace\" not implemented for 'Bool'")
        return _renamed(self.diag().sum(), "TraceBackward0")

    def mv(self, vec):
        """matrix @ vector."""
        if self.ndim != 2 or need_tensor(vec, "mv", "vec").ndim != 1 or self.shape[1] != vec.shape[0]:
            raise ShapeError(
                f"size mismatch, got input ({self.shape[0] if self.ndim else 0}), mat "
                f"({'x'.join(str(n) for n in self.shape)}), vec ({'x'.join(str(n) for n in vec.shape)})"
            )
        return self @ vec

    def vdot(self, other):
        """The dot product of two 1-D tensors (for real tensors, the same as dot)."""
        if self.ndim != 1 or need_tensor(other, "vdot", "other").ndim != 1:
            raise ShapeError(f"1D tensors expected, but got {self.ndim}D and {other.ndim}D tensors")
        if self.shape[0] != other.shape[0]:
            raise ShapeError(
                f"inconsistent tensor size, expected tensor [{self.shape[0]}] and src [{other.shape[0]}] to have "
                f"the same number of elements, but got {self.shape[0]} and {other.shape[0]} elements respectively"
            )
        return _renamed(self.dot(other), "VdotBackward0")

    def inner(self, other):
        """The inner product over the last dimension (a product if either is 0-d)."""
        if not isinstance(other, TensorBase) or self.ndim == 0 or other.ndim == 0:
            return self * other
        if self.shape[-1] != other.shape[-1]:
            raise ShapeError(
                f"inner() the last dimension must match on both input tensors but got shapes "
                f"{list(self.shape)} and {list(other.shape)}"
            )
        return tensordot(self, other, dims=([-1], [-1]))

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """beta * self + alpha * (mat1 @ mat2) (beta = 0: self is ignored, NaN included)."""
        if mat1.ndim != 2 or mat2.ndim != 2:
            raise ShapeError(
                f"mat1 must be a matrix, got {mat1.ndim}-D tensor"
                if mat1.ndim != 2
                else f"mat2 must be a matrix, got {mat2.ndim}-D tensor"
            )
        return _renamed(_add_scaled(self, mat1 @ mat2, beta, alpha), "AddmmBackward0")

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        """beta * self + alpha * (mat @ vec)."""
        return _renamed(_add_scaled(self, mat.mv(vec), beta, alpha, "addmv"), "AddmvBackward0")

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        """beta * self + alpha * outer(vec1, vec2)."""
        if vec1.ndim != 1 or vec2.ndim != 1:
            raise ShapeError(
                f"addr: Expected 1-D argument vec1 and vec2, but got {vec1.ndim}-D and {vec2.ndim}-D"
            )
        product = vec1.unsqueeze(1) * vec2
        _follows(product._node, vec1)  # (torch's node saves vec1 and vec2 themselves: `.data =` seen)
        return _renamed(_add_scaled(self, product, beta, alpha, "addr"), "AddrBackward0")

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """beta * self + alpha * sum_b batch1[b] @ batch2[b]."""
        if batch1.ndim != 3 or batch2.ndim != 3:
            raise ShapeError(
                f"batch1 must be a 3D tensor, batch2 must be a 3D tensor (got {batch1.ndim}D and {batch2.ndim}D)"
            )
        products = batch1 @ batch2  # (summed in their own dtype: an int32 sum would be int64)
        return _renamed(
            _add_scaled(self, products.sum(0, dtype=products.dtype), beta, alpha, "addbmm"), "AddbmmBackward0"
        )

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """beta * self + alpha * (batch1 @ batch2) for batches of matrices."""
        product = batch1.bmm(batch2)
        return _renamed(_add_scaled(self, product, beta, alpha, "baddbmm"), "BaddbmmBackward0")

    def ger(self, vec2):
        """outer(self, vec2): torch's older name."""
        return self.outer(vec2)

    def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
        return self._inplace_from(lambda t: t.addmm(mat1, mat2, beta=beta, alpha=alpha), mat1, mat2)

    def addmv_(self, mat, vec, *, beta=1, alpha=1):
        return self._inplace_from(lambda t: t.addmv(mat, vec, beta=beta, alpha=alpha), mat, vec)

    def addr_(self, vec1, vec2, *, beta=1, alpha=1):
        return self._inplace_from(lambda t: t.addr(vec1, vec2, beta=beta, alpha=alpha), vec1, vec2)

    def addbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        return self._inplace_from(lambda t: t.addbmm(batch1, batch2, beta=beta, alpha=alpha), batch1, batch2)

    def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        return self._inplace_from(lambda t: t.baddbmm(batch1, batch2, beta=beta, alpha=alpha), batch1, batch2)

    def renorm_(self, p, dim, maxnorm):
        return self._inplace_from(lambda t: t.renorm(p, dim, maxnorm), keep_values=True)

    def _inplace_from(self, op, *operands, keep_values=False):
        """self = op(self), written into self's memory; recorded in the graph (the in-place
        machinery of _tensor_inplace.py) when self or one of the tensor operands requires grad."""
        if builtins.any([self._records(o) for o in operands or (None,)]):
            return self._record(op, keep_values)
        self._write(op(self))
        return self

    def cross(self, other, dim=None):
        """The cross product of 3-vectors along dim (None: the first dimension of size 3, with
        torch's deprecation warning)."""
        if dim is None:
            warnings.warn(
                "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                "explicitly or simply use torch.linalg.cross.",
                UserWarning,
                stacklevel=2,
            )
            dim = next((i for i, n in enumerate(self.shape) if n == 3), None)  # (self's first, as torch)
            if dim is None:
                raise RuntimeError("no dimension of size 3 in input")
        from . import linalg

        return linalg.cross(self, other, dim=dim)

    def dist(self, other, p=2):
        """The p-norm of self - other (p: any number, 0, inf or -inf)."""
        from . import linalg

        return _named(linalg.vector_norm(self - other, p), "DistBackward0", reads=(self, other))

    def renorm(self, p, dim, maxnorm):
        """Each slice along dim whose p-norm exceeds maxnorm scaled down to norm maxnorm."""
        from . import linalg

        if self.ndim <= 1:
            raise ShapeError(f"renorm: input needs at least 2 dimensions, got {self.ndim} dimensions")
        d = one_dim(dim, self.ndim)
        others = tuple(i for i in builtins.range(self.ndim) if i != d)
        norms = linalg.vector_norm(self, p, others, keepdim=True)
        factor = (maxnorm / (norms + 1e-7)).where(norms > maxnorm, norms * 0 + 1)
        return _renamed(self * factor, "RenormBackward0")

    # ------------------------------------------------------------------ linear algebra (pyneuro.linalg)
    def det(self):
        from . import linalg

        return linalg.det(self)

    def logdet(self):
        from . import linalg

        return linalg.logdet(self)

    def slogdet(self):
        from . import linalg

        return return_types.slogdet(*linalg.slogdet(self))  # (torch.return_types.slogdet, not linalg_slogdet)

    def inverse(self):
        from . import linalg

        return linalg.inv(self)

    def pinverse(self, rcond=1e-15):
        from . import linalg

        return linalg.pinv(self, rtol=rcond)

    def matrix_power(self, n):
        from . import linalg

        return linalg.matrix_power(self, n)

    def matrix_exp(self):
        from . import linalg

        return linalg.matrix_exp(self)

    def cholesky(self, upper=False):
        """torch.cholesky (the older form of linalg.cholesky)."""
        from . import linalg

        try:
            low = linalg.cholesky(self, upper=upper)
        except linalg.LinAlgError as exc:  # (torch names the older op in its message)
            raise reworded(exc, "linalg.cholesky:", "cholesky:") from None
        return _renamed(low, "CholeskyBackward0")

    def cholesky_solve(self, input2, upper=False):
        """X with A X = self, where A = L L^T for the Cholesky factor L = input2 (upper: A = U^T U).
        A's value is formed from input2's lower (upper) triangle only, as torch's; its gradient
        from all of input2, as torch's formula takes it (-(G + Gᵀ) input2, G = -A⁻ᵀ dX Xᵀ)."""
        from . import linalg

        whole = input2.mT @ input2 if upper else input2 @ input2.mT
        tri = (input2.triu() if upper else input2.tril()).detach()
        a = (tri.mT @ tri if upper else tri @ tri.mT) + (whole - whole.detach())
        # (torch's node saves both inputs: either changed in place after this raises there)
        return _watch(_renamed(linalg.solve(a, self), "CholeskySolveBackward0"), self, input2)

    def cholesky_inverse(self, upper=False):
        """inv(A) for A = L L^T given its Cholesky factor L = self (upper: A = U^T U)."""
        from .creation import eye

        n = self.shape[-1]
        out = eye(n, dtype=self.dtype, device=self.device).expand(*self.shape).cholesky_solve(self, upper)
        return _renamed(out, "CholeskyInverseBackward0")

    def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):
        """(X, A.clone()) with op(A) X = self for triangular A (op: transpose or not), torch's older API."""
        from . import linalg

        tri = A.mT if transpose else A
        x = linalg.solve_triangular(tri, self, upper=upper != transpose, unitriangular=unitriangular)
        return TriangularSolveResult(_renamed(x, "TriangularSolveBackward0"), A.clone())

    def qr(self, some=True):
        """(Q, R), torch's older form of linalg.qr (some=False: mode 'complete')."""
        from . import linalg

        return return_types.qr(*linalg.qr(self, "reduced" if some else "complete"))  # (torch.return_types.qr)

    def svd(self, some=True, compute_uv=True):
        """(U, S, V) with self = U diag(S) V^T: torch's older form of linalg.svd (V, not Vh; some=False:
        full U and V; compute_uv=False: U and V are zeros)."""
        from . import linalg
        from .creation import zeros

        if not compute_uv:
            m, n = self.shape[-2:]
            s = linalg.svdvals(self)
            lead = tuple(self.shape[:-2])
            return SvdResult(zeros(*lead, m, m, dtype=self.dtype), s, zeros(*lead, n, n, dtype=self.dtype))
        u, s, vh = linalg.svd(self, full_matrices=not some)
        return SvdResult(u, s, vh.mT)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        from .functions import multinomial

        return multinomial(self, num_samples, replacement, generator=generator)

    def sum_to_size(self, *size):
        """The sum of self down to `size`, which self must broadcast from (a gradient's reduction)."""
        size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
        extra = self.ndim - len(size)
        if extra < 0 or builtins.any(n != 1 and n != m for n, m in zip(size, self.shape[extra:])):
            raise ShapeError(
                f"size {{{', '.join(map(str, size))}}} is not expandable to size {{{', '.join(map(str, self.shape))}}}."
            )
        out = self.sum(dim=tuple(builtins.range(extra))) if extra else self
        dims = tuple(i for i, n in enumerate(size) if n == 1 and out.shape[i] != 1)
        return out.sum(dim=dims, keepdim=True) if dims else out

    # ------------------------------------------------------------------ dtype queries
    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def is_signed(self) -> bool:
        return self._data.dtype.kind in "fic"

    def is_nonzero(self) -> bool:
        """The truth of a one-element tensor (torch's errors for more or none)."""
        n = self.numel()
        if n != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {'no values' if n == 0 else 'more than one value'} is ambiguous"
            )
        return _PY_BOOL(self.item() != 0)

    @property
    def itemsize(self) -> int:
        return self._data.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.numel() * self._data.dtype.itemsize

    # ------------------------------------------------------------------ random fills
    def bernoulli_(self, p=0.5, *, generator=None):
        """Fill with 1 (probability p, a number or a tensor of probabilities) or 0."""
        probs = _host(p) if isinstance(p, TensorBase) else p
        if not isinstance(probs, np.ndarray) and not 0 <= probs <= 1:
            raise ArgumentError(f"bernoulli_ expects p to be in [0, 1], but got p={probs:g}")
        if isinstance(probs, np.ndarray):
            return self._copy_values(_rng(generator).bernoulli(probs, self.shape).astype(self._data.dtype))
        return self._fill_draw(lambda shape: _rng(generator).bernoulli(probs, shape))

    def bernoulli(self, p=None, *, generator=None):
        """A new tensor of 0/1 draws: 1 with probability self (or p), like torch.bernoulli."""
        probs = _host(self) if p is None else p
        if p is None and not ((probs >= 0) & (probs <= 1)).all():  # (NaN too, as torch)
            raise ArgumentError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        draw = _rng(generator).bernoulli(probs, self.shape)
        return _from_data(draw.astype(self._data.dtype), None, self.device)

    def random_(self, *args, generator=None, **kwargs):
        """Fill with integers drawn uniformly from [from, to - 1]: random_() covers [0, 2^mantissa]
        for floats (the integers the dtype holds exactly) and [0, max] for integers;
        random_(to); random_(from, to) (`from` by keyword: random_(**{"from": 1}, to=5))."""
        params = dict(kwargs)
        if len(args) == 1 and "to" not in params:  # random_(to)
            params["to"] = args[0]
        else:  # random_(from, to), random_(from, to=...)
            params.update(zip(("from", "to"), args))
        low, high = params.pop("from", 0), params.pop("to", None)
        if params or len(args) > 2:
            raise TypeError(f"random_() got unexpected arguments {sorted(params) or args}")
        if not (is_int_arg(low) and is_int_arg(high)):
            raise_int_args("random_", args, ("", "int from, int to", "int to"))
        dt = self._data.dtype
        full_range = high is None
        if high is None:  # one past the largest integer the dtype holds exactly
            if dt.kind == "f":
                high = 2 ** (np.finfo(dt).nmant + 1) + 1
            else:
                high = 2 if dt.kind == "b" else int(np.iinfo(dt).max) + 1
        if low >= high:
            raise ArgumentError(
                f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
            )
        check_int_bounds(low, high, dt)
        kind = np.int64 if high < 2**63 else np.uint64
        return self._fill_draw(
            lambda shape: _rng(generator).integers(low, high, size=shape, dtype=kind, full_range=full_range)
        )

    def exponential_(self, lambd=1.0, *, generator=None):
        """Fill with draws from the exponential distribution of rate lambd."""
        self._need_continuous("Exponential", torch_name(self._data.dtype))
        if not lambd > 0:
            raise ArgumentError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
        return self._fill_draw(lambda shape: _rng(generator).exponential_fill(shape, lambd))

    def geometric_(self, p, *, generator=None):
        """Fill with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
        if not 0 < p < 1:
            raise ArgumentError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
        return self._fill_draw(lambda shape: _rng(generator).geometric_fill(shape, p))

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        """Fill with draws from the Cauchy distribution median + sigma * tan(pi (U - 1/2))."""
        self._need_continuous("Cauchy", c_type_name(self._data.dtype))
        return self._fill_draw(lambda shape: _rng(generator).cauchy_fill(shape, median, sigma))

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        """Fill with exp(N(mean, std^2)) draws."""
        check_floating(self._data.dtype, "log_normal_cpu")
        return self._fill_draw(lambda shape: _rng(generator).log_normal_fill(shape, mean, std))

    def _need_continuous(self, distribution: str, dtype_words: str) -> None:
        """torch's refusal to fill an integer tensor from a continuous distribution (its words)."""
        if self._data.dtype.kind != "f":
            raise RuntimeError(
                f"{distribution} distribution is a continuous probability distribution. dtype must be a "
                f"floating point but you specified {dtype_words}"
            )

    def _fill_draw(self, draw):
        """self.copy_(draw(shape)), the draws landing in self's memory order, as torch's kernels
        fill a tensor (random.memory_order: x.t().exponential_() fills x from its start)."""
        return self._copy_values(np.asarray(draw_in_memory_order(self._data, draw)).astype(self._data.dtype))


def tensordot(a, b, dims=2):
    """Sum of products over dims: an int n (a's last n with b's first n) or a pair
    of lists ([dims of a], [dims of b]); as a permute, a reshape and one matmul."""
    if a.dtype != b.dtype:
        raise DTypeError("both inputs should have same dtype")
    if isinstance(dims, TensorBase):
        dims = dims.tolist()
    if isinstance(dims, _PY_INT):
        if dims < 0:
            raise ArgumentError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(builtins.range(a.ndim - dims, a.ndim)), list(builtins.range(dims))
    else:
        da, db = ([d] if isinstance(d, _PY_INT) else list(d) for d in dims)
    if len(da) != len(db):
        raise ArgumentError("both dimension lists should have same length")
    da = [one_dim(d, a.ndim) for d in da]  # one at a time: the pairing is by position
    db = [one_dim(d, b.ndim) for d in db]
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise ShapeError(
                f"contracted dimensions need to match, but first has size {a.shape[i]} in dim {i} "
                f"and second has size {b.shape[j]} in dim {j}"
            )
    free_a = [d for d in builtins.range(a.ndim) if d not in da]
    free_b = [d for d in builtins.range(b.ndim) if d not in db]
    k = int(np.prod([a.shape[d] for d in da]))
    shape = [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b]
    m = int(np.prod([a.shape[d] for d in free_a]))  # (not -1: a reshape cannot infer it beside k = 0)
    n = int(np.prod([b.shape[d] for d in free_b]))
    left = a.permute(*(free_a + da)).reshape(m, k)
    right = b.permute(*(db + free_b)).reshape(k, n)
    return (left @ right).reshape(*shape)


def _add_scaled(t, product, beta, alpha, what="addmm"):
    """beta * t + alpha * product, skipping t when beta is 0 (torch does not read it then).
    torch's rules for the operands: t has the product's dtype (addr promotes instead), and an
    integer product takes float alpha/beta truncated (addr refuses them)."""
    if what != "addr" and t._data.dtype != product._data.dtype:
        raise DTypeError(
            f"{what}: self and mat2 must have the same dtype, but got {torch_name(t._data.dtype)} "
            f"and {torch_name(product._data.dtype)}"
        )
    if product._data.dtype.kind in "iu":
        for name, number in (("alpha", alpha), ("beta", beta)):
            if isinstance(number, float) and what == "addr":
                raise RuntimeError(
                    f"For integral input tensors, argument {name} must not be a floating point number."
                )
        alpha, beta = (int(n) if isinstance(n, float) else n for n in (alpha, beta))
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        shape = np.broadcast_shapes(tuple(t.shape), tuple(product.shape))
        if tuple(shape) != tuple(product.shape):
            raise ShapeError(
                f"the input of shape {tuple(t.shape)} cannot broadcast to the result's {tuple(product.shape)}"
            )
        return _ReadsInputs.apply(product, t) if t.requires_grad else product  # (t's gradient: zeros)
    out = (t if beta == 1 else t * beta) + product
    if tuple(out.shape) != tuple(product.shape):
        raise ShapeError(
            f"expand: the input of shape {tuple(t.shape)} must broadcast to the product's shape {tuple(product.shape)}"
        )
    return out


def _quantile(x, q, dim, keepdim, interpolation, what):
    """torch's quantile algorithm (aten/native/Sorting.cpp): sort, rank q * (n - 1) among the
    valid values, gather the values at floor and ceil of the rank, interpolate."""
    if x._data.dtype.kind != "f" or x._data.dtype.itemsize < 4:  # (float16 too)
        raise DTypeError(f"{what}() input tensor must be either float or double dtype")
    if x.numel() == 0:
        raise ArgumentError(f"{what}() input tensor must be non-empty")
    if interpolation not in _INTERPOLATIONS:
        raise ArgumentError(
            f"{what}() interpolation must be one of linear, lower, higher, midpoint or nearest. Got {interpolation}"
        )
    if isinstance(q, TensorBase):
        if q.ndim > 1:
            raise ArgumentError(f"{what}() q must be a scalar or 1D tensor")
        if q.dtype != x.dtype:
            raise DTypeError(f"{what}() q tensor must be same dtype as the input tensor")
        qs, q_dim = _host(q).astype(np.float64).reshape(-1), q.ndim == 1
        if not ((qs >= 0) & (qs <= 1)).all():
            raise ArgumentError(f"{what}() q values must be in the range [0, 1]")
    else:
        if not 0 <= q <= 1:
            raise ArgumentError(f"{what}() q must be in the range [0, 1] but got {q}")
        qs, q_dim = np.asarray([float(q)]), False
    if dim is None:
        flat, out_shape = x.reshape(-1), ((1,) * x.ndim if keepdim else ())
    else:
        y = x.reshape(1) if x.ndim == 0 else x
        d = one_dim(dim, y.ndim)
        flat = y.movedim(d, -1)
        out_shape = (
            tuple(1 if i == d else n for i, n in enumerate(y.shape)) if keepdim else tuple(flat.shape[:-1])
        )
        if x.ndim == 0:
            out_shape = ()
    srt = flat.sort(-1).values
    host = _host(srt)
    n = host.shape[-1]
    nan_rows = np.isnan(host).any(-1)
    valid = (n - np.isnan(host).sum(-1)) if what == "nanquantile" else np.full(host.shape[:-1], n)
    dt = x._data.dtype  # ranks in the input's dtype, as torch computes them (0.6 * 5 is 3 in float32)
    ranks = qs.astype(dt).reshape((-1,) + (1,) * (host.ndim - 1)) * (valid - 1).astype(dt)
    if what == "quantile":
        ranks = np.where(nan_rows, dt.type(n - 1), ranks)
    else:
        ranks = np.where(ranks < 0, dt.type(0), ranks)
    if interpolation == "lower":
        ranks = np.floor(ranks)
    elif interpolation == "higher":
        ranks = np.ceil(ranks)
    elif interpolation == "nearest":
        ranks = np.round(ranks)
    below = ranks.astype(np.int64)
    lead = (len(qs),) + tuple(srt.shape)
    expanded = srt.unsqueeze(0).expand(*lead)

    def at(idx):
        return expanded._gather(-1, _from_data(idx[..., None], None, x.device)).squeeze(-1)

    out = at(below)
    if interpolation in ("linear", "midpoint"):
        weights = np.full(ranks.shape, 0.5, dt) if interpolation == "midpoint" else ranks - below.astype(dt)
        above = at(np.ceil(ranks).astype(np.int64))
        w = _from_data(weights.astype(x._data.dtype), None, x.device)
        out = out + w * (above - out)
    out = out.reshape(*((len(qs),) + out_shape))
    return _renamed(out if q_dim else out.squeeze(0), "SqueezeBackward4")  # (torch's last op, for every q)

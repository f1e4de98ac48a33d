"""Writing into a copy at an index: index_put (and everything built on it) and scatter_reduce.

IndexPut is the one Function behind torch's "out = a with these positions replaced (or added
to)": index_put, index_add, index_copy, index_fill, put, masked_scatter, select/slice/
diagonal_scatter and diag_embed all compute their index and call it (pyneuro/_tensor_index.py).
ScatterReduce is torch's scatter_reduce (sum, prod, mean, amax, amin), whose gradient depends
on the reduction. Both are imported directly by the Tensor methods that use them.
"""

from __future__ import annotations

from .function import Function, _scatter_add, _unbroadcast


class IndexPut(Function):
    """out = a.copy(); out[index] = values (accumulate=True: out[index] += values, repeats add up).

    `op` is the node's name: torch's for the op it stands for (IndexAddBackward0, ...).
    `index` is anything NumPy indexes with (a tuple of slices and integer/bool arrays); values
    broadcasts to the shape of a[index].
        d out / d a      = g, with the written positions zeroed (they were overwritten),
                           or all of g when accumulating
        d out / d values = g[index], summed back to values' shape
    """

    __slots__ = ()
    saved_for = ((), ())
    saves_tensors = False  # shapes and the index only: backward can run twice

    def forward(self, a, values, index=None, accumulate=False, op="IndexPutBackward0"):
        out = a.copy()
        if accumulate:
            _scatter_add(self.bk.xp, out, index, values)
        else:
            out[index] = values
        self.saved = (index, accumulate, getattr(values, "shape", None), op)
        return out

    def name(self) -> str:
        """torch's name for the op this node stands for: IndexAddBackward0, MaskedScatterBackward0, ..."""
        return self.saved[3]

    def backward(self, g):
        index, accumulate, vshape, _ = self.saved
        ga = None
        if self.needs[0]:
            ga = g
            if not accumulate:
                ga = self.bk.xp.array(g)  # a copy, and an array even when g is a 0-d scalar
                ga[index] = 0
        gv = None
        if vshape is not None and self.needs[1]:
            gv = _unbroadcast(g[index], vshape)
        return ga, gv


class ScatterReduce(Function):
    """torch's scatter_reduce: out = a with the src values at index (along dim) reduced into it.

    `grids` is the full index (open grids with index on dim: a[grids] is a gather) and `ishape`
    the index's shape: only src[:ishape] is read. Positions nothing is scattered to keep a's
    value (gradient g); at the others, with include_self the value of a takes part:
        sum:  out = a + sum(src)              d/da = g,        d/dsrc = g[grids]
        mean: out = (a + sum(src)) / count    d/da = g / count, d/dsrc = (g / count)[grids]
        prod: out = a * prod(src)             d/dx = g * (product of the others), exact at zeros
        amax, amin: out = max(a, src...)      d/dx = g / (number of ties) for each x equal to out
    Without include_self a's gradient is 0 where something was scattered (a's value was not
    used). These are torch's formulas, ties counted as torch counts them (a's value counts
    as a tie even without include_self).
    """

    __slots__ = ()
    saves_output = True  # as torch, for every reduction: changing self, src or out in place afterwards raises

    def forward(self, a, src, grids=None, ishape=(), reduce="sum", include_self=True):
        xp = self.bk.xp
        values = src[tuple(slice(0, n) for n in ishape)]
        hit = xp.zeros(a.shape, dtype=bool)
        hit[grids] = True
        out = a.copy()
        count = None
        if reduce in ("sum", "mean"):
            if not include_self:
                out[hit] = 0
            _scatter_add(xp, out, grids, values)
            if reduce == "mean":
                count = xp.ones(a.shape, dtype=a.dtype) if include_self else xp.zeros(a.shape, dtype=a.dtype)
                _scatter_add(xp, count, grids, xp.ones(values.shape, dtype=a.dtype))
                count[count == 0] = 1
                out = out // count if a.dtype.kind in "iu" else out / count
        elif reduce == "prod":
            if not include_self:
                out[hit] = 1
            xp.multiply.at(out, grids, values)
        else:
            ufunc = xp.maximum if reduce == "amax" else xp.minimum
            if not include_self:
                out[hit] = _extreme(xp, a.dtype, lowest=reduce == "amax")
            ufunc.at(out, grids, values)
        self.saved = (grids, reduce, include_self, ishape, src.shape, hit, count, a, values, out)
        return out

    def backward(self, g):
        grids, reduce, include_self, ishape, src_shape, hit, count, a, values, out = self.saved
        xp = self.bk.xp
        if reduce == "sum":
            ga, gv = g, g[grids]
        elif reduce == "mean":
            ga = g / count
            gv = ga[grids]
        elif reduce == "prod":
            ga, gv = _prod_grads(xp, g, a, values, grids, hit, include_self)
        else:  # amax / amin: the gradient is shared evenly among the values equal to the result
            a_is = (a == out).astype(g.dtype)
            v_is = (values == out[grids]).astype(g.dtype)
            ties = a_is.copy()
            _scatter_add(xp, ties, grids, v_is)
            shared = g / ties
            ga = a_is * shared
            gv = v_is * shared[grids]
        if not include_self:
            ga = xp.where(hit, 0, ga)
        gs = None
        if self.needs[1]:
            gs = xp.zeros(src_shape, dtype=g.dtype)
            gs[tuple(slice(0, n) for n in ishape)] = gv
        return (ga if self.needs[0] else None), gs


def _prod_grads(xp, g, a, values, grids, hit, include_self):
    """The gradients of a product reduction: each factor gets g times the product of the other
    factors at its position, computed from the product of the non-zero factors and the number
    of zeros (one zero: only the zero factor has a gradient; two or more: none has)."""
    zero_a = (a == 0) & hit if include_self else xp.zeros(a.shape, dtype=bool)
    nonzero = xp.where(zero_a, 1, a) if include_self else xp.ones_like(a)
    zeros = zero_a.astype(xp.int64)
    _scatter_add(xp, zeros, grids, (values == 0).astype(xp.int64))
    xp.multiply.at(nonzero, grids, xp.where(values == 0, 1, values))

    def share(x, prod, n_zero):
        safe = xp.where(x == 0, 1, x)
        return xp.where(n_zero == 0, prod / safe, xp.where((n_zero == 1) & (x == 0), prod, 0))

    ga = xp.where(hit, g * share(a, nonzero, zeros), g)
    gv = g[grids] * share(values, nonzero[grids], zeros[grids])
    return ga, gv


def _extreme(xp, dtype, lowest):
    """-inf / +inf for floats, the dtype's min / max for integers: the identity of amax / amin."""
    if dtype.kind == "f":
        return -xp.inf if lowest else xp.inf
    info = xp.iinfo(dtype) if dtype.kind in "iu" else None
    if info is None:  # bool
        return not lowest
    return info.min if lowest else info.max

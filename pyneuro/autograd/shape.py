"""Shape and indexing ops: reshape, permute, expand, indexing, cat, stack, clone."""

from __future__ import annotations

import numpy as _np

from .._shapes import c_order
from .._shapes import one_dim as _one_dim
from .._tensor_base import TensorBase
from .function import Function, ShapeError, SliceGrad, _scatter_add, _unbroadcast
from .names import named_class
from .shown import ShownNode, edge_node, shown_node

# ----------------------------------------------------------------------------- shapes and indexing


class Reshape(Function):
    """out = a.reshape(shape) (a view when possible); backward reshapes g back."""

    __slots__ = ()
    saves_tensors = False
    passes_gradient = True
    is_view = True

    def view_step(self, a, out, shape=()):
        share = getattr(self.bk.xp, "may_share_memory", None)
        return ("reshape", shape) if share is None or share(out, a) else None

    def forward(self, a, shape=()):
        self.saved = (a.shape, shape)  # (shape: for torch's name, autograd/names.py)
        try:
            return a.reshape(shape)
        except ValueError:
            if list(shape).count(-1) > 1:
                raise ShapeError("only one dimension can be inferred") from None
            raise ShapeError(f"shape '{list(shape)}' is invalid for input of size {a.size}") from None

    def backward(self, g):
        return (g.reshape(self.saved[0]),)


class Diagonal(Function):
    """out = the diagonal `offset` of a's matrices in dims (d1, d2), as a last dim: a view
    whatever a's layout (its stride is the sum of the two dims' strides), as torch's;
    backward writes g on the same diagonal of zeros."""

    __slots__ = ()
    saves_tensors = False
    passes_gradient = True
    is_view = True

    def view_step(self, a, out, offset=0, d1=0, d2=1):
        share = getattr(self.bk.xp, "may_share_memory", None)
        return ("diagonal", (offset, d1, d2)) if share is None or share(out, a) else None

    def forward(self, a, offset=0, d1=0, d2=1):
        self.saved = (a.shape, offset, d1, d2)
        return writable_diagonal(a, offset, d1, d2)

    def backward(self, g):
        shape, offset, d1, d2 = self.saved
        out = self.bk.xp.zeros(shape, dtype=g.dtype)
        writable_diagonal(out, offset, d1, d2)[...] = g
        return (out,)


def writable_diagonal(a, offset, d1, d2):
    """a.diagonal(...) that writes through to a (NumPy's is a read-only view of writable memory)."""
    if not hasattr(a, "diagonal"):  # (the cuda backend's arrays: a strided slice of the matrices)
        return _sliced_diagonal(a, offset, d1, d2)
    d = a.diagonal(offset, d1, d2)
    flags = getattr(d, "flags", None)
    if flags is not None and not flags.writeable and a.flags.writeable:
        d.setflags(write=True)
    return d


def _sliced_diagonal(a, offset, d1, d2):
    """The diagonal as every (cols + 1)-th element of the matrices laid out row by row."""
    y = a.transpose(tuple(i for i in range(a.ndim) if i not in (d1, d2)) + (d1, d2))
    rows, cols = y.shape[-2:]
    length = max(0, min(rows - max(-offset, 0), cols - max(offset, 0)))
    flat = y.reshape(tuple(y.shape[:-2]) + (rows * cols,))
    start = offset if offset >= 0 else -offset * cols
    return flat[..., start : start + length * (cols + 1) : cols + 1] if length else flat[..., 0:0]


class ReadsInputs(Function):
    """out = g, linked in the graph to the tensors the op's backward read.

    torch's backward formulas take what they read as arguments (threshold_backward(grad, self)
    for relu), so a gradient whose derivative with respect to them is zero (relu's, abs's,
    max's: a mask times g) still depends on them: a parameter reached only through it gets a
    zero gradient, not None, and an optimizer still applies its weight decay. Our rules read
    those masks as constants; this node adds the link, with zero gradients (graph_backward.py).
    addmm(beta=0) links its input the same way: torch does not read its values, but the input
    is in the graph (its gradient is zeros, not None)."""

    __slots__ = ()
    saves_tensors = False

    def forward(self, g, *read, shown=""):
        self.saved = (tuple((r.shape, r.dtype) for r in read), shown)
        return g.reshape(g.shape)

    def backward(self, g):
        xp = self.bk.xp
        return (g,) + tuple(xp.zeros(shape, dtype=dtype) for shape, dtype in self.saved[0])

    def name(self) -> str:  # (the gradient's own node's name: what torch's backward op records)
        return self.saved[1] or super().name()


class Permute(Function):
    """out = a with its axes reordered (a view); backward applies the inverse order."""

    __slots__ = ()
    saves_tensors = False
    passes_gradient = True
    is_view = True

    def view_step(self, a, out, dims=()):
        return ("permute", dims)

    def forward(self, a, dims=()):
        self.saved = (dims,)
        return a.transpose(dims)

    def backward(self, g):
        dims = self.saved[0]
        inverse = [0] * len(dims)
        for i, d in enumerate(dims):
            inverse[d] = i
        return (g.transpose(inverse),)


class Expand(Function):
    """out = a broadcast to shape (a view); backward sums over the broadcast axes."""

    __slots__ = ()
    saves_tensors = False
    passes_gradient = True
    is_view = True

    def view_step(self, a, out, shape=()):
        return ("expand", shape)

    def forward(self, a, shape=()):
        self.saved = (a.shape,)
        new = len(shape) - a.ndim
        if type(a) is _np.ndarray and tuple(shape[new:]) == a.shape and all(n == 1 for n in shape[:new]):
            return a[(None,) * new]  # no element repeated: a writable view, as torch's (only new 1-dims)
        return self.bk.xp.broadcast_to(a, shape)  # (read-only: a write would reach repeated elements)

    def backward(self, g):
        return (_unbroadcast(g, self.saved[0]),)


def _row_gather(bk, a, index) -> bool:
    """Is a[index] a gather of whole rows (one 1-D integer array on axis 0 of a C-contiguous
    host array of 2+ dims: a data loader's batch) that the backend's take_rows can copy?"""
    return (
        type(index) is _np.ndarray
        and index.ndim == 1
        and index.dtype.kind == "i"
        and type(a) is _np.ndarray
        and a.ndim >= 2
        and a.flags.c_contiguous
        and hasattr(bk, "take_rows")
    )


def gather(bk, a, index):
    """a[index] for an array index: a batch of whole rows by the table's take_rows (one
    parallel copy), anything else by the array's own indexing. Index and the DataLoader
    gather through here. The result is C-ordered, as torch's (NumPy's a[:, idx] is not: a
    later .view() must work as in torch)."""
    if _row_gather(bk, a, index):
        return bk.take_rows(a, index)
    return c_order(a[index])


class Index(Function):
    """out = a[index]: basic slicing (a view) or integer/boolean-array gather.

    backward scatters g into zeros of a's shape: plain assignment for basic indexing (returned
    as a SliceGrad, which the engine adds in place), scatter-add (`add.at`) for array indices,
    where an index may repeat.
    """

    __slots__ = ()
    saved_for = ()
    reads_as_mask = True
    is_view = True

    def view_step(self, a, out, index=None, advanced=False):
        if advanced or (out.ndim == 0 and getattr(out, "base", None) is None):
            return None  # a gather, or a 0-d array the backend copied out: not views
        return ("index", index)

    def forward(self, a, index=None, advanced=False):
        self.saved = (a.shape, a.dtype, index, advanced)
        if advanced:
            return gather(self.bk, a, index)
        out = a[index]
        if getattr(out, "base", None) is None and getattr(out, "ndim", 0) == 0:
            # NumPy reads one element out as a scalar; torch's y[0] is a 0-d view of y (it sees
            # later in-place changes of y: `y[0], y[1] = y[1], y[0]` writes y[1] twice, as in torch)
            parts = index if isinstance(index, tuple) else (index,)
            if not any(p is Ellipsis for p in parts):
                out = a[parts + (Ellipsis,)]
        return out

    def release(self):
        """Only a gather's index arrays are freed (torch's IndexBackward0 saves them); a slice's
        node saves no tensor (SliceBackward0, SelectBackward0), so a second backward through it
        works without retain_graph, as in torch."""
        if self.saved is not None and self.saved != () and self.saved[3]:
            super().release()

    def backward(self, g):
        shape, dtype, index, advanced = self.saved
        xp = self.bk.xp
        if not advanced:  # zeros but g at index, kept sparse for the engine (function.SliceGrad)
            return (SliceGrad(xp, shape, index, g),)
        out = xp.zeros(shape, dtype=g.dtype)
        _scatter_add(xp, out, index, g)
        return (out,)


class Scatter(Function):
    """out = a with src written at index along dim (add=True: added), torch's scatter and
    scatter_add. For dim = 1 of 2-D tensors: out[i][index[i][j]] = src[i][j] (or +=).
    `grids` is the full index (open grids with index on dim), made by the Tensor method.

    backward: a's gradient is g where a survived -- with the written positions zeroed for
    scatter (overwritten), all of g for scatter_add; src's is g gathered at the same places
    (zero where src is larger than index; none for a scalar src).
    """

    __slots__ = ()
    saved_for = ((), ())
    saves_tensors = False  # shapes and the index only: backward can run twice

    def forward(self, a, src, grids=None, add=False):
        out = a.copy()
        ishape = _np.broadcast_shapes(*(g.shape for g in grids))  # the index's shape (0 where it is empty)
        scalar = not hasattr(src, "shape") or src.ndim == 0
        values = src if scalar else src[tuple(slice(0, n) for n in ishape)]
        if add:
            _scatter_add(self.bk.xp, out, grids, values)
        else:
            out[grids] = values
        self.saved = (grids, add, None if scalar else src.shape, ishape)
        return out

    def backward(self, g):
        grids, add, src_shape, ishape = self.saved
        ga = g
        if not add:
            ga = g.copy()
            ga[grids] = 0
        gs = None
        if src_shape is not None:
            gs = self.bk.xp.zeros(src_shape, dtype=g.dtype)
            gs[tuple(slice(0, n) for n in ishape)] = g[grids]
        return ga, gs


class Cat(Function):
    """out = concatenate(tensors, dim); backward slices g back into the pieces."""

    __slots__ = ()
    c_ordered = True
    saves_tensors = False
    passes_gradient = True

    def forward(self, *arrays, dim=0):
        xp = self.bk.xp
        d = _one_dim(dim, arrays[0].ndim)
        self.saved = (d, [x.shape[d] for x in arrays])
        return xp.concatenate(arrays, axis=d)

    def backward(self, g):
        d, sizes = self.saved
        out = []
        start = 0
        for n in sizes:
            index = (slice(None),) * d + (slice(start, start + n),)
            out.append(g[index])
            start += n
        return tuple(out)


class Stack(Function):
    """out = stack(tensors, dim) (a new axis); backward takes each slice of g."""

    __slots__ = ()
    c_ordered = True
    saves_tensors = False
    passes_gradient = True

    def forward(self, *arrays, dim=0):
        d = dim % (arrays[0].ndim + 1)
        self.saved = (d, len(arrays))
        return self.bk.xp.stack(arrays, axis=d)

    def backward(self, g):
        d, n = self.saved
        return tuple(g[(slice(None),) * d + (i,)] for i in range(n))


class Named(Function):
    """out = a, shown under torch's name for an op pyneuro composes from smaller ones (F.grid_sample
    ends in GridSampler2DBackward0, as torch's). The gradient passes through unchanged.

    out is a new tensor, as torch's op returns (not a view: `y = F.grid_sample(x, g); y[0] = 5` rebases y
    itself onto CopySlices). It holds a's values without a copy (`named` passes the composition's
    own intermediate result, which nothing else can reach) and shares a's version counter, so a
    producer that saved a as its output still sees an in-place change of out (backward raises)."""

    __slots__ = ()
    saves_tensors = False
    passes_gradient = True

    def forward(self, a, torch_name="IdentityBackward0"):
        self.saved = torch_name
        return a.reshape(a.shape)

    def backward(self, g):
        return (g,)

    def name(self) -> str:
        return self.saved if isinstance(self.saved, str) else self.saved[0]

    @property
    def shows_inputs(self) -> bool:
        return not isinstance(self.saved, str)

    @property
    def next_functions(self):
        """torch's op's edges where named() was given them (shows): to the op's inputs, past
        pyneuro's composition; else the composition's last node."""
        if isinstance(self.saved, str):
            return Function.next_functions.fget(self)
        return tuple((shown_node(target), 0) for target in self.saved[1])


class NamedView(Named):
    """Named as a view of a (sharing its memory and version counter): the identity a module's
    backward hooks pass its inputs and outputs through (nn/modules/backward_hooks.py), so an
    in-place change of one (an inplace ReLU) is a change of the caller's tensor in the graph too."""

    __slots__ = ()
    is_view = True

    def view_step(self, a, out, torch_name=""):
        return ("reshape", a.shape)


def unsafe_view(t, shape):
    """t reshaped, as torch's _unsafe_view: the same memory, but a version counter of its own and no
    view of t (kron's operands): an in-place change of t after the op is no error, and backward
    reads its new values."""
    out = t.reshape(shape)
    if out._node is not None:
        out._vc, out._view = [0], None
        renamed(out, "UnsafeViewBackward0")
    return out


def renamed(t, torch_name: str):
    """t, its node shown under torch's name for the op the caller performed (x.t() is a Permute
    node, torch's TBackward0): the node's class becomes a slot-less subclass of that name
    (autograd/names.named_class), so nothing runs differently and no node is added."""
    node = t._node
    if node is not None:
        node.__class__ = named_class(getattr(type(node), "_op_class", type(node)), torch_name)
    return t


def named(t, torch_name: str, reads=(), shows=None):
    """t under torch's node name when it records a graph (no node, and no cost, otherwise).

    shows: the op's inputs that torch's node has edges to (tensors, or nodes such as a ShownNode;
    None: no edge), which its next_functions then lists in place of the composition's last node.

    reads: the tensors torch's own node saves for its backward (F.leaky_relu's input, layer_norm's
    input and weight, ...). pyneuro's composition may not read them again, but an in-place change
    of one after the op still makes backward raise torch's RuntimeError: the node records their
    versions now and the engine checks them when it reaches it (Function.check_versions)."""
    if t._view is not None:  # a view (of an input, maybe): torch's op returns a tensor of its own
        t = t.clone()  # (without a graph too: pixel_shuffle(x, 1) must not alias x)
    if t._node is None:
        return t
    out = Named.apply(t, torch_name=torch_name)
    if shows is not None:
        out._node.saved = (
            torch_name,
            tuple(s if isinstance(s, (Function, ShownNode)) else edge_node(s) for s in shows),
        )
    out._vc = t._vc
    return watch(out, *reads)


def watch(t, *tensors):
    """t's node also checks, before its backward, that these tensors (an index, a mask, a
    condition: what torch's node saves, passed to pyneuro's as plain arrays) were not changed in
    place since: a changed index would otherwise give a silently wrong gradient, where torch
    raises its "modified by an inplace operation" RuntimeError."""
    node = t._node
    if node is not None:
        extra = tuple((a._vc, a._vc[0], a._data, a) for a in tensors if isinstance(a, TensorBase))
        if extra:
            node.versions = tuple(node.versions or ()) + extra
    return t


class Clone(Function):
    """out = a copy of a: in C order, or (order="K", torch's preserve_format) in a's own order of
    strides (x.t().clone() is transposed too, as torch's); the gradient passes through unchanged."""

    __slots__ = ()
    saves_tensors = False
    passes_gradient = True

    def forward(self, a, order="C"):
        if order == "C" or not hasattr(a, "flags") or a.flags.c_contiguous or 0 in a.strides:
            return a.copy()  # (an expanded a, whose elements share memory: torch's copy is contiguous)
        return a.copy(order=order)

    def backward(self, g):
        return (g,)

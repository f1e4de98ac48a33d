"""In-place changes in the graph: version counters, copies, writes through views (CopySlices).

Every tensor has a version counter (`t._version`), shared by the tensor and all its views
(and `t.detach()`), and every in-place op bumps it. A Function records, when it is put in
the graph, the version of each tensor its backward will read (Function.saved_for /
saves_output); the engine compares them before calling backward and raises torch's
"one of the variables needed for gradient computation has been modified by an inplace
operation" instead of computing a gradient from values that are no longer there.

An in-place op whose operands require grad is recorded as its out-of-place op, whose result
is written into the tensor's memory; the tensor then *becomes* that result in the graph
(its grad_fn is the op's node: "rebase", as torch does). A write into a view of a tensor
`base` (`x[1:] += w`, `x[...] = w * 3`) rebases `base` onto a CopySlices node:

    base' = base with the view's region replaced by r
    d base' / d base = g with the region set to 0   (those values were overwritten)
    d base' / d r    = g[region]

The region is found by replaying the view's steps (index, reshape, permute, expand) on an
array of flat positions, so any chain of views works the same.
"""

from __future__ import annotations

from .._tensor_base import _register_view_refresh, _wrap
from .function import Function, _unbroadcast
from .shape import Diagonal, Expand, Index, Permute, Reshape, renamed, writable_diagonal
from .view_steps import MultiOutputView


class Copy(Function):
    """out = src broadcast into dst's shape and dtype (copy_, fill_, zero_ under the graph).

    d out / d dst = 0 (every value was overwritten), d out / d src = g summed back to src's shape.
    """

    __slots__ = ()
    saved_for = ()

    def forward(self, dst, src):
        self.saved = (getattr(src, "shape", None), getattr(src, "dtype", None))
        out = self.bk.xp.empty(dst.shape, dtype=dst.dtype)
        out[...] = src
        return out

    def backward(self, g):
        shape, dtype = self.saved
        g_dst = self.bk.xp.zeros_like(g) if self.needs[0] else None
        g_src = None
        if len(self.needs) > 1 and self.needs[1]:
            g_src = _unbroadcast(g, shape)
            if g_src.dtype != dtype:
                g_src = g_src.astype(dtype)
        return g_dst, g_src

    def name(self) -> str:  # (fill_ and zero_ rename their node: FillBackward2, ZeroBackward0)
        return type(self).__name__ if "_op_class" in type(self).__dict__ else "CopyBackwards"


class CopySlices(Function):
    """base' = base with the region that `steps` selects replaced by r (already written in place)."""

    __slots__ = ()
    saved_for = ()

    def forward(self, base, r, steps=()):
        self.saved = (base.shape, steps)
        return base  # the caller wrote r into base's memory: nothing left to compute

    def backward(self, g):
        shape, steps = self.saved
        xp = self.bk.xp
        region = region_positions(xp, shape, steps)
        g_base = None
        if self.needs[0]:
            g_base = g.reshape(-1).copy()
            g_base[region] = 0
            g_base = g_base.reshape(shape)
        g_r = g.reshape(-1)[region] if self.needs[1] else None
        return g_base, g_r

    def name(self) -> str:  # (renamed IndexPutBackward0 by x[index_arrays] = v: _tensor_inplace)
        cls = type(self)
        return cls.__name__ if "_op_class" in cls.__dict__ else "CopySlices"


def region_positions(xp, shape, steps):
    """The flat positions (in a C-ordered array of `shape`) of the view that `steps` makes."""
    n = 1
    for s in shape:
        n *= s
    pos = xp.arange(n).reshape(shape)
    for kind, p in steps:
        if kind in ("outputs", "no_grad", "custom"):  # (marks, not steps)
            continue
        if kind == "index":
            pos = pos[p]
        elif kind == "diagonal":
            pos = writable_diagonal(pos, *p)
        elif kind == "reshape":
            pos = pos.reshape(p)
        elif kind == "permute":
            pos = pos.transpose(p)
        elif kind == "strided":  # (a collapsed chain: view_steps._collapsed; pos is still the arange)
            size, stride, offset = p
            flat = pos.reshape(-1)[offset:]
            pos = xp.lib.stride_tricks.as_strided(flat, size, tuple(st * flat.itemsize for st in stride))
        else:
            pos = xp.broadcast_to(pos, p)
    return pos


_AS_STRIDED = []  # pyneuro/strided.py's AsStrided (register_as_strided), for collapsed view chains


def register_as_strided(cls) -> None:
    _AS_STRIDED[:] = [cls]


def replay_view(base, steps):
    """The view `steps` of base, recorded in the graph (the view's grad_fn after base changed)."""
    t = base
    for kind, p in steps:
        if kind in ("outputs", "no_grad", "custom"):  # (marks, not steps)
            continue
        if kind == "index":
            t = Index.apply(t, index=p, advanced=False)
        elif kind == "diagonal":
            t = Diagonal.apply(t, offset=p[0], d1=p[1], d2=p[2])
        elif kind == "reshape":
            t = Reshape.apply(t, shape=p)
        elif kind == "permute":
            t = Permute.apply(t, dims=p)
        elif kind == "strided":  # (a collapsed chain: pn.as_strided's op, registered from a layer above)
            t = _AS_STRIDED[0].apply(t, size=p[0], stride=p[1], storage_offset=p[2])
        else:
            t = Expand.apply(t, shape=p)
    return t


def mark_outputs(pieces, name: str) -> tuple:
    """pieces are the views one op returns together (split, chunk, unbind): torch refuses an
    in-place change of one of them (or of a view of one) that the graph would record, since
    their shared node cannot be rebased, and the use of one with grad mode on after any in-place
    change of its memory (refresh_view). The mark is a step that replaying the view skips."""
    for i, t in enumerate(pieces):
        if t._view is not None:
            base, steps, node = t._view
            if t._node is not None:  # (recorded: its use after an in-place change of its memory raises)
                node = MultiOutputView(t._vc[0])
            t._view = (base, steps + (("outputs", (name, i)),), node)
    return pieces


def check_no_grad_view(t) -> None:
    """torch's RuntimeError for an in-place change, with grad mode on, of a view made under
    no_grad() of a tensor that requires grad (whether the change should be recorded is ambiguous)."""
    if any(kind == "no_grad" for kind, _ in t._view[1]):
        raise RuntimeError(
            "A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given "
            "that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by "
            "moving both the view and the inplace either both inside the no_grad block (if you don't want "
            "the inplace to be tracked) or both outside (if you want the inplace to be tracked)."
        )


_CUSTOM_VIEW = object()  # view[2] of a custom_view: never its base's node, so each use re-checks it


def custom_view(result, src, name: str, slot: int, n: int) -> None:
    """result, output `slot` of the n of the custom Function `name`, is the input src as forward
    returned it, or a view of src: torch's view made inside a custom Function. It shares src's
    memory and version; a recorded in-place change of it raises (check_multi_output), and so does
    its use after an in-place change of its memory (refresh_view: torch's regenerated view would
    bypass the Function's backward)."""
    base = src._view[0] if src._view is not None else src
    marks = (("custom", (name, slot, src._vc[0])),) + ((("outputs", (name, slot)),) if n > 1 else ())
    result._vc = src._vc
    result._view = (base, marks, _CUSTOM_VIEW)


_MULTI_TAIL = (
    "This view is the output of a function that returns multiple views. Such functions do not allow the "
    "output views to be modified inplace. You should replace the inplace operation by an out-of-place one."
)
_CUSTOM_TAIL = (
    "This view was created inside a custom Function (or because an input was returned as-is) and the "
    "autograd logic to handle view+inplace would override the custom backward associated with the custom "
    "Function, leading to incorrect gradients. This behavior is forbidden. You can fix this by cloning the "
    "output of the custom Function."
)


def check_multi_output(t) -> None:
    """torch's RuntimeError for an in-place change, recorded in the graph, of a view that one of
    mark_outputs' pieces is (or descends from), or a custom Function's view output (custom_view)."""
    steps = t._view[1]
    marks = [p for kind, p in steps if kind == "outputs"]
    if not marks:
        made = [p for kind, p in steps if kind == "custom"]
        if made:
            name, i = made[-1][:2] if steps[-1][0] == "custom" else (_last_view_op(t), 0)
            raise RuntimeError(
                f"Output {i} of {name} is a view and is being modified inplace. {_CUSTOM_TAIL}"
            )
        return
    if steps[-1][0] == "outputs":
        name, i = marks[-1]
    else:  # a view of a piece: torch names the last view op (x.split(2)[0][1:]: "Output 0 of Slice")
        name, i = _last_view_op(t), 0
    raise RuntimeError(f"Output {i} of {name} is a view and is being modified inplace. {_MULTI_TAIL}")


def _last_view_op(t) -> str:
    node = t._node
    return (node.name() if node is not None else "View").split("Backward")[0]


def rebase(t, result) -> None:
    """t was overwritten in place with result's values: t becomes result in the graph.

    result is the out-of-place op's output (a temporary); a node that saved it for backward
    now watches t's version instead. If t is a view, its base is rebased onto CopySlices and
    t's own grad_fn becomes the view of the new base.
    """
    node = result._node
    if node.versions:
        node.versions = tuple(
            (t._vc, t._vc[0], arr, prod) if counter is result._vc else (counter, v, arr, prod)
            for counter, v, arr, prod in node.versions
        )
    if t._view is None:
        t._node = node
        t._req = True
        return
    base, steps, _ = t._view
    rebase_region(base, steps, result)
    refresh_view(t)


def watch_result(node, t) -> None:
    """node, an in-place op's, is torch's node that saves its result (elu_, leaky_relu_ and the
    ones made of them: they differentiate from the output, the input being gone): backward through
    it checks t's version as it is now, so a later in-place change of t raises, as torch's."""
    if node is not None:
        node.versions = (*node.versions, (t._vc, t._vc[0], t._data, node))


def refresh_view(t) -> None:
    """t is a view whose base got a new grad_fn (an in-place op on the base or on another view
    of it): t's grad_fn becomes the view of the new base, as torch regenerates it (named as
    torch's regenerated node, AsStridedBackward0, whichever view it was)."""
    base, steps, _ = t._view
    if t._view[2] is _CUSTOM_VIEW:  # (its grad_fn stays the Function's, until its memory changes)
        name, i, version = next(p for kind, p in steps if kind == "custom")
        if t._vc[0] != version:
            tail = _MULTI_TAIL if steps[-1][0] == "outputs" else _CUSTOM_TAIL
            raise RuntimeError(
                f"Output {i} of {name} is a view and its base or another view of its base has been modified "
                f"inplace. {tail}"
            )
        return
    if type(t._view[2]) is MultiOutputView:  # (its grad_fn stays the piece's, until its memory changes)
        if t._vc[0] != t._view[2].version:
            name, i = [p for kind, p in steps if kind == "outputs"][-1]
            if steps[-1][0] != "outputs":  # a view of a piece: torch names the last view op
                name, i = _last_view_op(t), 0
            raise RuntimeError(
                f"Output {i} of {name} is a view and its base or another view of its base has been modified "
                f"inplace. {_MULTI_TAIL}"
            )
        return
    node = None
    if base._req:
        r = replay_view(base, steps)
        node = (renamed(r, "AsStridedBackward0") if r is not base else r)._node
    t._node = node
    t._req = base._req
    t._view = (base, steps, base._node)


_register_view_refresh(refresh_view)


def write_region(t, steps, r) -> None:
    """t's region `steps` now holds r's values: t (or, if t is a view, its base) becomes CopySlices.

    A view shares its base's memory, so the base changed too: the base is rebased with the
    view's own steps in front, and the view's grad_fn is re-derived from it, as `rebase` does.
    """
    if t._view is None:
        rebase_region(t, steps, r)
        return
    base, view_steps, _ = t._view
    rebase_region(base, view_steps + steps, r)
    refresh_view(t)


def rebase_region(base, steps, r) -> None:
    """base's region `steps` now holds r's values (written by the caller): base' = CopySlices(base, r)."""
    old = _wrap(base._data, base.device, base._node, base._req)
    base._node = CopySlices.apply(old, r, steps=steps)._node
    base._req = True


def before(t, keep_values: bool):
    """t as it is before an in-place op, as that op's input: its graph position and (when
    the op's backward reads them) a copy of its values, which the op is about to overwrite."""
    data = t._data.copy() if keep_values else t._data
    return _wrap(data, t.device, t._node, t._req)

"""How a view remembers where it came from: its base, and the steps from the base to it (ViewSteps),
which an in-place change of the base or of another view replays to make the view again
(_tensor_base's _VIEW_REFRESH), and the marks of torch's rules for views made under no_grad().
Function.apply links each view op's output here (link_view)."""

from __future__ import annotations

import numpy as _np

from .._memory_spans import address
from .._tensor_base import KEEPS_REQUIRES_GRAD, TensorBase
from .grad_mode import _GradMode


class ViewSteps:
    """The steps from a view's base to the view, as a persistent list: each view adds its step to
    its parent's list without copying it, so a chain of n views (y = y.view(...) in a loop) costs
    O(n), where a tuple per view cost O(n^2) time and memory. Iterates as (kind, params) pairs."""

    __slots__ = ("parent", "step", "size")

    def __init__(self, parent=None, step=None):
        self.parent, self.step = parent, step
        self.size = 0 if parent is None else parent.size + 1

    def __add__(self, more):
        out = self
        for step in more:
            out = ViewSteps(out, step)
        return out

    def __iter__(self):
        steps, node = [], self
        while node.size:
            steps.append(node.step)
            node = node.parent
        return reversed(steps)

    def __len__(self):
        return self.size

    def __getitem__(self, i):
        return self.step if i == -1 and self.size else tuple(self)[i]


NO_STEPS = ViewSteps()
_MAX_STEPS = 16  # a longer chain is collapsed into one as_strided step (_collapsed)


def _collapsed(base, out, steps):
    """A chain of more than _MAX_STEPS steps as one ("strided", (size, stride, offset)) step into
    base's memory, its marks kept (torch replays a view of a view by as_strided too): x = x.view(...)
    in a loop keeps a few steps, where it kept one per iteration and replayed them all at each
    in-place op. Unchanged unless base owns a C-ordered block (whose flat positions are its elements)."""
    b, a = base._data, out._data
    if (
        type(b) is not _np.ndarray
        or type(a) is not _np.ndarray
        or b.base is not None
        or not b.flags.c_contiguous
    ):
        return steps
    start = address(a) - address(b)
    if start % b.itemsize or any(s < 0 or s % b.itemsize for s in a.strides):
        return steps
    geometry = (a.shape, tuple(s // b.itemsize for s in a.strides), start // b.itemsize)
    steps = tuple(steps)
    last = steps[-1:] if steps[-1][0] == "outputs" else ()  # (its position names the error's op)
    marks = [st for st in steps if st[0] == "no_grad"][-1:] + [st for st in steps[:-1] if st[0] == "outputs"][
        -1:
    ]  # (the last no_grad mark: the version its view was made at)
    return NO_STEPS + (*marks, ("strided", geometry), *last)


class MultiOutputView:
    """view[2] of a piece of split/chunk/unbind (or a view of one) of a tensor that requires grad:
    never its base's node, so each use with grad mode on checks, as torch's, that its memory kept
    the version the piece was made at (inplace.refresh_view)."""

    __slots__ = ("version",)

    def __init__(self, version: int) -> None:
        self.version = version


KEEPS_REQUIRES_GRAD.add(MultiOutputView)


def no_grad_view_leaf(t) -> bool:
    """Is t a view made under no_grad() of a tensor that requires grad, and still a leaf? torch's such
    view requires grad but has no AccumulateGrad: a backward through it stores no .grad."""
    view = t._view
    return view is not None and t._node is None and any(kind == "no_grad" for kind, _ in view[1])


def check_no_grad_view_use(t) -> None:
    """torch's RuntimeError when such a view (no_grad_view_leaf) goes into an op with grad mode on
    after an in-place change of its memory (of the view, its base or another view, in any mode): its
    gradient's path is ambiguous. Unchanged, it is a leaf whose gradient no one stores."""
    made_at = [version for kind, version in t._view[1] if kind == "no_grad"]
    if made_at and made_at[-1] != t._vc[0]:
        raise RuntimeError(
            "A view was created in no_grad mode and its base or another view of its base has been modified "
            "inplace with grad mode enabled. Given that this use case is ambiguous and error-prone, it is "
            "forbidden. You can clarify your code by moving both the view and the inplace either both inside "
            "the no_grad block (if you don't want the inplace to be tracked) or both outside (if you want the "
            "inplace to be tracked)."
        )


def link_view(node, a, out, params) -> None:
    """Make out a view of a (shared version counter, base and replay steps) if it shares a's memory."""
    if not isinstance(a, TensorBase):
        return
    step = node.view_step(a._data, out._data, **params)
    if step is None:
        return
    out._vc = a._vc
    base, steps = (a._view[0], a._view[1]) if a._view is not None else (a, NO_STEPS)
    if not _GradMode.enabled and base._req:  # (torch refuses to change it in place with grad mode on)
        steps += (("no_grad", a._vc[0]),)  # (the version it was made at: check_no_grad_view_use)
        out._req = True  # torch's view made under no_grad: a leaf that requires grad, as its base
    steps = steps + (step,)
    if len(steps) > _MAX_STEPS:
        steps = _collapsed(base, out, steps)
    made = base._node  # the base's grad_fn this view was derived from
    if a._view is not None and type(a._view[2]) is MultiOutputView:  # a view of a piece: as the piece
        made = a._view[2]
    out._view = (base, steps, made)

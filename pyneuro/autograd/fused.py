"""Fused ops: where Python meets the compiled kernels (matmul, linear, relu, softmax,
log_softmax, cross-entropy, mse, embedding).

Each forward/backward here is one or two calls into the kernel table (`self.bk`, found by
pyneuro.backends.table_for): the C++ extension, Numba, NumPy, or CUDA, with the same
signatures. See docs/DESIGN.md, "The backward walk" for the walk from loss.backward() to the C++ kernel.
"""

from __future__ import annotations

import math
import weakref

import numpy as _np

from .._dtype import torch_name as _torch_name
from .._shapes import broadcast_shapes as _broadcast_shapes
from .._shapes import c_order
from .._shapes import one_dim as _one_dim
from .._shapes import prod as _prod
from ..backends import _checks
from . import hooks as _hooks
from .function import Function, MaskedGrad, ShapeError, SliceGrad, _scatter_add, _unbroadcast
from .grad_mode import _GradMode
from .shown import ShownNode

# ----------------------------------------------------------------------------- kernel-table ops


# (a's ndim, b's ndim), 3 for any batched one: the operands torch's matmul saves as themselves
_MATMUL_FOLLOWS = {
    (1, 1): (0, 1),
    (1, 2): (1,),
    (1, 3): (0,),
    (2, 1): (0, 1),
    (2, 2): (0, 1),
    (2, 3): (),
    (3, 1): (1,),
    (3, 2): (1,),
    (3, 3): (),
}


class MatMul(Function):
    """out = a @ b with PyTorch's rules for 1-D, 2-D and batched operands.

    Every product, forward and backward, is one call of the backend's 2-D matmul kernel
    with transpose flags, so no operand is ever transposed into a copy:
        C = A @ B      ->  dA = dC @ B^T  = matmul(dC, B, trans_b=True)
                           dB = A^T @ dC  = matmul(A, dC, trans_a=True)
    1-D operands become one-row/one-column matrices; an (..., M, K) @ (K, N) product folds
    the batch into the rows (one big GEMM); a batched (B, M, K) @ (B, K, N) is one call of the
    table's matmul_batched where it has one (a loop over B otherwise).
    """

    __slots__ = ()
    saved_for = ((1,), (0,))

    @property
    def follows_data(self):
        """The operands whose `t.data = other` backward sees: those torch's matmul hands to its
        mm/mv/dot node as they are; the others it first views (unsqueezed, expanded, folded), and
        its node saves that view of the old memory. bmm saves both."""
        if type(self).__name__ == "BmmBackward0":
            return (0, 1)
        return _MATMUL_FOLLOWS[min(self.inputs[0].ndim, 3), min(self.inputs[1].ndim, 3)]

    def forward(self, a, b):
        bk = self.kernels(a)
        _checks.tensor_matmul_shapes(a.shape, b.shape)
        if a.ndim == 2 and b.ndim == 2:  # the common case: one kernel call
            self.saved = (a, b, None)
            return bk.matmul(a, b)
        out_shape = None
        a2, b2 = _as_matrices(a, b)
        if b2.ndim == 2:  # (..., M, K) @ (K, N): fold the batch into rows
            lead = (1,) if a.ndim == 1 else a.shape[:-1]
            out = bk.matmul(a2, b2)
            out_shape = lead + (b2.shape[1],)
            if a.ndim == 1:
                out_shape = out_shape[1:]
            if b.ndim == 1:
                out_shape = out_shape[:-1]
            self.saved = (a, b, ("fold", a.shape, b.shape))  # (the inputs: what backward reads, as torch's)
            return out.reshape(out_shape)
        # batched: broadcast the batch dims, one batched product over them
        xp = bk.xp
        batch = _broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        a3 = _batched(xp, a2, batch)
        b3 = _batched(xp, b2, batch)
        out = _bmm(bk, a3, b3)
        out = out.reshape(batch + out.shape[-2:])
        self.saved = (a, b, ("batch", a.shape, b.shape, a2.shape, b2.shape, batch))
        if a.ndim == 1:
            out = out.reshape(out.shape[:-2] + out.shape[-1:])
        if b.ndim == 1:
            out = out.reshape(out.shape[:-1])
        return out

    def backward(self, g):
        bk = self.bk
        a, b, how = self.saved
        if how is None:
            return (
                bk.matmul(g, b, trans_b=True) if self.needs[0] else None,
                bk.matmul(a, g, trans_a=True) if self.needs[1] else None,
            )
        a, b = _as_matrices(a, b)  # (the inputs' values now: torch's node reads the tensors it saved)
        if how[0] == "fold":
            _, sa, sb = how
            g2 = g.reshape(a.shape[0], b.shape[1])
            ga = bk.matmul(g2, b, trans_b=True).reshape(sa) if self.needs[0] else None
            gb = bk.matmul(a, g2, trans_a=True).reshape(sb) if self.needs[1] else None
            return ga, gb
        _, sa, sb, sa2, sb2, batch = how
        xp = bk.xp
        a, b = _batched(xp, a, batch), _batched(xp, b, batch)
        n = a.shape[0]
        g3 = xp.ascontiguousarray(g.reshape((n, a.shape[1], b.shape[2])))
        ga = gb = None
        if self.needs[0]:
            ga = _bmm(bk, g3, b, trans_b=True).reshape(batch + sa2[-2:])
            ga = _unbroadcast(ga, sa2).reshape(sa)
        if self.needs[1]:
            gb = _bmm(bk, a, g3, trans_a=True).reshape(batch + sb2[-2:])
            gb = _unbroadcast(gb, sb2).reshape(sb)
        return ga, gb


def _as_matrices(a, b):
    """a and b as matmul's kernels take them: a vector a as one row, b as one column; a's batch dims
    folded into its rows where b is a matrix."""
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b
    if b2.ndim == 2:
        a2 = a2.reshape(math.prod(a2.shape[:-1]), a2.shape[-1])  # not -1: ambiguous when K == 0
    return a2, b2


_SHOWN_EDGES = weakref.WeakKeyDictionary()  # Linear node -> its next_functions, made once


def _linear_edges(name: str, edges: tuple) -> tuple:
    """torch's edges under a linear node called `name`, from pyneuro's (input, weight[, bias])."""

    def node(kind, *inner):
        return (ShownNode(kind, *inner), 0)

    x, w = edges[0], edges[1]
    b = edges[2] if len(edges) == 3 else None
    t = node("TBackward0", w)
    if name == "AddmmBackward0" and b is not None:
        return (b, x, t)
    if name == "MmBackward0" and b is None:
        return (x, t)
    if name == "ViewBackward0" and b is not None:  # a contiguous input of 1 or 3+ dims
        return (node("AddmmBackward0", b, node("ViewBackward0", x), t),)
    if name == "UnsafeViewBackward0" and b is None:
        return (node("MmBackward0", node("ViewBackward0", x), t),)
    if name == "SqueezeBackward4" and b is None:  # a 1-D input
        return (node("MmBackward0", node("UnsqueezeBackward0", x), t),)
    if name == "AddBackward0" and b is not None:  # another layout: matmul (a copy of the input), then + bias
        copied = node("UnsafeViewBackward0", node("CloneBackward0", x))
        return (node("UnsafeViewBackward0", node("MmBackward0", copied, t)), b)
    return edges[2:] + edges[:2] if b is not None else edges


def _bmm(bk, a, b, trans_a=False, trans_b=False):
    """op(a[i]) @ op(b[i]) for every matrix of two (B, R, C) stacks: one call where the table has
    matmul_batched (cpu, numpy), else one matmul call per matrix (numba, cuda, cupy)."""
    m, n = a.shape[2 if trans_a else 1], b.shape[1 if trans_b else 2]
    if not (a.size and b.size):  # an empty batch, matrix or inner dim: zeros, without a loop over the batch
        return bk.xp.zeros((a.shape[0], m, n), dtype=a.dtype)
    if hasattr(bk, "matmul_batched"):
        return bk.matmul_batched(a, b, trans_a, trans_b)
    return bk.xp.stack([bk.matmul(a[i], b[i], trans_a=trans_a, trans_b=trans_b) for i in range(a.shape[0])])


def _batched(xp, x, batch):
    """x (..., R, C) as a C-contiguous, writable (B, R, C) stack over the broadcast batch dims."""
    if x.shape[:-2] != batch:
        x = xp.broadcast_to(x, batch + x.shape[-2:])
    x = x.reshape((math.prod(batch),) + x.shape[-2:])  # not -1: a zero-size matrix leaves it ambiguous
    return (
        x
        if x.flags.c_contiguous and getattr(x.flags, "writeable", True)
        else xp.array(x, copy=True, order="C")
    )


class Linear(Function):
    """y = x @ W^T + b, the fully connected layer, as two fused kernels.

    forward:  y  = matmul(x, W, trans_b=True)      # W is (out, in): no transposed copy
              y  = bias_add(y, b)                  # one pass adding b to every row
              (one call, matmul_bias, where the table has it: the bias is added to each
              tile of y as the GEMM finishes it, with no second pass)
    backward: dx = matmul(dy, W)                   # (N, out) @ (out, in)
              dW = matmul(dy, x, trans_a=True)     # dy^T @ x, (out, in)
              db = bias_grad(dy)                   # column sums of dy
    Inputs of more than 2 dims are folded to (rows, in) first (a view, not a copy).

    Two fusions with a ReLU next to it, each saving the ReLU node's own pass over its array:
    relu=True (linear_relu below: nn.Sequential's Linear then ReLU) applies max(y, 0) in the
    same epilogue; and where x is a ReLU's output, dx comes back zeroed where x <= 0 (the
    table's matmul_relu_mask) as a MaskedGrad, which that ReLU passes on (_masks_for below).
    """

    __slots__ = ()
    saved_for = ((1,), (0,), ())  # x is read for W's gradient, W for x's
    follows_data = (0,)  # (torch's node saves weight.t(), a view of the weight's memory: `w.data =` unseen)

    @property
    def next_functions(self):
        """The edges of torch's graph for F.linear (its nodes named as autograd/names.py names
        this one): addmm(bias, input, weight.t()) lists the bias first and reaches the weight
        through a TBackward0; a 3-D input is viewed to 2-D and back around the addmm (or mm)."""
        shown = _SHOWN_EDGES.get(self)
        if shown is None:
            shown = _SHOWN_EDGES[self] = _linear_edges(self.name(), Function.next_functions.fget(self))
        return shown

    def saved_tensors(self):
        """x is not watched where forward folded a copy of it (an input of more than 2 dims that no
        view makes 2-D: batch_first's transposed sequence in nn.MultiheadAttention): torch's matmul
        saves that copy, so an in-place change of x after the op is no error there."""
        if len(self.saved[2]) > 2 and not self.bk.xp.may_share_memory(self.saved[0], self.inputs[0]._data):
            return ((), (0,), ()), False
        return self.saved_for, False

    def forward(self, x, w, b=None, relu=False):
        bk = self.kernels(x)
        in_features = w.shape[1] if w.ndim == 2 else None
        if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != in_features:
            raise ShapeError(
                f"linear: input of shape {tuple(x.shape)} does not match weight of shape "
                f"{tuple(w.shape)} (expected the last input dimension to be {in_features})"
            )
        if b is not None and (b.ndim != 1 or b.shape[0] != w.shape[0]):
            raise ShapeError(
                f"linear: bias of shape {tuple(b.shape)} does not match weight of shape {tuple(w.shape)}"
            )
        x2 = (
            x if x.ndim == 2 else x.reshape(_prod(x.shape[:-1]), in_features)
        )  # (not -1: in_features may be 0)
        if relu and hasattr(bk, "matmul_bias_relu"):
            y = bk.matmul_bias_relu(x2, w, b, trans_b=True)  # bias and ReLU in the epilogue
        else:
            if b is None:
                y = bk.matmul(x2, w, trans_b=True)
            elif hasattr(bk, "matmul_bias"):
                y = bk.matmul_bias(x2, w, b, trans_b=True)  # the bias added in the GEMM's epilogue
            else:
                y = bk.bias_add(bk.matmul(x2, w, trans_b=True), b)
            if relu:  # (a table without the fusion: the ReLU's own pass)
                y = bk.relu_forward(y)
        self.saved = (x2, w, x.shape)
        return y if x.ndim == 2 else y.reshape(x.shape[:-1] + (w.shape[0],))

    def backward(self, g):
        bk = self.bk
        x2, w, xshape = self.saved
        g2 = g if g.ndim == 2 else g.reshape(_prod(g.shape[:-1]), w.shape[0])
        gx = gw = gb = None
        if self.needs[0]:
            if self._masks_for(x2, xshape):
                gx = MaskedGrad(bk.matmul_relu_mask(g2, w, x2))
            else:
                gx = bk.matmul(g2, w)
                if len(xshape) != 2:
                    gx = gx.reshape(xshape)
        if self.needs[1]:
            gw = bk.matmul(g2, x2, trans_a=True)
        if len(self.needs) > 2 and self.needs[2]:
            gb = bk.bias_grad(g2)
        return gx, gw, gb

    def _masks_for(self, x2, xshape) -> bool:
        """May dx come back masked by the ReLU whose output x is? Yes when the ReLU node made x
        (its saved output is x2 itself) and nothing but that node will see dx: no tensor or node
        hook exists (a hook on x must see the unmasked gradient), x does not keep its .grad
        (retain_grad, or autograd.grad asking for x). The engine's walk does the rest: a second
        gradient of x is summed with dx.dense(), unmasked, and the ReLU masks the sum."""
        relu = self.nexts[0]
        return (
            type(relu) is ReLU
            and len(xshape) == 2
            and relu.saved
            and relu.saved[0] is x2
            and hasattr(self.bk, "matmul_relu_mask")
            and not self.inputs[0]._retain
            and not (_hooks.by_node or _hooks.node_pre or _hooks.node_post)
        )


class ReLU(Function):
    """y = max(x, 0) with the backend's relu kernels; backward masks by y > 0."""

    __slots__ = ()
    saved_for = ()
    saves_output = True

    def forward(self, x, applied=False):
        if applied:  # linear_relu: x is max(y, 0) already, from Linear's epilogue
            self.kernels(x)  # (the table for x's dtype, which an unmasked backward's relu_backward needs)
            self.saved = (x,)
            return x
        if x.dtype.kind == "b":
            raise RuntimeError("Boolean inputs not supported for relu")
        if x.dtype.kind in "iu":  # torch's relu takes integer tensors too (which have no gradient)
            return self.bk.xp.maximum(x, x.dtype.type(0))
        y = self.kernels(x).relu_forward(x)
        self.saved = (y,)
        return y

    def backward(self, g):
        if type(g) is MaskedGrad:  # masked by the Linear that read this output (Linear._masks_for)
            return (g.values,)
        return (self.bk.relu_backward(g, self.saved[0]),)

    def name(self) -> str:
        return "ReluBackward0"  # torch's name


def linear_relu(x, w, b=None):
    """relu(linear(x, w, b)), what nn.Sequential runs for a Linear followed by a ReLU: the same
    two nodes (AddmmBackward0, ReluBackward0) and bits as the two calls, with the ReLU applied
    in the matmul's epilogue (matmul_bias_relu) instead of a second pass over y. The tensor
    between the two is never seen by anyone: it shares the ReLU's output array."""
    y = Linear.apply(x, w, relu=True) if b is None else Linear.apply(x, w, b, relu=True)
    return ReLU.apply(y, applied=True)


def _rows(x, dim):
    """View x as 2-D (rows, n) with `dim` last; returns (x2, undo) where undo maps back."""
    ndim = x.ndim
    d = _one_dim(dim, ndim)
    if ndim == 0:
        return x.reshape(1, 1), lambda y: y.reshape(())
    if d == ndim - 1:
        if ndim == 2:
            return x, None
        shape = x.shape
        return x.reshape(_prod(shape[:-1]), shape[-1]), lambda y: y.reshape(shape)
    moved = x.swapaxes(d, -1)
    mshape = moved.shape
    return moved.reshape(_prod(mshape[:-1]), mshape[-1]), lambda y: c_order(y.reshape(mshape).swapaxes(d, -1))


def _need_float(x, op: str, dim) -> None:
    """torch has no integer softmax: NotImplementedError in torch's words (Tensor.softmax,
    F.softmax and the log_softmax forms all reach the two Functions below)."""
    if x.dtype.kind != "f":
        dim = _one_dim(dim, max(x.ndim, 1))  # (a dim out of range first: torch's IndexError)
        kernel = f"{op}_lastdim_kernel_impl" if x.ndim == 0 or dim == x.ndim - 1 else f"{op}_kernel_impl"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_torch_name(x.dtype)}'")


class Softmax(Function):
    """y = softmax(x) along dim with the backend's fused kernels (forward and backward)."""

    __slots__ = ()
    saved_for = ()
    saves_output = True

    def forward(self, x, dim=-1):
        _need_float(x, "softmax", dim)
        x2, undo = _rows(x, dim)
        y2 = self.kernels(x2).softmax_forward(x2) if x2.size else x2.copy()  # (no loop over empty rows)
        out = y2 if undo is None else undo(y2)
        self.saved = (out, dim)  # (the output itself: backward reads its values then, as torch's result)
        return out

    def backward(self, g):
        out, dim = self.saved
        y2 = _rows(out, dim)[0]
        g2, undo = _rows(g, dim)
        gx = self.bk.softmax_backward(g2, y2) if g2.size else g2.copy()
        return (gx if undo is None else undo(gx),)


class LogSoftmax(Function):
    """y = log_softmax(x) along dim with the backend's fused kernels."""

    __slots__ = ()
    saved_for = ()
    saves_output = True

    def forward(self, x, dim=-1):
        _need_float(x, "log_softmax", dim)
        x2, undo = _rows(x, dim)
        y2 = self.kernels(x2).log_softmax_forward(x2) if x2.size else x2.copy()
        out = y2 if undo is None else undo(y2)
        self.saved = (out, dim)  # (the output itself: backward reads its values then, as torch's result)
        return out

    def backward(self, g):
        out, dim = self.saved
        y2 = _rows(out, dim)[0]
        g2, undo = _rows(g, dim)
        gx = self.bk.log_softmax_backward(g2, y2) if g2.size else g2.copy()
        return (gx if undo is None else undo(gx),)


class CrossEntropy(Function):
    """Mean/sum/per-sample cross-entropy of logits (N, C) and class targets (N,), fused.

    forward:  losses = cross_entropy_forward(logits, targets)   # logsumexp - logit[target]
              then the reduction ('mean' divides the sum by N)
    backward: dlogits = cross_entropy_backward(logits, targets, dlosses)
                      = (softmax(logits) - onehot(targets)) * dlosses[:, None]
    For 'mean' and 'sum' a table with the batch-loss pair (cross_entropy_reduced,
    cross_entropy_backward_scaled) does the reduction, and the backward's dlosses (all equal),
    inside the kernel call: no (N,) array and no NumPy reduction per step, which in a training
    step, with caches cold from the matmuls, cost ~20 us of a ~700 us step (784-256-10, batch
    128: bench/results/step_ab.md, "loss reduced by NumPy").
    with_grad (F.cross_entropy passes it when the logits require grad, grad mode on): a table
    with cross_entropy_reduced_grad also computes dlogits for a gradient of 1, in the same
    call, and keeps it as saved[3]; a backward from 1 (loss.backward()) returns it once and a
    later one computes again. The same bits, one kernel call and its checks fewer per step.
    """

    __slots__ = ()
    saved_for = ((0,), (0,))  # the logits and the targets
    index_inputs = (1,)

    @property
    def next_functions(self):
        """torch's cross_entropy is log_softmax then nll_loss: its edge reaches the logits through
        a LogSoftmaxBackward0."""
        shown = _SHOWN_EDGES.get(self)
        if shown is None:
            shown = _SHOWN_EDGES[self] = (
                (ShownNode("LogSoftmaxBackward0", *Function.next_functions.fget(self)), 0),
            )
        return shown

    def forward(self, logits, targets, reduction="mean", with_grad=False):
        bk = self.kernels(logits)
        self.saved = (logits, targets, reduction)
        # with_grad: the gradient for a unit g is made now and kept (saved[3]), as torch's node
        # keeps log_softmax's result: backward scales it, whatever the logits hold by then
        grad = with_grad and _GradMode.enabled
        if reduction == "none":
            losses = bk.cross_entropy_forward(logits, targets)
            if grad:
                unit = bk.xp.ones(logits.shape[:1], dtype=logits.dtype)
                self.saved = (logits, targets, reduction, bk.cross_entropy_backward(logits, targets, unit))
            return losses
        if grad and hasattr(bk, "cross_entropy_reduced_grad"):
            loss, dlogits = bk.cross_entropy_reduced_grad(logits, targets, reduction == "mean")
            self.saved = (logits, targets, reduction, dlogits)
            return loss
        if hasattr(bk, "cross_entropy_reduced"):
            loss = bk.cross_entropy_reduced(logits, targets, reduction == "mean")
        else:
            total = bk.cross_entropy_forward(logits, targets).sum()
            n = logits.shape[0]
            loss = total if reduction == "sum" else total / n if n else total * float("nan")
        if grad:
            self.saved = (logits, targets, reduction, self._unit_grad(logits, targets, reduction))
        return loss

    def _unit_grad(self, logits, targets, reduction):
        n = logits.shape[0]
        scale = 1 / n if reduction == "mean" and n else 1.0
        if hasattr(self.bk, "cross_entropy_backward_scaled"):
            return self.bk.cross_entropy_backward_scaled(logits, targets, scale)
        return self.bk.cross_entropy_backward(
            logits, targets, self.bk.xp.full((n,), scale, dtype=logits.dtype)
        )

    def check_versions(self):
        """torch's cross_entropy saves log_softmax's result (and the targets), not the logits: the
        logits changed in place after forward are no error there, and its gradient is the forward's.
        So here where forward kept that gradient (saved[3]): only the targets are checked; otherwise
        torch's error (the logits' values at forward are gone)."""
        (counter, version, _, _), *others = self.versions
        if counter[0] != version and len(self.saved) == 4:
            self.versions = tuple(others)
        super().check_versions()

    def backward(self, g):
        logits, targets, reduction = self.saved[:3]
        bk = self.bk
        if len(self.saved) == 4:  # forward's gradient for a unit g
            unit = self.saved[3]
            if reduction == "none":
                return unit * g.reshape(-1, 1).astype(unit.dtype, copy=False), None
            if not isinstance(g, (_np.ndarray, _np.generic)):  # a device g stays there (no copy to the host)
                return unit * g.astype(unit.dtype, copy=False), None
            if float(g) == 1.0:  # handed over as it is (the caller's now: a second backward computes anew)
                self.saved = self.saved[:3]
                return unit, None
            return unit * unit.dtype.type(float(g)), None
        if reduction == "none":
            return bk.cross_entropy_backward(logits, targets, g), None
        n = logits.shape[0]
        mean = reduction == "mean" and n
        if hasattr(bk, "cross_entropy_backward_scaled"):  # one gradient for every row
            scale = float(g)  # (a double quotient rounded once: the bits of a float32 g / n)
            return bk.cross_entropy_backward_scaled(logits, targets, scale / n if mean else scale), None
        grad_losses = bk.xp.empty((n,), dtype=logits.dtype)
        grad_losses[...] = g / n if mean else g
        return bk.cross_entropy_backward(logits, targets, grad_losses), None


class MSE(Function):
    """Mean (or sum, or per-element) squared error; backward 2 (a - b) * g / n, from a and b as they
    are at backward (torch's node saves both: a .data change between forward and backward counts)."""

    __slots__ = ()
    saved_for = ((0, 1), (0, 1))  # as torch, which saves both

    def forward(self, a, b, reduction="mean"):
        d = a - b
        self.saved = (a, b, reduction)
        sq = d * d
        if reduction == "none":
            return sq
        total = sq.sum()
        return total if reduction == "sum" else total / max(sq.size, 1) if sq.size else total * float("nan")

    def backward(self, g):
        a, b, reduction = self.saved
        d = a - b
        scale = g * 2 if reduction != "mean" else g * (2 / max(d.size, 1))
        gd = d * scale
        return (gd if self.needs[0] else None, -gd if self.needs[1] else None)


class EmbeddingLookup(Function):
    """out[...] = weight[indices[...]] (a row gather); backward scatter-adds rows of grad."""

    __slots__ = ()
    saved_for = ((), (0,))  # the indices
    index_inputs = (1,)

    def forward(self, weight, indices, padding_idx=None, sparse=False):
        self.saved = (weight.shape, indices, padding_idx, sparse)
        return self.bk.xp.take(weight, indices, axis=0)

    def backward(self, g):
        shape, indices, padding_idx, sparse = self.saved
        xp = self.bk.xp
        if sparse:  # torch's sparse gradient: one entry per looked-up row, none for padding_idx
            rows, values = indices.reshape(-1), g.reshape(-1, shape[1])
            if padding_idx is not None:  # (positions found on the host: a device array takes gathers only)
                host = _np.asarray(self.bk.to_numpy(rows))
                keep = self.bk.asarray(_np.flatnonzero(host != padding_idx))
                rows, values = xp.take(rows, keep), xp.take(values, keep, axis=0)
            else:
                values = values.copy()  # (its own memory: .grad keeps it)
            return SparseRowsGrad(xp, shape, rows.astype("int64"), values), None
        gw = xp.zeros(shape, dtype=g.dtype)
        _scatter_add(xp, gw, indices.reshape(-1), g.reshape(-1, shape[1]))
        if padding_idx is not None:
            gw[padding_idx] = 0
        return gw, None


class SparseRowsGrad(SliceGrad):
    """The gradient of an Embedding(sparse=True) lookup with respect to its weight (V, D): rows
    `rows` (nnz,) of values (nnz, D), repeated rows adding up -- torch's sparse COO gradient,
    uncoalesced. The engine stores it in a leaf weight's .grad as a sparse tensor; anything else
    (a non-leaf weight, a sum with a dense gradient) sees its dense form or adds it in place."""

    __slots__ = ()

    def __init__(self, xp, shape, rows, values):
        self.xp, self.shape, self.index, self.values = xp, tuple(shape), rows, values

    def dense(self):
        out = self.xp.zeros(self.shape, dtype=self.values.dtype)
        _scatter_add(self.xp, out, self.index, self.values)
        return out

    def add_into(self, out) -> bool:
        if getattr(out, "dtype", None) != self.values.dtype or getattr(out, "shape", None) != self.shape:
            return False
        if not getattr(getattr(out, "flags", None), "writeable", True):
            return False
        _scatter_add(self.xp, out, self.index, self.values)
        return True

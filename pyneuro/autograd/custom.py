"""Custom autograd Functions written as in PyTorch: static forward(ctx, ...) and backward(ctx, ...).

    class MyReLU(pn.autograd.Function):
        @staticmethod
        def forward(ctx, x):                 # tensors in, a tensor out (grad mode off inside)
            ctx.save_for_backward(x)
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, grad):             # one gradient per input of forward (None: none)
            (x,) = ctx.saved_tensors
            return grad * (x > 0).float()

    y = MyReLU.apply(x)                      # y.grad_fn is a MyReLUBackward

`Function.apply` sends a subclass whose `forward` is a staticmethod here (pyneuro's own ops
define forward(self, *arrays) on backend arrays instead, function.py). The node of the graph
is a `_CtxNode`, and it is also the `ctx` both methods receive, as in torch: attributes set on
ctx in forward are there in backward. What torch's ctx offers: save_for_backward /
saved_tensors (checked against in-place changes, freed after backward), needs_input_grad,
mark_non_differentiable, set_materialize_grads; the setup_context(ctx, inputs, output) form;
`once_differentiable` (function.py); double backward, when the backward is written in
differentiable ops. Not supported: more than one tensor output and mark_dirty (forward that
changes an input in place); each raises NotImplementedError.
"""

from __future__ import annotations

from .._tensor_base import TensorBase, _wrap
from ..backends._registry import current as _current_backend
from .function import Function, _as_torch_error, _ctx_apply, _mixed_devices
from .grad_mode import _GradMode, no_grad


class _CtxNode(Function):
    """The graph node of one call of a torch-style Function, and the ctx its methods see."""

    saves_tensors = True

    def name(self) -> str:
        return f"{self._fn.__name__}Backward"  # torch's name: MyReLUBackward

    # ------------------------------------------------------------------ what ctx offers
    def save_for_backward(self, *tensors) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, TensorBase):
                raise TypeError(
                    f"save_for_backward can only save variables, but argument 0 is of type {type(t).__name__}"
                )
        self._to_save = tensors

    @property
    def saved_tensors(self):
        if self.saved is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved tensors after "
                "they have already been freed). Saved intermediate values of the graph are freed when you call "
                ".backward(). Specify retain_graph=True if you need to backward through the graph a second time."
            )
        return self.saved

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable = {id(t) for t in tensors}

    def mark_dirty(self, *tensors) -> None:
        raise NotImplementedError(
            "ctx.mark_dirty (a custom Function that changes an input in place) is not supported by pyneuro; "
            "return a new tensor instead"
        )

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)

    # ------------------------------------------------------------------ the engine's side
    def backward(self, g):
        with no_grad():
            grads = self.tensor_grads(_wrap(g, self.device))
        return tuple(None if gi is None else gi._data for gi in grads)

    def tensor_grads(self, grad):
        """The user's backward on the gradient Tensor, checked: one Tensor (or None) per input.
        create_graph=True calls it directly, under grad mode (graph_rules.py): a backward
        written in differentiable ops then records its graph, as in torch."""
        fn = self._fn
        once = getattr(fn.backward, "_once_differentiable", False)
        if once:
            with no_grad():
                result = fn.backward(self, grad)
        else:
            result = fn.backward(self, grad)
        grads = result if isinstance(result, tuple) else (result,)
        if len(grads) != len(self.inputs):
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients "
                f"(expected {len(self.inputs)}, got {len(grads)})"
            )
        out = []
        for i, (gi, a, need) in enumerate(zip(grads, self.inputs, self.needs)):
            if gi is None or not need:
                out.append(None)
                continue
            if not isinstance(gi, TensorBase):
                raise TypeError(
                    f"function {self.name()} returned a {type(gi).__name__} as gradient {i}; expected a Tensor or None"
                )
            if tuple(gi.shape) != tuple(a.shape):
                raise RuntimeError(
                    f"Function {self.name()} returned an invalid gradient at index {i} - got "
                    f"{list(gi.shape)} but expected shape compatible with {list(a.shape)}"
                )
            out.append(_OnceDifferentiable.apply(gi, *self.inputs) if once and _GradMode.enabled else gi)
        return tuple(out)


class _OnceDifferentiable(Function):
    """The gradient a @once_differentiable backward returned under create_graph=True: the same
    values, in the graph after the Function's inputs, so that differentiating it raises
    torch's error instead of treating it as a constant (a silently missing second derivative)."""

    __slots__ = ()
    saves_tensors = False

    def forward(self, g, *inputs):
        return g

    def backward(self, g):
        raise RuntimeError(
            "trying to differentiate twice a function that was marked with @once_differentiable"
        )


def apply_ctx(cls, args, kwargs):
    """Function.apply for a torch-style subclass: run forward without grad, then record the node."""
    node = _CtxNode.__new__(_CtxNode)
    node._fn = cls
    node._to_save = ()
    node._non_differentiable = ()
    node.materialize_grads = True
    node.saved = ()
    device = None
    for a in args:
        if isinstance(a, TensorBase):
            if device is None:
                device = a.device
            elif a.device != device:
                raise _mixed_devices(cls, device, a.device)
    node.device = device
    node.bk = _current_backend(device or "cpu")
    node.needs_input_grad = tuple(isinstance(a, TensorBase) and a._req for a in args)
    grad_mode = _GradMode.enabled
    setup = getattr(cls, "setup_context", None)
    custom_setup = setup is not None and setup is not Function.setup_context
    try:
        with no_grad():
            out = cls.forward(*args, **kwargs) if custom_setup else cls.forward(node, *args, **kwargs)
            if custom_setup:
                setup(node, args, out)
    except (ValueError, TypeError) as exc:
        raise _as_torch_error(exc, cls) from None
    if isinstance(out, tuple):
        if sum(isinstance(o, TensorBase) for o in out) > 1:
            raise NotImplementedError(
                f"{cls.__name__}.forward returned {len(out)} tensors: custom Functions with more than "
                "one output are not supported by pyneuro"
            )
        return out  # one tensor with plain values: not differentiable through them
    if not isinstance(out, TensorBase):
        return out
    requires = any(node.needs_input_grad) and grad_mode and id(out) not in node._non_differentiable
    if not requires:
        return _wrap(out._data, out.device)
    node.inputs = args
    node.needs = node.needs_input_grad
    node.nexts = tuple(a._node if isinstance(a, TensorBase) else None for a in args)
    result = _wrap(out._data, out.device, node, True)
    saved = tuple(result if t is out else t for t in node._to_save)
    node.saved = saved
    node.versions = tuple(
        (t._vc, t._vc[0], t._data, t if t is not result else node) for t in saved if t is not None
    )
    return result


_ctx_apply[0] = apply_ctx

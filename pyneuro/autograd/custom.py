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
differentiable ops; mark_dirty (a forward that changes an input in place and returns it).

A forward that returns several tensors gets one small `_Output` node per differentiable output,
each feeding the one `_CtxNode`: backward gives an output's gradient to its slot of a `_Grads`,
the engine sums those like arrays, and the node calls the user's backward with one gradient per
output (zeros for an output no gradient reached, or None after set_materialize_grads(False)).
Every output shows the `_CtxNode` as its grad_fn, as torch's outputs share theirs.
"""

from __future__ import annotations

import threading

from .._c_repr import pretty_as_c_type
from .._tensor_base import TensorBase, _wrap
from ..backends._registry import current as _current_backend
from . import forward_ad as _forward_ad
from . import saved_hooks as _saved_hooks
from .function import (
    _FREED_MESSAGE,
    Function,
    FunctionCtx,
    _ctx_apply,
    _mixed_devices,
    _refuse_inference_tensors,
)
from .grad_mode import _GradMode, no_grad
from .grad_mode import inference_used as _inference_used
from .inplace import custom_view, rebase


class _Transforms(threading.local):
    """torch.func's transforms running in this thread: `depth` counts the grad/vjp/jvp/jacrev/jacfwd
    calls under way (func/_autodiff.py); `mapped` is set inside each call vmap makes (func/_vmap.py),
    to the ids of the input slices, which torch would see as batched tensors (None outside vmap)."""

    def __init__(self):
        self.depth = 0
        self.mapped = None


transforms = _Transforms()

_EXTENDING_FUNC = "For more details, please see https://pytorch.org/docs/main/notes/extending.func.html"


def _check_transform_support(cls) -> None:
    """torch's errors for a Function applied inside a torch.func transform: it needs setup_context
    (forward without ctx), and inside vmap a vmap staticmethod or generate_vmap_rule=True."""
    setup = getattr(cls, "setup_context", None)
    if setup is None or setup is Function.setup_context:
        raise RuntimeError(
            "In order to use an autograd.Function with functorch transforms (vmap, grad, jvp, jacrev, ...), it "
            f"must override the setup_context staticmethod. {_EXTENDING_FUNC}"
        )
    if transforms.mapped is not None and getattr(cls, "vmap", None) is None and not cls.generate_vmap_rule:
        raise RuntimeError(
            f"You tried to vmap over {cls.__name__}, but it does not have vmap support. Please override and "
            f"implement the vmap staticmethod or set generate_vmap_rule=True. {_EXTENDING_FUNC}"
        )


class _CtxNode(Function, FunctionCtx):
    """The graph node of one call of a torch-style Function, and the ctx its methods see."""

    saves_tensors = True
    foreign_grads = True  # the user's backward may return any tensor it holds
    shown_module = "pyneuro.autograd.function"  # torch's classes for these nodes live there

    def name(self) -> str:
        return f"{self._fn.__name__}Backward"  # torch's name: MyReLUBackward

    def __repr__(self) -> str:
        return f"<{self.shown_module}.{self.name()} object at {id(self):#x}>"

    _repr_pretty_ = pretty_as_c_type

    # ------------------------------------------------------------------ what ctx offers
    def save_for_backward(self, *tensors) -> None:
        for t in tensors:
            if (
                t is not None
                and not isinstance(t, TensorBase)
                and getattr(type(t), "is_sparse", False) is not True
            ):
                raise TypeError(
                    f"save_for_backward can only save variables, but argument 0 is of type {type(t).__name__}"
                )
        self._to_save = tensors

    def save_for_forward(self, *tensors) -> None:
        """What a jvp staticmethod reads (ctx.saved_tensors gives what save_for_backward saved)."""
        self._saved_for_forward = tensors

    @property
    def saved_tensors(self):
        if self.__dict__.get("_in_jvp"):  # inside jvp: what save_for_forward saved, as torch's ctx gives
            return tuple(self.__dict__.get("_saved_for_forward", ()))
        if self.saved is None:
            raise RuntimeError(_FREED_MESSAGE)
        packed = self.__dict__.get("_packed")
        if packed is not None:  # saved under saved_tensors_hooks: what the unpack hook gives back
            unpack_hook, values = packed
            return tuple(None if v is None else _saved_hooks.unpacked(unpack_hook, v) for v in values)
        return self.saved

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable = {id(t) for t in tensors}

    def mark_dirty(self, *tensors) -> None:
        self._dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)

    # ------------------------------------------------------------------ the engine's side
    def backward(self, g):
        with no_grad():
            if isinstance(g, _Grads):
                g = _Grads(tuple(None if a is None else _wrap(a, self.device) for a in g.items))
            else:
                g = _wrap(g, self.device)
            grads = self.tensor_grads(g)
        return tuple(None if gi is None else gi._data for gi in grads)

    def _output_grads(self, g):
        """The gradients backward receives: one per output of forward (a _Grads for several)."""
        if not isinstance(g, _Grads):
            return (g,)
        out = []
        for gi, (shape, dtype, device) in zip(g.items, self._outputs):
            if gi is None and self.materialize_grads and shape is not None:
                gi = _wrap(self.bk.xp.zeros(shape, dtype=dtype), device)
            out.append(gi)
        return tuple(out)

    def tensor_grads(self, grad):
        """The user's backward on the gradient Tensor(s), checked: one Tensor (or None) per input.
        create_graph=True calls it directly, under grad mode (graph_rules.py): a backward
        written in differentiable ops then records its graph, as in torch."""
        fn = self._fn
        if self.__dict__.get("_jvp_done") and _forward_ad.unpacking():  # jvp gave the outputs' tangents
            return (None,) * len(self.inputs)
        once = getattr(fn.backward, "_once_differentiable", False)
        grads_in = self._output_grads(grad)
        if once:
            with no_grad():
                result = fn.backward(self, *grads_in)
        else:
            result = fn.backward(self, *grads_in)
        grads = result if isinstance(result, tuple) else (result,)
        # torch's once_differentiable marks its results (a DelayedError node) only under grad mode and
        # when a gradient it received requires grad; otherwise they are plain constants
        delayed_error = (
            once
            and _GradMode.enabled
            and any(isinstance(g, TensorBase) and g.requires_grad for g in grads_in)
        )
        n = len(self.inputs)
        if len(grads) > n and all(g is None for g in grads[n:]):
            grads = grads[:n]  # trailing Nones beyond the inputs are allowed, as in torch
        if len(grads) != n:
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients (expected {n}, got {len(grads)})"
            )
        out = []
        for i, (gi, a, need) in enumerate(zip(grads, self.inputs, self.needs)):
            if gi is not None and not isinstance(a, TensorBase):
                raise RuntimeError(
                    f"function {self.name()} returned a gradient different than None at position {i + 1}, "
                    "but the corresponding forward input was not a Variable"
                )
            if gi is None or not need:
                out.append(None)
                continue
            if not isinstance(gi, TensorBase):
                raise RuntimeError(f"expected Variable or None (got {type(gi).__name__})")
            if tuple(gi.shape) != tuple(a.shape) and _expands_to(tuple(a.shape), tuple(gi.shape)):
                gi = gi.sum_to_size(a.shape)  # e.g. a bias gradient not summed over the batch: torch sums it
            if tuple(gi.shape) != tuple(a.shape):
                raise RuntimeError(
                    f"Function {self.name()} returned an invalid gradient at index {i} - got "
                    f"{list(gi.shape)} but expected shape compatible with {list(a.shape)}"
                )
            out.append(_OnceDifferentiable.apply(gi, *self.inputs) if delayed_error else gi)
        return tuple(out)


def _expands_to(shape, target) -> bool:
    """Whether shape broadcasts to target (so a gradient of target's shape sums back to it)."""
    if len(shape) > len(target):
        return False
    return all(n == m or n == 1 for n, m in zip(shape[::-1], target[::-1]))


class _Grads:
    """The gradients of a multi-output Function's outputs, one slot each (None: none reached it).
    The engines add two of these as they add two gradient arrays (or Tensors)."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = items

    def __add__(self, other):
        return _Grads(
            tuple(b if a is None else a if b is None else a + b for a, b in zip(self.items, other.items))
        )


class _Output(Function):
    """Output `slot` of a multi-output custom Function: hands its gradient to that slot."""

    saves_tensors = False

    def forward(self, *arrays):  # never applied: apply_ctx builds it
        raise NotImplementedError

    def backward(self, g):
        slot, n = self.saved
        return (_Grads(tuple(g if i == slot else None for i in range(n))),)

    def torch_node(self):
        return self.nexts[0].torch_node()  # torch shows the Function's node as every output's grad_fn

    def name(self) -> str:
        return self.nexts[0].name()


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
    if transforms.depth or transforms.mapped is not None:
        _check_transform_support(cls)
    node = _CtxNode.__new__(_CtxNode)
    node._fn = cls
    node._to_save = ()
    node._non_differentiable = ()
    node._dirty = ()
    node.materialize_grads = True
    node.saved = ()
    node.versions = ()
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
    # (what the user's forward raises reaches the caller unchanged, as in torch: pyneuro's own ops
    # inside it raise torch's errors already)
    with no_grad():
        out = cls.forward(*args, **kwargs) if custom_setup else cls.forward(node, *args, **kwargs)
        if custom_setup:
            setup(node, args, out)
    outs = out if isinstance(out, tuple) else (out,)
    for t in node._dirty:
        if t._node is None and t._req and grad_mode:
            raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
    requires = any(node.needs_input_grad) and grad_mode
    if not requires:  # plain tensors out (a dirtied input is handed back itself, as torch does)
        plain = tuple(_plain(o, node) for o in outs)
        return plain if isinstance(out, tuple) else plain[0]
    node.inputs = args
    node.needs = node.needs_input_grad
    node.nexts = tuple(a._node if isinstance(a, TensorBase) else None for a in args)
    node._outputs = tuple(
        (o._data.shape, o._data.dtype, o.device) if isinstance(o, TensorBase) else (None, None, None)
        for o in outs
    )
    single = not isinstance(out, tuple)
    results = tuple(_recorded(node, o, slot, len(outs), single) for slot, o in enumerate(outs))
    final = {id(o): r for o, r in zip(outs, results) if isinstance(o, TensorBase)}
    saved = tuple(final.get(id(t), t) if t is not None else None for t in node._to_save)
    node.saved = saved
    outputs = {id(r) for r in results}  # a saved output is named by this node, an input by its own grad_fn
    node.versions = tuple(
        (t._vc, t._vc[0], t._data, node if id(t) in outputs else t)
        for t in saved
        if isinstance(t, TensorBase)  # (a sparse COO tensor, pyGAT's saved adjacency, is not watched)
    )
    if _inference_used[0]:
        _refuse_inference_tensors(node.versions)
    pair = _saved_hooks.active() if _saved_hooks.in_use[0] else None
    if pair is not None and saved:  # saved_tensors_hooks: ctx.saved_tensors gives what unpack returns
        with no_grad():  # the hooks run with grad mode off, as torch runs them
            node._packed = (pair[1], tuple(None if t is None else pair[0](t) for t in saved))
    _forward_ad.custom_jvp(node, cls, args, results)
    return results[0] if single else results


def _plain(o, node):
    """An output of forward outside the graph: a dirtied input itself, else a new leaf tensor."""
    if not isinstance(o, TensorBase):
        return o
    if any(o is t for t in node._dirty):
        return o
    return _wrap(o._data, o.device)


def _recorded(node, o, slot, n, single):
    """Output `slot` of forward in the graph: its node is `node` itself (one output) or an _Output
    feeding it; an output marked non-differentiable, or not floating, is a plain tensor."""
    if not isinstance(o, TensorBase):
        return o
    if id(o) in node._non_differentiable or o._data.dtype.kind not in "fc":
        return _plain(o, node)
    if single:
        producer = node
    else:
        producer = _Output.__new__(_Output)
        producer.bk, producer.device, producer.saved, producer.versions = node.bk, node.device, (slot, n), ()
        producer.inputs, producer.needs, producer.nexts = (
            (_wrap(o._data, o.device, node, True),),
            (True,),
            (node,),
        )
    result = _wrap(o._data, o.device, producer, True)
    if any(o is t for t in node._dirty):  # o was changed in place by forward: o itself is now the output
        o._vc[0] += 1  # torch counts the Function's in-place change too
        rebase(o, result)
        return o
    src = next((a for a in node.inputs if isinstance(a, TensorBase) and _aliases(o, a)), None)
    if src is not None:  # an input returned as-is, or a view of one
        custom_view(result, src, node._fn.__name__, slot, n)
    return result


def _aliases(o, a) -> bool:
    """Is o the tensor a, or a view of a's base? (a detach()ed copy shares the memory, but is no view)"""
    if o is a:
        return True
    return o._view is not None and o._view[0] is (a if a._view is None else a._view[0])


_ctx_apply[0] = apply_ctx

"""Function: the base of every differentiable op; its instances are the graph's nodes.

Every differentiable operation is a small class derived from `Function` with two methods
written side by side:

    forward(self, *arrays)  -> output array      (runs the op on backend arrays)
    backward(self, grad)    -> one grad per input (the vector-Jacobian product)

`Op.apply(*tensors)` runs `forward` on the tensors' backend arrays and, when grad mode is
on and some input requires grad, keeps the Function instance as the output's `grad_fn`:
the instance *is* the graph node. It remembers its inputs (`self.inputs`), which of them
need a gradient (`self.needs`), and whatever forward saved for backward (`self.saved`).

Kernels: each forward/backward computes with `self.bk`, the kernel table of the backend
in use for the inputs' device (pyneuro.backends.table_for). Fused kernels (matmul with
transpose flags, bias_add/bias_grad, relu, softmax, log_softmax, cross-entropy) come from
the table (fused.py); generic elementwise ops and reductions use the table's array
namespace `self.bk.xp` (numpy for CPU backends, cupy for GPU ones).

Rule kept by every backward: never modify the incoming `grad` array in place (it may be
shared with other nodes); return fresh arrays or views.

This module and the ones beside it import no Tensor class: they see tensors through the
slots of pyneuro._tensor_base.TensorBase and build them with its `_wrap`.
"""

from __future__ import annotations

import functools
import inspect
import weakref

import numpy as _np

from .._c_repr import pretty_as_c_type
from .._dtype import torch_name as _dtype_torch_name
from .._errors import DTypeError, LinAlgError, ShapeError
from .._memory import numpy_memory_error
from .._shapes import c_order
from .._tensor_base import _VIEW_REFRESH, TensorBase, _InferenceVersions, _register_grad_mode, _wrap
from ..backends._registry import current as _current_backend
from ..backends._registry import table_for
from ..backends.special_xp import QUIET as _QUIET
from ..backends.special_xp import errstate as _errstate  # noqa: F401 (autograd's modules import it from here)
from . import saved_hooks as _saved_hooks
from . import stand_in as _stand_in
from .grad_mode import _GradMode
from .grad_mode import inference_used as _inference_used
from .names import TorchNodeType, named_class, reads_inputs, torch_name
from .view_steps import check_no_grad_view_use, link_view

# ----------------------------------------------------------------------------- Function
_register_grad_mode(_GradMode, _inference_used)  # float(t) warns only when grad mode is on (_tensor_base.py)
_FLOAT32 = _np.dtype(_np.float32)
_RELEASED = object.__new__(TensorBase)  # a released node's non-leaf input: a tensor no longer held
_RELEASED._retain, _RELEASED._node = False, None  # (what a walk reads of an input: another thread's
# backward without retain_graph may release a node this walk is at, engine._walk)


# custom.apply_ctx, which runs a torch-style Function; custom.py (imported by the package)
# registers it here, as it sits above this module.
_ctx_apply = [None]
# hooks.register_node_hook (hooks.py sits above this module and registers it)
_node_hooks = [None]
# torch's names for what a node saved (Function.__getattr__): an input's position, or the output
_SAVED_ATTRS = {"_saved_self": 0, "_saved_other": 1, "_saved_result": "out"}


def _CTX_STYLE_SAVED(cls) -> bool:
    """A custom Function's node, whose saved_tensors is ctx's property (custom.py), not the method."""
    return isinstance(inspect.getattr_static(cls, "saved_tensors"), property)


def _refuse_inference_tensors(versions) -> None:
    """torch's RuntimeError when backward would read a tensor made in inference_mode (which keeps
    no version counter there, so autograd cannot check it)."""
    for counter, _, _, _ in versions:
        if type(counter) is _InferenceVersions:
            raise RuntimeError(
                "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference "
                "mode in computation tracked by autograd. To work around this, you can make a clone to get a "
                "normal tensor and use it in autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`."
            )


_READ_PLANS = {}  # (saved_for, needs) -> the inputs backward reads (_read_inputs)


def _read_inputs(saved_for, needs, n: int) -> tuple:
    """Positions of the inputs backward reads: saved_for[i] lists the inputs whose gradient
    reads input i (None: all n of them). Remembered per (saved_for, needs) of up to 4 inputs:
    a training step asks the same few questions at every op."""
    key = (saved_for, needs) if n <= 4 else None
    try:
        plan = _READ_PLANS.get(key) if key is not None else None
    except TypeError:  # a saved_for given as lists (a user's subclass): worked out every time
        plan = key = None
    if plan is None:
        if saved_for is None:
            plan = tuple(range(n))
        else:
            plan = tuple(i for i, readers in enumerate(saved_for) if i < n and any(needs[j] for j in readers))
        if key is not None:
            _READ_PLANS[key] = plan
    return plan


class _Profiling:
    """The profiler's hook: while pyneuro.profiler records, `op(node, phase, method, *args)`
    runs method(*args) (node.forward or node.backward) and records it; otherwise it is None
    and the whole cost of the profiler is this one check per op (apply, the engine's walk)."""

    op = None


_BASE_BACKWARD = [None]  # Function.backward, the placeholder a torch-style subclass replaces


def _legacy_call(self, *args, **kwargs):
    raise RuntimeError(
        "Legacy autograd function with non-static forward method is deprecated. Please use new-style "
        "autograd function with static forward method. (Example: "
        "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
    )


class Function:
    """One differentiable operation; its instances are the nodes of the autograd graph.

    Subclasses define `forward(self, *arrays, **params)` and `backward(self, grad)`.
    Positional arguments of `apply` may be Tensors or plain Python values (scalars,
    index tuples); forward receives the Tensors' arrays and the plain values unchanged.
    backward returns one gradient (or None) per positional argument.
    """

    __slots__ = ("bk", "device", "inputs", "needs", "nexts", "saved", "versions", "packed", "__weakref__")
    differentiable = True
    saves_tensors = True  # False for ops that keep only shapes: those can backward twice, like torch
    # True when backward may return arrays held elsewhere (a user's backward returning a saved or
    # global tensor, or one tensor for two inputs): the engine then copies before storing a .grad
    foreign_grads = False
    # Which tensors backward reads (the version check, docs/DESIGN.md, "The core"): saved_for[i]
    # lists the inputs whose gradient reads input i (Mul: (1,), (0,): a is read for b's gradient);
    # None: every tensor input, always. saves_output: backward reads the output (exp, relu, ...).
    saved_for = None
    saves_output = False
    # saved_tensors_hooks packs (and unpacks) the inputs read in position order, the output last;
    # reversed where torch's node saves the second input first (a * b, a / b: b, then a)
    packs_reversed = False
    # The inputs whose `t.data = other` backward sees (follow_assigned_data): torch's node saves
    # those tensors themselves (None: every input); Linear's not its weight (torch saves weight.t()).
    follows_data = None
    # True when backward reads its saved tensors only through comparisons or positions (clamp's
    # mask, amax's ties, a gather's shape): its gradient is then no function of them, so a
    # create_graph gradient is not linked to them (graph_backward.py), as torch's is not
    reads_as_mask = False
    # True when backward reads no input and saves no tensor (Named, Clone, views, Sum): release() lets
    # go of its inputs too, or a graph kept alive (`losses.append(loss)`) keeps each step's
    # activations (BatchNorm1d at batch 4096: 8 MB a step, torch 1; GroupNorm, Conv1d, Flatten: 16)
    passes_gradient = False
    is_view = False  # the output may share the first input's memory (view_step says whether it does)
    c_ordered = False  # the output is made C-ordered, as torch's (reductions, cat, scans: see c_order)
    # How next_functions shows the graph's edges as torch does: index_inputs are integer inputs torch
    # does not differentiate (no edge: a loss's targets, embedding's indices); number_edge: torch
    # wraps a Python number operand of + - * / into a tensor, an edge shown as (None, 0) ("any"
    # position; "second": only x - 2, as 2 - x is torch's rsub, of one edge)
    index_inputs = ()
    number_edge = None

    # A subclass written as in torch (static forward(ctx, ...) / backward(ctx, ...), or
    # forward(...) with setup_context): Function.apply hands it to custom.py.
    _ctx_style = False
    generate_vmap_rule = False  # torch's switch: torch.func.vmap may run such a Function (custom.py)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._ctx_style = isinstance(inspect.getattr_static(cls, "forward", None), staticmethod)
        if cls._ctx_style:
            cls.__call__ = _legacy_call  # Exp()(x): torch's RuntimeError (Exp.apply(x) is the call)
        if cls._ctx_style and inspect.getattr_static(cls, "backward") is _BASE_BACKWARD[0]:
            vjp = inspect.getattr_static(cls, "vjp", None)
            if vjp is not None and vjp is not _BASE_BACKWARD[0]:  # torch takes vjp as backward's other name
                cls.backward = vjp

    @staticmethod
    def setup_context(ctx, inputs, output):
        """torch's optional second half of a static forward: save what backward needs on ctx."""
        raise NotImplementedError("setup_context is not implemented")

    @staticmethod
    def backward(ctx, *grad_outputs):
        """torch's reverse-mode formula of a static-forward Function (pyneuro's own ops define theirs)."""
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom autograd.Function to use it "
            "with backward mode AD."
        )

    vjp = backward  # (torch's name for the same formula: a subclass may define either)

    @staticmethod
    def jvp(ctx, *grad_inputs):
        """torch's optional forward-mode formula of a static-forward Function (forward_ad.py calls it)."""
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with forward mode AD."
        )

    @classmethod
    def apply(cls, *args, **params):
        if cls._ctx_style:
            return _ctx_apply[0](cls, args, params)
        node = cls.__new__(cls)
        device = None
        requires = False
        arrays = []
        # The graph's edges (which inputs need a gradient, and the nodes that made them) are
        # taken in the same pass, now: an in-place op may later give an input a new grad_fn,
        # but this node's gradient still flows to the node that made its value.
        needs = []
        nexts = []
        grad_mode = _GradMode.enabled
        for a in args:
            if isinstance(a, TensorBase):
                view = a._view
                if view is not None and grad_mode:
                    if a._node is None and a._req:  # a leaf view: made under no_grad (or requires_grad_())
                        check_no_grad_view_use(a)
                    elif view[2] is not view[0]._node:
                        _VIEW_REFRESH[0](a)  # its base changed in place since: re-derive it from the base
                if device is None:
                    device = a.device
                elif a.device != device:
                    raise _mixed_devices(cls, device, a.device)
                req = a._req
                if req:
                    requires = True
                needs.append(req)
                nexts.append(a._node)
                arrays.append(a._data)
            else:
                needs.append(False)
                nexts.append(None)
                arrays.append(a)
        node.bk = _current_backend(device or "cpu")
        node.device = device
        node.saved = ()
        try:
            if _Profiling.op is None:
                out = node.forward(*arrays, **params)
            else:
                out = _Profiling.op(node, "forward", node.forward, *arrays, **params)
        except (ValueError, TypeError) as exc:
            raise _as_torch_error(exc, cls, arrays) from None
        except MemoryError as exc:  # (NumPy's, or std::bad_alloc from a kernel): torch's RuntimeError
            raise numpy_memory_error(exc, cls.__name__.lower()) from None
        if out.ndim == 0:  # NumPy reductions return scalars; keep a real 0-d array
            out = node.bk.xp.asarray(out)
        elif cls.c_ordered:
            out = c_order(out)
        if requires and grad_mode and cls.differentiable:
            node.inputs = args
            node.needs = tuple(needs)
            node.nexts = tuple(nexts)
            result = _wrap(out, node.device, node, True)
            node.versions = node._saved_versions(args, result) if cls.saves_tensors else ()
        else:
            result = _wrap(out, node.device)
        if cls.is_view:
            link_view(node, args[0], result, params)
        return result

    def _saved_versions(self, args, out):
        """(counter, version now, array, owner) for every tensor backward will read; the owner (the
        input tensor, or this node for its output) names the tensor if the check fails."""
        saved_for, saves_output = self.saved_tensors()
        rec = []
        for i in _read_inputs(saved_for, self.needs, len(args)):
            a = args[i]
            if isinstance(a, TensorBase):
                rec.append((a._vc, a._vc[0], a._data, a))
        if saves_output:
            rec.append((out._vc, out._vc[0], out._data, self))
        if _inference_used[0]:  # torch's rule for tensors made in inference_mode
            _refuse_inference_tensors(rec)
        if _saved_hooks.in_use[0] and _saved_hooks.state.pairs:  # saved_tensors_hooks (saved_hooks.py)
            owners = [out if owner is self else owner for _, _, _, owner in rec]
            if self.packs_reversed and not saves_output:
                owners.reverse()
            _saved_hooks.pack(self, owners)
        return tuple(rec)

    def saved_tensors(self):
        """(saved_for, saves_output) for this node; ops whose saves depend on a parameter override it."""
        return self.saved_for, self.saves_output

    def check_versions(self):
        """Raise torch's RuntimeError if a tensor backward reads was changed in place after forward."""
        for counter, version, arr, owner in self.versions:
            if counter[0] != version:
                # an input is named by its grad_fn now (as torch does), an output by this node
                producer = owner._node if isinstance(owner, TensorBase) else owner
                raise RuntimeError(_modified_message(arr, self.device, producer, counter[0], version))

    def follow_assigned_data(self):
        """Backward reads an input whose array `input.data = other` replaced since forward: the new
        array, as torch's node reads the input tensor it saved (its data now); the output it saved
        keeps the forward's array, as torch's. (The engine calls this only once `.data =` has run.)"""
        follows = self.inputs if self.follows_data is None else [self.inputs[i] for i in self.follows_data]
        swaps = {}
        for _, _, arr, owner in self.versions:
            if isinstance(owner, TensorBase) and owner._data is not arr and any(owner is a for a in follows):
                swaps[id(arr)] = owner._data
        if self in _stand_in.STAND_INS:  # (arrays made from an input torch's node saves: stand_in.py)
            _stand_in.add_swaps(
                self, _stand_in.saved_arrays(self.saved, [a for _, _, a, _ in self.versions]), swaps
            )
        if swaps:
            self.versions = tuple(
                (c, v, swaps.get(id(arr), arr) if isinstance(o, TensorBase) else arr, o)
                for c, v, arr, o in self.versions
            )
            self.saved = _swapped(self.saved, swaps)

    def view_step(self, a, out, **params):
        """For a view op: the step that makes `out` from `a` (replayable), or None if out is a copy."""
        return None

    def kernels(self, x):
        """The kernel table for array x: self.bk, except for non-float32 data on the host.

        The compiled kernels compute in float32 only. Other floating dtypes on the CPU
        (float64, as torch's double; float16) run on the NumPy reference kernels, which work
        in the dtype they are given, so `pn.tensor(a, dtype=pn.float64) @ w64` works as in
        PyTorch. Backward then uses the same table (self.bk is switched for this node).
        """
        if x.dtype != _FLOAT32 and self.device in (None, "cpu"):  # float32: self.bk as it is
            self.bk = table_for(x, "cpu")
        return self.bk

    def release(self):
        """Free what forward saved (called after a backward without retain_graph).

        The node also lets go of its non-leaf inputs, so intermediate activations can be freed
        even while the output tensor lives on (e.g. a loss kept in a list), as in PyTorch; its
        edges (nexts) stay, so next_functions still shows the graph.
        """
        if _saved_hooks.in_use[0]:
            self.packed = None  # (what saved_tensors_hooks packed goes at backward, as torch's)
        frees = self.saves_tensors and self.saved is not None and self.saved != ()
        if frees or self.passes_gradient:  # (the latter: nothing saved, but it holds its inputs)
            if reads_inputs(type(self), frees):  # its torch name is read from what it holds: fixed now
                self.torch_node()
            if frees:
                self.saved = None
            self.let_go()

    def let_go(self):
        """Drop the non-leaf inputs and the versions recorded for backward's check (their arrays).
        The edges stay, as torch's graph does (grad_fn.next_functions after backward); of the
        inputs only the leaves that get a gradient (AccumulateGrad's), the others (activations,
        a batch of data) become a placeholder, so a graph kept alive holds no arrays."""
        self.inputs = tuple(
            [
                a if (need and nxt is None) or not isinstance(a, TensorBase) else _RELEASED
                for a, need, nxt in zip(self.inputs, self.needs, self.nexts)
            ]
        )
        self.versions = ()
        if _stand_in.USED[0]:  # (and the arrays kept to follow `.data =`: stand_in.py)
            _stand_in.STAND_INS.pop(self, None)

    def name(self) -> str:
        """torch's name for this node: AddBackward0, MmBackward0, NllLossBackward0 (autograd/names.py);
        a node already renamed (torch_node, autograd.shape.renamed) keeps its class's name."""
        cls = type(self)
        return cls.__name__ if "_op_class" in cls.__dict__ else torch_name(self, cls)

    def torch_node(self):
        """This node, its class renamed as torch names it (`type(t.grad_fn).__name__` == "AddBackward0").

        The renamed class is a slot-less subclass of the op's own class, so the node behaves
        exactly as before; Tensor.grad_fn and next_functions hand nodes out through here.
        """
        op_class = getattr(type(self), "_op_class", type(self))
        named = named_class(op_class, self.name())
        if type(self) is not named:
            self.__class__ = named
        return self

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    _repr_pretty_ = pretty_as_c_type

    def __getattr__(self, name):
        """torch's saved-tensor attributes, as its autograd tutorial reads them: `_saved_self` (the
        first input, `x is y.grad_fn._saved_self`), `_saved_other` (the second) and `_saved_result`
        (the output's values); None for a tensor input no needed gradient reads; after backward freed
        them, torch's RuntimeError."""
        slot = _SAVED_ATTRS.get(name)
        if slot is None or not type(self).saves_tensors or _CTX_STYLE_SAVED(type(self)):
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        saved_for, saves_output = self.saved_tensors()
        if slot == "out":
            if not saves_output:
                raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
            for counter, _, arr, owner in getattr(self, "versions", ()):
                if owner is self:
                    out = _wrap(arr, self.device)
                    out._vc = counter
                    return out
            raise RuntimeError(_FREED_MESSAGE)
        if saved_for is not None and (len(saved_for) <= slot or not saved_for[slot]):
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        if self.saved is None:
            raise RuntimeError(_FREED_MESSAGE)
        inputs = getattr(self, "inputs", ())
        a = inputs[slot] if slot < len(inputs) else None
        if not isinstance(a, TensorBase):  # a number (x.pow(2)): torch's node of that overload has none
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        readers = range(len(self.needs)) if saved_for is None else saved_for[slot]
        return a if any(self.needs[j] for j in readers if j < len(self.needs)) else None

    def register_prehook(self, hook):
        """torch's Node.register_prehook: hook(grad_outputs) before this node's backward (autograd/hooks.py)."""
        return _node_hooks[0](self, hook, True)

    def register_hook(self, hook):
        """torch's Node.register_hook: hook(grad_inputs, grad_outputs) after this node's backward."""
        return _node_hooks[0](self, hook, False)

    # Reading `t.grad_fn.next_functions` like PyTorch, for teaching the graph.
    @property
    def next_functions(self):
        out = []
        inputs = getattr(self, "inputs", ())
        edges = zip(inputs, getattr(self, "needs", ()), getattr(self, "nexts", ()))
        for i, (a, need, nxt) in enumerate(edges):
            if need:
                out.append((nxt.torch_node() if nxt is not None else AccumulateGrad.of(a), 0))
            elif isinstance(a, TensorBase) and i not in self.index_inputs:
                out.append((None, 0))
        edge = self.number_edge
        if edge and len(inputs) == 2 and not all(isinstance(a, TensorBase) for a in inputs):
            if edge == "any" or isinstance(inputs[0], TensorBase):
                out.append((None, 0))  # the number, after the tensor, as torch lists them
        return tuple(out)


_BASE_BACKWARD[0] = inspect.getattr_static(Function, "backward")


def _swapped(saved, swaps):
    """saved (a node's tuple of arrays, parameters, nested tuples and lists) with each array of swaps
    (by id) replaced by its new array."""
    if isinstance(saved, (tuple, list)):
        return type(saved)(_swapped(s, swaps) for s in saved)
    return swaps.get(id(saved), saved)


def once_differentiable(fn):
    """torch.autograd.function.once_differentiable, for a custom Function's backward: it marks
    a backward that builds no graph. Under create_graph=True it runs without grad mode and
    differentiating its result raises torch's error (custom.py)."""
    fn._once_differentiable = True
    return fn


class FunctionCtx:
    """torch.autograd.function.FunctionCtx: the type of the ctx a custom Function's forward and
    backward receive (`def forward(ctx: FunctionCtx, x)`); custom.py's graph node is one."""


class AccumulateGrad(metaclass=TorchNodeType):
    """What PyTorch shows for a leaf in `next_functions`: adds incoming grads into `.grad`."""

    next_functions = ()  # a leaf: where a recursive walk of the graph stops, as in torch
    _alive = weakref.WeakValueDictionary()  # id(leaf) -> its node, while anyone holds that node

    def __init__(self, variable):
        self.variable = variable

    @classmethod
    def of(cls, leaf) -> AccumulateGrad:
        """The leaf's one node, as torch's: two edges to a leaf (a * a) show the same object."""
        node = cls._alive.get(id(leaf))
        if node is None or node.variable is not leaf:
            node = cls._alive[id(leaf)] = cls(leaf)
        return node

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"

    _repr_pretty_ = pretty_as_c_type


class SliceGrad:
    """The gradient of a[index] (basic indexing) with respect to a: zeros but `values` at `index`.

    Index.backward returns it instead of the dense array, so that the engine can add it into
    the gradient it is summing for `a` in place: reading a sequence one step at a time (an
    RNN's x[t], t = 0..L-1) then costs O(L) in the backward pass, not L full-size arrays of
    zeros and L full-size additions (O(L^2)). Everything else asks for `dense()`.
    """

    __slots__ = ("xp", "shape", "index", "values")

    def __init__(self, xp, shape, index, values):
        self.xp, self.shape, self.index, self.values = xp, shape, index, values

    def dense(self):
        out = self.xp.zeros(self.shape, dtype=self.values.dtype)
        out[self.index] = self.values
        return out

    def add_into(self, out) -> bool:
        """out[index] += values, where out can take it in place (same dtype, writeable); else False."""
        if getattr(out, "dtype", None) != self.values.dtype or not getattr(out, "shape", None) == self.shape:
            return False
        if not getattr(getattr(out, "flags", None), "writeable", True):
            return False
        out[self.index] = out[self.index] + self.values  # not +=: a device array's slice may be a copy
        return True


class MaskedGrad(SliceGrad):
    """A gradient already zeroed where the ReLU it flows into output <= 0.

    Linear.backward returns its input gradient as one when that input is a ReLU's output: the
    matmul zeroes dx in its epilogue (the kernel table's matmul_relu_mask), while each tile is in
    L1, and the ReLU node passes the array on instead of reading and writing it once more. It
    is a lazy gradient like SliceGrad: a sum with another gradient of the same tensor (which
    the mask has not touched) sees the plain array through dense(), and the ReLU then masks
    the sum as usual -- masking twice changes nothing. Only the engine's walk hands it to a
    node, and only to that ReLU."""

    __slots__ = ()

    def __init__(self, values):
        self.xp, self.shape, self.index, self.values = None, values.shape, None, values

    def dense(self):
        return self.values

    def add_into(self, out) -> bool:
        return False


_FREED_MESSAGE = (  # torch 2.13's words
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after calling backward."
)


def _modified_message(arr, device, producer, now, expected):
    """torch's message for a saved tensor changed in place, with pyneuro's names for torch's."""
    kind = _dtype_torch_name(arr.dtype)
    where = "pyneuro.cuda." if device == "cuda" else "pyneuro."
    desc = f"[{where}{kind}Tensor [{', '.join(str(n) for n in arr.shape)}]]"
    if arr.dtype == bool:  # (torch names a bool tensor by its legacy type string here)
        desc = f"[{'CUDA' if device == 'cuda' else 'CPU'}BoolType [{', '.join(str(n) for n in arr.shape)}]]"
    if producer is not None:
        name = producer.name()  # MulBackward0 -> Mul, a custom MyFnBackward -> MyFn, as torch writes them
        name = name.rstrip("0123456789").removesuffix("Backward")
        desc += f", which is output 0 of {name},"
    return (
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {desc} is at version {now}; expected version {expected} instead. Hint: the op "
        "that saved it ran before the in-place change; change the tensor before using it, change a "
        "copy (t.clone()), or use the out-of-place form (t = t * 2 instead of t.mul_(2))."
    )


def _broadcast_mismatch(shapes):
    """torch's message for the first pair of shapes that do not broadcast: the rightmost
    dimension where both sizes differ and neither is 1, counted in the broadcast result."""
    for i, a in enumerate(shapes):
        for b in shapes[i + 1 :]:
            n = max(len(a), len(b))
            for k in range(1, n + 1):
                sa = a[-k] if k <= len(a) else 1
                sb = b[-k] if k <= len(b) else 1
                if sa != sb and sa != 1 and sb != 1:
                    return (
                        f"The size of tensor a ({sa}) must match the size of tensor b ({sb}) "
                        f"at non-singleton dimension {n - k}"
                    )
    return None


def _mixed_devices(cls, device, other) -> RuntimeError:
    """torch's error for the tensors of one op on two devices."""
    return RuntimeError(
        f"{cls.__name__}: expected all tensors to be on the same device, "
        f"found at least two devices, {device} and {other}"
    )


def _as_torch_error(exc, cls, arrays=()):
    """A ValueError/TypeError from a forward (NumPy's broadcasting, a kernel's checks) as the
    ShapeError/DTypeError that is also the RuntimeError torch raises, naming the op (shapes
    that do not broadcast: torch's words)."""
    if isinstance(exc, RuntimeError):
        return exc
    msg = str(exc)
    if isinstance(exc, _np.linalg.LinAlgError):  # (NumPy's is a ValueError: "SVD did not converge" on NaN)
        return LinAlgError(f"{cls.__name__.lower()}: {msg}")
    if "could not be broadcast" in msg:
        mismatch = _broadcast_mismatch([a.shape for a in arrays if hasattr(a, "shape")])
        if mismatch:
            return ShapeError(mismatch)
    name = cls.__name__.lower()
    if not msg.lower().startswith(name):
        msg = f"{name}: {msg}"
    return (ShapeError if isinstance(exc, ValueError) else DTypeError)(msg)


# ----------------------------------------------------------------------------- helpers


def _unbroadcast(g, shape):
    """Sum g over the axes that broadcasting added or stretched, giving an array of `shape`."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and g.shape[i + extra] != 1
    )
    return g.sum(axis=axes, keepdims=True).reshape(shape)


def _shape_of(x):
    return getattr(x, "shape", None)  # None for Python scalars


# NumPy 2's errstate defines its own __call__, a state per call (NumPy 1's is ContextDecorator's,
# which shares one state object between the calls of what it decorates)
_ERRSTATE_PER_CALL = "__call__" in vars(_np.errstate)


def quiet(method, settings=_QUIET):
    """method (a Function's forward or backward) with NumPy's floating-point warnings off (x / 0,
    exp(1000), inf - inf: inf or NaN silently, as torch), as `with _errstate(self.bk.xp)` around
    its body (or np.errstate(**settings)): np.errstate as a decorator, which NumPy 2 enters per call
    for about half of what a `with` block costs. (NumPy 1's decorator shares one state between
    calls: there each call makes its own. Only NumPy has an errstate: on other namespaces this
    quiets NumPy's, which is all the block did there too.)"""
    if _ERRSTATE_PER_CALL:
        return _np.errstate(**settings)(method)

    @functools.wraps(method)
    def run(*args, **kwargs):
        with _np.errstate(**settings):
            return method(*args, **kwargs)

    return run


def _scatter_add(xp, target, index, values):
    """target[index] += values, adding repeated indices (numpy/cupy `add.at`). A float host array
    indexed by integer arrays (rows along dim 0, or one array per dim) takes one bincount of the
    flat positions instead: ufunc.at is ~10x slower (an embedding's backward, index_add_, scatter_add)."""
    # (float16 keeps add.at's rounding after each add, as torch's; bincount adds in float64)
    flat = (
        _flat_positions(target, index)
        if xp is _np and target.dtype.kind == "f" and target.itemsize > 2
        else None
    )
    if flat is not None and target.flags.c_contiguous:
        weights = _np.broadcast_to(values, flat.shape).reshape(-1)
        sums = _np.bincount(flat.reshape(-1), weights=weights, minlength=target.size)
        target.reshape(-1)[...] += sums.astype(target.dtype, copy=False)
    elif hasattr(xp.add, "at"):
        xp.add.at(target, index, values)
    else:  # pragma: no cover - cupy without ufunc.at
        import cupyx

        cupyx.scatter_add(target, index, values)


def _flat_positions(target, index):
    """The flat positions in C-ordered target of target[index]'s elements, for an integer array index
    (rows along dim 0) or a tuple of one integer array per dim; None for other index forms."""
    arrays = index if isinstance(index, tuple) else (index,)
    if not all(type(a) is _np.ndarray and a.dtype.kind in "iu" for a in arrays):
        return None
    if len(arrays) != target.ndim and len(arrays) != 1:
        return None
    sizes = target.shape
    step = [int(_np.prod(sizes[d + 1 :], dtype=_np.int64)) for d in range(target.ndim)]
    flat = 0
    if len(arrays) < target.ndim:  # rows along dim 0: each row's elements follow its start
        flat = _np.arange(step[0], dtype=_np.int64).reshape(sizes[1:])
        arrays = (arrays[0].reshape(arrays[0].shape + (1,) * (target.ndim - 1)),)
    for a, n, s in zip(arrays, sizes, step):
        lo = int(a.min()) if a.size else 0
        if a.size and not -n <= lo <= int(a.max()) < n:
            return None  # (add.at raises its IndexError)
        a = a if lo >= 0 else a + n * (a < 0)  # (an index -1 is the last)
        flat = flat + (a if s == 1 else a * s)
    return _np.asarray(flat)

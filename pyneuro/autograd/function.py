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

from .._errors import DTypeError, ShapeError
from .._tensor_base import TensorBase, _wrap
from ..backends._registry import current as _current_backend
from ..backends._registry import table_for
from .grad_mode import _GradMode

# ----------------------------------------------------------------------------- Function


class Function:
    """One differentiable operation; its instances are the nodes of the autograd graph.

    Subclasses define `forward(self, *arrays, **params)` and `backward(self, grad)`.
    Positional arguments of `apply` may be Tensors or plain Python values (scalars,
    index tuples); forward receives the Tensors' arrays and the plain values unchanged.
    backward returns one gradient (or None) per positional argument.
    """

    __slots__ = ("bk", "device", "inputs", "needs", "saved", "__weakref__")
    differentiable = True
    saves_tensors = True  # False for ops that keep only shapes: those can backward twice, like torch

    @classmethod
    def apply(cls, *args, **params):
        node = cls.__new__(cls)
        device = None
        requires = False
        arrays = []
        for a in args:
            if isinstance(a, TensorBase):
                if device is None:
                    device = a.device
                elif a.device != device:
                    raise RuntimeError(
                        f"{cls.__name__}: expected all tensors to be on the same device, "
                        f"found at least two devices, {device} and {a.device}"
                    )
                if a._req:
                    requires = True
                arrays.append(a._data)
            else:
                arrays.append(a)
        node.bk = _current_backend(device or "cpu")
        node.device = device
        node.saved = ()
        try:
            out = node.forward(*arrays, **params)
        except (ValueError, TypeError) as exc:
            raise _as_torch_error(exc, cls) from None
        if out.ndim == 0:  # NumPy reductions return scalars; keep a real 0-d array
            out = node.bk.xp.asarray(out)
        if requires and _GradMode.enabled and cls.differentiable:
            node.inputs = args
            node.needs = tuple([isinstance(a, TensorBase) and a._req for a in args])
            return _wrap(out, node.device, node, True)
        return _wrap(out, node.device)

    def kernels(self, x):
        """The kernel table for array x: self.bk, except for non-float32 data on the host.

        The compiled kernels compute in float32 only. Other floating dtypes on the CPU
        (float64, as torch's double; float16) run on the NumPy reference kernels, which work
        in the dtype they are given, so `pn.tensor(a, dtype=pn.float64) @ w64` works as in
        PyTorch. Backward then uses the same table (self.bk is switched for this node).
        """
        if self.device in (None, "cpu"):
            self.bk = table_for(x, "cpu")
        return self.bk

    def release(self):
        """Free what forward saved (called after a backward without retain_graph).

        The node also lets go of its inputs, so intermediate activations can be freed even
        while the output tensor lives on (e.g. a loss kept in a list), as in PyTorch.
        """
        if self.saves_tensors and self.saved != ():
            self.saved = None
            self.inputs = ()
            self.needs = ()

    def name(self) -> str:
        return f"{type(self).__name__}Backward0"

    def __repr__(self) -> str:
        return f"<{self.name()} object>"

    # Reading `t.grad_fn.next_functions` like PyTorch, for teaching the graph.
    @property
    def next_functions(self):
        out = []
        for a, need in zip(getattr(self, "inputs", ()), getattr(self, "needs", ())):
            if need:
                out.append((a._node if a._node is not None else AccumulateGrad(a), 0))
            elif isinstance(a, TensorBase):
                out.append((None, 0))
        return tuple(out)


class AccumulateGrad:
    """What PyTorch shows for a leaf in `next_functions`: adds incoming grads into `.grad`."""

    def __init__(self, variable):
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return "<AccumulateGrad object>"


_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward(). Specify retain_graph=True if you need to backward through "
    "the graph a second time."
)


def _as_torch_error(exc, cls):
    """A ValueError/TypeError from a forward (NumPy's broadcasting, a kernel's checks) as the
    ShapeError/DTypeError that is also the RuntimeError torch raises, naming the op."""
    if isinstance(exc, RuntimeError):
        return exc
    msg = str(exc)
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


class _errstate:
    """np.errstate(divide/invalid='ignore') where the namespace has it (cupy does not)."""

    def __init__(self, xp):
        self.ctx = xp.errstate(divide="ignore", invalid="ignore") if hasattr(xp, "errstate") else None

    def __enter__(self):
        if self.ctx is not None:
            self.ctx.__enter__()

    def __exit__(self, *exc):
        if self.ctx is not None:
            self.ctx.__exit__(*exc)


def _scatter_add(xp, target, index, values):
    """target[index] += values, adding repeated indices (numpy/cupy `add.at`)."""
    if hasattr(xp.add, "at"):
        xp.add.at(target, index, values)
    else:  # pragma: no cover - cupy without ufunc.at
        import cupyx

        cupyx.scatter_add(target, index, values)

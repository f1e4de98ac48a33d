"""Reverse-mode automatic differentiation: the graph, the engine, and every differentiable op.

How it works (read this first)
------------------------------
Every differentiable operation is a small class derived from `Function` with two methods
written side by side:

    forward(self, *arrays)  -> output array      (runs the op on backend arrays)
    backward(self, grad)    -> one grad per input (the vector-Jacobian product)

`Op.apply(*tensors)` runs `forward` on the tensors' backend arrays and, when grad mode is
on and some input requires grad, keeps the Function instance as the output's `grad_fn`:
the instance *is* the graph node. It remembers its inputs (`self.inputs`), which of them
need a gradient (`self.needs`), and whatever forward saved for backward (`self.saved`).

`Tensor.backward()` calls `run_backward`: it sorts the nodes reachable from the output in
topological order (every node after all nodes that consume its output), then walks them
once, calling each node's `backward` with the sum of the gradients flowing into it, and
adds the gradients that reach a leaf tensor into that leaf's `.grad`. After the walk the
saved arrays are released (unless `retain_graph=True`), so a second backward through the
same graph raises the same RuntimeError as PyTorch.

Kernels: each forward/backward computes with `self.bk`, the kernel table of the backend
in use for the inputs' device (pyneuro.backends.current(device)). Fused kernels (matmul
with transpose flags, bias_add/bias_grad, relu, softmax, log_softmax, cross-entropy) come
from the table; generic elementwise ops and reductions use the backend's array namespace
`self.bk.xp` (numpy for CPU backends, cupy for GPU ones). Nothing here assumes the host.

Rule kept by every backward: never modify the incoming `grad` array in place (it may be
shared with other nodes); return fresh arrays or views.
"""
from __future__ import annotations

import functools

from .backends._registry import current as _current_backend
from .backends._registry import get as _get_backend

# ----------------------------------------------------------------------------- grad mode


class _GradMode:
    """Process-wide switch read by Function.apply (pyneuro runs autograd on one thread)."""

    enabled = True


def is_grad_enabled() -> bool:
    """True when operations record the graph for backward (like torch.is_grad_enabled)."""
    return _GradMode.enabled


class _GradModeContext:
    """Base of no_grad / enable_grad / set_grad_enabled: a context manager and a decorator."""

    _mode = True

    def __new__(cls, func=None):
        self = super().__new__(cls)
        if callable(func):  # used as a decorator without parentheses: @pn.no_grad
            return self(func)
        return self

    def __enter__(self):
        self._prev = _GradMode.enabled
        _GradMode.enabled = self._mode
        return self

    def __exit__(self, *exc):
        _GradMode.enabled = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Disable graph recording: `with pn.no_grad(): ...` or `@pn.no_grad()` on a function.

    Use it for evaluation and for updating parameters in place (`w -= lr * w.grad`).
    """

    _mode = False


class enable_grad(_GradModeContext):
    """Re-enable graph recording inside a no_grad block (context manager or decorator)."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """`with pn.set_grad_enabled(False): ...`; calling it as a function sets the mode."""

    def __init__(self, mode: bool):
        self._prev = _GradMode.enabled
        self._mode = bool(mode)
        _GradMode.enabled = self._mode  # torch semantics: takes effect immediately

    def __enter__(self):
        return self

    def __call__(self, func):  # pragma: no cover - decorator form is rare
        mode = self._mode
        _GradMode.enabled = self._prev

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            prev = _GradMode.enabled
            _GradMode.enabled = mode
            try:
                return func(*args, **kwargs)
            finally:
                _GradMode.enabled = prev

        return wrapper


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
            if isinstance(a, Tensor):
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
        t = Tensor.__new__(Tensor)
        t._data = out
        t.device = node.device
        t.grad = None
        t._retain = False
        if requires and _GradMode.enabled and cls.differentiable:
            node.inputs = args
            node.needs = tuple([isinstance(a, Tensor) and a._req for a in args])
            t._req = True
            t._node = node
        else:
            t._req = False
            t._node = None
        return t

    def kernels(self, x):
        """The kernel table for array x: self.bk, except for non-float32 data on the host.

        The compiled kernels compute in float32 only. Other floating dtypes on the CPU
        (float64, as torch's double; float16) run on the NumPy reference kernels, which work
        in the dtype they are given, so `pn.tensor(a, dtype=pn.float64) @ w64` works as in
        PyTorch. Backward then uses the same table (self.bk is switched for this node).
        """
        bk = self.bk
        if x.dtype != _FLOAT32 and self.device in (None, "cpu") and bk.NAME != "numpy":
            bk = self.bk = _reference_kernels()
        return bk

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
            elif isinstance(a, Tensor):
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


# ----------------------------------------------------------------------------- the engine


def _topological_order(root: Function) -> list:
    """Nodes reachable from root, each before every node it feeds (reverse post-order DFS)."""
    order = []
    seen = set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        for a, need in zip(node.inputs, node.needs):
            if need and a._node is not None and a._node not in seen:
                stack.append((a._node, False))
    order.reverse()
    return order


_NO_BASE = object()


def _maybe_view(a) -> bool:
    """Could `a` share memory with another array? (NumPy/CuPy: it has a base; other
    device arrays: it does not own its memory.)"""
    base = getattr(a, "base", _NO_BASE)
    if base is _NO_BASE:
        return not getattr(a, "owns_memory", False)
    return base is not None


def _accumulate_leaf(leaf, g, shared: bool) -> None:
    """leaf.grad += g (the first gradient is stored, copied if it may alias other arrays)."""
    if g.dtype != leaf._data.dtype:  # e.g. a float64 constant mixed into a float32 graph
        g = g.astype(leaf._data.dtype)
        shared = False
    if leaf.grad is None:
        if shared or _maybe_view(g) or not getattr(g.flags, "writeable", True):
            g = g.copy()
        grad = Tensor.__new__(Tensor)
        grad._data = g
        grad.device = leaf.device
        grad._req = False
        grad._node = None
        grad.grad = None
        grad._retain = False
        leaf.grad = grad
    else:
        leaf.grad._data = leaf.grad._data + g


def run_backward(tensor, grad_array, retain_graph: bool = False) -> None:
    """Backpropagate grad_array (same shape as tensor) from tensor into every leaf's .grad."""
    root = tensor._node
    if root is None:  # backward on a leaf: its gradient is the seed itself
        _accumulate_leaf(tensor, grad_array, True)
        return
    if tensor._retain:
        _accumulate_leaf(tensor, grad_array, True)
    pending = {root: grad_array}
    shared = {root}  # nodes whose pending grad array may be referenced elsewhere
    for node in _topological_order(root):
        g = pending.pop(node, None)
        if g is None:
            continue
        if node.saved is None:
            raise RuntimeError(_FREED_MESSAGE)
        grads = node.backward(g)
        inputs, needs = node.inputs, node.needs
        if not retain_graph:
            node.release()
        for a, need, gi in zip(inputs, needs, grads):
            if not need or gi is None:
                continue
            # gi may be referenced elsewhere if it is g itself (passed through), or a view
            # of a g that was itself shared; fresh kernel outputs are owned and never copied.
            alias = gi is g or (node in shared and _maybe_view(gi))
            child = a._node
            if a._retain and child is not None:  # t.retain_grad() on a non-leaf
                _accumulate_leaf(a, gi, True)
            if child is None:
                _accumulate_leaf(a, gi, alias)
            elif child in pending:
                pending[child] = pending[child] + gi
                shared.discard(child)
            else:
                pending[child] = gi
                if alias:
                    shared.add(child)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """The gradients of outputs with respect to inputs, returned instead of stored (like
    torch.autograd.grad): no leaf's .grad changes.

        (dw,) = pn.autograd.grad(loss, [w])

    outputs: a tensor or a sequence (each scalar, or with its grad_outputs entry);
    inputs: a tensor or a sequence of tensors that require grad (leaves or not).
    An input the outputs do not depend on raises, unless allow_unused=True (then None).
    """
    if create_graph:
        raise NotImplementedError("create_graph=True (higher-order gradients) is not supported by pyneuro")
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not ins:
        raise RuntimeError("grad requires non-empty inputs.")
    gouts = [None] * len(outs) if grad_outputs is None else (
        [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs))
    if len(gouts) != len(outs):
        raise RuntimeError(f"grad_outputs has {len(gouts)} entries but outputs has {len(outs)}")
    for t in ins:
        if not isinstance(t, Tensor) or not t._req:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    for o in outs:
        if not isinstance(o, Tensor) or not o._req:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    # Every leaf the backward walk can reach keeps its .grad: remember and restore them.
    leaves = {}
    for o in outs:
        if o._node is None:
            leaves[id(o)] = o
            continue
        for node in _topological_order(o._node):
            for a, need in zip(node.inputs, node.needs):
                if need and a._node is None:
                    leaves[id(a)] = a
    for t in ins:
        leaves[id(t)] = t
    saved = {k: (t.grad, t._retain) for k, t in leaves.items()}
    try:
        for t in leaves.values():
            t.grad = None
        for t in ins:
            if t._node is not None:
                t._retain = True
        keep = bool(retain_graph)
        for i, (o, g) in enumerate(zip(outs, gouts)):
            o.backward(g, retain_graph=keep or i < len(outs) - 1)
        result = tuple(t.grad for t in ins)
    finally:
        for k, t in leaves.items():
            t.grad, t._retain = saved[k]
    if not allow_unused:
        for i, r in enumerate(result):
            if r is None:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}) appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
    return result


from .tensor import Tensor  # noqa: E402  (circular: tensor.py uses the Functions below)
from .tensor import float32 as _FLOAT32  # noqa: E402
from ._errors import DTypeError, ShapeError  # noqa: E402


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


def _reference_kernels():
    return _get_backend("numpy")


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


def _normalize_dims(dim, ndim):
    """dim (None, int or tuple) -> sorted tuple of non-negative axes, validated."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {d})"
            )
        out.append(d % max(ndim, 1))
    return tuple(sorted(out))


# ----------------------------------------------------------------------------- elementwise: binary


class Add(Function):
    """out = a + b (broadcasting). d/da = 1, d/db = 1, summed back over broadcast axes."""

    __slots__ = ()
    saves_tensors = False

    def forward(self, a, b):
        return a + b  # nothing to save: backward reads the input shapes from self.inputs

    def backward(self, g):
        a, b = self.inputs
        return (
            _unbroadcast(g, a.shape) if self.needs[0] else None,
            _unbroadcast(g, b.shape) if self.needs[1] else None,
        )


class Sub(Function):
    """out = a - b. d/da = 1, d/db = -1."""

    __slots__ = ()
    saves_tensors = False

    def forward(self, a, b):
        return a - b

    def backward(self, g):
        a, b = self.inputs
        return (
            _unbroadcast(g, a.shape) if self.needs[0] else None,
            _unbroadcast(-g, b.shape) if self.needs[1] else None,
        )


class Mul(Function):
    """out = a * b. d/da = b, d/db = a."""

    __slots__ = ()

    def forward(self, a, b):
        self.saved = (a, b)
        return a * b

    def backward(self, g):
        a, b = self.saved
        return (
            _unbroadcast(g * b, a.shape) if self.needs[0] else None,
            _unbroadcast(g * a, b.shape) if self.needs[1] else None,
        )


class Div(Function):
    """out = a / b. d/da = 1/b, d/db = -a/b^2."""

    __slots__ = ()

    def forward(self, a, b):
        self.saved = (a, b)
        with _errstate(self.bk.xp):  # x / 0 is inf or nan without a warning, as in torch
            return a / b

    def backward(self, g):
        a, b = self.saved
        with _errstate(self.bk.xp):
            return (
                _unbroadcast(g / b, a.shape) if self.needs[0] else None,
                _unbroadcast(-g * a / (b * b), b.shape) if self.needs[1] else None,
            )


class Pow(Function):
    """out = a ** b. d/da = b * a^(b-1), d/db = out * log(a)."""

    __slots__ = ()

    def forward(self, a, b):
        out = a**b
        self.saved = (a, b, out)
        return out

    def backward(self, g):
        a, b, out = self.saved
        xp = self.bk.xp
        ga = gb = None
        if self.needs[0]:
            if isinstance(b, (int, float)):
                d = b * a if b == 2 else (b * a ** (b - 1) if b != 0 else a * 0)
            else:
                d = b * a ** (b - 1)
            ga = _unbroadcast(g * d, a.shape)
        if self.needs[1]:
            with _errstate(xp):
                logs = xp.log(a) if hasattr(a, "shape") else xp.log(xp.asarray(a, dtype=out.dtype))
            gb = _unbroadcast(g * out * logs, b.shape)
        return ga, gb


class _errstate:
    """np.errstate(divide/invalid/over='ignore') where the namespace has it (cupy does not)."""

    def __init__(self, xp):
        self.ctx = xp.errstate(divide="ignore", invalid="ignore", over="ignore") if hasattr(xp, "errstate") else None

    def __enter__(self):
        if self.ctx is not None:
            self.ctx.__enter__()

    def __exit__(self, *exc):
        if self.ctx is not None:
            self.ctx.__exit__(*exc)


class Where(Function):
    """out = a where cond else b. The gradient flows to the chosen side only."""

    __slots__ = ()

    def forward(self, cond, a, b):
        self.saved = (cond, _shape_of(a), _shape_of(b))
        return self.bk.xp.where(cond, a, b)

    def backward(self, g):
        cond, sa, sb = self.saved
        xp = self.bk.xp
        zero = xp.zeros((), dtype=g.dtype)
        return (
            None,
            _unbroadcast(xp.where(cond, g, zero), sa) if self.needs[1] else None,
            _unbroadcast(xp.where(cond, zero, g), sb) if self.needs[2] else None,
        )


class Maximum(Function):
    """out = maximum(a, b) (or minimum, largest=False): NaN propagates; where a == b each
    side gets half of the gradient, as in torch."""

    __slots__ = ()

    def forward(self, a, b, largest=True):
        xp = self.bk.xp
        self.saved = (a, b, largest)
        return (xp.maximum if largest else xp.minimum)(a, b)

    def backward(self, g):
        a, b, largest = self.saved
        wins = (a > b) if largest else (a < b)
        share_a = (wins + (a == b) * 0.5).astype(g.dtype)  # 1 where a wins, 1/2 on a tie, else 0
        return (
            _unbroadcast(g * share_a, _shape_of(a)) if self.needs[0] else None,
            _unbroadcast(g * (1 - share_a), _shape_of(b)) if self.needs[1] else None,
        )


# ----------------------------------------------------------------------------- elementwise: unary


class Neg(Function):
    """out = -a."""

    __slots__ = ()
    saves_tensors = False

    def forward(self, a):
        return -a

    def backward(self, g):
        return (-g,)


class Exp(Function):
    """out = e^a; d/da = out."""

    __slots__ = ()

    def forward(self, a):
        with _errstate(self.bk.xp):  # exp(1000) is inf without a warning, as in torch
            out = self.bk.xp.exp(a)
        self.saved = (out,)
        return out

    def backward(self, g):
        return (g * self.saved[0],)


class Log(Function):
    """out = ln(a); d/da = 1/a."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        with _errstate(self.bk.xp):
            return self.bk.xp.log(a)

    def backward(self, g):
        return (g / self.saved[0],)


class Sqrt(Function):
    """out = sqrt(a); d/da = 1 / (2 out)."""

    __slots__ = ()

    def forward(self, a):
        with _errstate(self.bk.xp):
            out = self.bk.xp.sqrt(a)
        self.saved = (out,)
        return out

    def backward(self, g):
        return (g / (2 * self.saved[0]),)


class Root(Function):
    """out = s ** (1/p) for a sum of powers s >= 0: the last step of a p-norm (p=2: sqrt).

    d out/ds = out / (p s). At s = 0 (a zero vector) that is 0/0; like torch's norm and std
    backward, the gradient there is 0 instead of NaN, so F.normalize and
    cosine_similarity of an all-zero row (a padding embedding) train without NaNs.
    """

    __slots__ = ()

    def forward(self, s, p=2):
        with _errstate(self.bk.xp):
            out = self.bk.xp.sqrt(s) if p == 2 else s ** (1.0 / p)
        self.saved = (s, out, p)
        return out

    def backward(self, g):
        s, out, p = self.saved
        xp = self.bk.xp
        with _errstate(xp):
            d = g * out / (p * s)
        return (xp.where(s == 0, xp.zeros((), dtype=d.dtype), d),)


class Abs(Function):
    """out = |a|; d/da = sign(a) (0 at 0, like PyTorch)."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return self.bk.xp.abs(a)

    def backward(self, g):
        return (g * self.bk.xp.sign(self.saved[0]),)


class Sigmoid(Function):
    """out = 1 / (1 + e^-a); d/da = out (1 - out)."""

    __slots__ = ()

    def forward(self, a):
        xp = self.bk.xp
        with _errstate(xp):
            out = 1 / (1 + xp.exp(-a))
        self.saved = (out,)
        return out.astype(a.dtype, copy=False)

    def backward(self, g):
        out = self.saved[0]
        return (g * out * (1 - out),)


class Elementwise(Function):
    """out = f(a) for one of the simpler math functions, with its derivative written beside it.

        name        f(a)                 d f / d a
        sin         sin a                cos a
        cos         cos a                -sin a
        log1p       log(1 + a)           1 / (1 + a)
        expm1       e^a - 1              out + 1
        reciprocal  1 / a                -out^2
        rsqrt       1 / sqrt(a)          -out^3 / 2
        round, floor, ceil, trunc, sign  0 (piecewise constant, as in torch)
    """

    __slots__ = ()

    def forward(self, a, name="sin"):
        xp = self.bk.xp
        with _errstate(xp):
            if name == "reciprocal":
                out = 1 / a
            elif name == "rsqrt":
                out = 1 / xp.sqrt(a)
            elif name == "round":
                out = xp.round(a)  # half to even, like torch.round
            else:
                out = getattr(xp, name)(a)
        self.saved = (a, out, name)
        return out.astype(a.dtype, copy=False) if hasattr(out, "astype") else out

    def backward(self, g):
        a, out, name = self.saved
        xp = self.bk.xp
        with _errstate(xp):
            if name == "sin":
                d = xp.cos(a)
            elif name == "cos":
                d = -xp.sin(a)
            elif name == "log1p":
                d = 1 / (1 + a)
            elif name == "expm1":
                d = out + 1
            elif name == "reciprocal":
                d = -(out * out)
            elif name == "rsqrt":
                d = -0.5 * out * out * out
            else:
                return (xp.zeros_like(g),)
            return (g * d,)


class CumSum(Function):
    """out = running sum along dim; backward is the running sum of g taken from the end."""

    __slots__ = ()
    saves_tensors = False

    def forward(self, a, dim=0):
        (d,) = _normalize_dims(dim, a.ndim)
        self.saved = (d,)
        return self.bk.xp.cumsum(a, axis=d) if a.ndim else a.copy()

    def backward(self, g):
        (d,) = self.saved
        if g.ndim == 0:
            return (g,)
        xp = self.bk.xp
        return (xp.flip(xp.cumsum(xp.flip(g, axis=d), axis=d), axis=d),)


class Tanh(Function):
    """out = tanh(a); d/da = 1 - out^2."""

    __slots__ = ()

    def forward(self, a):
        out = self.bk.xp.tanh(a)
        self.saved = (out,)
        return out

    def backward(self, g):
        out = self.saved[0]
        return (g * (1 - out * out),)


class Clamp(Function):
    """out = min(max(a, lo), hi); the gradient passes where lo <= a <= hi."""

    __slots__ = ()

    def forward(self, a, lo=None, hi=None):
        xp = self.bk.xp
        self.saved = (a, lo, hi)
        out = a
        if lo is not None:
            out = xp.maximum(out, xp.asarray(lo, dtype=a.dtype))
        if hi is not None:
            out = xp.minimum(out, xp.asarray(hi, dtype=a.dtype))
        return out if out is not a else a.copy()

    def backward(self, g):
        a, lo, hi = self.saved
        mask = None
        if lo is not None:
            mask = a >= lo
        if hi is not None:
            mask = (a <= hi) if mask is None else (mask & (a <= hi))
        return (g if mask is None else g * mask,)


class Cast(Function):
    """out = a converted to dtype; the gradient is converted back (float dtypes only)."""

    __slots__ = ()
    saves_tensors = False

    def forward(self, a, dtype=None):
        self.saved = (a.dtype,)
        return a.astype(dtype)

    def backward(self, g):
        src = self.saved[0]
        return (g.astype(src) if src.kind == "f" else None,)


class ToDevice(Function):
    """Copy to another device through the host; the gradient goes back the same way."""

    __slots__ = ()

    def forward(self, a, device=None):
        src_bk = self.bk
        dst_bk = _current_backend(device)
        self.saved = (src_bk, dst_bk)
        self.device = device
        self.bk = dst_bk
        return dst_bk.asarray(src_bk.to_numpy(a))

    def backward(self, g):
        src_bk, dst_bk = self.saved
        return (src_bk.asarray(dst_bk.to_numpy(g)),)


# ----------------------------------------------------------------------------- kernel-table ops


class MatMul(Function):
    """out = a @ b with PyTorch's rules for 1-D, 2-D and batched operands.

    Every product, forward and backward, is one call of the backend's 2-D matmul kernel
    with transpose flags, so no operand is ever transposed into a copy:
        C = A @ B      ->  dA = dC @ B^T  = matmul(dC, B, trans_b=True)
                           dB = A^T @ dC  = matmul(A, dC, trans_a=True)
    1-D operands become one-row/one-column matrices; an (..., M, K) @ (K, N) product folds
    the batch into the rows (one big GEMM); a batched (B, M, K) @ (B, K, N) loops over B.
    """

    __slots__ = ()

    def forward(self, a, b):
        bk = self.kernels(a)
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(
                f"matmul: both arguments need at least 1 dimension, got shapes {tuple(a.shape)} and {tuple(b.shape)}"
            )
        ka = a.shape[-1]
        kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if ka != kb:
            raise ShapeError(
                f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
                f"(inner dimensions {ka} and {kb} differ)"
            )
        if a.ndim == 2 and b.ndim == 2:  # the common case: one kernel call
            self.saved = (a, b, None)
            return bk.matmul(a, b)
        out_shape = None
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        if b2.ndim == 2:  # (..., M, K) @ (K, N): fold the batch into rows
            lead = a2.shape[:-1]
            a2 = a2.reshape(-1, ka)
            out = bk.matmul(a2, b2)
            out_shape = lead + (b2.shape[1],)
            if a.ndim == 1:
                out_shape = out_shape[1:]
            if b.ndim == 1:
                out_shape = out_shape[:-1]
            self.saved = (a2, b2, ("fold", a.shape, b.shape))
            return out.reshape(out_shape)
        # batched: broadcast the batch dims, loop the kernel over them
        xp = bk.xp
        batch = _broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        a3 = _batched(xp, a2, batch)
        b3 = _batched(xp, b2, batch)
        out = xp.stack([bk.matmul(a3[i], b3[i]) for i in range(a3.shape[0])]) if a3.shape[0] else xp.zeros(
            (0, a3.shape[1], b3.shape[2]), dtype=a.dtype
        )
        out = out.reshape(batch + out.shape[-2:])
        self.saved = (a3, b3, ("batch", a.shape, b.shape, a2.shape, b2.shape, batch))
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
        if how[0] == "fold":
            _, sa, sb = how
            g2 = g.reshape(a.shape[0], b.shape[1])
            ga = bk.matmul(g2, b, trans_b=True).reshape(sa) if self.needs[0] else None
            gb = bk.matmul(a, g2, trans_a=True).reshape(sb) if self.needs[1] else None
            return ga, gb
        _, sa, sb, sa2, sb2, batch = how
        xp = bk.xp
        n = a.shape[0]
        g3 = xp.ascontiguousarray(g.reshape((n, a.shape[1], b.shape[2])))
        ga = gb = None
        if self.needs[0]:
            ga = xp.stack([bk.matmul(g3[i], b[i], trans_b=True) for i in range(n)]).reshape(batch + sa2[-2:])
            ga = _unbroadcast(ga, sa2).reshape(sa)
        if self.needs[1]:
            gb = xp.stack([bk.matmul(a[i], g3[i], trans_a=True) for i in range(n)]).reshape(batch + sb2[-2:])
            gb = _unbroadcast(gb, sb2).reshape(sb)
        return ga, gb


def _batched(xp, x, batch):
    """x (..., R, C) as a C-contiguous, writable (B, R, C) stack over the broadcast batch dims."""
    if x.shape[:-2] != batch:
        x = xp.broadcast_to(x, batch + x.shape[-2:])
    x = x.reshape((-1,) + x.shape[-2:])
    return x if x.flags.c_contiguous and getattr(x.flags, "writeable", True) else xp.array(x, copy=True, order="C")


def _broadcast_shapes(s1, s2):
    out = []
    for i in range(1, max(len(s1), len(s2)) + 1):
        x = s1[-i] if i <= len(s1) else 1
        y = s2[-i] if i <= len(s2) else 1
        if x != y and x != 1 and y != 1:
            raise ShapeError(f"matmul: batch dimensions {tuple(s1)} and {tuple(s2)} cannot be broadcast")
        out.append(max(x, y))
    return tuple(reversed(out))


class Linear(Function):
    """y = x @ W^T + b, the fully connected layer, as two fused kernels.

    forward:  y  = matmul(x, W, trans_b=True)      # W is (out, in): no transposed copy
              y  = bias_add(y, b)                  # one pass adding b to every row
    backward: dx = matmul(dy, W)                   # (N, out) @ (out, in)
              dW = matmul(dy, x, trans_a=True)     # dy^T @ x, (out, in)
              db = bias_grad(dy)                   # column sums of dy
    Inputs of more than 2 dims are folded to (rows, in) first (a view, not a copy).
    """

    __slots__ = ()

    def forward(self, x, w, b=None):
        bk = self.kernels(x)
        in_features = w.shape[1] if w.ndim == 2 else None
        if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != in_features:
            raise ShapeError(
                f"linear: input of shape {tuple(x.shape)} does not match weight of shape "
                f"{tuple(w.shape)} (expected the last input dimension to be {in_features})"
            )
        if b is not None and (b.ndim != 1 or b.shape[0] != w.shape[0]):
            raise ShapeError(f"linear: bias of shape {tuple(b.shape)} does not match weight of shape {tuple(w.shape)}")
        x2 = x if x.ndim == 2 else x.reshape(-1, in_features)
        y = bk.matmul(x2, w, trans_b=True)
        if b is not None:
            y = bk.bias_add(y, b)
        self.saved = (x2, w, x.shape)
        return y if x.ndim == 2 else y.reshape(x.shape[:-1] + (w.shape[0],))

    def backward(self, g):
        bk = self.bk
        x2, w, xshape = self.saved
        g2 = g if g.ndim == 2 else g.reshape(-1, w.shape[0])
        gx = gw = gb = None
        if self.needs[0]:
            gx = bk.matmul(g2, w)
            if len(xshape) != 2:
                gx = gx.reshape(xshape)
        if self.needs[1]:
            gw = bk.matmul(g2, x2, trans_a=True)
        if len(self.needs) > 2 and self.needs[2]:
            gb = bk.bias_grad(g2)
        return gx, gw, gb


class ReLU(Function):
    """y = max(x, 0) with the backend's relu kernels; backward masks by y > 0."""

    __slots__ = ()

    def forward(self, x):
        y = self.kernels(x).relu_forward(x)
        self.saved = (y,)
        return y

    def backward(self, g):
        return (self.bk.relu_backward(g, self.saved[0]),)


def _rows(x, dim):
    """View x as 2-D (rows, n) with `dim` last; returns (x2, undo) where undo maps back."""
    ndim = x.ndim
    (d,) = _normalize_dims(dim, ndim)
    if ndim == 0:
        return x.reshape(1, 1), lambda y: y.reshape(())
    if d == ndim - 1:
        if ndim == 2:
            return x, None
        shape = x.shape
        return x.reshape(_prod(shape[:-1]), shape[-1]), lambda y: y.reshape(shape)
    moved = x.swapaxes(d, -1)
    mshape = moved.shape
    return moved.reshape(_prod(mshape[:-1]), mshape[-1]), lambda y: y.reshape(mshape).swapaxes(d, -1)


def _prod(sizes) -> int:
    n = 1
    for s in sizes:
        n *= s
    return n


class Softmax(Function):
    """y = softmax(x) along dim with the backend's fused kernels (forward and backward)."""

    __slots__ = ()

    def forward(self, x, dim=-1):
        x2, undo = _rows(x, dim)
        y2 = self.kernels(x2).softmax_forward(x2)
        self.saved = (y2, dim)
        return y2 if undo is None else undo(y2)

    def backward(self, g):
        y2, dim = self.saved
        g2, undo = _rows(g, dim)
        gx = self.bk.softmax_backward(g2, y2)
        return (gx if undo is None else undo(gx),)


class LogSoftmax(Function):
    """y = log_softmax(x) along dim with the backend's fused kernels."""

    __slots__ = ()

    def forward(self, x, dim=-1):
        x2, undo = _rows(x, dim)
        y2 = self.kernels(x2).log_softmax_forward(x2)
        self.saved = (y2, dim)
        return y2 if undo is None else undo(y2)

    def backward(self, g):
        y2, dim = self.saved
        g2, undo = _rows(g, dim)
        gx = self.bk.log_softmax_backward(g2, y2)
        return (gx if undo is None else undo(gx),)


class CrossEntropy(Function):
    """Mean/sum/per-sample cross-entropy of logits (N, C) and class targets (N,), fused.

    forward:  losses = cross_entropy_forward(logits, targets)   # logsumexp - logit[target]
              then the reduction ('mean' divides the sum by N)
    backward: dlogits = cross_entropy_backward(logits, targets, dlosses)
                      = (softmax(logits) - onehot(targets)) * dlosses[:, None]
    """

    __slots__ = ()

    def forward(self, logits, targets, reduction="mean"):
        losses = self.kernels(logits).cross_entropy_forward(logits, targets)
        self.saved = (logits, targets, reduction)
        if reduction == "none":
            return losses
        total = losses.sum()
        if reduction == "sum":
            return total
        n = losses.shape[0]
        return total / n if n else total * float("nan")

    def backward(self, g):
        logits, targets, reduction = self.saved
        if reduction == "none":
            grad_losses = g
        else:
            n = logits.shape[0]
            grad_losses = self.bk.xp.empty((n,), dtype=logits.dtype)
            grad_losses[...] = g / n if (reduction == "mean" and n) else g
        return self.bk.cross_entropy_backward(logits, targets, grad_losses), None


class MSE(Function):
    """Mean (or sum, or per-element) squared error; backward 2 (a - b) * g / n."""

    __slots__ = ()

    def forward(self, a, b, reduction="mean"):
        d = a - b
        self.saved = (d, reduction)
        sq = d * d
        if reduction == "none":
            return sq
        total = sq.sum()
        return total if reduction == "sum" else total / max(sq.size, 1) if sq.size else total * float("nan")

    def backward(self, g):
        d, reduction = self.saved
        scale = g * 2 if reduction != "mean" else g * (2 / max(d.size, 1))
        gd = d * scale
        return (gd if self.needs[0] else None, -gd if self.needs[1] else None)


class EmbeddingLookup(Function):
    """out[...] = weight[indices[...]] (a row gather); backward scatter-adds rows of grad."""

    __slots__ = ()

    def forward(self, weight, indices, padding_idx=None):
        self.saved = (weight.shape, indices, padding_idx)
        return self.bk.xp.take(weight, indices, axis=0)

    def backward(self, g):
        shape, indices, padding_idx = self.saved
        xp = self.bk.xp
        gw = xp.zeros(shape, dtype=g.dtype)
        _scatter_add(xp, gw, indices.reshape(-1), g.reshape(-1, shape[1]))
        if padding_idx is not None:
            gw[padding_idx] = 0
        return gw, None


def _scatter_add(xp, target, index, values):
    """target[index] += values, adding repeated indices (numpy/cupy `add.at`)."""
    if hasattr(xp.add, "at"):
        xp.add.at(target, index, values)
    else:  # pragma: no cover - cupy without ufunc.at
        import cupyx  # noqa: PLC0415

        cupyx.scatter_add(target, index, values)


# ----------------------------------------------------------------------------- reductions


class Sum(Function):
    """out = sum of a over dims; backward broadcasts g back over the summed axes."""

    __slots__ = ()
    saves_tensors = False

    def forward(self, a, dim=None, keepdim=False):
        dims = _normalize_dims(dim, a.ndim)
        self.saved = (a.shape, dims, keepdim)
        return a.sum(axis=dims if a.ndim else None, keepdims=keepdim)

    def backward(self, g):
        shape, dims, keepdim = self.saved
        if not keepdim and shape:
            g = g.reshape(tuple(1 if i in dims else n for i, n in enumerate(shape)))
        return (self.bk.xp.broadcast_to(g, shape),)


class Mean(Function):
    """out = mean of a over dims; backward spreads g / count over the reduced axes."""

    __slots__ = ()
    saves_tensors = False

    def forward(self, a, dim=None, keepdim=False):
        dims = _normalize_dims(dim, a.ndim)
        count = 1
        for d in dims:
            count *= a.shape[d] if a.ndim else 1
        self.saved = (a.shape, dims, keepdim, count)
        with _errstate(self.bk.xp):
            if not a.size:  # the mean of nothing is nan, like torch (without NumPy's warning)
                return a.sum(axis=dims if a.ndim else None, keepdims=keepdim) / count
            return a.mean(axis=dims if a.ndim else None, keepdims=keepdim)

    def backward(self, g):
        shape, dims, keepdim, count = self.saved
        if not keepdim and shape:
            g = g.reshape(tuple(1 if i in dims else n for i, n in enumerate(shape)))
        return (self.bk.xp.broadcast_to(g / count if count else g * float("nan"), shape),)


class MaxMinDim(Function):
    """values of max (or min) along one dim; the gradient goes to the returned index."""

    __slots__ = ("indices",)

    def forward(self, a, dim=0, keepdim=False, largest=True):
        xp = self.bk.xp
        (d,) = _normalize_dims(dim, a.ndim)
        if a.ndim and a.shape[d] == 0:
            raise IndexError(f"max(): cannot reduce over a zero-size dimension {d} of shape {tuple(a.shape)}")
        if a.ndim == 0:
            self.indices = xp.zeros((), dtype=xp.int64)
            self.saved = (a.shape, 0, True)
            return a.copy()
        idx = (xp.argmax if largest else xp.argmin)(a, axis=d)
        idx_k = xp.expand_dims(idx, d)
        values = xp.take_along_axis(a, idx_k, axis=d)
        self.indices = (idx_k if keepdim else idx).astype(xp.int64, copy=False)
        self.saved = (a.shape, d, idx_k)
        return values if keepdim else values.reshape(idx.shape)

    def backward(self, g):
        shape, d, idx_k = self.saved
        xp = self.bk.xp
        if not shape:
            return (g,)
        gk = g.reshape(idx_k.shape)
        positions = xp.arange(shape[d]).reshape(tuple(-1 if i == d else 1 for i in range(len(shape))))
        return ((positions == idx_k) * gk,)


class AMaxMin(Function):
    """amax (or amin) over one or more dims; the gradient is shared evenly between ties along
    the reduced dims (torch's amax/amin; max(dim) instead sends it all to the returned index)."""

    __slots__ = ()

    def forward(self, a, dims=(), keepdim=False, largest=True):
        if a.size == 0 and any(a.shape[d] == 0 for d in dims):
            raise ShapeError(f"amax(): cannot reduce over a zero-size dimension of shape {tuple(a.shape)}")
        v = a.max(axis=dims, keepdims=True) if largest else a.min(axis=dims, keepdims=True)
        self.saved = (a, v, dims)
        return v if keepdim else v.reshape(tuple(n for i, n in enumerate(a.shape) if i not in dims))

    def backward(self, g):
        a, v, dims = self.saved
        mask = a == v
        count = mask.sum(axis=dims, keepdims=True).astype(g.dtype)
        return (mask * (g.reshape(v.shape) / count),)


class MaxMinAll(Function):
    """max (or min) over every element; the gradient is shared evenly between ties."""

    __slots__ = ()

    def forward(self, a, largest=True):
        if a.size == 0:
            raise ShapeError("max(): expected a non-empty tensor (reduction over an empty tensor has no identity)")
        out = a.max() if largest else a.min()
        self.saved = (a, out)
        return out

    def backward(self, g):
        a, out = self.saved
        mask = a == out
        return (mask * (g / mask.sum().astype(g.dtype)),)


# ----------------------------------------------------------------------------- shapes and indexing


class Reshape(Function):
    """out = a.reshape(shape) (a view when possible); backward reshapes g back."""

    __slots__ = ()
    saves_tensors = False

    def forward(self, a, shape=()):
        self.saved = (a.shape,)
        try:
            return a.reshape(shape)
        except ValueError:
            raise ShapeError(f"shape {tuple(shape)} is invalid for input of shape {tuple(a.shape)} ({a.size} elements)") from None

    def backward(self, g):
        return (g.reshape(self.saved[0]),)


class Permute(Function):
    """out = a with its axes reordered (a view); backward applies the inverse order."""

    __slots__ = ()
    saves_tensors = False

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

    def forward(self, a, shape=()):
        self.saved = (a.shape,)
        return self.bk.xp.broadcast_to(a, shape)

    def backward(self, g):
        return (_unbroadcast(g, self.saved[0]),)


class Index(Function):
    """out = a[index]: basic slicing (a view) or integer/boolean-array gather.

    backward scatters g into zeros of a's shape: plain assignment for basic indexing,
    scatter-add (`add.at`) for array indices, where an index may repeat.
    """

    __slots__ = ()

    def forward(self, a, index=None, advanced=False):
        self.saved = (a.shape, a.dtype, index, advanced)
        return a[index]

    def backward(self, g):
        shape, dtype, index, advanced = self.saved
        xp = self.bk.xp
        out = xp.zeros(shape, dtype=g.dtype)
        if advanced:
            _scatter_add(xp, out, index, g)
        else:
            out[index] = g
        return (out,)


class Cat(Function):
    """out = concatenate(tensors, dim); backward slices g back into the pieces."""

    __slots__ = ()
    saves_tensors = False

    def forward(self, *arrays, dim=0):
        xp = self.bk.xp
        d = _normalize_dims(dim, arrays[0].ndim)[0]
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
    saves_tensors = False

    def forward(self, *arrays, dim=0):
        d = dim % (arrays[0].ndim + 1)
        self.saved = (d, len(arrays))
        return self.bk.xp.stack(arrays, axis=d)

    def backward(self, g):
        d, n = self.saved
        return tuple(g[(slice(None),) * d + (i,)] for i in range(n))


class Clone(Function):
    """out = a copy of a (contiguous); the gradient passes through unchanged."""

    __slots__ = ()
    saves_tensors = False

    def forward(self, a):
        return a.copy()

    def backward(self, g):
        return (g,)

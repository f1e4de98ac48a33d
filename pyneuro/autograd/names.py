"""torch's names for the graph's nodes: what `t.grad_fn` prints (AddBackward0, MmBackward0, ...).

The course tells students to look for `grad_fn=<AddBackward0>` and `<NllLossBackward0 object at
0x...>`, so each node reports the name torch gives the same operation. Our Functions are fewer
and sometimes fused (one CrossEntropy node where torch has LogSoftmax then NllLoss; it reports
the last, NllLossBackward0, as torch's loss tensor does). The name may depend on the node's
inputs (Linear with a bias is torch's addmm, without one mm), read from `node.inputs` and
`node.saved` while the node still holds them. Unlisted Functions are "<ClassName>Backward0".

`named_class(node_class, name)` gives the subclass of a Function class whose __name__ is the
torch name, so that `type(t.grad_fn).__name__` reads like torch's too (Function.torch_node), and
`type(t.grad_fn)` prints as torch's `<class 'MulBackward0'>` (TorchNodeType).

Imports only _c_repr (the classes' printed form): it sees nodes and tensors duck-typed.
"""

from __future__ import annotations

from .._c_repr import ShownType


def _inputs(node):
    return getattr(node, "inputs", None) or ()


def _linear(node):
    """torch's F.linear: addmm for a 2-D input with a bias; other ranks with a bias go through a
    flattened addmm and a view (a contiguous input) or matmul then add; without a bias, matmul."""
    inputs = _inputs(node)
    x = inputs[0] if inputs else None
    bias = len(inputs) == 3 and inputs[2] is not None
    if getattr(x, "ndim", 2) == 2:
        return "AddmmBackward0" if bias else "MmBackward0"
    if bias:
        return "ViewBackward0" if x.is_contiguous() else "AddBackward0"
    return "SqueezeBackward4" if x.ndim == 1 else "UnsafeViewBackward0"


_MATMUL_NAMES = {
    (1, 1): "DotBackward0",
    (2, 1): "MvBackward0",
    (2, 2): "MmBackward0",
    (1, 2): "SqueezeBackward4",
}


def _matmul(node):
    """torch.matmul's last op by the operands' ranks (Tensor.bmm renames its node BmmBackward0)."""
    inputs = _inputs(node)
    if len(inputs) == 2 and hasattr(inputs[0], "ndim"):
        ranks = (inputs[0].ndim, inputs[1].ndim)
        if ranks in _MATMUL_NAMES:
            return _MATMUL_NAMES[ranks]
        return (
            "CloneBackward0" if ranks[0] == 2 else "UnsafeViewBackward0"
        )  # (2-D @ batch: a transposed copy)
    return "MmBackward0"


def _reshape(node):
    """torch's reshape: a view of a contiguous tensor; of another layout, _reshape_alias where
    a view exists, else a copy then _unsafe_view (Tensor.view renames its node ViewBackward0)."""
    inputs, saved = _inputs(node), getattr(node, "saved", None)
    data = getattr(inputs[0], "_data", None) if inputs else None
    flags = getattr(data, "flags", None)
    if flags is None or flags.c_contiguous or not (isinstance(saved, tuple) and len(saved) == 2):
        return "ViewBackward0"
    view = data.view()
    try:
        view.shape = saved[1]  # NumPy refuses where reshape would copy
    except (AttributeError, ValueError):
        return "UnsafeViewBackward0"
    return "ReshapeAliasBackward0"


def _div(node):
    inputs = _inputs(node)  # 1 / x is torch's reciprocal(x) * 1 (Tensor.__rtruediv__)
    return "MulBackward0" if len(inputs) == 2 and not hasattr(inputs[0], "_data") else "DivBackward0"


def _by_other(base):
    """torch's overload by the second operand: a Python number is Backward0, a tensor Backward1
    (torch.fmod(x, 2.0) FmodBackward0, torch.fmod(x, y) FmodBackward1)."""

    def rule(node):
        inputs = _inputs(node)
        return f"{base}Backward1" if len(inputs) == 2 and hasattr(inputs[1], "_data") else f"{base}Backward0"

    return rule


def _index(node):
    """torch applies an index's parts left to right and names the last op it recorded: an int
    selects, None unsqueezes, a slice that is not the whole dimension slices (a whole one
    records nothing; nothing at all is an alias). A lone slice is always a slice."""
    saved = getattr(node, "saved", None)  # (shape, dtype, index, advanced) until released
    if not isinstance(saved, tuple) or len(saved) != 4 or saved[3]:
        return "IndexBackward0"
    shape, index = saved[0], saved[2]
    if isinstance(index, slice):
        return "SliceBackward0"
    parts = index if isinstance(index, tuple) else (index,)
    consumed = sum(1 for p in parts if p is not None and p is not Ellipsis)
    last, dim = "AliasBackward0", 0
    for p in parts:
        if p is None:
            last = "UnsqueezeBackward0"
        elif p is Ellipsis:
            dim += len(shape) - consumed
        elif isinstance(p, slice):
            n = shape[dim] if dim < len(shape) else 0
            if p.indices(n) != (0, n, 1):
                last = "SliceBackward0"
            dim += 1
        else:
            last, dim = "SelectBackward0", dim + 1
    return last


def _elementwise(node):
    saved = getattr(node, "saved", None)
    name = saved[2] if isinstance(saved, tuple) and len(saved) == 3 else "unknown"
    return {"log1p": "Log1PBackward0", "expm1": "Expm1Backward0"}.get(name, f"{name.capitalize()}Backward0")


def _max_or_min(overload: str, maximum: str = "Max", minimum: str = "Min"):
    """x.max(...) or x.min(...) (torch.maximum/minimum): the node keeps which in its `largest` slot."""

    def rule(node):
        return f"{maximum if getattr(node, 'largest', True) else minimum}Backward{overload}"

    return rule


def _reduction(base):
    def rule(node):
        saved = getattr(node, "saved", None)  # (shape, dims, keepdim, ...): kept, never released
        if isinstance(saved, tuple) and len(saved) >= 4:
            keepdim, dim_given = saved[2], saved[-1]
            if keepdim or dim_given:  # torch: the overload with a dim (any, even all of them) is Backward1
                return f"{base}Backward1"
        return f"{base}Backward0"

    rule.from_saved = True  # (what it reads stays after backward: reads_inputs)
    return rule


def _scatter(node) -> str:
    """scatter_add; scatter of a src tensor (Backward0) or of a number, `value` (Backward1)."""
    saved = getattr(node, "saved", None)
    if saved and saved[1]:
        return "ScatterAddBackward0"
    inputs = _inputs(node)
    return "ScatterBackward1" if len(inputs) == 2 and not hasattr(inputs[1], "_data") else "ScatterBackward0"


def _prod(node) -> str:
    return "ProdBackward1" if getattr(node, "dim", None) is not None else "ProdBackward0"


_NODE_OF_OP = {"_unique2": "Unique2Backward0", "unique_dim": "UniqueDimBackward0"}
_NODE_OF_OP["unique_consecutive"] = "UniqueConsecutiveBackward0"


def _not_differentiable(node) -> str:
    """torch's node for an op without a derivative: named after the op where torch's derivatives
    table lists it (unique's), else NotImplemented (histogram's outputs, bincount's weights)."""
    saved = getattr(node, "saved", None)
    return _NODE_OF_OP.get(saved[0], "NotImplemented") if saved else "NotImplemented"


_not_differentiable.from_saved = True


TORCH_NAMES = {
    "Scatter": _scatter,
    "Prod": _prod,
    "NotImplemented": "NotImplemented",  # torch's node for an op it cannot differentiate (floor_divide)
    "NotDifferentiable": _not_differentiable,
    "Add": "AddBackward0",
    "Sub": "SubBackward0",
    "Mul": "MulBackward0",
    "Div": _div,
    "DivMode": "DivBackward2",  # div(rounding_mode="floor" or "trunc"): torch's overload with a mode
    "Fmod": _by_other("Fmod"),
    "Remainder": _by_other("Remainder"),
    "Pow": _by_other("Pow"),
    "Where": "WhereBackward0",
    "Maximum": _max_or_min("0", "Maximum", "Minimum"),
    "Neg": "NegBackward0",
    "Exp": "ExpBackward0",
    "Log": "LogBackward0",
    "Sqrt": "SqrtBackward0",
    "Root": "SqrtBackward0",
    "Abs": "AbsBackward0",
    "Sigmoid": "SigmoidBackward0",
    "Tanh": "TanhBackward0",
    "Elementwise": _elementwise,
    "CumSum": "CumsumBackward0",
    "CumProd": "CumprodBackward0",
    "LogCumSumExp": "LogcumsumexpBackward0",
    "SelectEvenly": "MedianBackward0",  # median (and nanmedian) over all elements
    "Clamp": "ClampBackward1",
    "Cast": "ToCopyBackward0",
    "ToDevice": "ToCopyBackward0",
    "MatMul": _matmul,
    "Linear": _linear,
    "ReLU": "ReluBackward0",
    "Softmax": "SoftmaxBackward0",
    "LogSoftmax": "LogSoftmaxBackward0",
    "CrossEntropy": "NllLossBackward0",
    "MSE": "MseLossBackward0",
    "BinaryCrossEntropy": "BinaryCrossEntropyBackward0",
    "BinaryCrossEntropyWithLogits": "BinaryCrossEntropyWithLogitsBackward0",
    "EmbeddingLookup": "EmbeddingBackward0",
    "Sum": _reduction("Sum"),
    "Mean": _reduction("Mean"),
    "MaxMinDim": _max_or_min("0"),
    "AMaxMin": "AmaxBackward0",
    "MaxMinAll": _max_or_min("1"),
    "Reshape": _reshape,
    "Permute": "PermuteBackward0",
    "Expand": "ExpandBackward0",
    "Index": _index,
    "Cat": "CatBackward0",
    "Stack": "StackBackward0",
    "Clone": "CloneBackward0",
}


def torch_name(node, op_class) -> str:
    """The name torch gives the operation node (an instance of the Function class op_class) stands for."""
    rule = TORCH_NAMES.get(op_class.__name__)
    if rule is None:
        return f"{op_class.__name__}Backward0"
    return rule if isinstance(rule, str) else rule(node)


def reads_inputs(node_class, saved_goes: bool = True) -> bool:
    """Whether a node of this class (not yet renamed) is named from its inputs or saved arrays,
    which it lets go of after backward (Function.release fixes the name first). saved_goes=False:
    its saved values stay (a node that saves no tensor), so a rule reading only those need not run."""
    rule = TORCH_NAMES.get(node_class.__name__)
    return (
        "_op_class" not in node_class.__dict__
        and callable(rule)
        and (saved_goes or not getattr(rule, "from_saved", False))
    )


TorchNodeType = ShownType  # a node class prints as torch's: <class 'MulBackward0'>


_NAMED = {}


def named_class(op_class, name: str):
    """The subclass of op_class called `name` (no new slots: a node can switch to it), cached."""
    sub = _NAMED.get((op_class, name))
    if sub is None:
        attrs = {"__slots__": (), "__module__": op_class.__module__, "_op_class": op_class}
        sub = _NAMED[(op_class, name)] = TorchNodeType(name, (op_class,), attrs)
    return sub

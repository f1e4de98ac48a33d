"""Reverse-mode automatic differentiation: grad mode, the graph's nodes, the engine, the ops.

How it works (read this first)
------------------------------
Every differentiable operation is a small `Function` subclass with `forward` (on backend
arrays) and `backward` (the vector-Jacobian product) side by side; `Op.apply(*tensors)`
runs forward and, when grad mode is on and an input requires grad, keeps the instance as
the output's `grad_fn`: the instance *is* the graph node. `Tensor.backward()` hands the
output to the engine, which walks the nodes in topological order and adds the gradients
that reach leaves into their `.grad`.

    grad_mode.py    no_grad / enable_grad / set_grad_enabled (thread-local, like torch)
    function.py     Function (apply, kernels, release) and AccumulateGrad
    engine.py       topological order, accumulation, retain_graph, run_backward, grad()
    graph_backward.py  the walk with create_graph=True: gradients that are differentiable
    graph_rules.py  each op's backward written in differentiable ops (second derivatives)
    fused.py        where Python meets the compiled kernels: matmul, linear, relu,
                    softmax, log_softmax, cross-entropy, mse, embedding
    elementwise.py  + - * / ** where max/min and the unary math
    reduction.py    sum, mean, max/min
    scan.py         cumprod, logcumsumexp, the even split of median()'s gradient
    conv.py         conv2d, conv_transpose2d, max/avg/adaptive pooling (the conv kernels of the table)
    shape.py        reshape, permute, expand, indexing, cat, stack, clone
    inplace.py      in-place changes in the graph: version checks, Copy, CopySlices, rebase
    hooks.py        Tensor.register_hook: the hooks the engine runs on a tensor's gradient
    custom.py       Functions written as in torch (static forward(ctx, ...), backward(ctx, ...))
    api.py          torch.autograd's backward(), grad() with all its options, Variable
    anomaly_mode.py detect_anomaly / set_detect_anomaly: which backward produced NaN
    functional.py   jacobian, vjp, jvp (torch.autograd.functional)
    forward_ad.py   dual tensors (torch.autograd.forward_ad), by the double-backward trick

Arrows: these modules import pyneuro._tensor_base (the Tensor slots and the one
constructor `_wrap`), _shapes, _errors and backends, never pyneuro.tensor; tensor.py
imports them.
"""

from __future__ import annotations

from .._shapes import broadcast_shapes as _broadcast_shapes
from .._shapes import normalize_dims as _normalize_dims
from . import custom as _custom  # noqa: F401  (registers torch-style Functions with Function.apply)
from . import forward_ad, functional
from .anomaly_mode import (
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_anomaly_enabled,
    set_detect_anomaly,
)
from .api import Variable, backward, grad
from .binary_loss import BinaryCrossEntropy, BinaryCrossEntropyWithLogits, SoftMarginLoss
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv2d, ConvTranspose2d, MaxPool2d, max_pool2d_with_indices
from .elementwise import (
    Abs,
    Add,
    Cast,
    Clamp,
    ClampTensors,
    CumSum,
    Div,
    Elementwise,
    Exp,
    Log,
    Maximum,
    Mul,
    Neg,
    Pow,
    Root,
    Sigmoid,
    SmoothL1,
    Sqrt,
    Sub,
    Tanh,
    ToDevice,
    Where,
)
from .engine import _accumulate_leaf, _topological_order, run_backward
from .function import AccumulateGrad, Function, _unbroadcast
from .fused import MSE, CrossEntropy, EmbeddingLookup, Linear, LogSoftmax, MatMul, ReLU, Softmax
from .grad_mode import (
    _GradMode,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_multithreading_enabled,
    no_grad,
    set_grad_enabled,
    set_multithreading_enabled,
)
from .graph_backward import as_grad_tensor, run_backward_graph
from .reduction import AMaxMin, Logsumexp, MaxMinAll, MaxMinDim, Mean, Prod, Std, Sum, Var
from .scan import CumProd, LogCumSumExp, SelectEvenly
from .shape import (
    Cat,
    Clone,
    Expand,
    Index,
    Named,
    Permute,
    ReadsInputs,
    Reshape,
    Stack,
    named,
    renamed,
    watch,
)
from .shown import ShownNode, edge_node, engine_edges
from .stand_in import follows  # noqa: F401  (compositions name what their nodes stand in for)

__all__ = [
    "Function",
    "AccumulateGrad",
    "grad",
    "backward",
    "Variable",
    "functional",
    "forward_ad",
    "detect_anomaly",
    "set_detect_anomaly",
    "set_anomaly_enabled",
    "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled",
    "run_backward",
    "run_backward_graph",
    "as_grad_tensor",
    "no_grad",
    "inference_mode",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "is_multithreading_enabled",
    "set_multithreading_enabled",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Pow",
    "Where",
    "Maximum",
    "Neg",
    "Exp",
    "Log",
    "Sqrt",
    "Root",
    "Abs",
    "Sigmoid",
    "Elementwise",
    "CumSum",
    "CumProd",
    "LogCumSumExp",
    "SelectEvenly",
    "Tanh",
    "Clamp",
    "ClampTensors",
    "Cast",
    "ToDevice",
    "MatMul",
    "Linear",
    "ReLU",
    "Softmax",
    "LogSoftmax",
    "CrossEntropy",
    "MSE",
    "BinaryCrossEntropy",
    "BinaryCrossEntropyWithLogits",
    "SoftMarginLoss",
    "SmoothL1",
    "EmbeddingLookup",
    "Conv2d",
    "ConvTranspose2d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "max_pool2d_with_indices",
    "Sum",
    "Mean",
    "Prod",
    "Logsumexp",
    "Std",
    "Var",
    "MaxMinDim",
    "AMaxMin",
    "MaxMinAll",
    "Reshape",
    "Permute",
    "Expand",
    "Index",
    "Cat",
    "Stack",
    "Clone",
    "Named",
    "ShownNode",
    "edge_node",
    "engine_edges",
    "ReadsInputs",
    "named",
    "renamed",
    "watch",
    "_GradMode",
    "_normalize_dims",
    "_broadcast_shapes",
    "_unbroadcast",
    "_accumulate_leaf",
    "_topological_order",
]


def __getattr__(name: str):
    """torch.autograd.gradcheck / gradgradcheck (pyneuro/gradcheck.py), torch.autograd.profiler and
    torch.autograd.graph (profiler.py, graph.py here), loaded on first use: they import the Tensor or the profiler, which import
    this package."""
    import importlib

    if name in ("gradcheck", "gradgradcheck", "GradcheckError"):
        return getattr(importlib.import_module("pyneuro.gradcheck"), name)
    if name in ("profiler", "graph"):
        return importlib.import_module(f"pyneuro.autograd.{name}")
    raise AttributeError(f"module 'pyneuro.autograd' has no attribute {name!r}")

"""torch.autograd's free functions and legacy names: backward(), grad() with all of torch's
options, and Variable.

    pn.autograd.backward([loss1, loss2])                     # = loss1.backward(); loss2.backward()
    pn.autograd.backward(y, grad_tensors=v, inputs=[w])      # only w.grad changes
    pn.autograd.grad(y, [x, z], materialize_grads=True)      # unused inputs get zeros
    v = pn.autograd.Variable(t, requires_grad=True)          # old code: just a tensor now

Both run on the engine's backward walk (engine.run_backward via Tensor.backward, engine.grad);
this module only handles the arguments. create_graph=True records the backward itself
(graph_backward.py), so the gradients can be differentiated again.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._errors import ShapeError
from .._tensor_base import TensorBase, _backend, _wrap
from ..backends import table_for
from . import engine
from .custom import transforms
from .shape import Stack


class _VariableMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, TensorBase)  # in torch every Tensor is a Variable


class Variable(metaclass=_VariableMeta):
    """The pre-0.4 wrapper, now only a name: Variable(t, requires_grad=False) returns a tensor
    sharing t's data, detached from t's graph, with the requires_grad asked for (as torch's
    does), and isinstance(any tensor, Variable) is True."""

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool = False):
        if not isinstance(data, TensorBase):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = data.detach()
        if requires_grad:
            out.requires_grad_(True)
        return out


def seed_gradient(t, gradient):
    """The array that starts t.backward(gradient): ones for a one-element t and gradient=None,
    else gradient's data (a Tensor of t's shape, on t's device; cast to t's dtype)."""
    if gradient is None:
        if t._data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs (this tensor has shape {tuple(t.shape)}); "
                "pass gradient= of the same shape"
            )
        # (np.ones is a Python function, empty + copyto: right after a step's matmuls,
        # with cold caches, it cost ~9 us per backward; np.array(1) is one C call)
        data, xp = t._data, _backend(t.device).xp
        return (
            np.array(1, dtype=data.dtype).reshape(data.shape)
            if xp is np
            else xp.ones(data.shape, dtype=data.dtype)
        )
    if not isinstance(gradient, TensorBase):  # torch's words; a list reads as one gradient per tensor
        first = gradient[0] if isinstance(gradient, (list, tuple)) and gradient else gradient
        raise TypeError(f"gradients can be either Tensors or None, but got {type(first).__name__}")
    if gradient.device != t.device:
        raise RuntimeError(f"backward: gradient is on {gradient.device} but the tensor is on {t.device}")
    g = gradient._data
    if tuple(g.shape) != tuple(t._data.shape):
        raise ShapeError(
            f"backward: gradient has shape {tuple(g.shape)} but the tensor has shape {tuple(t._data.shape)}"
        )
    return g if g.dtype == t._data.dtype else g.astype(t._data.dtype)


def _as_list(x) -> list:
    if x is None:
        return []
    return [x] if isinstance(x, TensorBase) else list(x)


def backward(
    tensors,
    grad_tensors=None,
    retain_graph=None,
    create_graph: bool = False,
    grad_variables=None,
    inputs=None,
) -> None:
    """Sum of the gradients of `tensors` (each weighted by its grad_tensors entry; None for a
    scalar) into the leaves' .grad, as torch.autograd.backward. With `inputs`, only those
    tensors' .grad (leaves or not) receive their gradient; the others stay as they were."""
    if grad_variables is not None:
        if grad_tensors is not None:
            raise RuntimeError("You cannot specify both grad_variables and grad_tensors.")
        warnings.warn(
            "'grad_variables' is deprecated. Use 'grad_tensors' instead.", FutureWarning, stacklevel=2
        )
        grad_tensors = grad_variables
    outs = _as_list(tensors)
    if not outs:
        raise RuntimeError("backward() received an empty list of tensors")
    grads = [None] * len(outs) if grad_tensors is None else _as_list(grad_tensors)
    if len(grads) < len(outs):  # extra entries are ignored, as torch's zip does
        raise RuntimeError(f"got {len(outs)} tensors and {len(grads)} gradients")
    grads = grads[: len(outs)]
    wanted = _as_list(inputs)
    if inputs is not None and not wanted:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    if wanted:
        found = engine.grad(
            outs, wanted, grads, retain_graph=retain_graph, create_graph=create_graph, allow_unused=True
        )
        for t, g in zip(wanted, found):
            if g is not None:
                t._grad = g if t._grad is None else t._grad + g
        return
    keep = bool(create_graph if retain_graph is None else retain_graph)
    for i, (o, g) in enumerate(zip(outs, grads)):
        o.backward(g, retain_graph=keep or i < len(outs) - 1, create_graph=create_graph)
    if not keep:
        engine.release_graphs(outs)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused=None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
):
    """The gradients of outputs with respect to inputs, returned instead of stored
    (torch.autograd.grad). allow_unused=True gives None for an input the outputs do not
    use, materialize_grads=True zeros instead; is_grads_batched=True reads the first
    dimension of every grad_outputs entry as a batch of vectors (one backward each here,
    where torch vectorizes) and stacks the results."""
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, but got: allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    if not only_inputs:
        warnings.warn(
            "only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
            "gradient for other parts of the graph, please use torch.autograd.backward.",
            FutureWarning,
            stacklevel=2,
        )
    ins = _as_list(inputs)
    if retain_graph is None and transforms.mapped is not None:  # under vmap, which calls this once per
        retain_graph = True  # row of the batch where torch's one batched call frees the graph at its end
    if is_grads_batched:
        result = _batched_grad(outputs, ins, grad_outputs, retain_graph, create_graph, allow_unused)
    else:
        result = engine.grad(
            outputs,
            ins,
            grad_outputs,
            retain_graph=retain_graph,
            create_graph=create_graph,
            allow_unused=allow_unused,
        )
    if materialize_grads:
        result = tuple(zeros_like(t) if g is None else g for t, g in zip(ins, result))
    return result


def _batched_grad(outputs, ins, grad_outputs, retain_graph, create_graph, allow_unused):
    gouts = _as_list(grad_outputs)
    if not gouts:
        raise RuntimeError("is_grads_batched=True needs grad_outputs")
    n = gouts[0].shape[0]
    per_row = []
    for b in range(n):
        last = b == n - 1
        per_row.append(
            engine.grad(
                outputs,
                ins,
                [g[b] for g in gouts],
                retain_graph=retain_graph if last else True,
                create_graph=create_graph,
                allow_unused=allow_unused,
            )
        )
    join = (lambda rows: Stack.apply(*rows, dim=0)) if create_graph else stack
    return tuple(None if rows[0] is None else join(list(rows)) for rows in zip(*per_row))


# Results that need no graph (zeros for unused inputs, first-order batched rows), built on the arrays:
# autograd's modules do not import pyneuro.creation / pyneuro.functions (see __init__).


def zeros_like(t):
    """A new tensor of zeros with t's shape, dtype and device (no graph)."""
    return _wrap(table_for(t, t.device).xp.zeros(t._data.shape, dtype=t._data.dtype), t.device)


def zeros(shape, like):
    """A new tensor of zeros of `shape`, with the dtype and device of the tensor `like`."""
    return _wrap(table_for(like, like.device).xp.zeros(tuple(shape), dtype=like._data.dtype), like.device)


def stack(tensors):
    """The tensors stacked along a new first dimension (no graph)."""
    first = tensors[0]
    return _wrap(table_for(first, first.device).xp.stack([t._data for t in tensors]), first.device)

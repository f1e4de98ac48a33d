"""torch.autograd.functional: derivatives of a whole function, computed with backward passes.

    J = jacobian(f, x)            # shape f(x).shape + x.shape: row j is the gradient of f(x).flatten()[j]
    y, g = vjp(f, x, v)           # v^T J, one backward pass
    y, u = jvp(f, x, v)           # J v (built here from the full Jacobian: one backward per output element)

`inputs` is a Tensor or a tuple of Tensors, and f returns a Tensor or a tuple of them; the
results follow the same nesting as torch's (a tuple over outputs of tuples over inputs).
The inputs are detached copies that require grad, so f's graph never touches the caller's.
An output that does not depend on an input contributes zeros (strict=True: a RuntimeError).
vectorize=True is accepted and gives the same numbers (the rows are computed one by one).

hessian, hvp and vhp need the gradient of a gradient (create_graph=True), which pyneuro's
autograd does not record: they raise NotImplementedError, as does create_graph=True.
"""

from __future__ import annotations

from .._tensor_base import TensorBase
from .api import grad, stack, zeros, zeros_like
from .grad_mode import enable_grad


def _as_tuple(x, what: str, fn: str) -> tuple:
    """(was it a tuple?, the tensors as a tuple), with torch's TypeError for anything else."""
    if isinstance(x, TensorBase):
        return False, (x,)
    if isinstance(x, tuple) and all(isinstance(t, TensorBase) for t in x):
        return True, x
    raise TypeError(
        f"The {what} given to {fn} must be either a Tensor or a tuple of Tensors but the given {what} has type {type(x)}."
    )


def _first_order_only(create_graph: bool, fn: str) -> None:
    if create_graph:
        raise NotImplementedError(
            f"{fn}(create_graph=True) needs higher-order gradients, which pyneuro does not support"
        )


def _run(func, inputs, fn: str):
    """Call func on detached copies of inputs that require grad; returns the nesting flags,
    the copies and the outputs."""
    in_tuple, ins = _as_tuple(inputs, "inputs", fn)
    ins = tuple(t.detach().requires_grad_(True) for t in ins)
    with enable_grad():
        outs = func(*ins)
    out_tuple, outs = _as_tuple(outs, "outputs of the user-provided function", fn)
    return in_tuple, ins, out_tuple, outs


def _check_strict(strict: bool, outs) -> None:
    if strict:
        for i, out in enumerate(outs):
            if not out.requires_grad:
                raise RuntimeError(
                    f"Output {i} of the user-provided function does not require gradients. The outputs must be "
                    "computed in a differentiable manner from the input when running in strict mode."
                )


def _grads(out, ins, weight, i: int, strict: bool) -> list:
    """d(sum(out * weight)) / d(each input), zeros where out does not depend on it."""
    found = (
        grad(out, ins, weight, retain_graph=True, allow_unused=True)
        if out.requires_grad
        else (None,) * len(ins)
    )
    result = []
    for k, (t, g) in enumerate(zip(ins, found)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"Output {i} of the user-provided function is independent of input {k}. "
                    "This is not allowed in strict mode."
                )
            g = zeros_like(t)
        result.append(g)
    return result


def _nest(values, out_tuple: bool, in_tuple: bool):
    """values[i][k] (output i, input k) in torch's nesting."""
    rows = [tuple(row) if in_tuple else row[0] for row in values]
    return tuple(rows) if out_tuple else rows[0]


def jacobian(
    func,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy="reverse-mode",
):
    """The Jacobian of func at inputs: for output i and input k, a tensor of shape
    outputs[i].shape + inputs[k].shape, built row by row from one backward pass per output element."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function has more '
            'outputs than inputs, "forward-mode" tends to be more performant. Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError(
            "Computing Jacobian using forward-AD or forward-over-reverse Hessian isonly implemented for `vectorize=True`."
        )
    _first_order_only(create_graph, "jacobian")
    in_tuple, _, out_tuple, _, values = _jacobian_blocks(func, inputs, strict, "jacobian")
    return _nest(values, out_tuple, in_tuple)


def _jacobian_blocks(func, inputs, strict: bool, fn: str):
    """Run func once; values[i][k] = d outputs[i] / d inputs[k], of shape out.shape + in.shape."""
    in_tuple, ins, out_tuple, outs = _run(func, inputs, fn)
    _check_strict(strict, outs)
    values = []
    for i, out in enumerate(outs):
        rows = [[] for _ in ins]
        n = out.numel()
        for j in range(n):
            onehot = zeros((n,), like=out)
            onehot._data[j] = 1
            for k, g in enumerate(_grads(out, ins, onehot.reshape(tuple(out.shape)), i, strict)):
                rows[k].append(g)
        values.append(
            [
                stack(r).reshape(tuple(out.shape) + tuple(t.shape))
                if r
                else zeros(tuple(out.shape) + tuple(t.shape), like=t)
                for r, t in zip(rows, ins)
            ]
        )
    return in_tuple, ins, out_tuple, outs, values


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J): the gradient of sum(outputs * v) with respect to each input.
    v may be None only when func returns a single one-element tensor."""
    _first_order_only(create_graph, "vjp")
    in_tuple, ins, out_tuple, outs = _run(func, inputs, "vjp")
    if v is not None:
        _, vs = _as_tuple(v, "v", "vjp")
        _check_vectors(vs, outs, out_tuple, "user-provided function")
    else:
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the user-provided function returns a single Tensor with a single element."
            )
        vs = (None,)
    _check_strict(strict, outs)
    totals = [zeros_like(t) for t in ins]
    used = [False] * len(ins)
    for out, w in zip(outs, vs):
        if not out.requires_grad:
            continue
        found = grad(out, ins, w, retain_graph=True, allow_unused=True)
        for k, g in enumerate(found):
            if g is not None:
                totals[k] = totals[k] + g
                used[k] = True
    if strict and not all(used):
        k = used.index(False)
        raise RuntimeError(
            f"The output of the user-provided function is independent of input {k}. This is not allowed in strict mode."
        )
    detached = tuple(o.detach() for o in outs)
    return (detached if out_tuple else detached[0]), (tuple(totals) if in_tuple else totals[0])


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v), J v computed from the full Jacobian (pyneuro has no forward mode).
    v may be None only when the input is a single one-element tensor."""
    _first_order_only(create_graph, "jvp")
    in_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
    if v is not None:
        _, vs = _as_tuple(v, "v", "jvp")
        _check_vectors(vs, ins, in_tuple, "input")
    else:
        if len(ins) != 1 or ins[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided function is a single Tensor "
                "with a single element."
            )
        vs = (None,)
    _, ins, out_tuple, outs, blocks = _jacobian_blocks(func, tuple(ins), strict, "jvp")
    results = []
    for out, row in zip(outs, blocks):
        total = None
        for t, w, j in zip(ins, vs, row):
            flat = j.reshape(out.numel(), t.numel())
            term = (flat * (1 if w is None else w.reshape(1, -1))).sum(1).reshape(out.shape)
            total = term if total is None else total + term
        results.append(total)
    detached = tuple(o.detach() for o in outs)
    return (detached if out_tuple else detached[0]), (tuple(results) if out_tuple else results[0])


def _check_vectors(vs, targets, is_tuple: bool, what: str) -> None:
    if len(vs) != len(targets):
        if is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(targets)} but got {len(vs)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (w, t) in enumerate(zip(vs, targets)):
        if tuple(w.shape) != tuple(t.shape):
            where = f"Entry {i} in v" if is_tuple else "v"
            raise RuntimeError(f"{where} has invalid size: should be {t.shape} but got {w.shape}.")


def _second_order(name: str):
    def unsupported(*args, **kwargs):
        raise NotImplementedError(
            f"torch.autograd.functional.{name} needs second-order gradients (the gradient of a gradient), "
            "which pyneuro's autograd does not record; jacobian, vjp and jvp are available"
        )

    unsupported.__name__ = name
    unsupported.__doc__ = f"Not available in pyneuro: {name} needs second-order gradients."
    return unsupported


hessian = _second_order("hessian")
hvp = _second_order("hvp")
vhp = _second_order("vhp")

__all__ = ["jacobian", "vjp", "jvp", "hessian", "hvp", "vhp"]

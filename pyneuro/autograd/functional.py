"""torch.autograd.functional: derivatives of a whole function, computed with backward passes.

    J = jacobian(f, x)            # shape f(x).shape + x.shape: row j is the gradient of f(x).flatten()[j]
    y, g = vjp(f, x, v)           # v^T J, one backward pass
    y, u = jvp(f, x, v)           # J v (built here from the full Jacobian: one backward per output element)

`inputs` is a Tensor or a tuple of Tensors, and f returns a Tensor or a tuple of them; the
results follow the same nesting as torch's (a tuple over outputs of tuples over inputs).
Without create_graph the inputs are detached copies that require grad, so f's graph never
touches the caller's.
An output that does not depend on an input contributes zeros (strict=True: a RuntimeError).
vectorize=True is accepted and gives the same numbers (the rows are computed one by one).

    H = hessian(f, x)             # shape x.shape + x.shape: the Jacobian of f's gradient
    y, hv = hvp(f, x, v)          # H v from two backward passes, never the full H (vhp: v^T H)

create_graph=True keeps the results in the graph (graph_backward.py): the inputs are then
views of the caller's tensors, so the results can be differentiated with respect to them.
"""

from __future__ import annotations

from .._tensor_base import TensorBase
from .api import grad, stack, zeros, zeros_like
from .grad_mode import enable_grad
from .shape import Reshape, Stack


def _as_tuple(x, what: str, fn: str) -> tuple:
    """(was it a tuple?, the tensors as a tuple), with torch's TypeError for anything else."""
    if isinstance(x, TensorBase):
        return False, (x,)
    if isinstance(x, tuple) and all(isinstance(t, TensorBase) for t in x):
        return True, x
    raise TypeError(
        f"The {what} given to {fn} must be either a Tensor or a tuple of Tensors but the given {what} has type {type(x)}."
    )


def _prepare(ins, create_graph: bool, need_graph: bool = True) -> tuple:
    """torch's _grad_preprocess: with create_graph, an input that requires grad is used as a
    view (its graph kept); any other input is a detached copy, requiring grad where f's graph
    needs it (with create_graph too: an input that needs no grad still gets its derivatives)."""
    return tuple(
        Reshape.apply(t, shape=tuple(t.shape))
        if create_graph and t.requires_grad
        else t.detach().requires_grad_(need_graph)
        for t in ins
    )


def _finish(ts, create_graph: bool) -> tuple:
    """torch's _grad_postprocess: results leave the graph unless create_graph."""
    return tuple(ts) if create_graph else tuple(t.detach() for t in ts)


def _run(func, inputs, fn: str, create_graph: bool = False):
    """Call func on the prepared inputs; returns the nesting flags, the inputs and the outputs."""
    in_tuple, ins = _as_tuple(inputs, "inputs", fn)
    with enable_grad():
        ins = _prepare(ins, create_graph)
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


def _grads(out, ins, weight, i: int, strict: bool, create_graph: bool = False) -> list:
    """d(sum(out * weight)) / d(each input), zeros where out does not depend on it."""
    found = (
        grad(out, ins, weight, retain_graph=True, create_graph=create_graph, allow_unused=True)
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
    in_tuple, _, out_tuple, _, values = _jacobian_blocks(func, inputs, strict, "jacobian", create_graph)
    return _nest(values, out_tuple, in_tuple)


def _jacobian_blocks(func, inputs, strict: bool, fn: str, create_graph: bool = False):
    """Run func once; values[i][k] = d outputs[i] / d inputs[k], of shape out.shape + in.shape."""
    in_tuple, ins, out_tuple, outs = _run(func, inputs, fn, create_graph)
    _check_strict(strict, outs)
    join = (lambda rows: Stack.apply(*rows, dim=0)) if create_graph else stack
    values = []
    for i, out in enumerate(outs):
        rows = [[] for _ in ins]
        n = out.numel()
        for j in range(n):
            onehot = zeros((n,), like=out)
            onehot._data[j] = 1
            for k, g in enumerate(
                _grads(out, ins, onehot.reshape(tuple(out.shape)), i, strict, create_graph)
            ):
                rows[k].append(g)
        values.append(
            [
                join(r).reshape(tuple(out.shape) + tuple(t.shape))
                if r
                else zeros(tuple(out.shape) + tuple(t.shape), like=t)
                for r, t in zip(rows, ins)
            ]
        )
    return in_tuple, ins, out_tuple, outs, values


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J): the gradient of sum(outputs * v) with respect to each input.
    v may be None only when func returns a single one-element tensor."""
    in_tuple, ins, out_tuple, outs = _run(func, inputs, "vjp", create_graph)
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
        found = grad(out, ins, w, retain_graph=True, create_graph=create_graph, allow_unused=True)
        for k, g in enumerate(found):
            if g is not None:
                totals[k] = totals[k] + g
                used[k] = True
    if strict and not all(used):
        k = used.index(False)
        raise RuntimeError(
            f"The output of the user-provided function is independent of input {k}. This is not allowed in strict mode."
        )
    outs = _finish(outs, create_graph)
    return (outs if out_tuple else outs[0]), (tuple(totals) if in_tuple else totals[0])


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v), J v computed from the full Jacobian (pyneuro has no forward mode).
    v may be None only when the input is a single one-element tensor."""
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
    _, ins, out_tuple, outs, blocks = _jacobian_blocks(func, tuple(ins), strict, "jvp", create_graph)
    results = []
    for out, row in zip(outs, blocks):
        total = None
        for t, w, j in zip(ins, vs, row):
            flat = j.reshape(out.numel(), t.numel())
            term = (flat * (1 if w is None else w.reshape(1, -1))).sum(1).reshape(out.shape)
            total = term if total is None else total + term
        results.append(total)
    outs = _finish(outs, create_graph)
    return (outs if out_tuple else outs[0]), (tuple(results) if out_tuple else results[0])


def _check_vectors(vs, targets, is_tuple: bool, what: str) -> None:
    if len(vs) != len(targets):
        if is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(targets)} but got {len(vs)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (w, t) in enumerate(zip(vs, targets)):
        if tuple(w.shape) != tuple(t.shape):
            where = f"Entry {i} in v" if is_tuple else "v"
            raise RuntimeError(f"{where} has invalid size: should be {t.shape} but got {w.shape}.")


def _scalar(out, fn: str):
    """out, checked to be one one-element tensor (hessian, hvp, vhp), as a 0-d view."""
    if not isinstance(out, TensorBase):
        _as_tuple(out, "outputs of the user-provided function", fn)  # torch's TypeError first
        raise RuntimeError(f"The function given to {fn} should return a single Tensor")
    if out.numel() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {fn} should contain a single element"
        )
    return Reshape.apply(out, shape=())


def hessian(
    func,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy="reverse-mode",
):
    """The Hessian of a scalar func at inputs: the Jacobian of its gradient (the gradient taken
    with create_graph=True). For inputs k and l, a tensor of shape inputs[k].shape + inputs[l].shape."""
    in_tuple, _ = _as_tuple(inputs, "inputs", "hessian")

    def scalar(*inp):
        return _scalar(func(*inp), "hessian")

    def gradient(*inp):
        return _nest(_jacobian_blocks(scalar, inp, strict, "hessian", True)[4], False, True)

    _, _, _, _, values = _jacobian_blocks(gradient, inputs, strict, "hessian", create_graph)
    return _nest(values, in_tuple, in_tuple)


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T H): the gradient of <grad f, v>, two backward passes (no full H)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H v). H is symmetric for a twice continuously differentiable f, so this is
    vhp's product (torch computes it with a third backward pass, the double-backward trick)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph: bool, strict: bool, fn: str):
    in_tuple, ins = _as_tuple(inputs, "inputs", fn)
    if v is not None:
        _, vs = _as_tuple(v, "v", fn)
        _check_vectors(vs, ins, in_tuple, "input")
    elif len(ins) != 1 or ins[0].numel() != 1:
        raise RuntimeError(
            "The vector v can only be None if the input to the user-provided function is a single Tensor "
            "with a single element."
        )
    else:
        vs = (None,)
    with enable_grad():
        ins = _prepare(ins, create_graph)
        out = func(*ins)
        _check_strict(strict, (_scalar(out, fn),))
        firsts = _grads(_scalar(out, fn), ins, None, 0, strict, create_graph=True)
        pairs = [(d, w) for d, w in zip(firsts, vs) if d.requires_grad]
        products = [zeros_like(t) for t in ins]
        if pairs:
            found = grad(
                [d for d, _ in pairs],
                ins,
                [w for _, w in pairs],
                create_graph=create_graph,
                allow_unused=True,
            )
            products = [zeros_like(t) if g is None else g for t, g in zip(ins, found)]
    out = _finish((out,), create_graph)[0]
    products = _finish(products, create_graph)
    return out, (products if in_tuple else products[0])


__all__ = ["jacobian", "vjp", "jvp", "hessian", "hvp", "vhp"]

"""check_backward: a hand-written backward against finite differences, with a readable report.

pn.gradcheck answers "is the Jacobian right?" with a pass or the worst entry; a student
needs to know *which* input's gradient is wrong and how. check_backward computes, for
each input x_i, the gradient of <v, f(x)> for a random upstream gradient v two ways:

* analytically: f(x).backward(v), i.e. your backward, called with grad_output = v;
* numerically: central differences (s(x + eps e_j) - s(x - eps e_j)) / (2 eps) of
  s(x) = <v, f(x)>, entry by entry, in float64 (2 forward calls per entry: keep inputs small).

A random v (not all ones) is what catches a backward that forgets to multiply by
grad_output; the report names that mistake, a sign error, a factor of 2 and a transposed
gradient when it sees them.
"""

from __future__ import annotations

import numpy as np

from .. import Tensor, float64, no_grad, tensor
from .checks import CheckReport, as_array, compare, finish

__all__ = ["check_backward"]


def _inputs(specs, rng) -> list:
    """float64 arrays from shapes (random normal entries), tensors or arrays."""
    arrays = []
    for spec in specs:
        if isinstance(spec, tuple) and all(isinstance(s, int) for s in spec):
            arrays.append(rng.standard_normal(spec))
        else:
            arrays.append(np.array(as_array(spec), dtype=np.float64))
    return arrays


def _f64(array) -> Tensor:
    """A float64 tensor (pn.from_numpy would give float32) holding a copy of the array."""
    return tensor(np.array(array, dtype=np.float64), dtype=float64)


def _leaf(array) -> Tensor:
    t = _f64(array)
    t.requires_grad = True
    return t


def _weighted_sum(apply, arrays, v) -> float:
    """s(x) = <v, f(x)>, without recording a graph."""
    with no_grad():
        out = apply(*(_f64(a) for a in arrays))
    return float(np.sum(v * as_array(out)))


def _numerical(apply, arrays, v, i, eps) -> np.ndarray:
    grad = np.zeros_like(arrays[i])
    flat = grad.reshape(-1)
    for j in range(arrays[i].size):
        plus = [a.copy() for a in arrays]
        minus = [a.copy() for a in arrays]
        plus[i].reshape(-1)[j] += eps
        minus[i].reshape(-1)[j] -= eps
        flat[j] = (_weighted_sum(apply, plus, v) - _weighted_sum(apply, minus, v)) / (2 * eps)
    return grad


def check_backward(
    fn,
    inputs,
    *,
    reference=None,
    eps: float = 1e-6,
    rtol: float = 1e-4,
    atol: float = 1e-6,
    seed: int = 0,
    raises: bool = True,
) -> CheckReport:
    """Check the gradients of fn (a pn.autograd.Function subclass, or any function of tensors).

    Args:
        fn: a Function subclass (its `apply` is called) or a function of tensors.
        inputs: one entry per input: a shape (random normal float64 values are drawn) or
            a tensor/array (for inputs that must stay in a domain, e.g. positive for log).
        reference: optional function of tensors computing the right forward result; the
            forward output is compared with it first.
        eps, rtol, atol: step of the central differences, and the comparison tolerance.
        seed: seed of the random inputs and of the upstream gradient v.
        raises: raise CheckFailed on a wrong gradient (default), or return the report.
    """
    apply = fn.apply if isinstance(fn, type) and hasattr(fn, "apply") else fn
    name = getattr(fn, "__name__", type(fn).__name__)
    rng = np.random.default_rng(seed)
    if isinstance(inputs, tuple) and all(isinstance(s, int) for s in inputs):
        inputs = [inputs]  # one shape given on its own
    arrays = _inputs(inputs, rng)
    report = CheckReport(f"check_backward({name})")
    hints = []

    leaves = [_leaf(a) for a in arrays]
    out = apply(*leaves)
    if not isinstance(out, Tensor):
        report.add(False, f"forward returned {type(out).__name__}, not a tensor")
        return finish(report, raises)
    if reference is not None:
        expected = reference(*(_f64(a) for a in arrays))
        ok, detail, hint = compare(out, expected, rtol=rtol, atol=atol, label="forward")
        report.add(ok, detail if not ok else "forward: matches the reference")
        if hint:
            hints.append(hint)
    v = rng.standard_normal(tuple(out.shape))
    try:
        out.backward(_f64(v) if out.dtype == float64 else tensor(v.astype(np.float32)))
    except NotImplementedError:
        raise
    except Exception as exc:
        report.add(False, f"backward raised {type(exc).__name__}: {exc}"[:300])
        report.hint = (
            "backward must return one gradient per input of forward, each of the "
            "shape of its input (a tuple, even for one input)"
        )
        return finish(report, raises)

    ones = np.ones_like(v)
    for i, (leaf, array) in enumerate(zip(leaves, arrays)):
        label = f"gradient of input {i} ({'x'.join(map(str, array.shape)) or 'scalar'})"
        if leaf.grad is None:
            report.add(False, f"{label}: none (backward returned None for this input?)")
            continue
        numerical = _numerical(apply, arrays, v, i, eps)
        mistakes = {
            "your backward ignores grad_output: the chain rule multiplies your local derivative "
            "by the gradient that arrives from above (grad_output)": _numerical(apply, arrays, ones, i, eps),
        }
        ok, detail, hint = compare(leaf.grad, numerical, rtol=rtol, atol=atol, mistakes=mistakes, label=label)
        report.add(
            ok,
            detail.replace("expected", "finite differences give")
            if not ok
            else f"{label}: matches finite differences",
        )
        if hint and hint not in hints:
            hints.append(hint)
    report.hint = "\n      ".join(hints)
    return finish(report, raises)

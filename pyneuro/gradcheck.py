"""pn.gradcheck: compare autograd's gradients with finite differences, in float64.

Design. float32 finite differences are too noisy to check a gradient to 1e-5, and the
compiled backends compute in float32 only. So gradcheck
  1. copies every floating input to a float64 cpu tensor (same requires_grad),
  2. switches the cpu device to the NumPy *reference* backend for the duration of the check
     (every kernel of the table, fused ones included, has a float64-exact NumPy form there),
  3. computes the analytic Jacobian row by row: one backward per output element, with a
     one-hot `gradient` and retain_graph=True,
  4. computes the numerical Jacobian column by column with central differences:
         dF/dx_j ~ (F(x + eps e_j) - F(x - eps e_j)) / (2 eps),
  5. accepts when |analytic - numerical| <= atol + rtol * |numerical| for every entry,
and restores the previous backend. gradgradcheck checks second derivatives the same way: it
runs gradcheck on the gradient itself, taken with create_graph=True. It returns True, or raises GradcheckError naming the
worst entry (input, input index, output index, both values) -- or returns False when
raise_exception=False. The compiled kernels' gradients are then tested against the NumPy
reference in float32 by the op tests and the conformance suite.
"""

from __future__ import annotations

import contextlib

import numpy as np

from . import backends
from .autograd import enable_grad, no_grad
from .autograd import grad as _grad
from .tensor import Tensor, float64

# torch's keywords that change nothing in this check (it is always the full, slow one)
_TORCH_OPTIONS = frozenset(
    {
        "nondet_tol",
        "check_undefined_grad",
        "check_grad_dtypes",
        "check_batched_grad",
        "check_batched_forward_grad",
        "check_forward_ad",
        "check_backward_ad",
        "fast_mode",
        "masked",
        "gen_non_contig_grad_outputs",
        "check_fwd_over_rev",
        "check_rev_over_rev",
    }
)


class GradcheckError(RuntimeError):
    """Raised by gradcheck when an analytic gradient disagrees with finite differences."""


@contextlib.contextmanager
def reference_backend():
    """Run the cpu device on the NumPy reference backend inside the block."""
    previous = backends.backend_name("cpu")
    backends.set_backend("numpy")
    try:
        yield
    finally:
        backends.set_backend(previous)


def _outputs(out):
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.kind == "f"]


def _flat_values(out) -> np.ndarray:
    outs = _outputs(out)
    if not outs:
        return np.zeros(0)
    return np.concatenate([np.asarray(o.detach(), dtype=np.float64).ravel() for o in outs])


def gradcheck(
    fn,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    **torch_options,
) -> bool:
    """Check fn's analytic gradients against float64 central differences.

    fn takes the tensors in `inputs` (a Tensor or a tuple; non-tensor items are passed
    through) and returns a Tensor or a tuple of Tensors. Only floating inputs with
    requires_grad=True are checked. torch's other keywords (fast_mode, nondet_tol,
    check_undefined_grad, check_batched_grad, ...) are accepted: this full check covers them.
    (torch checks a float32 input in float32, and warns that this will likely fail; this check
    runs in float64 whatever the inputs' dtype, so it neither warns nor fails for that reason.)
    """
    unknown = set(torch_options) - _TORCH_OPTIONS
    if unknown:
        raise TypeError(f"gradcheck() got an unexpected keyword argument '{sorted(unknown)[0]}'")
    if isinstance(inputs, Tensor) or not isinstance(inputs, (tuple, list)):
        inputs = (inputs,)
    with reference_backend():
        args = []
        for x in inputs:
            if isinstance(x, Tensor):
                host = np.array(np.asarray(x.detach()), copy=True)
                if host.dtype.kind == "f":
                    t = Tensor._wrap(host.astype(float64), "cpu")
                    t.requires_grad = x.requires_grad
                else:
                    t = Tensor._wrap(host, "cpu")
                args.append(t)
            else:
                args.append(x)
        checked = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not checked:
            raise ValueError(
                "gradcheck: no input requires grad; set requires_grad=True on the inputs to check"
            )

        # analytic Jacobian: one backward per output element
        out = fn(*args)
        outs = _outputs(out)
        sizes = [o.numel() for o in outs]
        m = sum(sizes)
        analytic = {i: np.zeros((m, args[i].numel())) for i in checked}
        row = 0
        for o in outs:
            for j in range(o.numel()):
                for i in checked:
                    args[i].grad = None
                if o.requires_grad:
                    seed = np.zeros(o.numel())
                    seed[j] = 1.0
                    o.backward(Tensor._wrap(seed.reshape(o.shape).astype(o.dtype), "cpu"), retain_graph=True)
                for i in checked:
                    g = args[i].grad
                    if g is not None:
                        analytic[i][row] = np.asarray(g).ravel()
                row += 1
        for i in checked:
            args[i].grad = None

        # numerical Jacobian: central differences, one input entry at a time
        worst = None
        with no_grad():
            for i in checked:
                data = args[i]._data
                flat = data.reshape(-1)  # a view: edits reach args[i]
                numerical = np.zeros((m, flat.size))
                for j in range(flat.size):
                    orig = flat[j]
                    flat[j] = orig + eps
                    plus = _flat_values(fn(*args))
                    flat[j] = orig - eps
                    minus = _flat_values(fn(*args))
                    flat[j] = orig
                    numerical[:, j] = (plus - minus) / (2 * eps)
                err = np.abs(analytic[i] - numerical) - (atol + rtol * np.abs(numerical))
                bad = np.isnan(analytic[i]) != np.isnan(numerical)
                err = np.where(bad, np.inf, np.nan_to_num(err, nan=-1.0))
                if err.size:
                    k = np.unravel_index(int(np.argmax(err)), err.shape)
                    if err[k] > 0 and (worst is None or err[k] > worst[0]):
                        worst = (err[k], i, k, analytic[i][k], numerical[k])
    if worst is None:
        return True
    _, i, (out_idx, in_idx), a, n = worst
    shape = inputs[i].shape
    where = np.unravel_index(in_idx, shape) if len(shape) else ()
    message = (
        f"gradcheck failed: Jacobian mismatch for input {i} (shape {tuple(shape)}) at index "
        f"{tuple(int(v) for v in where)}, output element {int(out_idx)}:\n"
        f"  analytic  = {a!r}\n  numerical = {n!r}\n"
        f"  |difference| = {abs(a - n):.3e} > atol + rtol*|numerical| = {atol + rtol * abs(n):.3e} "
        f"(eps={eps}, atol={atol}, rtol={rtol})"
    )
    if raise_exception:
        raise GradcheckError(message)
    return False


def gradgradcheck(
    fn,
    inputs,
    grad_outputs=None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    **torch_options,
) -> bool:
    """Check fn's second derivatives: gradcheck of (inputs, grad_outputs) -> the gradient of
    <fn(inputs), grad_outputs> with respect to the inputs, computed with create_graph=True.
    grad_outputs (random normal float64 by default) are checked as inputs too, as torch does.
    torch's other keywords (fast_mode, check_batched_grad, ...) are accepted and ignored."""
    unknown = set(torch_options) - _TORCH_OPTIONS
    if unknown:
        raise TypeError(f"gradgradcheck() got an unexpected keyword argument '{sorted(unknown)[0]}'")
    if isinstance(inputs, Tensor) or not isinstance(inputs, (tuple, list)):
        inputs = (inputs,)
    n = len(inputs)
    if grad_outputs is None:
        with no_grad(), reference_backend():
            outs = _outputs(fn(*inputs))
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            Tensor._wrap(rng.standard_normal(tuple(o.shape)), "cpu").requires_grad_(True) for o in outs
        )
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)

    def gradient(*args):  # (under grad mode even in gradcheck's no_grad finite differences)
        with enable_grad():
            return _gradient(args)

    def _gradient(args):
        ins, seeds = args[:n], args[n:]
        outs = _outputs(fn(*ins))
        wrt = [x for x in ins if isinstance(x, Tensor) and x.requires_grad]
        used = [(o, s) for o, s in zip(outs, seeds) if o.requires_grad]
        if not used:
            return ()
        found = _grad([o for o, _ in used], wrt, [s for _, s in used], create_graph=True, allow_unused=True)
        return tuple(g for g in found if g is not None)

    return gradcheck(
        gradient,
        tuple(inputs) + tuple(grad_outputs),
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
    )

"""pyneuro.func: torch.func's composable transforms on pyneuro's autograd.

    from pyneuro.func import grad, vmap, functional_call
    per_sample = vmap(grad(loss), in_dims=(None, 0, 0))(params, xs, ys)

- grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian, linearize (_autodiff.py): derivatives
  as functions, built on autograd.grad (recording the backward when an outer transform needs it),
  so they nest: grad(grad(f)) is the second derivative, jacrev(jacrev(f)) the Hessian. Forward
  mode is computed through reverse mode (same values).
- vmap (_vmap.py): a loop over the mapped dimension that stacks the results.
- functional_call, stack_module_state, replace_all_batch_norm_modules_ (_stateless.py): a module run
  with other parameters (also pyneuro.nn.utils.stateless.functional_call, torch's deprecated name).
- functionalize, debug_unwrap: the identity here (same values as torch's).

Arguments and results may be nests (pytrees, _pytree.py) of tensors: tuples, lists and dicts.
"""

from __future__ import annotations

from ._autodiff import (
    debug_unwrap,
    functionalize,
    grad,
    grad_and_value,
    hessian,
    jacfwd,
    jacrev,
    jvp,
    linearize,
    vjp,
)
from ._stateless import functional_call, replace_all_batch_norm_modules_, stack_module_state
from ._vmap import vmap

__all__ = [
    "debug_unwrap",
    "functional_call",
    "functionalize",
    "grad",
    "grad_and_value",
    "hessian",
    "jacfwd",
    "jacrev",
    "jvp",
    "linearize",
    "replace_all_batch_norm_modules_",
    "stack_module_state",
    "vjp",
    "vmap",
]

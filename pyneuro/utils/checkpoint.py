"""torch.utils.checkpoint's API: checkpoint(fn, *args) and checkpoint_sequential(functions, segments, input).

In torch, checkpointing trades compute for memory: the activations inside fn are not kept for
backward but recomputed from fn's inputs when backward needs them. pyneuro keeps them: here
checkpoint(fn, *args) simply runs fn(*args) under autograd, so it gives exactly the values
and gradients of running fn, and code written for torch runs unchanged, but it saves no
memory. What torch does differently that shows in results is kept:
  * use_reentrant=True (torch's default when use_reentrant is not given, with its warning)
    does not accept keyword arguments for fn (ValueError), and when no input tensor requires
    grad, the output does not either (torch's reentrant variant: parameters used inside fn
    then get no gradient), with torch's warning;
  * use_reentrant=False passes **kwargs on to fn.
preserve_rng_state, context_fn, determinism_check, debug and early_stop are accepted.
"""

from __future__ import annotations

import warnings

from .._tensor_base import TensorBase
from ..autograd import no_grad

__all__ = ["checkpoint", "checkpoint_sequential"]


def _noop_context_fn():
    return None, None


def _reentrant_default(use_reentrant, who: str):
    if use_reentrant is None:
        warnings.warn(
            f"torch.utils.checkpoint{who}: the use_reentrant parameter should be "
            "passed explicitly. Starting in PyTorch 2.9, calling checkpoint "
            "without use_reentrant will raise an exception. use_reentrant=False is "
            "recommended, but if you need to preserve the current default "
            "behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.",
            stacklevel=3,
        )
        return True
    return use_reentrant


def checkpoint(
    function,
    *args,
    use_reentrant=None,
    context_fn=_noop_context_fn,
    determinism_check: str = "default",
    debug: bool = False,
    early_stop: bool = True,
    **kwargs,
):
    """function(*args, **kwargs), with torch.utils.checkpoint.checkpoint's arguments and
    checks (see the module docstring: no memory is saved in pyneuro)."""
    use_reentrant = _reentrant_default(use_reentrant, "")
    kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant:
        if context_fn is not _noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        if not any(isinstance(a, TensorBase) and a.requires_grad for a in args):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2)
            with no_grad():
                return function(*args)
        return function(*args)
    return function(*args, **kwargs)


def checkpoint_sequential(functions, segments: int, input, use_reentrant=None, **kwargs):
    """Run `functions` (a list of callables or an nn.Sequential) one after the other on input,
    the first segments - 1 chunks through checkpoint(), as torch's does."""
    use_reentrant = _reentrant_default(use_reentrant, ".checkpoint_sequential")
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run_function(start, end, functions):
        def forward(input):
            for j in range(start, end + 1):
                input = functions[j](input)
            return input

        return forward

    from ..nn import Sequential

    if isinstance(functions, Sequential):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(
            run_function(start, end, functions),
            input,
            use_reentrant=use_reentrant,
            preserve_rng_state=preserve,
        )
    return run_function(end + 1, len(functions) - 1, functions)(input)

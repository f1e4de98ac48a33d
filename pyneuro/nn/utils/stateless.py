"""torch.nn.utils.stateless: the old home of functional_call (deprecated since torch 2.0 in favour
of torch.func.functional_call). Calls pyneuro.func.functional_call, imported on first use."""

from __future__ import annotations

import importlib
import warnings


def functional_call(
    module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False
):
    """module's forward run with the given tensors in place of its parameters and buffers
    (pyneuro.func.functional_call); warns FutureWarning as torch does."""
    warnings.warn(
        "`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed in a "
        "future version of PyTorch. Please use `torch.func.functional_call` instead which is a drop-in "
        "replacement.",
        FutureWarning,
        stacklevel=2,
    )
    func = importlib.import_module("pyneuro.func")
    return func.functional_call(
        module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict
    )


__all__ = ["functional_call"]

"""Module backward hooks: functions called with a module's gradients during backward.

    def show(module, grad_input, grad_output):     # register_full_backward_hook
        print(module, [g.norm() for g in grad_output])
    layer.register_full_backward_hook(show)

    def clip(module, grad_output):                 # register_full_backward_pre_hook
        return tuple(g.clamp(-1, 1) for g in grad_output)

As in torch:
  * grad_output holds the gradients with respect to the module's outputs, grad_input those with
    respect to its positional tensor inputs (None for an input that does not require grad);
  * a pre-hook runs when grad_output is known and may return replacements for it; a full hook
    runs when grad_input is known and may return replacements for it;
  * the outputs of a hooked module show torch's `BackwardHookFunctionBackward` as their grad_fn.

How: when a module with backward hooks is called with grad mode on, each positional input that
requires grad, and each tensor output, passes through an identity view (autograd's `NamedView`) whose
tensor hook (autograd/hooks.py) sees exactly the gradient flowing through this module. Those
nodes hold one array each, so a hook's replacement for grad_input is applied when the module
has one input that requires grad (the usual case); with several, a hook that returns
replacements raises NotImplementedError rather than applying part of them.

Arrows: imports autograd (Function, grad mode); module.py calls `wrap_inputs` and `wrap_outputs`.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections import OrderedDict

from ...autograd.grad_mode import _GradMode
from ...autograd.inplace import custom_view
from ...autograd.shape import NamedView
from ...tensor import Tensor

# torch.nn.modules.module.register_module_full_backward_(pre_)hook: hooks every module runs, before
# its own (module.py registers them here)
global_pre_hooks: OrderedDict = OrderedDict()  # (OrderedDicts: a handle holds a weak reference to its dict)
global_hooks: OrderedDict = OrderedDict()


def _pre_hooks(module) -> list:
    return list(global_pre_hooks.values()) + list(module._hooks("_backward_pre_hooks").values())


def _full_hooks(module) -> list:
    return list(global_hooks.values()) + list(module._hooks("_backward_hooks").values())


def _hooked_identity(t: Tensor, slot: int, n: int) -> Tensor:
    """t through an identity node (torch's BackwardHookFunctionBackward) to carry a tensor hook.
    As torch's BackwardHookFunction (a custom Function returning its inputs as-is), the result is
    a view made in a custom Function, output `slot` of the call's n tensors that require grad: an
    in-place change of it (a ReLU(inplace=True) after the hooked module) raises torch's error."""
    out = NamedView.apply(t, torch_name="BackwardHookFunctionBackward")
    custom_view(out, t, "BackwardHookFunction", slot, n)
    return out


def _wrap_tensors(items: list, call: _Call, on_grad) -> int:
    """Each tensor of items that requires grad through a hooked identity (in place in the list),
    numbered as torch's one BackwardHookFunction call numbers them (among all the tensors); their count."""
    tensors = [i for i, a in enumerate(items) if isinstance(a, Tensor)]
    hooked = [i for i in tensors if items[i].requires_grad]
    for i in hooked:
        items[i] = _hooked_identity(items[i], tensors.index(i), len(hooked))
        items[i].register_hook(lambda grad, i=i: on_grad(i, grad))
    return len(hooked)


class _Call:
    """The gradients of one call of a hooked module, gathered as backward reaches them."""

    def __init__(self, module, n_inputs: int, waiting_inputs: list[int]):
        self.module = module
        self.n_inputs = n_inputs
        self.waiting_inputs = waiting_inputs  # the positional inputs that require grad
        self.output_len = 0  # set by wrap_outputs: how many outputs, and how many of them are hooked
        self.n_outputs = 0
        self.reset()

    def reset(self) -> None:  # ready for the next backward through the same graph (retain_graph)
        self.grad_inputs = [None] * self.n_inputs
        self.grad_outputs = [None] * self.output_len
        self.seen_inputs: set = set()
        self.seen_outputs: set = set()

    # ---- the output side: grad_output is complete when each hooked output has its gradient
    def on_output_grad(self, j: int, grad):
        self.grad_outputs[j] = grad
        self.seen_outputs.add(j)
        if len(self.seen_outputs) < self.n_outputs:
            return None
        for hook in _pre_hooks(self.module):
            result = hook(self.module, tuple(self.grad_outputs))
            if result is not None:
                if self.n_outputs != 1:
                    raise NotImplementedError(
                        "pyneuro applies a backward pre-hook's replacement grad_output only for modules with one output"
                    )
                self.grad_outputs = list(result if isinstance(result, tuple) else (result,))
        replacement = self.grad_outputs[j]
        if not self.waiting_inputs:  # nothing upstream requires grad: the full hooks run now
            if self.module.__dict__.get("_backward_hooks") or global_hooks:
                warnings.warn(
                    "Full backward hook is firing when gradients are computed with respect to module outputs since "
                    "no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/"
                    "torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more details.",
                    stacklevel=_user_stacklevel(),
                )
            self._run_full_hooks()
        return replacement

    # ---- the input side: grad_input is complete when each input that requires grad has its gradient
    def on_input_grad(self, i: int, grad):
        self.grad_inputs[i] = grad
        self.seen_inputs.add(i)
        if len(self.seen_inputs) < len(self.waiting_inputs):
            return None
        replaced = self._run_full_hooks()
        return replaced[i] if replaced is not None else None

    def _run_full_hooks(self):
        replaced = None
        for hook in _full_hooks(self.module):
            result = hook(self.module, tuple(self.grad_inputs), tuple(self.grad_outputs))
            if result is not None:
                result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                if len(result) != self.n_inputs:
                    raise RuntimeError(
                        f"Backward hook returned an invalid number of grad_input, got {len(result)}, but expected {self.n_inputs}"
                    )
                if len(self.waiting_inputs) > 1:
                    raise NotImplementedError(
                        "pyneuro applies a full backward hook's replacement grad_input only for modules with one "
                        "input that requires grad"
                    )
                self.grad_inputs = list(result)
                replaced = result
        self.reset()
        return replaced


def active(module) -> bool:
    d = module.__dict__
    hooked = d.get("_backward_hooks") or d.get("_backward_pre_hooks") or global_hooks or global_pre_hooks
    return _GradMode.enabled and bool(hooked)


def wrap_inputs(module, args: tuple):
    """(args with each input that requires grad passed through a hooked identity, the call's record)."""
    waiting = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    call = _Call(module, len(args), waiting)
    args = list(args)
    _wrap_tensors(args, call, call.on_input_grad)
    return tuple(args), call


_PACKAGE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))) + os.sep


def _user_stacklevel() -> int:
    """The stacklevel of the first caller outside pyneuro: a warning raised while backward runs
    points at the user's .backward() line, as torch's does."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


def wrap_outputs(call: _Call, output):
    """The output (a tensor or a tuple of them) with each tensor passed through a hooked identity."""
    outputs = output if isinstance(output, tuple) else (output,)
    wrapped = list(outputs)
    call.output_len = len(outputs)
    call.reset()
    call.n_outputs += _wrap_tensors(wrapped, call, call.on_output_grad)
    if call.n_outputs == 0 or not isinstance(output, tuple):
        return wrapped[0] if call.n_outputs else output
    return type(output)(*wrapped) if hasattr(output, "_fields") else type(output)(wrapped)  # namedtuples too

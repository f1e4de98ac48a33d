"""nn.Module and nn.Parameter: the tree of layers that registers what you assign to it.

A Module registers what you assign to it: a Parameter becomes a parameter, a Module a
child, so `parameters()`, `state_dict()` and `zero_grad()` find everything by walking
the tree. `module(x)` calls `forward(x)`.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict, namedtuple

from ..._handles import RemovableHandle
from ..._tensor_base import _fill
from ...autograd import no_grad
from ...creation import zeros
from ...tensor import Tensor
from . import backward_hooks as _backward_hooks


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """load_state_dict's result; prints as torch's (a notebook cell ending in load_state_dict shows it)."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"

    __str__ = __repr__


def _is_lazy(t) -> bool:
    """Is t an nn.UninitializedParameter/UninitializedBuffer (nn/modules/lazy.py): a tensor whose shape
    its lazy module learns at the first forward? Those classes carry `cls_to_become` (what they become).
    state_dict keeps such a tensor as it is; load_state_dict leaves it to its module's pre-hook."""
    return hasattr(type(t), "cls_to_become")


def _run_forward_hook(hook, with_kwargs: bool, module, args, kwargs, output):
    return hook(module, args, kwargs, output) if with_kwargs else hook(module, args, output)


class Parameter(Tensor):
    """A Tensor that a Module registers as a learnable parameter (requires_grad=True)."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = zeros(0)
        if not isinstance(data, Tensor):
            data = Tensor(data)
        _fill(self, data._data, data.device)
        self.requires_grad = requires_grad

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """nn.Buffer(data, persistent=True): a Tensor that, assigned to a Module attribute, registers
    itself as a buffer (`self.mask = nn.Buffer(m)` is `self.register_buffer("mask", m)`); the
    module keeps a plain Tensor sharing its memory. persistent=False: left out of state_dict."""

    __slots__ = ("persistent",)

    def __init__(self, data=None, *, persistent: bool = True):
        if data is None:
            data = zeros(0)
        if not isinstance(data, Tensor):
            data = Tensor(data)
        _fill(self, data._data, data.device)
        self.persistent = persistent


class Module:
    """Base class of every layer and model (like torch.nn.Module)."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                "cannot assign before Module.__init__() call (call super().__init__() first)"
            )
        params, modules, buffers = self._parameters, self._modules, self._buffers
        if name in params and value is not None and not isinstance(value, Parameter):
            raise TypeError(
                f"cannot assign '{type(value).__name__}' as parameter '{name}' (pyneuro.nn.Parameter or None expected)"
            )
        for d in (params, modules, buffers):
            if name in d and not (
                (d is params and (isinstance(value, Parameter) or value is None))
                or (d is modules and (isinstance(value, Module) or value is None))
                or (d is buffers and (isinstance(value, Tensor) or value is None))
            ):
                del d[name]
        if isinstance(value, Buffer):
            self.__dict__.pop(name, None)
            self.register_buffer(name, value.detach(), persistent=value.persistent)
        elif isinstance(value, Parameter):
            self.__dict__.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            self.__dict__.pop(name, None)
            modules[name] = value
        elif _is_lazy(value):  # an nn.UninitializedBuffer registers itself, as torch's
            self.__dict__.pop(name, None)
            self.register_buffer(name, value, persistent=value.persistent)
        elif name in params:
            params[name] = value  # None
        elif name in modules:
            modules[name] = value
        elif name in buffers:
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        params = d.get("_parameters")
        if params is not None and name in params:  # the common case: self.weight in a forward
            return params[name]
        for store in ("_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param) -> None:
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' (pyneuro.nn.Parameter or None required)"
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """A tensor the module owns that is not a parameter (running statistics, a causal mask):
        moved by .to(), saved in state_dict unless persistent=False."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' (Tensor or None required)"
            )
        self._buffers[name] = tensor
        not_saved = self.__dict__.setdefault("_non_persistent_buffers_set", set())
        if persistent:
            not_saved.discard(name)
        else:
            not_saved.add(name)

    def add_module(self, name: str, module) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    register_module = add_module

    # ------------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        if (
            d.get("_forward_pre_hooks")
            or d.get("_forward_hooks")
            or d.get("_backward_hooks")
            or d.get("_backward_pre_hooks")
        ):
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ hooks
    def _hooks(self, name: str) -> OrderedDict:
        """The module's hook dict `name`, made on first use (a module unpickled from before
        hooks existed has none)."""
        return self.__dict__.setdefault(name, OrderedDict())

    def _add_hook(self, store: str, hook, prepend: bool, **flags):
        """Register hook in the dict `store`; each flag that is on marks it in the dict of
        that name (with_kwargs, always_call). The handle removes it from all of them."""
        hooks = self._hooks(store)
        marks = {name: self._hooks(name) for name in flags}
        handle = RemovableHandle(hooks, extra_dict=list(marks.values()))
        hooks[handle.id] = hook
        for name, on in flags.items():
            if on:
                marks[name][handle.id] = True
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
        """Call hook(module, args) before every forward (through module(...), as torch); it may
        return new args (a single value is wrapped in a tuple). with_kwargs=True:
        hook(module, args, kwargs), returning None or (new_args, new_kwargs)."""
        return self._add_hook("_forward_pre_hooks", hook, prepend, _forward_pre_hooks_with_kwargs=with_kwargs)

    def register_forward_hook(
        self, hook, *, prepend: bool = False, with_kwargs: bool = False, always_call: bool = False
    ):
        """Call hook(module, args, output) after every forward; a result other than None replaces
        the output. with_kwargs=True: hook(module, args, kwargs, output). always_call=True: also
        called (with output None) when forward raises, before the error propagates."""
        return self._add_hook(
            "_forward_hooks",
            hook,
            prepend,
            _forward_hooks_with_kwargs=with_kwargs,
            _forward_hooks_always_called=always_call,
        )

    def _call_with_hooks(self, args, kwargs):
        d = self.__dict__
        for hook_id, hook in list(d.get("_forward_pre_hooks", {}).items()):
            if hook_id in d.get("_forward_pre_hooks_with_kwargs", ()):
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            f"forward pre-hook must return None or a tuple of (new_args, new_kwargs), but got {result}."
                        )
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        backward_call = None
        if _backward_hooks.active(self):  # inputs through hooked identities (backward_hooks.py)
            args, backward_call = _backward_hooks.wrap_inputs(self, args)
        hooks = list(d.get("_forward_hooks", {}).items())
        with_kwargs = d.get("_forward_hooks_with_kwargs", ())
        try:
            output = self.forward(*args, **kwargs)
        except Exception:
            always = d.get("_forward_hooks_always_called", ())
            for hook_id, hook in hooks:
                if hook_id in always:
                    try:
                        _run_forward_hook(hook, hook_id in with_kwargs, self, args, kwargs, None)
                    except Exception as exc:  # the forward's own error is the one to see
                        warnings.warn(
                            "module forward hook with ``always_call=True`` raised an exception that was "
                            f"silenced as another error was raised in forward: {exc}",
                            stacklevel=2,
                        )
            raise
        for hook_id, hook in hooks:
            result = _run_forward_hook(hook, hook_id in with_kwargs, self, args, kwargs, output)
            if result is not None:
                output = result
        if backward_call is not None:
            output = _backward_hooks.wrap_outputs(backward_call, output)
        return output

    def _register_load_state_dict_pre_hook(self, hook):
        """Call hook(state_dict, prefix) when load_state_dict starts, before it reads this module's
        entries (prefix: this module's, e.g. "0."); a lazy module materializes its parameters there."""
        return self._add_hook("_load_state_dict_pre_hooks", hook, False)

    def register_full_backward_hook(self, hook, prepend: bool = False):
        """Call hook(module, grad_input, grad_output) when the gradients with respect to the
        module's inputs are computed; it may return replacements for grad_input (backward_hooks.py)."""
        return self._add_hook("_backward_hooks", hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend: bool = False):
        """Call hook(module, grad_output) when the gradients with respect to the module's outputs
        are computed, before grad_input; it may return replacements for grad_output."""
        return self._add_hook("_backward_pre_hooks", hook, prepend)

    def register_backward_hook(self, hook):
        """torch's deprecated form; here it is the full backward hook (what torch recommends instead)."""
        return self.register_full_backward_hook(hook)

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix: str = ""):
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            yield from m.named_modules(memo, prefix + ("." if prefix else "") + name)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_prefix, m in mods:
            for name, p in m._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield mod_prefix + ("." if mod_prefix else "") + name, p

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_prefix, m in mods:
            for name, b in m._buffers.items():
                if b is not None:
                    yield mod_prefix + ("." if mod_prefix else "") + name, b

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------ state
    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """Parameters and buffers by dotted name ("0.weight"), detached (share memory)."""
        out = OrderedDict() if destination is None else destination
        for name, p in self._parameters.items():
            if p is not None:
                out[prefix + name] = p if keep_vars or _is_lazy(p) else p.detach()
        not_saved = self.__dict__.get("_non_persistent_buffers_set", ())
        for name, b in self._buffers.items():
            if b is not None and name not in not_saved:
                out[prefix + name] = b if keep_vars or _is_lazy(b) else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(out, prefix + name + ".", keep_vars)
        return out

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy values into this module's parameters and buffers (in place).

        strict=True: missing or unexpected keys raise RuntimeError listing them; a shape
        mismatch always raises RuntimeError naming the key and both shapes.
        Returns (missing_keys, unexpected_keys).
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        for name, m in self.named_modules():
            for hook in list(m.__dict__.get("_load_state_dict_pre_hooks", {}).values()):
                hook(state_dict, name + "." if name else "")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        for key, target in own.items():
            if key not in state_dict or _is_lazy(target):  # an uninitialized one takes nothing, as torch's
                continue
            value = state_dict[key]
            shape = tuple(value.shape) if hasattr(value, "shape") else None
            if shape != tuple(target.shape):
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {shape} from checkpoint, "
                    f"the shape in current model is {tuple(target.shape)}."
                )
        if strict:
            if unexpected:
                errors.insert(
                    0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + "."
                )
            if missing:
                errors.insert(
                    0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + "."
                )
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors)
            )
        with no_grad():
            for key, target in own.items():
                if key in state_dict and not _is_lazy(target):
                    target.copy_(state_dict[key])
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.zero_()

    def to(self, *args, **kwargs):
        """Move/convert every parameter and buffer in place (like torch: returns self)."""
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for t in store.values():
                    if t is None:
                        continue
                    moved = t.to(*args, **kwargs)
                    if moved.dtype != t.dtype:  # a dtype converts floating tensors only, as torch's
                        if moved.dtype.kind != "f":
                            raise TypeError(
                                "nn.Module.to only accepts floating point or complex dtypes, but got desired "
                                f"dtype={moved.dtype}"
                            )
                        if t.dtype.kind != "f":
                            moved = t.to(moved.device)  # (num_batches_tracked stays int64)
                    if moved is not t:
                        t.data = moved  # the same Parameter object now holds the moved array
                        if t.grad is not None:
                            g = t.grad.to(*args, **kwargs)
                            t.grad = g
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return self.to("float32")

    def double(self):
        return self.to("float64")

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        main = type(self).__name__ + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __dir__(self):
        return sorted(
            set(super().__dir__()) | set(self._parameters) | set(self._modules) | set(self._buffers)
        )

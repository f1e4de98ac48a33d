"""nn.Module and nn.Parameter: the tree of layers that registers what you assign to it.

A Module registers what you assign to it: a Parameter becomes a parameter, a Module a
child, so `parameters()`, `state_dict()` and `zero_grad()` find everything by walking
the tree. `module(x)` calls `forward(x)`.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict

from ..._device import cuda_device
from ..._dtype import float32 as _float32
from ..._dtype import float64 as _float64
from ..._errors import type_name
from ..._handles import RemovableHandle
from ..._tensor_base import _fill
from ..._tensor_forms import gives_copy
from ...autograd import no_grad
from ...autograd.engine import zero_grad_in_place
from ...creation import empty_like, zeros
from ...tensor import Tensor
from ...torch_runtime import typename
from . import backward_hooks as _backward_hooks
from .module_state import StateDictMixin, _IncompatibleKeys, _is_lazy  # noqa: F401 - re-exported


def _run_forward_hook(hook, with_kwargs: bool, module, args, kwargs, output):
    return hook(module, args, kwargs, output) if with_kwargs else hook(module, args, output)


def _need_tensor(data, what: str) -> None:
    """torch's Parameter and Buffer take a Tensor (they call data.detach()): a list, an array or a
    number is its AttributeError, not a tensor made from it (code that runs here runs there)."""
    if not isinstance(data, Tensor):
        raise AttributeError(
            f"'{type_name(data)}' object has no attribute 'detach' (nn.{what} takes a Tensor: "
            "wrap the values in torch.tensor(...) first)"
        )


def _is_sparse(value) -> bool:
    """A sparse COO tensor (_sparse_coo.py, not a Tensor): a buffer may hold one, as torch's (a GCN's adjacency)."""
    return getattr(type(value), "is_sparse", False) is True


class Parameter(Tensor):
    """A Tensor that a Module registers as a learnable parameter (requires_grad=True)."""

    __slots__ = ()
    __module__ = "pyneuro.nn.parameter"  # torch's path, which type() prints (that module re-exports it)

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = zeros(0)
        _need_tensor(data, "Parameter")
        if type(requires_grad) is not bool:  # (torch's _make_subclass types it bool)
            raise TypeError(
                f"_make_subclass(): argument 'require_grad' (position 3) must be bool, not {type_name(requires_grad)}"
            )
        _fill(self, data._data, data.device)
        self.requires_grad = requires_grad

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        """copy.deepcopy as torch's Parameter: a new Parameter of a copy of the values with the same
        requires_grad; no .grad and no attributes (a plain Tensor's deepcopy keeps its .grad)."""
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.detach().clone(), self.requires_grad)
        return memo[id(self)]


class Buffer(Tensor):
    """nn.Buffer(data, persistent=True): a Tensor that, assigned to a Module attribute, registers
    itself as a buffer (`self.mask = nn.Buffer(m)` is `self.register_buffer("mask", m)`); the
    module keeps a plain Tensor sharing its memory. persistent=False: left out of state_dict."""

    __slots__ = ("persistent",)

    def __init__(self, data=None, *, persistent: bool = True):
        if data is None:
            data = zeros(0)
        _need_tensor(data, "Buffer")
        _fill(self, data._data, data.device)
        self.persistent = persistent


# The hook dicts every torch Module has from __init__ (code that clears or inspects them, e.g.
# `for m in model.modules(): m._forward_hooks.clear()`, reads them directly); here each is made
# on first use.
_HOOK_DICTS = frozenset(
    "_backward_pre_hooks _backward_hooks _forward_hooks _forward_hooks_with_kwargs _forward_hooks_always_called"
    " _forward_pre_hooks _forward_pre_hooks_with_kwargs _state_dict_hooks _state_dict_pre_hooks"
    " _load_state_dict_pre_hooks _load_state_dict_post_hooks".split()
)
_global_forward_pre_hooks: OrderedDict = OrderedDict()
_global_forward_hooks: OrderedDict = OrderedDict()
_global_forward_hooks_always_called: set = set()  # (ids of the always_call=True ones)


def register_module_forward_pre_hook(hook):
    """Call hook(module, args) before the forward of every module (torch's global hook); the handle removes it."""
    handle = RemovableHandle(_global_forward_pre_hooks)
    _global_forward_pre_hooks[handle.id] = hook
    return handle


def register_module_full_backward_pre_hook(hook):
    """Call hook(module, grad_output) in every module's backward, before the module's own pre-hooks
    (torch's global hook); it may return a replacement for grad_output. The handle removes it."""
    handle = RemovableHandle(_backward_hooks.global_pre_hooks)
    _backward_hooks.global_pre_hooks[handle.id] = hook
    return handle


def register_module_full_backward_hook(hook):
    """Call hook(module, grad_input, grad_output) in every module's backward, before the module's
    own full backward hooks (torch's global hook). The handle removes it."""
    handle = RemovableHandle(_backward_hooks.global_hooks)
    _backward_hooks.global_hooks[handle.id] = hook
    return handle


def register_module_forward_hook(hook, *, always_call: bool = False):
    """Call hook(module, args, output) after the forward of every module (torch's global hook)."""
    handle = RemovableHandle(_global_forward_hooks)
    _global_forward_hooks[handle.id] = hook
    if always_call:
        _global_forward_hooks_always_called.add(handle.id)
    return handle


class Module(StateDictMixin):
    """Base class of every layer and model (like torch.nn.Module); state_dict and load_state_dict
    are StateDictMixin's (module_state.py)."""

    def __init__(self):
        object.__setattr__(self, "_parameters", {})  # plain dicts, as torch 2's (print(m._modules))
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        """Register what is assigned, by its type, as torch does: a Parameter as a parameter, a
        Module as a child, an nn.Buffer (or a Tensor under a buffer's name) as a buffer; a name
        already registered keeps its kind (assigning a wrong type there is a TypeError)."""
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, d, self._buffers, self._modules)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{typename(value)}' as parameter '{name}' (torch.nn.Parameter or None expected)"
                )
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, d, self._parameters, self._buffers)
            self._modules[name] = value
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{typename(value)}' as child module '{name}' (torch.nn.Module or None expected)"
                )
            self._modules[name] = value
        elif isinstance(value, Buffer) or _is_lazy(value) or (params is not None and name in self._buffers):
            if params is None:
                raise AttributeError("cannot assign buffer before Module.__init__() call")
            if value is not None and not isinstance(value, Tensor) and not _is_sparse(value):
                raise TypeError(
                    f"cannot assign '{typename(value)}' as buffer '{name}' "
                    "(torch.nn.Buffer, torch.Tensor or None expected)"
                )
            if isinstance(value, Buffer) or _is_lazy(value):  # (an nn.UninitializedBuffer registers itself)
                persistent = value.persistent
                value = value if _is_lazy(value) else value.detach()
            else:
                persistent = name not in d.get("_non_persistent_buffers_set", ())
            self.register_buffer(name, value, persistent)
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, *stores) -> None:
        """Drop name from each store (a dict, or the module's __dict__) and from the non-persistent set."""
        for store in stores:
            store.pop(name, None)
        self.__dict__.get("_non_persistent_buffers_set", set()).discard(name)

    def _mark_persistent(self, name: str, persistent: bool) -> None:
        not_saved = self.__dict__.setdefault("_non_persistent_buffers_set", set())
        if persistent:
            not_saved.discard(name)
        else:
            not_saved.add(name)

    def __getattr__(self, name):
        d = self.__dict__
        params = d.get("_parameters")
        if params is not None and name in params:  # the common case: self.weight in a forward
            return params[name]
        for store in ("_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        if name in _HOOK_DICTS:  # made on first use (a module's call checks for them cheaply)
            return self._hooks(name)
        if name == "_non_persistent_buffers_set":
            return d.setdefault(name, set())
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                self.__dict__.get("_non_persistent_buffers_set", set()).discard(name)
                return
        object.__delattr__(self, name)

    def _check_name(self, kind: str, name, store: str) -> None:
        """torch's rules for a name given to register_parameter / register_buffer / add_module."""
        if store not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {typename(name)}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain "."' + (f", got: {name}" if kind == "module" else ""))
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if hasattr(self, name) and name not in self.__dict__[store]:
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param) -> None:
        """Register param (an nn.Parameter, or None) under name, as `self.name = param` does."""
        self._check_name("parameter", name, "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{typename(param)}' object to parameter '{name}' "
                "(torch.nn.Parameter or None required)"
            )
        if param is not None and param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be created "
                f"explicitly. To express '{name}' as a function of another Tensor, compute the value in "
                "the forward() method."
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """A tensor the module owns that is not a parameter (running statistics, a causal mask):
        moved by .to(), saved in state_dict unless persistent=False."""
        self._check_name("buffer", name, "_buffers")
        if tensor is not None and not isinstance(tensor, Tensor) and not _is_sparse(tensor):
            raise TypeError(
                f"cannot assign '{typename(tensor)}' object to buffer '{name}' (torch Tensor or None required)"
            )
        self._buffers[name] = tensor
        self._mark_persistent(name, persistent)

    def add_module(self, name: str, module) -> None:
        """Register module (or None) as the child called name, as `self.name = module` does."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{typename(module)} is not a Module subclass")
        self._check_name("module", name, "_modules")
        self._modules[name] = module

    register_module = add_module

    # ------------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        if self._has_call_hooks():
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _has_call_hooks(self) -> bool:
        """Would a call run hooks around forward (the module's own, or global forward hooks)?"""
        d = self.__dict__
        return bool(
            d.get("_forward_pre_hooks")
            or d.get("_forward_hooks")
            or d.get("_backward_hooks")
            or d.get("_backward_pre_hooks")
            or _global_forward_pre_hooks
            or _global_forward_hooks
            or _backward_hooks.global_hooks
            or _backward_hooks.global_pre_hooks
        )

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
        """Pre-hooks, forward, forward hooks; if any of them raises, the always_call forward
        hooks not run yet are called (with the output, None if forward did not return) before
        the error propagates, as torch."""
        d = self.__dict__
        hooks = list(_global_forward_hooks.items()) + list(d.get("_forward_hooks", {}).items())
        with_kwargs = d.get("_forward_hooks_with_kwargs", ())
        always = set(d.get("_forward_hooks_always_called", ())) | _global_forward_hooks_always_called
        called, output = set(), None
        try:
            args, kwargs = self._run_pre_hooks(args, kwargs)
            backward_call = None
            if _backward_hooks.active(self):  # inputs through hooked identities (backward_hooks.py)
                args, backward_call = _backward_hooks.wrap_inputs(self, args)
            output = self.forward(*args, **kwargs)
            for hook_id, hook in hooks:
                if hook_id in always:
                    called.add(hook_id)
                result = _run_forward_hook(hook, hook_id in with_kwargs, self, args, kwargs, output)
                if result is not None:
                    output = result
        except Exception:
            for hook_id, hook in hooks:
                if hook_id in always and hook_id not in called:
                    try:
                        _run_forward_hook(hook, hook_id in with_kwargs, self, args, kwargs, output)
                    except Exception as exc:  # the first error is the one to see
                        warnings.warn(
                            "module forward hook with ``always_call=True`` raised an exception that was "
                            f"silenced as another error was raised in forward: {exc}",
                            stacklevel=2,
                        )
            raise
        if backward_call is not None:
            output = _backward_hooks.wrap_outputs(backward_call, output)
        return output

    def _run_pre_hooks(self, args, kwargs):
        d = self.__dict__
        for hook in list(_global_forward_pre_hooks.values()):  # the global ones first, as torch
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
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
        return args, kwargs

    def register_full_backward_hook(self, hook, prepend: bool = False):
        """Call hook(module, grad_input, grad_output) when the gradients with respect to the
        module's inputs are computed; it may return replacements for grad_input (backward_hooks.py)."""
        self._backward_hook_kind(True)
        return self._add_hook("_backward_hooks", hook, prepend)

    def _backward_hook_kind(self, full: bool) -> None:
        """torch refuses the deprecated and the full backward hooks on one module."""
        if getattr(self, "_is_full_backward_hook", None) is (not full):
            raise RuntimeError(
                "Cannot use both regular backward hooks and full backward hooks on a single Module. Please use only "
                "one of them."
            )
        self._is_full_backward_hook = full

    def register_full_backward_pre_hook(self, hook, prepend: bool = False):
        """Call hook(module, grad_output) when the gradients with respect to the module's outputs
        are computed, before grad_input; it may return replacements for grad_output."""
        return self._add_hook("_backward_pre_hooks", hook, prepend)

    def register_backward_hook(self, hook):
        """torch's deprecated form; here it is the full backward hook (what torch recommends instead)."""
        self._backward_hook_kind(False)
        return self._add_hook("_backward_hooks", hook, False)

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """(dotted name, module) for this module and every descendant, parents first; a module
        reached twice (shared) is listed once unless remove_duplicate=False."""
        memo = set() if memo is None else memo  # (of modules, as torch's: a caller may pass some in)
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            yield from m.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

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

    def _named_members(self, store: str, prefix: str, recurse: bool, remove_duplicate: bool):
        """(dotted name, tensor) of each module's `store` (_parameters or _buffers); a tensor shared
        by several modules (tied weights) is listed once unless remove_duplicate=False."""
        seen = set()
        mods = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for mod_prefix, m in mods:
            for name, t in m.__dict__[store].items():
                if t is None or id(t) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(t))
                yield mod_prefix + ("." if mod_prefix else "") + name, t

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str):
        """The descendant at dotted path target ("encoder.layers.0"); "" is the module itself."""
        mod = self
        for item in target.split(".") if target else ():
            if not hasattr(mod, item):
                raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return mod

    def set_submodule(self, target: str, module, strict: bool = False) -> None:
        """Replace (or, unless strict, add) the descendant at dotted path target with module."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        path, _, name = target.rpartition(".")
        parent = self.get_submodule(path)
        if strict and not hasattr(parent, name):
            raise AttributeError(parent._get_name() + " has no attribute `" + name + "`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError("`" + name + "` is not an nn.Module")
        setattr(parent, name, module)

    def _get_member(self, target: str, store: str, kind: str):
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if not hasattr(mod, name):
            raise AttributeError(mod._get_name() + " has no attribute `" + name + "`")
        if name not in mod.__dict__[store]:
            raise AttributeError("`" + name + "` is not " + kind)
        return getattr(mod, name)

    def get_parameter(self, target: str):
        """The parameter at dotted path target ("encoder.0.weight")."""
        return self._get_member(target, "_parameters", "an nn.Parameter")

    def get_buffer(self, target: str):
        """The buffer at dotted path target ("bn.running_mean")."""
        return self._get_member(target, "_buffers", "a buffer")

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True):
        """Set training mode here and, through each child's own train(), below (so a child that
        overrides train, e.g. to keep its BatchNorm frozen, is asked too, as in torch)."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        object.__setattr__(self, "training", mode)
        for m in self.children():
            m.train(mode)
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
                    zero_grad_in_place(p.grad)

    def to(self, *args, **kwargs):
        """Move/convert every parameter (the same Parameter object, its data replaced) and buffer
        (a new tensor in its place, as torch: one held elsewhere keeps its dtype); returns self."""
        probe = zeros(0).to(*args, **kwargs)  # the arguments as Tensor.to reads them
        if gives_copy(args, kwargs):
            raise RuntimeError(".to() does not accept copy argument")
        if probe.dtype.kind != "f":  # a dtype converts floating tensors only, as torch's
            raise TypeError(
                f"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={probe.dtype}"
            )
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for name, t in store.items():
                    if t is None:
                        continue
                    moved = t.to(*args, **kwargs)
                    if moved.dtype != t.dtype and t.dtype.kind != "f":
                        moved = t.to(moved.device)  # (num_batches_tracked stays int64)
                    if moved is t:
                        continue
                    if store is m._buffers:
                        store[name] = moved
                        continue
                    t._set_data(moved)  # the same Parameter object now holds the moved array
                    if t.grad is not None:
                        t.grad = t.grad.to(*args, **kwargs)
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to(cuda_device(device))

    def float(self):
        return self.to(_float32)

    def double(self):
        return self.to(_float64)

    def _apply(self, fn, recurse: bool = True):
        """Replace each parameter's data by fn(parameter) (the same Parameter object, its gradient
        converted too) and each buffer by fn(buffer), in this module and, if recurse, below."""
        if recurse:
            for m in self.children():
                m._apply(fn)
        with no_grad():
            for p in self._parameters.values():
                if p is None:
                    continue
                applied = fn(p)
                if applied is not p:
                    p._set_data(applied)
                    if p.grad is not None:
                        p.grad = fn(p.grad)
            for name, b in self._buffers.items():
                if b is not None:
                    self._buffers[name] = fn(b)
        return self

    def half(self):
        """Cast the floating-point parameters and buffers to float16 (in place; returns self)."""
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def bfloat16(self):
        """torch casts to bfloat16 here; pyneuro has no bfloat16 tensors (Tensor.bfloat16's TypeError)."""
        return self._apply(lambda t: t.bfloat16() if t.is_floating_point() else t)

    def __setstate__(self, state: dict) -> None:
        """Unpickling and deepcopy restore the attributes (a subclass's super().__setstate__(state),
        torch's backward-compatibility pattern, lands here)."""
        self.__dict__.update(state)

    def type(self, dst_type):
        """Cast every parameter and buffer to dst_type (a dtype or a type string)."""
        return self._apply(lambda t: t.type(dst_type))

    def to_empty(self, *, device=None, recurse: bool = True):
        """Replace every parameter and buffer by an uninitialised one of its shape on device (returns self)."""
        return self._apply(lambda t: empty_like(t, device=device), recurse=recurse)

    def share_memory(self):
        """Move parameters and buffers to shared memory (Tensor.share_memory_); returns self."""
        return self._apply(lambda t: t.share_memory_())

    def compile(self, *args, **kwargs) -> None:
        """torch compiles the module's __call__ in place; pyneuro runs it as written (torch.compile's
        answer here too), so this only accepts torch's arguments."""

    def _get_name(self) -> str:
        return type(self).__name__

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
        main = self._get_name() + "("
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


def _addindent(s_: str, numSpaces: int) -> str:
    """s_ with every line but the first indented by numSpaces (torch's helper for nested reprs)."""
    first, *rest = s_.split("\n")
    return s_ if not rest else first + "\n" + "\n".join(" " * numSpaces + line for line in rest)

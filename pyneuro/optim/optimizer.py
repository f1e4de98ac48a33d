"""The Optimizer base class: parameter groups, per-parameter state, state_dict.

Subclasses implement step(); the update itself is one backend kernel per parameter
(sgd_step / adam_step of the kernel table that pyneuro.backends.table_for finds for the
parameter, the same helper autograd uses), running in place on the parameter's array,
so the optimizer never copies a parameter or leaves the device.
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections import OrderedDict, defaultdict

import numpy as np

from .._errors import ShapeError
from .._handles import RemovableHandle
from ..autograd import enable_grad
from ..autograd.engine import zero_grad_in_place
from ..autograd.function import _broadcast_mismatch
from ..tensor import Tensor, tensor


def _step_in_place(bk, p, grad, kernel):
    """Run kernel(param_array, grad_array) for p, a step that writes p's memory in place.

    The update kernels need C-contiguous arrays. A non-contiguous parameter (a transposed
    or sliced tensor, which torch's optimizers accept) is updated on a contiguous copy that
    is written back; either way p's version counter is bumped, as every in-place change
    is, so a backward that saved p before the step refuses to run on the new values.
    """
    data = p._data
    if not data.flags.c_contiguous:
        work = bk.xp.ascontiguousarray(data)
        kernel(work, bk.xp.ascontiguousarray(grad))
        data[...] = work
    else:
        kernel(data, grad if grad.flags.c_contiguous else bk.xp.ascontiguousarray(grad))
    p._vc[0] += 1


def new_step():
    """A parameter's step count as torch keeps it in state["step"]: a 0-d tensor of the default
    float dtype on the CPU (printed, saved and loaded as torch's is)."""
    return tensor(0.0)


def advance_step(st: dict) -> int:
    """state["step"] += 1 in place; returns the new count as an int for the update formulas.
    A count that is a plain number (state loaded from an old checkpoint) becomes a tensor."""
    step = st["step"]
    if not isinstance(step, Tensor):
        step = st["step"] = tensor(float(step))
    data = step._data
    data += 1
    step._vc[0] += 1
    return int(data)


def step_count(st: dict) -> int:
    """The number of steps taken so far (state["step"]) as an int."""
    step = st["step"]
    return int(step._data) if isinstance(step, Tensor) else int(step)


def check_hyper(name: str, value, high=None, high_open: bool = False) -> None:
    """torch's constructor check of a hyperparameter: ValueError("Invalid <name>: <value>")
    unless 0 <= value (and value <= high, or < high when high_open). NaN fails every bound.
    (SGD keeps torch's own `lr < 0` test, which lets NaN through, as torch's does.)"""
    if isinstance(value, Tensor) and value.numel() != 1:
        raise ValueError(f"Tensor {'lr' if name == 'learning rate' else name} must be 1-element")
    ok = 0.0 <= value and (high is None or (value < high if high_open else value <= high))
    if not ok:
        raise ValueError(f"Invalid {name}: {value}")


def numeric(group: dict) -> dict:
    """The group with its Tensor hyperparameters (lr=torch.tensor(0.01), betas of tensors: torch
    accepts them) read as Python floats, for the updates written as array arithmetic; a group of
    plain numbers (every step of most loops) is returned as it is, after one look at each value."""
    for v in group.values():
        if isinstance(v, Tensor) or (type(v) is tuple and any(isinstance(x, Tensor) for x in v)):
            break
    else:
        return group

    def number(v):
        if isinstance(v, Tensor):
            return v.item()
        if isinstance(v, tuple) and any(isinstance(x, Tensor) for x in v):
            return tuple(number(x) for x in v)
        return v

    return {k: v if k == "params" else number(v) for k, v in group.items()}


def check_fused(fused, foreach, differentiable) -> None:
    """torch's constructor check of the implementation flags of SGD, Adam(W) and Adagrad: fused
    excludes foreach and differentiable (all three pick one code path here, so only the check stays)."""
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    if fused and differentiable:
        raise RuntimeError("`fused` does not support `differentiable`")


# the hooks of every optimizer's step (torch.optim.optimizer.register_optimizer_step_pre_hook / _post_hook)
_global_optimizer_pre_hooks: OrderedDict = OrderedDict()
_global_optimizer_post_hooks: OrderedDict = OrderedDict()


def register_optimizer_step_pre_hook(hook) -> RemovableHandle:
    """hook(optimizer, args, kwargs) runs before every optimizer's step(), before its own hooks."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook) -> RemovableHandle:
    """hook(optimizer, args, kwargs) runs after every optimizer's step(), after its own hooks."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


def _with_step_hooks(step):
    """Wrap an optimizer class's step so that the global hooks and those registered with
    register_step_pre_hook / register_step_post_hook run around it, in torch's order
    (global pre, own pre, step, own post, global post; patched once per class)."""

    own_step = step.__module__.startswith("pyneuro.")  # (a subclass's own step reads .grad itself)

    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        self = args[0]  # torch's hooks see args with the optimizer first
        for hook in [*_global_optimizer_pre_hooks.values(), *self._optimizer_step_pre_hooks.values()]:
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"{step} must return None or a tuple of (new_args, new_kwargs), but got {result}."
                    )
                args, kwargs = result
        _check_step_flags(self, own_step)
        out = step(*args, **kwargs)
        for hook in [*self._optimizer_step_post_hooks.values(), *_global_optimizer_post_hooks.values()]:
            hook(self, args, kwargs)
        return out

    wrapper.hooked = True
    return wrapper


def _check_step_flags(optimizer, own_step: bool = True) -> None:
    """torch's refusals at step() of two flags pyneuro keeps but does not act on: capturable=True
    (CUDA graphs) wants parameters off the CPU; differentiable=True runs the update with grad
    on, so it refuses leaf parameters (an in-place change of a leaf that requires grad). And an
    optimizer without a sparse update refuses a sparse .grad (Embedding(sparse=True)) in torch's words."""
    refusal = optimizer._sparse_refusal if own_step else None
    if own_step and optimizer.__dict__.get("_misshaped_state"):  # (only after such a load)
        _check_state_shapes(optimizer)
    for group in optimizer.param_groups:
        if refusal is not None:
            for p in group["params"]:
                if p._grad is not None and p._grad.is_sparse:
                    raise RuntimeError(refusal)
        if group.get("capturable") and any(p.device.type == "cpu" for p in group["params"]):
            raise AssertionError(
                "If capturable=True, params and state_steps must be on supported devices: ['cuda', 'xla', "
                "'hpu', 'xpu', 'privateuseone']."
            )
        if group.get("differentiable") and any(p.is_leaf and p.requires_grad for p in group["params"]):
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")


def _misshaped(optimizer, p: Tensor, state) -> Tensor | None:
    """The first tensor of p's state that is not shaped like p (None if all are): what a loaded
    state dict of another model holds. Scalars ("step") and the whole-model entries are not checked."""
    if isinstance(state, dict):
        for name, v in state.items():
            if (
                isinstance(v, Tensor)
                and v.ndim
                and v.shape != p.shape
                and name not in optimizer._whole_model_state
            ):
                return v
    return None


def _check_state_shapes(optimizer) -> None:
    """torch's error at step() for a parameter whose loaded state is not shaped like it (its
    update's in-place arithmetic fails: a RuntimeError, here a ShapeError, before any parameter
    changes); a parameter without a gradient is skipped, as torch's step skips it."""
    left = False
    for group in optimizer.param_groups:
        for p in group["params"]:
            bad = _misshaped(optimizer, p, optimizer.state.get(p))
            if bad is None:
                continue
            if p.grad is None:
                left = True
                continue
            message = _broadcast_mismatch([tuple(bad.shape), tuple(p.shape)])
            if message is None:
                both = np.broadcast_shapes(tuple(bad.shape), tuple(p.shape))
                out = p.shape if tuple(p.shape) != both else bad.shape
                message = f"output with shape {list(out)} doesn't match the broadcast shape {list(both)}"
            raise ShapeError(message)
    optimizer._misshaped_state = left


def _cast_state(p: Tensor, value, key=None):
    """A loaded state value for parameter p, as torch's load_state_dict casts it: tensors (inside
    dicts, lists and tuples too) to p's device and, if p is floating point, to p's dtype (whatever
    theirs), except "step"; the very tensor where nothing changes."""
    if isinstance(value, Tensor):
        if key == "step":
            return value
        return value.to(device=p.device, dtype=p.dtype) if p.dtype.is_floating_point else value.to(p.device)
    if isinstance(value, dict):
        return {k: _cast_state(p, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(p, v) for v in value)
    return value


_NOT_PICKLED = ("step", "_opt_called")  # (an LR scheduler's wrapper of step, and its record of a call)


class _RequiredParameter:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of every optimizer (like torch.optim.Optimizer)."""

    # state entries that are not shaped like their parameter (LBFGS keeps flat vectors of all
    # parameters under the first one); load_state_dict checks the shape of every other tensor
    _whole_model_state: tuple = ()
    # the state entries torch's __setstate__ reads (KeyError without them) and makes tensors of
    # where they are numbers: "step" (Adam, RMSprop, ...), and ASGD's eta and mu, NAdam's mu_product
    _scalar_state: tuple = ()
    # the group entries __setstate__ fills in besides the flags (torch's RMSprop: momentum 0), and
    # whether it fills in the flags (torch's LBFGS and SparseAdam have no __setstate__ of their own)
    _setstate_groups: dict = {}
    _setstate_flags = True
    # torch's RuntimeError at step() for a sparse .grad, where the optimizer has no sparse update
    # (SGD, Adagrad, SparseAdam and LBFGS have one; a custom subclass reads .grad itself)
    _sparse_refusal: str | None = None

    def __init__(self, params, defaults: dict):
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                f"but got {params.type()}"
            )
        self.defaults = dict(defaults)
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        cls = type(self)
        if not getattr(cls.step, "hooked", False):
            cls.step = _with_step_hooks(cls.step)
        self.state: defaultdict = defaultdict(dict)  # opt.state[p] is {} before p's first step, as torch
        self.param_groups: list = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def __getstate__(self) -> dict:
        """What pickle and copy.deepcopy keep: torch's keep defaults, state and param_groups, and
        drop the hooks (a lambda would not pickle) and the step an LR scheduler wrapped (bound to
        this optimizer: a deep copy's step() stepped the original's parameters, pickling raised
        PicklingError); pyneuro's own attributes are kept (its LBFGS steps after a copy)."""
        return {k: v for k, v in self.__dict__.items() if k not in _NOT_PICKLED and not k.endswith("_hooks")}

    def __setstate__(self, state: dict) -> None:
        """What copy.deepcopy, pickle and load_state_dict call (custom optimizers override it and
        call ours, as torch's templates do): the attributes back, the step hooks' tables made if
        missing; as torch's optimizers' own __setstate__, each group gets the flags it lacks
        (the defaults that are True/False/None; not LBFGS's, SparseAdam's) and _setstate_groups, and a
        parameter's non-empty state must have the _scalar_state entries ("step"; KeyError
        otherwise), a number among them becoming a tensor (a state dict of an older torch)."""
        self.__dict__.update(state)
        self.__dict__.setdefault("_optimizer_step_pre_hooks", OrderedDict())
        self.__dict__.setdefault("_optimizer_step_post_hooks", OrderedDict())
        self.defaults.setdefault("differentiable", False)
        flags = {k: v for k, v in self.defaults.items() if v is None or isinstance(v, bool)}
        flags = {**(flags if self._setstate_flags else {}), **self._setstate_groups}
        for group in self.param_groups:
            for name, default in flags.items():
                group.setdefault(name, default)
            for p in group["params"]:
                st = self.state.get(p)
                for name in self._scalar_state if st else ():
                    if not isinstance(st[name], Tensor):
                        st[name] = tensor(float(st[name]))

    def add_param_group(self, param_group: dict) -> None:
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of tensors "
                "in sets will change between runs. Please use a list instead."
            )
        params = [params] if isinstance(params, Tensor) else list(params)
        names = None
        if params and all(isinstance(p, tuple) and len(p) == 2 for p in params):  # named_parameters()
            names = [name for name, _ in params]
            params = [p for _, p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}"
                )
            if not (p.is_leaf or p.retains_grad):  # (torch's rule: a retain_grad() tensor has a .grad)
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group, params=params)
        if names is not None:
            group = {
                "params": params,
                "param_names": names,
                **{k: v for k, v in group.items() if k != "params"},
            }
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization parameter {name}"
                )
            group.setdefault(name, default)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params):  # kept, and stepped twice, as torch does
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, this will cause an "
                "error; see github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3,
            )
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's .grad: to None (default, like torch) or to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        zero_grad_in_place(p.grad)

    def register_step_pre_hook(self, hook) -> RemovableHandle:
        """hook(optimizer, args, kwargs) runs before every step(); it may return new (args, kwargs)."""
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook) -> RemovableHandle:
        """hook(optimizer, args, kwargs) runs after every step()."""
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    def step(self, closure=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def _closure_loss(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ------------------------------------------------------------------ state dict
    def register_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """hook(optimizer) runs before state_dict() builds its dict."""
        return self._register("_state_dict_pre_hooks", hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """hook(optimizer, state_dict) runs on state_dict()'s result; a dict it returns replaces it."""
        return self._register("_state_dict_post_hooks", hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """hook(optimizer, state_dict) runs before load_state_dict(); a dict it returns is loaded instead."""
        return self._register("_load_state_dict_pre_hooks", hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """hook(optimizer) runs after load_state_dict()."""
        return self._register("_load_state_dict_post_hooks", hook, prepend)

    def _register(self, kind: str, hook, prepend: bool) -> RemovableHandle:
        hooks = self._hooks(kind)
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def _hooks(self, kind: str) -> OrderedDict:
        """The hooks of one kind (made on first use: a subclass's __init__ may skip ours)."""
        hooks = self.__dict__.get(kind)
        if hooks is None:
            hooks = self.__dict__[kind] = OrderedDict()
        return hooks

    def state_dict(self) -> dict:
        """{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]} like torch."""
        for hook in list(self._hooks("_state_dict_pre_hooks").values()):
            hook(self)
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        # each parameter's own state dict, not a copy (torch's: a key added to opt.state[p] later
        # shows in it), in the order the states were made
        # (entries keyed by something other than a parameter, which load_state_dict keeps, too)
        state = {
            index[id(p)] if isinstance(p, Tensor) else p: st
            for p, st in self.state.items()
            if id(p) in index or not isinstance(p, Tensor)
        }
        result = {"state": state, "param_groups": groups}
        for hook in list(self._hooks("_state_dict_post_hooks").values()):
            result = hook(self, result) or result
        return result

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore state and hyper-parameters saved by state_dict(), by torch's rules: the saved
        groups replace the optimizer's (a copy, with the optimizer's own params; keys the saved
        groups lack are missing, so Adam loading SGD's state fails at step() as torch's does),
        state tensors are cast to their parameter's device and, for a float parameter, dtype
        ("step" kept as saved; otherwise the very tensor given), entries of unknown parameters are
        kept, and __setstate__ then runs (it converts numeric steps, checks them, as torch's)."""
        if not isinstance(state_dict, dict):  # torch fails reading it: a TypeError
            raise TypeError(f"optimizer state_dict must be a dict, but got {type(state_dict).__name__}")
        state_dict = state_dict.copy()  # (a pre-hook adding keys leaves the caller's dict alone)
        for hook in list(self._hooks("_load_state_dict_pre_hooks").values()):
            changed = hook(self, state_dict)
            state_dict = state_dict if changed is None else changed
        if "param_groups" not in state_dict:
            raise KeyError("param_groups")  # as torch's read of the missing entry
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(mine["params"]) != len(saved["params"]) for mine, saved in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
            )
        if "state" not in state_dict:
            raise KeyError("state")
        id_map = {
            i: p for mine, saved in zip(groups, saved_groups) for i, p in zip(saved["params"], mine["params"])
        }
        state: defaultdict = defaultdict(dict)
        misshaped = False
        for key, value in state_dict["state"].items():
            k = int(key) if isinstance(key, str) and key.isdigit() else key  # (old pyneuro files: "0")
            if k not in id_map:
                state[k] = value  # kept, as torch keeps it
                continue
            p = id_map[k]
            misshaped = misshaped or _misshaped(self, p, value) is not None
            state[p] = _cast_state(p, value)
        for mine, saved in zip(groups, saved_groups):
            saved["params"] = mine["params"]
            if "param_names" in mine and "param_names" not in saved:
                saved["param_names"] = mine["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})
        # state not shaped like its parameter (another model's) is taken, as torch takes it, and
        # refused by the step that would use it (_check_state_shapes)
        self._misshaped_state = misshaped
        for hook in list(self._hooks("_load_state_dict_post_hooks").values()):
            hook(self)

    def __repr__(self) -> str:
        # as torch's: every group opens on a new line, so a blank line parts two groups
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            text += "".join(f"    {k}: {group[k]}\n" for k in sorted(group) if k != "params")
        return text + ")"

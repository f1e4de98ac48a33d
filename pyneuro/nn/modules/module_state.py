"""A Module's state_dict and load_state_dict, walked the way torch walks them.

    sd = model.state_dict()          # OrderedDict "0.weight" -> tensor (detached, sharing memory)
    model.load_state_dict(sd)        # copies in place; strict=True: every key must match

Both are per-module steps over the tree, as in torch, so a model may override one step:
  * `_save_to_state_dict(destination, prefix, keep_vars)` writes this module's own parameters,
    persistent buffers and extra state (`get_extra_state`) under `prefix`;
  * `_load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
    unexpected_keys, error_msgs)` reads them back, appending what is missing, unexpected or of the
    wrong size (BatchNorm overrides it: a checkpoint without `num_batches_tracked` still loads).
The result carries `_metadata` (each module's `_version` by prefix), as torch's does; hooks
(`register_state_dict_pre_hook`, `register_state_dict_post_hook`,
`register_load_state_dict_pre_hook`, `register_load_state_dict_post_hook`) run where torch runs them.

StateDictMixin is a base of Module (module.py), which it needs only through `self`.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

from ..._shapes import Size
from ...autograd import no_grad
from ...tensor import Tensor

_EXTRA_STATE_KEY_SUFFIX = "_extra_state"


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


class StateDictMixin:
    """state_dict / load_state_dict and their per-module steps and hooks (see the module docstring)."""

    _version = 1  # a subclass that changes what it saves raises it (BatchNorm: 2)

    # ------------------------------------------------------------------ hooks
    def register_state_dict_pre_hook(self, hook):
        """Call hook(module, prefix, keep_vars) before state_dict() saves this module."""
        return self._add_hook("_state_dict_pre_hooks", hook, False)

    def register_state_dict_post_hook(self, hook):
        """Call hook(module, state_dict, prefix, local_metadata) after this module's entries are saved;
        it edits state_dict in place (a result other than None is an error, as torch's)."""
        return self._add_hook("_state_dict_hooks", hook, False)

    def _register_state_dict_hook(self, hook):
        """torch's private form: a hook that may return a new state_dict."""
        return self._add_hook("_state_dict_hooks", hook, False, _state_dict_hooks_private=True)

    def register_load_state_dict_pre_hook(self, hook):
        """Call hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
        error_msgs) before this module's entries are loaded."""
        return self._add_hook(
            "_load_state_dict_pre_hooks", hook, False, _load_state_dict_pre_hooks_with_module=True
        )

    def _register_load_state_dict_pre_hook(self, hook, with_module: bool = False):
        """hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs),
        or with the module first when with_module (torch's private form, which lazy modules use)."""
        return self._add_hook(
            "_load_state_dict_pre_hooks", hook, False, _load_state_dict_pre_hooks_with_module=with_module
        )

    def register_load_state_dict_post_hook(self, hook):
        """Call hook(module, incompatible_keys) after this module and its children are loaded; it may
        edit incompatible_keys.missing_keys / unexpected_keys in place (and must return None)."""
        return self._add_hook("_load_state_dict_post_hooks", hook, False)

    # ------------------------------------------------------------------ extra state
    def get_extra_state(self):
        """Override (with set_extra_state) to save a picklable value under "<prefix>_extra_state"."""
        raise RuntimeError(
            "Reached a code path in Module.get_extra_state() that should never be called. "
            "Please file an issue at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml "
            "to report this bug."
        )

    def set_extra_state(self, state) -> None:
        raise RuntimeError(
            "Reached a code path in Module.set_extra_state() that should never be called. "
            "Please file an issue at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml "
            "to report this bug."
        )

    def _has_extra_state(self, method: str) -> bool:
        return getattr(type(self), method) is not getattr(StateDictMixin, method)

    # ------------------------------------------------------------------ saving
    def _save_to_state_dict(self, destination, prefix: str, keep_vars: bool) -> None:
        """This module's own entries: parameters, persistent buffers (detached unless keep_vars)."""
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars or _is_lazy(p) else p.detach()
        not_saved = self.__dict__.get("_non_persistent_buffers_set", ())
        for name, b in self._buffers.items():
            if b is not None and name not in not_saved:
                destination[prefix + name] = b if keep_vars or _is_lazy(b) else b.detach()
        if self._has_extra_state("get_extra_state"):
            destination[prefix + _EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """Parameters and buffers by dotted name ("0.weight"), detached (share memory), in an
        OrderedDict whose `_metadata` holds each module's version. torch's old positional form
        state_dict(destination, prefix, keep_vars) works too."""
        if args:  # (with torch's FutureWarning; a keyword given too wins, as in torch)
            warnings.warn(
                "Positional args are being deprecated, use kwargs instead. Refer to "
                "https://pytorch.org/docs/main/generated/torch.nn.Module.html#torch.nn.Module.state_dict"
                " for details.",
                FutureWarning,
                stacklevel=2,
            )
            destination = args[0] if destination is None else destination
            prefix = args[1] if len(args) > 1 and prefix == "" else prefix
            keep_vars = args[2] if len(args) > 2 and keep_vars is False else keep_vars
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in list(self.__dict__.get("_state_dict_pre_hooks", {}).values()):
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        private = self.__dict__.get("_state_dict_hooks_private", ())
        for hook_id, hook in list(self.__dict__.get("_state_dict_hooks", {}).items()):
            result = hook(self, destination, prefix, local_metadata)
            if hook_id in private:
                destination = destination if result is None else result
            elif result is not None:
                raise RuntimeError("state_dict post-hook must return None")
        return destination

    # ------------------------------------------------------------------ loading
    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ) -> None:
        """Copy this module's own entries from state_dict (keys under prefix), in place, as torch's."""
        d = self.__dict__
        with_module = d.get("_load_state_dict_pre_hooks_with_module", ())
        for hook_id, hook in list(d.get("_load_state_dict_pre_hooks", {}).items()):
            args = (state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
            hook(self, *args) if hook_id in with_module else hook(*args)
        not_saved = d.get("_non_persistent_buffers_set", ())
        local_state = {k: v for k, v in self._parameters.items() if v is not None}
        local_state.update((k, v) for k, v in self._buffers.items() if v is not None and k not in not_saved)
        assign = local_metadata.get("assign_to_params_buffers", False)
        for name, param in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            if not (
                isinstance(value, Tensor) or hasattr(value, "shape")
            ):  # (NumPy and torch arrays load too)
                error_msgs.append(
                    f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like object '
                    f"from checkpoint but received {type(value)}"
                )
                continue
            if _is_lazy(
                param
            ):  # an uninitialized one takes nothing (its pre-hook materialized it if it could)
                continue
            if (
                param.ndim == 0 and len(value.shape) == 1
            ):  # torch's backward compatibility with 0.3 checkpoints
                value = value[0]
            if tuple(value.shape) != tuple(param.shape):
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {Size(value.shape)} from checkpoint, "
                    f"the shape in current model is {Size(param.shape)}."
                )
                continue
            try:
                with no_grad():
                    if assign:
                        self._assign_loaded(name, param, value)
                    else:
                        param._copy_values(value)  # (also a torch tensor or an array: interop)
            except Exception as ex:
                error_msgs.append(
                    f'While copying the parameter named "{key}", whose dimensions in the model are {param.shape} '
                    f"and whose dimensions in the checkpoint are {Size(value.shape)}, an exception occurred : {ex.args}."
                )
        extra_key = prefix + _EXTRA_STATE_KEY_SUFFIX
        if self._has_extra_state("set_extra_state"):
            if extra_key in state_dict:
                self.set_extra_state(state_dict[extra_key])
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if strict:
            for key in state_dict:
                if key.startswith(prefix) and key != extra_key:
                    first, *rest = key[len(prefix) :].split(".", 1)
                    if (first not in self._modules) if rest else (first not in local_state):
                        unexpected_keys.append(key)

    def _assign_loaded(self, name: str, param, value) -> None:
        """load_state_dict(assign=True): the checkpoint's tensor becomes the attribute (a Parameter
        keeping the old one's requires_grad), instead of being copied into it."""
        parameter_type = type(self._parameters.get(name)) if name in self._parameters else None
        if parameter_type is not None:
            if not isinstance(value, parameter_type):
                value = parameter_type(value, requires_grad=param.requires_grad)
            else:
                value.requires_grad_(param.requires_grad)
            self._parameters[name] = value
        else:
            self._buffers[name] = value

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy values into this module's parameters and buffers (in place), module by module.

        strict=True: missing or unexpected keys raise RuntimeError listing them; a shape mismatch
        always raises RuntimeError naming the key and both shapes (after the matching entries are
        copied, as torch). Returns (missing_keys, unexpected_keys)."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing_keys: list = []
        unexpected_keys: list = []
        error_msgs: list = []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)
        if metadata is not None:
            state_dict._metadata = metadata

        def load(module, local_state_dict, prefix=""):
            local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                local_metadata["assign_to_params_buffers"] = assign
            module._load_from_state_dict(
                local_state_dict, prefix, local_metadata, True, missing_keys, unexpected_keys, error_msgs
            )
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    child_state = {k: v for k, v in local_state_dict.items() if k.startswith(child_prefix)}
                    load(child, child_state, child_prefix)
            incompatible = _IncompatibleKeys(missing_keys, unexpected_keys)
            for hook in list(module.__dict__.get("_load_state_dict_post_hooks", {}).values()):
                if hook(module, incompatible) is not None:
                    raise AssertionError(
                        "Hooks registered with ``register_load_state_dict_post_hook`` are not expected to "
                        "return new values, if incompatible_keys need to be modified, it should be done inplace."
                    )

        load(self, state_dict)
        if strict:
            if unexpected_keys:
                error_msgs.insert(
                    0,
                    "Unexpected key(s) in state_dict: {}. ".format(
                        ", ".join(f'"{k}"' for k in unexpected_keys)
                    ),
                )
            if missing_keys:
                error_msgs.insert(
                    0, "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing_keys))
                )
        if error_msgs:
            raise RuntimeError(
                "Error(s) in loading state_dict for {}:\n\t{}".format(
                    type(self).__name__, "\n\t".join(error_msgs)
                )
            )
        return _IncompatibleKeys(missing_keys, unexpected_keys)

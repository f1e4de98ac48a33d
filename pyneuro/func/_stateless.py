"""A module called with other parameters: torch.func.functional_call and stack_module_state.

    params = {k: v.detach() for k, v in model.named_parameters()}
    out = functional_call(model, params, (x,))     # model's forward with these tensors in place

functional_call swaps the given tensors into the module's parameter and buffer slots for one
forward call and puts the originals back afterwards (even when forward raises), so func-style
transforms can differentiate a model's output with respect to a dict of tensors:
grad(lambda p: loss(functional_call(model, p, (x,))))(params).

stack_module_state(models) stacks the parameters and buffers of same-shaped models along a new
first dimension, for model ensembling with vmap(..., in_dims=(0, 0, None)).
"""

from __future__ import annotations

from ..functions import stack
from ..nn.modules.normalization import _BatchNorm  # the base of BatchNorm1d/2d/3d and SyncBatchNorm


def _slots(module) -> dict:
    """Every parameter and buffer of module by its dotted name, tied ones under each of their names:
    name -> (the submodule, its store ('_parameters' or '_buffers'), the attribute name)."""
    found = {}

    def walk(mod, prefix, seen):
        if id(mod) in seen:
            return
        seen = seen | {id(mod)}
        for store in ("_parameters", "_buffers"):
            for key, value in mod.__dict__[store].items():
                if value is not None:
                    found[prefix + key] = (mod, store, key)
        for key, child in mod._modules.items():
            if child is not None:
                walk(child, f"{prefix}{key}.", seen)

    walk(module, "", frozenset())
    return found


def _merge(parameter_and_buffer_dicts) -> dict:
    if isinstance(parameter_and_buffer_dicts, dict):
        return dict(parameter_and_buffer_dicts)
    if not isinstance(parameter_and_buffer_dicts, (tuple, list)):
        raise ValueError(
            "Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
            f"{type(parameter_and_buffer_dicts)}"
        )
    merged, repeated = {}, []
    for d in parameter_and_buffer_dicts:
        if not isinstance(d, dict):
            raise ValueError(
                f"Expected all elements of parameter_and_buffer_dicts to be dictionaries, got {type(d)}"
            )
        repeated += [k for k in d if k in merged and k not in repeated]
        merged.update(d)
    if repeated:
        raise ValueError(
            f"{repeated} appeared in multiple dictionaries; behavior of functional call is ambiguous"
        )
    return merged


def _tie(module, slots: dict, values: dict) -> dict:
    """values with every tied name of a given tensor filled in (torch's tie_weights=True)."""
    names_of = {}
    for name, (mod, store, key) in slots.items():
        names_of.setdefault(id(mod.__dict__[store][key]), []).append(name)
    out = dict(values)
    for names in names_of.values():
        given = [n for n in names if n in values]
        if not given or len(names) == 1:
            continue
        if any(values[n] is not values[given[0]] for n in given[1:]):
            raise ValueError(
                f"functional_call got multiple values for keys {given}, which are tied. "
                "Consider using tie_weights=False"
            )
        for n in names:
            out.setdefault(n, values[given[0]])
    return out


def _check_strict(module, slots: dict, values: dict) -> None:
    missing = sorted(n for n in slots if n not in values)
    unexpected = sorted(n for n in values if n not in slots)
    if missing or unexpected:
        lines = [f"Error(s) in reparametrizing for {type(module).__name__}:"]
        if unexpected:
            lines.append("\tUnexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected) + ".")
        if missing:
            lines.append("\tMissing key(s): " + ", ".join(f"'{k}'" for k in missing) + ".")
        raise RuntimeError("\n".join(lines))


def _owner(module, name: str):
    """(the submodule that holds the dotted name, the last part of the name)."""
    *path, key = name.split(".")
    for part in path:
        module = getattr(module, part)
    return module, key


def functional_call(
    module,
    parameter_and_buffer_dicts,
    args=None,
    kwargs=None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
):
    """module(*args, **kwargs) with the parameters and buffers named in parameter_and_buffer_dicts
    (a dict name -> tensor, or a tuple of dicts with distinct keys) in place of the module's own.
    args: a tuple of positional arguments, or one argument. tie_weights: a value given for one
    name of a tied tensor is used for all its names. strict: every parameter and buffer must be
    given, and nothing else (RuntimeError otherwise). A name that is neither is set as a plain
    attribute for the call."""
    values = _merge(parameter_and_buffer_dicts)
    slots = _slots(module)
    if tie_weights:
        values = _tie(module, slots, values)
    if strict:
        _check_strict(module, slots, values)
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    restore = []  # (the dict written to, or the module, the key, its old value or _ABSENT), undone in reverse
    try:
        for name, value in values.items():
            if name in slots:
                mod, store, key = slots[name]
                table = mod.__dict__[store]
            else:
                mod, key = _owner(module, name)
                if hasattr(getattr(type(mod), key, None), "__set__"):  # a parametrized tensor: set as torch
                    restore.append((mod, key, getattr(mod, key)))  # sets it (right_inverse of the value)
                    setattr(mod, key, value)
                    continue
                table = mod.__dict__
            restore.append((table, key, table.get(key, _ABSENT)))
            table[key] = value
        return module(*args, **(kwargs or {}))
    finally:
        for table, key, old in reversed(restore):
            if not isinstance(table, dict):
                setattr(table, key, old)
            elif old is _ABSENT:
                del table[key]
            else:
                table[key] = old


_ABSENT = object()


def _stacked(tensors, name: str):
    """torch's construct_stacked_leaf: the tensors stacked; a new leaf that requires grad if they all do."""
    needs = [t.requires_grad for t in tensors]
    if any(needs) and not all(needs):
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    out = stack([t.detach() for t in tensors])
    return out.requires_grad_() if all(needs) else out


def stack_module_state(models) -> tuple:
    """(params, buffers): dicts name -> the models' tensors of that name stacked along a new first
    dimension (parameters as new leaves that require grad), for vmap over functional_call."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    kind = type(models[0])
    if not all(type(m) is kind for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    per_model = [dict(m.named_parameters()) for m in models]
    params = {k: _stacked([p[k] for p in per_model], k) for k in per_model[0]}
    per_model = [dict(m.named_buffers()) for m in models]
    buffers = {k: _stacked([b[k] for b in per_model], k) for k in per_model[0]}
    return params, buffers


def replace_all_batch_norm_modules_(root):
    """torch.func.replace_all_batch_norm_modules_: every BatchNorm in root (root included) stops tracking running
    statistics (running_mean/running_var/num_batches_tracked become None), so it always normalizes with the
    statistics of its input, as vmap over per-sample calls needs. Returns root, changed in place."""
    for m in root.modules():
        if isinstance(m, _BatchNorm) and m.track_running_stats:
            m.running_mean = None
            m.running_var = None
            m.num_batches_tracked = None
            m.track_running_stats = False
    return root

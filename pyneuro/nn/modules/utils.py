"""torch.nn.modules.utils' helpers, which layer code written for torch imports (`from
torch.nn.modules.utils import _pair`): turn an int or a sequence into an n-tuple of it. And
torch.nn.factory_kwargs, which checks a module's **kwargs for the tensor factories."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import repeat


def _ntuple(n: int, name: str = "parse"):
    """A function turning x into an n-tuple: an iterable as a tuple of its items, anything else repeated n times."""

    def parse(x):
        if isinstance(x, Iterable):
            return tuple(x)
        return tuple(repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n: int) -> tuple:
    """Each element of t repeated n times, in reverse order (F.pad's order of a conv's padding)."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _list_with_default(out_size, defaults) -> list:
    """out_size with its None entries taken from the matching trailing entries of defaults."""
    if isinstance(out_size, (int, float)):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d for v, d in zip(out_size, defaults[-len(out_size) :])]


def factory_kwargs(kwargs):
    """torch.nn.factory_kwargs: kwargs as a dict for the tensor factories (device, dtype,
    memory_format), merged with an explicit `factory_kwargs` dict in it; TypeError for any other
    key, or a key given both ways."""
    if kwargs is None:
        return {}
    simple_keys = {"device", "dtype", "memory_format"}
    expected = simple_keys | {"factory_kwargs"}
    if not kwargs.keys() <= expected:
        raise TypeError(f"unexpected kwargs {kwargs.keys() - expected}")
    out = dict(kwargs.get("factory_kwargs", {}))
    for key in simple_keys:
        if key in kwargs:
            if key in out:
                raise TypeError(f"{key} specified twice, in **kwargs and in factory_kwargs")
            out[key] = kwargs[key]
    return out


def consume_prefix_in_state_dict_if_present(state_dict: dict, prefix: str) -> None:
    """torch's: strip `prefix` ("module.", what DataParallel / DDP add) from the keys of
    state_dict in place, and from its _metadata's keys (where "module" itself names the model)."""
    for key in list(state_dict.keys()):
        if key.startswith(prefix):
            state_dict[key[len(prefix) :]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is not None:
        for key in list(metadata.keys()):
            if key and (key == prefix.replace(".", "") or key.startswith(prefix)):
                metadata[key[len(prefix) :]] = metadata.pop(key)

"""torch.func.vmap: a function mapped over a dimension of its inputs.

    vmap(torch.dot)(xs, ys)                                   # row-by-row dot products
    vmap(grad(loss), in_dims=(None, 0, 0))(params, xs, ys)   # per-sample gradients

Here vmap is a loop: func runs once per index of the mapped dimension, on the inputs sliced
there (x.select(in_dim, i): differentiable, so vmap composes with grad and with autograd), and
the results are stacked at out_dims (an output with out_dims=None must be the same in every call, else torch's
ValueError: torch raises it for any output that depends on a mapped input). The values are those of torch's batching rules, not their
speed: a batch of B costs B calls of func. chunk_size is accepted and checked; it changes nothing.

randomness: 'error' raises torch's RuntimeError when func draws from the default generator
(pn.randn, dropout, ...; the draw is detected after the call and undone; draws from an explicit
pn.Generator are not detected), 'different' lets every call draw its own numbers, 'same' gives
every call the same numbers (the generator's state is restored before each call).

While func runs, functional_norm.transforms.mapped holds the ids of the slices (torch's batched
tensors): batch_norm in training raises torch's RuntimeError when its running statistics, which it
would update in place, are not among them (B updates of one buffer, where torch refuses).

With a mapped dimension of size 0, func runs once on zeros of the shape of one slice, to learn
the shapes of its outputs (torch knows them without running it).
"""

from __future__ import annotations

import functools

from .._tensor_base import TensorBase
from ..autograd.custom import transforms
from ..functions import stack
from ..random import default_generator
from ._pytree import broadcast_prefix, describe, flatten, unflatten

_RANDOM_ERROR = (
    "vmap: called random operation while in randomness error mode. Please either use the 'same' or 'different' "
    "randomness flags on vmap or perform the randomness operation out of vmap"
)


def _name(func) -> str:
    return getattr(func, "__name__", repr(func))


def _is_dim(x) -> bool:
    return x is None or (isinstance(x, int) and not isinstance(x, bool))


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """torch.func.vmap: func mapped over dimension in_dims of its positional arguments (an int for
    all of them, or a tuple with one entry per argument: an int, None for an argument passed
    whole to every call, or a nest matching the argument's); the results are stacked along
    out_dims (an int, or a nest matching the output's; None returns an output unstacked).
    Keyword arguments are passed whole to every call."""
    _check_randomness(randomness)
    if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        where = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
        leaves, spec = flatten(args)
        dims = _in_dims(in_dims, leaves, spec, where)
        size = _batch_size(leaves, dims, where)
        start = default_generator.get_state() if randomness != "different" else None
        outer = transforms.mapped
        results = []
        try:
            for i in range(max(size, 1)):
                args_i, mapped = _slice(leaves, dims, i, spec)
                transforms.mapped = mapped if outer is None else outer | mapped
                results.append(_call(func, args_i, kwargs, randomness, start))
        finally:
            transforms.mapped = outer
        return _stack_outputs(results, out_dims, size, func)

    return wrapped


def checked_randomness(func, randomness: str):
    """func, run once as under vmap(randomness=...) (jacfwd, which torch computes through vmap): a draw
    from the default generator raises torch's RuntimeError with "error", and a custom Function needs
    vmap support."""
    _check_randomness(randomness)

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        outer, transforms.mapped = transforms.mapped, transforms.mapped or set()  # as inside vmap
        try:
            if randomness != "error":
                return func(*args, **kwargs)
            return _call(func, args, kwargs, randomness, default_generator.get_state())
        finally:
            transforms.mapped = outer

    return wrapped


def _check_randomness(randomness: str) -> None:
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(
            f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}"
        )


def _in_dims(in_dims, leaves, spec, where) -> list:
    """One mapped dimension (or None) per leaf of args, normalized and checked as torch does."""
    if not (isinstance(in_dims, tuple) or (isinstance(in_dims, int) and not isinstance(in_dims, bool))):
        raise ValueError(
            f"{where}: expected `in_dims` to be int or a (potentially nested) tuple matching the structure of "
            f"inputs, got: {type(in_dims)}."
        )
    dims = broadcast_prefix(in_dims, spec, _is_dim)
    if dims is None:
        shape = in_dims if isinstance(in_dims, tuple) else (in_dims,)
        raise ValueError(
            f"{where}: in_dims is not compatible with the structure of `inputs`. in_dims has structure "
            f"{describe(flatten(shape)[1])} but inputs has structure {describe(spec)}."
        )
    out = []
    for t, d in zip(leaves, dims):
        if d is not None:
            if not isinstance(t, TensorBase):
                raise ValueError(
                    f"{where}: Got in_dim={d} for an input but the input is of type {type(t)}. We cannot vmap over "
                    "non-Tensor arguments, please use None as the respective in_dim"
                )
            n = t.dim()
            if not -n <= d < n:
                raise ValueError(
                    f"{where}: Got in_dim={d} for some input, but that input is a Tensor of dimensionality {n} so "
                    f"expected in_dim to satisfy -{n} <= in_dim < {n}."
                )
            d %= n
        out.append(d)
    if all(d is None for d in out):
        raise ValueError(
            f"{where}: at least one input must be a Tensor mapped over a dimension (got in_dims={in_dims}: "
            "None for every input)"
        )
    return out


def _batch_size(leaves, dims, where) -> int:
    sizes = [t.shape[d] for t, d in zip(leaves, dims) if d is not None]
    if len(set(sizes)) > 1:
        raise ValueError(
            "vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
            f"{sizes} for the mapped dimension"
        )
    return sizes[0]


def _slice(leaves, dims, i: int, spec):
    """The arguments of call i: each mapped tensor at index i of its dimension (zeros of that shape when the
    dimension is empty), and the ids of those slices (what torch would see as batched tensors)."""
    out = []
    mapped = set()
    for t, d in zip(leaves, dims):
        if d is None:
            out.append(t)
            continue
        if t.shape[d] == 0:
            out.append(t.new_zeros(tuple(t.shape[:d]) + tuple(t.shape[d + 1 :])))
        else:
            out.append(t.select(d, i))
        mapped.add(id(out[-1]))
    return unflatten(out, spec), mapped


def _state():
    """The default generator's position: changes whenever it draws (or is reseeded)."""
    g = default_generator
    return g._seed, None if g._state is None else g._state.state()


def _call(func, args, kwargs, randomness: str, start):
    """One call of func; start: the default generator's state before the first call."""
    if randomness == "same":
        default_generator.set_state(start)
    before = _state()
    out = func(*args, **kwargs)
    if randomness == "error" and _state() != before:
        default_generator.set_state(start)
        raise RuntimeError(_RANDOM_ERROR)
    return out


def _stack_outputs(results, out_dims, size: int, func):
    first, spec = flatten(results[0])
    dims = broadcast_prefix(out_dims, spec, _is_dim)
    if dims is None:
        raise ValueError(
            f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with the structure of "
            "`outputs`. out_dims has "
            f"structure {describe(flatten(out_dims)[1])} but outputs has structure {describe(spec)}."
        )
    for t, d in zip(first, dims):
        if d is not None and not isinstance(t, TensorBase):
            raise ValueError(
                f"vmap({_name(func)}, ...): `{_name(func)}` must only return Tensors, got type {type(t)}. "
                "Did you mean to set out_dims= to None for output?"
            )
    columns = list(zip(*(flatten(r)[0] for r in results)))
    stacked = []
    for column, d in zip(columns, dims):
        if d is None:
            _check_unbatched(column, func)
            stacked.append(column[0])
        elif size == 0:
            one = stack([column[0]], dim=d)  # torch's IndexError for a bad out_dim
            stacked.append(one.narrow(d % one.dim(), 0, 0))
        else:
            stacked.append(stack(list(column), dim=d))
    return unflatten(stacked, spec)


def _check_unbatched(column, func) -> None:
    """out_dims=None: an output that differs between the calls depends on the mapped inputs (torch's error);
    one that is the same in every call is returned as it is."""
    first = column[0]
    if not isinstance(first, TensorBase):
        return
    for t in column[1:]:
        if tuple(t.shape) != tuple(first.shape) or not bool((t == first).all()):
            raise ValueError(
                f"vmap({_name(func)}, ...): `{_name(func)}` can not return a BatchedTensor when out_dim is None"
            )

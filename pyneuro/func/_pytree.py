"""Pytrees for torch.func: nested tuples, lists and dicts whose leaves are tensors (or anything else).

torch.func's transforms take and return such nests (a model's parameters as a dict, several
outputs as a tuple); they work on the flat list of leaves and rebuild the nest at the end:

    leaves, spec = flatten(({"w": w, "b": b}, x))   # [w, b, x]
    unflatten([2 * t for t in leaves], spec)         # ({"w": 2w, "b": 2b}, 2x)

A spec is None for a leaf, or (kind, keys, children): kind the container's type, keys the dict's
keys (None otherwise). Namedtuples and OrderedDicts come back as their own type.
"""

from __future__ import annotations


def flatten(tree) -> tuple:
    """(the leaves in order, the spec that unflatten needs to rebuild the nest)."""
    leaves = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree, leaves: list):
    if isinstance(tree, (tuple, list)):
        return (type(tree), None, [_flatten(c, leaves) for c in tree])
    if isinstance(tree, dict):
        return (type(tree), list(tree), [_flatten(v, leaves) for v in tree.values()])
    leaves.append(tree)
    return None


def unflatten(leaves, spec):
    """The nest of `spec` with `leaves` (in flatten's order) in its places."""
    it = iter(leaves)
    return _build(it, spec)


def _build(it, spec):
    if spec is None:
        return next(it)
    kind, keys, children = spec
    values = [_build(it, c) for c in children]
    if keys is not None:
        return kind(zip(keys, values))
    if _is_namedtuple_type(kind):
        return kind(*values)
    return kind(values)


def _is_namedtuple_type(kind) -> bool:
    return issubclass(kind, tuple) and hasattr(kind, "_fields")


def count(spec) -> int:
    """The number of leaves of a spec."""
    return 1 if spec is None else sum(count(c) for c in spec[2])


def describe(spec) -> str:
    """A spec in words, for error messages: (*, {'w': *}) ..."""
    if spec is None:
        return "*"
    kind, keys, children = spec
    inner = [describe(c) for c in children]
    if keys is not None:
        return "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(keys, inner)) + "}"
    body = ", ".join(inner) + ("," if kind is tuple and len(inner) == 1 else "")
    return f"[{body}]" if issubclass(kind, list) else f"({body})"


def broadcast_prefix(prefix, spec, is_value) -> list | None:
    """One value per leaf of spec, from `prefix`: a nest that matches spec down to some depth,
    where a value (is_value(x) true: an int or None for in_dims/out_dims) stands for its whole
    subtree. None where the nests do not match."""
    out = []
    return out if _broadcast(prefix, spec, is_value, out) else None


def _broadcast(prefix, spec, is_value, out: list) -> bool:
    if is_value(prefix):
        out.extend([prefix] * count(spec))
        return True
    if spec is None or not isinstance(prefix, (tuple, list, dict)):
        return False
    kind, keys, children = spec
    if keys is not None:
        if not isinstance(prefix, dict) or set(prefix) != set(keys):
            return False
        return all(_broadcast(prefix[k], c, is_value, out) for k, c in zip(keys, children))
    if isinstance(prefix, dict) or isinstance(prefix, list) != issubclass(kind, list):
        return False
    if len(prefix) != len(children):
        return False
    return all(_broadcast(p, c, is_value, out) for p, c in zip(prefix, children))

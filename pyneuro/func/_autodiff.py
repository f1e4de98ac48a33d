"""torch.func's derivative transforms on pyneuro's autograd: grad, grad_and_value, vjp, jvp, jacrev,
jacfwd, hessian, linearize.

    grad(f)(x)                       # df/dx for a scalar f, as a function of x
    grad(grad(f))(x)                 # the second derivative: transforms nest
    jacrev(f, argnums=(0, 1))(x, y)  # (df/dx, df/dy), each of shape f(x, y).shape + input.shape

How a transform works here. Each call opens a *level*: the arguments it differentiates with
respect to are replaced by tensors tracked for this level only (a fresh leaf, or a differentiable
view when the argument already requires grad for an outer level or for the caller's own graph);
func runs on them; autograd.grad takes the derivatives. The gradients are recorded
(create_graph=True, graph_backward.py) only when something outside the level will differentiate
them again: a tensor that requires grad for an enclosing transform or for the caller (a closure's
parameter, an argument with requires_grad=True). A result that depends on nothing outside the
level leaves the graph (detached), as torch.func's results do. The caller's tensors' .grad never
change (autograd.grad restores them).

Forward mode is not implemented: jvp and jacfwd give the same values through reverse mode
(jvp by the double-vjp trick: J v = d/du <J^T u, v>, with u a dummy cotangent).
"""

from __future__ import annotations

import functools
import weakref

from .._tensor_base import TensorBase
from ..autograd import api as _api
from ..autograd.custom import transforms
from ..autograd.engine import _topological_order
from ..autograd.grad_mode import enable_grad
from ..autograd.shape import Reshape
from ..functions import stack
from ._pytree import flatten, unflatten
from ._vmap import checked_randomness


class _Level:
    """One call of a transform; `active` while func runs (and its derivatives are taken)."""

    __slots__ = ("active",)

    def __init__(self):
        self.active = True
        transforms.depth += 1  # a custom autograd.Function checks it is fit for transforms (custom.py)

    def close(self) -> None:
        if self.active:
            self.active = False
            transforms.depth -= 1


# The leaves each level made (by id, checked against the live tensor: ids are reused after a
# tensor dies), so that a level can tell its own leaves from those of the caller or an outer level.
_leaves = weakref.WeakValueDictionary()
_level_of: dict = {}


def _own(t, level: _Level):
    """Register t (a fresh leaf that requires grad) as one of level's."""
    _leaves[id(t)] = t
    _level_of[id(t)] = level
    weakref.finalize(t, _level_of.pop, id(t), None)
    return t


def _track(t, level: _Level):
    """The tensor func receives in place of the argument t: tracked for this level."""
    if not isinstance(t, TensorBase):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(t)}")
    with enable_grad():
        if t.requires_grad:  # seen through by whoever tracks t (an outer level, the caller)
            return Reshape.apply(t, shape=tuple(t.shape))  # a new node (t.view_as(t) is t itself)
        return _own(t.detach().requires_grad_(), level)


def _is_outside(leaf, level: _Level) -> bool:
    """Does a leaf that requires grad belong to someone who may still differentiate through it?"""
    owner = _level_of.get(id(leaf)) if _leaves.get(id(leaf)) is leaf else None
    return owner is None or (owner is not level and owner.active)


def _needs_outside(tensors, level: _Level) -> bool:
    """Does any of the tensors depend on a leaf outside the level (so its derivatives must be recorded)?"""
    roots = [t for t in tensors if isinstance(t, TensorBase) and t.requires_grad]
    for t in roots:
        if t._node is None:
            if _is_outside(t, level):
                return True
            continue
        for node in _topological_order(t._node):
            for a, need, nxt in zip(node.inputs, node.needs, node.nexts):
                if need and nxt is None and _is_outside(a, level):
                    return True
    return False


def _release(tree, level: _Level):
    """The results as the caller sees them: detached unless they depend on something outside the level."""
    leaves, spec = flatten(tree)
    return unflatten(
        [t.detach() if isinstance(t, TensorBase) and not _needs_outside([t], level) else t for t in leaves],
        spec,
    )


def _check_argnums(argnums, n: int) -> tuple:
    """argnums as a tuple of non-negative positions, with torch's errors."""
    many = isinstance(argnums, tuple)
    nums = argnums if many else (argnums,)
    if (
        not many
        and not isinstance(argnums, int)
        or any(not isinstance(a, int) or isinstance(a, bool) for a in nums)
    ):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if not nums:
        raise RuntimeError("argnums must be non-empty")
    out = []
    for a in nums:
        if not -n <= a < n:
            raise RuntimeError(f"Got argnum={a}, but only {n} positional inputs")
        out.append(a % n)
    if len(set(out)) != len(out):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return tuple(out)


def _track_args(args, argnums, level: _Level) -> tuple:
    """(args with the differentiated ones tracked, the tracked leaves, the spec of their nest: one
    argument's for an int argnums, a tuple of arguments' for a tuple)."""
    nums = _check_argnums(argnums, len(args))
    args = list(args)
    for a in nums:
        leaves, spec = flatten(args[a])
        args[a] = unflatten([_track(t, level) for t in leaves], spec)
    diff = tuple(args[a] for a in nums) if isinstance(argnums, tuple) else args[nums[0]]
    return (args, *flatten(diff))


def _split_aux(out, has_aux: bool, api: str):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True")
    return out


def _check_tensors(tree, api: str, what: str) -> None:
    for t in flatten(tree)[0]:
        if not isinstance(t, TensorBase):
            raise RuntimeError(
                f"{api}: expected {what} to return only tensors, got unsupported type {type(t)}"
            )


def _grads(outputs, inputs, cotangents, level: _Level, create_graph=None) -> list:
    """d <outputs, cotangents> / d inputs, zeros for an input the outputs do not use."""
    pairs = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
    if not pairs:
        return [_api.zeros_like(t) for t in inputs]
    if create_graph is None:
        create_graph = _needs_outside([o for o, _ in pairs] + [c for _, c in pairs], level)
    found = _api.grad(
        [o for o, _ in pairs],
        list(inputs),
        [c for _, c in pairs],
        retain_graph=True,
        create_graph=create_graph,
        allow_unused=True,
    )
    return [_api.zeros_like(t) if g is None else g for t, g in zip(inputs, found)]


def grad_and_value(func, argnums=0, has_aux: bool = False):
    """torch.func.grad_and_value: a function returning (the gradient, func's value); with has_aux,
    (gradient, (value, aux)). func must return a 0-d tensor (and an aux nest with has_aux)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        api = "grad_and_value(f)(*args)"
        level = _Level()
        try:
            with enable_grad():
                args, leaves, spec = _track_args(args, argnums, level)
                out, aux = _split_aux(func(*args, **kwargs), has_aux, api)
                if not isinstance(out, TensorBase):
                    raise RuntimeError(f"{api}: Expected f(*args) to return a Tensor, got {type(out)}")
                if out.dim() != 0:
                    raise RuntimeError(
                        f"{api}: Expected f(*args) to return a scalar Tensor, got tensor with {out.dim()} dims. "
                        "Maybe you wanted to use the vjp or jacrev APIs instead?"
                    )
                if has_aux:
                    _check_aux(aux)
                grads = unflatten(_grads([out], leaves, [None], level), spec)
        finally:
            level.close()
        result = _release(grads, level), _release(out, level)
        if has_aux:
            return result[0], (result[1], _release(aux, level))
        return result

    return wrapper


def _check_aux(aux) -> None:
    for t in flatten(aux)[0]:
        if not isinstance(t, TensorBase):
            raise RuntimeError(f"Expected tensors, got unsupported type {type(t)}")


def grad(func, argnums=0, has_aux: bool = False):
    """torch.func.grad: a function returning the gradient of func (a 0-d tensor) with respect to
    the arguments at argnums (an int: that argument's nest of tensors; a tuple: a tuple of them);
    with has_aux, (gradient, aux)."""
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = inner(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(func, *primals, has_aux: bool = False):
    """torch.func.vjp: (func(*primals), vjp_fn[, aux]); vjp_fn(cotangents) returns a tuple with
    one gradient nest per primal, the cotangents having the nest and shapes of func's output."""
    api = "vjp(f, *primals)"
    level = _Level()
    try:
        with enable_grad():
            args, leaves, spec = _track_args(primals, tuple(range(len(primals))), level)
            out, aux = _split_aux(func(*args), has_aux, api)
            _check_tensors(out, api, "f(*primals)")
            if has_aux:
                _check_aux(aux)
    finally:
        level.close()
    outs, out_spec = flatten(out)

    def vjp_fn(cotangents, *, retain_graph=True, create_graph=None):
        cts, ct_spec = flatten(cotangents)
        if len(cts) != len(outs):
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of outputs to the "
                f"function. cotangents: {len(cts)} leaves, primal output: {len(outs)} leaves"
            )
        for c, o in zip(cts, outs):
            if not isinstance(c, TensorBase):
                raise RuntimeError(
                    f"{api}: expected cotangents to be only tensors, got unsupported type {type(c)}"
                )
            if tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[0] has a shape of {c.shape} and output[0] has a shape of {o.shape}."
                )
        with enable_grad():
            grads = _grads(outs, leaves, cts, level, create_graph)
        return _release(unflatten(grads, spec), level)

    result = (_release(out, level), vjp_fn)
    return result + (_release(aux, level),) if has_aux else result


_INNER_API = {
    "jacrev(f, ...)(*args)": "vjp(f, *primals)",
    "jacfwd(f, ...)(*args)": "jvp(f, primals, tangents)",
}


def _jacobian(func, argnums, has_aux: bool, api: str):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        level = _Level()
        try:
            with enable_grad():
                args, leaves, spec = _track_args(args, argnums, level)
                out, aux = _split_aux(func(*args, **kwargs), has_aux, api)
                _check_tensors(out, _INNER_API[api], "f(*primals)")  # torch names the transform inside
                if has_aux:
                    _check_aux(aux)
                outs, out_spec = flatten(out)
                blocks = [unflatten(_jacobian_of(o, leaves, level), spec) for o in outs]
        finally:
            level.close()
        jac = _release(unflatten(blocks, out_spec), level)
        return (jac, _release(aux, level)) if has_aux else jac

    return wrapper


def _jacobian_of(out, leaves, level: _Level) -> list:
    """d out / d leaf for each leaf, of shape out.shape + leaf.shape: one backward pass per element of out,
    run as inside vmap (torch's jacrev vmaps them: a custom Function there needs vmap support)."""
    n = out.numel()
    rows = [[] for _ in leaves]
    create_graph = _needs_outside([out], level)
    flat = out.reshape(-1)
    outer, transforms.mapped = transforms.mapped, transforms.mapped or set()  # torch vmaps these passes
    try:
        for j in range(n):
            for k, g in enumerate(_grads([flat[j]], leaves, [None], level, create_graph)):
                rows[k].append(g)
    finally:
        transforms.mapped = outer
    return [
        stack(r).reshape(tuple(out.shape) + tuple(t.shape))
        if r
        else _api.zeros(tuple(out.shape) + tuple(t.shape), like=t)
        for r, t in zip(rows, leaves)
    ]


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None, _preallocate_and_copy: bool = False):
    """torch.func.jacrev: the Jacobian of func with respect to the arguments at argnums, for each
    output a tensor of shape output.shape + input.shape (nested as the outputs, then as argnums).
    One backward pass per output element (chunk_size, a vectorization knob in torch, changes nothing)."""
    _check_chunk_size(chunk_size)
    return _jacobian(func, argnums, has_aux, "jacrev(f, ...)(*args)")


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """torch.func.jacfwd: the same Jacobian as jacrev (computed here in reverse mode). torch runs func
    under vmap: with randomness="error" (the default) a random draw in func raises vmap's RuntimeError."""
    jacobian = _jacobian(checked_randomness(func, randomness), argnums, has_aux, "jacfwd(f, ...)(*args)")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        for t in flatten(tuple(args[i] for i in _check_argnums(argnums, len(args))))[0]:
            if isinstance(t, TensorBase) and not (t.is_floating_point() or t.is_complex()):
                raise ValueError(
                    f"Expected primal to be floating point or complex, but got: {t.dtype}"
                )  # make_dual's
        return jacobian(*args, **kwargs)

    return wrapper


def hessian(func, argnums=0):
    """torch.func.hessian: the Jacobian of the gradient, shape input.shape + input.shape for a scalar func."""
    return jacfwd(jacrev(func, argnums), argnums)


def _check_chunk_size(chunk_size) -> None:
    if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")


def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """torch.func.jvp: (func(*primals), J tangents[, aux]), primals and tangents tuples of the same
    nest. Computed with two backward passes: g(u) = J^T u for a dummy cotangent u recorded with
    create_graph, then J v = d <g(u), v> / du."""
    api = "jvp(f, primals, tangents)"
    for name, val in (("primals", primals), ("tangents", tangents)):
        if not isinstance(val, (tuple, list)):
            raise RuntimeError(
                f"{api}: Expected {name} to be a tuple. E.g. it should be valid to call f(*primals)."
            )
    p_leaves, p_spec = flatten(tuple(primals))
    t_leaves, t_spec = flatten(tuple(tangents))
    if len(p_leaves) != len(t_leaves):
        raise RuntimeError(
            f"{api}: Expected primals and tangents to have the same python structure. For example, if primals is a "
            "tuple of 3 tensors, tangents also must be. Got primals with structure "
            f"{len(p_leaves)} leaves and tangents with structure {len(t_leaves)} leaves"
        )
    for p, t in zip(p_leaves, t_leaves):
        if not isinstance(t, TensorBase):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(t)}")
        if isinstance(p, TensorBase) and tuple(p.shape) != tuple(t.shape):
            raise RuntimeError(
                "Trying to set a forward gradient that has a different size than that of the original Tensor, this "
                f"is not supported. Tensor is of size {list(p.shape)} while the given forward gradient is of size "
                f"{list(t.shape)}."
            )
    level = _Level()
    try:
        with enable_grad():
            args, leaves, _ = _track_args(tuple(primals), tuple(range(len(primals))), level)
            out, aux = _split_aux(func(*args), has_aux, api)
            _check_tensors(out, api, "f(*primals)")
            if has_aux:
                _check_aux(aux)
            outs, out_spec = flatten(out)
            dummies = [_own(_api.zeros_like(o).requires_grad_(o.is_floating_point()), level) for o in outs]
            firsts = _grads(outs, leaves, dummies, level, create_graph=True)
            pairs = [(g, v) for g, v in zip(firsts, t_leaves) if g.requires_grad]
            if pairs:
                products = _grads([g for g, _ in pairs], dummies, [v for _, v in pairs], level)
            else:
                products = [_api.zeros_like(o) for o in outs]
    finally:
        level.close()
    result = (_release(out, level), _release(unflatten(products, out_spec), level))
    return result + (_release(aux, level),) if has_aux else result


def linearize(func, *primals):
    """torch.func.linearize: (func(*primals), jvp_fn), jvp_fn(*tangents) = J tangents (a jvp per call)."""
    out, _ = jvp(func, primals, primals)

    def jvp_fn(*tangents):
        return jvp(func, primals, tangents)[1]

    return out, jvp_fn


def functionalize(func, *, remove: str = "mutations"):
    """torch.func.functionalize: func itself. torch rewrites in-place ops out of place for its compilers; the
    values are the same, and pyneuro's transforms differentiate through in-place ops directly."""
    if remove not in ("mutations", "mutations_and_views"):
        raise RuntimeError(
            f"functionalize(f, remove='mutations'): received invalid argument for remove={remove}. Valid options are:\n"
            "     remove='mutations': all inplace and out= operators will be removed from the program, and replaced "
            "with their out-of-place equivalents.\n"
            "     remove='mutations_and_views': In addition to the above, all aliasing operators {view} will be "
            "replaced with their non-aliasing counterparts, {view}_copy.\n"
        )
    return func


def debug_unwrap(tensor, *, recurse: bool = True):
    """torch.func.debug_unwrap: the tensor itself (pyneuro's transforms do not wrap tensors)."""
    return tensor

"""The `out=` keyword of torch's free functions: `torch.mul(a, b, out=c)` writes the result into c.

PyTorch's own tutorials use it (`torch.matmul(t, t.T, out=y3)`), so every torch-level function
pyneuro exports takes it, by this one rule (pyneuro/__init__.py applies `out_keyword` to them):

- the function runs as usual, then its result is written into `out` (a tuple of tensors for
  functions returning several, like torch.max(x, dim, out=(values, indices))), and `out` is returned;
- the result must be castable to out's dtype without changing kind the wrong way (a float result
  into an int tensor is torch's RuntimeError "result type Float can't be cast to ...");
  the ops in _SAME_DTYPE (neg, floor, clamp, where, softmax, matmul, sort, gather, ...) need out
  in the result's dtype exactly, as torch's do; those in _IN_OUT_DTYPE (sum, prod, cumsum,
  cumprod, mean) compute in out's dtype, as if given dtype=out.dtype;
- an `out` of another shape is resized, with torch's warning when it had elements;
- out= does not record a graph: torch raises RuntimeError when the result would require grad
  (an argument requires grad while grad mode is on), and so does this; a result without a
  gradient (torch.eq(w, 0, out=mask), argmax, histc) is written as usual.

Arrows: imports numpy, _dtype, _tensor_base and autograd.grad_mode; pyneuro/__init__.py imports it.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from ._dtype import can_cast, torch_name
from ._errors import overlap_error, partial_overlap_error, read_only
from ._tensor_base import TensorBase
from .autograd.grad_mode import _GradMode

# torch's out= dtype rules (measured on torch 2.13): these refuse an out of another dtype...
_SAME_DTYPE = frozenset(
    "abs absolute addbmm addmm addmv amax amin aminmax argmax argmin baddbmm bmm ceil clamp "
    "clamp_max clamp_min clip cross cummax cummin diag dot floor frac gather histc index_select "
    "kthvalue log_softmax logcumsumexp masked_select matmul mm mode mv nan_to_num nanquantile neg "
    "negative norm quantile round sgn sign softmax sort take tensordot topk tril triu trunc "
    "vector_norm where "
    "all any isposinf isneginf signbit nonzero searchsorted bucketize msort take_along_dim "
    "multinomial bitwise_not fix inner vdot".split()  # (bool and int64 results too)
)
_SAME_DTYPE_WITH_DIM = frozenset({"max", "min", "median"})  # (values, indices) forms only
# ...and these compute in out's dtype (sum of [1.5, 2.5] into an int64 out is 1 + 2 = 3)
_IN_OUT_DTYPE = frozenset({"sum", "prod", "cumsum", "cumprod", "mean"})


# ...and these take an out= that overlaps an input in part (torch checks the others, its
# TensorIterator ops, sort, topk, gather, ...: torch.add(x, 1, out=x.t()), torch.exp(x[:-1], out=x[1:]))
_OVERLAP_ALLOWED = frozenset(
    "sum prod mean nansum nanmean std var amax amin aminmax max min median nanmedian kthvalue mode "
    "norm vector_norm logsumexp argmax argmin all any count_nonzero softmax log_softmax tril triu diag "
    "cross cummax cummin mm matmul addmm addmv addbmm baddbmm bmm mv dot vdot inner tensordot cat "
    "concat concatenate stack hstack vstack dstack nonzero".split()
)


def _check_partial_overlap(name, outs, args, kwargs) -> None:
    if name in _OVERLAP_ALLOWED:
        return
    for o in outs:
        if not isinstance(o, TensorBase):
            continue
        for a in (*args, *kwargs.values()):
            if isinstance(a, TensorBase) and (overlap := partial_overlap_error(o._data, a._data)):
                raise overlap


def _check_same_dtype(name, outs, results) -> None:
    for o, r in zip(outs, results):
        if isinstance(o, TensorBase) and isinstance(r, TensorBase) and o._data.dtype != r._data.dtype:
            raise RuntimeError(
                f"{name}(): Expected out tensor to have dtype {torch_name(r._data.dtype).lower()}, "
                f"but got {torch_name(o._data.dtype).lower()} instead"
            )


def _requires_grad(values) -> bool:
    for v in values:
        if isinstance(v, TensorBase) and v.requires_grad:
            return True
        if isinstance(v, (list, tuple)) and _requires_grad(v):
            return True
    return False


def _write(out, result, name: str) -> None:
    if not isinstance(out, TensorBase):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if not isinstance(result, TensorBase):
        raise TypeError(f"{name}() does not return a tensor, so it cannot write into out=")
    src, dst = result._data.dtype, out._data.dtype
    if src != dst and not can_cast(src, dst):
        raise RuntimeError(
            f"result type {torch_name(src)} can't be cast to the desired output type {torch_name(dst)}"
        )
    if result.device != out.device:
        raise RuntimeError(f"Expected out tensor to be on {result.device}, but got a tensor on {out.device}")
    overlap = overlap_error(out._data) if read_only(out._data) else None
    if overlap is not None:  # (an expand()ed out: torch refuses to compute into it)
        raise overlap
    if tuple(out.shape) == tuple(result.shape):
        with np.errstate(all="ignore"):
            out._data[...] = result._data
    else:
        if out.numel() != 0:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape {list(out.shape)}, which "
                f"does not match the required output shape {list(result.shape)}. This behavior is deprecated, "
                "and in a future PyTorch release outputs will not be resized unless they have zero elements. "
                "You can explicitly reuse an out tensor t by resizing it, inplace, to zero elements with t.resize_(0).",
                UserWarning,
                stacklevel=4,
            )
        with np.errstate(all="ignore"):  # (NaN into an int out: garbage without a warning, as torch)
            out._data = result._data.astype(dst, copy=True)
    out._vc[0] += 1  # out's memory changed: views and saved copies of it see a new version


def out_keyword(function, module: str | None = None, name: str | None = None):
    """Give a torch-level function torch's `out=` keyword (see the module docstring). With module
    and name, the wrapper is found as module.name, so pickle can refer to it (the function it wraps
    may live in another module: torch.exp pickles, and pn.exp must too)."""

    @functools.wraps(function)
    def run(*args, out=None, **kwargs):
        if out is None:
            try:
                return function(*args, **kwargs)
            except AttributeError as exc:  # torch.exp(2.0): the number has no .exp
                if args and not isinstance(args[0], TensorBase) and getattr(exc, "obj", None) is args[0]:
                    raise TypeError(
                        f"{function.__name__}(): argument 'input' (position 1) must be Tensor, "
                        f"not {type(args[0]).__name__}"
                    ) from None
                raise
        name = function.__name__
        outs = out if isinstance(out, (tuple, list)) else (out,)
        _check_partial_overlap(name, outs, args, kwargs)
        if name in _IN_OUT_DTYPE and kwargs.get("dtype") is None and isinstance(out, TensorBase):
            kwargs["dtype"] = out.dtype
        result = function(*args, **kwargs)
        results = tuple(result) if isinstance(out, (tuple, list)) else (result,)
        if name in _SAME_DTYPE or (name in _SAME_DTYPE_WITH_DIM and len(outs) > 1):
            _check_same_dtype(name, outs, results)
        if _GradMode.enabled and _requires_grad(
            (*results, *outs)
        ):  # (eq, argmax, histc, ...: no grad, allowed)
            raise RuntimeError(
                f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                "but one of the arguments requires grad."
            )
        if len(results) != len(outs):
            raise TypeError(f"{name}(): out= needs {len(results)} tensors, got {len(outs)}")
        for o, r in zip(outs, results):
            _write(o, r, name)
        if hasattr(result, "_fields") and isinstance(out, (tuple, list)):  # max(x, 1, out=(v, i)).values
            return type(result)(*out)
        return out

    run.__wrapped_for_out__ = True
    if module is not None:
        run.__module__, run.__qualname__ = module, name or function.__name__
    return run


def add_out_keyword(namespace: dict, names) -> None:
    """Wrap each function `namespace[name]` with out_keyword (once)."""
    for name in names:
        function = namespace.get(name)
        if (
            callable(function)
            and not isinstance(function, type)
            and not hasattr(function, "__wrapped_for_out__")
        ):
            namespace[name] = out_keyword(function, namespace.get("__name__"), name)

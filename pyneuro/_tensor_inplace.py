"""Tensor's in-place methods (add_, mul_, copy_, +=, x[i] = v, ...) and their place in the graph.

A mixin of pyneuro.tensor.Tensor, kept apart so tensor.py stays readable. Every method here
changes the tensor's memory, so every one bumps its version counter (`t._version`, shared
with its views), which lets backward notice a tensor it saved was changed since
(pyneuro/autograd/inplace.py explains the machinery).

Two paths, as in torch:
- nothing involved requires grad, or grad mode is off (optimizer steps, init, data prep):
  the array is updated in place by its own operators, no graph, no copies;
- an operand requires grad: the out-of-place op is recorded and its result written into
  this tensor's memory, and the tensor takes the result's place in the graph (grad_fn);
  a write into a view (`x[1:] += w`, `x[...] = w * 3`) gives the base a CopySlices grad_fn.
In-place on a leaf that requires grad (or a view of one) raises torch's error unless
grad mode is off (`with pn.no_grad(): w -= lr * w.grad`).
"""

from __future__ import annotations

import operator as _op

import numpy as np

from ._dtype import _PY_BOOL, _PY_INT, _SCALARS, can_cast, fill_value, number_fill, torch_name, wrap_int
from ._errors import (
    ArgumentError,
    DTypeError,
    ShapeError,
    operand_type_error,
    overlap_error,
    partial_overlap_error,
    read_only,
    source_overlap_error,
    type_name,
    writable_alias,
)
from ._tensor_base import (
    TensorBase,
    _backend,
    _InferenceVersions,
    _value_array,
    _wrap,
)
from ._tensor_keys import (
    _convert_index,
    check_slice_steps,
    empty_selection,
    same_dtype_put,
    sequence_as_tuple,
    split_int_index,
    torch_index_error,
    zero_d_ints,
)
from .autograd import inplace as _ip
from .autograd.elementwise import half_by_number
from .autograd.function import _broadcast_mismatch, quiet
from .autograd.grad_mode import _GradMode
from .autograd.shape import Index, renamed
from .backends.special_xp import clamp_high, clamp_low
from .functions_math import (
    alpha_args,
    check_bool_sub,
    check_int_exponent,
    int_pow,
    negative_int_power,
    scaled,
)
from .random import _rng, check_floating, draw_in_memory_order

_LEAF = "a leaf Variable that requires grad is being used in an in-place operation."
_VIEW_OF_LEAF = "a view of a leaf Variable that requires grad is being used in an in-place operation."


def _cast_error(exc, t, other):
    """NumPy's refusal to write a result into t's dtype (int_tensor += 0.5) as torch's RuntimeError."""
    if "Cannot cast ufunc" not in str(exc):
        return exc
    if isinstance(other, TensorBase) or hasattr(other, "dtype"):
        name = str(getattr(other, "_data", other).dtype)
    else:
        name = {float: "float32", bool: "bool"}.get(type(other), "int64")
    if "'divide'" in str(exc):  # true division of integers is a float
        name = "float32"
    have = str(t._data.dtype)
    return DTypeError(
        f"result type {torch_name(name)} can't be cast to the desired output type {torch_name(have)}"
    )


def _contiguous(array) -> bool:
    flags = getattr(array, "flags", None)
    return flags is None or flags.c_contiguous


def _refused(t, exc):
    """A write refused by a read-only array, as torch says it: an expand()ed tensor (elements that
    share memory: torch's RuntimeError), or a read-only cuda view (a copy: cuda arrays have no
    strided views; NotImplementedError with the array's reason); None if exc is something else."""
    if not read_only(t._data):
        return None
    overlap = overlap_error(t._data)
    if overlap is not None:
        return overlap
    if t.device.type != "cuda":  # (a view into an expand()ed tensor, or a read-only NumPy array's memory)
        return RuntimeError(f"in-place change of a read-only tensor: {exc}; change a clone() of it")
    return NotImplementedError(f"in-place change of a non-contiguous view of a cuda tensor: {exc}")


_DENSE_OPERANDS = (TensorBase, *_SCALARS)  # (what an in-place op takes as it is)


def _call(op, a, b):
    return op(a, b)


_quietly = quiet(_call, {"all": "ignore"})  # op(a, b) with NumPy's floating-point warnings off


class InplaceMethods:
    """In-place methods of Tensor (a mixin: it has no state of its own)."""

    __slots__ = ()

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has had (torch's t._version): the counter
        every in-place op bumps, shared with views and detach(); an inference tensor has none."""
        if type(self._vc) is _InferenceVersions:
            raise RuntimeError("Inference tensors do not track version counter.")
        return self._vc[0]

    def _check_inplace(self):
        """torch's errors for an in-place change of a leaf that requires grad (or a view of one)."""
        if _GradMode.enabled:
            if self._req and self._node is None:
                raise RuntimeError(_LEAF)
            # torch's rule: a view that requires grad, of a leaf (one that needs no grad too: o.t().requires_grad_())
            view = self._view
            if view is not None and self._req and view[0]._node is None:
                raise RuntimeError(_VIEW_OF_LEAF)

    def _records(self, other, fills: bool = False) -> bool:
        """Does an in-place op of self with other go into the graph? (checks the leaf rules first,
        torch's refusal to change a tensor made in inference_mode outside it, grad mode or not, and
        to compute into an expand()ed tensor, whose elements share memory: fills may write it)"""
        # (is_inference() without calling it: an uninitialized lazy parameter refuses method calls)
        if not _GradMode.inference and type(self._vc) is _InferenceVersions:
            raise RuntimeError(
                "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone "
                "to get a normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 "
                "for more details."
            )
        if not _GradMode.enabled:
            if not fills:
                self._check_overlap()
            return False
        # (an integer or bool tensor never joins the graph: int_x.copy_(w) only casts w's values, and
        # int_x.add_(w) is refused by the cast check, as torch's)
        records = self._req or (
            isinstance(other, TensorBase) and other._req and self._data.dtype.kind in "fc"
        )
        if self._view is not None:
            _ip.check_no_grad_view(self)
            if records:
                _ip.check_multi_output(self)
        self._check_inplace()  # (the leaf rules first: an uninitialized lazy parameter has no data yet)
        if not fills:
            self._check_overlap()
        return records

    def _check_overlap(self) -> None:
        if read_only(self._data):
            overlap = overlap_error(self._data)
            if overlap is not None:
                raise overlap

    def _record(self, op, keep_values, *args, saves_result=False):
        """self = op(self as it was, *args), recorded; the result written into self's memory
        (saves_result: torch's in-place node saves it, so a later change of self fails backward)."""
        result = op(_ip.before(self, keep_values), *args)
        if result._data.dtype != self._data.dtype:
            result = result._cast(self._data.dtype)
        self._write(result)
        node = result._node
        _ip.rebase(self, result)
        if saves_result:
            _ip.watch_result(node, self)
        return self

    def _write(self, result) -> None:
        """Write an op's result into self's memory (it must keep self's shape) and bump the version."""
        if result.shape != self.shape:
            raise ShapeError(
                f"output with shape {list(self.shape)} doesn't match the broadcast shape {list(result.shape)}"
            )
        try:
            if result._data.dtype == self._data.dtype:
                self._data[...] = result._data
            else:
                with np.errstate(all="ignore"):  # NaN into an int tensor: garbage without a warning, as torch
                    self._data[...] = result._data
        except ValueError as exc:
            raise (_refused(self, exc) or exc) from None
        self._vc[0] += 1

    def _inplace(self, op, other, record_op=None, keep_values=False):
        if not isinstance(other, _DENSE_OPERANDS) and getattr(type(other), "is_sparse", False) is True:
            other = other.to_dense()  # p.add_(sparse_grad, alpha=-lr), p -= lr * p.grad: its dense form
        records = record_op is not None and self._records(other)  # (leaf rules first, as torch's)
        if isinstance(other, TensorBase) and (overlap := partial_overlap_error(self._data, other._data)):
            raise overlap
        if records:  # (_records checked self's own overlap too)
            return self._record(record_op, keep_values, other)
        if record_op is None:
            self._check_overlap()
        o = other._data if isinstance(other, TensorBase) else other
        if isinstance(other, TensorBase) and other.device != self.device:
            raise RuntimeError(
                f"expected both tensors on the same device, got {self.device} and {other.device}"
            )
        if not isinstance(o, _SCALARS) and not hasattr(o, "shape"):
            raise operand_type_error(other)  # x += [1, 2]: torch's TypeError (its named forms refuse it too)
        elif type(o) is _PY_INT and self._data.dtype.kind in "iu":
            o = wrap_int(o, self._data.dtype)  # int8_tensor += 300 wraps, as torch's C cast
        half = _HALF_OPS.get(op) if o.__class__ in (_PY_INT, float) else None
        if half is not None and (half := half_by_number(self._data, o, half)) is not None:
            o, op = half, _copy  # float16 times a number: torch's float32 arithmetic, rounded once
        try:
            result = _quietly(
                op, self._data, o
            )  # x /= 0, x **= 0.5: inf/NaN without NumPy's warning, as torch
        except (
            TypeError
        ) as exc:  # NumPy keeps the kind of integers (int64 into uint8); torch only the category
            with np.errstate(all="ignore"):
                full = record_op(self._data, o) if record_op is not None and hasattr(o, "dtype") else None
            if full is None or not can_cast(full.dtype, self._data.dtype):
                raise _cast_error(exc, self, o) from None
            if full.shape != self._data.shape:
                raise self._broadcast_error(o) from None
            result = self._data
            result[...] = full  # (wrapping, as torch's C cast)
        except ValueError as exc:  # x += y where x alone does not have the broadcast shape
            raise (_refused(self, exc) or self._broadcast_error(o)) from None
        if result is not self._data:  # an array type without true in-place operators
            self._data[...] = result
        self._vc[0] += 1
        return self

    def _broadcast_error(self, other):
        try:
            shape = list(np.broadcast_shapes(self.shape, np.shape(other)))
        except ValueError:  # (x.mul_(y) where the shapes do not broadcast at all: torch's words)
            return ShapeError(_broadcast_mismatch([tuple(self.shape), tuple(np.shape(other))]))
        return ShapeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape {shape}")

    def __iadd__(self, other):
        return self._inplace(_add, other, _op.add)

    def __isub__(self, other):
        check_bool_sub(self, other)
        return self._inplace(_subtract, other, _op.sub)

    def __imul__(self, other):
        return self._inplace(_multiply, other, _op.mul, True)

    def __itruediv__(self, other):
        return self._inplace(_divide, other, _op.truediv, True)

    def __ipow__(self, other):
        return self.pow_(other)

    def add_(self, other, *args, alpha=1):  # (p.data.add_(-lr, grad): torch's deprecated form)
        other, alpha = alpha_args("add_", other, args, alpha)
        return self._inplace(
            _add, other if alpha == 1 and type(alpha) is int else scaled(self, other, alpha), _op.add
        )

    def sub_(self, other, *args, alpha=1):
        other, alpha = alpha_args("sub_", other, args, alpha)
        check_bool_sub(self, other)
        return self._inplace(
            _subtract, other if alpha == 1 and type(alpha) is int else scaled(self, other, alpha), _op.sub
        )

    def mul_(self, other):
        return self._inplace(_multiply, other, _op.mul, True)

    def div_(self, other, *, rounding_mode=None):
        if rounding_mode is not None:  # x.div_(2, rounding_mode="floor"): divide's rules, in place
            return self.divide_(other, rounding_mode=rounding_mode)
        return self._inplace(_divide, other, _op.truediv, True)

    def pow_(self, exponent):
        check_int_exponent(self, exponent)
        if negative_int_power(self, exponent):  # torch's integer values (3 ** -1 is 0), which NumPy refuses
            self._check_inplace()
            self._write(int_pow(self, exponent)._cast(self._data.dtype))
            return self
        return self._inplace(_power, exponent, _op.pow, True)

    def zero_(self):
        return self._fill(0, "ZeroBackward0")

    def fill_(self, value):
        if isinstance(value, TensorBase) and value.ndim:  # (torch refuses even a 1-element one)
            raise ArgumentError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions."
            )
        return self._fill(value, "FillBackward3" if isinstance(value, TensorBase) else "FillBackward2")

    def _fill(self, value, torch_name):
        """fill_/zero_; under the graph the node has torch's name for the op (when self is not a view)."""
        if isinstance(value, TensorBase) and not (value._req and self._data.dtype.kind in "fc"):
            value = value.item()  # (a number, unless the fill joins the graph: an int tensor never does)
        if value.__class__ is not _PY_INT or value:  # (zero_'s 0 fits every dtype: nothing to check)
            value = number_fill(value, self._data.dtype)
        if self._records(value, fills=True):
            self._record(_ip.Copy.apply, False, value)
            if self._view is None and self._node is not None:
                renamed(self, torch_name)
            return self
        data = self._data
        if read_only(data) and overlap_error(data) is not None:
            alias = writable_alias(data)  # torch fills an expand()ed tensor: its memory
            data = data if alias is None else alias
        try:
            data[...] = value
        except ValueError as exc:
            raise (_refused(self, exc) or exc) from None
        self._vc[0] += 1
        return self

    def copy_(self, other, non_blocking=False):
        """Copy other's values into this tensor (broadcasting, converting dtype and device);
        torch's keyword is `other`, and non_blocking changes nothing on the CPU."""
        return self._copy(other, True)

    # pyneuro's own writes of arrays (random fills, loaded checkpoints): copy_ without the argument
    # check that Tensor.copy_ gets (_arguments.py: torch's copy_ takes only a Tensor), nor its shape rule
    def _copy_values(self, other, non_blocking=False):
        return self._copy(other, False)

    def _copy(self, src, strict: bool):
        records = self._records(src)  # (leaf rules first, as torch's)
        if strict and isinstance(src, TensorBase) and src._data.shape != self._data.shape:
            # the source must broadcast to this shape (NumPy's assignment would also drop its leading 1s)
            try:
                fits = np.broadcast_shapes(self._data.shape, src._data.shape) == self._data.shape
            except ValueError:
                fits = False
            if not fits:
                raise self._broadcast_error(src)
        if isinstance(src, TensorBase) and (overlap := partial_overlap_error(self._data, src._data)):
            raise overlap
        if records:
            if isinstance(src, TensorBase) and src.device != self.device:
                src = src.to(self.device)
            return self._record(_ip.Copy.apply, False, src)
        if isinstance(src, TensorBase):
            arr = _own_copy(self._data, src._data)
            if src.device != self.device:
                arr = _backend(self.device).asarray(_backend(src.device).to_numpy(arr))
        else:
            arr = _value_array(src, self)
        try:
            if getattr(arr, "dtype", None) == self._data.dtype:
                self._data[...] = arr
            else:
                with np.errstate(all="ignore"):  # NaN into an int tensor: garbage without a warning, as torch
                    self._data[...] = arr
        except ValueError as exc:
            raise (
                _refused(self, exc)
                or ShapeError(
                    f"copy_: source of shape {tuple(arr.shape)} cannot be broadcast to {tuple(self.shape)}"
                )
            ) from None
        self._vc[0] += 1
        return self

    def clamp_(self, min=None, max=None):
        """self.clamp(min, max) written into self; the bounds may be numbers or tensors that broadcast
        to self's shape (x.clamp_(lo_tensor, hi_tensor), differentiable like clamp's)."""
        bound = max if isinstance(max, TensorBase) and max._req else min
        if self._records(bound):
            return self._record(lambda a: a.clamp(min, max), True)
        if isinstance(min, TensorBase) or isinstance(max, TensorBase):
            result = self.clamp(min, max)
            if not can_cast(result._data.dtype, self._data.dtype):
                raise DTypeError(
                    f"result type {torch_name(result._data.dtype)} can't be cast to the desired output type "
                    f"{torch_name(self._data.dtype)}"
                )
            self._write(result)
            return self
        if min is None and max is None:
            return self.clamp(min, max)  # torch's error
        if self._data.dtype.kind in "iuf":  # bounds as clamp's: -1 wraps into uint8, 300 into int8 raises
            min, max = fill_value(min, self._data.dtype), fill_value(max, self._data.dtype)
        xp = _backend(self.device).xp
        if xp is np and self._data.dtype.kind == "f":  # (x where x equals a bound: -0.0 stays, as torch's)
            if min is not None:
                clamp_low(xp, self._data, min, out=self._data)
            if max is not None:
                clamp_high(xp, self._data, max, out=self._data)
            self._vc[0] += 1
            return self
        try:
            xp.clip(self._data, min, max, out=self._data)
        except TypeError as exc:
            raise _cast_error(exc, self, max if min is None or isinstance(max, float) else min) from None
        self._vc[0] += 1
        return self

    def _inplace_op(self, op, keep_values=True, *other, saves_result=False):
        """self = op(self, *other), written into self's memory: the `inplace=True` of torch's
        functional activations and dropout (F.leaky_relu(x, inplace=True), nn.Dropout(inplace=True),
        ...), scatter_ and masked_fill_. With grad (of self or of the one `other`) it is recorded
        like every in-place change (keep_values: op's backward reads self's old values;
        saves_result: torch's in-place node reads its result, elu_'s and leaky_relu_'s);
        otherwise op runs out of place and its values are copied in."""
        if self._records(other[0] if other else None):
            return self._record(op, keep_values, *other, saves_result=saves_result)
        self._write(op(self, *other))
        return self

    def scatter_(self, dim, index, src=None, value=None, reduce=None):
        """self.scatter(...) written into self, like torch's scatter_ (e.g. one-hot rows:
        zeros(n, c).scatter_(1, y.unsqueeze(1), 1.0))."""
        src = value if src is None else src
        if overlap := source_overlap_error(self._data, src):  # (x.scatter_(0, i, x): torch's check)
            raise overlap
        return self._inplace_op(lambda a, s: a.scatter(dim, index, s, reduce=reduce), False, src)

    def scatter_add_(self, dim, index, src):
        if overlap := source_overlap_error(self._data, src):
            raise overlap
        return self._inplace_op(lambda a, s: a.scatter_add(dim, index, s), False, src)

    def masked_fill_(self, mask, value):
        """self[mask] = value, in place (mask broadcast to self's shape), like torch."""
        return self._inplace_op(lambda a, v: a.masked_fill(mask, v), False, value)

    def relu_(self):
        if self._data.dtype.kind == "b":
            raise RuntimeError("Boolean inputs not supported for relu")
        if self._records(None):
            return self._record(lambda a: a.relu(), False)  # relu's backward reads its output
        xp = _backend(self.device).xp
        try:
            clamp_low(xp, self._data, 0, out=self._data)  # (relu(-0.0) is -0.0, as torch's)
        except ValueError as exc:  # a read-only array's
            raise (_refused(self, exc) or exc) from None
        self._vc[0] += 1
        return self

    def uniform_(self, a=0.0, b=1.0, generator=None, **bounds):
        """Fill with uniform draws in [a, b): torch's stream and arithmetic (_torch_stream.py).
        torch names the bounds from= and to= (x.uniform_(**{"from": -1, "to": 1}))."""
        a, b = bounds.pop("from", a), bounds.pop("to", b)
        if bounds:
            raise TypeError(f"uniform_() got unexpected keyword arguments {sorted(bounds)}")
        check_floating(self._data.dtype, "check_uniform_bounds")
        if a > b:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}")
        rng, dt = _rng(generator), self._data.dtype
        return self._copy_values(
            draw_in_memory_order(self._data, lambda shape: rng.uniform_fill(shape, dt, a, b))
        )

    def normal_(self, mean=0.0, std=1.0, generator=None):
        """Fill with normal draws N(mean, std**2): torch's stream and arithmetic."""
        check_floating(self._data.dtype, "normal_kernel_cpu")
        mean, std = (float(v) if isinstance(v, TensorBase) else v for v in (mean, std))  # (0-d tensors too)
        if not std >= 0:  # (NaN too, as torch)
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        # (a tensor that is not contiguous: torch's one-by-one kernel, in memory order)
        rng, dt, serial = _rng(generator), self._data.dtype, not _contiguous(self._data)
        return self._copy_values(
            draw_in_memory_order(self._data, lambda shape: rng.normal_fill(shape, dt, mean, std, serial))
        )

    def __setitem__(self, index, value):
        if not isinstance(value, (TensorBase, *_SCALARS, complex, np.integer)) and not getattr(
            value, "is_sparse", False
        ):  # as torch: x[0] = [1., 2.], an ndarray or np.float32(1) is refused
            raise TypeError(f"can't assign a {type_name(value)} to a {self.type()}")
        try:
            self._setitem(index, value)
        except IndexError as error:  # NumPy's messages in torch's words (_tensor_keys.py)
            if empty_selection(self, index, error) is not None:
                return  # nothing selected: torch writes nothing, and checks no index
            raise torch_index_error(error, self.shape) from None

    def _setitem(self, index, value):
        if isinstance(value, TensorBase) and value._data.ndim and value._data.shape[0] == 1:
            ones = next((i for i, n in enumerate(value._data.shape) if n != 1), value._data.ndim)
            value = value.reshape(
                value._data.shape[ones:]
            )  # torch drops the value's leading 1s: x[0, 0] = t[:1]
        data, steps, index = self._data, (), zero_d_ints(sequence_as_tuple(index))
        key = index
        split = split_int_index(index)
        if split is not None:  # integers and index arrays: torch selects with the integers first
            selects, index = split
            data, steps = data[selects], (("index", selects),)
        basic = isinstance(index, (_PY_INT, slice)) and not isinstance(index, _PY_BOOL)
        advanced = False
        if basic:
            check_slice_steps(index)
        else:
            index, advanced = _convert_index(index, self, value)
        # x[1:] = x[:-1]: the region and the value overlap in part. A value that broadcasts
        # (x[:] = x[2]) torch expands first, which is not dense, so never refused: checked only
        # when the shapes agree
        region = data[index] if (basic or not advanced) and isinstance(value, TensorBase) else None
        if region is not None and region.shape == value._data.shape:
            if overlap := partial_overlap_error(region, value._data):
                raise overlap
        if advanced and not (_masks_only(index) and _is_0d(value)):
            same_dtype_put(self, value)  # torch's index_put_; a 0-d value under masks is a masked_fill_
            if overlap := source_overlap_error(self._data, value):  # (x[idx] = x[:2]: its index_put_'s check)
                raise overlap
        if not advanced and _GradMode.enabled and self._req and self._node is None:
            raise RuntimeError(_VIEW_OF_LEAF)  # torch writes x[i] = v as x[i].copy_(v), through a view
        if self._records(value, fills=True):
            if not advanced and self.device.type != "cuda":  # through the view self[index]: CopySlices
                Index.apply(self, index=_as_view_index(index), advanced=False).copy_(value)
                return
            # Integer arrays (or a cuda tensor, whose strided regions are copies, not views):
            # the region's new values r are written by the array's own setitem.
            region = _wrap(data[index], self.device)
            r = _ip.Copy.apply(region, value)
            if r._data.dtype != self._data.dtype:
                r = r._cast(self._data.dtype)
            data[index] = r._data
            self._vc[0] += 1
            _ip.write_region(self, steps + (("index", index),), r)
            if not steps and self._view is None and _records_no_view(key):
                renamed(self, "IndexPutBackward0")  # torch's index_put_ on self itself
            return
        if read_only(data) and overlap_error(data[index]) is None:
            alias = writable_alias(data)  # x = b.expand(3, 4); x[0] = 1: the region is b's row, once
            data = data if alias is None else alias
        try:
            data[index] = (
                _own_copy(data, value._data) if isinstance(value, TensorBase) else _value_array(value, self)
            )
        except ValueError as exc:
            raise (_refused(self, exc) or ShapeError(f"setitem: {exc}")) from None
        self._vc[0] += 1


def _own_copy(dst, src):
    """src, copied first when its memory may overlap dst's: NumPy copies crossing strided views
    of one array element by element (x[1] = x[:, 2] read x[1, 2] after writing it)."""
    if type(src) is np.ndarray and type(dst) is np.ndarray and src.size > 1 and np.may_share_memory(dst, src):
        return src.copy()
    return src


def _records_no_view(key) -> bool:
    """Whether torch writes x[key] = v (key with index arrays) as index_put_ on x itself
    (IndexPutBackward0): its other parts are whole slices and Ellipsis, which record no view; a
    None, a partial slice or an int makes a view first, written through (CopySlices)."""
    for p in key if type(key) is tuple else (key,):
        if p is None or isinstance(p, (_PY_INT, np.integer)) and not isinstance(p, (_PY_BOOL, np.bool_)):
            return False
        if isinstance(p, slice) and (p.start is not None or p.stop is not None or p.step not in (None, 1)):
            return False
    return True


def _masks_only(index) -> bool:
    """Whether every index array in (converted) index is a boolean mask."""
    parts = index if isinstance(index, tuple) else (index,)
    arrays = [p for p in parts if hasattr(p, "dtype") and hasattr(p, "shape")]
    return all(p.dtype == np.bool_ for p in arrays)


def _is_0d(value) -> bool:
    return isinstance(value, TensorBase) and value._data.ndim == 0


def _as_view_index(index):
    """index with a trailing Ellipsis, so that even x[1] of a vector is a 0-d view, not a copy."""
    parts = index if isinstance(index, tuple) else (index,)
    return parts if any(p is Ellipsis for p in parts) else parts + (Ellipsis,)


# In-place updates go through the array's own operators (`a += b`), which NumPy, CuPy and
# the CUDA extension's arrays implement in place on the device: no host round trip.
_add, _subtract, _multiply, _divide, _power = _op.iadd, _op.isub, _op.imul, _op.itruediv, _op.ipow
_HALF_OPS = {_multiply: _op.mul, _divide: _op.truediv}


def _copy(dst, src):
    dst[...] = src
    return dst

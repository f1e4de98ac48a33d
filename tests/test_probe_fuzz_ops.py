"""Regressions found by a differential fuzzer of the torch-level functions and Tensor methods.

Each case runs the same call with `torch` and with `pyneuro` bound to the name L, then compares
the result (type, shape, dtype, values) or the exception (pyneuro's must be an instance of the
builtin class torch raises). The cases are the differences the fuzzer found: in-place clamp with
tensor bounds, 0-d keepdim arg-reductions, integer aranges with float ends, NaN in heaviside,
splits of empty dims, products over an empty dim, histogram defaults, empty integer divisions,
bool-only masks, the error types of empty reductions.
"""

from __future__ import annotations

import operator
import subprocess
import sys
import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests and is not installed")

EXCEPTIONS = (IndexError, TypeError, ValueError, NotImplementedError, ZeroDivisionError, RuntimeError)


def _same(p, t):
    if isinstance(t, torch.Tensor):
        assert isinstance(p, pn.Tensor), type(p)
        assert tuple(p.shape) == tuple(t.shape)
        assert str(p.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(
            p.detach().numpy(), t.detach().numpy(), rtol=1e-6, atol=1e-6, equal_nan=True
        )
    elif isinstance(t, (tuple, list)):
        assert isinstance(p, (tuple, list)) and len(p) == len(t), (p, t)
        for a, b in zip(p, t):
            _same(a, b)
    else:
        assert p == t, (p, t)


def both(fn):
    """fn(torch) and fn(pn) agree: same values, or exceptions of the same builtin class."""
    try:
        want = fn(torch)
    except Exception as exc:  # the oracle's exception is what we compare against
        kind = next(c for c in EXCEPTIONS if isinstance(exc, c))
        with pytest.raises(kind):
            fn(pn)
        return None
    got = fn(pn)
    _same(got, want)
    return got


CASES = {
    # x.clamp_(tensor bounds) failed inside NumPy; -1 wraps into uint8 as torch's C cast
    "clamp_-min-tensor": lambda L: L.tensor([1.0, 5, -2]).clamp_(L.tensor([0.0, 0, 0])),
    "clamp_-both": lambda L: L.clamp_(L.tensor([1.0, 5, -2]), L.tensor([0.0, 0, 0]), L.tensor(3.0)),
    "clamp_-max-kw": lambda L: L.tensor([[1.0, 5, -2]]).clamp_(max=L.tensor([0.0, 2, 0])),
    "clamp_-int-tensor": lambda L: L.tensor([1, 5, -2]).clamp_(L.tensor([0]), L.tensor([3])),
    "clamp_-float-into-int": lambda L: L.tensor([1, 5, -2]).clamp_(L.tensor([0.5])),
    "clamp_-uint8-wraps": lambda L: L.tensor([5, 1, 200], dtype=L.uint8).clamp_(-1),
    "clamp_-no-bounds": lambda L: L.tensor([1.0]).clamp_(),
    "clamp_-bad-broadcast": lambda L: L.ones(3).clamp_(L.zeros(2, 3)),
    # 0-d tensor, keepdim: stays 0-d
    "argmin-0d-keepdim": lambda L: L.tensor(3.0).argmin(0, True),
    "argmax-0d-keepdim": lambda L: L.argmax(L.tensor(3.0), dim=-1, keepdim=True),
    "min-0d-keepdim": lambda L: tuple(L.min(L.tensor(3.0), 0, True)),
    "argmax-rows": lambda L: L.tensor([[1.0, 3, 2], [5, 0, 9]]).argmax(-1, keepdim=True),
    "argmin-flat-keepdim": lambda L: L.tensor([[1.0, 3, 2], [5, 0, 9]]).argmin(keepdim=True),
    "argmax-bool": lambda L: L.tensor([True, False]).argmax(),
    "argmax-empty": lambda L: L.empty(0, 3).argmax(0),
    # integer aranges other than int64 count from the float values (3 values, not 2)
    "arange-int32-float-end": lambda L: L.arange(2.5, dtype=L.int32),
    "arange-int16-float-step": lambda L: L.arange(0.5, 3.2, 0.9, dtype=L.int16),
    "arange-int64-float-end": lambda L: L.arange(2.5, dtype=L.int64),
    "arange-int32-negative": lambda L: L.arange(7.5, 1, -2.5, dtype=L.int32),
    "arange-uint8": lambda L: L.arange(0, 5.5, dtype=L.uint8),
    # heaviside(NaN) is 0 (NaN > 0 is false), not NaN
    "heaviside-nan": lambda L: L.heaviside(L.tensor([float("nan"), 0.0, -1, 2]), L.tensor([0.5])),
    "heaviside_-nan": lambda L: L.tensor([float("nan"), 0.0, -1]).heaviside_(L.tensor(0.25)),
    # empty dims: chunk gives `chunks` pieces, split one
    "chunk-empty": lambda L: L.empty(0, 3).chunk(3),
    "chunk-empty-dim1": lambda L: L.empty(2, 0).chunk(2, 1),
    "split-empty": lambda L: L.empty(0).split(2),
    "split-empty-rows": lambda L: L.empty(0, 2).split(3),
    "chunk-0d": lambda L: L.tensor(1.0).chunk(2),
    "split-0d": lambda L: L.tensor(1.0).split(1),
    "chunk-bool": lambda L: L.ones(3).chunk(True),
    "chunk-float": lambda L: L.ones(3).chunk(2.0),
    "chunk-numpy-int": lambda L: L.ones(5).chunk(np.int64(2)),
    # contractions over an empty dim are zeros
    "inner-empty": lambda L: L.inner(L.empty(0), L.empty(0)),
    "inner-empty-rows": lambda L: L.inner(L.ones(2, 0), L.ones(3, 0)),
    "tensordot-empty": lambda L: L.tensordot(L.ones(2, 0), L.ones(0, 3), 1),
    # histogram: 100 bins by default; an empty input spans [0, 1]; bins must be positive
    "histogram-default-bins": lambda L: tuple(L.histogram(L.tensor([1.0, 2, 3]))),
    "histogram-empty": lambda L: tuple(L.histogram(L.empty(0), 2)),
    "histogram-method-default": lambda L: tuple(L.tensor([0.5, 0.25]).histogram()),
    "histc-bins-0": lambda L: L.ones(3).histc(0),
    "histogram-bins-negative": lambda L: L.ones(3).histogram(-1),
    # an integer division of nothing by zero is nothing (torch divides no element)
    "fmod-empty-by-0": lambda L: L.fmod(L.empty(0, dtype=L.int64), 0),
    "remainder-empty-by-0": lambda L: L.remainder(L.empty(0, dtype=L.int64), L.tensor(0)),
    "floor_divide-fn-empty": lambda L: L.floor_divide(L.empty(0, dtype=L.int32), 0),
    "fmod-by-0-raises": lambda L: L.fmod(L.tensor([3]), 0),
    # masked_select takes a bool mask only (an integer mask indexed, silently)
    "masked_select-int-mask": lambda L: L.ones(3).masked_select(L.ones(3, dtype=L.int64)),
    "masked_select-float-mask": lambda L: L.masked_select(L.ones(3), L.ones(3)),
    "masked_select-uint8-mask": lambda L: L.ones(3).masked_select(L.ones(3, dtype=L.uint8)),
    "masked_select-bool": lambda L: L.arange(6.0).reshape(2, 3).masked_select(L.tensor([True, False, True])),
    # empty reductions: IndexError where torch says so
    "aminmax-empty-dim": lambda L: L.empty(0, 3).aminmax(dim=0),
    "aminmax-empty-all": lambda L: L.empty(0).aminmax(),
    "aminmax-other-dim": lambda L: tuple(L.empty(0, 3).aminmax(dim=1)),
    "kthvalue-empty": lambda L: L.empty(0).kthvalue(1),
    "kthvalue-empty-rows": lambda L: tuple(L.empty(2, 0).kthvalue(1, 0)),
    "kthvalue-k-too-big": lambda L: L.ones(3).kthvalue(4),
    # poisson: a 0-d rate, and the rates must be >= 0 (NaN included)
    "poisson-0d-shape": lambda L: tuple(L.poisson(L.tensor(2.0)).shape),
    "poisson-negative": lambda L: L.poisson(L.tensor([-1.0])),
    "poisson-nan": lambda L: L.poisson(L.tensor([float("nan")])),
}


@pytest.mark.parametrize("name", list(CASES))
def test_case(name):
    both(CASES[name])


def test_clamp_inplace_tensor_bounds_gradients():
    """x.clamp_(lo, hi) with tensor bounds under autograd: the bound that wins gets the gradient."""
    grads = []
    for L in (torch, pn):
        x = L.tensor([1.0, 5, -2], requires_grad=True)
        lo = L.zeros(3, requires_grad=True)
        y = x * 1
        y.clamp_(lo, L.tensor(3.0))
        (y * L.tensor([1.0, 2, 3])).sum().backward()
        grads.append((x.grad.numpy().copy(), lo.grad.numpy().copy()))
    for g, w in zip(grads[1], grads[0]):
        np.testing.assert_array_equal(g, w)


def test_clamp_inplace_tensor_bounds_mutates_self():
    for L in (torch, pn):
        x = L.tensor([[1.0, 5, -2], [0.5, -7, 9]])
        r = x.clamp_(L.tensor([0.0, 1, 2]), L.tensor([[4.0], [6]]))
        assert r is x
    np.testing.assert_array_equal(
        pn.tensor([[1.0, 5, -2], [0.5, -7, 9]])
        .clamp_(pn.tensor([0.0, 1, 2]), pn.tensor([[4.0], [6]]))
        .numpy(),
        torch.tensor([[1.0, 5, -2], [0.5, -7, 9]])
        .clamp_(torch.tensor([0.0, 1, 2]), torch.tensor([[4.0], [6]]))
        .numpy(),
    )


def _clamp_run(L, fn, x, lo, hi):
    x = L.tensor(x, requires_grad=True)
    lo = None if lo is None else L.tensor(lo, requires_grad=True)
    hi = None if hi is None else L.tensor(hi, requires_grad=True)
    if fn == "clamp":
        y = L.clamp(x, lo, hi)
    elif fn == "clamp_min":
        y = L.clamp_min(x, lo)
    else:
        y = x.clamp_max(hi)
    (y * L.arange(1.0, 1 + y.numel())).sum().backward()
    grads = [None if t is None else t.grad for t in (x, lo, hi)]
    return y, grads, y.grad_fn.name()


NAN = float("nan")


@pytest.mark.parametrize(
    "fn, x, lo, hi",
    [
        ("clamp", [NAN, 1.0, 5, -3, 2], [0.0, NAN, 0, 0, 3], [4.0, 4, NAN, 4, 1]),  # NaN anywhere is NaN
        ("clamp", [1.0, 2, 3], [2.0, 2, 2], [2.0, 2, 2]),  # ties: input's gradient only where inside
        ("clamp", [1.0, 2, 3, 9], [3.0, 3, 3, 3], [1.0, 1, 1, 1]),  # min > max: max and its gradient
        ("clamp", [NAN, 1.0, 5, -3, 2, 0], [0.0, NAN, 0, 0, 3, 0], None),
        ("clamp_min", [NAN, 1.0, 5, -3, 2, 0], [0.0, NAN, 0, 0, 3, 0], None),
        ("clamp_max", [NAN, 1.0, 5, -3, 2, 4], None, [4.0, 4, NAN, 4, 1, 4]),
    ],
)
def test_clamp_tensor_bounds_like_torch(fn, x, lo, hi):
    """clamp with tensor bounds: values (NaN propagates), each gradient and the grad_fn name as torch's."""
    py, pgrads, pname = _clamp_run(pn, fn, x, lo, hi)
    ty, tgrads, tname = _clamp_run(torch, fn, x, lo, hi)
    assert pname == tname
    _same(py, ty)
    for g, w in zip(pgrads, tgrads):
        if w is None:
            assert g is None
        else:
            _same(g, w)


def test_clamp_tensor_bounds_broadcast_error():
    both(lambda L: L.clamp(L.ones(3), min=L.zeros(2)))
    both(lambda L: L.clamp(L.ones(3, 1), L.zeros(2), L.ones(1, 1, 1)))


@pytest.mark.parametrize(
    "call",
    [
        lambda L, a, o: L.eq(a, 1, out=o),
        lambda L, a, o: L.gt(a, a, out=o),
        lambda L, a, o: L.logical_not(a, out=o),
    ],
)
def test_out_of_a_result_without_gradient_under_grad(call):
    """torch.eq(w, 1, out=mask) with w requiring grad: the result has no gradient, so out= is fine."""
    for L in (torch, pn):
        o = L.empty(3, dtype=L.bool)
        assert call(L, L.tensor([1.0, 2, 3], requires_grad=True), o) is o
    want = call(torch, torch.tensor([1.0, 2, 3], requires_grad=True), torch.empty(3, dtype=torch.bool))
    got = call(pn, pn.tensor([1.0, 2, 3], requires_grad=True), pn.empty(3, dtype=pn.bool))
    _same(got, want)


@pytest.mark.parametrize("name", ["floor", "sign", "round", "neg"])
def test_out_of_a_differentiable_result_under_grad_raises(name):
    for L in (torch, pn):
        a = L.tensor([1.0, 2, 3], requires_grad=True)
        with pytest.raises(RuntimeError, match="out="):
            getattr(L, name)(a, out=L.empty(3))


def test_out_histc_argmax_under_grad():
    both(lambda L: L.histc(L.tensor([1.0, 2, 3], requires_grad=True), 3, out=L.empty(3)))
    both(lambda L: L.argmax(L.tensor([[1.0, 5, 3]], requires_grad=True), 1, out=L.empty(1, dtype=L.int64)))


def _grads(L, fn, *values):
    xs = [L.tensor(v, requires_grad=True) for v in values]
    r = fn(L, *xs)
    (r * L.arange(1.0, 1 + r.numel()).reshape(r.shape)).sum().backward()
    return (r, *(x.grad for x in xs))


@pytest.mark.parametrize(
    "fn, values",
    [
        # maximum/minimum: where either side is NaN both get the whole gradient; ties share it
        (lambda L, a, b: L.maximum(a, b), ([NAN, 1.0, 5, 2, 3], [0.0, NAN, 1, 2, NAN])),
        (lambda L, a, b: L.minimum(a, b), ([NAN, 1.0, 5, 2, 3], [0.0, NAN, 1, 2, 4])),
        (lambda L, a, b: a.maximum(b[0]), ([NAN, 1.0, 5, 2, 3], [2.0])),
        (lambda L, a, b: L.fmax(a, b), ([NAN, 1.0, 5, 2, 3], [0.0, NAN, 1, 2, 4])),
        # amax of a NaN: NaN everywhere (torch's count of 0 matches)
        (lambda L, a: a.amax(), ([3.0, NAN, 5, 5],)),
        (lambda L, a: a.max(), ([3.0, 1.0, 5, 5],)),
        (lambda L, a: a.max(0).values, ([[NAN, 1.0], [5, 2]],)),
        # the product of a 0-d tensor along its dim (backward crashed in NumPy's moveaxis)
        (lambda L, a: a.prod(-1), (3.0,)),
        (lambda L, a: a.prod(0, keepdim=True), (3.0,)),
        (lambda L, a: L.prod(a, 0, dtype=L.float64), (3.0,)),
    ],
)
def test_gradients_like_torch(fn, values):
    _same(_grads(pn, fn, *values), _grads(torch, fn, *values))


SPECIALS = [NAN, float("inf"), -float("inf"), -0.0, 0.0, 1.0, 4.0, -2.0]

REFLECTED = {
    # a Python int before a 0-d int32/uint8 tensor keeps the tensor's dtype (it made int64)
    "rmod": lambda L, t: 7 % t,
    "rand": lambda L, t: 6 & t,
    "ror": lambda L, t: 6 | t,
    "rxor": lambda L, t: 6 ^ t,
    "rlshift": lambda L, t: 1 << t,
    "rrshift": lambda L, t: 64 >> t,
    "rsub-fn": lambda L, t: L.rsub(t, 2),
    "sub-number-first": lambda L, t: L.sub(2, t, alpha=2),
    "remainder-number-first": lambda L, t: L.remainder(-5, t),
    "float-number-first": lambda L, t: L.remainder(2.5, t),
}


@pytest.mark.parametrize("name", list(REFLECTED))
@pytest.mark.parametrize("dtype", ["int32", "uint8", "int16", "int64"])
def test_number_before_a_0d_int_tensor_keeps_its_dtype(name, dtype):
    both(lambda L: REFLECTED[name](L, L.tensor(3, dtype=getattr(L, dtype))))


def test_bool_number_minus_tensor_raises():
    both(lambda L: L.sub(True, L.tensor([1, 2])))
    both(lambda L: L.sub(2, L.tensor([True])))


@pytest.mark.parametrize("f", [operator.iadd, operator.isub, operator.imul, operator.ipow])
def test_inplace_into_a_smaller_uint8_tensor_is_torchs_runtime_error(f):
    def go(L):
        x = L.tensor(3, dtype=L.uint8)
        f(x, L.tensor([1, 2, 3]))
        return x

    both(go)


@pytest.mark.parametrize("exponent", [0.5, -0.5, 1.5, -1, 2, -2.5])
def test_pow_special_values_and_gradients(exponent):
    """x ** 0.5 is sqrt and x ** -0.5 rsqrt in torch's kernel: -0.0 ** 0.5 is -0.0, -inf ** 0.5 NaN."""

    def go(L):
        x = L.tensor(SPECIALS, requires_grad=True)
        y = x**exponent
        y.sum().backward()
        return y, x.grad, L.pow(L.tensor(SPECIALS, dtype=L.float64), exponent)

    got, want = go(pn), go(torch)
    _same(got, want)
    g, w = got[0].detach().numpy(), want[0].detach().numpy()
    np.testing.assert_array_equal(np.signbit(g[~np.isnan(w)]), np.signbit(w[~np.isnan(w)]))  # -0.0 stays -0.0


def test_nonfinite_results_raise_no_numpy_warnings():
    """inf - inf, NaN into an int tensor, inf * 0 in a product: torch says nothing, nor does pyneuro."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = pn.tensor([-1.0, 0, 4])
        x.pow_(0.5)
        x /= 0
        x.div_(pn.zeros(3))
        x.remainder_(0.0)
        pn.lerp(pn.tensor([float("inf")]), pn.tensor([float("inf")]), 0.5)
        pn.tensor([float("inf"), 0.0]).prod()
        pn.tensor(np.array([np.nan, 1.0]), dtype=pn.int32)
        i = pn.zeros(2, dtype=pn.int32)
        i.copy_(pn.tensor([float("nan"), 1.0]))
        pn.add(pn.tensor([1e300], dtype=pn.float64), 1, out=pn.empty(1))  # inf in float32


@pytest.mark.parametrize(
    "call",
    [
        lambda L: L.where(L.tensor(True)),  # 0-d: NumPy refused
        lambda L: L.where(L.tensor(0.0)),
        lambda L: L.where(L.tensor([[0, 1], [2, 0]])),
        lambda L: L.empty(2, 0, 3).stride(),  # contiguous strides of an empty tensor (NumPy's had 0)
        lambda L: L.empty(1, 0, 2, 0).stride(),
        lambda L: L.empty(0, 3).contiguous().stride(0),
        lambda L: tuple(
            L.empty(0, 3).unflatten(-1, (1, -1)).shape
        ),  # the -1 is of the dim, not of 0 elements
        lambda L: tuple(L.ones(2, 6).unflatten(1, (-1, 2)).shape),
        lambda L: L.ones(2, 6).unflatten(1, (4, -1)),
    ],
)
def test_shapes_and_strides(call):
    both(call)


def test_multinomial_without_replacement_takes_zero_weights_last():
    """More samples than non-zero weights (but not than categories): torch draws the zero-weight
    categories after the others instead of raising."""
    for L in (torch, pn):
        L.manual_seed(0)
        out = L.multinomial(L.tensor([0.0, 1.0, 0.0, 3.0]), 4)
        assert sorted(out.tolist()) == [0, 1, 2, 3]
        assert set(out[:2].tolist()) == {1, 3}
    both(lambda L: L.multinomial(L.tensor([0.0, 1.0]), 3))


def test_nonfinite_arithmetic_is_silent_under_default_filters():
    """x * 0 with x = inf, inf - inf, NaN.long(): NaN (or garbage) without NumPy's RuntimeWarning,
    as torch; a user's own NumPy code still warns. (A script: pytest resets the warning filters
    that an import during collection sets.)"""
    script = (
        "import warnings, numpy as np, pyneuro as pn\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    x = pn.tensor([float('inf'), 1.0])\n"
        "    got = [x * 0, x - x, x + (-x), pn.mul(x, 0), x.var(0), pn.tensor([float('nan')]).long()]\n"
        "    np.array([np.inf]) * 0\n"
        "print([str(w.message) for w in caught])\n"
        "print([g.tolist() for g in got[:5]])\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    lines = out.strip().splitlines()
    assert lines[0] == "['invalid value encountered in multiply']"
    t = torch.tensor([float("inf"), 1.0])
    assert lines[1] == str([w.tolist() for w in [t * 0, t - t, t + (-t), torch.mul(t, 0), t.var(0)]])


GRADIENT_CASES = [
    lambda L: L.gradient(L.tensor([1, 2, 4, 7])),  # ints give float32
    lambda L: L.gradient(L.tensor([1.0, 2, 4, 7, 11]), spacing=2.0),
    lambda L: L.gradient(L.tensor([1.0, 2, 4, 7, 11]), spacing=2),
    lambda L: L.gradient(L.tensor([1.0, 2, 4, 7, 11]), spacing=(L.tensor([0.0, 1, 3, 4, 6]),)),
    lambda L: L.gradient(
        L.tensor([1.0, 2, 4, 7, 11], dtype=L.float64), spacing=[L.tensor([0.0, 1, 3, 4, 6])], edge_order=2
    ),
    lambda L: L.gradient(L.tensor([1.0, 2, 4, 7, 11]), edge_order=2),
    lambda L: L.gradient(L.tensor([[1.0, 2, 4], [2, 5, 9]])),
    lambda L: L.gradient(L.tensor([[1.0, 2, 4], [2, 5, 9]]), dim=1),
    lambda L: L.gradient(L.tensor([[1.0, 2, 4], [2, 5, 9]]), spacing=[2.0, 3.0]),
    lambda L: L.gradient(L.tensor([[1.0, 2, 4], [2, 5, 9]]).t(), dim=(-1,), spacing=[3.0]),
    lambda L: L.gradient(L.tensor([1.0, 3])),
    lambda L: L.gradient(L.tensor([1.0])),
    lambda L: L.gradient(L.tensor([1.0, 2]), edge_order=2),
    lambda L: L.gradient(L.tensor([1.0, 2, 3]), edge_order=3),
    lambda L: L.gradient(L.tensor([1.0, 2, 3]), spacing=[1.0, 2.0]),
]


@pytest.mark.parametrize("case", GRADIENT_CASES)
def test_gradient_function_like_torch(case):
    """torch.gradient (it was missing): values, dtypes and errors."""
    both(case)


def test_gradient_function_backward():
    grads = []
    for L in (torch, pn):
        x = L.tensor([[1.0, 2, 4, 8], [2, 5, 9, 1]], requires_grad=True)
        gx, gy = L.gradient(x, spacing=[L.tensor([0.0, 2]), L.tensor([0.0, 1, 3, 4])], edge_order=1)
        assert gy.grad_fn.name() == "CatBackward0"
        ((gx * 2).sum() + (gy * L.arange(8.0).reshape(2, 4)).sum()).backward()
        grads.append(x.grad)
    _same(grads[1], grads[0])


@pytest.mark.parametrize(
    "call",
    [
        lambda L, v, i: L.max(L.tensor([[1.0, 5], [3, 2]]), 1, out=(v, i)),
        lambda L, v, i: L.sort(L.tensor([[1.0, 5], [3, 2]]), 1, out=(v, i)),
        lambda L, v, i: L.topk(L.tensor([[1.0, 5], [3, 2]]), 1, out=[v, i]),
    ],
)
def test_out_tuple_returns_the_named_result(call):
    """torch.max(x, 1, out=(v, i)) returns a (values, indices) named tuple of the out tensors."""
    for L in (torch, pn):
        v, i = L.empty(0), L.empty(0, dtype=L.int64)
        r = call(L, v, i)
        assert r.values is v and r.indices is i and r[0] is v
    _same(
        call(pn, pn.empty(0), pn.empty(0, dtype=pn.int64)),
        call(torch, torch.empty(0), torch.empty(0, dtype=torch.int64)),
    )


def test_polygamma_and_zeta_at_huge_and_pole_arguments_do_not_hang():
    """polygamma(2, -2**63) summed ~1e19 terms (a hang); the poles q = 0, -1, ... are inf at once."""
    x = [1e10, 2.0**62, -1e10, -(2.0**63), -3.0, 0.0, -2.5, 4.5]
    both(lambda L: L.polygamma(2, L.tensor(x, dtype=L.float64)))
    both(lambda L: L.special.zeta(L.tensor([2.0, 3.0, 2.0]), L.tensor([-2.0, -1e18, 0.0])))


def test_incomplete_gamma_of_a_huge_shape():
    """gammainc(1e18, 1) looped ~1e10 times; a huge shape now takes the Wilson-Hilferty form (error O(1/a))."""
    a = [1e18, 1e12, 3.0, 50.0, 2e7, 5e8, 3e9]
    x = [1.0, 1e12, 2.0, 60.0, 2e7 - 4000, 5e8 - 2e4, 3e9 + 5e4]
    for fn in ("gammainc", "gammaincc"):
        got = getattr(pn.special, fn)(pn.tensor(a, dtype=pn.float64), pn.tensor(x, dtype=pn.float64))
        want = getattr(torch.special, fn)(
            torch.tensor(a, dtype=torch.float64), torch.tensor(x, dtype=torch.float64)
        )
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-9)


def test_clamp_tensor_bounds_dtype():
    both(lambda L: L.clamp(L.tensor(3), L.tensor(1), 0.5))  # float32, not float64
    both(
        lambda L: L.clamp(
            L.tensor([3.0, 0]), L.tensor([1], dtype=L.float64), L.tensor([2.5], dtype=L.float16)
        )
    )
    both(lambda L: L.clamp(L.tensor([3, 0]), L.tensor([1]), L.tensor([2.5], dtype=L.float64)))

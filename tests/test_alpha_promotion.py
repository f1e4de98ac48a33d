"""add/sub(alpha=) and addcmul/addcdiv compute in the dtype of the result, as torch promotes
before it scales: a uint8 operand scaled by 2 against a float tensor is not wrapped to uint8,
float32 operands of a float64 addcmul are multiplied in float64."""

import itertools

import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

DTYPES = ["float32", "float64", "int32", "int64", "uint8", "bool"]


def _values(lib, name, big):
    if name == "bool":
        return lib.tensor([True, big], dtype=lib.bool)
    return lib.tensor([200 if big else 100, 1], dtype=getattr(lib, name))


def _outcome(lib, f, *args, **kwargs):
    try:
        r = getattr(lib, f)(*args, **kwargs)
    except RuntimeError:  # (pyneuro's ArgumentError and DTypeError are RuntimeErrors, as torch's)
        return "RuntimeError"
    return str(r.dtype).split(".")[-1], r.tolist()


@pytest.mark.parametrize("alpha", [2, 3, True, 0.5])
@pytest.mark.parametrize("a,b", list(itertools.product(DTYPES, DTYPES)))
def test_add_and_sub_with_alpha_promote_first(a, b, alpha):
    for f in ("add", "sub"):
        got = _outcome(pn, f, _values(pn, a, False), _values(pn, b, True), alpha=alpha)
        want = _outcome(torch, f, _values(torch, a, False), _values(torch, b, True), alpha=alpha)
        assert got == want, (f, a, b, alpha)


@pytest.mark.parametrize("case", range(6))
def test_in_place_and_number_forms(case):
    def run(lib):
        u8 = lib.tensor([200], dtype=lib.uint8)
        return [
            lambda: lib.tensor([100.0]).add_(u8, alpha=2),
            lambda: lib.tensor([100]).sub_(u8, alpha=2),
            lambda: lib.tensor([1, 2]).add(3, alpha=2),
            lambda: lib.tensor([1, 2]).add(3, alpha=2.5),
            lambda: lib.tensor([True]).add(2, alpha=2),
            lambda: lib.tensor([100.0]).add_(lib.tensor([1.0]), alpha=True),
        ][case]

    assert _outcome_of(run(pn)) == _outcome_of(run(torch))


def _outcome_of(f):
    try:
        r = f()
    except RuntimeError:
        return "RuntimeError"
    return str(r.dtype).split(".")[-1], r.tolist()


@pytest.mark.parametrize("a,b", list(itertools.product(DTYPES[:5], DTYPES[:5])))
def test_addcmul_addcdiv_in_the_result_dtype(a, b):
    for f in ("addcmul", "addcdiv"):

        def run(lib):
            x = lib.tensor([1, 2], dtype=getattr(lib, a))
            t1 = lib.tensor([200, 3], dtype=getattr(lib, b))
            t2 = lib.tensor([2, 7], dtype=getattr(lib, b))
            try:
                r = getattr(lib, f)(x, t1, t2, value=2)
            except RuntimeError:
                return "RuntimeError"
            return str(r.dtype).split(".")[-1], [round(v, 5) for v in r.tolist()]

        assert run(pn) == run(torch), (f, a, b)


def test_float64_input_keeps_float32_operands_precision():
    def run(lib):
        zero = lib.tensor([0.0], dtype=lib.float64)
        return (
            lib.addcmul(zero, lib.tensor([1e-30]), lib.tensor([1e-30])).item(),
            lib.addcdiv(zero, lib.tensor([1.0]), lib.tensor([3.0])).item(),
            zero.clone().addcmul_(lib.tensor([1e-30]), lib.tensor([1e-30])).item(),
        )

    got, want = run(pn), run(torch)
    assert got == want
    assert got[0] > 0


def test_gradient_of_add_with_alpha():
    a = pn.tensor([1.0, 2.0], requires_grad=True)
    b = pn.tensor([3, 4], dtype=pn.uint8)
    c = pn.tensor([3.0, 4.0], requires_grad=True)
    (pn.add(a, b, alpha=100) + pn.sub(a, c, alpha=3)).sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]
    assert c.grad.tolist() == [-3.0, -3.0]

"""Snippets from the `>>>` examples of torch's own docstrings (torch.* functions and Tensor
methods), and small variants of them, that pyneuro once answered differently: each runs as
written under torch and, with `torch` renamed, under pyneuro; the value of the last line (its
values, dtype, shape and repr), or the class of what it raises, must agree."""

from __future__ import annotations

import re

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

SNIPPETS = {
    # torch.diag placed a 1-D input by a mask product: -0. and inf * 0 = nan off the diagonal
    "diag": "a = torch.tensor([1.5410, -0.2934, -2.1788])\ntorch.diag(a)",
    "diag_above": "a = torch.tensor([1.5410, -0.2934, -2.1788])\ntorch.diag(a, 1)",
    "diag_inf_nan": "torch.diag(torch.tensor([float('inf'), -1.0, float('nan')]), -1)",
    # round(x, decimals=-d) multiplied by the inexact 10^-d: 1200.12 -> 999.9999
    "round_negative_decimals": "torch.round(torch.tensor([1200.1234567]), decimals=-3)",
    "round_negative_decimals_64": "torch.round(torch.tensor([1234.5678, -250.0], dtype=torch.float64), decimals=-2)",
    # the gradient of div(rounding_mode=...) was g * 0: -0. (and nan for an inf g) where torch has 0.
    "div_floor_grad": (
        "a = torch.tensor([[1., -2.], [3., 4.]], requires_grad=True)\n"
        "b = torch.tensor([[2., 3.], [-1., 5.]], requires_grad=True)\n"
        "r = torch.div(a, b, rounding_mode='floor')\n"
        "(r * torch.tensor([[-1., float('inf')], [-3., 1.]])).sum().backward()\n"
        "a.grad"
    ),
    "div_trunc_grad_scalar": (
        "a = torch.tensor([1., -2., 3.], requires_grad=True)\n"
        "(a.div(2.0, rounding_mode='trunc') * -1).sum().backward()\n"
        "a.grad"
    ),
    # searchsorted over rows of an empty last dim (or no rows) reshaped with -1: NumPy's ValueError
    "searchsorted_empty_rows": "torch.searchsorted(torch.ones(2, 0), torch.ones(2, 3), side='right')",
    "searchsorted_empty_values": "torch.searchsorted(torch.ones(2, 3), torch.ones(2, 0))",
    "searchsorted_no_rows": "torch.searchsorted(torch.ones(0, 3), torch.ones(0, 2))",
    "searchsorted_empty_nan_rows": "torch.searchsorted(torch.full((3,), float('nan')), torch.ones(2, 0))",
    # the older linalg spellings return torch's older result types, not linalg's
    "qr_result_type": "torch.qr(torch.tensor([[2.0, 1.0], [1.0, 3.0]]))",
    "qr_method_result_type": "torch.tensor([[2.0, 1.0], [1.0, 3.0]]).qr(some=False)",
    "slogdet_result_type": "torch.slogdet(torch.tensor([[2.0, 1.0], [1.0, 3.0]]))",
    "lu_method_get_infos_is_a_tuple": "torch.tensor([[2.0, 1.0], [1.0, 3.0]]).lu(get_infos=True)",
    # addbmm summed the int32 products into int64, then refused to add them to an int32 self
    "addbmm_int32": (
        "b1 = torch.arange(12, dtype=torch.int32).reshape(2, 2, 3)\n"
        "torch.addbmm(torch.ones(2, 2, dtype=torch.int32), b1, b1.transpose(1, 2), alpha=2)"
    ),
    # 0-d tensors: index_select keeps them 0-d (it made a 1-element vector), movedim of dim 0 or -1
    # is an alias (it raised), mT / mH / adjoint are the tensor itself, as torch (which warns once)
    "index_select_0d": "torch.index_select(torch.tensor(5.0), 0, torch.tensor([0]))",
    "index_select_0d_two_indices": "torch.tensor(5.0).index_select(0, torch.tensor([0, 0]))",
    "index_select_0d_no_index": "torch.tensor(5.0).index_select(-1, torch.tensor([], dtype=torch.long))",
    "movedim_0d": "torch.movedim(torch.tensor(5.0, requires_grad=True) * 2, 0, -1)",
    "mT_0d": "torch.tensor(5.0).mT",
    "adjoint_0d": "torch.adjoint(torch.tensor(5.0))",
    # torch.cross without dim takes the first dim of size 3 of the input, not of the broadcast shape
    "cross_default_dim_of_input": (
        "torch.cross(torch.tensor([[1.0, 2.0, 3.0]]), torch.arange(9.0).reshape(3, 3))"  # (dim 1, not 0)
    ),
    "cross_0d": "torch.cross(torch.tensor(1.0), torch.tensor(2.0))",
    "narrow_0d": "torch.narrow(torch.tensor(1.0), 0, 0, 1)",
    # take_along_dim without dim is a gather from the flattened input: int32 indices too
    "take_along_dim_int32": (
        "t = torch.tensor([[10, 30, 20], [60, 40, 50]])\n"
        "torch.take_along_dim(t, torch.tensor([[0], [5]], dtype=torch.int32))"
    ),
    "take_along_dim_int32_dim": (
        "t = torch.tensor([[10, 30, 20], [60, 40, 50]])\n"
        "torch.take_along_dim(t, torch.tensor([[0], [1]], dtype=torch.int32), dim=1)"
    ),
    # unique(dim=...) of an empty tensor that is not empty along dim: torch refuses, as unique_consecutive
    "unique_dim_zero_sized_other_dim": "torch.unique(torch.ones(0, 2), dim=1)",
    # cumsum_ / cumprod_ of bools: torch has no in-place kernel (the sum would be int64)
    "cumsum_inplace_bool": "torch.tensor([True, False, True]).cumsum_(0)",
    "cumprod_inplace_bool": "torch.tensor([True, False, True]).cumprod_(0)",
}


def _run(fw, src):
    namespace = {"torch": fw}
    *body, last = src.strip().split("\n")
    exec("\n".join(body), namespace)
    try:
        return eval(last, namespace)
    except Exception as e:  # (the class is what is compared)
        return e


def _form(value):
    if isinstance(value, BaseException):
        return ("raises", type(value).__mro__)
    if isinstance(value, (torch.Tensor, pn.Tensor)):
        return (
            str(value.dtype).replace("pyneuro", "torch"),
            tuple(value.shape),
            repr(value).replace("pyneuro", "torch"),
        )
    if isinstance(value, tuple):
        return (type(value).__name__, tuple(_form(v) for v in value))
    return re.sub(r"pyneuro", "torch", repr(value))


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_docstring_snippet_as_torch(name):
    src = SNIPPETS[name]
    want = _run(torch, src)
    got = _run(pn, src)
    if isinstance(want, BaseException):
        assert isinstance(got, BaseException), f"torch raised {type(want).__name__}, pyneuro returned {got!r}"
        assert type(want) in type(got).__mro__, f"{type(got).__name__} is not a {type(want).__name__}"
        return
    assert _form(got) == _form(want)
    if isinstance(want, torch.Tensor):
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())


@pytest.mark.skipif(
    torch.cuda.is_available() or pn.cuda.is_available(), reason="needs a machine without CUDA"
)
@pytest.mark.parametrize(
    "call",
    [
        "torch.randn(3, device='cuda')",
        "torch.rand(2, device='cuda')",
        "torch.randint(0, 5, (3,), device='cuda')",
        "torch.randperm(4, device='cuda')",
        "torch.randn_like(torch.ones(2), device='cuda')",
        "torch.randint_like(torch.ones(2), 5, device='cuda')",
    ],
)
def test_a_random_factory_on_an_unusable_device_raises_before_it_draws(call):
    """torch.tensordot's example draws on 'cuda' between seeded draws: without CUDA torch raises
    before its generator moves, so the draws after it are the seed's (pyneuro drew first)."""
    src = f"torch.manual_seed(0)\ntry:\n    {call}\nexcept (AssertionError, RuntimeError):\n    pass\ntorch.randn(3)"
    assert _run(pn, src).tolist() == _run(torch, src).tolist()

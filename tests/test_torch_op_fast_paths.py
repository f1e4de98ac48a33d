"""The shortcuts of the small ops a hand-written training loop calls (bench/op_overhead.py), run
with torch and pyneuro and compared: the argument check skipped when no checked argument is
given, the one-dim and scalar arguments taken by type, unsqueeze/squeeze/view straight on the
array's shape, basic tuple indexing (x[:, 1]) without the index conversion, cat/stack's checks
on the arrays' shapes, Sum/Mean by np.add.reduce. Each case: the same values, dtype and shape,
the same exception class, the same grad_fn name, and the same answer to "is it a view?"."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _cases(L):
    x = L.arange(6.0).reshape(2, 3)
    c = L.arange(6.0).reshape(2, 1, 3, 1)
    # fmt: off
    return {
        # the argument table's check: none given (the shortcut), taken by type, refused
        "sum": lambda: x.sum(), "sum_dim": lambda: x.sum(0), "sum_neg_dim": lambda: x.sum(-1),
        "sum_np_dim": lambda: x.sum(np.int64(1)), "sum_tensor_dim": lambda: x.sum(L.tensor(1)),
        "sum_bool_dim": lambda: x.sum(True), "sum_float_dim": lambda: x.sum(1.0), "sum_keepdim_int": lambda: x.sum(0, 1),
        "sum_keepdim_kw": lambda: x.sum(dim=1, keepdim=True), "sum_dim_none_kw": lambda: x.sum(dim=None),
        "sum_dims": lambda: x.sum((0, 1)), "sum_dims_float": lambda: x.sum((0, 1.0)),
        "mean": lambda: x.mean(), "mean_dim": lambda: x.mean(1), "mean_int": lambda: L.arange(3).mean(),
        "mean_empty": lambda: L.ones(0, 3).mean(0), "sum_int8": lambda: L.ones(3, dtype=L.int8).sum(),
        "sum_bool": lambda: (x > 2).sum(), "sum_half": lambda: x.half().sum(1), "mean_double": lambda: x.double().mean(0),
        "transpose": lambda: x.transpose(0, 1), "transpose_float": lambda: x.transpose(0, 1.0),
        "transpose_bool": lambda: x.transpose(True, 0), "transpose_out": lambda: x.transpose(0, 2),
        "transpose_np": lambda: x.transpose(np.int64(0), 1), "t": lambda: x.t(),
        "exp_fn": lambda: L.exp(x), "exp_list": lambda: L.exp([1.0]), "dropout_float": lambda: L.nn.functional.dropout(x, 0.0),
        "dropout_int_p": lambda: L.nn.functional.dropout(x, 0), "dropout_str_p": lambda: L.nn.functional.dropout(x, "a"),
        # unsqueeze, squeeze, view
        "unsqueeze": lambda: x.unsqueeze(0), "unsqueeze_last": lambda: x.unsqueeze(-1), "unsqueeze_2": lambda: x.unsqueeze(2),
        "unsqueeze_out": lambda: x.unsqueeze(3), "unsqueeze_neg_out": lambda: x.unsqueeze(-4),
        "unsqueeze_bool": lambda: x.unsqueeze(True), "unsqueeze_float": lambda: x.unsqueeze(1.0),
        "unsqueeze_none": lambda: x.unsqueeze(None), "unsqueeze_np": lambda: x.unsqueeze(np.int64(1)),
        "unsqueeze_tensor": lambda: x.unsqueeze(L.tensor(1)), "unsqueeze_kw": lambda: x.unsqueeze(dim=0),
        "unsqueeze_0d": lambda: L.tensor(1.0).unsqueeze(0), "unsqueeze_0d_out": lambda: L.tensor(1.0).unsqueeze(1),
        "unsqueeze_t": lambda: x.t().unsqueeze(1), "unsqueeze_fn": lambda: L.unsqueeze(x, 1),
        "squeeze": lambda: c.squeeze(), "squeeze_1": lambda: c.squeeze(1), "squeeze_0": lambda: c.squeeze(0),
        "squeeze_dims": lambda: c.squeeze((1, 3)), "squeeze_args": lambda: c.squeeze(1, 3),
        "squeeze_out": lambda: c.squeeze(4), "squeeze_bool": lambda: c.squeeze(True), "squeeze_0d": lambda: L.tensor(2.0).squeeze(0),
        "squeeze_t": lambda: c.transpose(0, 2).squeeze(), "view": lambda: x.view(6), "view_2": lambda: x.view(3, -1),
        "view_t_bad": lambda: x.t().view(6), "view_t_ok": lambda: x.t().view(3, 2), "view_col": lambda: x[:, :1].t().view(2),
        "view_size_kw": lambda: x.view(size=(3, 2)), "view_bad": lambda: x.view(4), "view_dtype": lambda: x.view(L.int32),
        # basic indexing by a tuple
        "col": lambda: x[:, 1], "row_col": lambda: x[1, 2], "neg": lambda: x[-1, -2], "slices": lambda: x[1:, :2],
        "step": lambda: x[:, ::2], "neg_step": lambda: x[:, ::-1], "zero_step": lambda: x[:, ::0],
        "none": lambda: x[None, 1], "none_after": lambda: x[1, None], "ellipsis": lambda: x[..., 1],
        "empty_tuple": lambda: x[()], "too_many": lambda: x[:, :, 0], "out_of_range": lambda: x[:, 3],
        "row_out_of_range": lambda: x[-3, 0], "bool_part": lambda: x[True, 1], "np_int_part": lambda: x[np.int64(1), 1],
        "tensor_part": lambda: x[L.tensor(1), 1], "list_part": lambda: x[[0, 1], 1], "cols_of_t": lambda: x.t()[:, 1],
        # cat and stack
        "cat": lambda: L.cat([x, x]), "cat_1": lambda: L.cat([x, x], 1), "cat_neg": lambda: L.cat((x, x), -1),
        "cat_ndim": lambda: L.cat([x, L.ones(3)]), "cat_size": lambda: L.cat([x, L.ones(2, 4)]),
        "cat_0d": lambda: L.cat([x, L.tensor(1.0)]), "cat_legacy_empty": lambda: L.cat([x, L.ones(0)], 1),
        "cat_all_empty": lambda: L.cat([L.ones(0), L.ones(0)]), "cat_dim_out": lambda: L.cat([x, x], 2),
        "cat_dim_bool": lambda: L.cat([x, x], dim=True), "cat_dtypes": lambda: L.cat([x, L.ones(1, 3, dtype=L.int32)]),
        "cat_tensor": lambda: L.cat(x), "cat_list_item": lambda: L.cat([x, [1.0, 2.0, 3.0]]),
        "stack": lambda: L.stack([x, x]), "stack_2": lambda: L.stack([x, x], 2), "stack_neg": lambda: L.stack([x, x], -3),
        "stack_out": lambda: L.stack([x, x], 3), "stack_sizes": lambda: L.stack([x, x.t()]),
        "stack_0d": lambda: L.stack([L.tensor(1.0), L.tensor(2.0)]), "stack_dim_tuple": lambda: L.stack([x, x], dim=(0,)),
        "stack_dim_np": lambda: L.stack([x, x], dim=np.int64(1)),
        # zero_/fill_ (0 needs no fit check) and the bool rule of subtraction
        "zero": lambda: L.ones(3).zero_(), "zero_int8": lambda: L.ones(3, dtype=L.int8).zero_(),
        "zero_bool": lambda: L.ones(3, dtype=L.bool).zero_(), "fill_uint8_300": lambda: L.ones(3, dtype=L.uint8).fill_(300),
        "fill_false": lambda: L.ones(3).fill_(False), "fill_none": lambda: L.ones(3).fill_(None),
        "fill_half_big": lambda: L.ones(3, dtype=L.float16).fill_(1e10), "zero_leaf": lambda: L.ones(3, requires_grad=True).zero_(),
        "zero_expanded": lambda: L.ones(3).expand(2, 3).zero_(), "sub_bool": lambda: L.ones(3) - L.ones(3, dtype=L.bool),
        "sub__bool": lambda: L.ones(3).sub_(L.ones(3, dtype=L.bool)), "sub_true": lambda: L.ones(3) - True,
        "sub_np_bool_array": lambda: L.ones(3).sub(np.ones(3, dtype=bool)), "rsub_bool": lambda: 1 - L.ones(3, dtype=L.bool),
        "sub__alpha": lambda: L.ones(3).sub_(L.ones(3), alpha=0.5),
    }
    # fmt: on


def _outcome(L, name):
    fn = _cases(L)[name]
    try:
        out = fn()
    except Exception as exc:  # the exception's class is the answer (checked with isinstance)
        return exc
    if not isinstance(out, L.Tensor):
        return repr(out)
    values = out.detach().numpy().astype(float)
    shares = np.shares_memory(out.detach().numpy(), _base_of(L, fn))
    return str(out.dtype).split(".")[-1], tuple(out.shape), values.tolist(), shares


def _base_of(L, fn):
    """The memory the case read from: its closure's first tensor."""
    for cell in fn.__closure__ or ():
        if isinstance(cell.cell_contents, L.Tensor):
            return cell.cell_contents.numpy()
    return np.empty(0)


@pytest.mark.parametrize("name", sorted(_cases(torch)))
def test_small_op_matches_torch(name):
    theirs, mine = _outcome(torch, name), _outcome(pn, name)
    if isinstance(theirs, Exception):
        assert isinstance(mine, type(theirs)), f"{name}: {mine!r} where torch raises {theirs!r}"
        return
    assert not isinstance(mine, Exception), f"{name}: {mine!r} where torch gives {theirs!r}"
    if isinstance(theirs, str):
        assert mine.replace("pyneuro", "torch") == theirs
        return
    assert mine[:2] == theirs[:2], name
    np.testing.assert_allclose(
        np.array(mine[2], float), np.array(theirs[2], float), rtol=1e-6, equal_nan=True
    )
    assert mine[3] == theirs[3], f"{name}: a view? pyneuro {mine[3]}, torch {theirs[3]}"


GRAPH = {
    "unsqueeze": lambda w: w.unsqueeze(0),
    "squeeze": lambda w: w[None].squeeze(),
    "squeeze_dim": lambda w: w[None].squeeze(0),
    "squeeze_dims": lambda w: w[None].squeeze((0,)),
    "view": lambda w: w.view(6),
    "col": lambda w: w[:, 1],
    "cell": lambda w: w[1, 2],
    "slices": lambda w: w[1:, None],
    "cat": lambda w: torch_or_pn(w).cat([w, w]),
    "stack": lambda w: torch_or_pn(w).stack([w, w], 1),
    "sum": lambda w: w.sum(0),
    "mean": lambda w: w.mean(),
    "transpose": lambda w: w.transpose(0, 1),
    "topk": lambda w: w.topk(2)[0],
    "topk_dim0": lambda w: w.topk(1, dim=0, largest=False)[0],
    "sort": lambda w: w.sort(0, descending=True)[0],
    "gather": lambda w: w.gather(1, torch_or_pn(w).tensor([[2, 0], [1, 1]])),
    "max_pool": lambda w: torch_or_pn(w).nn.functional.max_pool1d(w[None], 2),
}


def torch_or_pn(t):
    return torch if isinstance(t, torch.Tensor) else pn


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_small_op_graph_matches_torch(name):
    """grad_fn's name and the gradient, and a write into the input after a view op: backward
    raises where torch's does (the view shares the version counter)."""
    got = {}
    for L in (torch, pn):
        w = L.arange(6.0).reshape(2, 3).requires_grad_()
        out = GRAPH[name](w)
        (out * L.arange(float(out.numel())).reshape(out.shape)).sum().backward()
        got[L.__name__] = (type(out.grad_fn).__name__, w.grad.tolist())
    assert got["pyneuro"] == got["torch"]


def test_sum_and_mean_of_infinities_stay_silent():
    """inf + -inf in a sum or a mean is NaN without NumPy's RuntimeWarning, as torch (np.add.reduce
    is called under np.errstate as a.sum() was); a user's own NumPy code still warns."""
    script = (
        "import warnings, numpy as np, pyneuro as pn\n"
        "with warnings.catch_warnings():\n"
        "    warnings.simplefilter('error')\n"
        "    x = pn.tensor([float('inf'), -float('inf')])\n"
        "    got = [x.sum().item(), x.mean().item(), x.sum(0).item(), (x / 0).tolist(), x.exp().tolist()]\n"
        "print(got)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[nan, nan, nan, [inf, -inf], [inf, 0.0]]", out.stderr


@pytest.mark.parametrize("op", ["gather", "topk_indices"])
def test_changed_index_after_a_gather_raises_as_in_torch(op):
    """The gathers of gather/topk/sort read their index at backward: an in-place change of it in
    between is torch's RuntimeError (the index tensor is watched; the gather's own grids are not)."""
    outcomes = []
    for L in (torch, pn):
        w = L.arange(6.0).reshape(2, 3).requires_grad_()
        if op == "gather":
            idx = L.tensor([[2, 0], [1, 1]])
            out = w.gather(1, idx)
        else:
            out, idx = w.topk(2)
        idx.add_(0)
        try:
            out.sum().backward()
            outcomes.append("ok")
        except RuntimeError:
            outcomes.append("raised")
    assert outcomes[1] == outcomes[0]


@pytest.mark.parametrize("per_call", [True, False])
def test_quiet_sets_numpy_error_state_for_the_call_only(monkeypatch, per_call):
    """autograd.function.quiet: the decorated call runs with divide/invalid/over ignored (the
    user's 'under' kept), nested calls and an exception restore the state, on both of its forms
    (NumPy 2's errstate decorator; NumPy 1's, where each call opens its own block)."""
    from pyneuro.autograd import function

    monkeypatch.setattr(function, "_ERRSTATE_PER_CALL", per_call)
    seen = []

    @function.quiet
    def inner(fail=False):
        seen.append(np.geterr())
        if fail:
            raise ValueError("boom")
        return np.array([1.0]) / 0

    @function.quiet
    def outer():
        return inner(), np.geterr()

    with np.errstate(all="raise"):
        (value, state), after = outer(), np.geterr()
        with pytest.raises(ValueError):
            inner(fail=True)
        assert np.geterr() == after
    assert value.tolist() == [float("inf")]
    assert state == seen[0] == {"divide": "ignore", "over": "ignore", "under": "raise", "invalid": "ignore"}
    assert after == {"divide": "raise", "over": "raise", "under": "raise", "invalid": "raise"}

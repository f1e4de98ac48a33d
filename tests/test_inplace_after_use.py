"""In-place changes after a tensor was used, compared with torch: where torch raises, pyneuro
raises; where torch computes, pyneuro gives torch's gradient (never a silently wrong one).

Four rules (autograd/inplace.py, autograd/shape.py):
- an op pyneuro composes (F.gelu, layer_norm, ...) returns a tensor of its own, as torch's op
  does, not a view of its last intermediate: writing into it rebases it onto CopySlices;
- a view whose base (or another view of it) changed in place takes the view of the base's new
  node when its grad_fn is read, or backward starts from it (torch's AsStridedBackward0);
- indices an op returns (max, sort, topk, ...) and results torch's node saves (std,
  logsumexp), and BatchNorm's running statistics, are watched: changing them raises;
- the pieces of split/chunk/unbind refuse an in-place change that the graph records.
"""

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

A = np.array([[0.3, -1.2, 2.0, 0.7], [1.5, 0.1, -0.4, -2.2], [0.9, 1.1, -0.6, 0.2]], np.float32)


def _run(lib, make, write):
    a = lib.tensor(A.copy(), requires_grad=True)
    y = make(lib, a)
    write(y)
    y.backward(lib.tensor(np.random.RandomState(1).randn(*y.shape).astype(np.float32)))
    return a.grad.numpy(), type(y.grad_fn).__name__, y._is_view()


COMPOSED = {
    "gelu": lambda lib, a: lib.nn.functional.gelu(a),
    "elu": lambda lib, a: lib.nn.functional.elu(a),
    "silu": lambda lib, a: lib.nn.functional.silu(a),
    "leaky_relu": lambda lib, a: lib.nn.functional.leaky_relu(a, 0.1),
    "softplus": lambda lib, a: lib.nn.functional.softplus(a),
    "hardswish": lambda lib, a: lib.nn.functional.hardswish(a),
    "layer_norm": lambda lib, a: lib.nn.functional.layer_norm(a, (4,)),
    "group_norm": lambda lib, a: lib.nn.functional.group_norm(a, 2),
    "var_dim": lambda lib, a: a.var(1, keepdim=True) * lib.ones(1, 4),
    "flip": lambda lib, a: a.flip(0),
    "pad": lambda lib, a: lib.nn.functional.pad(a, (1, 0)),
}
WRITES = {
    "setitem": lambda y: y.__setitem__(0, 0.5),
    "column": lambda y: y[:, 0].mul_(3),
    "ellipsis": lambda y: y.__setitem__(Ellipsis, 0.25),
    "whole": lambda y: y.mul_(3),
}


@pytest.mark.parametrize("write", sorted(WRITES))
@pytest.mark.parametrize("op", sorted(COMPOSED))
def test_writing_into_a_composed_ops_result_reaches_its_gradient(op, write):
    g_pn, name_pn, view_pn = _run(pn, COMPOSED[op], WRITES[write])
    g_t, name_t, view_t = _run(torch, COMPOSED[op], WRITES[write])
    np.testing.assert_allclose(g_pn, g_t, rtol=1e-4, atol=1e-4)
    assert view_pn is view_t is False
    if write in ("setitem", "column"):
        assert name_pn == name_t == "CopySlices"


def test_gelu_result_written_then_backward_on_it():
    def run(lib):
        a = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        y = lib.nn.functional.gelu(a)
        y[0] = 5
        y.backward(lib.ones(4))
        return a.grad.tolist()

    got, want = run(pn), run(torch)
    assert got[0] == want[0] == 0.0
    np.testing.assert_allclose(got, want, rtol=1e-6)


VIEW_CASES = {
    "base_mul": lambda lib, a: _base_then(lib, a, lambda x: x.mul_(2), lambda x: x[1:]),
    "base_setitem": lambda lib, a: _base_then(lib, a, lambda x: x.__setitem__(0, 3.0), lambda x: x[1:]),
    "reshape": lambda lib, a: _base_then(lib, a, lambda x: x.add_(1), lambda x: x.view(3, 1)),
    "transpose": lambda lib, a: _base_then(lib, a, lambda x: x.exp_(), lambda x: x.unsqueeze(1).t()),
    "sibling": lambda lib, a: _sibling(lib, a),
}


def _base_then(lib, a, change, view):
    x = a * 1
    v = view(x)
    change(x)
    return v


def _sibling(lib, a):
    y = a.reshape(3, 1) * lib.ones(1, 2)
    row, col = y[0], y[:, 0]
    row.exp_()
    return col


@pytest.mark.parametrize("case", sorted(VIEW_CASES))
def test_view_whose_base_changed_in_place_follows_the_change(case):
    def run(lib):
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        v = VIEW_CASES[case](lib, a)
        name = type(v.grad_fn).__name__
        (g,) = lib.autograd.grad(v, a, lib.ones(v.shape), retain_graph=True)
        v.backward(lib.ones(v.shape))
        return g.tolist(), a.grad.tolist(), name

    got, want = run(pn), run(torch)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6)
    assert got[2] == want[2] == "AsStridedBackward0"


def test_view_of_a_plain_tensor_that_a_write_put_in_the_graph():
    def run(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        x = lib.zeros(4)
        v = x[2:]
        x[2:] = a * 2
        flags = (v.requires_grad, v.is_leaf, type(v.grad_fn).__name__)
        v.backward(lib.ones(2))
        return flags, a.grad.tolist()

    assert run(pn) == run(torch) == ((True, False, "AsStridedBackward0"), [2.0, 2.0])


INDEX_OPS = {
    "max": lambda lib, a: a.max(1),
    "min": lambda lib, a: lib.min(a, 1),
    "sort": lambda lib, a: a.sort(1),
    "topk": lambda lib, a: a.topk(2, 1),
    "kthvalue": lambda lib, a: a.kthvalue(2, 1),
    "median": lambda lib, a: a.median(1),
    "mode": lambda lib, a: a.mode(1),
    "cummax": lambda lib, a: a.cummax(1),
    "cummin": lambda lib, a: lib.cummin(a, 1),
    "max_pool1d": lambda lib, a: lib.nn.functional.max_pool1d(a[None], 2, return_indices=True),
    "adaptive_max_pool1d": lambda lib, a: lib.nn.functional.adaptive_max_pool1d(
        a[None], 2, return_indices=True
    ),
    "adaptive_max_pool2d": lambda lib, a: lib.nn.functional.adaptive_max_pool2d(
        a[None, None], 2, return_indices=True
    ),
}


@pytest.mark.parametrize("op", sorted(INDEX_OPS))
def test_changing_returned_indices_before_backward_raises(op):
    for lib in (pn, torch):
        a = lib.tensor(A.copy(), requires_grad=True)
        values, idx = INDEX_OPS[op](lib, a)
        idx.zero_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            values.sum().backward()


@pytest.mark.parametrize("op", sorted(INDEX_OPS))
def test_returned_indices_left_alone_give_torchs_gradient(op):
    def run(lib):
        a = lib.tensor(A.copy(), requires_grad=True)
        values, _ = INDEX_OPS[op](lib, a)
        values.sum().backward()
        return a.grad.numpy()

    np.testing.assert_allclose(run(pn), run(torch))


SAVES_RESULT = {
    "std": (lambda a: a.std(1), True),
    "std_all": (lambda a: a.std(), True),
    "logsumexp": (lambda a: a.logsumexp(1), True),
    "var": (lambda a: a.var(1), False),  # torch's VarBackward0 saves only its input
}


@pytest.mark.parametrize("op", sorted(SAVES_RESULT))
def test_changing_a_saved_result_raises_as_torch(op):
    f, raises = SAVES_RESULT[op]
    grads = []
    for lib in (pn, torch):
        a = lib.tensor(A.copy(), requires_grad=True)
        y = f(a)
        y.mul_(2)
        if raises:
            with pytest.raises(RuntimeError, match="modified by an inplace operation"):
                y.sum().backward()
        else:
            y.sum().backward()
            grads.append(a.grad.numpy())
    if grads:
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("stat", ["running_mean", "running_var"])
def test_changing_batchnorm_running_statistics_before_backward_raises(stat, training):
    for lib in (pn, torch):
        a = lib.tensor(A[:, :2].copy(), requires_grad=True)
        bn = lib.nn.BatchNorm1d(2).train(training)
        y = bn(a)
        getattr(bn, stat).mul_(5)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


PIECES = {
    "split": (lambda y: y.split(2)[0], "Output 0 of Split is a view"),
    "split_one_piece": (lambda y: y.split(4)[0], "Output 0 of Split is a view"),
    "split_sizes": (lambda y: y.split([1, 3])[1], "Output 1 of SplitWithSizes is a view"),
    "chunk": (lambda y: y.chunk(2)[1], "Output 1 of Split is a view"),
    "unbind": (lambda y: y.view(2, 2).unbind(0)[1], "Output 1 of Unbind is a view"),
    "view_of_piece": (lambda y: y.split(2)[0][1:], "Output 0 of Slice is a view"),
}


@pytest.mark.parametrize("case", sorted(PIECES))
def test_in_place_change_of_a_multi_output_view_raises(case):
    piece, message = PIECES[case]
    for lib in (pn, torch):
        a = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        p = piece(a * 1)
        with pytest.raises(RuntimeError, match=message):
            p.mul_(2)


def test_multi_output_views_outside_the_graph_may_change():
    for lib in (pn, torch):
        x = lib.ones(4)
        x.split(2)[1].mul_(2)  # nothing requires grad
        a = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        y = a * 1
        pieces = y.split(2)
        with lib.no_grad():
            pieces[0].mul_(2)
        y.sum().backward()
        assert x.tolist() == [1.0, 1.0, 2.0, 2.0]
        assert a.grad.tolist() == [1.0, 1.0, 1.0, 1.0]
        b = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        b.tensor_split(2)[1].detach().mul_(2)  # (tensor_split's pieces are ordinary views in torch)
        (b * 1).tensor_split(2)[1].mul_(2)


TWICE = {
    "slice": lambda T, x: x[1:].sum(),
    "select": lambda T, x: x[1] * 1,
    "narrow": lambda T, x: x.narrow(0, 1, 2).sum(),
    "split": lambda T, x: x.split(2)[1].sum(),
    "unbind": lambda T, x: x.unbind(0)[2] * 1,
    "flip": lambda T, x: (x - x.flip(0)).sum(),
    "expand": lambda T, x: x.expand(2, 3).sum(),
    "gather": lambda T, x: x[[0, 2]].sum(),  # (torch's IndexBackward0 saves the indices: refused)
    "exp": lambda T, x: x.exp().sum(),  # (saves its result: refused)
}


@pytest.mark.parametrize("case", sorted(TWICE))
def test_second_backward_without_retain_graph_as_torch(case):
    outcomes = []
    for lib in (pn, torch):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = TWICE[case](lib, x)
        y.backward()
        try:
            y.backward()
            outcomes.append(x.grad.tolist())
        except RuntimeError as exc:
            assert "backward through the graph a second time" in str(exc)
            outcomes.append("RuntimeError")
    assert outcomes[0] == outcomes[1]


def test_batchnorm_called_twice_then_backward_through_both():
    # BatchNorm's own update of its running statistics counts no version (torch's kernel): a
    # network applied to two batches before one backward (a GAN's discriminator) still trains
    for lib in (pn, torch):
        bn = lib.nn.BatchNorm1d(2)
        a = lib.tensor(A[:, :2].copy(), requires_grad=True)
        y1, y2 = bn(a), bn(a * 2)
        (y1.sum() + y2.sum()).backward()
        assert a.grad is not None


VIEWS_MADE_UNDER_NO_GRAD = {
    "slice": (lambda lib, y: y[:2], lambda v: v.mul_(2)),
    "view_of_view": (lambda lib, y: y[:2], lambda v: v[1:].mul_(2)),
    "copy_": (lambda lib, y: y[:2], lambda v: v.copy_(v.detach() * 0 + 1)),
}


@pytest.mark.parametrize("case", sorted(VIEWS_MADE_UNDER_NO_GRAD))
def test_view_made_under_no_grad_refuses_a_change_with_grad_mode_on(case):
    make, change = VIEWS_MADE_UNDER_NO_GRAD[case]
    for lib in (pn, torch):
        a = lib.ones(3, requires_grad=True)
        y = a * 1
        with lib.no_grad():
            v = make(lib, y)
        with pytest.raises(RuntimeError, match="no_grad mode"):
            change(v)
        with lib.no_grad():
            change(v)  # both under no_grad: allowed
        plain = lib.ones(3)
        with lib.no_grad():
            w = make(lib, plain)
        change(w)  # the base does not require grad: allowed


EMPTY_BUT_HUGE = {
    "softmax": (lambda T: T.softmax(T.zeros(2**40, 0), 1), (2**40, 0)),
    "log_softmax": (lambda T: T.log_softmax(T.zeros(2**40, 0), 1), (2**40, 0)),
    "sort": (lambda T: T.sort(T.zeros(2**40, 0), 1)[0], (2**40, 0)),
    "topk": (lambda T: T.zeros(2**40, 0).topk(0, 1)[0], (2**40, 0)),
    "bmm": (lambda T: T.bmm(T.zeros(2**40, 0, 3), T.zeros(2**40, 3, 0)), (2**40, 0, 0)),
    "matmul_batched": (lambda T: T.zeros(2**40, 0, 2) @ T.zeros(2, 5), (2**40, 0, 5)),
}


@pytest.mark.parametrize("case", sorted(EMPTY_BUT_HUGE))
def test_ops_on_a_tensor_with_no_elements_but_a_huge_dim_return_at_once(case):
    # (a loop over 2**40 empty rows took an hour; torch's softmax and bmm return at once, its sort
    # loops too: the shapes are checked against the rule, not against a torch call)
    import time

    make, shape = EMPTY_BUT_HUGE[case]
    start = time.perf_counter()
    assert tuple(make(pn).shape) == shape
    assert time.perf_counter() - start < 30


def test_bmm_with_an_empty_inner_dim_is_zeros():
    for T in (pn, torch):
        assert T.bmm(T.ones(3, 2, 0), T.ones(3, 0, 4)).tolist() == [[[0.0] * 4] * 2] * 3

"""torch's remaining top-level names, side by side with torch: asarray, clone, isin, fill, the
window functions, the in-place free functions, the nn ops torch exposes at top level (with
their top-level signatures), nn.init's deprecated names and nn.utils' clipping, fusion,
skip_init and stateless."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def close(p, t, atol=1e-6, rtol=1e-5):
    """p (pyneuro) equals t (torch): values, shape and dtype."""
    t = t.detach()
    assert tuple(p.shape) == tuple(t.shape)
    assert str(p.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (p.dtype, t.dtype)
    np.testing.assert_allclose(p.detach().numpy(), t.numpy(), atol=atol, rtol=rtol)


def both(array, requires_grad=False):
    array = np.asarray(array)
    return pn.tensor(array, requires_grad=requires_grad), torch.tensor(array, requires_grad=requires_grad)


def raises_like(pn_call, torch_call):
    """Both raise, and pyneuro's exception is an instance of torch's exception type."""
    with pytest.raises(Exception) as t_err:
        torch_call()
    with pytest.raises(type(t_err.value)):
        pn_call()


# ---------------------------------------------------------------------------- asarray and scalar_tensor
def test_asarray_shares_or_converts_like_torch():
    x = pn.ones(3)
    assert pn.asarray(x) is x
    assert pn.asarray(x, copy=True) is not x and pn.asarray(x, copy=True).data_ptr() != x.data_ptr()
    assert pn.asarray(x, dtype=pn.float64).dtype == pn.float64
    raises_like(
        lambda: pn.asarray(x, dtype=pn.float64, copy=False),
        lambda: torch.asarray(torch.ones(3), dtype=torch.float64, copy=False),
    )
    a = np.ones(3)
    p, t = pn.asarray(a), torch.asarray(a)
    a[0] = 5
    close(p, t)  # both share the array's memory and keep float64
    raises_like(
        lambda: pn.asarray(a, dtype=pn.float32, copy=False),
        lambda: torch.asarray(a, dtype=torch.float32, copy=False),
    )
    close(pn.asarray(a, copy=True), torch.asarray(a, copy=True))
    for data in ([1, 2], [1, 2.0], 3.5, True, [[1, 2], [3, 4]]):
        close(pn.asarray(data), torch.asarray(data))
    close(pn.asarray([1, 2], dtype=pn.float64), torch.asarray([1, 2], dtype=torch.float64))
    raises_like(
        lambda: pn.asarray([1, 2], requires_grad=True), lambda: torch.asarray([1, 2], requires_grad=True)
    )
    raises_like(lambda: pn.asarray([[1], [1, 2]]), lambda: torch.asarray([[1], [1, 2]]))


def test_asarray_keeps_the_graph_and_requires_grad():
    p = pn.tensor([1.0, 2.0], requires_grad=True)
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    outs = [pn.asarray(p * 2, dtype=pn.float64), pn.asarray(p, copy=True)]
    touts = [torch.asarray(t * 2, dtype=torch.float64), torch.asarray(t, copy=True)]
    for po, to in zip(outs, touts):
        assert po.requires_grad and po.grad_fn is not None
        (po * po).sum().backward()
        (to * to).sum().backward()
    close(p.grad, t.grad)
    leaf = pn.asarray([1.0, 2.0], requires_grad=True)
    assert leaf.requires_grad and leaf.is_leaf
    y = pn.asarray(pn.ones(2), requires_grad=True)
    assert y.requires_grad
    assert pn.asarray(y, requires_grad=False) is y and not y.requires_grad  # a leaf changes itself, as torch
    z = pn.ones(2, requires_grad=True) * 2
    d = pn.asarray(z, requires_grad=False)
    assert z.requires_grad and not d.requires_grad and d.grad_fn is None


def test_scalar_tensor():
    for value, kw in ((3, {}), (True, {}), (2.5, {}), (3, {"dtype": "int64"})):
        tkw = {"dtype": getattr(torch, kw["dtype"])} if kw else {}
        pkw = {"dtype": getattr(pn, kw["dtype"])} if kw else {}
        close(pn.scalar_tensor(value, **pkw), torch.scalar_tensor(value, **tkw))
    assert pn.scalar_tensor(1.0, requires_grad=True).requires_grad
    close(pn.scalar_tensor(pn.tensor(2.0)), torch.scalar_tensor(torch.tensor(2.0)))


# ---------------------------------------------------------------------------- small tensor utilities
def test_clone_detach_ravel_real_is_same_size_get_device():
    data = np.arange(6.0).reshape(2, 3)
    p, t = both(data, requires_grad=True)
    pc, tc = pn.clone(input=p), torch.clone(input=t)
    close(pc, tc)
    (pc * 3).sum().backward()
    (tc * 3).sum().backward()
    close(p.grad, t.grad)
    assert not pn.detach(p).requires_grad
    close(pn.ravel(p.T), torch.ravel(t.T))  # non-contiguous: a copy in C order
    close(pn.ravel(pn.tensor(5.0)), torch.ravel(torch.tensor(5.0)))
    close(pn.real(p), torch.real(t))
    assert pn.is_same_size(p, pn.ones(2, 3)) and not pn.is_same_size(p, pn.ones(3, 2))
    assert pn.get_device(p) == torch.get_device(t) == -1
    raises_like(lambda: pn.clone(3.0), lambda: torch.clone(3.0))
    raises_like(lambda: pn.is_same_size(p, [1, 2]), lambda: torch.is_same_size(t, [1, 2]))


def test_fill_values_dtype_and_gradient():
    p, t = both(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    pv, tv = pn.tensor(2.0, requires_grad=True), torch.tensor(2.0, requires_grad=True)
    po, to = pn.fill(p * 1, pv), torch.fill(t * 1, tv)
    close(po, to)
    (po * pn.arange(6.0).reshape(2, 3)).sum().backward()
    (to * torch.arange(6.0).reshape(2, 3)).sum().backward()
    close(pv.grad, tv.grad)
    close(p.grad, t.grad)
    close(pn.fill(pn.ones(2, 3, dtype=pn.int64), 5.7), torch.fill(torch.ones(2, 3, dtype=torch.int64), 5.7))
    close(pn.fill(pn.ones(0, 2), 1.0), torch.fill(torch.ones(0, 2), 1.0))
    raises_like(lambda: pn.fill(pn.ones(2), pn.ones(2)), lambda: torch.fill(torch.ones(2), torch.ones(2)))


@pytest.mark.parametrize("invert", [False, True])
def test_isin(invert):
    cases = [
        ([1, 2, 3, 4], [2, 4, 6]),
        ([[1.0, 2.0], [float("nan"), 4.0]], [float("nan"), 4.0]),
        ([1, 2, 3], [1.0, 3.5]),
        ([], [1]),
    ]
    for elements, tests in cases:
        pe, te = both(elements)
        pt, tt = both(tests)
        close(pn.isin(pe, pt, invert=invert), torch.isin(te, tt, invert=invert))
        close(pn.isin(elements=pe, test_elements=pt, assume_unique=False), torch.isin(te, tt))
    pe, te = both([1.0, 2.0, 3.0])
    close(pn.isin(pe, 2, invert=invert), torch.isin(te, 2, invert=invert))
    close(pn.isin(2, pe, invert=invert), torch.isin(2, te, invert=invert))
    raises_like(lambda: pn.isin(2, 3), lambda: torch.isin(2, 3))
    raises_like(lambda: pn.isin(pe, [1, 2]), lambda: torch.isin(te, [1, 2]))
    raises_like(lambda: pn.isin(pn.tensor([True]), pe), lambda: torch.isin(torch.tensor([True]), te))


def test_flags_and_newaxis():
    assert pn.newaxis is torch.newaxis is None
    assert pn.ones(3)[:, pn.newaxis].shape == (3, 1)
    before = pn.is_warn_always_enabled()
    assert before is torch.is_warn_always_enabled() is False
    pn.set_warn_always(True)
    assert pn.is_warn_always_enabled() is True
    pn.set_warn_always(before)
    assert isinstance(pn.set_flush_denormal(False), bool)
    assert pn.is_inference_mode_enabled() is torch.is_inference_mode_enabled() is False


# ---------------------------------------------------------------------------- windows
WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("length", [0, 1, 2, 5, 8])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows(name, length, periodic):
    close(getattr(pn, name)(length, periodic), getattr(torch, name)(length, periodic), atol=1e-6)
    close(
        getattr(pn, name)(length, periodic=periodic, dtype=pn.float64),
        getattr(torch, name)(length, periodic=periodic, dtype=torch.float64),
        atol=1e-12,
    )


def test_window_arguments_and_errors():
    close(pn.hamming_window(7, False, 0.5, 0.4), torch.hamming_window(7, False, 0.5, 0.4))
    close(pn.kaiser_window(7, True, 3.0), torch.kaiser_window(7, True, 3.0))
    close(pn.kaiser_window(6, False, beta=5.0), torch.kaiser_window(6, False, beta=5.0))
    assert pn.hann_window(4, requires_grad=True).requires_grad
    for name in WINDOWS:
        raises_like(lambda: getattr(pn, name)(-1), lambda: getattr(torch, name)(-1))
        raises_like(lambda: getattr(pn, name)(2.5), lambda: getattr(torch, name)(2.5))
        raises_like(
            lambda: getattr(pn, name)(4, dtype=pn.int64), lambda: getattr(torch, name)(4, dtype=torch.int64)
        )


# ---------------------------------------------------------------------------- in-place free functions
UNARY_INPLACE = "abs_ ceil_ cos_ exp_ expm1_ floor_ frac_ log1p_ neg_ negative_ round_ sigmoid_ sin_ sqrt_ square_ tanh_ trunc_ zero_ rad2deg_ deg2rad_ reciprocal_ rsqrt_ exp2_ erf_".split()


@pytest.mark.parametrize("name", UNARY_INPLACE)
def test_unary_inplace_free_functions(name):
    data = np.array([[0.3, 1.7, 2.2], [0.9, 0.1, 3.0]], dtype=np.float32)
    p, t = both(data)
    out_p, out_t = getattr(pn, name)(p), getattr(torch, name)(t)
    assert out_p is p and out_t is t
    close(p, t, atol=1e-5)
    p, t = both(data)
    getattr(pn, name)(input=p)
    getattr(torch, name)(input=t)
    close(p, t, atol=1e-5)


def test_inplace_free_functions_with_arguments():
    data = np.linspace(-2, 2, 6, dtype=np.float32).reshape(2, 3)
    for name, args, kwargs in [
        ("clamp_", (), {"min": -0.5, "max": 0.7}),
        ("clip_", (-1.0,), {}),
        ("clamp_min_", (0.1,), {}),
        ("clamp_max_", (0.1,), {}),
        ("fill_", (3.0,), {}),
        ("nan_to_num_", (), {"nan": 0.0}),
        ("logit_", (), {"eps": 0.1}),
    ]:
        p, t = both(data)
        getattr(pn, name)(p, *args, **kwargs)
        getattr(torch, name)(t, *args, **kwargs)
        close(p, t, atol=1e-5)
    p, t = both(np.zeros((3, 2), dtype=np.float32))
    pv, tv = both(np.ones(2, dtype=np.float32))
    pn.index_put_(p, (pn.tensor([0, 2]),), pv, accumulate=True)
    torch.index_put_(t, (torch.tensor([0, 2]),), tv, accumulate=True)
    close(p, t)
    # in the graph like the method: gradient through an in-place free function
    pl, tl = both(data, requires_grad=True)
    py, ty = pn.exp_(pl * 1), torch.exp_(tl * 1)
    py.sum().backward()
    ty.sum().backward()
    close(pl.grad, tl.grad)
    pd = pl * 2
    assert pn.detach_(pd) is pd and not pd.requires_grad
    raises_like(lambda: pn.exp_(3.0), lambda: torch.exp_(3.0))
    raises_like(lambda: pn.exp_(pn.tensor([1, 2])), lambda: torch.exp_(torch.tensor([1, 2])))


def test_every_inplace_name_torch_has_is_a_function_here():
    from pyneuro import torch_names

    for name in torch_names._INPLACE_NAMES:
        assert hasattr(torch, name), name
        assert callable(getattr(pn, name)) and getattr(pn, name).__name__ == name


# ---------------------------------------------------------------------------- the nn ops at top level
def test_same_signature_nn_ops_are_functional():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 6, 6)).astype(np.float32)
    w = rng.standard_normal((3, 4, 3, 3)).astype(np.float32)
    (px, tx), (pw, tw) = both(x, True), both(w, True)
    po, to = pn.conv2d(px, pw, stride=2, padding=1), torch.conv2d(tx, tw, stride=2, padding=1)
    close(po, to, atol=1e-5)
    po.sum().backward()
    to.sum().backward()
    close(px.grad, tx.grad, atol=1e-5)
    close(pw.grad, tw.grad, atol=1e-4)
    close(pn.pixel_shuffle(px, 2), torch.pixel_shuffle(tx, 2))
    close(pn.pixel_unshuffle(px, 2), torch.pixel_unshuffle(tx, 2))
    close(pn.channel_shuffle(px, 2), torch.channel_shuffle(tx, 2))
    a, b = rng.standard_normal((2, 5, 3)).astype(np.float32)
    (pa, ta), (pb, tb) = both(a), both(b)
    close(pn.cosine_similarity(pa, pb, dim=1), torch.cosine_similarity(ta, tb, dim=1))
    close(pn.pairwise_distance(pa, pb), torch.pairwise_distance(ta, tb), atol=1e-5)
    close(pn.pdist(pa), torch.pdist(ta), atol=1e-5)
    close(pn.rms_norm(pa, [3]), torch.rms_norm(ta, [3]), atol=1e-5)
    close(pn.avg_pool1d(pa, 2), torch.avg_pool1d(ta, 2))
    close(pn.adaptive_avg_pool1d(pa, 2), torch.adaptive_avg_pool1d(ta, 2))
    x1 = rng.standard_normal((1, 2, 5)).astype(np.float32)
    w1 = rng.standard_normal((2, 3, 3)).astype(np.float32)
    for name in ("conv1d", "conv_transpose1d"):
        close(getattr(pn, name)(*map(pn.tensor, (x1, w1 if name == "conv_transpose1d" else w1.transpose(1, 0, 2)))),
              getattr(torch, name)(*map(torch.tensor, (x1, w1 if name == "conv_transpose1d" else w1.transpose(1, 0, 2)))), atol=1e-5)  # fmt: skip
    assert pn.conv3d is pn.nn.functional.conv3d and pn.conv_transpose3d is pn.nn.functional.conv_transpose3d
    assert (
        pn.bilinear is pn.nn.functional.bilinear and pn.conv_transpose2d is pn.nn.functional.conv_transpose2d
    )


def test_dropouts_take_train_with_no_default():
    x = np.ones((4, 3, 5), dtype=np.float32)
    for name in ("dropout", "alpha_dropout", "feature_dropout", "feature_alpha_dropout"):
        p, t = both(x)
        raises_like(lambda: getattr(pn, name)(p, 0.5), lambda: getattr(torch, name)(t, 0.5))
        raises_like(lambda: getattr(pn, name)(p, 1.5, True), lambda: getattr(torch, name)(t, 1.5, True))
        close(getattr(pn, name)(p, 0.5, False), getattr(torch, name)(t, 0.5, False))
        close(getattr(pn, name)(input=p, p=0.0, train=True), getattr(torch, name)(input=t, p=0.0, train=True))
        q = getattr(pn, name + "_")(p, 0.5, True)
        assert q is p
    out = pn.feature_dropout(pn.ones(8, 6, 5), 0.5, True).numpy()
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert (out == out[:, :, :1]).all()  # whole features dropped, as torch
    out = pn.dropout(pn.ones(1000), 0.5, True).numpy()
    assert set(np.unique(out)) <= {0.0, 2.0} and 300 < (out == 0).sum() < 700
    raises_like(
        lambda: pn.feature_dropout(pn.ones(3), 0.5, True),
        lambda: torch.feature_dropout(torch.ones(3), 0.5, True),
    )


def test_norms_embedding_pad_pool_top_level_signatures():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 6, 5)).astype(np.float32)
    w, b = rng.standard_normal(6).astype(np.float32), rng.standard_normal(6).astype(np.float32)
    (px, tx), (pw, tw), (pb, tb) = both(x, True), both(w, True), both(b, True)
    prm, trm = both(np.zeros(6, np.float32))
    prv, trv = both(np.ones(6, np.float32))
    po = pn.batch_norm(px, pw, pb, prm, prv, True, 0.1, 1e-5, False)
    to = torch.batch_norm(tx, tw, tb, trm, trv, True, 0.1, 1e-5, False)
    close(po, to, atol=1e-5)
    close(prm, trm)
    close(prv, trv, atol=1e-5)
    (po * po).sum().backward()
    (to * to).sum().backward()
    close(px.grad, tx.grad, atol=1e-4)
    close(pw.grad, tw.grad, atol=1e-4)
    close(pn.batch_norm(px, pw, pb, prm, prv, False, 0.1, 1e-5, True), torch.batch_norm(tx, tw, tb, trm, trv, False, 0.1, 1e-5, True), atol=1e-5)  # fmt: skip
    close(pn.instance_norm(px, pw, pb, None, None, True, 0.1, 1e-5, False), torch.instance_norm(tx, tw, tb, None, None, True, 0.1, 1e-5, False), atol=1e-5)  # fmt: skip
    close(pn.layer_norm(px, [5]), torch.layer_norm(tx, [5]), atol=1e-5)
    close(pn.layer_norm(px, (6, 5), None, None, 1e-3, False), torch.layer_norm(tx, (6, 5), None, None, 1e-3, False), atol=1e-5)  # fmt: skip
    close(pn.group_norm(px, 3, pw, pb), torch.group_norm(tx, 3, tw, tb), atol=1e-5)
    raises_like(lambda: pn.batch_norm(px, pw, pb, prm, prv), lambda: torch.batch_norm(tx, tw, tb, trm, trv))
    # embedding(weight, indices): the weight first; a negative padding_idx means none
    pe, te = both(rng.standard_normal((5, 3)).astype(np.float32), True)
    pi, ti = both(np.array([[1, 4], [4, 0]]))
    close(pn.embedding(pe, pi), torch.embedding(te, ti))
    pn.embedding(pe, pi, padding_idx=4).sum().backward()
    torch.embedding(te, ti, padding_idx=4).sum().backward()
    close(pe.grad, te.grad)
    pe.grad = None
    te.grad = None
    pn.embedding(pe, pi, -1).sum().backward()
    torch.embedding(te, ti, -1).sum().backward()
    close(pe.grad, te.grad)
    # constant_pad_nd, negative amounts crop
    close(pn.constant_pad_nd(px, [1, -1], 2.0), torch.constant_pad_nd(tx, [1, -1], 2.0))
    close(pn.constant_pad_nd(px, (1, 2, 0, 1)), torch.constant_pad_nd(tx, (1, 2, 0, 1)))
    # pooling: stride defaults to the kernel; adaptive_max_pool1d returns (values, indices)
    close(pn.max_pool1d(px, 2), torch.max_pool1d(tx, 2))
    close(pn.max_pool1d(px, 3, 1, 1), torch.max_pool1d(tx, 3, 1, 1))
    close(pn.max_pool1d(px, [2], []), torch.max_pool1d(tx, [2], []))
    raises_like(lambda: pn.max_pool1d(px, 2, 0), lambda: torch.max_pool1d(tx, 2, 0))
    x4 = rng.standard_normal((1, 2, 6, 6)).astype(np.float32)
    (p4, t4) = both(x4)
    close(pn.max_pool2d(p4, 2), torch.max_pool2d(t4, 2))
    close(pn.max_pool2d(p4, kernel_size=3, stride=2, padding=1, ceil_mode=True), torch.max_pool2d(t4, kernel_size=3, stride=2, padding=1, ceil_mode=True))  # fmt: skip
    close(pn.max_pool3d(p4[None], 2), torch.max_pool3d(t4[None], 2))
    pv, pidx = pn.adaptive_max_pool1d(px, 2)
    tv, tidx = torch.adaptive_max_pool1d(tx, 2)
    close(pv, tv)
    close(pidx, tidx)
    pv, pidx = pn.max_pool1d_with_indices(px, 2)
    tv, tidx = torch.max_pool1d_with_indices(tx, 2)
    close(pv, tv)
    close(pidx, tidx)


def test_losses_take_an_int_reduction():
    rng = np.random.default_rng(2)
    a, b, c = (rng.standard_normal((4, 3)).astype(np.float32) for _ in range(3))
    sign = np.array([1.0, -1.0, 1.0, -1.0], dtype=np.float32)
    (pa, ta), (pb, tb), (pc, tc) = both(a, True), both(b), both(c)
    ps, ts = both(sign)
    pt, tt = both(rng.random((4, 3)).astype(np.float32))
    for reduction in (0, 1, 2):
        cases = [
            (
                "kl_div",
                (pa.log_softmax(1), pb.softmax(1)),
                (ta.log_softmax(1), tb.softmax(1)),
                {"log_target": False},
            ),
            ("binary_cross_entropy_with_logits", (pa, pt), (ta, tt), {}),
            ("cosine_embedding_loss", (pa, pb, ps), (ta, tb, ts), {"margin": 0.1}),
            ("hinge_embedding_loss", (pa, pb.sign()), (ta, tb.sign()), {}),
            ("margin_ranking_loss", (pa[:, 0], pb[:, 0], ps), (ta[:, 0], tb[:, 0], ts), {"margin": 0.2}),
            ("triplet_margin_loss", (pa, pb, pc), (ta, tb, tc), {"swap": True}),
        ]
        for name, pargs, targs, kwargs in cases:
            po = getattr(pn, name)(*pargs, reduction=reduction, **kwargs)
            to = getattr(torch, name)(*targs, reduction=reduction, **kwargs)
            close(po, to, atol=1e-5)
            pa.grad = None
            ta.grad = None
            po.sum().backward()
            to.sum().backward()
            close(pa.grad, ta.grad, atol=1e-5)
        pw, tw = both(np.array([1.0, 2.0, 0.5], np.float32))
        close(pn.binary_cross_entropy_with_logits(pa, pt, None, pw, reduction), torch.binary_cross_entropy_with_logits(ta, tt, None, tw, reduction), atol=1e-5)  # fmt: skip
        close(pn.poisson_nll_loss(pa, pt, True, False, 1e-8, reduction), torch.poisson_nll_loss(ta, tt, True, False, 1e-8, reduction), atol=1e-5)  # fmt: skip
        close(pn.poisson_nll_loss(pa.exp(), pt, False, True, 1e-8, reduction), torch.poisson_nll_loss(ta.exp(), tt, False, True, 1e-8, reduction), atol=1e-5)  # fmt: skip
    close(pn.kl_div(pa, pb), torch.kl_div(ta, tb), atol=1e-5)  # no reduction given: none, as torch's binding
    close(pn.kl_div(pa, pb, 5), torch.kl_div(ta, tb, 5), atol=1e-5)
    for name, pargs, targs, _ in cases:  # no reduction given: none, as torch's Python binding
        close(getattr(pn, name)(*pargs), getattr(torch, name)(*targs), atol=1e-5)
    raises_like(lambda: pn.kl_div(pa, pb, reduction="mean"), lambda: torch.kl_div(ta, tb, reduction="mean"))
    raises_like(lambda: pn.poisson_nll_loss(pa, pt), lambda: torch.poisson_nll_loss(ta, tt))


# ---------------------------------------------------------------------------- nn.init
DEPRECATED_INIT = [
    ("uniform", (), {"a": -1.0, "b": 1.0}),
    ("normal", (), {"std": 0.1}),
    ("constant", (0.3,), {}),
    ("eye", (), {}),
    ("xavier_uniform", (), {}),
    ("xavier_normal", (), {}),
    ("kaiming_uniform", (), {"a": 0.1}),
    ("kaiming_normal", (), {"mode": "fan_out"}),
    ("orthogonal", (), {}),
    ("sparse", (0.5,), {}),
]


@pytest.mark.parametrize("name,args,kwargs", DEPRECATED_INIT)
def test_deprecated_init_names_warn_and_fill(name, args, kwargs):
    p, t = pn.empty(6, 4), torch.empty(6, 4)
    with pytest.warns(FutureWarning) as pw:
        out = getattr(pn.nn.init, name)(p, *args, **kwargs)
    with pytest.warns(FutureWarning) as tw:
        getattr(torch.nn.init, name)(t, *args, **kwargs)
    assert str(pw[0].message).replace("pyneuro", "torch") == str(tw[0].message)
    assert out is p and getattr(pn.nn.init, name).__name__ == name
    assert np.isfinite(p.numpy()).all()
    if name in ("constant", "eye"):
        close(p, t)
    if name == "orthogonal":
        np.testing.assert_allclose(p.numpy().T @ p.numpy(), np.eye(4), atol=1e-5)


def test_dirac_and_errors_of_the_init_functions():
    p, t = pn.empty(4, 2, 3, 3), torch.empty(4, 2, 3, 3)
    with pytest.warns(FutureWarning):
        pn.nn.init.dirac(p, groups=2)
    with pytest.warns(FutureWarning):
        torch.nn.init.dirac(t, groups=2)
    close(p, t)
    raises_like(lambda: pn.nn.init.dirac_(pn.empty(3, 3)), lambda: torch.nn.init.dirac_(torch.empty(3, 3)))
    raises_like(lambda: pn.nn.init.eye_(pn.empty(3, 3, 3)), lambda: torch.nn.init.eye_(torch.empty(3, 3, 3)))
    raises_like(
        lambda: pn.nn.init.sparse_(pn.empty(3), 0.5), lambda: torch.nn.init.sparse_(torch.empty(3), 0.5)
    )
    raises_like(
        lambda: pn.nn.init.orthogonal_(pn.empty(3)), lambda: torch.nn.init.orthogonal_(torch.empty(3))
    )
    sp = pn.nn.init.sparse_(pn.empty(10, 4), 0.3)
    assert ((sp.numpy() == 0).sum(axis=0) == 3).all()  # ceil(0.3 * 10) zeros per column, as torch


# ---------------------------------------------------------------------------- nn.utils
def _grads_pair(seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(np.float32) * 3 for s in ((3, 4), (5,), (2, 2, 2))]
    ps = [pn.nn.Parameter(pn.tensor(a)) for a in arrays]
    ts = [torch.nn.Parameter(torch.tensor(a)) for a in arrays]
    for p, t, a in zip(ps, ts, arrays):
        p.grad = pn.tensor(a * 2)
        t.grad = torch.tensor(a * 2)
    return ps, ts


@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf"), "inf"])
def test_get_total_norm_and_clip_grads_with_norm(norm_type):
    ps, ts = _grads_pair()
    pt = pn.nn.utils.get_total_norm([p.grad for p in ps], norm_type)
    tt = torch.nn.utils.get_total_norm([t.grad for t in ts], norm_type)
    close(pt, tt, atol=1e-4)
    pn.nn.utils.clip_grads_with_norm_(ps, 1.0, pt)
    torch.nn.utils.clip_grads_with_norm_(ts, 1.0, tt)
    for p, t in zip(ps, ts):
        close(p.grad, t.grad, atol=1e-5)
    close(pn.nn.utils.get_total_norm([]), torch.nn.utils.get_total_norm([]))
    close(pn.nn.utils.get_total_norm(ps[0].grad), torch.nn.utils.get_total_norm(ts[0].grad), atol=1e-4)


def test_clip_grad_norm_deprecated_alias_and_errors():
    ps, ts = _grads_pair(1)
    with pytest.warns(FutureWarning):
        pt = pn.nn.utils.clip_grad_norm(ps, 2.0, foreach=None)
    with pytest.warns(FutureWarning):
        tt = torch.nn.utils.clip_grad_norm(ts, 2.0)
    close(pt, tt, atol=1e-4)
    for p, t in zip(ps, ts):
        close(p.grad, t.grad, atol=1e-5)
    close(
        pn.nn.utils.clip_grad_norm_(iter(ps), 0.5), torch.nn.utils.clip_grad_norm_(iter(ts), 0.5), atol=1e-5
    )
    for p, t in zip(ps, ts):
        close(p.grad, t.grad, atol=1e-5)
    ps[0].grad[0, 0] = float("nan")
    ts[0].grad[0, 0] = float("nan")
    raises_like(lambda: pn.nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True), lambda: torch.nn.utils.clip_grad_norm_(ts, 1.0, error_if_nonfinite=True))  # fmt: skip
    with pytest.warns(UserWarning, match="empty generator"):
        pn.nn.utils.clip_grad_norm_((p for p in []), 1.0)
    pn.nn.utils.clip_grad_value_(ps, 0.5, foreach=None)
    torch.nn.utils.clip_grad_value_(ts, 0.5)
    for p, t in zip(ps, ts):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), atol=1e-6)


@pytest.mark.parametrize("transpose", [False, True])
def test_fuse_conv_bn(transpose):
    pn.manual_seed(0)
    torch.manual_seed(0)
    pconv = (pn.nn.ConvTranspose2d if transpose else pn.nn.Conv2d)(3, 4, 3, bias=not transpose)
    tconv = (torch.nn.ConvTranspose2d if transpose else torch.nn.Conv2d)(3, 4, 3, bias=not transpose)
    tconv.load_state_dict({k: torch.tensor(v.numpy()) for k, v in pconv.state_dict().items()})
    pbn, tbn = pn.nn.BatchNorm2d(4), torch.nn.BatchNorm2d(4)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    px, tx = both(x)
    pbn(pconv(px))
    tbn(tconv(tx))  # running statistics from one training batch
    with torch.no_grad():
        tbn.weight.mul_(1.5)
    with pn.no_grad():
        pbn.weight.mul_(1.5)
    raises_like(lambda: pn.nn.utils.fuse_conv_bn_eval(pconv, pbn, transpose), lambda: torch.nn.utils.fuse_conv_bn_eval(tconv, tbn, transpose))  # fmt: skip
    for m in (pconv, pbn, tconv, tbn):
        m.eval()
    pf = pn.nn.utils.fuse_conv_bn_eval(pconv, pbn, transpose=transpose)
    tf = torch.nn.utils.fuse_conv_bn_eval(tconv, tbn, transpose=transpose)
    assert pf is not pconv and isinstance(pf.weight, pn.nn.Parameter) and isinstance(pf.bias, pn.nn.Parameter)
    close(pf.weight, tf.weight, atol=1e-5)
    close(pf.bias, tf.bias, atol=1e-5)
    close(pf(px), tbn(tconv(tx)), atol=1e-4)
    close(pf(px), pbn(pconv(px)), atol=1e-4)


def test_fuse_linear_bn():
    pn.manual_seed(0)
    plin, tlin = pn.nn.Linear(5, 3), torch.nn.Linear(5, 3)
    tlin.load_state_dict({k: torch.tensor(v.numpy()) for k, v in plin.state_dict().items()})
    pbn, tbn = pn.nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    px, tx = both(np.random.default_rng(4).standard_normal((8, 5)).astype(np.float32))
    pbn(plin(px))
    tbn(tlin(tx))
    for m in (plin, pbn, tlin, tbn):
        m.eval()
    pf, tf = pn.nn.utils.fuse_linear_bn_eval(plin, pbn), torch.nn.utils.fuse_linear_bn_eval(tlin, tbn)
    close(pf.weight, tf.weight, atol=1e-5)
    close(pf.bias, tf.bias, atol=1e-5)
    close(pf(px), tbn(tlin(tx)), atol=1e-5)
    pw, pb = pn.nn.utils.fuse_linear_bn_weights(plin.weight, None, pbn.running_mean, pbn.running_var, 1e-5, pbn.weight, pbn.bias)  # fmt: skip
    tw, tb = torch.nn.utils.fuse_linear_bn_weights(tlin.weight, None, tbn.running_mean, tbn.running_var, 1e-5, tbn.weight, tbn.bias)  # fmt: skip
    close(pw, tw, atol=1e-5)
    close(pb, tb, atol=1e-5)
    raises_like(lambda: pn.nn.utils.fuse_linear_bn_eval(plin, pn.nn.BatchNorm1d(4).eval()), lambda: torch.nn.utils.fuse_linear_bn_eval(tlin, torch.nn.BatchNorm1d(4).eval()))  # fmt: skip


def test_fuse_conv_bn_weights_defaults():
    w = np.random.default_rng(5).standard_normal((4, 2, 3)).astype(np.float32)
    (pw, tw), (prm, trm), (prv, trv) = (
        both(w, True),
        both(np.full(4, 0.5, np.float32)),
        both(np.full(4, 2.0, np.float32)),
    )
    pfw, pfb = pn.nn.utils.fuse_conv_bn_weights(pw, None, prm, prv, 1e-5, None, None)
    tfw, tfb = torch.nn.utils.fuse_conv_bn_weights(tw, None, trm, trv, 1e-5, None, None)
    close(pfw, tfw)
    close(pfb, tfb)
    assert pfw.requires_grad == tfw.requires_grad and pfb.requires_grad == tfb.requires_grad


def test_skip_init_convert_parameters_and_stateless():
    m = pn.nn.utils.skip_init(pn.nn.Linear, 5, out_features=2)
    assert isinstance(m, pn.nn.Linear) and m.weight.shape == (2, 5)

    class NoDevice(pn.nn.Module):
        def __init__(self, n):
            super().__init__()

    class TNoDevice(torch.nn.Module):
        def __init__(self, n):
            super().__init__()

    raises_like(lambda: pn.nn.utils.skip_init(NoDevice, 3), lambda: torch.nn.utils.skip_init(TNoDevice, 3))
    raises_like(lambda: pn.nn.utils.skip_init(int, 3), lambda: torch.nn.utils.skip_init(int, 3))
    cp = pn.nn.utils.convert_parameters
    assert cp.parameters_to_vector is pn.nn.utils.parameters_to_vector
    vec = cp.parameters_to_vector(m.parameters())
    assert vec.shape == (12,)
    cp.vector_to_parameters(pn.zeros(12), m.parameters())
    assert float(m.weight.detach().abs().sum()) == 0.0
    conv = pn.nn.Sequential(pn.nn.Conv2d(2, 3, 3))
    assert pn.nn.utils.convert_conv2d_weight_memory_format(conv, pn.channels_last) is conv
    assert pn.nn.utils.memory_format.convert_conv3d_weight_memory_format(conv, pn.channels_last) is conv
    assert callable(pn.nn.utils.stateless.functional_call)
    func = pytest.importorskip("pyneuro.func")  # written by another part of the project
    x = pn.ones(1, 5)
    params = {"weight": pn.ones(2, 5), "bias": pn.zeros(2)}
    with pytest.warns(FutureWarning, match="functional_call"):
        out = pn.nn.utils.stateless.functional_call(m, params, (x,))
    close(out, func.functional_call(m, params, (x,)))
    close(out, torch.full((1, 2), 5.0))


def test_torch_dir_names_present():
    names = (
        "asarray clone detach ravel real isin scalar_tensor fill is_same_size get_device is_inference_mode_enabled "
        "set_warn_always is_warn_always_enabled set_flush_denormal newaxis conv1d conv2d conv3d conv_transpose1d "
        "conv_transpose2d dropout layer_norm group_norm batch_norm instance_norm embedding max_pool1d max_pool2d "
        "max_pool3d avg_pool1d adaptive_avg_pool1d adaptive_max_pool1d pixel_shuffle pixel_unshuffle channel_shuffle "
        "cosine_similarity pairwise_distance pdist kl_div binary_cross_entropy_with_logits cosine_embedding_loss "
        "hinge_embedding_loss margin_ranking_loss triplet_margin_loss poisson_nll_loss bilinear rms_norm "
        "alpha_dropout feature_alpha_dropout constant_pad_nd hann_window hamming_window blackman_window "
        "bartlett_window kaiser_window"
    ).split()
    missing = [n for n in names if not hasattr(pn, n)]
    assert not missing
    for n in names:
        assert n in pn.__all__, n
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for n in dir(torch.nn.init):
            if (
                not n.startswith("_")
                and n[0].islower()
                and callable(getattr(torch.nn.init, n))
                and n not in ("torch", "warnings")
            ):
                assert hasattr(pn.nn.init, n), n


# ---------------------------------------------------------------------------- as_strided
AS_STRIDED_CASES = [
    ((6,), (2, 2), (1, 1), None),  # overlapping sliding windows
    ((6,), (3, 2), (2, 1), None),
    ((6,), (2,), (0,), 3),  # one element repeated
    ((3, 3), (3,), (4,), None),  # the diagonal
    ((2, 3), (3, 2), (1, 3), None),  # the transpose
    ((4, 5), (2, 2, 2), (10, 5, 1), 1),
    ((6,), (), (), 4),  # a 0-d view
    ((6,), (0, 3), (1, 1), None),  # empty
]


@pytest.mark.parametrize("shape,size,stride,offset", AS_STRIDED_CASES)
def test_as_strided_values_and_gradients(shape, size, stride, offset):
    data = np.arange(1.0, 1.0 + np.prod(shape), dtype=np.float32).reshape(shape)
    p, t = both(data, True)
    po, to = pn.as_strided(p * 1, size, stride, offset), torch.as_strided(t * 1, size, stride, offset)
    close(po, to)
    weights = np.random.default_rng(0).standard_normal(size).astype(np.float32)
    (po * pn.tensor(weights)).sum().backward()
    (to * torch.tensor(weights)).sum().backward()
    close(p.grad, t.grad, atol=1e-5)


def test_as_strided_of_views_and_expanded_inputs():
    p, t = both(np.arange(1.0, 7.0, dtype=np.float32), True)
    for pv, tv, args in [
        (lambda x: x[2:], lambda x: x[2:], ((2,), (1,))),
        (lambda x: x[1:3], lambda x: x[1:3], ((3,), (1,), 0)),  # reaches memory outside the input
        (lambda x: x.reshape(2, 3).T, lambda x: x.reshape(2, 3).T, ((2, 2), (1, 2))),  # non-contiguous input
        (lambda x: x[:1].expand(3), lambda x: x[:1].expand(3), ((2,), (1,))),  # an expanded input
    ]:
        p.grad = None
        t.grad = None
        po, to = pn.as_strided(pv(p * 1), *args), torch.as_strided(tv(t * 1), *args)
        close(po, to)
        (po * pn.arange(1.0, 1.0 + po.numel()).reshape(po.shape)).sum().backward()
        (to * torch.arange(1.0, 1.0 + to.numel()).reshape(to.shape)).sum().backward()
        close(p.grad, t.grad)
    close(pn.as_strided(input=pn.arange(6.0), size=[2, 2], stride=[1, 2], storage_offset=1),
          torch.as_strided(input=torch.arange(6.0), size=[2, 2], stride=[1, 2], storage_offset=1))  # fmt: skip
    close(pn.as_strided(pn.arange(6), (2,), (3,)), torch.as_strided(torch.arange(6), (2,), (3,)))


def test_as_strided_shares_memory_and_writes_are_in_the_graph():
    base = pn.zeros(6)
    view = pn.as_strided(base, (2, 2), (3, 1))
    view += 1
    close(base, torch.tensor([1.0, 1.0, 0.0, 1.0, 1.0, 0.0]))
    base[1] = 7.0
    assert float(view[0, 1]) == 7.0 and view._version == base._version
    # an in-place op through the view rebases its base, as torch
    pw, tw = both(np.ones(6, np.float32), True)
    pb, tb = pw * 1, tw * 1
    pn.as_strided(pb, (2,), (2,), 1).mul_(5)
    torch.as_strided(tb, (2,), (2,), 1).mul_(5)
    close(pb, tb)
    (pb * pn.arange(6.0)).sum().backward()
    (tb * torch.arange(6.0)).sum().backward()
    close(pw.grad, tw.grad)
    # a tensor saved for backward, changed through the view: torch's in-place error
    p, t = both(np.ones(4, np.float32), True)
    pb, tb = p * 1, t * 1
    pz, tz = pb * p, tb * t
    pn.as_strided(pb, (2,), (1,)).mul_(2)
    torch.as_strided(tb, (2,), (1,)).mul_(2)
    raises_like(lambda: pz.sum().backward(), lambda: tz.sum().backward())


def test_as_strided_errors():
    x, tx = pn.arange(6.0), torch.arange(6.0)
    for args in [
        ((2, 2), (1, -1)),
        ((2, 2), (1,)),
        ((3, 3), (2, 1)),
        ((2, -1), (1, 1)),
        ((2, 2), (1, 1), -1),
    ]:
        raises_like(lambda: pn.as_strided(x, *args), lambda: torch.as_strided(tx, *args))
    raises_like(lambda: pn.as_strided(3.0, (1,), (1,)), lambda: torch.as_strided(3.0, (1,), (1,)))


# ---------------------------------------------------------------------------- range, empty_strided, frombuffer, put, imag
def test_range_is_inclusive_and_deprecated():
    for args, kwargs in [
        ((0, 3), {}),
        ((0, 1, 0.3), {}),
        ((3, 0, -1), {}),
        ((1, 4), {"dtype": "int64"}),
        ((2, 2), {}),
    ]:
        tkw = {k: getattr(torch, v) for k, v in kwargs.items()}
        pkw = {k: getattr(pn, v) for k, v in kwargs.items()}
        with pytest.warns(UserWarning, match="torch.range is deprecated"):
            p = pn.range(*args, **pkw)
        with pytest.warns(UserWarning, match="torch.range is deprecated"):
            t = torch.range(*args, **tkw)
        close(p, t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raises_like(lambda: pn.range(0, 3, 0), lambda: torch.range(0, 3, 0))
        raises_like(lambda: pn.range(0, 3, -1), lambda: torch.range(0, 3, -1))


def test_empty_strided_frombuffer_put_imag():
    for size, stride in [((2, 3), (1, 2)), ((2, 3), (3, 1)), ((0, 2), (2, 1)), ((4,), (0,))]:
        p, t = pn.empty_strided(size, stride), torch.empty_strided(size, stride)
        assert tuple(p.shape) == tuple(t.shape) and p.dtype == pn.float32
        if p.numel():
            assert p.stride() == t.stride()
    assert pn.empty_strided((2,), (1,), dtype=pn.int64, requires_grad=False).dtype == pn.int64
    raw = bytearray(np.arange(4, dtype=np.float32).tobytes())
    p, t = pn.frombuffer(raw, dtype=pn.float32, count=2, offset=4), torch.frombuffer(raw, dtype=torch.float32, count=2, offset=4)  # fmt: skip
    close(p, t)
    p += 1  # shares the buffer's memory, as torch
    assert np.frombuffer(raw, dtype=np.float32)[1] == 2.0
    with pytest.warns(UserWarning, match="not writable"):
        close(pn.frombuffer(b"abcd", dtype=pn.uint8), torch.tensor(list(b"abcd"), dtype=torch.uint8))
    pz, tz = both(np.zeros((2, 2), np.float32))
    pi, ti = both(np.array([0, 3, 3]))
    ps, ts = both(np.array([1.0, 2.0, 3.0], np.float32))
    close(pn.put(pz, pi[:2], ps[:2]), torch.put(tz, ti[:2], ts[:2]))
    close(pn.put(pz, pi, ps, True), torch.put(tz, ti, ts, True))
    assert float(pz.sum()) == 0.0  # out of place
    raises_like(lambda: pn.imag(pz), lambda: torch.imag(tz))


def test_as_strided_gradients_of_gradients():
    for lib in (pn, torch):
        lib.manual_seed(0)
    results = []
    for lib in (pn, torch):
        x = lib.arange(1.0, 7.0, requires_grad=True)
        y = lib.as_strided(x * x * x, (2, 2), (1, 1))
        g = lib.autograd.grad((y * y).sum(), x, create_graph=True)[0]
        h = lib.autograd.grad((g * g).sum(), x, create_graph=True)[0]
        k = lib.autograd.grad(h.sum(), x)[0]
        e = lib.as_strided((x * x)[:1].expand(3), (2,), (1,))  # an expanded input
        ge = lib.autograd.grad((e * e * lib.tensor([1.0, 10.0])).sum(), x, create_graph=True)[0]
        he = lib.autograd.grad(ge.sum(), x)[0]
        results.append([v.detach().numpy() for v in (g, h, k, ge, he)])
    for p, t in zip(*results):
        np.testing.assert_allclose(p, t, rtol=1e-5)


def test_type_prints_torchs_public_paths():
    """print(type(x)) is in every tensor tutorial: <class 'torch.Tensor'>, not a private module."""
    import pickle

    def objects(m):
        x = m.ones(2)
        opt = m.optim.SGD([m.nn.Parameter(m.ones(1))], lr=0.1)
        return [x, x.shape, x.dtype, m.device("cpu"), m.nn.Parameter(m.ones(1)), m.nn.Linear(2, 3),
                m.utils.data.TensorDataset(x), m.utils.data.DataLoader(m.utils.data.TensorDataset(x)),
                m.optim.lr_scheduler.StepLR(opt, 1), m.finfo(m.float32), m.iinfo(m.int64)]  # fmt: skip

    for mine, theirs in zip(objects(pn), objects(torch)):
        assert str(type(mine)).replace("pyneuro", "torch") == str(type(theirs))
    for obj in (pn.ones(2), pn.nn.Parameter(pn.ones(2)), pn.Size([2, 3]), pn.float16, pn.device("cpu")):
        back = pickle.loads(pickle.dumps(obj))  # the printed paths are importable
        assert type(back) is type(obj) and str(back) == str(obj)


_T_WARNING = (
    "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it will "
    "throw an error in a future release. Consider `x.mT` to transpose batches of matrices or "
    "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor."
)
_T0_WARNING = "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases."


@pytest.mark.parametrize(
    "make, once",
    [
        (lambda m: m.randn(2, 3, 4).T, _T_WARNING),
        (lambda m: m.tensor(2.0).T, _T0_WARNING),
        (lambda m: m.randn(3).T, None),
        (lambda m: m.tensor([1.0]).std(), None),
        (lambda m: m.tensor([1.0]).var(), None),
        (lambda m: m.tensor([1.0, 2.0]).var(correction=2), None),
        (lambda m: m.randn(2, 3).std(1, correction=3), None),
        (lambda m: m.randn(2, 3).std(1), None),
    ],
)
def test_torchs_user_warnings(make, once):
    """x.T on other than 2-D, and a variance with no degrees of freedom, warn as torch does.
    torch warns about .T once per process (an earlier test may have had it): those cases check
    pyneuro's text against torch's words, and torch's list is that text or nothing."""

    def caught(m):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            make(m)
        return [str(w.message).split(" (Triggered")[0] for w in seen if w.category is UserWarning]

    mine, theirs = caught(pn), caught(torch)
    if once is None:
        assert mine == theirs
    else:
        assert mine == [once] and theirs in ([], [once])


def test_a_loader_and_its_samplers_print_as_torchs():
    data = pn.utils.data.TensorDataset(pn.ones(4))
    mine = pn.utils.data.DataLoader(data, batch_size=2, shuffle=True)
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.ones(4)), batch_size=2, shuffle=True
    )
    for a, b in ((mine, theirs), (mine.sampler, theirs.sampler), (mine.batch_sampler, theirs.batch_sampler)):
        assert repr(a).split(" object at ")[0].replace("pyneuro", "torch") == repr(b).split(" object at ")[0]

"""pdist, bilinear, rms_norm, the dropout variants, gumbel_softmax, embedding_bag and their layers
(CosineSimilarity, PairwiseDistance, Bilinear, RMSNorm, Dropout1d/3d, AlphaDropout,
FeatureAlphaDropout, EmbeddingBag) against torch."""

from __future__ import annotations

import numpy as np
import pytest
from test_torch_nn_extra import _arrays, same, same_error

import pyneuro as pn

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(
    ("make", "shapes"),
    [
        ("CosineSimilarity()", ((4, 5), (4, 5))),
        ("CosineSimilarity(dim=-1, eps=1e-3)", ((2, 3, 5), (1, 5))),
        ("PairwiseDistance()", ((4, 5), (4, 5))),
        ("PairwiseDistance(p=1.0, keepdim=True)", ((4, 5), (1, 5))),
        ("PairwiseDistance(p=3.0, eps=0.0)", ((2, 3, 5), (2, 3, 5))),
    ],
)
def test_distance_layers(make, shapes):
    same(lambda fw, a, b: eval("fw.nn." + make)(a, b), *_arrays(*shapes))
    assert repr(eval("pn.nn." + make)) == repr(eval("torch.nn." + make))


@pytest.mark.parametrize("p", [2.0, 1.0, 0.5, 3.0, 0.0, float("inf")])
def test_pdist(p):
    (a,) = _arrays((5, 3))
    same(lambda fw, x: fw.nn.functional.pdist(x, p), a, grad=p != 0.0)
    same(lambda fw, x: fw.nn.functional.pdist(x), np.zeros((1, 3), np.float32))
    same_error(lambda fw: fw.nn.functional.pdist(fw.zeros(2, 3, 4)))
    same_error(lambda fw: fw.nn.functional.pdist(fw.zeros(3, 4), -1))


def test_bilinear():
    x1, x2, w, b = _arrays((4, 3), (4, 5), (2, 3, 5), (2,))
    same(lambda fw, *t: fw.nn.functional.bilinear(*t), x1, x2, w, b)
    same(lambda fw, *t: fw.nn.functional.bilinear(*t), x1.reshape(2, 2, 3), x2.reshape(2, 2, 5), w)
    layer = pn.nn.Bilinear(3, 5, 2)
    assert layer.weight.shape == (2, 3, 5) and layer.bias.shape == (2,)
    assert float(layer.weight.abs().max()) <= 1 / np.sqrt(3)
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert layer(pn.tensor(x1), pn.tensor(x2)).shape == (4, 2)
    same_error(lambda fw: fw.nn.functional.bilinear(fw.zeros(2, 3), fw.zeros(2, 4), fw.zeros(5, 3, 3)))
    same_error(lambda fw: fw.nn.functional.bilinear(fw.zeros(2, 3), fw.zeros(3, 4), fw.zeros(5, 3, 4)))


@pytest.mark.parametrize(
    ("shape", "norm", "eps"), [((2, 3, 4), (4,), None), ((2, 3, 4), (3, 4), 1e-3), ((5,), 5, None)]
)
def test_rms_norm(shape, norm, eps):
    x, w = _arrays(shape, (norm,) if isinstance(norm, int) else norm)
    shape = (norm,) if isinstance(norm, int) else norm
    same(lambda fw, a, g: fw.nn.functional.rms_norm(a, shape, g, eps), x, w)
    same(lambda fw, a: fw.nn.functional.rms_norm(a, shape, eps=eps), x)
    same(lambda fw, a: fw.nn.RMSNorm(norm, eps=eps)(a), x)
    same_error(lambda fw: fw.nn.functional.rms_norm(fw.zeros(2, 3), (4,)))


def test_channel_dropouts_zero_whole_channels():
    x = pn.ones(8, 16, 5)
    y = pn.nn.functional.dropout1d(x, 0.5)
    rows = y.numpy().reshape(128, 5)
    assert set(np.unique(rows)) <= {0.0, 2.0} and all(len(set(r)) == 1 for r in rows)
    y3 = pn.nn.Dropout3d(0.25)(pn.ones(4, 8, 2, 2, 2)).numpy().reshape(32, 8)
    assert np.all(np.isclose(y3, 0) | np.isclose(y3, 4 / 3)) and all(
        len(set(np.round(r, 6))) == 1 for r in y3
    )
    for layer, z in (
        (pn.nn.Dropout1d(), pn.ones(2, 3, 4)),
        (pn.nn.Dropout3d(), pn.ones(2, 3, 4, 1, 1)),
        (pn.nn.AlphaDropout(), pn.ones(2, 3)),
        (pn.nn.FeatureAlphaDropout(), pn.ones(2, 3, 4, 1)),
    ):
        assert np.array_equal(layer.eval()(z).numpy(), z.numpy())  # identity in eval
    same_error(lambda fw: fw.nn.functional.dropout1d(fw.zeros(2, 3, 4, 5)))
    same_error(lambda fw: fw.nn.functional.alpha_dropout(fw.zeros(3), 1.5))
    same_error(lambda fw: fw.nn.Dropout1d(-0.1))


def test_alpha_dropout_keeps_mean_and_variance():
    pn.manual_seed(0)
    x = pn.randn(200_000)
    y = pn.nn.functional.alpha_dropout(x, 0.3, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    dropped = -1.7580993408473766 / np.sqrt((1.7580993408473766**2 * 0.3 + 1) * 0.7) * 0.7
    assert np.isclose(y, dropped, atol=1e-5).mean() == pytest.approx(0.3, abs=0.01)
    assert pn.nn.functional.alpha_dropout(x, 0.3) is x  # training=False by default, as torch
    f = pn.nn.functional.feature_alpha_dropout(pn.randn(50, 40, 3), 0.5, training=True).numpy()
    drop = np.isclose(f, f[..., :1], atol=0).all(axis=-1)
    assert drop.mean() > 0.3  # whole channels share the dropped value
    g = pn.ones(3, 4, requires_grad=True)
    pn.nn.functional.alpha_dropout(g, 0.5, True).sum().backward()
    scale = 1 / np.sqrt((1.7580993408473766**2 * 0.5 + 1) * 0.5)
    assert np.all(np.isclose(g.grad.numpy(), 0) | np.isclose(g.grad.numpy(), scale))


def test_gumbel_softmax():
    pn.manual_seed(1)
    logits = pn.tensor(np.log(np.array([[0.1, 0.6, 0.3]] * 4000, np.float32)), requires_grad=True)
    soft = pn.nn.functional.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.sum(-1).detach().numpy(), 1, rtol=1e-5)
    hard = pn.nn.functional.gumbel_softmax(logits, hard=True)
    h = hard.detach().numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and np.all(h.sum(-1) == 1)
    np.testing.assert_allclose(h.mean(0), [0.1, 0.6, 0.3], atol=0.03)  # samples the categorical
    (hard * pn.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert logits.grad is not None and np.abs(logits.grad.numpy()).sum() > 0  # straight-through


BAG_INPUT = np.array([1, 2, 4, 5, 4, 3, 2, 0, 0], dtype=np.int64)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2, -6])
@pytest.mark.parametrize(("offsets", "last"), [([0, 2, 2, 5], False), ([0, 2, 2, 5, 9], True), ([0], False)])
def test_embedding_bag_1d(mode, padding_idx, offsets, last):
    (w,) = _arrays((6, 3))
    psw = np.random.default_rng(3).random(9).astype(np.float32)

    def run(fw, weight, *extra):
        kw = dict(per_sample_weights=extra[0]) if extra else {}
        off = fw.tensor(np.array(offsets, dtype=np.int64))
        return fw.nn.functional.embedding_bag(fw.tensor(BAG_INPUT), weight, off, mode=mode, padding_idx=padding_idx,
                                              include_last_offset=last, **kw)  # fmt: skip

    same(run, w, *((psw,) if mode == "sum" else ()))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_2d_and_layer(mode):
    idx = np.array([[0, 2, 1], [4, 4, 3]], dtype=np.int64)
    (w,) = _arrays((5, 4))
    same(lambda fw, weight: fw.nn.functional.embedding_bag(fw.tensor(idx), weight, mode=mode), w)

    def layer(fw, weight):
        bag = fw.nn.EmbeddingBag.from_pretrained(weight, freeze=False, mode=mode, padding_idx=4)
        return bag(fw.tensor(idx))

    same(layer, w, grad=False)


def test_embedding_bag_layer_and_errors():
    bag = pn.nn.EmbeddingBag(10, 3, padding_idx=2)
    assert bag.weight.shape == (10, 3) and np.all(bag.weight.detach().numpy()[2] == 0)
    assert list(bag.state_dict()) == ["weight"]
    assert bag(pn.tensor([1, 2, 3, 4]), pn.tensor([0, 2])).shape == (2, 3)

    def call(fw, input, offsets=None, **kw):
        return fw.nn.functional.embedding_bag(
            fw.tensor(input), fw.randn(3, 2), offsets and fw.tensor(offsets), **kw
        )

    same_error(lambda fw: call(fw, [[1, 2]], [0]))
    same_error(lambda fw: call(fw, [1, 2]))
    same_error(lambda fw: call(fw, [1, 2], [0], per_sample_weights=fw.ones(2)))
    same_error(lambda fw: call(fw, [1, 5], [0]))
    same_error(lambda fw: call(fw, [1, 2], [1]))
    same_error(lambda fw: call(fw, [1, 2], [0], mode="foo"))
    same_error(lambda fw: call(fw, [1.0, 2.0], [0]))


# ----------------------------------------------------------------------------- dtypes and awkward shapes
def _F(fw):
    return fw.nn.functional


EDGE_CASES = {
    "interpolate": lambda fw, x: _F(fw).interpolate(x, scale_factor=2, mode="bilinear"),
    "bicubic": lambda fw, x: _F(fw).interpolate(x, size=(5, 3), mode="bicubic"),
    "unfold": lambda fw, x: _F(fw).unfold(x, 2),
    "adaptive_max_pool2d": lambda fw, x: _F(fw).adaptive_max_pool2d(x, 3),
    "lp_pool2d": lambda fw, x: _F(fw).lp_pool2d(x, 2, 2),
    "rms_norm": lambda fw, x: _F(fw).rms_norm(x, (4,)),
    "pixel_unshuffle": lambda fw, x: _F(fw).pixel_unshuffle(x, 2),
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_float64_empty_and_noncontiguous_inputs(name):
    fn = EDGE_CASES[name]
    (x,) = _arrays((2, 3, 4, 4))
    same(fn, x.astype(np.float64))
    if name != "pixel_unshuffle":  # torch returns an empty input unchanged there: (0, 3, 4, 4)
        same(fn, np.zeros((0, 3, 4, 4), np.float32), grad=False)
    same(lambda fw, a: fn(fw, a.transpose(2, 3)), x)
    assert fn(pn, pn.tensor(x.astype(np.float64))).dtype == pn.float64


def test_float64_losses_and_zero_dim_inputs():
    (x,) = _arrays((2, 4))
    x = x.astype(np.float64)
    same(lambda fw, a: _F(fw).gaussian_nll_loss(a, a * 2, a.abs() + 1), x)
    same(lambda fw, a: _F(fw).multi_margin_loss(a, fw.tensor([0, 3])), x)
    same(lambda fw, a: _F(fw).bilinear(a, a, a[:, :, None] * a[:, None, :]), x)
    same(lambda fw, a: _F(fw).margin_ranking_loss(a[0, 0], a[0, 1], fw.tensor(1.0, dtype=a.dtype)), x)
    same(lambda fw, a: _F(fw).kl_div(a[0, 0], a[0, 1].exp(), reduction="batchmean"), x)

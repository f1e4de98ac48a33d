"""The extra losses (F functions and nn modules) against torch: values, gradients, reductions,
weights, reprs and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_torch_nn_extra import _arrays, same, same_error

import pyneuro as pn

torch = pytest.importorskip("torch")

REDUCTIONS = ["mean", "sum", "none"]
RNG = np.random.default_rng(5)
SIGNS = np.where(RNG.random(6) < 0.5, -1.0, 1.0).astype(np.float32)


def _quiet(fn):
    """fn with torch's and pyneuro's KLDiv 'mean' warning silenced."""

    def run(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args)

    return run


@pytest.mark.parametrize("reduction", [*REDUCTIONS, "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    x, t = _arrays((4, 5), (4, 5))
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    target = t if log_target else np.exp(t) / np.exp(t).sum(1, keepdims=True)
    target[0, 0] = 0.0 if not log_target else target[0, 0]  # t = 0 contributes 0
    kw = dict(reduction=reduction, log_target=log_target)
    same(_quiet(lambda fw, a, b: fw.nn.functional.kl_div(a, b, **kw)), logp, target, tol=1e-5)
    same(_quiet(lambda fw, a, b: fw.nn.KLDivLoss(**kw)(a, b)), logp, target, tol=1e-5)
    same(_quiet(lambda fw, a: fw.nn.functional.kl_div(a, fw.tensor(target), **kw)), logp[0])


def test_kl_div_warns_for_mean_and_reprs():
    with pytest.warns(UserWarning, match="batchmean"):
        pn.nn.functional.kl_div(pn.zeros(2, 3), pn.ones(2, 3))
    for make in ("KLDivLoss()", "KLDivLoss(reduction='batchmean', log_target=True)", "MarginRankingLoss(0.5)",
                 "HingeEmbeddingLoss(reduction='sum')", "CosineEmbeddingLoss()", "TripletMarginLoss(swap=True)",
                 "TripletMarginWithDistanceLoss()", "SoftMarginLoss()", "MultiLabelSoftMarginLoss()",
                 "MultiMarginLoss(p=2)", "MultiLabelMarginLoss()", "PoissonNLLLoss(full=True)", "GaussianNLLLoss()"):  # fmt: skip
        assert repr(eval("pn.nn." + make)) == repr(eval("torch.nn." + make)), make
    assert list(pn.nn.MultiMarginLoss(weight=pn.ones(3)).state_dict()) == ["weight"]
    same_error(lambda fw: fw.nn.KLDivLoss(reduction="foo")(fw.zeros(2), fw.zeros(2)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pair_losses(reduction):
    a, b = _arrays((6,), (6,))
    kw = dict(reduction=reduction)
    same(lambda fw, x, y, t: fw.nn.functional.margin_ranking_loss(x, y, t, margin=0.3, **kw), a, b, SIGNS)
    same(lambda fw, x, y, t: fw.nn.MarginRankingLoss(**kw)(x, y, t), a, b, SIGNS)
    same(lambda fw, x, t: fw.nn.functional.hinge_embedding_loss(x, t, **kw), np.abs(a), SIGNS)
    same(lambda fw, x, t: fw.nn.HingeEmbeddingLoss(margin=0.5, **kw)(x, t), a, SIGNS)
    same(lambda fw, x: fw.nn.functional.soft_margin_loss(x, fw.tensor(SIGNS), **kw), a)
    same(lambda fw, x: fw.nn.SoftMarginLoss(**kw)(x, fw.tensor(SIGNS).reshape(2, 3)), a.reshape(2, 3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.4])
def test_cosine_embedding_loss(reduction, margin):
    a, b = _arrays((6, 4), (6, 4))
    kw = dict(margin=margin, reduction=reduction)
    same(lambda fw, x, y, t: fw.nn.functional.cosine_embedding_loss(x, y, t, **kw), a, b, SIGNS)
    same(lambda fw, x, y: fw.nn.CosineEmbeddingLoss(**kw)(x, y, fw.tensor(-1.0)), a[0], b[0])
    same_error(
        lambda fw: fw.nn.functional.cosine_embedding_loss(fw.zeros(3, 4), fw.zeros(3, 4), fw.ones(3, 1))
    )
    same_error(lambda fw: fw.nn.functional.cosine_embedding_loss(fw.zeros(3, 4), fw.zeros(3, 4), fw.ones(())))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("p", "swap"), [(2.0, False), (1.0, True), (3.0, False)])
def test_triplet_losses(reduction, p, swap):
    a, pos, neg = _arrays((5, 4), (5, 4), (5, 4))
    kw = dict(swap=swap, reduction=reduction)
    same(lambda fw, *t: fw.nn.functional.triplet_margin_loss(*t, margin=2.0, p=p, **kw), a, pos, neg)
    same(lambda fw, *t: fw.nn.TripletMarginLoss(p=p, **kw)(*t), a[0], pos[0], neg[0])
    same(lambda fw, *t: fw.nn.TripletMarginWithDistanceLoss(margin=3.0, **kw)(*t), a, pos, neg)

    def cos_dist(fw):
        return lambda x, y: 1 - fw.nn.functional.cosine_similarity(x, y)

    same(lambda fw, *t: fw.nn.functional.triplet_margin_with_distance_loss(*t, distance_function=cos_dist(fw), **kw),
         a, pos, neg)  # fmt: skip


def test_triplet_errors():
    same_error(lambda fw: fw.nn.functional.triplet_margin_loss(fw.zeros(3, 4), fw.zeros(4), fw.zeros(3, 4)))
    same_error(lambda fw: fw.nn.functional.triplet_margin_with_distance_loss(*[fw.zeros(2, 3)] * 3, margin=0))
    same_error(lambda fw: fw.nn.TripletMarginLoss(margin=0))
    same_error(lambda fw: fw.nn.TripletMarginWithDistanceLoss(margin=-1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_soft_margin_loss(reduction):
    x, w = _arrays((4, 3), (3,))
    y = (RNG.random((4, 3)) < 0.5).astype(np.float32)
    same(lambda fw, a, t: fw.nn.functional.multilabel_soft_margin_loss(a, t, reduction=reduction), x, y)
    same(
        lambda fw, a, t, g: fw.nn.functional.multilabel_soft_margin_loss(a, t, g, reduction=reduction),
        x,
        y,
        w,
    )
    same(lambda fw, a: fw.nn.MultiLabelSoftMarginLoss(fw.tensor(w), reduction=reduction)(a, fw.tensor(y)), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    ("p", "margin", "weighted"), [(1, 1.0, False), (2, 0.5, False), (1, 2.0, True), (2, 1.0, True)]
)
def test_multi_margin_loss(reduction, p, margin, weighted):
    x, w = _arrays((5, 4), (4,))
    t = np.array([0, 3, 1, 1, 2], dtype=np.int64)
    kw = dict(p=p, margin=margin, reduction=reduction)

    def run(fw, a):  # (torch refuses a weight that requires grad)
        return fw.nn.functional.multi_margin_loss(
            a, fw.tensor(t), weight=fw.tensor(w) if weighted else None, **kw
        )

    same(run, x)
    same(lambda fw, a: fw.nn.MultiMarginLoss(**kw)(a, fw.tensor(2)), x[0])  # unbatched


def test_multi_margin_errors():
    same_error(lambda fw: fw.nn.functional.multi_margin_loss(fw.zeros(3, 4), fw.tensor([0, 1, 4])))
    same_error(lambda fw: fw.nn.functional.multi_margin_loss(fw.zeros(3, 4), fw.tensor([0, 1, 2]), p=3))
    same_error(
        lambda fw: fw.nn.functional.multi_margin_loss(
            fw.zeros(3, 4), fw.tensor([0, 1, 2]), weight=fw.ones(2, 2)
        )
    )
    same_error(lambda fw: fw.nn.MultiMarginLoss(p=3))
    same_error(lambda fw: fw.nn.MultiMarginLoss(weight=fw.ones(2, 2)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss(reduction):
    (x,) = _arrays((3, 4))
    t = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [1, 1, -1, -1]], dtype=np.int64)
    same(lambda fw, a: fw.nn.functional.multilabel_margin_loss(a, fw.tensor(t), reduction=reduction), x)
    same(lambda fw, a: fw.nn.MultiLabelMarginLoss(reduction=reduction)(a, fw.tensor(t[0])), x[0])
    same_error(lambda fw: fw.nn.functional.multilabel_margin_loss(fw.zeros(3, 4), fw.tensor([0, 1, 2])))
    same_error(lambda fw: fw.nn.functional.multilabel_margin_loss(fw.zeros(1, 4), fw.tensor([[0, 1, -1, 5]])))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("log_input", "full"), [(True, False), (False, False), (True, True), (False, True)])
def test_poisson_nll_loss(reduction, log_input, full):
    (x,) = _arrays((4, 3))
    x = x if log_input else np.abs(x) + 0.1
    t = RNG.poisson(2.0, (4, 3)).astype(np.float32)
    kw = dict(log_input=log_input, full=full, reduction=reduction)
    same(lambda fw, a, b: fw.nn.functional.poisson_nll_loss(a, b, **kw), x, t)
    same(lambda fw, a: fw.nn.PoissonNLLLoss(**kw)(a, fw.tensor(t)), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", [(4, 3), (4,), (4, 1), (1, 3)])
def test_gaussian_nll_loss(reduction, var_shape):
    x, t, v = _arrays((4, 3), (4, 3), var_shape)
    v = np.abs(v) + 0.05
    v.reshape(-1)[0] = 1e-9  # clamped at eps for the value, not for the gradient (torch's no_grad clamp)
    same(
        lambda fw, a, b, s: fw.nn.functional.gaussian_nll_loss(a, b, s, reduction=reduction),
        x,
        t,
        v,
        tol=1e-4,
    )
    same(
        lambda fw, a, b, s: fw.nn.GaussianNLLLoss(full=True, eps=1e-3, reduction=reduction)(a, b, s), x, t, v
    )
    same(lambda fw, a, b: fw.nn.functional.gaussian_nll_loss(a, b, 0.5, reduction=reduction), x, t)


def test_gaussian_nll_errors():
    same_error(lambda fw: fw.nn.functional.gaussian_nll_loss(fw.zeros(3, 4), fw.zeros(3, 4), fw.ones(3, 2)))
    same_error(lambda fw: fw.nn.functional.gaussian_nll_loss(fw.zeros(3, 4), fw.zeros(3, 4), -fw.ones(3, 4)))
    same_error(
        lambda fw: fw.nn.functional.gaussian_nll_loss(fw.zeros(3), fw.zeros(3), fw.ones(3), reduction="x")
    )
    same_error(lambda fw: fw.nn.functional.poisson_nll_loss(fw.zeros(3), fw.zeros(3), reduction="x"))
    same_error(lambda fw: fw.nn.functional.margin_ranking_loss(fw.zeros(3), fw.zeros(3, 1), fw.ones(3)))

"""nn.utils.rnn (pad_sequence, pack_padded_sequence, pad_packed_sequence, pack_sequence,
unpack_sequence, unpad_sequence, PackedSequence), the recurrent layers on packed input,
nn.utils.parameters_to_vector / vector_to_parameters, and the samplers WeightedRandomSampler
and SubsetRandomSampler: values, gradients and errors against torch."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn
import pyneuro.utils.data as pn_data
from pyneuro.nn.utils import clip_grad_norm_, parameters_to_vector, vector_to_parameters
from pyneuro.nn.utils import rnn as pn_rnn

torch = pytest.importorskip("torch")
t_rnn = torch.nn.utils.rnn

RTOL, ATOL = 1e-4, 1e-5
H_IN, H = 3, 4
LENGTHS = [2, 5, 3, 5, 1]  # unsorted, with a tie


def _rnn(fw):
    return pn_rnn if fw is pn else t_rnn


def _seqs(lengths=LENGTHS, features=(H_IN,), seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n, *features)).astype(dtype) for n in lengths]


def _np(x):
    return x.detach().cpu().numpy()


def _same_error(call):
    """call(fw) raises under both frameworks: pyneuro's error is an instance of torch's type,
    with the same message."""
    with pytest.raises(Exception) as t_err:
        call(torch)
    with pytest.raises(type(t_err.value)) as p_err:
        call(pn)
    assert str(p_err.value) == str(t_err.value)
    return p_err.value


def _grads_of(arrays, fn):
    """For pyneuro and torch: fn(fw, inputs) -> list of outputs; returns, per framework,
    (outputs, gradients of sum(out * fixed weights) w.r.t. the inputs)."""
    results, weights = [], None
    rng = np.random.default_rng(5)
    for fw in (pn, torch):
        ins = [fw.tensor(a, requires_grad=True) for a in arrays]
        outs = fn(fw, ins)
        if weights is None:
            weights = [rng.standard_normal(tuple(o.shape)).astype(np.float32) for o in outs]
        sum((o * fw.tensor(w)).sum() for o, w in zip(outs, weights)).backward()
        results.append(([_np(o) for o in outs], [_np(i.grad) for i in ins]))
    return results


def _assert_close_lists(a, b, exact=False):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.shape == y.shape
        if exact:
            np.testing.assert_array_equal(x, y)
        else:
            np.testing.assert_allclose(x, y, rtol=RTOL, atol=ATOL)


# ----------------------------------------------------------------------------- pad_sequence
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("padding_value", [0.0, -2.5])
def test_pad_sequence_matches_torch(batch_first, padding_side, padding_value):
    seqs = _seqs(features=(2, 3))
    (po, pg), (to, tg) = _grads_of(
        seqs,
        lambda fw, ins: [
            _rnn(fw).pad_sequence(
                ins, batch_first=batch_first, padding_value=padding_value, padding_side=padding_side
            )
        ],
    )
    _assert_close_lists(po, to, exact=True)
    _assert_close_lists(pg, tg, exact=True)


def test_pad_sequence_dtypes_tuples_and_broadcast():
    ints = [[1, 2], [3], [4, 5, 6]]
    for kw in ({}, {"padding_value": -1.5}, {"batch_first": True, "padding_side": "left"}):
        p = pn_rnn.pad_sequence([pn.tensor(v) for v in ints], **kw)
        t = t_rnn.pad_sequence([torch.tensor(v) for v in ints], **kw)
        assert p.dtype == pn.int64
        np.testing.assert_array_equal(p.numpy(), t.numpy())
    # the first sequence's dtype wins; a tuple, a generator and a 2-D tensor (its rows) are sequences
    mixed = [np.ones((2, 3), np.float32), np.full((3, 3), 2.0)]
    p = pn_rnn.pad_sequence(tuple(pn.tensor(a) for a in mixed))
    t = t_rnn.pad_sequence(tuple(torch.tensor(a) for a in mixed))
    assert p.dtype == pn.float32 and t.dtype == torch.float32
    np.testing.assert_array_equal(p.numpy(), t.numpy())
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(
        pn_rnn.pad_sequence(pn.tensor(x)).numpy(), t_rnn.pad_sequence(torch.tensor(x)).numpy()
    )
    # trailing dims of size 1 broadcast, as torch's copy does
    b = [np.ones((2, 3), np.float32), np.arange(3, dtype=np.float32).reshape(3, 1)]
    np.testing.assert_array_equal(
        pn_rnn.pad_sequence([pn.tensor(a) for a in b]).numpy(),
        t_rnn.pad_sequence([torch.tensor(a) for a in b]).numpy(),
    )


# ----------------------------------------------------------------------------- packing
def _check_packed(p, t):
    np.testing.assert_array_equal(_np(p.data), _np(t.data))
    np.testing.assert_array_equal(p.batch_sizes.numpy(), t.batch_sizes.numpy())
    assert p.batch_sizes.dtype == pn.int64
    for a, b in ((p.sorted_indices, t.sorted_indices), (p.unsorted_indices, t.unsorted_indices)):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.dtype == pn.int64
            np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize(
    "lengths", [[5, 5, 3, 2, 1], LENGTHS, [1, 1, 2, 2, 3, 3, 1, 2, 3, 1, 2, 3, 3, 1, 2, 1]]
)
@pytest.mark.parametrize("as_tensor", [False, True])
def test_pack_padded_sequence_matches_torch(batch_first, lengths, as_tensor):
    sorted_ = lengths == sorted(lengths, reverse=True)
    padded = t_rnn.pad_sequence([torch.tensor(s) for s in _seqs(lengths)], batch_first=batch_first).numpy()
    for enforce_sorted in [False, True] if sorted_ else [False]:
        packs = []
        for fw in (pn, torch):
            lens = fw.tensor(lengths) if as_tensor else list(lengths)
            packs.append(
                _rnn(fw).pack_padded_sequence(
                    fw.tensor(padded), lens, batch_first=batch_first, enforce_sorted=enforce_sorted
                )
            )
        p, t = packs
        assert isinstance(p, pn_rnn.PackedSequence) and isinstance(p, tuple)
        _check_packed(p, t)
        for kw in ({}, {"batch_first": not batch_first, "padding_value": 9.0, "total_length": 7}):
            (pp, pl), (tp, tl) = pn_rnn.pad_packed_sequence(p, **kw), t_rnn.pad_packed_sequence(t, **kw)
            np.testing.assert_array_equal(pp.numpy(), tp.numpy())
            np.testing.assert_array_equal(pl.numpy(), tl.numpy())
            assert pl.dtype == pn.int64 and pl.device == "cpu"
        # the round trip gives the input back
        np.testing.assert_array_equal(pn_rnn.pad_packed_sequence(p, batch_first)[0].numpy(), padded)


def test_pack_sequence_unpack_and_unpad_match_torch():
    seqs = _seqs(features=(2,))
    p = pn_rnn.pack_sequence([pn.tensor(s) for s in seqs], enforce_sorted=False)
    t = t_rnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    _check_packed(p, t)
    for a, b in zip(pn_rnn.unpack_sequence(p), seqs):
        np.testing.assert_array_equal(a.numpy(), b)
    ordered = sorted(seqs, key=len, reverse=True)
    _check_packed(
        pn_rnn.pack_sequence([pn.tensor(s) for s in ordered]),
        t_rnn.pack_sequence([torch.tensor(s) for s in ordered]),
    )
    for batch_first in (False, True):
        padded = t_rnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first=batch_first).numpy()
        for lengths in (LENGTHS, pn.tensor(LENGTHS)):
            ours = pn_rnn.unpad_sequence(pn.tensor(padded), lengths, batch_first=batch_first)
            theirs = t_rnn.unpad_sequence(
                torch.tensor(padded), torch.tensor(LENGTHS), batch_first=batch_first
            )
            _assert_close_lists([a.numpy() for a in ours], [b.numpy() for b in theirs], exact=True)


@pytest.mark.parametrize("batch_first", [False, True])
def test_gradients_through_pack_and_pad_match_torch(batch_first):
    padded = t_rnn.pad_sequence([torch.tensor(s) for s in _seqs()], batch_first=batch_first).numpy()

    def fn(fw, ins):
        rnn = _rnn(fw)
        packed = rnn.pack_padded_sequence(ins[0] * 2, LENGTHS, batch_first=batch_first, enforce_sorted=False)
        out, _ = rnn.pad_packed_sequence(packed, batch_first=batch_first, padding_value=-1.0, total_length=6)
        return [out, packed.data]

    (po, pg), (to, tg) = _grads_of([padded], fn)
    _assert_close_lists(po, to)
    _assert_close_lists(pg, tg)
    # through pack_sequence / unpack_sequence too, each sequence its own leaf
    (po, pg), (to, tg) = _grads_of(
        _seqs(),
        lambda fw, ins: _rnn(fw).unpack_sequence(_rnn(fw).pack_sequence(ins, enforce_sorted=False)),
    )
    _assert_close_lists(po, to)
    _assert_close_lists(pg, tg)


def test_packed_sequence_is_torchs_namedtuple():
    seqs = _seqs(features=(2,))
    p = pn_rnn.pack_sequence([pn.tensor(s) for s in seqs], enforce_sorted=False)
    assert p._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    data, batch_sizes, sorted_indices, unsorted_indices = p
    assert data is p.data and batch_sizes is p.batch_sizes
    assert repr(p).startswith("PackedSequence(data=tensor(")
    q = pn_rnn.PackedSequence(p.data, p.batch_sizes, p.sorted_indices)  # unsorted_indices computed
    np.testing.assert_array_equal(q.unsorted_indices.numpy(), p.unsorted_indices.numpy())
    r = pn_rnn.PackedSequence((p.data, p.batch_sizes))
    assert r.sorted_indices is None and r.unsorted_indices is None
    assert p.to(pn.float32) is p and p.float() is p and not p.is_cuda
    d = p.double()
    assert isinstance(d, pn_rnn.PackedSequence) and d.data.dtype == pn.float64
    assert d.batch_sizes is p.batch_sizes
    np.testing.assert_array_equal(d.data.numpy(), p.data.numpy())
    perm = pn.tensor([2, 0, 3, 1])
    np.testing.assert_array_equal(
        pn_rnn.invert_permutation(perm).numpy(), t_rnn.invert_permutation(torch.tensor([2, 0, 3, 1])).numpy()
    )
    assert pn_rnn.invert_permutation(None) is None


def _pad_args(fw):
    return fw.zeros(3, 2, 5)


@pytest.mark.parametrize(
    "call",
    [
        lambda fw: _rnn(fw).pack_padded_sequence(_pad_args(fw), [2, 3]),
        lambda fw: _rnn(fw).pack_padded_sequence(_pad_args(fw), [3, 0]),
        lambda fw: _rnn(fw).pack_padded_sequence(_pad_args(fw), [3, -1], enforce_sorted=False),
        lambda fw: _rnn(fw).pack_padded_sequence(_pad_args(fw), [3]),
        lambda fw: _rnn(fw).pack_padded_sequence(_pad_args(fw), [3, 2, 1], enforce_sorted=False),
        lambda fw: _rnn(fw).pack_padded_sequence(_pad_args(fw), fw.tensor([[3, 2]])),
        lambda fw: _rnn(fw).pack_padded_sequence(_pad_args(fw), [[3, 2]]),
        lambda fw: _rnn(fw).pack_padded_sequence(fw.zeros(0, 2), [1, 1]),
        lambda fw: _rnn(fw).pack_padded_sequence(fw.zeros(3), [3]),
        lambda fw: _rnn(fw).pack_padded_sequence(fw.zeros(3), [3], batch_first=True),
        lambda fw: _rnn(fw).pack_sequence([fw.zeros(2, 2), fw.zeros(3, 2)]),
        lambda fw: _rnn(fw).pack_sequence([]),
        lambda fw: _rnn(fw).pad_sequence([]),
        lambda fw: _rnn(fw).pad_sequence(5),
        lambda fw: _rnn(fw).pad_sequence([1, 2]),
        lambda fw: _rnn(fw).pad_sequence([fw.zeros(2, 3), fw.zeros(3, 4)]),
        lambda fw: _rnn(fw).pad_sequence([fw.zeros(2, 3), fw.zeros(3, 3, 1)]),
        lambda fw: _rnn(fw).pad_sequence([fw.zeros(2, 1), fw.zeros(3, 3)]),
        lambda fw: _rnn(fw).pad_sequence([fw.zeros(2, 3)], padding_side="middle"),
        lambda fw: _rnn(fw).pad_packed_sequence(
            _rnn(fw).pack_sequence([fw.zeros(3, 2), fw.zeros(2, 2)]), total_length=2
        ),
    ],
)
def test_errors_match_torch(call):
    _same_error(call)


def test_pyneuro_only_errors():
    with pytest.raises(RuntimeError, match="longer than the padded input"):  # torch reads past the end
        pn_rnn.pack_padded_sequence(pn.zeros(3, 2), [4, 3])
    with pytest.raises(RuntimeError, match="at least one dimension"):
        pn_rnn.pad_sequence([pn.zeros(()), pn.zeros(())])
    with pytest.raises(ValueError, match="batch_sizes should always be on CPU"):
        pn_rnn.PackedSequence(pn.zeros(3), type("Fake", (), {"device": "cuda:0"})())


# ----------------------------------------------------------------------------- RNNs on packed input
def _pair(kind, **kwargs):
    t = getattr(torch.nn, kind)(H_IN, H, **kwargs)
    p = getattr(pn.nn, kind)(H_IN, H, **kwargs)
    p.load_state_dict({k: pn.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return p, t


RNN_CONFIGS = [
    {},
    {"num_layers": 2, "bidirectional": True},
    {"num_layers": 2, "bidirectional": True, "batch_first": True},
    {"bidirectional": True, "bias": False},
]


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize(
    ("kind", "kind_kw"),
    [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("GRU", {}), ("LSTM", {}), ("LSTM", {"proj_size": 2})],
    ids=lambda v: str(v),
)
@pytest.mark.parametrize(
    "config", RNN_CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "default"
)
@pytest.mark.parametrize("with_h0", [False, True], ids=["no_h0", "h0"])
@pytest.mark.parametrize("enforce_sorted", [False, True], ids=["unsorted", "sorted"])
def test_recurrent_layers_on_packed_input_match_torch(kind, kind_kw, config, with_h0, enforce_sorted):
    p, t = _pair(kind, **kind_kw, **config)
    lstm = kind == "LSTM"
    lengths = sorted(LENGTHS, reverse=True) if enforce_sorted else LENGTHS
    batch_first = config.get("batch_first", False)
    padded = t_rnn.pad_sequence([torch.tensor(s) for s in _seqs(lengths)], batch_first=batch_first).numpy()
    states = config.get("num_layers", 1) * (2 if config.get("bidirectional") else 1)
    rng = np.random.default_rng(1)
    h_out = kind_kw.get("proj_size") or H
    arrays = [padded]
    if with_h0:
        arrays.append(rng.standard_normal((states, len(lengths), h_out)).astype(np.float32))
        if lstm:
            arrays.append(rng.standard_normal((states, len(lengths), H)).astype(np.float32))
    results, weights = [], None
    wrng = np.random.default_rng(3)
    for fw, m in ((pn, p), (torch, t)):
        ins = [fw.tensor(a, requires_grad=True) for a in arrays]
        packed = _rnn(fw).pack_padded_sequence(
            ins[0], lengths, batch_first=batch_first, enforce_sorted=enforce_sorted
        )
        hx = None if not with_h0 else (tuple(ins[1:]) if lstm else ins[1])
        out, h = m(packed) if hx is None else m(packed, hx)
        assert type(out).__name__ == "PackedSequence"
        padded_out, out_lengths = _rnn(fw).pad_packed_sequence(out, batch_first=batch_first)
        outs = [out.data, padded_out, *(h if lstm else (h,))]
        if weights is None:
            weights = [wrng.standard_normal(tuple(o.shape)).astype(np.float32) for o in outs]
        sum((o * fw.tensor(w)).sum() for o, w in zip(outs, weights)).backward()
        results.append(
            (
                [_np(o) for o in outs],
                [_np(i.grad) for i in ins],
                {n: _np(q.grad) for n, q in m.named_parameters()},
                [out.batch_sizes.numpy(), out_lengths.numpy()]
                + [x.numpy() for x in (out.sorted_indices, out.unsorted_indices) if x is not None],
            )
        )
    (po, pg, pp, pi), (to, tg, tp, ti) = results
    _assert_close_lists(po, to)
    _assert_close_lists(pg, tg)
    _assert_close_lists(pi, ti, exact=True)
    assert list(pp) == list(tp)
    for name in tp:
        np.testing.assert_allclose(pp[name], tp[name], rtol=RTOL, atol=ATOL, err_msg=name)


def test_packed_input_errors_match_torch():
    def packed(fw, features=2, dtype=None):
        seqs = [fw.zeros(3, features, dtype=dtype), fw.zeros(2, features, dtype=dtype)]
        return _rnn(fw).pack_sequence(seqs)

    _same_error(lambda fw: fw.nn.GRU(2, 3)(packed(fw), fw.zeros(1, 3, 3)))
    _same_error(lambda fw: fw.nn.GRU(2, 3)(packed(fw, 4)))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size \(1, 2, 3\), got \[1, 2, 4\]"):
        pn.nn.LSTM(2, 3)(packed(pn), (pn.zeros(1, 2, 3), pn.zeros(1, 2, 4)))  # torch: a cryptic message
    with pytest.raises(ValueError, match=r"RNN input dtype \(pyneuro.float64\) does not match weight dtype"):
        pn.nn.RNN(2, 3)(packed(pn, dtype=pn.float64))
    # torch's own PackedSequence is not pyneuro's: a TypeError that says so
    with pytest.raises(TypeError, match="PackedSequence"):
        pn.nn.GRU(2, 3)(packed(torch))


def test_packed_gru_trains_like_a_padded_one():
    """The packed run equals running each sequence alone (its own length, no padding)."""
    pn.manual_seed(0)
    gru = pn.nn.GRU(H_IN, H, bidirectional=True)
    seqs = [pn.tensor(s) for s in _seqs()]
    out, h_n = gru(pn_rnn.pack_sequence(seqs, enforce_sorted=False))
    outs = pn_rnn.unpack_sequence(out)
    for i, s in enumerate(seqs):
        alone, h_alone = gru(s.unsqueeze(1))
        np.testing.assert_allclose(_np(outs[i]), _np(alone[:, 0]), rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(_np(h_n[:, i]), _np(h_alone[:, 0]), rtol=RTOL, atol=ATOL)


# ----------------------------------------------------------------------------- nn.utils
def test_nn_utils_package_keeps_its_exports():
    assert pn.nn.utils.clip_grad_norm_ is clip_grad_norm_
    assert pn.nn.utils.clip_grad_value_ is not None
    assert pn.nn.utils.rnn is pn_rnn
    assert pn.nn.utils.rnn.PackedSequence is pn_rnn.PackedSequence


def test_parameters_to_vector_and_back_match_torch():
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    p = pn.nn.Sequential(pn.nn.Linear(3, 4), pn.nn.Tanh(), pn.nn.Linear(4, 2))
    p.load_state_dict({k: pn.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    pv, tv = parameters_to_vector(p.parameters()), torch.nn.utils.parameters_to_vector(t.parameters())
    np.testing.assert_array_equal(_np(pv), _np(tv))
    (pv * pn.arange(pv.numel(), dtype=pn.float32)).sum().backward()
    (tv * torch.arange(tv.numel(), dtype=torch.float32)).sum().backward()
    for a, b in zip(p.parameters(), t.parameters()):
        np.testing.assert_array_equal(_np(a.grad), _np(b.grad))
    new = np.linspace(-1, 1, pv.numel()).astype(np.float32)
    vector_to_parameters(pn.tensor(new), p.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), t.parameters())
    for (na, a), (nb, b) in zip(p.named_parameters(), t.named_parameters()):
        assert na == nb and isinstance(a, pn.nn.Parameter)
        np.testing.assert_array_equal(_np(a), _np(b))
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(_np(p(pn.tensor(x))), _np(t(torch.tensor(x))), rtol=RTOL, atol=ATOL)
    _same_error(lambda fw: fw.nn.utils.vector_to_parameters([1.0, 2.0], fw.nn.Linear(1, 1).parameters()))


# ----------------------------------------------------------------------------- samplers
def test_weighted_random_sampler_with_replacement_follows_the_weights():
    weights = [0.5, 0.0, 2.0, 1.0, 1.5]
    s = pn_data.WeightedRandomSampler(weights, 50_000, generator=pn.Generator().manual_seed(0))
    assert len(s) == 50_000 and s.replacement
    draws = list(s)
    assert len(draws) == 50_000 and all(isinstance(i, int) for i in draws[:10])
    freq = np.bincount(draws, minlength=5) / len(draws)
    expected = np.array(weights) / sum(weights)
    assert freq[1] == 0
    np.testing.assert_allclose(freq, expected, atol=0.01)
    assert s.weights.dtype == pn.float64 and tuple(s.weights.shape) == (5,)


def test_weighted_random_sampler_without_replacement():
    weights = pn.tensor([1.0, 0.0, 8.0, 1.0, 0.0, 2.0])
    s = pn_data.WeightedRandomSampler(weights, 4, replacement=False, generator=pn.Generator().manual_seed(1))
    firsts = []
    for _ in range(4000):
        draw = list(s)
        assert len(draw) == 4 and len(set(draw)) == 4
        assert set(draw) == {0, 2, 3, 5}  # every positive weight before any zero one
        firsts.append(draw[0])
    # the first draw is proportional to the weights
    np.testing.assert_allclose(
        np.bincount(firsts, minlength=6) / 4000, np.array([1, 0, 8, 1, 0, 2]) / 12, atol=0.03
    )
    # all six (zero weights last), as torch, which also draws zero-weight indices once the rest run out
    for fw in (pn, torch):
        sampler = fw.utils.data.WeightedRandomSampler([1.0, 0.0, 3.0], 3, replacement=False)
        draw = list(sampler)
        assert sorted(draw) == [0, 1, 2] and draw[2] == 1


def test_weighted_random_sampler_is_seeded():
    def draws(**kw):
        return list(pn_data.WeightedRandomSampler([1.0, 2.0, 3.0, 4.0], kw.pop("n", 20), **kw))

    assert draws(generator=pn.Generator().manual_seed(3)) == draws(generator=pn.Generator().manual_seed(3))
    pn.manual_seed(11)
    a = draws() + draws(n=3, replacement=False)
    pn.manual_seed(11)
    assert draws() + draws(n=3, replacement=False) == a
    s = pn_data.WeightedRandomSampler([1.0, 2.0, 3.0, 4.0], 20, generator=pn.Generator().manual_seed(3))
    assert list(s) != list(s)  # a fresh draw every epoch


@pytest.mark.parametrize(
    "call",
    [
        lambda fw: fw.utils.data.WeightedRandomSampler([[1.0]], 2),
        lambda fw: fw.utils.data.WeightedRandomSampler(5.0, 2),
        lambda fw: fw.utils.data.WeightedRandomSampler([1.0], 0),
        lambda fw: fw.utils.data.WeightedRandomSampler([1.0], -3),
        lambda fw: fw.utils.data.WeightedRandomSampler([1.0], 2.0),
        lambda fw: fw.utils.data.WeightedRandomSampler([1.0], True),
        lambda fw: fw.utils.data.WeightedRandomSampler([1.0], 2, replacement=1),
        lambda fw: list(fw.utils.data.WeightedRandomSampler([0.1, 0.0, 0.5], 4, replacement=False)),
        lambda fw: list(fw.utils.data.WeightedRandomSampler([1.0, -1.0], 2)),
        lambda fw: list(fw.utils.data.WeightedRandomSampler([0.0, 0.0], 2)),
        lambda fw: list(fw.utils.data.WeightedRandomSampler([float("nan"), 1.0], 2)),
        lambda fw: list(fw.utils.data.WeightedRandomSampler([float("inf"), 1.0], 2)),
        lambda fw: list(fw.utils.data.WeightedRandomSampler([1.0, float("inf"), -1.0], 2)),
        lambda fw: list(fw.utils.data.WeightedRandomSampler([1.0, -1.0], 1)),
        lambda fw: list(fw.utils.data.WeightedRandomSampler([float("nan"), 1.0], 2, replacement=False)),
        lambda fw: list(fw.utils.data.WeightedRandomSampler([-1.0, 1.0], 3, replacement=False)),
        lambda fw: len(fw.utils.data.SubsetRandomSampler(5)),
    ],
)
def test_sampler_errors_match_torch(call):
    _same_error(call)


def test_subset_random_sampler():
    indices = [3, 10, 7, 42, 0]
    s = pn_data.SubsetRandomSampler(indices, generator=pn.Generator().manual_seed(0))
    assert len(s) == 5 and s.indices is indices
    orders = [list(s) for _ in range(200)]
    assert all(sorted(o) == sorted(indices) for o in orders)
    assert len({tuple(o) for o in orders}) > 50  # a fresh permutation every epoch
    firsts = np.array([o[0] for o in orders])
    assert all(np.mean(firsts == i) > 0.08 for i in indices)  # each index first ~1/5 of the time
    g1, g2 = pn.Generator().manual_seed(4), pn.Generator().manual_seed(4)
    assert list(pn_data.SubsetRandomSampler(range(20), g1)) == list(
        pn_data.SubsetRandomSampler(range(20), g2)
    )
    assert list(pn_data.SubsetRandomSampler([], g1)) == []


def _dataset(n=10):
    return pn_data.TensorDataset(pn.arange(n, dtype=pn.float32).reshape(n, 1), pn.arange(n))


class _ListDataset(pn_data.Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return pn.tensor([float(i)]), i


@pytest.mark.parametrize("dataset", [_dataset, _ListDataset], ids=["tensor_dataset", "item_dataset"])
def test_samplers_inside_a_data_loader(dataset):
    ds = dataset()
    sampler = pn_data.WeightedRandomSampler(
        [0.0] * 5 + [1.0] * 5, 12, generator=pn.Generator().manual_seed(2)
    )
    loader = pn_data.DataLoader(ds, batch_size=5, sampler=sampler)
    assert len(loader) == 3
    labels = [y.tolist() for _, y in loader]
    assert [len(b) for b in labels] == [5, 5, 2]
    assert all(5 <= i < 10 for b in labels for i in b)
    for x, y in loader:
        np.testing.assert_array_equal(x.numpy()[:, 0], y.numpy().astype(np.float32))
    # without replacement: a permutation of the positive-weight indices
    loader = pn_data.DataLoader(
        ds,
        batch_size=4,
        sampler=pn_data.WeightedRandomSampler([1.0] * 10, 10, replacement=False, generator=pn.Generator()),
    )
    assert sorted(i for _, y in loader for i in y.tolist()) == list(range(10))
    subset = pn_data.SubsetRandomSampler([1, 3, 5, 7], generator=pn.Generator().manual_seed(0))
    loader = pn_data.DataLoader(ds, batch_size=3, sampler=subset, drop_last=True)
    assert len(loader) == 1
    (batch,) = [y.tolist() for _, y in loader]
    assert len(batch) == 3 and set(batch) <= {1, 3, 5, 7}
    assert {"WeightedRandomSampler", "SubsetRandomSampler"} <= set(pn.data.__all__)

"""nn.RNN, GRU, LSTM and their cells against torch: outputs, states, gradients, state dicts,
reprs, errors, and the course's u13n2 GRU snippet."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-4, 1e-5
L, N, H_IN, H = 6, 3, 4, 5


def _flat(x):
    if isinstance(x, (tuple, list)):
        return [t for item in x for t in _flat(item)]
    return [x]


def _pair(cls_name, *args, **kwargs):
    """The same layer in pyneuro and torch, torch's parameters copied into pyneuro's."""
    t = getattr(torch.nn, cls_name)(*args, **kwargs)
    p = getattr(pn.nn, cls_name)(*args, **kwargs)
    p.load_state_dict({k: pn.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return p, t


def _run_both(p, t, arrays, call):
    """call(fw, module, tensors) -> outputs; returns both frameworks' outputs and the gradients
    of sum(out * fixed weights) w.r.t. the input tensors and every parameter."""
    results = []
    rng = np.random.default_rng(7)
    weights = None
    for fw, m in ((pn, p), (torch, t)):
        ins = [None if a is None else fw.tensor(a, requires_grad=True) for a in arrays]
        outs = _flat(call(fw, m, ins))
        if weights is None:
            weights = [rng.standard_normal(tuple(o.shape)).astype(np.float32) for o in outs]
        loss = sum((o * fw.tensor(w)).sum() for o, w in zip(outs, weights))
        loss.backward()
        grads = [None if i is None else i.grad.numpy() for i in ins]
        pgrads = {n: q.grad.numpy() for n, q in m.named_parameters()}
        results.append(([o.detach().numpy() for o in outs], grads, pgrads))
    (po, pg, pp), (to, tg, tp) = results
    assert len(po) == len(to)
    for a, b in zip(po, to):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
    for a, b in zip(pg, tg):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
    assert list(pp) == list(tp)
    for name in tp:
        np.testing.assert_allclose(pp[name], tp[name], rtol=RTOL, atol=ATOL, err_msg=name)


KINDS = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("GRU", {}), ("LSTM", {})]
CONFIGS = [
    {},
    {"num_layers": 2},
    {"bidirectional": True},
    {"batch_first": True},
    {"bias": False},
    {"num_layers": 2, "bidirectional": True, "batch_first": True},
    {"num_layers": 3, "bias": False, "bidirectional": True},
]


@pytest.mark.parametrize(("kind", "kind_kw"), KINDS, ids=lambda v: str(v))
@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "default"
)
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("with_h0", [False, True], ids=["no_h0", "h0"])
def test_sequence_layers_match_torch(kind, kind_kw, config, batched, with_h0):
    p, t = _pair(kind, H_IN, H, **kind_kw, **config)
    _check_sequence_layer(p, t, kind == "LSTM", config, batched, with_h0)


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize(
    "config",
    [{"proj_size": 3}, {"proj_size": 2, "num_layers": 2, "bidirectional": True, "batch_first": True}],
)
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("with_h0", [False, True], ids=["no_h0", "h0"])
def test_lstm_projection_matches_torch(config, batched, with_h0):
    p, t = _pair("LSTM", H_IN, H, **config)
    _check_sequence_layer(p, t, True, config, batched, with_h0)


def _check_sequence_layer(p, t, lstm, config, batched, with_h0):
    rng = np.random.default_rng(0)
    dirs = 2 if config.get("bidirectional") else 1
    states = config.get("num_layers", 1) * dirs
    shape = ((N, L) if config.get("batch_first") else (L, N)) if batched else (L,)
    x = rng.standard_normal(shape + (H_IN,)).astype(np.float32)
    batch = (N,) if batched else ()
    h_out = config.get("proj_size") or H
    h0 = rng.standard_normal((states, *batch, h_out)).astype(np.float32) if with_h0 else None
    c0 = rng.standard_normal((states, *batch, H)).astype(np.float32) if with_h0 and lstm else None

    def call(fw, m, ins):
        xi, hi, ci = ins
        if hi is None:
            return m(xi)
        return m(xi, (hi, ci)) if lstm else m(xi, hi)

    _run_both(p, t, [x, h0, c0], call)


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_every_cpu_backend(backend_name, kind):
    """The layers are plain tensor ops, so each CPU backend's kernels give torch's numbers."""
    config = {"num_layers": 2, "bidirectional": True, "batch_first": True}
    p, t = _pair(kind, H_IN, H, **config)
    _check_sequence_layer(p, t, kind == "LSTM", config, True, True)


@pytest.mark.parametrize(
    ("kind", "kw"),
    [
        ("RNNCell", {}),
        ("RNNCell", {"nonlinearity": "relu"}),
        ("RNNCell", {"bias": False}),
        ("GRUCell", {}),
        ("GRUCell", {"bias": False}),
        ("LSTMCell", {}),
        ("LSTMCell", {"bias": False}),
    ],
    ids=lambda v: str(v),
)
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("with_h", [False, True], ids=["no_h", "h"])
def test_cells_match_torch(kind, kw, batched, with_h):
    p, t = _pair(kind, H_IN, H, **kw)
    lstm = kind == "LSTMCell"
    rng = np.random.default_rng(1)
    batch = (N,) if batched else ()
    x = rng.standard_normal((*batch, H_IN)).astype(np.float32)
    h = rng.standard_normal((*batch, H)).astype(np.float32) if with_h else None
    c = rng.standard_normal((*batch, H)).astype(np.float32) if with_h and lstm else None

    def call(fw, m, ins):
        xi, hi, ci = ins
        if hi is None:
            return m(xi)
        return m(xi, (hi, ci)) if lstm else m(xi, hi)

    _run_both(p, t, [x, h, c], call)


def test_cell_loop_equals_the_sequence_layer():
    """GRUCell/LSTMCell stepped over time give the one-layer GRU/LSTM's outputs."""
    x = pn.randn(L, N, H_IN)
    for layer_cls, cell_cls in ((pn.nn.GRU, pn.nn.GRUCell), (pn.nn.LSTM, pn.nn.LSTMCell)):
        layer, cell = layer_cls(H_IN, H), cell_cls(H_IN, H)
        cell.load_state_dict({k[: -len("_l0")]: v for k, v in layer.state_dict().items()})
        out, _ = layer(x)
        state = None
        for step in range(L):
            state = cell(x[step], state)
            h = state[0] if isinstance(state, tuple) else state
            np.testing.assert_allclose(h.detach().numpy(), out[step].detach().numpy(), rtol=1e-5, atol=1e-6)


STATE_CONFIGS = [
    ("RNN", {}),
    ("RNN", {"num_layers": 2, "bidirectional": True, "nonlinearity": "relu"}),
    ("GRU", {"num_layers": 3, "bias": False}),
    ("GRU", {"bidirectional": True}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True}),
    ("LSTM", {"proj_size": 3, "bias": False}),
    ("RNNCell", {"bias": False}),
    ("GRUCell", {}),
    ("LSTMCell", {}),
]


@pytest.mark.parametrize(("kind", "kw"), STATE_CONFIGS, ids=lambda v: str(v))
def test_parameters_state_dict_and_all_weights_match_torch(kind, kw):
    p = getattr(pn.nn, kind)(H_IN, H, **kw)
    t = getattr(torch.nn, kind)(H_IN, H, **kw)
    assert [(k, tuple(v.shape)) for k, v in p.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in t.state_dict().items()
    ]
    assert [n for n, _ in p.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert sum(q.numel() for q in p.parameters()) == sum(q.numel() for q in t.parameters())
    p.load_state_dict(t.state_dict())  # torch's tensors load as they are
    for (name, a), b in zip(p.state_dict().items(), t.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    if kind.endswith("Cell"):
        return
    assert [[tuple(w.shape) for w in ws] for ws in p.all_weights] == [
        [tuple(w.shape) for w in ws] for ws in t.all_weights
    ]
    assert p.all_weights[0][0] is p.weight_ih_l0
    assert p.flatten_parameters() is None


def test_parameter_count_and_init():
    def num_parameters(model):
        return sum(p.numel() for p in model.parameters() if p.requires_grad)

    assert num_parameters(pn.nn.GRU(5, 5, batch_first=True)) == 180
    assert num_parameters(pn.nn.LSTM(5, 5)) == num_parameters(torch.nn.LSTM(5, 5)) == 240
    assert num_parameters(pn.nn.RNN(5, 5, 2)) == num_parameters(torch.nn.RNN(5, 5, 2))
    bound = 1 / np.sqrt(7)
    pn.manual_seed(3)
    a = pn.nn.LSTM(4, 7, 2, bidirectional=True)
    pn.manual_seed(3)
    b = pn.nn.LSTM(4, 7, 2, bidirectional=True)
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        arr = p.detach().numpy()
        assert p.requires_grad and p.dtype == pn.float32
        assert np.abs(arr).max() <= bound and arr.std() > bound / 3, name
        np.testing.assert_array_equal(arr, q.detach().numpy())  # pyneuro's RNG, seeded


@pytest.mark.parametrize(
    "build",
    [
        lambda nn: nn.GRU(5, 5, batch_first=True),
        lambda nn: nn.RNN(3, 4),
        lambda nn: nn.RNN(3, 4, nonlinearity="relu"),
        lambda nn: nn.RNN(3, 4, 2, bias=False, dropout=0.5, bidirectional=True),
        lambda nn: nn.LSTM(3, 4, proj_size=2, batch_first=True),
        lambda nn: nn.LSTM(3, 4, num_layers=2, dropout=0.25),
        lambda nn: nn.RNNCell(3, 4),
        lambda nn: nn.RNNCell(3, 4, bias=False, nonlinearity="relu"),
        lambda nn: nn.GRUCell(3, 4),
        lambda nn: nn.LSTMCell(3, 4, bias=False),
        lambda nn: nn.Sequential(nn.Embedding(10, 3), nn.GRU(3, 4)),
    ],
)
def test_repr_matches_torch(build):
    assert repr(build(pn.nn)) == repr(build(torch.nn))


def _same_error(call):
    """call(fw) raises under both frameworks; pyneuro's error is an instance of torch's type
    (so torch-style except clauses catch it) and has the same message."""
    with pytest.raises(Exception) as t_err:
        call(torch)
    with pytest.raises(type(t_err.value)) as p_err:
        call(pn)
    assert str(p_err.value) == str(t_err.value)
    return p_err.value


@pytest.mark.parametrize(
    "call",
    [
        lambda fw: fw.nn.GRU(5, 4)(fw.zeros(3, 2, 4)),
        lambda fw: fw.nn.GRU(5, 4, batch_first=True)(fw.zeros(2, 3, 4)),
        lambda fw: fw.nn.LSTM(5, 4)(fw.zeros(3, 4)),
        lambda fw: fw.nn.GRU(5, 4)(fw.zeros(3, 2, 5), fw.zeros(1, 3, 4)),
        lambda fw: fw.nn.RNN(5, 4, 2)(fw.zeros(3, 2, 5), fw.zeros(1, 2, 4)),
        lambda fw: fw.nn.GRU(5, 4, bidirectional=True)(fw.zeros(3, 5), fw.zeros(2, 3)),
        lambda fw: fw.nn.GRU(5, 4)(fw.zeros(3, 2, 5), fw.zeros(1, 2)),
        lambda fw: fw.nn.RNN(5, 4)(fw.zeros(3, 5), fw.zeros(1, 1, 4)),
        lambda fw: fw.nn.GRU(5, 4)(fw.zeros(3, 2, 2, 5)),
        lambda fw: fw.nn.RNN(5, 4)(fw.zeros(5)),
        lambda fw: fw.nn.LSTM(5, 4)(fw.zeros(3, 2, 2, 5)),
        lambda fw: fw.nn.LSTM(5, 4)(fw.zeros(3, 2, 5), (fw.zeros(1, 2, 4), fw.zeros(1, 2, 3))),
        lambda fw: fw.nn.LSTM(5, 4, proj_size=2)(fw.zeros(3, 2, 5), (fw.zeros(1, 2, 4), fw.zeros(1, 2, 4))),
        lambda fw: fw.nn.LSTM(5, 4)(fw.zeros(3, 2, 5), (fw.zeros(2, 4), fw.zeros(1, 2, 4))),
        lambda fw: fw.nn.LSTM(5, 4)(fw.zeros(3, 5), (fw.zeros(1, 2, 4), fw.zeros(1, 2, 4))),
        lambda fw: fw.nn.GRU(5, 4)(fw.zeros(0, 2, 5)),
        lambda fw: fw.nn.GRUCell(5, 4)(fw.zeros(2, 4)),
        lambda fw: fw.nn.GRUCell(5, 4)(fw.zeros(2, 5), fw.zeros(3, 4)),
        lambda fw: fw.nn.RNNCell(5, 4)(fw.zeros(2, 5), fw.zeros(2, 3)),
        lambda fw: fw.nn.LSTMCell(5, 4)(fw.zeros(2, 5), (fw.zeros(2, 4), fw.zeros(3, 4))),
        lambda fw: fw.nn.LSTMCell(5, 4)(fw.zeros(2, 5), (fw.zeros(2, 4), fw.zeros(2, 3))),
        lambda fw: fw.nn.RNNCell(5, 4)(fw.zeros(1, 1, 5)),
        lambda fw: fw.nn.GRUCell(5, 4)(fw.zeros(5), fw.zeros(1, 1, 4)),
        lambda fw: fw.nn.LSTMCell(5, 4)(fw.zeros(5), (fw.zeros(4), fw.zeros(1, 1, 4))),
        lambda fw: fw.nn.RNNCell(5, 4, nonlinearity="sigmoid")(fw.zeros(2, 5)),
    ],
)
def test_forward_errors_match_torch(call):
    err = _same_error(call)
    if isinstance(err, ValueError):  # pyneuro's shape errors are RuntimeErrors too
        assert isinstance(err, RuntimeError)


@pytest.mark.parametrize(
    "call",
    [
        lambda fw: fw.nn.GRU(5, 4, proj_size=2),
        lambda fw: fw.nn.RNN(5, 4, proj_size=0),
        lambda fw: fw.nn.LSTM(5, 4, proj_size=4),
        lambda fw: fw.nn.LSTM(5, 4, proj_size=-1),
        lambda fw: fw.nn.RNN(5, 4, nonlinearity="sigmoid"),
        lambda fw: fw.nn.RNN(5, 4, dropout=1.5),
        lambda fw: fw.nn.GRU(5, 4, dropout=True),
        lambda fw: fw.nn.GRU(5, 0),
        lambda fw: fw.nn.GRU(0, 3),
        lambda fw: fw.nn.LSTM(5, 3, 0),
        lambda fw: fw.nn.GRU(5.0, 3),
        lambda fw: fw.nn.GRU(5, 3, bias=1),
        lambda fw: fw.nn.GRU(5, 3, batch_first=None),
    ],
)
def test_constructor_errors_match_torch(call):
    _same_error(call)


def test_dropout_warning_dtype_and_packed_sequence():
    for fw in (pn, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fw.nn.GRU(3, 4, dropout=0.2)
        assert [str(w.message) for w in caught] == [
            "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
            "num_layers greater than 1, but got dropout=0.2 and num_layers=1"
        ]
        if fw is pn:  # pointing at the caller (torch's points into its own rnn.py)
            assert caught[0].filename == __file__
    with pytest.raises(
        ValueError, match=r"RNN input dtype \(pyneuro.float64\) does not match weight dtype"
    ) as err:
        pn.nn.GRU(5, 4)(pn.zeros(3, 2, 5, dtype=pn.float64))
    assert isinstance(err.value, TypeError)
    m = pn.nn.LSTM(3, 4, dtype=pn.float64)
    out, (h, c) = m(pn.randn(2, 3, dtype=pn.float64))
    assert out.dtype == h.dtype == c.dtype == pn.float64 and tuple(out.shape) == (2, 4)
    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.zeros(3, 2, 5), [3, 2])
    with pytest.raises(TypeError, match="PackedSequence"):
        pn.nn.GRU(5, 4)(packed)
    with pytest.raises(IndexError):  # torch reads a tensor hx as (hx[0], hx[1])
        pn.nn.LSTM(5, 4)(pn.zeros(3, 2, 5), pn.zeros(1, 2, 4))
    with pytest.raises(RuntimeError, match="hx and cx should also be 3-D"):
        pn.nn.LSTM(5, 4)(pn.zeros(3, 2, 5), pn.zeros(2, 2, 4))
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h_0, c_0\)"):
        pn.nn.LSTM(5, 4)(pn.zeros(3, 2, 5), [pn.zeros(1, 2, 4)])


def test_dropout_between_layers():
    x = pn.randn(L, N, H_IN)
    m = pn.nn.LSTM(H_IN, H, num_layers=3, dropout=0.5)
    ref = pn.nn.LSTM(H_IN, H, num_layers=3)
    ref.load_state_dict(m.state_dict())
    m.eval()
    ref.eval()
    (o1, (h1, c1)), (o2, (h2, c2)) = m(x), ref(x)
    for a, b in ((o1, o2), (h1, h2), (c1, c2)):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    m.train()
    ref.train()
    o3, (h3, _) = m(x)
    o4, (h4, _) = ref(x)
    np.testing.assert_array_equal(
        h3[0].detach().numpy(), h4[0].detach().numpy()
    )  # layer 0: before any dropout
    assert not np.allclose(o3.detach().numpy(), o4.detach().numpy())
    # only between layers: a one-layer net (torch warns) is deterministic in training too
    with pytest.warns(UserWarning):
        single = pn.nn.GRU(H_IN, H, dropout=0.9)
    np.testing.assert_array_equal(single(x)[0].detach().numpy(), single(x)[0].detach().numpy())


def test_u13n2_gru_snippet():
    """The course notebook's cells, renamed torch -> pyneuro, and the same with torch's weights."""
    nn = pn.nn

    def num_parameters(model):
        return sum(p.numel() for p in model.parameters() if p.requires_grad)

    input_ids = pn.tensor([list(b"The quick brown fox jumps over the lazy dog.!")])
    assert tuple(input_ids.shape) == (1, 45)
    embedder = nn.Embedding(256, 5)
    embeddings = embedder(input_ids)
    assert tuple(embeddings.shape) == (1, 45, 5)
    emb_dim = embeddings.shape[-1]
    gru = nn.GRU(emb_dim, emb_dim, batch_first=True)
    assert num_parameters(gru) == 180
    output, hidden = gru(embeddings)
    assert (tuple(output.shape), tuple(hidden.shape)) == ((1, 45, 5), (1, 1, 5))
    assert bool((output[:, -1, :] == hidden).all())
    embeddings.retain_grad()
    loss = output.sum(dim=-1)
    loss[0, 20].backward()
    grad = embeddings.grad
    assert grad is not None and tuple(grad.shape) == (1, 45, 5)
    g = grad.numpy()
    assert np.all(g[0, 21:] == 0) and np.all(np.abs(g[0, :21]).sum(-1) > 0)  # causal

    # the same cells under torch, with pyneuro's weights
    t_emb = torch.nn.Embedding(256, 5)
    t_gru = torch.nn.GRU(5, 5, batch_first=True)
    with torch.no_grad():
        t_emb.weight.copy_(torch.tensor(embedder.weight.detach().numpy()))
        for name, q in t_gru.named_parameters():
            q.copy_(torch.tensor(getattr(gru, name).detach().numpy()))
    t_embeddings = t_emb(torch.tensor(input_ids.numpy()))
    t_out, t_hidden = t_gru(t_embeddings)
    t_embeddings.retain_grad()
    t_out.sum(dim=-1)[0, 20].backward()
    np.testing.assert_allclose(output.detach().numpy(), t_out.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(hidden.detach().numpy(), t_hidden.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(g, t_embeddings.grad.numpy(), rtol=RTOL, atol=ATOL)
    for name, q in t_gru.named_parameters():
        np.testing.assert_allclose(getattr(gru, name).grad.numpy(), q.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_training_a_gru_reduces_the_loss():
    pn.manual_seed(0)
    x = pn.randn(16, 8, 3)
    y = x.sum(dim=1)  # (16, 3): remember the running sum
    gru = pn.nn.GRU(3, 16, batch_first=True)
    head = pn.nn.Linear(16, 3)
    opt = pn.optim.Adam(list(gru.parameters()) + list(head.parameters()), lr=0.02)
    losses = []
    for _ in range(60):
        _, h = gru(x)
        loss = pn.nn.functional.mse_loss(head(h[-1]), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize("cls_name", ["RNN", "GRU", "LSTM", "RNNCell", "GRUCell", "LSTMCell"])
def test_hidden_state_of_the_wrong_kind_raises_torchs_class(cls_name):
    """An LSTM's (h, c) passed to a GRU, a NumPy state, a list input: torch calls .dim() on
    it (AttributeError); an LSTM hx of one state: IndexError (three: RuntimeError); an
    LSTMCell's of one or three: RuntimeError; a number: TypeError."""
    cell = cls_name.endswith("Cell")
    cases = {
        "list input": lambda fw: ([[[0.0] * 3]], None),
        "array input": lambda fw: (np.zeros((2, 1, 3), np.float32), None),
        "one-state tuple": lambda fw: (None, (fw.zeros(4, 2) if cell else fw.zeros(1, 1, 2),)),
        "three states": lambda fw: (None, (fw.zeros(4, 2) if cell else fw.zeros(1, 1, 2),) * 3),
        "array state": lambda fw: (None, np.zeros((4, 2) if cell else (1, 1, 2), np.float32)),
        "int state": lambda fw: (None, 5),
    }
    for case, make in cases.items():
        errors = []
        for fw in (torch, pn):
            fw.manual_seed(0)
            m = getattr(fw.nn, cls_name)(3, 2)
            x, hx = make(fw)
            if x is None:
                x = fw.zeros(4, 3) if cell else fw.zeros(2, 1, 3)
            try:
                m(x, hx)
                errors.append(None)
            except Exception as e:  # the class is what is compared
                errors.append(e)
        want, got = errors
        if want is None:
            assert got is None, (case, got)
        else:
            assert isinstance(got, type(want)), (case, type(want), type(got), got)

"""What backward reads after the user changes a tensor between forward and backward, against
torch: each case runs forward, changes one input (under no_grad, which bumps its version;
through `.data.mul_()`, which bumps none; by `.data = other`; or, for an input made inside the
graph, in place with grad mode on), then backward. Where torch raises "modified by an inplace
operation", pyneuro raises the same class; where torch's node reads the tensor it saved (its
values now), pyneuro's gradients are torch's; never a silently different gradient."""

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _arr(*shape, seed=0):
    return np.asarray(np.random.RandomState(seed).randn(*shape), np.float32)


def F(lib):
    return lib.nn.functional


X, Y = _arr(3, 4), _arr(3, 4, seed=1)
X4 = _arr(2, 3, 5, 5, seed=2)
_SQ = _arr(3, 3, seed=5) + 3 * np.eye(3, dtype=np.float32)
TARGET = [1, 0, 3]

# name: (input arrays, op of those inputs as tensors)
CASES = {
    "logsigmoid": ([X], lambda L, x: F(L).logsigmoid(x)),
    "rrelu_eval": ([X], lambda L, x: F(L).rrelu(x, training=False)),
    "glu": ([X], lambda L, x: F(L).glu(x, -1)),
    "glu_dim0": ([_arr(4, 3)], lambda L, x: F(L).glu(x, 0)),
    "prelu_channels": ([X, _arr(4, seed=3)], lambda L, x, w: F(L).prelu(x.reshape(3, 4, 1), w)),
    "prelu_one": ([X, _arr(1, seed=3)], lambda L, x, w: F(L).prelu(x, w)),
    "layer_norm": ([X, _arr(4, seed=3), _arr(4, seed=4)], lambda L, x, w, b: F(L).layer_norm(x, (4,), w, b)),
    "batch_norm": (
        [X4, _arr(3, seed=3), _arr(3, seed=4)],
        lambda L, x, w, b: F(L).batch_norm(x, None, None, w, b, training=True),
    ),
    "batch_norm_1d": (
        [_arr(6, 3), _arr(3, seed=3), _arr(3, seed=4)],
        lambda L, x, w, b: F(L).batch_norm(x, L.zeros(3), L.ones(3), w, b, training=True),
    ),
    "group_norm_weight": (
        [_arr(2, 4, 3, 3), _arr(4, seed=3), _arr(4, seed=4)],
        lambda L, x, w, b: F(L).group_norm(x, 2, w, b),
    ),
    "instance_norm_weight": (
        [X4, _arr(3, seed=3), _arr(3, seed=4)],
        lambda L, x, w, b: F(L).instance_norm(x, weight=w, bias=b),
    ),
    "cross_entropy_none": ([X], lambda L, x: F(L).cross_entropy(x, L.tensor(TARGET), reduction="none")),
    "cross_entropy_ignore": (
        [X],
        lambda L, x: F(L).cross_entropy(x, L.tensor([1, -100, 3]), reduction="none"),
    ),
    "smooth_l1_loss": ([X, Y], lambda L, x, y: F(L).smooth_l1_loss(x, y)),
    "smooth_l1_beta": ([X, Y], lambda L, x, y: F(L).smooth_l1_loss(x, y, reduction="none", beta=0.5)),
    "huber_loss": ([X, Y], lambda L, x, y: F(L).huber_loss(x, y, delta=0.5)),
    # det's, slogdet's and logdet's backward read the LU factors of A their forward made
    "det": ([_SQ], lambda L, a: L.linalg.det(a)),
    "slogdet": ([_SQ], lambda L, a: L.linalg.slogdet(a)[1]),
    "logdet": ([_SQ @ _SQ.T], lambda L, a: a.logdet()),
    # the decompositions' nodes save their results, not A; solve's A (its LU) and X, not B
    "svdvals": ([_SQ], lambda L, a: L.linalg.svdvals(a)),
    "svd_U": ([_SQ], lambda L, a: L.linalg.svd(a)[0]),
    "qr_R": ([_SQ], lambda L, a: L.linalg.qr(a)[1]),
    "eigh_vectors": ([_SQ], lambda L, a: L.linalg.eigh(a)[1].abs()),
    "solve": ([_SQ, _arr(3, 2, seed=4)], lambda L, a, b: L.linalg.solve(a, b)),
    "solve_triangular": (
        [_SQ, _arr(3, 2, seed=4)],
        lambda L, a, b: L.linalg.solve_triangular(a, b, upper=True),
    ),
    "cholesky_solve": (
        [_arr(3, 2, seed=4), _SQ],
        lambda L, b, low: L.cholesky_solve(b, low.tril()),
    ),
    # torch's math path (3-D inputs) scales copies of q and k; its flash path (4-D) saves q, k, v
    "sdpa_3d": (
        [_arr(2, 3, 4), _arr(2, 5, 4, seed=1), _arr(2, 5, 4, seed=2)],
        lambda L, q, k, v: F(L).scaled_dot_product_attention(q, k, v),
    ),
    "sdpa_3d_causal": (
        [_arr(2, 3, 4), _arr(2, 3, 4, seed=1), _arr(2, 3, 4, seed=2)],
        lambda L, q, k, v: F(L).scaled_dot_product_attention(q, k, v, is_causal=True, scale=-0.3),
    ),
    # conv1d runs pyneuro's conv2d node on unsqueezed views, group_norm its node on a reshape:
    # torch's node saves the input and weight themselves (`.data =` seen; an unbatched input is
    # unsqueezed by torch too, and instance_norm's batch_norm saves a view: `.data =` unseen)
    "conv1d": (
        [_arr(2, 3, 7), _arr(4, 3, 3, seed=3), _arr(4, seed=4)],
        lambda L, x, w, b: F(L).conv1d(x, w, b, padding=1),
    ),
    "conv1d_unbatched": ([_arr(3, 7), _arr(4, 3, 3, seed=3)], lambda L, x, w: F(L).conv1d(x, w, stride=2)),
    "conv1d_groups": ([_arr(2, 4, 7), _arr(4, 2, 2, seed=3)], lambda L, x, w: F(L).conv1d(x, w, groups=2)),
    "conv_transpose1d": (
        [_arr(2, 3, 5), _arr(3, 4, 3, seed=3), _arr(4, seed=4)],
        lambda L, x, w, b: F(L).conv_transpose1d(x, w, b, stride=2),
    ),
    "conv_transpose1d_unbatched": (
        [_arr(3, 5), _arr(3, 4, 3, seed=3)],
        lambda L, x, w: F(L).conv_transpose1d(x, w),
    ),
    "group_norm_no_affine": ([_arr(2, 4, 3, 3)], lambda L, x: F(L).group_norm(x, 2)),
    "group_norm_3d": (
        [_arr(2, 4, 6), _arr(4, seed=3), _arr(4, seed=4)],
        lambda L, x, w, b: F(L).group_norm(x, 2, w, b),
    ),
    "instance_norm": ([X4], lambda L, x: F(L).instance_norm(x)),
    "instance_norm_running": (
        [X4, _arr(3, seed=3), _arr(3, seed=4)],
        lambda L, x, w, b: F(L).instance_norm(x, L.zeros(3), L.ones(3), w, b),
    ),
    "instance_norm_eval": (
        [X4, _arr(3, seed=3), _arr(3, seed=4)],
        lambda L, x, w, b: F(L).instance_norm(x, L.zeros(3), L.ones(3), w, b, use_input_stats=False),
    ),
    # conv3d and conv_transpose3d run a 2-D node per kernel depth on planes of the input and a slice of
    # the weight; torch's one node saves both themselves (but a zero-padded copy for an odd "same" total)
    "conv3d": (
        [_arr(2, 2, 4, 3, 3), _arr(3, 2, 2, 2, 2, seed=3), _arr(3, seed=4)],
        lambda L, x, w, b: F(L).conv3d(x, w, b),
    ),
    "conv3d_padded_strided": (
        [_arr(2, 2, 5, 4, 4), _arr(3, 2, 2, 3, 2, seed=3)],
        lambda L, x, w: F(L).conv3d(x, w, padding=(1, 0, 2), stride=(2, 1, 1), dilation=(2, 1, 1)),
    ),
    "conv3d_same_even": (
        [_arr(2, 2, 4, 4, 4), _arr(3, 2, 2, 2, 2, seed=3)],
        lambda L, x, w: F(L).conv3d(x, w, padding="same"),
    ),
    "conv3d_unbatched": ([_arr(2, 4, 3, 3), _arr(3, 2, 2, 2, 2, seed=3)], lambda L, x, w: F(L).conv3d(x, w)),
    "conv_transpose3d": (
        [_arr(2, 2, 3, 3, 3), _arr(2, 3, 2, 2, 2, seed=3), _arr(3, seed=4)],
        lambda L, x, w, b: F(L).conv_transpose3d(x, w, b, stride=2, padding=1),
    ),
    "conv_transpose3d_unbatched": (
        [_arr(2, 3, 3, 3), _arr(2, 3, 2, 2, 2, seed=3)],
        lambda L, x, w: F(L).conv_transpose3d(x, w),
    ),
    # linalg.cross is one node reading both operands at backward, as torch's
    "linalg_cross": ([_arr(4, 3), _arr(4, 3, seed=1)], lambda L, a, b: L.linalg.cross(a, b)),
    "linalg_cross_broadcast": ([_arr(3, 4), _arr(3, 1, seed=1)], lambda L, a, b: L.linalg.cross(a, b, dim=0)),
    # bilinear is torch's _trilinear node of the inputs' views and the weight (then the bias added)
    "bilinear": (
        [X, _arr(3, 2, seed=1), _arr(5, 4, 2, seed=2), _arr(5, seed=3)],
        lambda L, a, b, w, c: F(L).bilinear(a, b, w, c),
    ),
    "bilinear_3d": (
        [_arr(2, 3, 4), _arr(2, 3, 2, seed=1), _arr(5, 4, 2, seed=2)],
        lambda L, a, b, w: F(L).bilinear(a, b, w),
    ),
    # clamp with tensor bounds is one node that takes its masks at backward, as torch's saves all three
    "clamp_tensor_min": ([X, Y], lambda L, x, y: L.clamp(x, min=y)),
    "clamp_tensor_max": ([X, Y], lambda L, x, y: x.clamp(max=y)),
    "clamp_tensor_both": ([X, Y, Y + 1], lambda L, x, lo, hi: L.clamp(x, lo, hi)),
    "clamp_tensor_crossed": ([X, Y + 1, Y], lambda L, x, lo, hi: L.clamp(x, lo, hi)),
    "clamp_tensor_broadcast": ([X, _arr(4, seed=5)], lambda L, x, hi: L.clamp(x, max=hi)),
    "clamp_min_tensor": ([X, Y], lambda L, x, y: L.clamp_min(x, y)),
    "clamp_max_tensor": ([X, Y], lambda L, x, y: L.clamp_max(x, y)),
    # cases that already matched, kept beside the fixed ones
    "relu": ([X], lambda L, x: F(L).relu(x)),
    "gelu": ([X], lambda L, x: F(L).gelu(x)),
    "sigmoid": ([X], lambda L, x: x.sigmoid()),
    "softmax": ([X], lambda L, x: F(L).softmax(x, -1)),
    "log_softmax": ([X], lambda L, x: F(L).log_softmax(x, -1)),
    "linear": ([X, _arr(5, 4, seed=3), _arr(5, seed=4)], lambda L, x, w, b: F(L).linear(x, w, b)),
    "conv2d": (
        [X4, _arr(4, 3, 3, 3, seed=3), _arr(4, seed=4)],
        lambda L, x, w, b: F(L).conv2d(x, w, b, padding=1),
    ),
    "max_pool2d": ([X4], lambda L, x: F(L).max_pool2d(x, 2)),
    "cross_entropy": ([X], lambda L, x: F(L).cross_entropy(x, L.tensor(TARGET))),
    "mse_loss": ([X, Y], lambda L, x, y: F(L).mse_loss(x, y)),
    "bce_with_logits": (
        [X, Y],
        lambda L, x, y: F(L).binary_cross_entropy_with_logits(x, y.sigmoid().detach()),
    ),
    "mul": ([X, Y], lambda L, x, y: x * y),
    "matmul": ([X, Y], lambda L, x, y: x @ y.T),
    "norm": ([X], lambda L, x: x.norm()),
    "std": ([X], lambda L, x: x.std(1)),
}

MODES = ("no_grad", "data_mul", "data_assign", "graph")


def _change(lib, t, mode):
    if mode == "no_grad":
        with lib.no_grad():
            t.mul_(-0.8).add_(0.3)
    elif mode == "data_mul":
        t.data.mul_(-0.8).add_(0.3)
    elif mode == "data_assign":
        t.data = lib.tensor(t.detach().numpy() * -0.8 + 0.3)
    else:
        t.mul_(-0.8).add_(0.3)


def _run(lib, name, which, mode):
    return run_op(lib, *CASES[name], which, mode)


def run_op(lib, arrays, op, which, mode):
    """The gradients of op's leaves after input `which` was changed (mode) between forward and
    backward, or "raises" for torch's in-place error (test_torch_saved_after_change_products.py too)."""
    leaves = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
    args = [t.clone() if mode == "graph" and i == which else t for i, t in enumerate(leaves)]
    out = op(lib, *args)
    loss = (out * lib.tensor(_arr(*out.shape, seed=9))).sum()
    _change(lib, args[which], mode)
    try:
        loss.backward()
    except RuntimeError as exc:
        assert "modified by an inplace operation" in str(exc)
        return "raises"
    return [None if t.grad is None else t.grad.numpy() for t in leaves]


# (not yet torch's: torch's solve_triangular reads A as it is at backward, pyneuro's node a copy
# of its triangle; 3-D attention's v.data = other is seen by torch's matmul, not by pyneuro's)
_NOT_YET = {
    # (conv3d's planes of a batch of inputs are copies: `x.data.mul_()` reaches torch's node, not them)
    ("conv3d", 0, "data_mul"),
    ("conv3d_padded_strided", 0, "data_mul"),
    ("conv_transpose3d", 0, "data_mul"),
    ("solve_triangular", 0, "data_mul"),
    ("solve_triangular", 0, "data_assign"),
    ("sdpa_3d", 2, "data_assign"),
    ("sdpa_3d_causal", 2, "data_assign"),
}
PARAMS = [
    (name, which, mode)
    for name in CASES
    for which in range(len(CASES[name][0]))
    for mode in MODES
    if (name, which, mode) not in _NOT_YET
]


@pytest.mark.parametrize("name,which,mode", PARAMS)
def test_backward_after_a_change_is_torchs(name, which, mode):
    want, got = _run(torch, name, which, mode), _run(pn, name, which, mode)
    if isinstance(want, str) or isinstance(got, str):
        assert got == want
        return
    for g, w in zip(got, want):
        assert (g is None) == (w is None)
        if w is not None:
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4)


# Ops pyneuro composes from smaller ones, whose backward reads masks or copies made at forward:
# torch's node saves the inputs, so a change of one that bumps its version raises there, and here
# (a `.data` change is not yet followed by these: their gradients stay the forward's)
WATCHED = {
    "matrix_exp": ([_arr(3, 3) * 0.3], lambda L, a: L.linalg.matrix_exp(a)),
}


@pytest.mark.parametrize("mode", ["no_grad", "graph"])
@pytest.mark.parametrize("name,which", [(n, i) for n in WATCHED for i in range(len(WATCHED[n][0]))])
def test_a_version_bump_of_what_torch_saves_raises(name, which, mode):
    CASES[name] = WATCHED[name]
    try:
        want, got = _run(torch, name, which, mode), _run(pn, name, which, mode)
    finally:
        del CASES[name]
    if isinstance(want, str) or isinstance(got, str):
        assert got == want
        return
    for g, w in zip(got, want):
        if w is not None:
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4)


_A = _arr(3, 3) + 3 * np.eye(3, dtype=np.float32)

# Results torch's node saves (the decompositions save every output): one of them changed in place
# after the call makes backward raise, whichever output the loss goes through
RESULTS = {
    "svd_S": (lambda L, a: L.linalg.svd(a), 1, 1),
    "svd_U_used_S": (lambda L, a: L.linalg.svd(a), 0, 1),
    "svd_Vh": (lambda L, a: L.linalg.svd(a, full_matrices=False), 2, 2),
    "svdvals": (lambda L, a: (L.linalg.svdvals(a),), 0, 0),
    "eigh_values": (lambda L, a: L.linalg.eigh(a + a.T), 0, 0),
    "eigh_vectors_used_values": (lambda L, a: L.linalg.eigh(a + a.T), 1, 0),
    "eigvalsh": (lambda L, a: (L.linalg.eigvalsh(a + a.T),), 0, 0),
    "qr_R": (lambda L, a: L.linalg.qr(a), 1, 1),
    "qr_Q_used_R": (lambda L, a: L.linalg.qr(a), 0, 1),
    "pinv": (lambda L, a: (L.linalg.pinv(a),), 0, 0),
    "lstsq": (lambda L, a: (L.linalg.lstsq(a, a[:, :2].detach()).solution,), 0, 0),
    "lstsq_vector": (lambda L, a: (L.linalg.lstsq(a, a[:, 0].detach()).solution,), 0, 0),
    "cdist_p1": (lambda L, a: (L.cdist(a, a.flip(0), 1),), 0, 0),
    "exp": (lambda L, a: (a.exp(),), 0, 0),
}
CHANGES = {
    "mul_": lambda t: t.mul_(2),
    "relu_": lambda t: t.relu_(),
    "setitem": lambda t: t.__setitem__(0, 0.5),
}


def _result_changed(lib, name, change):
    op, changed, used = RESULTS[name]
    a = lib.tensor(_A.copy(), requires_grad=True)
    outs = op(lib, a)
    CHANGES[change](outs[changed])
    try:
        outs[used].sum().backward()
    except RuntimeError as exc:
        assert "modified by an inplace operation" in str(exc)
        return "raises"
    return a.grad.numpy()


@pytest.mark.parametrize("change", sorted(CHANGES))
@pytest.mark.parametrize("name", sorted(RESULTS))
def test_a_saved_result_changed_in_place_raises(name, change):
    want, got = _result_changed(torch, name, change), _result_changed(pn, name, change)
    assert isinstance(want, str) and isinstance(got, str) and got == want


def _module_input_changed(lib, make, batch_first, call):
    lib.manual_seed(0)
    module = make(lib, batch_first)
    for i, p in enumerate(module.parameters()):
        p.data = lib.tensor(_arr(*p.shape, seed=20 + i) * 0.5)
    x = lib.tensor(_arr(2, 5, 4, seed=7), requires_grad=True)
    out = call(module, x)
    with lib.no_grad():
        x.mul_(-0.5)
    try:
        out.sum().backward()
    except RuntimeError as exc:
        assert "modified by an inplace operation" in str(exc)
        return "raises"
    return [x.grad.numpy()] + [p.grad.numpy() for p in module.parameters()]


MODULES = {
    "lstm": (lambda L, bf: L.nn.LSTM(4, 3, num_layers=2, batch_first=bf), lambda m, x: m(x)[0]),
    "gru": (lambda L, bf: L.nn.GRU(4, 3, bidirectional=True, batch_first=bf), lambda m, x: m(x)[0]),
    "rnn": (lambda L, bf: L.nn.RNN(4, 3, batch_first=bf), lambda m, x: m(x)[0]),
    "mha": (lambda L, bf: L.nn.MultiheadAttention(4, 2, batch_first=bf), lambda m, x: m(x, x, x)[0]),
    "linear_of_transposed": (lambda L, bf: L.nn.Linear(4, 3), lambda m, x: m(x.transpose(0, 1))),
    "linear_of_view": (lambda L, bf: L.nn.Linear(4, 3), lambda m, x: m(x[:, 1:])),
}


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("name", sorted(MODULES))
def test_an_input_the_module_copied_may_change(name, batch_first):
    """torch's recurrent layers copy a batch_first input into time-major order, and its matmul
    folds an input no view makes 2-D by a copy: those inputs are not saved, so changing one
    after forward is no error; a time-major or viewable input is saved, and changing it raises."""
    make, call = MODULES[name]
    want = _module_input_changed(torch, make, batch_first, call)
    got = _module_input_changed(pn, make, batch_first, call)
    if isinstance(want, str) or isinstance(got, str):
        assert got == want
        return
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


_MATMUL_SHAPES = {1: ((4,), (4,)), 2: ((3, 4), (4, 5)), 3: ((2, 3, 4), (2, 4, 5))}


def _matmul_after_data_assign(lib, na, nb, which, op):
    a = lib.tensor(_arr(*_MATMUL_SHAPES[na][0]), requires_grad=True)
    b = lib.tensor(_arr(*_MATMUL_SHAPES[nb][1], seed=1), requires_grad=True)
    out = op(lib, a, b)
    changed = (a, b)[which]
    changed.data = changed.data * 2 + 1
    (out * lib.tensor(_arr(*out.shape, seed=2))).sum().backward()
    return a.grad.numpy(), b.grad.numpy()


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("na,nb", [(na, nb) for na in (1, 2, 3) for nb in (1, 2, 3)])
def test_matmul_sees_a_data_assignment_where_torch_does(na, nb, which):
    """torch's matmul hands an operand to mm/mv/dot as it is (its node then reads the new data)
    or as a view (unsqueezed, expanded, folded: the node keeps the old memory)."""
    op = lambda L, a, b: a @ b
    for g, w in zip(
        _matmul_after_data_assign(pn, na, nb, which, op), _matmul_after_data_assign(torch, na, nb, which, op)
    ):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("which", [0, 1])
def test_bmm_sees_a_data_assignment(which):
    op = lambda L, a, b: L.bmm(a, b)
    for g, w in zip(
        _matmul_after_data_assign(pn, 3, 3, which, op), _matmul_after_data_assign(torch, 3, 3, which, op)
    ):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


RECURRENT = {
    "lstm": lambda L: L.nn.LSTM(4, 3),
    "lstm_stacked_bidirectional": lambda L: L.nn.LSTM(
        4, 3, num_layers=2, bidirectional=True, batch_first=True
    ),
    "lstm_proj": lambda L: L.nn.LSTM(4, 3, proj_size=2),
    "gru": lambda L: L.nn.GRU(4, 3, num_layers=2),
    "rnn": lambda L: L.nn.RNN(4, 3, nonlinearity="relu"),
    "lstm_cell": lambda L: L.nn.LSTMCell(4, 3),
}


def _recurrent_data_assigned(lib, name, which, mode):
    lib.manual_seed(0)
    module = RECURRENT[name](lib)
    params = list(module.parameters())
    for i, p in enumerate(params):
        p.data = lib.tensor(_arr(*p.shape, seed=20 + i) * 0.5)
    x = lib.tensor(_arr(*((2, 4) if name.endswith("cell") else (5, 2, 4)), seed=7), requires_grad=True)
    out = module(x)
    out = out[0] if isinstance(out, tuple) else out
    loss = (out * lib.tensor(_arr(*out.shape, seed=9))).sum()
    _change(lib, x if which < 0 else params[which], mode)
    try:
        loss.backward()
    except RuntimeError as exc:
        assert "modified by an inplace operation" in str(exc)
        return "raises"
    return [x.grad.numpy()] + [p.grad.numpy() for p in params]


@pytest.mark.filterwarnings("ignore:LSTM with projections")
@pytest.mark.parametrize("mode", ["data_assign", "data_mul", "no_grad"])
@pytest.mark.parametrize(
    "name,which", [(n, i) for n in RECURRENT for i in range(-1, len(list(RECURRENT[n](torch).parameters())))]
)
def test_a_recurrent_layer_after_its_weight_changed(name, which, mode):
    """torch's CPU LSTM is one oneDNN node that saves the weights and the (time-major) input
    themselves and reads them at backward: after `w.data = other` its gradients use the new
    weight (with the forward's gates); its GRU and RNN (and the LSTM with projections) are
    composites whose matmuls save weight.t(), a view the assignment does not reach."""
    want = _recurrent_data_assigned(torch, name, which, mode)
    got = _recurrent_data_assigned(pn, name, which, mode)
    if isinstance(want, str) or isinstance(got, str):
        assert got == want
        return
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


_NAN = float("nan")


def test_clamp_with_tensor_bounds_is_torchs_node():
    """One ClampBackward0 (ClampMin/MaxBackward1) with edges to the input and both bounds, NaN
    operands giving no gradient, and a gradient that differentiates again, as torch's."""
    x = np.array([0.5, _NAN, -2.0, 3.0, 1.0, 0.2], np.float32)
    lo = np.array([0.0, 0.0, _NAN, 0.0, 2.0, 0.5], np.float32)
    hi = np.array([1.0, 1.0, 1.0, _NAN, 1.0, 0.1], np.float32)

    def run(lib):
        ts = [lib.tensor(a, requires_grad=True) for a in (x, lo, hi)]
        shown = []
        for y in (lib.clamp(ts[0], ts[1], ts[2]), lib.clamp(ts[0], max=ts[2]), lib.clamp_min(ts[0], ts[1])):
            shown.append(
                (
                    type(y.grad_fn).__name__,
                    [None if f is None else type(f).__name__ for f, _ in y.grad_fn.next_functions],
                )
            )
        y = lib.clamp(ts[0], ts[1], ts[2])
        (gx,) = lib.autograd.grad((y * y).sum(), ts[0], create_graph=True)
        again = lib.autograd.grad(gx.sum(), ts, allow_unused=True)
        (lib.clamp(ts[0], ts[1], ts[2]) * lib.tensor(np.arange(6, dtype=np.float32))).sum().backward()
        grads = [t.grad.numpy() for t in ts] + [gx.detach().numpy()]
        return shown, grads + [None if a is None else a.numpy() for a in again]

    (want_shown, want), (got_shown, got) = run(torch), run(pn)
    assert got_shown == want_shown
    for g, w in zip(got, want):
        assert (g is None) == (w is None)
        if w is not None:
            np.testing.assert_array_equal(g, w)


def test_bilinear_graph_is_torchs():
    """AddBackward0 (the bias) of a ViewBackward0 of TrilinearBackward0, whose edges are the views
    of the two inputs and the weight, as torch's F.bilinear builds."""

    def names(node, depth=3):
        if node is None or depth == 0:
            return None
        return (type(node).__name__, [names(f, depth - 1) for f, _ in node.next_functions])

    shown = []
    for lib in (torch, pn):
        lib.manual_seed(0)
        m = lib.nn.Bilinear(4, 2, 5)
        y = m(lib.randn(3, 4, requires_grad=True), lib.randn(3, 2, requires_grad=True))
        shown.append(names(y.grad_fn))
    assert shown[1] == shown[0]


_RESHAPED = {
    "linear_input": (lambda L: L.nn.Linear(4, 3), (2, 4), None),
    "batch_norm_input": (lambda L: L.nn.BatchNorm2d(2), (2, 2, 5, 5), None),
    "layer_norm_input": (lambda L: L.nn.LayerNorm(4), (2, 4), None),
    "layer_norm_weight": (lambda L: L.nn.LayerNorm(4), (2, 4), 0),
    "conv2d_input": (lambda L: L.nn.Conv2d(2, 3, 3), (2, 2, 5, 5), None),
    "conv2d_weight": (lambda L: L.nn.Conv2d(2, 3, 3), (2, 2, 5, 5), 0),
}


@pytest.mark.parametrize("name", sorted(_RESHAPED))
def test_data_of_another_shape_before_backward_raises_runtime_error(name):
    """`t.data = other` of a different shape between forward and backward: torch's backward raises
    a RuntimeError (its kernels' checks, or an invalid gradient's shape); pyneuro's kernels' checks
    of what the node saved are RuntimeErrors too (ShapeError), not a bare ValueError."""
    make, shape, which = _RESHAPED[name]
    for lib in (torch, pn):
        lib.manual_seed(0)
        module = make(lib)
        x = lib.randn(*shape, requires_grad=True)
        loss = module(x).sum()
        t = x if which is None else list(module.parameters())[which]
        t.data = lib.randn(*((1,) + tuple(t.shape[1:]) if t.ndim > 1 else (1,)))
        with pytest.raises(RuntimeError):
            loss.backward()


def test_a_users_backward_raises_its_own_exception():
    class Twice(pn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            raise ValueError("from the user's backward")

    with pytest.raises(ValueError, match="^from the user's backward$") as info:
        Twice.apply(pn.ones(2, requires_grad=True)).sum().backward()
    assert not isinstance(info.value, RuntimeError)


_W4, _T3 = np.abs(_arr(4, seed=11)) + 0.5, [1, 0, 3]

# A loss's class weights or targets (tensors that need no gradient): torch's node saves them, so a
# change in place after forward makes backward raise; cross_entropy's weighted path (no label
# smoothing: the fused kernel times the targets' weights) and multi_margin_loss kept only copies
AUX = {
    "ce_weight": lambda L, x, w, t: F(L).cross_entropy(x, t, weight=w),
    "ce_weight_none": lambda L, x, w, t: F(L).cross_entropy(x, t, weight=w, reduction="none"),
    "ce_weight_ignore": lambda L, x, w, t: F(L).cross_entropy(x, t, weight=w, ignore_index=0),
    "ce_weight_smoothing": lambda L, x, w, t: F(L).cross_entropy(x, t, weight=w, label_smoothing=0.2),
    "ce_module_weight": lambda L, x, w, t: L.nn.CrossEntropyLoss(weight=w, reduction="sum")(x, t),
    "ce_3d_weight": lambda L, x, w, t: F(L).cross_entropy(x.reshape(3, 4, 1), t.reshape(3, 1), weight=w),
    "nll_weight": lambda L, x, w, t: F(L).nll_loss(x, t, weight=w),
    "multi_margin_weight": lambda L, x, w, t: F(L).multi_margin_loss(x, t, weight=w),
}


def _aux_changed(lib, name, which):
    x = lib.tensor(X.copy(), requires_grad=True)
    w, t = lib.tensor(_W4.copy()), lib.tensor(_T3)
    out = AUX[name](lib, x, w, t)
    (w.mul_(3) if which == "weight" else t.fill_(2))
    try:
        out.sum().backward()
    except RuntimeError as exc:
        assert "modified by an inplace operation" in str(exc)
        return "raises"
    return x.grad.numpy()


@pytest.mark.parametrize("which", ["weight", "target"])
@pytest.mark.parametrize("name", sorted(AUX))
def test_a_changed_loss_weight_or_target_raises_as_torchs(name, which):
    want, got = _aux_changed(torch, name, which), _aux_changed(pn, name, which)
    if isinstance(want, str) or isinstance(got, str):
        assert got == want
        return
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)

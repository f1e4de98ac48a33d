"""A seed gives torch's numbers: pyneuro's Generator reproduces torch's CPU random streams
(pyneuro/_torch_stream.py), draw for draw and bit for bit, for the samplers a course notebook
or a tutorial uses: rand, randn, randint, randperm, uniform_, normal_, bernoulli, layer
initialisation, dropout masks and DataLoader shuffling."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

SEEDS = [0, 1, 42, 2**32 + 5, 2**63 + 11]


def _same(a, b):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)


DRAWS = {
    "rand": lambda m: m.rand(5),
    "rand 2-d float64": lambda m: m.rand(3, 7, dtype=m.float64),
    "randn < 16": lambda m: m.randn(3),
    "randn 16": lambda m: m.randn(16),
    "randn odd": lambda m: m.randn(5, 7),
    "randn large": lambda m: m.randn(300, 301),
    "randn float64 < 16": lambda m: m.randn(2, 3, dtype=m.float64),
    "randn float64": lambda m: m.randn(37, dtype=m.float64),
    "randint": lambda m: m.randint(0, 10, (20,)),
    "randint negative low": lambda m: m.randint(-7, 3, (4, 5)),
    "randint wide": lambda m: m.randint(-5, 2**40, (6,)),
    "randperm": lambda m: m.randperm(50),
    "randperm 1": lambda m: m.randperm(1),
    "uniform_": lambda m: m.empty(40).uniform_(-0.3, 0.7),
    "normal_ small": lambda m: m.empty(5).normal_(2.0, 0.5),
    "normal_ large": lambda m: m.empty(8, 9).normal_(-1.0, 3.0),
    "rand_like": lambda m: m.rand_like(m.zeros(4, 4)),
    "randn_like": lambda m: m.randn_like(m.zeros(17)),
    "randint_like": lambda m: m.randint_like(m.zeros(10), 3, 8),
    "exponential_": lambda m: m.empty(30).exponential_(2.5),
    "geometric_": lambda m: m.empty(30).geometric_(0.3),
    "cauchy_": lambda m: m.empty(30).cauchy_(1.0, 2.0),
    "log_normal_": lambda m: m.empty(30).log_normal_(0.5, 0.25),
    "random_ float32": lambda m: m.empty(10).random_(),
    "random_(to)": lambda m: m.empty(10).random_(7),
    "random_(from, to) int64": lambda m: m.empty(10, dtype=m.int64).random_(-3, 9),
    "random_ int64": lambda m: m.empty(10, dtype=m.int64).random_(),
    "random_ int32": lambda m: m.empty(10, dtype=m.int32).random_(),
    "random_ uint8": lambda m: m.empty(10, dtype=m.uint8).random_(),
    "random_ bool": lambda m: m.empty(10, dtype=m.bool).random_(),
    "random_ float64": lambda m: m.empty(10, dtype=m.float64).random_(),
}


def _fill_view(m, view, fill):
    """A fill through a view; the base shows where each draw landed."""
    base = m.zeros(8, 6)
    fill(view(base))
    return base


# torch draws into a tensor in memory order (its *_like keep the input's layout), and a tensor
# that is not contiguous gets the one-by-one normal kernel (random.memory_order)
LAYOUT_DRAWS = {
    "normal_ strided >= 16": lambda m: _fill_view(m, lambda b: b[:, ::2], lambda v: v.normal_()),
    "normal_ transposed": lambda m: _fill_view(m, lambda b: b.t(), lambda v: v.normal_(2.0, 3.0)),
    "uniform_ transposed": lambda m: _fill_view(m, lambda b: b.t(), lambda v: v.uniform_(-1, 1)),
    "exponential_ transposed": lambda m: _fill_view(m, lambda b: b.t(), lambda v: v.exponential_()),
    "bernoulli_ transposed": lambda m: _fill_view(m, lambda b: b.t(), lambda v: v.bernoulli_(0.3)),
    "random_ transposed": lambda m: _fill_view(m, lambda b: b.t(), lambda v: v.random_(0, 10)),
    "rand_like permuted": lambda m: m.rand_like(m.zeros(4, 5, 6).permute(2, 0, 1)),
    "randn_like permuted": lambda m: m.randn_like(m.zeros(4, 5, 6).permute(1, 2, 0)),
    "randint_like transposed": lambda m: m.randint_like(m.zeros(2, 3).t(), 10),
    "dropout transposed": lambda m: m.nn.functional.dropout(m.ones(4, 5, 6).transpose(0, 2), 0.3),
    "Dropout permuted": lambda m: m.nn.Dropout(0.2)(m.ones(3, 4, 5).permute(1, 0, 2)),
}


@pytest.mark.parametrize("name", sorted(LAYOUT_DRAWS))
def test_draws_land_in_memory_order_as_torchs(name):
    torch.manual_seed(3)
    want = LAYOUT_DRAWS[name](torch)
    pn.manual_seed(3)
    got = LAYOUT_DRAWS[name](pn)
    _same(got, want)
    assert got.is_contiguous() == want.is_contiguous() and tuple(got.stride()) == tuple(want.stride())


@pytest.mark.parametrize("norm_first", [False, True])
def test_seeded_batch_first_transformer_layer_trains_as_torchs(norm_first):
    """The attention output reaches dropout as a transposed view: its mask must be drawn in
    memory order, as torch's, for a seed to give torch's outputs in train mode."""

    def run(m):
        m.manual_seed(0)
        layer = m.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, norm_first=norm_first)
        m.manual_seed(1)
        return layer(m.randn(2, 5, 8)).detach().numpy()

    np.testing.assert_allclose(run(pn), run(torch), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(DRAWS))
def test_a_seed_gives_torchs_numbers(name, seed):
    pn.manual_seed(seed)
    torch.manual_seed(seed)
    draw = DRAWS[name]
    _same(draw(pn), draw(torch))
    _same(draw(pn), draw(torch))  # and the stream goes on in step


def test_a_sequence_of_mixed_draws_stays_in_step():
    """The cached second normal of a small randn carries over to the next small randn."""
    pn.manual_seed(3)
    torch.manual_seed(3)
    for make in ([lambda m: m.randn(1)] * 3) + [
        lambda m: m.rand(2),
        lambda m: m.randn(3),
        lambda m: m.randint(5, (2,)),
    ]:
        _same(make(pn), make(torch))


def test_explicit_generators_and_their_state():
    g, tg = pn.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    _same(pn.randn(20, generator=g), torch.randn(20, generator=tg))
    state = g.get_state()
    a = pn.randn(3, generator=g)
    _same(a, torch.randn(3, generator=tg))
    g.set_state(state)
    _same(pn.randn(3, generator=g), a)


def test_default_seed_is_torchs():
    """Without manual_seed, the default generator starts from torch's default seed."""
    assert pn.initial_seed() == torch.initial_seed() or pn.Generator().initial_seed() == 67280421310721
    _same(pn.randn(4, generator=pn.Generator()), torch.randn(4, generator=torch.Generator()))


def test_layers_initialise_as_torchs():
    pn.manual_seed(0)
    torch.manual_seed(0)
    for make in (
        lambda m: m.nn.Linear(784, 256),
        lambda m: m.nn.Linear(3, 2),
        lambda m: m.nn.Conv2d(3, 8, 3),
        lambda m: m.nn.Embedding(10, 4),
        lambda m: m.nn.LSTM(5, 6),
    ):
        a, b = make(pn), make(torch)
        for (name, p), (tname, tp) in zip(a.named_parameters(), b.named_parameters()):
            assert name == tname
            _same(p, tp)


def test_dropout_masks_are_torchs():
    pn.manual_seed(0)
    torch.manual_seed(0)
    x = np.arange(1, 41, dtype=np.float32).reshape(5, 8)
    for p in (0.5, 0.2):
        a = pn.nn.functional.dropout(pn.from_numpy(x), p)
        b = torch.nn.functional.dropout(torch.from_numpy(x), p)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
        np.testing.assert_array_equal(a.numpy() == 0, b.numpy() == 0)


def test_bernoulli_is_torchs():
    pn.manual_seed(1)
    torch.manual_seed(1)
    _same(pn.empty(30).bernoulli_(0.3), torch.empty(30).bernoulli_(0.3))
    p = np.linspace(0, 1, 25, dtype=np.float32)
    _same(pn.bernoulli(pn.from_numpy(p)), torch.bernoulli(torch.from_numpy(p)))


def test_dataloader_shuffles_as_torch():
    pn.manual_seed(0)
    torch.manual_seed(0)
    a = [b.tolist() for b in pn.utils.data.DataLoader(list(range(10)), batch_size=4, shuffle=True)]
    b = [b.tolist() for b in torch.utils.data.DataLoader(list(range(10)), batch_size=4, shuffle=True)]
    assert a == b


def test_random_split_as_torch():
    pn.manual_seed(0)
    torch.manual_seed(0)
    a = pn.utils.data.random_split(range(10), [3, 7])
    b = torch.utils.data.random_split(range(10), [3, 7])
    assert [list(s) for s in a] == [list(s) for s in b]


def test_state_round_trip_and_bad_state():
    pn.manual_seed(5)
    state = pn.get_rng_state()
    a = pn.randn(3)
    pn.set_rng_state(state)
    _same(pn.randn(3), a)
    with pytest.raises(ValueError):
        pn.set_rng_state(pn.zeros(10, dtype=pn.uint8))


DISTRIBUTIONS = {
    "Normal.rsample": lambda m: m.distributions.Normal(m.zeros(3), m.ones(3)).rsample((5,)),
    "Normal.sample": lambda m: m.distributions.Normal(m.tensor([0.5, 1.0]), m.tensor([2.0, 0.1])).sample(
        (20,)
    ),
    "Normal scalar": lambda m: m.distributions.Normal(0.0, 1.0).sample(),
    "Uniform": lambda m: m.distributions.Uniform(m.tensor([0.0, 1.0]), m.tensor([2.0, 3.0])).sample((10,)),
    "Bernoulli": lambda m: m.distributions.Bernoulli(probs=m.tensor([0.2, 0.7])).sample((10,)),
    "Bernoulli logits": lambda m: m.distributions.Bernoulli(logits=m.tensor([0.2, -0.7])).sample((10,)),
    "MultivariateNormal": lambda m: m.distributions.MultivariateNormal(m.zeros(2), m.eye(2)).sample((10,)),
    "Categorical": lambda m: m.distributions.Categorical(
        probs=m.tensor([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])
    ).sample((9,)),
    "Categorical one": lambda m: m.distributions.Categorical(logits=m.tensor([0.2, 0.5, 0.3])).sample(),
    "OneHotCategorical": lambda m: m.distributions.OneHotCategorical(probs=m.tensor([0.2, 0.5, 0.3])).sample(
        (6,)
    ),
    "Multinomial": lambda m: m.distributions.Multinomial(
        5, probs=m.tensor([[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]])
    ).sample((2,)),
}

MULTINOMIAL = {
    "with replacement": lambda m: m.multinomial(m.tensor([0.1, 0.2, 0.3, 0.4]), 10, replacement=True),
    "one draw per row": lambda m: m.multinomial(m.tensor([[0.1, 0.2, 0.3, 0.4], [1.0, 1, 1, 1]]), 1),
    "without replacement": lambda m: m.multinomial(m.tensor([1.0, 1.0, 1.0, 0.0]), 3),
    "float64 rows": lambda m: m.multinomial(m.rand(3, 50, dtype=m.float64), 20),
    "normal floats": lambda m: m.normal(2.0, 3.0, size=(20,)),
    "normal tensors": lambda m: m.normal(m.zeros(20), m.ones(20) * 2),
}


@pytest.mark.parametrize("name", list(MULTINOMIAL))
def test_multinomial_and_normal_are_torchs(name):
    pn.manual_seed(0)
    torch.manual_seed(0)
    _same(MULTINOMIAL[name](pn), MULTINOMIAL[name](torch))


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_distribution_samples_are_torchs(name):
    pn.manual_seed(0)
    torch.manual_seed(0)
    _same(DISTRIBUTIONS[name](pn), DISTRIBUTIONS[name](torch))


def test_rrelu_and_gumbel_softmax_draw_as_torch():
    x = np.linspace(-2, 2, 41, dtype=np.float32)
    for dtype in ("float32", "float64"):
        pn.manual_seed(0)
        torch.manual_seed(0)
        a = pn.nn.functional.rrelu(pn.tensor(x).to(getattr(pn, dtype)), 0.1, 0.7, training=True)
        _same(
            a, torch.nn.functional.rrelu(torch.tensor(x).to(getattr(torch, dtype)), 0.1, 0.7, training=True)
        )
    pn.manual_seed(0)
    torch.manual_seed(0)
    a = pn.nn.functional.gumbel_softmax(pn.tensor(x[:40]).reshape(4, 10), tau=0.5)
    b = torch.nn.functional.gumbel_softmax(torch.tensor(x[:40]).reshape(4, 10), tau=0.5)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-7)  # float32 log differs by an ulp


def test_float64_uniform_rounds_as_one_fma():
    pn.manual_seed(0)
    torch.manual_seed(0)
    for lo, hi in ((1 / 8, 1 / 3), (-0.3, 0.9), (-1e5, 3.0)):
        _same(
            pn.empty(5000, dtype=pn.float64).uniform_(lo, hi),
            torch.empty(5000, dtype=torch.float64).uniform_(lo, hi),
        )


@pytest.mark.parametrize("replacement", [True, False])
def test_samplers_draw_torchs_indices(replacement):
    data = pn.utils.data, torch.utils.data
    weights = [0.1, 0.9, 0.4, 0.0, 2.0, 1.0]
    pn.manual_seed(0)
    torch.manual_seed(0)
    a, b = (list(d.WeightedRandomSampler(weights, 4, replacement=replacement)) for d in data)
    assert a == b
    a, b = (list(d.SubsetRandomSampler([5, 6, 7, 8])) for d in data)
    assert a == b
    a, b = (list(d.RandomSampler(range(10), replacement=replacement, num_samples=25)) for d in data)
    assert a == b


def test_float16_uniforms_round_torchs_float32_draws():
    """(float16 normals are rounded float32 normals: torch's half kernel differs, not reproduced)"""
    pn.manual_seed(0)
    torch.manual_seed(0)
    for make in (
        lambda m: m.rand(10, dtype=m.float16),
        lambda m: m.empty(10, dtype=m.float16).uniform_(-2, 3),
    ):
        _same(make(pn), make(torch))


@pytest.mark.parametrize("native", [True, False], ids=["cpp", "python"])
def test_randperm_swap_loop_in_cpp_and_python_is_torchs(native, monkeypatch):
    """The swap loop runs in C++ when pyneuro._cpu is loaded, in Python otherwise: both torch's."""
    if native:
        pytest.importorskip("pyneuro._cpu")
    else:
        monkeypatch.setitem(sys.modules, "pyneuro._cpu", None)
    for n, seed in [(2, 0), (3, 1), (1000, 2), (60000, 3), (70001, 4)]:
        torch.manual_seed(seed)
        pn.manual_seed(seed)
        assert np.array_equal(pn.randperm(n).numpy(), torch.randperm(n).numpy()), n
        assert np.array_equal(pn.rand(3).numpy(), torch.rand(3).numpy())  # the stream moved on alike


@pytest.mark.parametrize("seed", [0, 12345, 2**40 + 7])
def test_rng_state_bytes_are_torchs_and_interchange(seed):
    """get_rng_state() is torch's 5,056-byte CPUGeneratorImplState, byte for byte, through draws
    that move the twister, cache a normal, use it and cross a twist; states move both ways."""
    steps = [
        lambda m: None,
        lambda m: m.rand(3),
        lambda m: m.randn(1),  # a scalar normal: the second value is cached
        lambda m: m.randn(1, dtype=m.float64),  # ... and used
        lambda m: m.randn(1000),
        lambda m: m.randint(0, 10, (700,)),
    ]
    torch.manual_seed(seed)
    pn.manual_seed(seed)
    for step in steps:
        step(torch), step(pn)
        _same(pn.get_rng_state(), torch.get_rng_state())
    torch.manual_seed(seed + 1)
    torch.rand(5)
    pn.set_rng_state(pn.tensor(torch.get_rng_state().numpy()))  # torch's state into pyneuro
    _same(pn.randn(20), torch.randn(20))
    pn.manual_seed(seed + 2)
    pn.rand(2)
    torch.set_rng_state(torch.from_numpy(pn.get_rng_state().numpy().copy()))  # and back
    _same(pn.rand(5), torch.rand(5))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_multinomial_with_replacement_over_many_rows_gives_torchs_draws(dtype):
    """Rows in blocks (a Python round per row took seconds for 10**5 rows): the same uniforms, row by
    row, and the same first category reaching each; zero weights and an all-zero row included."""
    w = np.random.default_rng(1).random((3000, 1000)).astype(dtype)
    w[:, 5] = 0
    draws = []
    for L in (torch, pn):
        L.manual_seed(11)
        draws.append(L.multinomial(L.tensor(w), 50, replacement=True).numpy())
    np.testing.assert_array_equal(draws[1], draws[0])

"""Random draws' argument checks against torch: floating dtypes only, std >= 0, from <= to,
and manual_seed's int() conversion and range."""

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

ERRORS = [
    (lambda m: m.randn(2, 3, dtype=m.int64), NotImplementedError),
    (lambda m: m.rand(2, dtype=m.int32), NotImplementedError),
    (lambda m: m.rand_like(m.zeros(2, dtype=m.int64)), NotImplementedError),
    (lambda m: m.empty(3, dtype=m.int64).uniform_(), NotImplementedError),
    (lambda m: m.empty(3, dtype=m.int64).normal_(), NotImplementedError),
    (lambda m: m.empty(3).uniform_(5, 2), RuntimeError),
    (lambda m: m.empty(3).normal_(std=-1), RuntimeError),
    (lambda m: m.normal(0.0, -1.0, size=(3,)), RuntimeError),
    (lambda m: m.normal(m.zeros(3), m.tensor([1.0, -1.0, 1.0])), RuntimeError),
    (lambda m: m.manual_seed(2**64), ValueError),
    (lambda m: m.manual_seed(-(2**63) - 1), ValueError),
    (lambda m: m.Generator().manual_seed(1.5), RuntimeError),
    (lambda m: m.Generator().manual_seed("3"), RuntimeError),
]


@pytest.mark.parametrize("fn, exc", ERRORS, ids=range(len(ERRORS)))
def test_errors_like_torch(fn, exc):
    with pytest.raises(exc):
        fn(torch)
    with pytest.raises(exc):
        fn(pn)


@pytest.mark.parametrize("seed", [2.7, True, "3", -1, 2**63])
def test_manual_seed_takes_what_int_takes(seed):
    torch.manual_seed(seed)
    pn.manual_seed(seed)
    assert pn.initial_seed() == torch.initial_seed()
    np.testing.assert_array_equal(pn.rand(4).numpy(), torch.rand(4).numpy())


def test_valid_forms_still_draw_torch_numbers():
    torch.manual_seed(0)
    pn.manual_seed(0)
    pairs = [
        (torch.empty(3).uniform_(2, 2), pn.empty(3).uniform_(2, 2)),
        (torch.empty(3).normal_(1, 0), pn.empty(3).normal_(1, 0)),
        (torch.normal(2.0, torch.ones(3)), pn.normal(2.0, pn.ones(3))),
    ]
    for a, b in pairs:
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-6)


def test_generator_device_is_a_device():
    for m in (torch, pn):
        g = m.Generator(device="cpu")
        assert g.device == m.device("cpu") and g.device.type == "cpu"


@pytest.mark.parametrize(
    "draw",
    [
        lambda m: m.multinomial(m.rand(6, 3).t(), 2),  # the race's noise in the weights' memory order
        lambda m: m.multinomial(m.rand(6, 3).t(), 1),
        lambda m: m.multinomial(m.rand(4, 5, 2)[:, :, 0].t(), 3),  # a strided (not dense) view
        lambda m: m.multinomial(m.rand(6, 3).t(), 4, replacement=True),  # uniforms, no noise array
        lambda m: m.rand(3, 4).t().multinomial(2, generator=m.Generator().manual_seed(5)),
    ],
)
def test_multinomial_of_transposed_weights_draws_torchs_samples(draw):
    seen = []
    for lib in (torch, pn):
        lib.manual_seed(0)
        seen.append((draw(lib).tolist(), lib.rand(2).tolist()))  # and the stream after it
    assert seen[0] == seen[1]


@pytest.mark.parametrize(
    "bad",
    [
        lambda m: m.multinomial(m.ones(2, 3), 0),
        lambda m: m.multinomial(m.ones(3), -1),
        lambda m: m.multinomial(m.tensor([1, 2]), 1),
    ],
)
def test_multinomial_refusals_are_torchs(bad):
    with pytest.raises(RuntimeError):
        bad(torch)
    with pytest.raises(RuntimeError):
        bad(pn)


def test_bfloat16_method_refuses_as_to_does():
    """No bfloat16 tensors here (NumPy has none): .bfloat16() raises the TypeError of .to(bfloat16),
    which code falling back to float32 catches (it was an AttributeError)."""
    with pytest.raises(TypeError, match="no bfloat16 tensors"):
        pn.ones(2).bfloat16()


@pytest.mark.parametrize("k", [20, 27, 28, 29, 31, 32, 33, 40])
def test_randint_over_wide_ranges_draws_torchs_words(k):
    # torch takes a 64-bit word from a range of 2**28 on (it took 32-bit words up to 2**32 before)
    torch = pytest.importorskip("torch")
    results = []
    for lib in (pn, torch):
        out = []
        for high in (2**k - 1, 2**k, 2**k + 1):
            lib.manual_seed(k)
            out.append(lib.randint(0, high, (5,)).tolist() + [lib.rand(1).item()])
        lib.manual_seed(0)
        out.append(lib.empty(3, dtype=lib.int32).random_(-(2**31), 2**31 - 1).tolist())
        results.append(out)
    assert results[0] == results[1]


BAD_DRAWS = {
    "randint_uint8": lambda T: T.randint(0, 300, (3,), dtype=T.uint8),
    "randint_negative_uint8": lambda T: T.randint(-5, 3, (2,), dtype=T.uint8),
    "random_int8": lambda T: T.zeros(3, dtype=T.int8).random_(0, 1000),
    "randperm_int8": lambda T: T.randperm(300, dtype=T.int8),
    "bernoulli_p": lambda T: T.zeros(2).bernoulli_(1.5),
    "exponential_lambda": lambda T: T.zeros(2).exponential_(-1.0),
    "geometric_p": lambda T: T.zeros(2).geometric_(0.0),
}


@pytest.mark.parametrize("case", sorted(BAD_DRAWS))
def test_draws_a_dtype_cannot_hold_or_bad_parameters_raise_as_torch(case):
    torch = pytest.importorskip("torch")
    messages = []
    for lib in (pn, torch):
        with pytest.raises(RuntimeError) as info:
            BAD_DRAWS[case](lib)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_default_generator_is_seeded_from_the_os_and_new_generators_from_torchs_seed():
    import subprocess
    import sys

    code = "import pyneuro as pn; print(pn.initial_seed(), pn.rand(1).item())"
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    ]
    assert (
        runs[0] != runs[1]
    )  # unseeded runs differ, as torch's (its default generator is seeded at start-up)
    assert pn.Generator().initial_seed() == torch.Generator().initial_seed() == 67280421310721

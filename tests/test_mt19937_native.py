"""The C++ twister (csrc/cpu/mt19937.cpp) that draws torch's stream from NumPy's MT19937 state:
word for word random_raw's, the state advanced as NumPy advances it, safe across threads."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import pyneuro as pn
from pyneuro import _torch_stream, backends


@pytest.fixture
def native():
    if not backends.status("cpu").available:
        pytest.skip("the C++ backend is not built")
    backends.get("cpu")  # loads pyneuro._cpu
    import pyneuro._cpu as native

    return native


@pytest.mark.parametrize("seed", [0, 1, 67280421310721 & 0xFFFFFFFF])
def test_words_and_state_are_numpys(native, seed):
    ours, numpys = np.random.MT19937(seed), np.random.MT19937(seed)
    for n in (0, 1, 623, 624, 625, 1, 5000, 3, 70000):  # across many twists, from every position
        np.testing.assert_array_equal(
            native.mt19937_words(ours.ctypes.state_address, n), numpys.random_raw(n)
        )
        assert ours.state["state"]["pos"] == numpys.state["state"]["pos"]
        np.testing.assert_array_equal(ours.state["state"]["key"], numpys.state["state"]["key"])


def test_bad_arguments_raise(native):
    with pytest.raises(ValueError):
        native.mt19937_words(np.random.MT19937(0).ctypes.state_address, -1)
    with pytest.raises(ValueError):
        native.mt19937_words(0, 10)


def test_the_stream_uses_it_and_its_fallback_gives_the_same_numbers(native, monkeypatch):
    pn.manual_seed(11)
    fast = pn.randn(3000), pn.rand(70000), pn.randperm(5000)
    assert _torch_stream._native_twister() is native
    monkeypatch.setattr(_torch_stream, "_TWISTER", [None])  # as if the layout check had failed
    pn.manual_seed(11)
    slow = pn.randn(3000), pn.rand(70000), pn.randperm(5000)
    for a, b in zip(fast, slow):
        assert a.tolist() == b.tolist()


def test_threads_sharing_a_generator_draw_each_word_once(native):
    stream = pn.Generator().manual_seed(5)._rng
    drawn, start = [], threading.Barrier(4)

    def draw():
        start.wait()
        drawn.append(np.concatenate([stream.words(1000) for _ in range(50)]))

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = np.random.MT19937()
    expected.state = {"bit_generator": "MT19937", "state": {"key": _torch_stream._key(5), "pos": 624}}
    np.testing.assert_array_equal(np.sort(np.concatenate(drawn)), np.sort(expected.random_raw(200_000)))


def test_torch_poisson_draws_torchs_values():
    torch = pytest.importorskip("torch")
    out = []
    for lib in (torch, pn):
        lib.manual_seed(0)
        rates = lib.tensor([[1.0, 4.0, 12.5], [0.0, 30.0, 0.5]])
        out.append((lib.poisson(rates).tolist(), lib.poisson(lib.tensor(3.0, dtype=lib.float64)).item()))
    assert out[0] == out[1]


def test_uniform_floats_are_the_words_recipe(native):
    ours, numpys = np.random.MT19937(3), np.random.MT19937(3)
    for n in (0, 1, 623, 624, 625, 70000):
        words = numpys.random_raw(n)
        expected = (words & np.uint64(0xFFFFFF)).astype(np.float32) * np.float32(2.0**-24)
        np.testing.assert_array_equal(native.mt19937_unit_f32(ours.ctypes.state_address, n), expected)
        assert ours.state["state"]["pos"] == numpys.state["state"]["pos"]
    with pytest.raises(ValueError):
        native.mt19937_unit_f32(0, 10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mean, std", [(0.0, 1.0), (2.5, 0.01), (-1.0, 3e5), (0.0, 1e-39)])
def test_box_muller_is_the_numpy_recipe_bit_for_bit(native, dtype, mean, std):
    """csrc/cpu/normal.cpp against _torch_stream's NumPy recipe (the reference, which is torch's
    kernel): every lane of a block, uniforms at both ends of [0, 1), enough blocks to run on all
    threads, and a std so small that the results are denormals (kept, as NumPy keeps them)."""
    u = np.random.default_rng(7).random(16 * 70_000).astype(dtype)
    u[:16] = [0.0, 2.0**-24, 0.5, 1 - 2.0**-24, 0.25, 0.75, 1e-7, 0.999] * 2
    recipe = _torch_stream._box_muller_f32 if dtype == np.float32 else _torch_stream._box_muller_f64
    expected = recipe(u.reshape(-1, 16), mean, std).reshape(-1)
    native.box_muller(u, mean, std)  # in place
    np.testing.assert_array_equal(u, expected)


def test_box_muller_refuses_what_it_cannot_fill(native):
    with pytest.raises(ValueError):
        native.box_muller(np.zeros(17, np.float32), 0.0, 1.0)  # not whole blocks
    with pytest.raises(ValueError):
        native.box_muller(np.zeros((16, 2), np.float32).T, 0.0, 1.0)  # not C-contiguous
    with pytest.raises(TypeError):
        native.box_muller(np.zeros(16, np.int32), 0.0, 1.0)

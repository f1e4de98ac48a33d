"""Edge rules torch applies that a script can meet, against torch:

- round(x, decimals=...) given, even 0, is the decimals overload: no integer or bool kernel
  (NotImplementedError "round_vml_cpu"), RoundBackward1 for floats; round(int_tensor) works.
- F.pad in reflect/replicate mode pads the input, then crops where a size is negative, so the
  reflect check reads the input's size: (2, 2, 2, -1) pads a 3x3 image (values and gradients).
- an index whose result has no elements checks no index value (torch's kernel runs on none):
  t[[5], 1:1] is empty, t[..., None, [0, 0, 1], -2:0:2] = v writes nothing.
"""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _outcome(fn):
    try:
        r = fn()
    except Exception as e:  # (its class and words are what is compared)
        return type(e).__name__, str(e).replace("pyneuro", "torch")
    return tuple(r.shape), r.tolist(), str(r.dtype).replace("pyneuro", "torch")


ROUND = {
    "int": lambda m: m.round(m.tensor([1, 2, 3], dtype=m.int32)),
    "int decimals=0": lambda m: m.round(m.tensor([1, 2, 3], dtype=m.int32), decimals=0),
    "long method decimals=0": lambda m: m.tensor([1, 2]).round(decimals=0),
    "uint8 decimals=0": lambda m: m.tensor([1], dtype=m.uint8).round(decimals=0),
    "int round_ decimals=0": lambda m: m.tensor([1, 2]).round_(decimals=0),
    "int decimals=1": lambda m: m.round(m.tensor([1, 2]), decimals=1),
    "bool decimals=0": lambda m: m.round(m.tensor([True]), decimals=0),
    "float decimals=0": lambda m: m.round(m.tensor([1.5, 2.5, -0.5]), decimals=0),
    "special float decimals=0": lambda m: m.special.round(m.tensor([1.5, 2.5]), decimals=0),
    "half decimals=0": lambda m: m.tensor([2.5, 3.5]).half().round(decimals=0),
}


@pytest.mark.parametrize("name", sorted(ROUND))
def test_round_with_decimals_given_is_torchs_overload(name):
    assert _outcome(lambda: ROUND[name](pn)) == _outcome(lambda: ROUND[name](torch))


def test_round_grad_fn_by_overload():
    def run(m):
        x = m.tensor([1.5, -2.5], requires_grad=True)
        return [
            type(f(x).grad_fn).__name__
            for f in (m.round, lambda t: m.round(t, decimals=0), lambda t: t.round(decimals=2))
        ]

    assert run(pn) == run(torch)


PADS = [
    ((1, 1, 3, 3), (2, 2, 2, -1)),
    ((1, 1, 3, 3), (2, 2, -1, 2)),
    ((1, 1, 3, 3), (-1, 2, 0, 0)),
    ((1, 1, 3), (2, -1)),
    ((1, 1, 3), (-3, 1)),
    ((1, 1, 3), (1, -3)),
    ((1, 1, 3), (-4, 2)),
    ((1, 1, 3), (-1, -2)),
    ((1, 1, 3), (3, 0)),
    ((2, 3, 4, 5), (3, -4, 2, -3)),
    ((1, 1, 2, 3, 3), (2, -1, 0, 0, 1, -1)),
]


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@pytest.mark.parametrize("case", range(len(PADS)))
def test_pad_with_negative_sizes_pads_then_crops_as_torch(mode, case):
    shape, pad = PADS[case]
    data = np.random.default_rng(case).standard_normal(shape).astype(np.float32)

    def run(m):
        x = m.tensor(data, requires_grad=True)
        try:
            y = m.nn.functional.pad(x, pad, mode=mode)
        except RuntimeError:  # (torch's; ours may be a subclass of it)
            return "RuntimeError"
        (y * m.arange(y.numel()).reshape(y.shape)).sum().backward()
        return y.detach().numpy().copy(), x.grad.numpy().copy(), type(y.grad_fn).__name__

    got, want = run(pn), run(torch)
    if isinstance(want, str) or isinstance(got, str):
        assert got == want
        return
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6)
    assert got[2] == want[2]


READS = {
    "list then empty slice": lambda m, t: t[[5], 1:1],
    "lone list on an empty dim": lambda m, t: m.zeros(2, 0)[[5]],
    "tensor index then empty slice": lambda m, t: t[m.tensor([5, 9]), 2:2],
    "2-D tensor index, :0": lambda m, t: t[m.tensor([[5]]), :0],
    "empty rows, list of columns": lambda m, t: m.zeros(0, 3)[:, [7]],
    "list out of range, result not empty": lambda m, t: t[[5], 1:2],
    "int out of range, empty dim": lambda m, t: m.zeros(2, 0)[5],
    "mask with a list out of range": lambda m, t: t[m.tensor([True, False]), [7]],
}


@pytest.mark.parametrize("name", sorted(READS))
def test_an_empty_selection_checks_no_index(name):
    def run(m):
        out = _outcome(lambda: READS[name](m, m.zeros(2, 3)))
        return out if len(out) == 3 else out[0]  # (an error: its class)

    assert run(pn) == run(torch)


WRITES = {
    "None, list, empty slice": (lambda t: t.__setitem__((Ellipsis, None, [0, 0, 1], slice(-2, 0, 2)), -1.0)),
    "list, empty slice": (lambda t: t.__setitem__(([5], slice(1, 1)), 1.0)),
    "lists, empty slice": (lambda t: t.__setitem__(([5, 7], slice(3, None)), 2.0)),
}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_write_to_an_empty_selection_writes_nothing(name):
    def run(m):
        t = m.zeros(3, 1, 3) if name.startswith("None") else m.zeros(2, 3)
        WRITES[name](t)
        return t.tolist()

    assert run(pn) == run(torch)


LARGE = {
    "diagonal(2**62)": lambda m: m.ones(3, 4).diagonal(2**62),
    "diagonal(-2**62)": lambda m: m.diagonal(m.ones(3, 4), offset=-(2**62)),
    "diagonal(4) of 3x4": lambda m: m.ones(3, 4).diagonal(4),
    "diagonal(2**63)": lambda m: m.ones(3, 4).diagonal(2**63),
    "diagonal_scatter(2**62)": lambda m: m.diagonal_scatter(m.ones(3, 4), m.ones(0), 2**62),
    "resize_(2**62)": lambda m: m.ones(3).resize_(2**62),
    "resize_(2**31, 2**31)": lambda m: m.ones(3).resize_(2**31, 2**31),
}


@pytest.mark.parametrize("name", sorted(LARGE))
def test_sizes_past_the_tensor_as_torch(name):
    """An offset past the matrix is the empty diagonal (NumPy's C long overflowed); a resize_
    past 2**63 bytes is torch's RuntimeError (was NumPy's ValueError)."""

    def run(m):
        try:
            r = LARGE[name](m)
        except RuntimeError:  # (ours: a subclass)
            return "RuntimeError"
        except ValueError:
            return "ValueError"
        return tuple(r.shape), r.tolist()

    assert run(pn) == run(torch)


def test_set_with_a_tensor_source_and_a_size_views_its_memory():
    """x.set_(source, storage_offset, size, stride): source's memory from storage_offset past
    source's own offset (torch's overload; it raised TypeError)."""

    def run(m):
        a = m.arange(10.0)
        b, c = m.empty(0), m.empty(0)
        b.set_(a, 1, (3,), (2,))
        c.set_(a[2:], 1, (2, 2))
        c[0, 0] = 100.0
        return b.tolist(), b.stride(), c.tolist(), a.tolist()

    assert run(pn) == run(torch)


@pytest.mark.parametrize("call", ["function", "method"])
def test_round_decimals_none_is_a_type_error(call):
    """decimals=None is not "not given": torch's parser refuses it."""

    def run(m):
        x = m.tensor([1.25])
        with pytest.raises(TypeError):
            m.round(x, decimals=None) if call == "function" else x.round(decimals=None)
        return m.round(x).tolist(), x.round(decimals=1).tolist()

    assert run(pn) == run(torch)

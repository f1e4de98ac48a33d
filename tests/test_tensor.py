"""Tensor basics: creation, dtypes, conversion, properties, repr, random generators."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import pyneuro as pn
from pyneuro import backends


def test_default_dtypes():
    assert pn.tensor([1.0, 2.0]).dtype == pn.float32
    assert pn.tensor(np.array([1.0, 2.0])).dtype == pn.float64  # NumPy's dtype is kept, as in torch
    assert pn.tensor([1, 2]).dtype == pn.int64
    assert pn.tensor(np.array([1, 2], dtype=np.int32)).dtype == pn.int32
    assert pn.tensor([True, False]).dtype == pn.bool_
    assert pn.tensor([1, 2], dtype=pn.float32).dtype == pn.float32
    assert pn.tensor([1.0], dtype=pn.float64).dtype == pn.float64
    assert pn.tensor(3.5).shape == ()
    assert pn.Tensor([1, 2]).dtype == pn.float32  # torch.Tensor is the float tensor type
    assert pn.float is pn.float32 and pn.long is pn.int64 and pn.int is pn.int32 and pn.bool is pn.bool_


def test_bad_data_is_type_error():
    with pytest.raises(TypeError):
        pn.tensor(["a", "b"])
    with pytest.raises(TypeError):
        pn.tensor({"a": 1})


def test_tensor_copies_from_numpy_shares():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t1 = pn.tensor(a)
    t2 = pn.from_numpy(a)
    a[0, 0] = 100
    assert t1[0, 0].item() == 0.0
    assert t2[0, 0].item() == 100.0
    assert np.shares_memory(t2.numpy(), a)
    with pytest.raises(TypeError):
        pn.from_numpy([1, 2])


def test_from_numpy_keeps_or_converts_each_dtype_as_before():
    """from_numpy wraps the dtypes kept as they are (_tensor_base.KEPT_AS_IS) without any check:
    the same memory and dtype; unsigned widths torch lacks become int64 copies, and a
    big-endian array is refused, as torch refuses it (ValueError)."""
    for dt in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"):
        a = np.zeros((2, 3), dtype=dt)
        t = pn.from_numpy(a)
        assert t.numpy() is a and t.device == "cpu" and not t.requires_grad, dt
    for dt, want in (("uint16", np.int64), ("uint32", np.int64)):
        a = np.arange(4).astype(dt)
        t = pn.from_numpy(a)
        assert t.numpy().dtype == want and t.tolist() == [0, 1, 2, 3], dt
        assert not np.shares_memory(t.numpy(), a), dt
    with pytest.raises(ValueError, match="byte order"):
        pn.from_numpy(np.arange(4).astype(">f4"))
    for a in (np.array(2.5, np.float32), np.ones((0, 4), np.float32), np.arange(3.0)[::2]):
        assert pn.from_numpy(a).numpy() is a  # 0-d, empty and strided arrays too
    ro = np.ones(3, np.float32)
    ro.flags.writeable = False
    assert pn.from_numpy(ro).numpy() is ro


def test_creation_functions():
    assert pn.zeros(2, 3).shape == (2, 3) and pn.zeros((2, 3)).dtype == pn.float32
    assert pn.ones(4).tolist() == [1.0] * 4
    assert pn.full((2,), 7).dtype == pn.int64 and pn.full((2,), 7.0).tolist() == [7.0, 7.0]
    assert pn.empty(3, 2).shape == (3, 2)
    np.testing.assert_array_equal(pn.eye(3).numpy(), np.eye(3))
    assert pn.eye(2, 3).shape == (2, 3)
    assert pn.arange(5).tolist() == [0, 1, 2, 3, 4] and pn.arange(5).dtype == pn.int64
    assert pn.arange(1, 2, 0.5).tolist() == [1.0, 1.5] and pn.arange(0.0, 1.0, 0.25).dtype == pn.float32
    np.testing.assert_allclose(pn.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5))
    x = pn.randn(3, 4)
    for like in (pn.zeros_like, pn.ones_like, pn.empty_like, pn.rand_like, pn.randn_like):
        y = like(x)
        assert y.shape == x.shape and y.dtype == x.dtype
    assert pn.full_like(x, 2.0).tolist()[0][0] == 2.0
    assert pn.zeros(2, requires_grad=True).requires_grad
    assert pn.zeros(2, dtype=pn.int64).dtype == pn.int64
    with pytest.raises(ValueError):
        pn.zeros(-1)


def test_random_ranges_and_types():
    pn.manual_seed(0)
    r = pn.rand(1000)
    assert 0 <= r.min().item() and r.max().item() < 1 and r.dtype == pn.float32
    n = pn.randn(10000)
    assert abs(n.mean().item()) < 0.05 and abs(n.std().item() - 1) < 0.05
    i = pn.randint(3, 7, (100,))
    assert i.dtype == pn.int64 and 3 <= i.min().item() and i.max().item() < 7
    assert pn.randint(5, (3,)).shape == (3,)
    p = pn.randperm(10)
    assert sorted(p.tolist()) == list(range(10)) and p.dtype == pn.int64


def test_manual_seed_reproducible():
    pn.manual_seed(123)
    a = pn.randn(5)
    b = pn.rand(3)
    pn.manual_seed(123)
    assert pn.randn(5).tolist() == a.tolist() and pn.rand(3).tolist() == b.tolist()


def test_generator_state_roundtrip(tmp_path):
    g = pn.Generator().manual_seed(7)
    assert g.initial_seed() == 7
    pn.randn(3, generator=g)
    state = g.get_state()
    a = pn.randperm(20, generator=g).tolist()
    g.set_state(state)
    assert pn.randperm(20, generator=g).tolist() == a
    # state survives pn.save / pn.load and np.save
    pn.save({"rng": state}, tmp_path / "s.pt")
    g2 = pn.Generator().set_state(pn.load(tmp_path / "s.pt")["rng"])
    g.set_state(state)
    assert pn.rand(4, generator=g2).tolist() == pn.rand(4, generator=g).tolist()
    np.save(tmp_path / "s.npy", np.asarray(state))
    g3 = pn.Generator().set_state(np.load(tmp_path / "s.npy"))
    assert isinstance(g3, pn.Generator)
    with pytest.raises(ValueError):
        g.set_state(b"garbage")
    with pytest.raises(TypeError):
        g.manual_seed(1.5)


def test_independent_generators():
    g1 = pn.Generator().manual_seed(1)
    g2 = pn.Generator().manual_seed(1)
    pn.randn(10)  # default generator does not disturb them
    assert pn.randn(4, generator=g1).tolist() == pn.randn(4, generator=g2).tolist()


def test_properties_and_conversions():
    x = pn.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.shape == (2, 3) and x.size() == (2, 3) and x.size(1) == 3
    assert x.ndim == 2 and x.dim() == 2 and x.numel() == 6 and len(x) == 2
    assert x.device == "cpu" and not x.is_cuda
    assert x[1, 2].item() == 6.0 and isinstance(x[1, 2].item(), float)
    assert x.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert np.asarray(x).shape == (2, 3)
    assert float(x[0, 0]) == 1.0 and int(pn.tensor(3)) == 3
    assert [row.tolist() for row in x] == x.tolist()
    with pytest.raises(RuntimeError, match="6 elements"):
        x.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)
    with pytest.raises(TypeError):
        len(pn.tensor(1.0))
    assert x.to("cpu") is x
    assert x.cpu() is x
    y = pn.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        y.numpy()
    assert y.detach().numpy().tolist() == [1.0]
    assert f"{pn.tensor(0.123456):.3f}" == "0.123"


def test_to_cuda_without_backend_is_clear():
    if backends.status("cuda").available or backends.status("cupy").available:
        pytest.skip("a CUDA backend is usable here")
    with pytest.raises(RuntimeError, match="cuda"):
        pn.zeros(2).to("cuda")
    with pytest.raises(RuntimeError, match="cuda"):
        pn.zeros(2, device="cuda")


def test_unknown_device():
    with pytest.raises(ValueError, match="device"):
        pn.zeros(2, device="tpu")


def test_repr_variants():
    assert repr(pn.tensor(2.5)) == "tensor(2.5000)"
    assert repr(pn.tensor([1.0], dtype=pn.float64)) == "tensor([1.], dtype=pyneuro.float64)"
    assert repr(pn.tensor([True])) == "tensor([True])"  # as torch prints it (NumPy would pad: [ True])
    assert repr(pn.tensor([True, False])) == "tensor([ True, False])"
    assert "requires_grad=True" in repr(pn.zeros(2, requires_grad=True))


def test_import_is_light():
    import os
    from pathlib import Path

    code = (
        "import sys, pyneuro; bad = [m for m in ('numba', 'cupy', 'torch') if m in sys.modules]; print(bad)"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(pn.__file__).resolve().parents[1]))  # the pyneuro under test
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "[]"


def test_public_exports():
    for name in (
        "Tensor",
        "tensor",
        "from_numpy",
        "zeros",
        "ones",
        "full",
        "empty",
        "rand",
        "randn",
        "randint",
        "randperm",
        "arange",
        "linspace",
        "eye",
        "zeros_like",
        "ones_like",
        "full_like",
        "empty_like",
        "rand_like",
        "randn_like",
        "cat",
        "stack",
        "where",
        "matmul",
        "exp",
        "log",
        "no_grad",
        "enable_grad",
        "manual_seed",
        "Generator",
        "save",
        "load",
        "gradcheck",
        "float32",
        "float64",
        "int64",
        "is_tensor",
        "sum",
        "abs",
    ):
        assert hasattr(pn, name), name
    assert pn.is_tensor(pn.zeros(1)) and not pn.is_tensor(np.zeros(1))
    import pyneuro.functional as F  # noqa: F401
    from pyneuro import nn, optim  # noqa: F401

    assert pn.sum(pn.ones(3)).item() == 3.0


@pytest.fixture
def stand_in_cuda(monkeypatch):
    """Let the NumPy reference backend stand in for the "cuda" device (no GPU here).

    The Tensor layer only ever talks to a device through its backend's table, so this
    exercises every device code path (transfers, device checks) without a GPU.
    """
    from pyneuro.backends import _registry

    _registry.get("numpy")
    monkeypatch.setitem(_registry._selected, "cuda", "numpy")
    return "cuda"


def test_a_gpu_tensors_device_prints_cuda_0(stand_in_cuda):
    """torch's GPU tensors are on `cuda:0` (their device prints it; their repr says device='cuda:0')."""
    xc = pn.ones(2).to("cuda")
    assert str(xc.device) == "cuda:0" and xc.device.index == 0 and xc.device == "cuda"
    assert repr(xc.device) == "device(type='cuda', index=0)" and "device='cuda:0'" in repr(xc)
    assert str(pn.ones(2).device) == "cpu" and pn.ones(2).device.index is None


def test_device_transfer_and_mixing_errors(stand_in_cuda):
    from pyneuro import nn

    x = pn.tensor([1.0, 2.0], requires_grad=True)
    xc = x.to("cuda")
    assert xc.device == "cuda" and xc.grad_fn is not None and "device='cuda:0'" in repr(xc)
    with pytest.raises(RuntimeError, match="same device"):
        x + xc
    with pytest.raises(RuntimeError, match="same device"):
        pn.matmul(x, xc)
    (xc * 3).sum().backward()
    assert x.grad.device == "cpu" and x.grad.tolist() == [3.0, 3.0]
    m = nn.Linear(2, 1).to("cuda")
    assert all(p.device == "cuda" for p in m.parameters())
    out = m(xc.detach().reshape(1, 2))
    assert out.device == "cuda"
    with pytest.raises(RuntimeError, match="cuda"):
        pn.functional.cross_entropy(pn.zeros(2, 3, device="cuda"), pn.tensor([0, 1]))
    with pytest.raises(TypeError, match="cpu"):
        xc.detach().numpy()
    assert xc.cpu().device == "cpu" and xc.detach().cpu().tolist() == [1.0, 2.0]
    z = pn.zeros(2)
    z.copy_(xc.detach())
    assert z.tolist() == [1.0, 2.0]


def test_torch_style_free_functions():
    x = pn.tensor([[3.0, 1.0, 2.0], [0.5, 4.0, -1.0]], requires_grad=True)
    v, i = pn.max(x, dim=1)
    assert v.tolist() == [3.0, 4.0] and i.tolist() == [0, 1]
    assert pn.max(x).item() == 4.0 and pn.min(x).item() == -1.0
    np.testing.assert_allclose(pn.softmax(x, dim=1).detach().numpy().sum(1), [1.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(pn.norm(x).item(), np.linalg.norm(x.detach().numpy()), rtol=1e-6)
    assert x.norm(p=1).item() == 11.5 and x.norm(p=float("inf")).item() == 4.0
    vals, idx = pn.topk(x, 2, dim=1)
    assert vals.tolist() == [[3.0, 2.0], [4.0, 0.5]] and idx.tolist() == [[0, 2], [1, 0]]
    vals.sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]
    assert pn.argsort(pn.tensor([3, 1, 2])).tolist() == [1, 2, 0]
    assert pn.tensor([3.0, 1.0]).sort().values.tolist() == [1.0, 3.0]
    assert pn.pow(pn.tensor([2.0]), 3).item() == 8.0
    assert pn.dot(pn.tensor([1.0, 2.0]), pn.tensor([3.0, 4.0])).item() == 11.0
    assert pn.unsqueeze(pn.zeros(3), 0).shape == (1, 3) and pn.squeeze(pn.zeros(1, 3)).shape == (3,)
    assert pn.normal(0.0, 1.0, (100,)).shape == (100,)
    assert pn.gradcheck(lambda a: a.norm(dim=1) + a.topk(1, dim=1).values.sum(), (x,))


def test_new_factories_keep_dtype_and_device():
    x = pn.zeros(2, dtype=pn.float64)
    assert x.new_zeros(3).dtype == pn.float64 and x.new_ones((1, 2)).shape == (1, 2)
    assert x.new_full((2,), 3).tolist() == [3.0, 3.0] and x.new_tensor([1, 2]).dtype == pn.float64

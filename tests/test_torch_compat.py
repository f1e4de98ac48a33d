"""The torch surface behind `import pyneuro as torch` (issue 14), checked piece by piece against torch.

tests/test_course_notebooks.py runs whole course-style snippets under both; this file pins the
objects and rules they rest on: dtypes, Size, device, NumPy keywords, module paths, grad_fn
names, the added functions (values and gradients), float64, and interop (DLPack, NumPy).
"""

from __future__ import annotations

import importlib
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

import pyneuro as pn


def _torch():
    return pytest.importorskip("torch")


# ----------------------------------------------------------------------------- dtypes
def test_dtype_objects_print_compare_and_hash_like_numpy_dtypes():
    assert repr(pn.float32) == str(pn.float32) == "pyneuro.float32"
    assert repr(pn.bool) == "pyneuro.bool" and pn.long is pn.int64 and pn.double is pn.float64
    for d, np_d in [
        (pn.float32, np.float32),
        (pn.int64, np.int64),
        (pn.bool, np.bool_),
        (pn.float64, "float64"),
    ]:
        assert d == np_d and d == np.dtype(np_d) and np.dtype(np_d) == d
        assert hash(d) == hash(np.dtype(np_d))
        assert np.dtype(d) == np.dtype(np_d) and np.zeros(2, dtype=d).dtype == np.dtype(np_d)
    assert pn.float32 != pn.float64 and pn.float32 != np.int64 and pn.float32 != "not a dtype"
    assert {np.dtype("float32"): 1}[pn.float32] == 1 and {pn.float32: 2}[np.dtype("float32")] == 2
    assert pn.ones(2).dtype is pn.float32 and pn.ones(2, dtype=np.float64).dtype is pn.float64
    assert isinstance(pn.float32, pn.dtype) and pickle.loads(pickle.dumps(pn.int64)) is pn.int64


def test_dtype_properties_match_torch():
    torch = _torch()
    for name in ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]:
        ours, theirs = getattr(pn, name), getattr(torch, name)
        assert repr(ours).replace("pyneuro", "torch") == repr(theirs)
        assert ours.is_floating_point == theirs.is_floating_point
        assert ours.itemsize == theirs.itemsize and ours.is_signed == theirs.is_signed


def test_type_strings_match_torch_and_cast():
    torch = _torch()
    for name in ["float32", "float64", "int64", "int32", "uint8", "bool"]:
        assert (
            pn.zeros(1, dtype=getattr(pn, name)).type() == torch.zeros(1, dtype=getattr(torch, name)).type()
        )
    assert pn.ones(2).type("torch.LongTensor").dtype is pn.int64
    assert pn.ones(2).type(pn.float64).dtype is pn.float64


@pytest.mark.parametrize(
    "name", ["FloatTensor", "cuda.FloatTensor", "torch.foo.FloatTensor", "torch.float32", "Tensor"]
)
def test_type_string_must_name_a_tensor_type(name):
    """t.type(str) takes 'torch.XTensor' and 'torch.cuda.XTensor' only, as torch: a bare or
    mistyped prefix is torch's ValueError (pyneuro cast any '*.FloatTensor' before)."""
    torch = _torch()
    with pytest.raises(ValueError, match="invalid type"):
        torch.ones(1).type(name)
    with pytest.raises(ValueError, match="invalid type"):
        pn.ones(1).type(name)


def test_type_cuda_string_goes_to_cuda():
    """t.type('torch.cuda.FloatTensor') asks for the GPU (pyneuro gave a CPU tensor); without one it
    raises the RuntimeError torch raises. 'torch.Tensor' names the default type."""
    torch = _torch()
    assert str(pn.ones(2, dtype=pn.int64).type("torch.Tensor").dtype) == str(
        torch.ones(2, dtype=torch.int64).type("torch.Tensor").dtype
    ).replace("torch", "pyneuro")
    if pn.cuda.is_available():
        assert pn.ones(1).type("torch.cuda.DoubleTensor").type() == "torch.cuda.DoubleTensor"
        assert pn.ones(1).cuda().type("torch.LongTensor").device == "cpu"
    else:
        with pytest.raises(RuntimeError):
            pn.ones(1).type("torch.cuda.FloatTensor")


# ----------------------------------------------------------------------------- Size and device
def test_size_is_a_tuple_printing_like_torch():
    torch = _torch()
    s = pn.ones(2, 3).shape
    assert isinstance(s, tuple) and isinstance(s, pn.Size) and s == (2, 3)
    assert repr(s) == "pyneuro.Size([2, 3])" and repr(s).replace("pyneuro", "torch") == repr(
        torch.ones(2, 3).shape
    )
    assert s.numel() == 6 == torch.Size([2, 3]).numel() and pn.Size([]).numel() == 1
    assert isinstance(s[1:], pn.Size) and s[1] == 3 and pn.ones(2, 3).size() == s
    assert pn.zeros(s).shape == s and pn.ones(2, 3).reshape(s[::-1]).shape == (3, 2)


def test_device_objects():
    d = pn.device("cuda" if pn.cuda.is_available() else "cpu")
    assert (
        d == "cpu"
        and d.type == "cpu"
        and d.index is None
        and repr(d) == "device(type='cpu')"
        and str(d) == "cpu"
    )
    x = pn.ones(2)
    assert x.device == d and x.device == pn.device("cpu") and isinstance(x.device, pn.device)
    assert x.to(d) is x and x.to(d, pn.float64).dtype is pn.float64 and pn.nn.Linear(2, 2).to(d)
    assert (x + 1).device.type == "cpu" and pn.device(x.device) is x.device
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda device type"):
        pn.device("tpu")
    with pytest.raises(RuntimeError):  # an ordinal names a GPU (torch: none here), and pyneuro has one
        pn.device(3)


@pytest.mark.parametrize(
    "args", [("cuda", 0), ("cuda:0",), ("cuda",), ("cpu", 0), ("cpu:0",), ("cpu",)], ids=str
)
def test_a_device_named_with_its_index_prints_it_as_torch(args):
    """`device = torch.device("cuda", 0)`; `print(f"Using {device}")`: torch prints cuda:0 (and
    .index 0) for a device named with its index, cuda (.index None) for one without."""
    torch = _torch()
    d, t = pn.device(*args), torch.device(*args)
    assert (str(d), repr(d), f"{d}", f"{d!s:>8}", d.type, d.index) == (
        str(t),
        repr(t),
        f"{t}",
        f"{t!s:>8}",
        t.type,
        t.index,
    )
    assert pickle.loads(pickle.dumps(d)) == d and repr(pickle.loads(pickle.dumps(d))) == repr(d)
    assert isinstance(d, pn.device) and str(type(d)) == "<class 'pyneuro.device'>"
    # pyneuro has one device of each type: with or without the index, it is the same one
    assert d == pn.device(args[0].split(":")[0]) and hash(d) == hash(args[0].split(":")[0])


# ----------------------------------------------------------------------------- NumPy keywords
def test_axis_and_keepdims_agree_with_torch():
    torch = _torch()
    a = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    x, t = pn.tensor(a), torch.tensor(a)
    cases = [
        lambda m, v: v.sum(axis=1),
        lambda m, v: v.sum(axis=0, keepdims=True),
        lambda m, v: v.mean(axis=1, keepdim=True),
        lambda m, v: v.std(axis=0),
        lambda m, v: v.max(axis=1, keepdim=True).values,
        lambda m, v: v.min(axis=0).indices,
        lambda m, v: v.argmax(axis=1),
        lambda m, v: v.logsumexp(axis=1, keepdim=True),
        lambda m, v: v.softmax(axis=-1),
        lambda m, v: v.log_softmax(axis=-1),
        lambda m, v: v.cumsum(axis=0),
        lambda m, v: v.norm(dim=1),
        lambda m, v: m.sum(v, axis=0, keepdims=True),
        lambda m, v: m.mean(v, axis=1),
        lambda m, v: m.softmax(v, axis=0),
        lambda m, v: m.logsumexp(v, axis=1),
        lambda m, v: m.argmax(v, axis=0),
    ]
    for case in cases:
        np.testing.assert_allclose(np.asarray(case(pn, x)), case(torch, t).numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="both 'dim' and its alias 'axis'"):
        x.sum(dim=0, axis=1)


# ----------------------------------------------------------------------------- module paths
@pytest.mark.parametrize(
    "path",
    [
        "pyneuro.nn",
        "pyneuro.nn.functional",
        "pyneuro.nn.init",
        "pyneuro.nn.utils",
        "pyneuro.optim",
        "pyneuro.optim.lr_scheduler",
        "pyneuro.utils.data",
        "pyneuro.autograd",
        "pyneuro.linalg",
    ],
)
def test_torch_submodule_paths_are_modules(path):
    module = importlib.import_module(path)
    assert module.__name__ == path and module.__spec__ is not None
    assert importlib.import_module(path.replace("pyneuro", "pyneuro", 1)) is module


def test_nn_functional_is_the_same_functions():
    import pyneuro.functional
    import pyneuro.nn.functional as F
    from pyneuro.utils.data import DataLoader, TensorDataset

    assert F.cross_entropy is pyneuro.functional.cross_entropy and F.gelu is pyneuro.functional.gelu
    assert DataLoader is pn.data.DataLoader and TensorDataset is pn.data.TensorDataset


def test_import_pyneuro_stays_free_of_numba_and_cupy():
    code = "import sys, pyneuro; print(any(m in sys.modules for m in ('numba', 'cupy', 'torch')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------------------- grad_fn names
GRAD_FN_CASES = [
    "a + a",
    "a * 2",
    "a - 1",
    "a / 2",
    "a ** 2",
    "a ** a",
    "-a",
    "a @ b",
    "a[0] @ a[0]",
    "a.sum()",
    "a.mean()",
    "a.sum(dim=1)",
    "a.mean(1, keepdim=True)",
    "c.sum(0)",
    "a.min()",
    "a.relu()",
    "a.exp()",
    "a.log()",
    "a.sqrt()",
    "a.abs()",
    "a.tanh()",
    "a.sigmoid()",
    "a.sin()",
    "a.log1p()",
    "a.softmax(-1)",
    "F.log_softmax(a, 1)",
    "F.cross_entropy(a, m.tensor([1]))",
    "F.mse_loss(a, m.zeros(1, 2))",
    "F.linear(a, c)",
    "F.linear(a, c, m.ones(2))",
    "a.reshape(2, 1)",
    "a.view(2, 1)",
    "a.T",
    "a.permute(1, 0)",
    "a[0]",
    "a[:, 0]",
    "a[:, :1]",
    "a[m.tensor([0])]",
    "m.cat([a, a])",
    "m.stack([a, a])",
    "a.max()",
    "a.amax(1)",
    "a.clamp(0, 1)",
    "m.where(a > 1, a, a)",
    "m.maximum(a, a)",
    "a.expand(3, 2)",
    "a.clone()",
    "a.double()",
    "a.cumsum(1)",
    "F.embedding(m.tensor([0]), c)",
]


@pytest.mark.parametrize("expr", GRAD_FN_CASES)
def test_grad_fn_names_match_torch(expr):
    torch = _torch()
    import torch.nn.functional as tF

    import pyneuro.nn.functional as pF

    names = []
    for m, F in ((torch, tF), (pn, pF)):
        a = m.tensor([[1.0, 2.0]], requires_grad=True)
        b = m.tensor([[3.0], [4.0]], requires_grad=True)
        c = m.ones(2, 2, requires_grad=True)
        out = eval(expr, {"m": m, "F": F, "a": a, "b": b, "c": c})
        fn = out.grad_fn
        names.append((fn.name(), type(fn).__name__, repr(fn).split(" object at 0x")[0]))
    assert names[1] == names[0]


def test_grad_fn_repr_next_functions_and_leaves():
    torch = _torch()
    a = pn.tensor([1.0, 2.0], requires_grad=True)
    y = (a * pn.ones(2)).sum()
    assert repr(y.grad_fn).startswith("<SumBackward0 object at 0x")
    ((mul, _),) = y.grad_fn.next_functions
    assert type(mul).__name__ == "MulBackward0" and isinstance(mul, pn.autograd.Mul)
    leaf, none = mul.next_functions
    assert type(leaf[0]).__name__ == "AccumulateGrad" and leaf[0].variable is a and none == (None, 0)
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    assert [type(f).__name__ for f, _ in (t * torch.ones(2)).grad_fn.next_functions] == [
        "AccumulateGrad",
        "NoneType",
    ]
    y.backward()  # the renamed node class still runs its backward
    assert a.grad.tolist() == [1.0, 1.0]
    assert repr(pn.ones(2, requires_grad=True) + 1).endswith("grad_fn=<AddBackward0>)")


# ----------------------------------------------------------------------------- added functions
def test_roll_bincount_cdist_equal_against_torch():
    torch = _torch()
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    for args in [(1,), (-2,), (1, 1), (5, 0), ((1, -1), (0, 1))]:
        np.testing.assert_array_equal(
            pn.roll(pn.tensor(a), *args).numpy(), torch.roll(torch.tensor(a), *args).numpy()
        )
    x = pn.tensor(a, requires_grad=True)
    (pn.roll(x, 1, 1) * pn.arange(12.0).reshape(3, 4)).sum().backward()
    t = torch.tensor(a, requires_grad=True)
    (torch.roll(t, 1, 1) * torch.arange(12.0).reshape(3, 4)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())

    v = np.array([0, 3, 3, 1, 0, 3])
    w = np.array([0.5, 1, 2, 3, 4, 5], dtype=np.float32)
    for kw in [{}, {"minlength": 7}]:
        ours, theirs = pn.bincount(pn.tensor(v), **kw), torch.bincount(torch.tensor(v), **kw)
        assert ours.tolist() == theirs.tolist() and ours.dtype == pn.int64
    ours, theirs = pn.bincount(pn.tensor(v), pn.tensor(w)), torch.bincount(torch.tensor(v), torch.tensor(w))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy()) and ours.dtype == pn.float32
    with pytest.raises(RuntimeError):
        pn.bincount(pn.tensor([-1, 2]))

    rng = np.random.default_rng(0)
    p, q = rng.normal(size=(2, 5, 3)).astype(np.float32), rng.normal(size=(2, 4, 3)).astype(np.float32)
    for norm in (2.0, 1.0, 3.0, float("inf")):
        x1, x2 = pn.tensor(p, requires_grad=True), pn.tensor(q)
        t1, t2 = torch.tensor(p, requires_grad=True), torch.tensor(q)
        d, dt = pn.cdist(x1, x2, p=norm), torch.cdist(t1, t2, p=norm)
        np.testing.assert_allclose(d.detach().numpy(), dt.detach().numpy(), rtol=1e-5, atol=1e-5)
        d.sum().backward()
        dt.sum().backward()
        np.testing.assert_allclose(x1.grad.numpy(), t1.grad.numpy(), rtol=1e-4, atol=1e-5)
    assert pn.equal(pn.ones(2), pn.ones(2)) and not pn.equal(pn.ones(2), pn.ones(3))


def test_multinomial_properties():
    pn.manual_seed(0)
    probs = pn.tensor([0.2, 0.0, 0.8])
    s = pn.multinomial(probs, 1000, replacement=True)
    assert s.shape == (1000,) and s.dtype is pn.int64 and not (s == 1).any()
    assert 0.7 < (s == 2).float().mean().item() < 0.9
    rows = pn.multinomial(pn.tensor([[1.0, 1, 1, 1], [0, 5, 1, 0]]), 2)
    assert rows.shape == (2, 2) and rows[0, 0] != rows[0, 1] and set(rows[1].tolist()) == {1, 2}
    g = pn.Generator().manual_seed(3)
    assert (
        pn.multinomial(probs, 5, True, generator=g).tolist()
        == pn.multinomial(probs, 5, True, generator=pn.Generator().manual_seed(3)).tolist()
    )
    # more samples than non-zero weights (not more than categories): torch 2.13 draws the
    # zero-weight ones last instead of raising
    assert pn.multinomial(pn.tensor([1.0, 0.0]), 2).tolist() == [0, 1]
    with pytest.raises(RuntimeError, match="cannot sample"):
        pn.multinomial(pn.tensor([1.0, 0.0]), 3)
    with pytest.raises(RuntimeError, match="probability tensor contains"):
        pn.multinomial(pn.tensor([1.0, -1.0]), 1)


def test_gelu_and_clip_grad_norm_against_torch():
    torch = _torch()
    a = np.linspace(-6, 6, 101, dtype=np.float32)
    for approximate in ("none", "tanh"):
        x, t = pn.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        y, yt = pn.nn.GELU(approximate=approximate)(x), torch.nn.GELU(approximate=approximate)(t)
        np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), atol=1e-6)  # ~3 float32 ulps
        y.sum().backward()
        yt.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), atol=2e-5)
    assert repr(pn.nn.GELU()) == repr(torch.nn.GELU()) and repr(pn.nn.GELU("tanh")) == repr(
        torch.nn.GELU("tanh")
    )

    grads = [np.array([3.0, 4.0], np.float32), np.array([[12.0]], np.float32)]
    for max_norm, norm_type in [(1.0, 2.0), (100.0, 2.0), (2.0, 1.0), (1.0, float("inf"))]:
        ps = [pn.nn.Parameter(pn.zeros(*g.shape)) for g in grads]
        ts = [torch.nn.Parameter(torch.zeros(*g.shape)) for g in grads]
        for p, t, g in zip(ps, ts, grads):
            p.grad, t.grad = pn.tensor(g), torch.tensor(g)
        total = pn.nn.utils.clip_grad_norm_(ps, max_norm, norm_type)
        total_t = torch.nn.utils.clip_grad_norm_(ts, max_norm, norm_type)
        assert abs(total.item() - total_t.item()) < 1e-5
        for p, t in zip(ps, ts):
            np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-6)


def test_linalg_norm_against_torch():
    torch = _torch()
    a = np.array([[1.0, -2.0, 2.0], [3.0, 4.0, 0.0]], np.float32)
    for kw in [
        {},
        {"dim": 1},
        {"dim": 0, "keepdim": True},
        {"ord": 1, "dim": 1},
        {"ord": float("inf"), "dim": 0},
    ]:
        np.testing.assert_allclose(
            pn.linalg.norm(pn.tensor(a), **kw).numpy(),
            torch.linalg.norm(torch.tensor(a), **kw).numpy(),
            rtol=1e-6,
        )
    np.testing.assert_allclose(
        pn.linalg.vector_norm(pn.tensor(a), 3).item(),
        torch.linalg.vector_norm(torch.tensor(a), 3).item(),
        rtol=1e-6,
    )
    for ord_ in (2, -2, "nuc", 1, float("inf")):  # the matrix norms (singular values for 2, -2, nuc)
        np.testing.assert_allclose(
            pn.linalg.norm(pn.tensor(a), ord=ord_).item(),
            torch.linalg.norm(torch.tensor(a), ord=ord_).item(),
            rtol=1e-5,
        )


def test_inference_mode_and_no_grad_forms():
    w = pn.ones(2, requires_grad=True)
    with pn.inference_mode():
        assert not (w * 2).requires_grad
    with pn.inference_mode(False):
        assert (w * 2).requires_grad

    @pn.inference_mode
    def bare(v):
        return w * v

    @pn.no_grad()
    def called(v):
        return w * v

    assert not bare(2).requires_grad and not called(2).requires_grad and pn.is_grad_enabled()


# ----------------------------------------------------------------------------- float64
def test_float64_from_numpy_runs_on_the_reference_kernels_like_torch():
    torch = _torch()
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2))
    assert pn.from_numpy(a).dtype is pn.float64 and pn.tensor(2.5).dtype is pn.float32
    assert pn.tensor([1.5]).dtype is pn.float32 and pn.tensor(np.float64(1.5)).dtype is pn.float64
    x, t = pn.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, yt = (x @ pn.tensor(b)).softmax(-1), (t @ torch.tensor(b)).softmax(-1)
    assert y.dtype is pn.float64
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-12)
    y[:, 0].sum().backward()
    yt[:, 0].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10)
    layer = pn.nn.Linear(3, 2)
    with pytest.raises(
        RuntimeError, match="^mat1 and mat2 must have the same dtype, but got Double and Float$"
    ):
        layer(pn.tensor(a))
    with pytest.raises(
        RuntimeError, match="^mat1 and mat2 must have the same dtype, but got Double and Float$"
    ):
        torch.nn.Linear(3, 2)(torch.tensor(a))
    assert layer(pn.tensor(a).float()).dtype is pn.float32


# ----------------------------------------------------------------------------- interop
def test_torch_reads_pyneuro_tensors():
    torch = _torch()
    for data in ([[1.0, 2.0], [3.0, 4.0]], 3.0, [1, 2], np.arange(4.0)):
        x = pn.tensor(data)
        for convert in (torch.tensor, torch.as_tensor, torch.from_dlpack):
            t = convert(x)
            assert t.tolist() == x.tolist() and str(t.dtype) == str(x.dtype).replace("pyneuro", "torch")
    x = pn.zeros(3)
    shared = torch.from_dlpack(x)
    shared[1] = 5.0  # zero-copy both ways
    assert x.tolist() == [0.0, 5.0, 0.0]
    back = pn.from_dlpack(shared)
    back[2] = 7.0
    assert (
        shared.tolist() == [0.0, 5.0, 7.0]
        and pn.from_dlpack(torch.ones(2, dtype=torch.float64)).dtype is pn.float64
    )
    alias = pn.from_dlpack(x)  # (a new tensor on x's memory, as torch's from_dlpack of a tensor)
    assert alias is not x and alias.data_ptr() == x.data_ptr() and np.from_dlpack(x).base is not None


def test_numpy_of_a_tensor_that_requires_grad_raises_like_torch():
    torch = _torch()
    message = "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
    for m in (torch, pn):
        t = m.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError) as err:
            np.asarray(t)
        assert str(err.value) == message
        assert np.asarray(t.detach()).tolist() == [1.0, 1.0]
        with pytest.raises(BufferError, match="require gradient"):
            t.__dlpack__()


# ----------------------------------------------------------------------------- printing, masks, axis=
def test_tensor_repr_wraps_and_pads_like_torch():
    """torch fits floor((80 - indent) / (width + 2)) numbers on a line; a sequence of 46 character
    codes (the course's u13n2) printed 13 to a line before, torch prints 14."""
    torch = _torch()
    rng = np.random.default_rng(0)
    arrays = []
    for shape in [(46,), (1, 46), (3, 30), (2, 2, 40), (2, 3, 2, 20), (5, 17)]:
        arrays += [
            rng.integers(0, 300, shape),
            rng.integers(-5, 5, shape),
            rng.standard_normal(shape).astype(np.float32),
            (rng.standard_normal(shape) * 1e-3).astype(np.float32),  # scientific: one padded width
            rng.random(shape) > 0.5,
        ]
    arrays += [rng.integers(0, 1000, (100, 100)), (rng.standard_normal((100, 100)) * 1e-3).astype(np.float32)]
    hidden_false = np.ones((40, 40), bool)
    hidden_false[20, 20] = False  # summarised: the width comes from what is shown (all True), as torch's
    arrays += [hidden_false, ~hidden_false]
    for a in arrays:
        assert repr(pn.tensor(a)) == repr(torch.tensor(a)), (a.dtype, a.shape)


def test_triangles_select_instead_of_multiplying():
    """triu(full(-inf), 1) is torch's causal mask: 0 below the diagonal, not -inf * 0 = NaN."""
    torch = _torch()
    a = np.full((2, 4, 4), -np.inf, np.float32)
    a[0, 1, 2] = np.nan
    for k in (-1, 0, 1):
        np.testing.assert_array_equal(pn.tensor(a).triu(k).numpy(), torch.tensor(a).triu(k).numpy())
        np.testing.assert_array_equal(
            pn.tril(pn.tensor(a), k).numpy(), torch.tril(torch.tensor(a), k).numpy()
        )
    x = pn.ones(3, 3, requires_grad=True)
    x.triu(1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.triu(np.ones((3, 3)), 1))


def test_numpy_axis_keyword_on_joins_and_splits():
    """torch.cat([x] * n, axis=1) (u13n2's time_trial) and the other dim-taking joins and splits."""
    torch = _torch()
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    idx = np.zeros((2, 1), np.int64)
    for fw in (pn, torch):
        x = fw.tensor(a)
        got = [
            fw.cat([x, x], axis=1),
            fw.stack([x, x], axis=1),
            fw.concat([x, x], axis=1),
            fw.chunk(x, 3, axis=1)[1],
            fw.unbind(x, axis=1)[2],
            fw.gather(x, axis=1, index=fw.tensor(idx)),
            fw.index_select(x, axis=1, index=fw.tensor([2])),
            fw.prod(x, axis=1),
            fw.repeat_interleave(x, 2, axis=1),
            x.chunk(3, axis=1)[0],
            x.unbind(axis=0)[1],
            x.prod(axis=0),
            x.repeat_interleave(2, axis=0),
        ]
        if fw is pn:
            ours = [t.numpy() for t in got]
        else:
            for o, t in zip(ours, got):
                np.testing.assert_array_equal(o, t.numpy())
    with pytest.raises(TypeError):
        pn.cat([pn.ones(2)], dim=0, axis=0)


def test_set_printoptions_prints_as_torch():
    torch = _torch()
    rng = np.random.default_rng(0)
    arrays = [
        rng.standard_normal((3, 12)).astype(np.float32),
        np.arange(30),
        np.arange(30.0),
        np.ones((4, 4), np.float32),
        np.array([1e-6, 2.0], np.float32),
        np.array([1.0, 2.0], np.float32),
        (rng.standard_normal(50) * 1e3).astype(np.float32),
    ]
    settings = [
        dict(precision=2),
        dict(sci_mode=False),
        dict(sci_mode=True),
        dict(linewidth=40),
        dict(threshold=5, edgeitems=1),
        dict(profile="short"),
        dict(profile="full"),
        dict(precision=8, sci_mode=False),
    ]
    try:
        for kw in settings:
            torch.set_printoptions(**kw)
            pn.set_printoptions(**kw)
            for a in arrays:
                assert repr(pn.tensor(a)) == repr(torch.tensor(a)).replace("torch.", "pyneuro."), (
                    kw,
                    a.shape,
                )
    finally:
        torch.set_printoptions(profile="default")
        pn.set_printoptions(profile="default")
    assert repr(pn.tensor([1.12345])) == "tensor([1.1235])"
    with pytest.raises(ValueError):
        pn.set_printoptions(profile="tiny")


@pytest.mark.parametrize(
    "make",
    [
        lambda m, w: m.tensor([w * 1, w * 3]),  # torch.tensor(losses): one-element tensors are numbers
        lambda m, w: m.tensor([m.tensor([1.0]), m.tensor([2.0])]),
        lambda m, w: m.tensor([[m.tensor(1), 2], [3, m.tensor(4.0)]]),
        lambda m, w: m.tensor([m.tensor(1), m.tensor(2)]),
        lambda m, w: m.tensor([m.tensor(1.5, dtype=m.float64)]),
        lambda m, w: m.tensor([m.tensor([[1.0]])]),
        lambda m, w: m.as_tensor([w * 1, w]),
        lambda m, w: m.tensor((m.tensor(1.0), 2.0)),
        lambda m, w: m.tensor([m.tensor(True), False]),
        lambda m, w: m.tensor([m.tensor(1, dtype=m.int32)]),
    ],
)
def test_a_list_of_one_element_tensors_is_a_list_of_numbers(make):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        want = make(torch, torch.tensor(2.0, requires_grad=True))
        got = make(pn, pn.tensor(2.0, requires_grad=True))
    assert str(got.dtype).split(".")[1] == str(want.dtype).split(".")[1]
    assert not got.requires_grad and not want.requires_grad
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_a_list_of_bigger_tensors_is_refused_as_torch(monkeypatch):
    with pytest.raises(ValueError, match="only one element tensors can be converted to Python scalars"):
        pn.tensor([pn.ones(2), pn.ones(2)])
    monkeypatch.setattr(pn._tensor_base, "_SCALAR_WARNED", [False])  # (other tests may have seen it)
    with pytest.warns(UserWarning, match="requires_grad=True to a scalar"):
        pn.tensor([pn.ones((), requires_grad=True) * 2])
    with (
        warnings.catch_warnings()
    ):  # once per process, as torch's TORCH_WARN_ONCE: float(t) elsewhere is quiet
        warnings.simplefilter("error")
        float(pn.ones((), requires_grad=True))
        pn.tensor([pn.ones((), requires_grad=True)])

"""Session 21's fixes against torch: 0-d flatten dims, next_functions after backward, the dtypes
pyneuro has no tensors of (bfloat16, complex) and autocast's dtype API (get/set_autocast_dtype,
custom_fwd/custom_bwd)."""

import pickle
import warnings

import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _outcome(make, lib):
    try:
        out = make(lib)
    except Exception as exc:  # the type is what is compared
        return type(exc).__name__
    return tuple(out.shape) if hasattr(out, "shape") else out


@pytest.mark.parametrize("dims", [(0,), (1,), (0, -1), (-1,), (0, 0), (-2,), (0, 1)])
def test_flatten_of_a_0d_tensor_takes_dims_in_minus_1_to_0(dims):
    def make(L):
        return L.tensor(3.0).flatten(*dims)

    assert _outcome(make, pn) == _outcome(make, torch)


def _names(fns):
    return [None if f is None else type(f).__name__ for f, _ in fns]


def test_next_functions_survive_backward():
    results = []
    for L in (torch, pn):
        L.manual_seed(0)
        model = L.nn.Linear(4, 2)
        out = model(L.ones(3, 4)).relu().sum()
        before = _names(out.grad_fn.next_functions)
        out.backward()
        after = _names(out.grad_fn.next_functions)
        deeper = _names(out.grad_fn.next_functions[0][0].next_functions)
        results.append((before, after, deeper))
        with pytest.raises(RuntimeError, match="second time"):
            out.backward()
    assert results[0] == results[1] == ([("ReluBackward0")], [("ReluBackward0")], ["AddmmBackward0"])


def test_released_graph_keeps_only_leaves():
    w = pn.randn(3, 3, requires_grad=True)
    h = (w * 2).relu()
    loss = h.sum()
    loss.backward()
    node = loss.grad_fn.next_functions[0][0]  # ReluBackward0: its input h's parent is not held
    assert node.saved is None and all(a is not h for a in node.inputs)
    assert type(node.next_functions[0][0]).__name__ == "MulBackward0"


@pytest.mark.parametrize(
    "name", ["bfloat16", "complex32", "complex64", "complex128", "chalf", "cfloat", "cdouble"]
)
def test_dtypes_without_tensors_are_named_like_torch(name):
    ours, theirs = getattr(pn, name), getattr(torch, name)
    for attr in ("is_floating_point", "is_complex", "is_signed", "itemsize"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert repr(ours) == repr(theirs).replace("torch", "pyneuro")
    assert ours == ours and ours != pn.float32 and pn.float32 != ours and len({ours, pn.float32}) == 2
    assert pickle.loads(pickle.dumps(ours)) is ours
    for make in (
        lambda: pn.zeros(2, dtype=ours),
        lambda: pn.ones(2).to(ours),
        lambda: pn.tensor([1.0], dtype=ours),
    ):
        with pytest.raises(TypeError, match=f"no {ours.name} tensors"):
            make()


def test_bfloat16_finfo_is_torchs():
    ours, theirs = pn.finfo(pn.bfloat16), torch.finfo(torch.bfloat16)
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert repr(ours) == repr(theirs)


def _autocast_story(L):
    seen = [L.get_autocast_dtype("cpu"), L.get_autocast_dtype("cuda")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with L.autocast("cpu", dtype=L.float32):  # not an autocast dtype on the CPU: disabled
            seen += [L.is_autocast_enabled("cpu"), L.get_autocast_dtype("cpu")]
    seen.append(any("Disabling autocast" in str(w.message) for w in caught))
    with L.autocast("cpu"):
        seen += [L.is_autocast_enabled("cpu"), L.get_autocast_dtype("cpu")]
        with L.autocast("cpu", dtype=L.float16):
            seen.append(L.get_autocast_dtype("cpu"))
        seen.append(L.get_autocast_dtype("cpu"))
    seen.append(L.is_autocast_enabled("cpu"))
    L.set_autocast_dtype("cpu", L.float16)
    seen.append(L.get_autocast_dtype("cpu"))
    L.set_autocast_dtype("cpu", L.bfloat16)

    class Twice(L.autograd.Function):
        @staticmethod
        @L.amp.custom_fwd(device_type="cpu", cast_inputs=L.float32)
        def forward(ctx, x):
            seen.append(("fwd", L.is_autocast_enabled("cpu"), str(x.dtype)))
            return x * 2

        @staticmethod
        @L.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            seen.append(("bwd", L.is_autocast_enabled("cpu")))
            return g * 2

    x = L.ones(2, requires_grad=True)
    with L.autocast("cpu"):
        y = Twice.apply(x)
    y.sum().backward()
    seen.append(x.grad.tolist())
    return [str(s).replace("pyneuro", "torch") for s in seen]


def test_autocast_dtypes_and_custom_fwd_bwd_as_torch():
    assert _autocast_story(pn) == _autocast_story(torch)
    with pytest.raises(RuntimeError, match="Invalid device string"):
        pn.get_autocast_dtype("xla2")
    with pytest.raises(TypeError):
        pn.amp.custom_fwd(lambda ctx, x: x)  # device_type is keyword-only and required


def test_a_bfloat16_autocast_region_runs_in_float32():
    model = pn.nn.Linear(4, 3)
    with pn.autocast(device_type="cpu", dtype=pn.bfloat16):
        out = model(pn.ones(2, 4))
    assert out.shape == (2, 3) and out.dtype == pn.float32  # documented: computed in float32 here


def test_batch_norms_share_torchs_base_not_each_other():
    for L in (pn, torch):
        n = L.nn
        assert not isinstance(n.BatchNorm2d(3), n.BatchNorm1d) and not isinstance(
            n.SyncBatchNorm(3), n.BatchNorm1d
        )
        assert all(
            isinstance(m, n.modules.batchnorm._BatchNorm) for m in (n.BatchNorm1d(2), n.BatchNorm3d(2))
        )
    model = pn.nn.Sequential(pn.nn.Conv2d(1, 2, 3), pn.nn.BatchNorm2d(2))  # swa_utils still finds it
    swa = pn.optim.swa_utils.AveragedModel(model)
    pn.optim.swa_utils.update_bn([pn.randn(4, 1, 5, 5)], swa)
    assert swa.module[1].num_batches_tracked.item() == 1


def test_empty_batched_matmul_and_float64_cumprod_as_torch():
    for L in (pn, torch):
        a, b = L.zeros(2, 0, 3, requires_grad=True), L.ones(2, 3, 4, requires_grad=True)
        y = a @ b
        y.sum().backward()
        assert (
            tuple(y.shape) == (2, 0, 4)
            and tuple(a.grad.shape) == (2, 0, 3)
            and b.grad.abs().sum().item() == 0
        )
    torch.manual_seed(0)
    x = torch.rand(1000) * 0.5 + 0.75  # a long product: float32 accumulation would drift
    assert (pn.cumprod(pn.tensor(x.numpy()), 0).numpy() == torch.cumprod(x, 0).numpy()).all()


def test_is_inference_as_torch():
    results = []
    for L in (pn, torch):
        a = L.ones(3)
        with L.inference_mode():
            b, c, v = L.ones(3), a * 2, a.view(3)
            inner = (b.is_inference(), c.is_inference(), v.is_inference(), b[1:].is_inference())
        with L.no_grad():
            d = L.ones(2)
        results.append(
            (a.is_inference(), inner, d.is_inference(), (b + 1).is_inference(), b.clone().is_inference())
        )
    assert results[0] == results[1] == (False, (True, True, False, True), False, False, False)


def test_set_num_threads_after_pn_min_and_max_were_used():
    """pn.min/pn.max are cached as globals of pyneuro/__init__.py once used: set_num_threads must
    still call Python's min/max (it raised TypeError once the numba backend was loaded)."""
    pytest.importorskip("numba")
    pn.min(pn.ones(2)), pn.max(pn.ones(2))
    pn.backends.get("numba")
    before = pn.get_num_threads()
    pn.set_num_threads(1)
    pn.set_num_threads(before)
    assert pn.get_num_threads() == before


def test_modules_scripts_import_by_torchs_paths():
    """pytorch/examples' dcgan imports torch.nn.parallel and torch.backends.cudnn as modules and
    asks input.is_xpu; word_language_model imports torch.onnx."""
    import importlib

    for name in ("nn.parallel", "backends.cudnn", "backends.mps", "backends.cuda", "onnx"):
        importlib.import_module(f"pyneuro.{name}")
    import pyneuro.backends.cudnn as cudnn

    before = cudnn.benchmark
    cudnn.benchmark = True
    assert pn.backends.cudnn.benchmark is True and pn.backends.cudnn is cudnn
    cudnn.benchmark = before
    assert pn.nn.parallel.DataParallel is pn.nn.DataParallel
    with pytest.raises(ValueError, match="process group"):
        pn.nn.parallel.DistributedDataParallel(pn.nn.Linear(2, 2))
    t, T = pn.ones(2), torch.ones(2)
    for name in (
        "is_xpu",
        "is_mps",
        "is_xla",
        "is_ipu",
        "is_mtia",
        "is_maia",
        "is_vulkan",
        "is_nested",
        "is_sparse_csr",
    ):
        assert getattr(t, name) == getattr(T, name) is False
    with pytest.raises(NotImplementedError, match="ONNX"):
        pn.onnx.export(pn.nn.Linear(2, 2), (pn.ones(1, 2),), "m.onnx")
    assert pn.onnx.is_in_onnx_export() is False


@pytest.mark.parametrize(
    "make",
    [
        lambda L, x, w: (x * w).sum(),  # mul saves x for w's gradient: refused
        lambda L, x, w: (x + w).sum(),  # add saves nothing: allowed
        lambda L, x, w: x @ w,
        lambda L, x, w: L.nn.functional.linear(x.reshape(1, 3), w.reshape(1, 3)).sum(),
        lambda L, x, w: (x.clone() * w).sum(),  # the documented way out
        lambda L, x, w: (w.exp() + x).sum(),
    ],
)
def test_inference_tensors_cannot_be_saved_for_backward(make):
    outcomes = []
    for L in (pn, torch):
        with L.inference_mode():
            x = L.ones(3)
        w = L.ones(3, requires_grad=True)
        try:
            outcomes.append(round(float(make(L, x, w).detach()), 4))
        except RuntimeError as exc:
            outcomes.append(str(exc))
    assert outcomes[0] == outcomes[1]

"""The runtime surface a renamed PyTorch script touches before and around its tensors: compile,
matmul precision, legacy tensor types, amp (autocast, GradScaler), torch.cpu / torch.cuda without a
GPU, torch.testing, the remaining Tensor queries, nn.init's matrix initialisers and fork_rng --
side by side with torch."""

from __future__ import annotations

import math
import typing
import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def both(fn):
    """fn run with torch and with pyneuro: (torch's answer, pyneuro's answer) as Python values."""
    return fn(torch), fn(pn)


def outcome(fn, lib):
    try:
        value = fn(lib)
    except Exception as e:  # the exception's type is the answer
        return type(e).__name__
    return value


# ---------------------------------------------------------------------------- torch_runtime.py
def test_constants_and_runtime_knobs_match_torch():
    for name in ("pi", "e", "inf"):
        assert getattr(pn, name) == getattr(torch, name)
    assert math.isnan(pn.nan)
    assert repr(pn.strided) == repr(torch.strided) == repr(pn.zeros(2).layout)
    for value in ("high", "medium", "highest"):
        pn.set_float32_matmul_precision(value)
        assert pn.get_float32_matmul_precision() == value
    with pytest.warns(UserWarning):
        pn.set_float32_matmul_precision("bad")
    assert pn.get_float32_matmul_precision() == "highest"
    assert str(pn.get_default_device()) == str(torch.get_default_device()) == "cpu"
    pn.set_num_interop_threads(2)
    assert pn.get_num_interop_threads() == 2
    with pytest.raises(RuntimeError):
        pn.set_num_interop_threads(0)
    assert pn.typename(pn.zeros(2)) == torch.typename(torch.zeros(2)) == "torch.FloatTensor"
    assert pn.typename(3) == torch.typename(3) == "int"
    assert pn.is_storage(pn.zeros(2)) is False


def test_compile_wraps_a_module_as_torch_and_returns_a_function_itself():
    torch = pytest.importorskip("torch")
    model = pn.nn.Linear(2, 3)
    compiled = pn.compile(model)
    t_model = torch.nn.Linear(2, 3)
    t_compiled = torch.compile(t_model)
    assert type(compiled).__name__ == type(t_compiled).__name__ == "OptimizedModule"
    assert isinstance(compiled, pn.nn.Module) and compiled._orig_mod is model
    assert (
        list(compiled.state_dict()) == list(t_compiled.state_dict()) == ["_orig_mod.weight", "_orig_mod.bias"]
    )
    assert repr(compiled) == repr(t_compiled).replace("torch", "pyneuro")
    assert compiled.weight is model.weight and compiled.in_features == 3 - 1  # looked up on the original
    x = pn.randn(4, 2)
    assert pn.equal(compiled(x), model(x))
    compiled.eval()
    assert not model.training
    other = pn.compile(pn.nn.Linear(2, 3))
    other.load_state_dict(compiled.state_dict())
    assert pn.equal(other._orig_mod.weight, model.weight)
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nothing'"):
        getattr(compiled, "nothing")  # noqa: B009

    @pn.compile
    def f(x):
        return x + 1

    @pn.compile(mode="max-autotune", fullgraph=True)
    def g(x):
        return 2 * x

    assert f(1) == 2 and g(3) == 6
    with pytest.raises(RuntimeError):
        pn.compile(3)


@pytest.mark.parametrize(
    "make",
    [
        lambda L: tuple(L.FloatTensor(2, 3).shape),
        lambda L: tuple(L.FloatTensor(L.Size([4])).shape),
        lambda L: L.FloatTensor((2, 3)).tolist(),
        lambda L: L.LongTensor([1, 2]).tolist(),
        lambda L: str(L.ByteTensor([1, 2]).dtype).split(".")[1],
        lambda L: str(L.BoolTensor([1, 0]).dtype).split(".")[1],
        lambda L: str(L.DoubleTensor([1]).dtype).split(".")[1],
        lambda L: tuple(L.IntTensor().shape),
        lambda L: isinstance(L.ones(2), L.FloatTensor),
        lambda L: isinstance(L.ones(2, dtype=L.int64), L.FloatTensor),
        lambda L: isinstance(L.ones(2, dtype=L.int64), L.LongTensor),
        lambda L: L.FloatTensor(L.tensor([1, 2])),
        lambda L: L.FloatTensor(L.tensor([1.0, 2.0])).tolist(),
        lambda L: L.zeros(2, 3).new(4).shape[0],
        lambda L: L.zeros(2, 3).new([1, 2]).tolist(),
        lambda L: str(L.zeros(2, dtype=L.int64).new([1, 2]).dtype).split(".")[1],
        lambda L: tuple(L.zeros(2).new().shape),
        lambda L: L.zeros(2).new(L.tensor([1])),
    ],
)
def test_legacy_tensor_types_and_new(make):
    t, p = outcome(make, torch), outcome(make, pn)
    assert t == p


# ---------------------------------------------------------------------------- Tensor queries
def test_tensor_casts_and_memory_queries():
    x = pn.arange(12.0).reshape(3, 4)
    assert (x.byte().dtype, x.char().dtype, x.short().dtype) == (pn.uint8, pn.int8, pn.int16)
    assert pn.short == pn.int16
    assert x.is_cpu and not x.is_sparse and not x.is_quantized and not x.is_meta
    assert x.real is x
    with pytest.raises(RuntimeError, match="non-complex"):
        _ = x.imag
    assert x.is_pinned() is False and x.share_memory_() is x and x.to_dense() is x
    if not pn.cuda.is_available():  # (pinning needs an accelerator, in torch's words: RuntimeError)
        with pytest.raises(RuntimeError, match="^Cannot access accelerator device when none is available.$"):
            x.pin_memory()
    else:  # (a copy, as torch's pinned one)
        assert x.pin_memory() is not x and x.pin_memory().tolist() == x.tolist()
    tx = torch.arange(12.0).reshape(3, 4)
    for view in (lambda a: a[1], lambda a: a[:, 2:], lambda a: a[2, 1:], lambda a: a):
        assert view(x).storage_offset() == view(tx).storage_offset()
        assert view(x).data_ptr() - x.data_ptr() == view(tx).data_ptr() - tx.data_ptr()


def test_apply_and_map_in_place_like_torch():
    def run(L):
        x = L.tensor([1.0, -2.0, 3.0])
        x.apply_(lambda v: v * v)
        x.map_(L.tensor([1.0]), lambda a, b: a - b)
        return x.tolist()

    t, p = both(run)
    assert t == p == [0.0, 3.0, 8.0]


# ---------------------------------------------------------------------------- amp
def _amp_run(L, grads_after=None):
    scaler = L.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=2)
    w = L.nn.Parameter(L.ones(3))
    opt = L.optim.SGD([w], lr=0.1)
    seen = []
    for step in range(5):
        opt.zero_grad()
        with L.autocast("cpu"):
            loss = (w * L.tensor([1.0, 2.0, 3.0])).sum()
        scaled = scaler.scale(loss)
        seen.append(round(scaled.item(), 3))
        scaled.backward()
        if step == 2:  # an overflowed step: skipped, and the scale backs off
            w.grad = L.tensor([float("inf"), 0.0, 0.0])
        scaler.step(opt)
        scaler.update()
        seen.append(scaler.get_scale())
    state = scaler.state_dict()
    return seen, [round(v, 5) for v in w.detach().tolist()], {k: float(v) for k, v in state.items()}


def test_grad_scaler_matches_torch_step_for_step():
    assert _amp_run(torch) == _amp_run(pn)


def test_grad_scaler_misuse_and_cuda_without_a_gpu():
    for L in (torch, pn):
        scaler = L.amp.GradScaler("cpu")
        w = L.nn.Parameter(L.ones(1))
        opt = L.optim.SGD([w], lr=0.1)
        scaler.scale(w.sum()).backward()
        scaler.unscale_(opt)
        with pytest.raises(RuntimeError, match="already been called"):
            scaler.unscale_(opt)
        scaler.step(opt)
        with pytest.raises(RuntimeError, match="already been called"):
            scaler.step(opt)
    if not pn.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available"):
            disabled = pn.amp.GradScaler()
        loss = pn.ones(1)
        assert not disabled.is_enabled() and disabled.scale(loss) is loss and disabled.get_scale() == 1.0


def test_autocast_spellings_nest_and_decorate():
    assert not pn.is_autocast_enabled("cpu")
    with pn.autocast("cpu"):
        assert pn.is_autocast_enabled("cpu")
        with pn.cpu.amp.autocast(enabled=False):
            assert not pn.is_autocast_enabled("cpu")
        assert pn.is_autocast_enabled("cpu")
        assert (pn.ones(2, 2) @ pn.ones(2, 2)).dtype == pn.float32  # computed in float32 here
    assert not pn.is_autocast_enabled("cpu")

    @pn.amp.autocast("cpu")
    def inside():
        return pn.is_autocast_enabled("cpu")

    assert inside() and not pn.is_autocast_enabled("cpu")
    # the per-device forms warn FutureWarning as torch's; a CUDA region without CUDA warns and is off
    for fw in (pn, torch):
        with pytest.warns(FutureWarning, match=r"torch.cuda.amp.autocast\(args...\)` is deprecated"):
            region = fw.cuda.amp.autocast()
        with region:
            assert fw.is_autocast_enabled("cuda") == fw.cuda.is_available()
        with pytest.warns(FutureWarning, match=r"Please use `torch.amp.GradScaler\('cpu', args...\)`"):
            fw.cpu.amp.GradScaler()
    if not pn.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported"):
            region = pn.autocast("cuda")
        assert not region.enabled
    with pytest.raises(RuntimeError):
        pn.autocast("tpu")


def test_device_amp_modules_import_by_their_dotted_names():
    """The course's simple-gpt2 notebook: `from torch.cuda.amp import autocast` (a submodule)."""
    import importlib

    for device in ("cuda", "cpu"):
        module = importlib.import_module(f"pyneuro.{device}.amp")
        assert module is getattr(pn, device).amp
        assert callable(module.autocast) and callable(module.GradScaler) and callable(module.custom_fwd)


def test_cpu_and_cuda_modules_answer_like_torch_without_a_gpu():
    assert pn.cpu.is_available() and pn.cpu.device_count() == 1
    assert not pn.xpu.is_available() and pn.xpu.device_count() == 0  # (device choosers ask it)
    pn.cuda.manual_seed(0)
    pn.cuda.manual_seed_all(0)
    if pn.cuda.is_available():
        return
    assert pn.cuda.memory_allocated() == torch.cuda.memory_allocated() == 0
    assert pn.cuda.memory_reserved() == torch.cuda.memory_reserved() == 0
    assert pn.cuda.empty_cache() is None and torch.cuda.empty_cache() is None
    assert pn.cuda.is_bf16_supported() is False


# ---------------------------------------------------------------------------- testing.assert_close
CLOSE_CASES = [
    lambda L: (L.tensor([1.0, 2.0]), L.tensor([1.0, 2.0, 3.0])),
    lambda L: (L.tensor([[1.0, 2.0], [3, 4]]), L.tensor([[1.0, 2.0], [3, 5]])),
    lambda L: (L.tensor([1, 2]), L.tensor([1, 3])),
    lambda L: (1.0, 1.0 + 1e-9),
    lambda L: (1.0, 1.1),
    lambda L: (3, 4),
    lambda L: (L.tensor(1.0), 1.0),
    lambda L: ([L.tensor(1.0)], [L.tensor(2.0)]),
    lambda L: ({"a": L.tensor(1.0)}, {"a": L.tensor(1.5)}),
    lambda L: (L.tensor([float("nan")]), L.tensor([float("nan")])),
    lambda L: (L.tensor([float("inf"), 1.0]), L.tensor([float("inf"), 1.0])),
    lambda L: (L.tensor([1.0]), L.tensor([1.0], dtype=L.float64)),
    lambda L: (L.tensor(1.0), L.tensor(2.0)),
    lambda L: (L.tensor([True]), L.tensor([False])),
    lambda L: (np.array([1.0, 2.0]), np.array([1.0, 2.5])),
    lambda L: ([1.0, 2.0], [1.0, 2.0001]),
]


@pytest.mark.parametrize("case", CLOSE_CASES)
@pytest.mark.parametrize(
    "kwargs", [{}, {"equal_nan": True}, {"rtol": 0.2, "atol": 0.0}, {"check_dtype": False}]
)
def test_assert_close_passes_fails_and_explains_like_torch(case, kwargs):
    def run(L):
        try:
            L.testing.assert_close(*case(L), **kwargs)
        except Exception as e:
            return type(e).__name__, str(e).replace("pyneuro.Tensor", "torch.Tensor")
        return "ok"

    assert run(pn) == run(torch)


def test_assert_close_options():
    with pytest.raises(ValueError, match="no atol"):
        pn.testing.assert_close(pn.ones(1), pn.ones(1), rtol=0.1)
    with pytest.raises(AssertionError, match="^custom$"):
        pn.testing.assert_close(pn.ones(1), pn.zeros(1), msg="custom")
    x = pn.testing.make_tensor((3, 4), dtype=pn.float32, device="cpu", low=0, high=1)
    assert x.shape == (3, 4) and x.dtype == pn.float32 and bool((x >= 0).all()) and bool((x < 1).all())
    ints = pn.testing.make_tensor(50, dtype=pn.int64, low=1, high=3)
    assert ints.dtype == pn.int64 and set(ints.tolist()) <= {1, 2}
    assert 0 not in pn.testing.make_tensor(200, dtype=pn.int32, low=-1, high=2, exclude_zero=True).tolist()


# ---------------------------------------------------------------------------- nn.init, fork_rng
def test_matrix_initialisers_match_torchs_properties():
    pn.manual_seed(0)
    w = pn.empty(400, 300)
    pn.nn.init.trunc_normal_(w, std=0.5, a=-0.6, b=0.6)
    assert float(w.min()) >= -0.6 and float(w.max()) <= 0.6 and 0.25 < float(w.std()) < 0.35
    for shape in ((3, 5), (5, 3), (6, 3, 2, 2)):
        w = pn.nn.init.orthogonal_(pn.empty(*shape), gain=2.0)
        flat = w.reshape(shape[0], -1).numpy().astype(np.float64)
        gram = flat @ flat.T if shape[0] <= flat.shape[1] else flat.T @ flat
        np.testing.assert_allclose(gram, 4 * np.eye(len(gram)), atol=1e-5)
    for shape, groups in (((4, 2, 3), 2), ((3, 3, 3, 3), 1), ((2, 2, 1, 3, 3), 1)):
        p = pn.nn.init.dirac_(pn.empty(*shape), groups)
        t = torch.nn.init.dirac_(torch.empty(*shape), groups)
        np.testing.assert_array_equal(p.numpy(), t.numpy())
    np.testing.assert_array_equal(pn.nn.init.eye_(pn.empty(2, 3)).numpy(), np.eye(2, 3))
    w = pn.nn.init.sparse_(pn.empty(10, 4), 0.3)
    assert [int((w[:, c] == 0).sum()) for c in range(4)] == [3, 3, 3, 3]
    for fn, args in (
        (pn.nn.init.orthogonal_, (pn.empty(3),)),
        (pn.nn.init.eye_, (pn.empty(3, 3, 3),)),
        (pn.nn.init.dirac_, (pn.empty(3, 3),)),
        (pn.nn.init.dirac_, (pn.empty(3, 3, 3), 2)),
        (pn.nn.init.sparse_, (pn.empty(3), 0.1)),
    ):
        with pytest.raises(ValueError):
            fn(*args)
    param = pn.nn.Parameter(pn.empty(3, 3))
    pn.nn.init.orthogonal_(param)
    assert param.requires_grad and param.is_leaf and param.grad_fn is None


def test_fork_rng_restores_the_stream():
    pn.manual_seed(1)
    expected = pn.rand(3).tolist()
    pn.manual_seed(1)
    with pn.random.fork_rng():
        pn.rand(5)
    assert pn.rand(3).tolist() == expected
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pn.random.fork_rng(enabled=False):
            pass


# ---------------------------------------------------------------------------- accelerator, out=
def test_accelerator_answers_like_torch_without_one():
    device = pn.accelerator.current_accelerator().type if pn.accelerator.is_available() else "cpu"
    assert device == ("cuda" if pn.cuda.is_available() else "cpu")
    if not pn.accelerator.is_available():
        assert pn.accelerator.current_accelerator() is None and pn.accelerator.device_count() == 0
        for call in (pn.accelerator.current_device_index, pn.accelerator.synchronize):
            with pytest.raises(RuntimeError, match="none is available"):
                call()


OUT_CASES = [
    lambda L, o: L.matmul(L.ones(2, 3), L.ones(3, 2), out=o),
    lambda L, o: L.mul(L.ones(2, 2), 3.0, out=o),
    lambda L, o: L.exp(L.zeros(2, 2), out=o),
    lambda L, o: L.cat([L.ones(1, 2), L.zeros(1, 2)], out=o),
    lambda L, o: L.clamp(L.tensor([[-1.0, 2.0], [3.0, 0.5]]), 0, 1, out=o),
]


@pytest.mark.parametrize("case", OUT_CASES)
@pytest.mark.parametrize("out_shape", [(2, 2), (0,), (3,)])
def test_out_keyword_writes_resizes_and_returns_out(case, out_shape):
    def run(L):
        out = L.full(out_shape, 7.0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            returned = case(L, out)
        resized_warning = any("resized" in str(w.message) for w in caught)
        return returned is out, out.tolist(), resized_warning

    assert run(pn) == run(torch)


def test_out_keyword_errors_like_torch():
    for L in (torch, pn):
        w = L.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
            L.exp(w, out=L.empty(2))
        with L.no_grad():  # allowed without grad mode
            np.testing.assert_allclose(L.exp(w, out=L.empty(2)).tolist(), [math.e, math.e], rtol=1e-6)
        with pytest.raises(RuntimeError, match="can't be cast"):
            L.exp(L.ones(2), out=L.empty(2, dtype=L.int64))
    values, indices = pn.empty(0), pn.empty(0, dtype=pn.int64)
    result = pn.max(pn.tensor([[1.0, 5.0], [7.0, 2.0]]), 1, out=(values, indices))
    assert result[0] is values and result[1] is indices
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    snapshot = pn.ones(2)
    version = snapshot._version
    pn.exp(pn.zeros(2), out=snapshot)
    assert snapshot._version == version + 1


# ---------------------------------------------------------------------------- sort, `in`, format
SORT_INPUTS = [
    lambda L: L.tensor([2, 1, 2, 1]),
    lambda L: L.tensor([True, False, True]),
    lambda L: L.tensor([0, 3, 255, 1], dtype=L.uint8),
    lambda L: L.tensor([1.0, float("nan"), 3.0, -1.0, float("nan")]),
    lambda L: L.tensor([[3.0, 1.0], [1.0, 3.0]]),
    lambda L: L.tensor(5.0),
]


@pytest.mark.parametrize("make", SORT_INPUTS)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_and_argsort_are_stable_both_ways_like_torch(make, descending):
    def run(L):
        x = make(L)
        values, indices = L.sort(x, descending=descending, stable=True)
        return values.tolist(), indices.tolist(), x.argsort(descending=descending, stable=True).tolist()

    p, t = run(pn), run(torch)
    assert str(p) == str(t)  # str: NaN == NaN


def test_contains_and_format_like_torch():
    for L in (pn, torch):
        x = L.tensor([[1.0, 2.0], [3.0, 4.0]])
        assert 3.0 in x and 5 not in x and L.tensor([1.0, 2.0]) in x
        with pytest.raises(RuntimeError, match="only supports Tensor or scalar"):
            _ = "a" in x
        with pytest.raises(TypeError, match="unsupported format string"):
            f"{x:.2f}"
        assert f"{L.tensor(2.5):.2f}" == "2.50" and f"{x}".startswith("tensor([[1., 2.]")


def test_autograd_gradcheck_and_anomaly_switches_at_torchs_paths():
    from pyneuro.autograd import gradcheck

    x = pn.randn(3, dtype=pn.float64, requires_grad=True)
    assert gradcheck(lambda a: (a * a).sum(), (x,)) and pn.autograd.gradcheck is pn.gradcheck
    assert pn.autograd.gradgradcheck(lambda a: (a * a).sin(), (x,))
    assert hasattr(pn.autograd, "gradgradcheck") and not hasattr(pn.autograd, "no_such_name")
    assert pn.is_anomaly_enabled() is torch.is_anomaly_enabled() is False
    pn.set_anomaly_enabled(True)
    try:
        assert pn.is_anomaly_enabled()
    finally:
        pn.set_anomaly_enabled(False)


@pytest.mark.parametrize(
    ("p", "dim"),
    [(p, dim) for p in (-1, float("-inf"), "fro", 2, 3, 1, float("inf"), 0.5) for dim in (None, 1)]
    + [("nuc", None)],
)
def test_tensor_norm_every_p_with_gradients_at_zero_like_torch(p, dim):
    a = np.array([[1.0, -2.0, 0.0], [3.0, 4.0, 0.5]], np.float32)

    def run(L):
        x = L.tensor(a, requires_grad=True)
        n = x.norm(p=p, dim=dim)
        n.sum().backward()
        return n.detach().numpy(), x.grad.numpy()

    for mine, theirs in zip(run(pn), run(torch)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)
    assert pn.norm(pn.tensor(a), dtype=pn.float64).dtype == pn.float64


@pytest.mark.parametrize("ord_", [1, -1, float("inf"), "nuc", "fro", 2])
@pytest.mark.parametrize("dim", [(0, 1), (1, 0), (-1, -2)])
def test_matrix_norm_reads_dim_in_the_order_given(ord_, dim):
    a = np.array([[1.0, -2.0, 0.5], [3.0, 4.0, 0.0]], np.float32)
    np.testing.assert_allclose(
        pn.linalg.matrix_norm(pn.tensor(a), ord_, dim).item(),
        torch.linalg.matrix_norm(torch.tensor(a), ord_, dim).item(),
        rtol=1e-5,
    )


def test_version_and_jit_answer_like_a_cpu_only_torch():
    assert pn.version.__version__ == pn.__version__
    assert pn.version.cuda is None or isinstance(pn.version.cuda, str)
    if not pn.cuda.is_available() and pn.cuda._extension() is None:
        assert pn.version.cuda is None
    model = pn.nn.Linear(2, 1)
    assert pn.jit.script(model) is model and pn.jit.trace(model, pn.ones(1, 2)) is model

    @pn.jit.ignore
    def helper(x):
        return x + 1

    @pn.jit.unused
    def other(x):
        return x

    assert helper(1) == 2 and other(3) == 3 and not pn.jit.is_scripting()
    with pytest.raises(NotImplementedError, match="state_dict"):
        pn.jit.save(model, "m.pt")
    assert pn.jit.annotate(int, 3) == 3 and pn.jit.Final is typing.Final
    with pytest.raises(RuntimeError, match="eval mode"):  # torch's check, before any pass
        pn.jit.freeze(pn.jit.script(model))
    assert pn.jit.freeze(model.eval()) is model and pn.jit.optimize_for_inference(model) is model


def test_in_place_scans_triangles_and_resize_like_torch():
    def run(L):
        x = L.ones(3, 3)
        x.triu_(1)
        z = L.arange(6.0).reshape(2, 3)
        z.resize_(4)
        shrunk = z.tolist()
        z.resize_(2, 2)
        v = L.ones(3, requires_grad=True)
        u = v * 2
        u.cumsum_(0)
        u.sum().backward()
        return (x.tolist(), L.arange(4.0).cumsum_(0).tolist(), L.tensor([1.0, 2.0, 3.0]).cumprod_(0).tolist(),
                shrunk, tuple(z.shape), v.grad.tolist())  # fmt: skip

    assert run(pn) == run(torch)
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        pn.ones(2, requires_grad=True).resize_(3)


def test_distributed_and_multiprocessing_answer_a_single_process_script():
    assert not (pn.distributed.is_available() and pn.distributed.is_initialized())
    with pytest.raises(ValueError, match="process group"):
        pn.distributed.get_rank()
    import pyneuro.multiprocessing as mp

    assert mp.get_all_sharing_strategies() == torch.multiprocessing.get_all_sharing_strategies()
    mp.set_sharing_strategy("file_system")
    assert mp.get_sharing_strategy() == "file_system" and mp.cpu_count() >= 1
    mp.set_sharing_strategy("file_descriptor")


def test_nanogpt_ddp_preamble_runs_single_process():
    """build-nanogpt's train_gpt2.py: it imports init_process_group/destroy_process_group and DDP
    at the top, reads dist.ReduceOp.AVG, and takes the DDP branch only under torchrun (RANK set).
    Without a process group the collectives raise torch's ValueError."""
    src = (
        "from torch.distributed import init_process_group, destroy_process_group\n"
        "from torch.nn.parallel import DistributedDataParallel as DDP\n"
        "import torch.distributed as dist\n"
    )

    def run(fw):
        ns = {}
        exec(src.replace("torch", fw.__name__), ns)
        dist = ns["dist"]
        ops = [dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX, dist.ReduceOp.PREMUL_SUM]
        errors = []
        for call in (
            lambda: dist.all_reduce(fw.ones(1), op=dist.ReduceOp.AVG),
            lambda: dist.barrier(),
            lambda: dist.broadcast(fw.ones(1), 0),
            lambda: dist.all_gather([fw.ones(1)], fw.ones(1)),
            lambda: dist.get_backend(),
            lambda: ns["DDP"](fw.nn.Linear(2, 2)),
        ):
            with pytest.raises(ValueError, match="process group has not been initialized") as e:
                call()
            errors.append(type(e.value).__name__)
        with pytest.raises(AssertionError):
            ns["destroy_process_group"]()
        return [(str(op), repr(op), int(op)) for op in ops], ops[1] == dist.ReduceOp.RedOpType.AVG, errors

    assert run(pn) == run(torch)


def test_device_as_a_context_manager():
    """`with torch.device("cpu"): model = Net()` (torch's default-device block): the CPU works
    as in torch; another device cannot be pyneuro's default (set_default_device's refusal)."""
    for m in (pn, torch):
        with m.device("cpu") as d:
            assert str(d) == "cpu" and str(m.zeros(2).device) == "cpu"
            assert str(m.nn.Linear(2, 3).weight.device) == "cpu"
        assert str(m.get_default_device()) == "cpu"
    with pytest.raises(RuntimeError, match="default"), pn.device("cuda"):
        pass
    with pytest.raises(RuntimeError, match="default"):
        pn.set_default_device("cuda")

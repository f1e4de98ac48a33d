"""The CUDA extension (pyneuro._cuda), pyneuro.cuda and the cuda/cupy backends.

Part of this file runs everywhere: the extension must import without a GPU and report
why it cannot run, pyneuro.cuda must answer without raising, and the kernel sources must
be where the CuPy backend looks for them. The rest needs a GPU and is skipped here with
the backend's own reason (the conformance suite in test_conformance.py covers the kernel
table on `cuda` and `cupy` the same way). bench/gpu_check.sh runs it on a GPU machine.
"""

from __future__ import annotations

import importlib
import importlib.util
import re

import numpy as np
import pytest

import pyneuro
from pyneuro import backends


def _ext():
    try:
        return importlib.import_module("pyneuro._cuda")
    except ImportError:
        return None


def _cuda_backend():
    status = backends.status("cuda")
    if not status.available:
        pytest.skip(f"needs a GPU: {status.reason}")
    return backends.get("cuda")


@pytest.fixture
def bk():
    return _cuda_backend()


@pytest.fixture
def cu():
    _cuda_backend()
    return _ext()


# ============================================================================ runs without a GPU
def test_extension_imports_and_reports_the_reason():
    ext = _ext()
    if ext is None:
        status = backends.status("cuda")
        assert not status.available and "not built" in status.reason
        pytest.skip("pyneuro._cuda was not built here (no CUDA toolkit at build time)")
    count, code, message = ext.device_status()
    status = backends.status("cuda")
    if code == 0 and count > 0:
        assert status.available, status.reason
        return
    assert not status.available
    assert str(code) in status.reason
    if code == 35:  # cudaErrorInsufficientDriver: the reason names the driver's and the build's CUDA
        assert status.reason.startswith("cuda: built, but "), status.reason
        assert "driver" in status.reason and "was built with" in status.reason, status.reason
    else:
        assert status.reason.startswith("cuda: built, but no GPU device ("), status.reason
        assert message and message in status.reason  # the CUDA error string, e.g. cudaErrorNoDevice
    assert ext.matmul_variants == ("naive", "tiled", "regblock", "vectorized")
    assert ext.softmax_variants == ("warp", "block")


def test_pyneuro_cuda_answers_without_a_gpu():
    import pyneuro.cuda as pc

    if backends.status("cuda").available:
        assert pc.is_available() and pc.device_count() >= 1 and pc.reason() == ""
        return
    assert pc.is_available() is False
    assert pc.device_count() == 0
    why = pc.reason()
    assert why
    for call in (pc.synchronize, pc.get_device_name, pc.current_device):
        with pytest.raises(RuntimeError) as info:
            call()
        assert str(info.value) == why
    # As torch answers before CUDA is initialised: scripts call these unconditionally.
    assert pc.memory_stats() == {} and pc.memory_allocated() == 0 and pc.memory_reserved() == 0
    assert pc.empty_cache() is None and pc.is_initialized() is False


def test_device_calls_without_a_gpu_raise_runtime_error_not_abort():
    ext = _ext()
    if ext is None:
        pytest.skip("pyneuro._cuda was not built here (no CUDA toolkit at build time)")
    if backends.status("cuda").available:
        pytest.skip("this machine has a GPU: the no-GPU error path cannot be exercised")
    for call in (
        lambda: ext.zeros((2, 3)),
        lambda: ext.asarray(np.ones(3, np.float32)),
        ext.synchronize,
        ext.device_count,
        lambda: ext.get_device_name(0),
    ):
        with pytest.raises(RuntimeError, match=r"cuda\w*Error\w*"):
            call()


def test_kernel_table_refuses_host_arrays_before_any_cuda_call():
    """Device mixing is caught by the argument checks, which run before CUDA is touched."""
    ext = _ext()
    if ext is None:
        pytest.skip("pyneuro._cuda was not built here (no CUDA toolkit at build time)")
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(TypeError, match="host array"):
        ext.matmul(x, x)
    with pytest.raises(TypeError, match="DeviceArray"):
        ext.softmax_forward(x)
    with pytest.raises(ValueError, match="variant"):
        ext.matmul(x, x, variant="no-such-variant")


def test_tensor_to_cuda_raises_with_the_reason():
    status = backends.status("cuda")
    if status.available:
        pytest.skip("this machine has a GPU: Tensor.to('cuda') succeeds here")
    if importlib.util.find_spec("pyneuro.tensor") is None:
        pytest.skip("pyneuro.tensor has not landed yet (autograd helper)")
    t = pyneuro.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError) as info:
        t.to("cuda")
    assert "cuda" in str(info.value)
    # the message names why: the cuda backend's reason (or cupy's, which is tried next)
    assert status.reason in str(info.value) or backends.status("cupy").reason in str(info.value)


def test_cupy_backend_reports_a_reason_when_unusable():
    status = backends.status("cupy")
    if status.available:
        pytest.skip("cupy backend is usable here")
    assert status.reason.startswith("cupy: ")
    if importlib.util.find_spec("cupy") is None:
        assert "not installed" in status.reason


def test_kernel_sources_are_found_as_package_data():
    import pyneuro.cuda as pc

    folder = pc.kernel_source_dir()
    names = {p.name for p in folder.glob("*.cuh")}
    assert set(pc.KERNEL_FILES) <= names
    expected = {  # every kernel the CuPy backend launches
        "pn_matmul_naive",
        "pn_matmul_tiled",
        "pn_matmul_regblock",
        "pn_matmul_vectorized",
        "pn_softmax_warp",
        "pn_softmax_block",
        "pn_log_softmax_rows",
        "pn_softmax_backward_rows",
        "pn_cross_entropy_forward",
        "pn_cross_entropy_backward",
        "pn_relu_forward",
        "pn_relu_backward",
        "pn_bias_add",
        "pn_column_sum",
        "pn_sgd_step",
        "pn_adam_step",
        "pn_argmax_rows",
    }
    found = set()
    for name in pc.KERNEL_FILES:
        text = (folder / name).read_text()
        # header-only kernel text: no host code, no includes beyond each other (NVRTC has no libc++)
        for inc in re.findall(r'#include\s+([<"][^>"]+[>"])', text):
            assert inc.strip('"') in pc.KERNEL_FILES, f"{name} includes {inc}"
        assert "cudaMalloc" not in text and "<<<" not in text and "pybind" not in text, name
        kernels = re.findall(r"__global__\s+void\s+(?:__launch_bounds__\(\w+\)\s+)?(\w+)", text)
        assert all(
            re.search(r'extern "C" __global__ void\s+(?:__launch_bounds__\(\w+\)\s+)?' + k, text)
            for k in kernels
        ), name
        found.update(kernels)
    assert expected <= found, expected - found


def test_taught_kernels_are_apart_from_the_array_namespace_kernels():
    """The taught kernels (matmul ladder, softmax/cross-entropy, relu, bias, optimizer steps) sit in
    their own .cuh files, which include only common.cuh; the array namespace's kernels sit in
    array_*.cuh; every file is listed in KERNEL_FILES after the files it includes (the CuPy backend
    concatenates them in that order with the #include lines dropped)."""
    import pyneuro.cuda as pc

    folder = pc.kernel_source_dir()
    defined = {}
    for pos, name in enumerate(pc.KERNEL_FILES):
        text = (folder / name).read_text()
        includes = [i.strip('"') for i in re.findall(r'#include\s+([<"][^>"]+[>"])', text)]
        assert all(pc.KERNEL_FILES.index(i) < pos for i in includes), (name, includes)
        if not name.startswith("array_"):
            assert set(includes) <= {"common.cuh"}, (name, includes)
        for k in re.findall(r"__global__\s+void\s+(?:__launch_bounds__\(\w+\)\s+)?(\w+)", text):
            defined[k] = name
    taught = {
        "pn_matmul_naive": "matmul.cuh",
        "pn_matmul_vectorized": "matmul.cuh",
        "pn_softmax_warp": "softmax.cuh",
        "pn_cross_entropy_backward": "softmax.cuh",
        "pn_relu_forward": "relu.cuh",
        "pn_relu_backward": "relu.cuh",
        "pn_bias_add": "bias.cuh",
        "pn_column_sum": "bias.cuh",
        "pn_sgd_step": "optim.cuh",
        "pn_adam_step": "optim.cuh",
    }
    assert {k: defined.get(k) for k in taught} == taught
    for k in (
        "pn_binary",
        "pn_unary",
        "pn_where_f32",
        "pn_sum_partial",
        "pn_argmax_rows",
        "pn_int64_minmax",
        "pn_strided_copy_4",
        "pn_gather_8",
        "pn_scatter_add_f32",
        "pn_transpose",
    ):
        assert defined.get(k, "").startswith("array_"), (k, defined.get(k))


def test_cmake_installs_the_kernel_sources_as_package_data():
    """The wheel gets pyneuro/cuda_kernels/*.cuh (checked in the build recipe, not by building)."""
    import pathlib

    cmake = pathlib.Path(pyneuro.__file__).resolve().parent.parent / "CMakeLists.txt"
    if not cmake.is_file():
        pytest.skip("not running from a source tree (installed package)")
    text = cmake.read_text()
    assert re.search(r"install\(DIRECTORY \S*csrc/cuda/kernels/ DESTINATION pyneuro/cuda_kernels", text)


# ============================================================================ needs a GPU (marked gpu)
@pytest.mark.gpu
def test_device_array_round_trips(cu, rng):
    for host in (
        rng.standard_normal((3, 5)).astype(np.float32),
        np.arange(7, dtype=np.int64),
        rng.standard_normal(4),
        np.zeros((0, 3), np.float32),
        np.array(2.5, np.float32),
    ):
        d = cu.asarray(host)
        assert d.shape == host.shape and d.dtype == host.dtype and d.size == host.size
        back = d.numpy()
        assert back.dtype == host.dtype
        np.testing.assert_array_equal(back, host)
    d = cu.asarray(np.arange(6, dtype=np.int32))  # other integer widths become int64
    assert d.dtype == np.int64
    with pytest.raises(TypeError):
        cu.asarray(np.zeros(3, np.float16))
    with pytest.raises(TypeError, match="numpy"):
        np.asarray(cu.zeros(3))  # no silent device -> host copy


@pytest.mark.gpu
def test_device_arrays_copy_deepcopy_and_pickle(cu, rng):
    """copy.copy / copy.deepcopy give new device memory (an optimizer's state_dict is
    deep-copied); pickle comes back on the device, as torch's CUDA tensors do."""
    import copy
    import pickle

    host = rng.standard_normal((3, 4)).astype(np.float32)
    d = cu.asarray(host)
    view = d[:, 1:3]
    for dup in (copy.copy(view), copy.deepcopy(view), pickle.loads(pickle.dumps(view))):
        assert type(dup) is type(d) and dup.data_ptr not in (d.data_ptr, view.data_ptr)
        np.testing.assert_array_equal(dup.numpy(), host[:, 1:3])
    state = copy.deepcopy({"buf": d, "again": d})
    assert state["buf"] is state["again"]  # the memo: one copy per array, as for torch
    d[0, 0] = 7.0
    assert state["buf"].numpy()[0, 0] == host[0, 0]
    import pyneuro as pn

    t = pickle.loads(pickle.dumps(pn.tensor(host, device="cuda", requires_grad=True)))
    assert t.device.type == "cuda" and t.requires_grad
    np.testing.assert_array_equal(t.detach().cpu().numpy(), host)


@pytest.mark.gpu
def test_a_number_assigned_through_integer_arrays(cu, rng):
    """a[idx] = number as NumPy (repeated indices write the same value); an array of values
    through integer arrays still raises NotImplementedError (the write order would matter)."""
    host = rng.standard_normal((5, 6)).astype(np.float32)
    cases = [
        ((np.array([0, 2, 2, -1]),), 0.0),
        ((np.array([1, 3, 3]), np.array([0, 5, 5])), 7.5),
        ((slice(None), np.array([[1, 4], [4, 0]])), -2),
        ((np.array([4, 0]), slice(None)), True),
        ((np.array([], np.int64),), 3.0),
    ]
    for dtype in (np.float32, np.int64, np.bool_, np.float64):
        for key, value in cases:
            want = (host * 3).astype(dtype)
            d = cu.asarray(want)
            want[key] = value
            d[tuple(cu.asarray(k) if isinstance(k, np.ndarray) else k for k in key)] = value
            np.testing.assert_array_equal(d.numpy(), want, err_msg=f"{dtype} {key}")
    idx = cu.asarray(np.array([0, 1, 2]))
    idx[cu.asarray(np.array([1]))] = 9  # the cached value range is forgotten: 9 is out of bounds
    with pytest.raises(IndexError):
        cu.zeros(5)[idx]
    with pytest.raises(IndexError):
        cu.zeros(5)[cu.asarray(np.array([5]))] = 1.0
    with pytest.raises(NotImplementedError, match="several values through integer-array"):
        cu.zeros(5)[cu.asarray(np.array([1, 1]))] = cu.asarray(np.array([1.0, 2.0], np.float32))


@pytest.mark.gpu
def test_in_place_writes_into_views_backpropagate_on_cuda():
    """Writing into a slice of a tensor that needs grad, then backward (CopySlices zeroes the
    written region of the base's gradient through index arrays), and the one-hot idiom.
    Strided regions (y[:, 1]) are written by the base's setitem: a cuda DeviceArray has no
    strided views, so y[:, 1] is a copy."""
    import pyneuro as pn

    _cuda_backend()  # skips without a usable GPU backend

    out = {}
    for device in ("cpu", "cuda"):
        w = pn.tensor(np.arange(12, dtype=np.float32).reshape(3, 4), device=device, requires_grad=True)
        y = w * 2
        y[1] = 0.0
        y[0, 2:] = w[1, :2] * 3
        y[:, 1] = w[:, 3] * w[:, 0]
        y[::2, ::3] = 7.0
        (y * y).sum().backward()
        onehot = pn.zeros(3, 4, device=device)
        onehot[pn.arange(3, device=device), pn.tensor([2, 0, 3], device=device)] = 1
        out[device] = (y.detach().cpu().numpy(), w.grad.cpu().numpy(), onehot.cpu().numpy())
    for a, b in zip(out["cpu"], out["cuda"]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.gpu
def test_in_place_on_a_strided_cuda_view_raises_instead_of_losing_the_write():
    """y[:, 1] of a cuda tensor is a copy (no strided views): changing it in place could not
    reach y, so every in-place path says so (NotImplementedError naming the workaround)
    instead of a silent no-op; contiguous views write through."""
    import pyneuro as pn

    _cuda_backend()
    y = pn.zeros(3, 4, device="cuda")
    col = y[:, 1]
    for change in (
        lambda: col.add_(1),
        lambda: col.mul_(pn.ones(3, device="cuda")),
        lambda: col.fill_(2.0),
        lambda: col.zero_(),
        lambda: col.copy_(pn.ones(3, device="cuda")),
        lambda: col.__setitem__(0, 3.0),
    ):
        with pytest.raises(NotImplementedError, match="no strided views.*x\\[:, 1\\] = v"):
            change()
    assert not y.cpu().numpy().any()
    y[1:].add_(1)  # a contiguous view shares y's memory
    y[:, 1] = 5.0
    np.testing.assert_array_equal(y.cpu().numpy(), [[0, 5, 0, 0], [1, 5, 1, 1], [1, 5, 1, 1]])


@pytest.mark.gpu
def test_device_array_views_copies_and_casts(cu, rng):
    host = rng.standard_normal((4, 6)).astype(np.float32)
    d = cu.asarray(host)
    v = d.reshape(3, -1)
    assert v.shape == (3, 8) and v.data_ptr == d.data_ptr
    np.testing.assert_array_equal(v.numpy(), host.reshape(3, 8))
    with pytest.raises(ValueError):
        d.reshape(5, 5)
    c = d.copy()
    assert c.data_ptr != d.data_ptr
    c.fill(3.0)
    np.testing.assert_array_equal(d.numpy(), host)
    np.testing.assert_array_equal(c.numpy(), np.full((4, 6), 3, np.float32))
    np.testing.assert_array_equal(d.T.numpy(), host.T)
    np.testing.assert_array_equal(
        cu.asarray(np.array([1.7, -2.2], np.float32)).astype(np.int64).numpy(), [1, -2]
    )
    assert cu.zeros((2, 2), "int64").dtype == np.int64
    assert float(cu.asarray(np.array([2.5], np.float32))) == 2.5
    assert cu.asarray(np.array([7], np.int64)).item() == 7


@pytest.mark.gpu
def test_cuda_array_interface_v3_export(cu):
    d = cu.asarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    cai = d.__cuda_array_interface__
    assert cai["version"] == 3 and cai["shape"] == (2, 3) and cai["typestr"] == "<f4"
    assert cai["data"] == (d.data_ptr, False) and cai["strides"] is None
    assert cai["stream"] == 1


@pytest.mark.gpu
def test_cuda_array_interface_with_cupy(cu):
    cupy = pytest.importorskip("cupy")
    d = cu.asarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    c = cupy.asarray(d)  # pyneuro -> CuPy, no copy
    assert c.data.ptr == d.data_ptr
    c *= 2
    np.testing.assert_array_equal(d.numpy(), 2 * np.arange(6, dtype=np.float32).reshape(2, 3))
    src = cupy.arange(12, dtype=cupy.float32).reshape(3, 4)
    v = cu.asarray(src)  # CuPy -> pyneuro, no copy
    assert v.data_ptr == src.data.ptr and not v.owns_memory
    src += 1
    np.testing.assert_array_equal(v.numpy(), np.arange(12, dtype=np.float32).reshape(3, 4) + 1)
    with pytest.raises(ValueError, match="contiguous"):
        cu.asarray(src.T)
    got = cu.matmul(cu.asarray(src), cu.asarray(src), trans_b=True).numpy()
    h = cupy.asnumpy(src)
    np.testing.assert_allclose(got, h @ h.T, rtol=1e-5)


@pytest.mark.gpu
def test_cuda_array_interface_with_torch(cu):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch has no CUDA here")
    d = cu.asarray(np.arange(6, dtype=np.float32))
    t = torch.as_tensor(d, device="cuda")
    assert t.data_ptr() == d.data_ptr
    t.add_(1)
    torch.cuda.synchronize()
    np.testing.assert_array_equal(d.numpy(), np.arange(6, dtype=np.float32) + 1)
    src = torch.arange(10, dtype=torch.int64, device="cuda")
    v = cu.asarray(src)
    assert v.dtype == np.int64 and v.data_ptr == src.data_ptr()
    np.testing.assert_array_equal(v.numpy(), np.arange(10))
    with pytest.raises(ValueError, match="contiguous"):
        cu.asarray(torch.zeros((3, 4), device="cuda").T)


@pytest.mark.gpu
def test_cuda_array_interface_with_numba(cu):
    numba_cuda = pytest.importorskip("numba.cuda")
    if not numba_cuda.is_available():
        pytest.skip("numba.cuda has no GPU here")
    d = cu.asarray(np.arange(5, dtype=np.float32))
    n = numba_cuda.as_cuda_array(d)
    assert n.__cuda_array_interface__["data"][0] == d.data_ptr
    np.testing.assert_array_equal(n.copy_to_host(), np.arange(5, dtype=np.float32))
    back = cu.asarray(numba_cuda.to_device(np.ones(4, np.float32)))
    np.testing.assert_array_equal(back.numpy(), np.ones(4, np.float32))


@pytest.mark.gpu
def test_caching_allocator_reuses_blocks(cu):
    cu.empty_cache()
    a = cu.empty((256, 256))
    del a
    before = cu.memory_stats()
    for _ in range(20):  # a training loop: same shapes every step
        x = cu.empty((256, 256))
        y = cu.zeros((256, 10))
        del x, y
    after = cu.memory_stats()
    assert after["cuda_malloc_calls"] - before["cuda_malloc_calls"] <= 1
    assert after["cache_hits"] - before["cache_hits"] >= 39
    cu.empty_cache()
    assert cu.memory_stats()["bytes_cached"] == 0


@pytest.mark.gpu
def test_errors_are_python_exceptions(bk, cu):
    x = bk.asarray(np.zeros((3, 4), np.float32))
    with pytest.raises(TypeError, match="float32"):
        bk.softmax_forward(bk.asarray(np.zeros((3, 4))))
    with pytest.raises(TypeError, match="host array"):
        bk.relu_backward(x, np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(4, 3\)"):
        bk.relu_backward(x, bk.asarray(np.zeros((4, 3), np.float32)))
    with pytest.raises(IndexError, match="7"):
        bk.cross_entropy_forward(x, bk.asarray(np.array([0, 7, 1])))
    with pytest.raises(ValueError, match="momentum_buffer"):
        bk.sgd_step(x, x, None, 0.1, momentum=0.9)
    cu.synchronize()  # nothing bad was launched


@pytest.mark.gpu
def test_matmul_variants_misaligned_and_odd_shapes(bk, cu, rng):
    """float4 paths must fall back to scalar loads for unaligned pointers and strides."""
    cupy = pytest.importorskip("cupy")
    for m, n, k in [(1, 1, 1), (5, 7, 3), (129, 131, 67), (130, 258, 9), (257, 4, 1030)]:
        flat_a = cupy.asarray(rng.standard_normal(m * k + 1).astype(np.float32))
        flat_b = cupy.asarray(rng.standard_normal(k * n + 1).astype(np.float32))
        a = cu.asarray(flat_a[1:].reshape(m, k))  # pointer off 16-byte alignment by 4 bytes
        b = cu.asarray(flat_b[1:].reshape(k, n))
        ha, hb = cupy.asnumpy(flat_a[1:]).reshape(m, k), cupy.asnumpy(flat_b[1:]).reshape(k, n)
        for variant in bk.VARIANTS["matmul"]:
            for ta, tb in [(False, False), (True, False), (False, True), (True, True)]:
                aa = a.reshape(k, m) if ta else a
                bb = b.reshape(n, k) if tb else b
                want = (ha.reshape(k, m).T if ta else ha).astype(np.float64) @ (
                    hb.reshape(n, k).T if tb else hb
                ).astype(np.float64)
                got = bk.matmul(aa, bb, ta, tb, variant=variant).numpy()
                np.testing.assert_allclose(
                    got,
                    want,
                    rtol=1e-4,
                    atol=1e-4 * np.sqrt(k),
                    err_msg=f"{variant} {m}x{n}x{k} ta={ta} tb={tb}",
                )


@pytest.mark.gpu
def test_matmul_large_square_every_variant(bk, rng):
    a = rng.standard_normal((515, 700)).astype(np.float32)
    b = rng.standard_normal((700, 389)).astype(np.float32)
    want = a.astype(np.float64) @ b
    for variant in bk.VARIANTS["matmul"]:
        got = bk.matmul(bk.asarray(a), bk.asarray(b), variant=variant).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=2e-3, err_msg=variant)


@pytest.mark.gpu
def test_softmax_long_rows_both_variants(bk, rng):
    x = (3 * rng.standard_normal((6, 8195))).astype(np.float32)
    want = np.exp(x - x.max(1, keepdims=True))
    want /= want.sum(1, keepdims=True)
    for variant in ("warp", "block", None):
        got = bk.softmax_forward(bk.asarray(x), variant=variant).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-9, err_msg=str(variant))


@pytest.mark.gpu
@pytest.mark.parametrize(
    "shape_a,shape_b",
    [
        ((4, 5), (4, 5)),
        ((4, 5), (5,)),
        ((4, 5), (1, 5)),
        ((4, 5), (4, 1)),
        ((5,), (4, 5)),
        ((4, 1), (4, 5)),
        ((4, 5), ()),
    ],
)
def test_array_namespace_arithmetic(bk, rng, shape_a, shape_b):
    xp = bk.xp
    a = rng.standard_normal(shape_a).astype(np.float32)
    b = (rng.standard_normal(shape_b) + 3).astype(np.float32)
    da, db = bk.asarray(a), bk.asarray(b)
    for name, op in (
        ("add", np.add),
        ("subtract", np.subtract),
        ("multiply", np.multiply),
        ("divide", np.divide),
        ("maximum", np.maximum),
        ("minimum", np.minimum),
    ):
        np.testing.assert_allclose(getattr(xp, name)(da, db).numpy(), op(a, b), rtol=1e-6, err_msg=name)
    np.testing.assert_allclose((da + 2).numpy(), a + 2)
    np.testing.assert_allclose((2 - da).numpy(), 2 - a)
    np.testing.assert_allclose((da * 0.5).numpy(), a * 0.5)
    np.testing.assert_allclose((1 / db).numpy(), 1 / b, rtol=1e-6)


@pytest.mark.gpu
def test_array_namespace_reductions_and_constructors(bk, rng):
    xp = bk.xp
    a = rng.standard_normal((37, 13)).astype(np.float32)
    d = bk.asarray(a)
    scale = np.abs(a).sum(dtype=np.float64)  # float32 sums: error ~ eps * sum |x|
    np.testing.assert_allclose(xp.sum(d).numpy(), a.sum(dtype=np.float64), rtol=1e-5, atol=1e-5 * scale)
    np.testing.assert_allclose(
        xp.mean(d).item(), a.mean(dtype=np.float64), rtol=1e-5, atol=1e-5 * scale / a.size
    )
    for axis in (0, 1, -1):
        for keepdims in (False, True):
            np.testing.assert_allclose(
                xp.sum(d, axis=axis, keepdims=keepdims).numpy(),
                a.sum(axis=axis, keepdims=keepdims),
                rtol=1e-5,
                atol=1e-4,
            )
            np.testing.assert_allclose(
                d.mean(axis=axis, keepdims=keepdims).numpy(),
                a.mean(axis=axis, keepdims=keepdims),
                rtol=1e-5,
                atol=1e-5,
            )
    np.testing.assert_array_equal(xp.ones((2, 3)).numpy(), np.ones((2, 3)))
    np.testing.assert_array_equal(xp.zeros_like(d).numpy(), np.zeros_like(a))
    np.testing.assert_array_equal(xp.full((2,), 7.0).numpy(), [7, 7])
    e = xp.exp(d)
    np.testing.assert_allclose(e.numpy(), np.exp(a), rtol=1e-5)
    acc = xp.zeros((37, 13))
    acc += d  # in place, as gradient accumulation does
    acc += d
    np.testing.assert_allclose(acc.numpy(), 2 * a, rtol=1e-6)


@pytest.mark.gpu
def test_array_namespace_is_honest_about_gaps(bk):
    xp = bk.xp
    d = xp.ones((2, 3))
    with pytest.raises(NotImplementedError, match="cuda backend"):
        xp.einsum("ij->i", d)
    with pytest.raises(NotImplementedError, match="boolean-mask"):
        d[d > 0]  # its size would need a device -> host copy
    with pytest.raises(NotImplementedError, match="several values through integer-array"):
        d[bk.asarray(np.array([0, 1]))] = bk.asarray(np.array([1.0, 2.0], np.float32))
    with pytest.raises(NotImplementedError, match="where"):
        xp.where(d > 0)
    with pytest.raises(AttributeError, match="not implemented for pyneuro cuda"):
        d.argsort()
    labels = bk.asarray(np.array([3, 1, 4]))
    assert labels.max().shape == () and int(labels.max()) == 4 and int(labels.min()) == 1
    assert int((labels * (labels > 1)).max()) == 4 and int(xp.maximum(labels, 2).min()) == 2
    with pytest.raises(TypeError, match="not implemented"):
        bk.asarray(np.array([1, 2])) / bk.asarray(np.array([1, 2]))  # integer division
    np.testing.assert_array_equal(xp.add(xp.ones((2, 1, 3)), xp.ones((3,))).numpy(), np.full((2, 1, 3), 2.0))
    np.testing.assert_array_equal(
        xp.add(xp.ones((2, 1, 4)), xp.ones((2, 3, 4))).numpy(), np.full((2, 3, 4), 2.0)
    )
    with pytest.raises(ValueError, match="broadcast"):
        xp.add(d, xp.ones((4,)))


@pytest.mark.gpu
def test_mlp_training_step_stays_on_device(bk, rng):
    """One SGD step of a 784-256-10 MLP with the kernel table only, against NumPy."""
    from pyneuro.backends import numpy_backend as ref

    x = rng.standard_normal((64, 784)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    w1 = (rng.standard_normal((256, 784)) * 0.05).astype(np.float32)
    b1 = np.zeros(256, np.float32)
    w2 = (rng.standard_normal((10, 256)) * 0.05).astype(np.float32)
    b2 = np.zeros(10, np.float32)

    def step(B, xs, ys, params):
        w1, b1, w2, b2 = params
        h = B.bias_add(B.matmul(xs, w1, trans_b=True), b1)
        a = B.relu_forward(h)
        logits = B.bias_add(B.matmul(a, w2, trans_b=True), b2)
        losses = B.cross_entropy_forward(logits, ys)
        g_losses = B.xp.ones(losses.shape, dtype=np.float32) * (1.0 / 64)
        g_logits = B.cross_entropy_backward(logits, ys, g_losses)
        g_w2, g_b2 = B.matmul(g_logits, a, trans_a=True), B.bias_grad(g_logits)
        g_a = B.matmul(g_logits, w2)
        g_h = B.relu_backward(g_a, h)
        g_w1, g_b1 = B.matmul(g_h, xs, trans_a=True), B.bias_grad(g_h)
        for p, g in zip(params, (g_w1, g_b1, g_w2, g_b2)):
            B.sgd_step(p, g, None, 0.1)
        return B.xp.mean(losses)

    host = [p.copy() for p in (w1, b1, w2, b2)]
    want_loss = step(ref, x, y, host)
    dev = [bk.asarray(p) for p in (w1, b1, w2, b2)]
    got_loss = step(bk, bk.asarray(x), bk.asarray(y), dev)
    np.testing.assert_allclose(float(got_loss), float(want_loss), rtol=1e-5)
    for d, h in zip(dev, host):
        np.testing.assert_allclose(bk.to_numpy(d), h, rtol=1e-4, atol=1e-6)


@pytest.mark.gpu
def test_array_namespace_broadcast_assign_and_nd_reductions(bk, rng):
    xp = bk.xp
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    d = bk.asarray(a)
    for axes in [None, 0, (0, 1), -1, (1, 2), (0, 1, 2)]:
        for keepdims in (False, True):
            np.testing.assert_allclose(
                d.sum(axis=axes, keepdims=keepdims).numpy(),
                a.sum(axis=axes, keepdims=keepdims),
                rtol=1e-5,
                atol=1e-5,
            )
    np.testing.assert_allclose(d.sum(axis=1).numpy(), a.sum(axis=1), rtol=1e-5)  # a middle axis: moved last
    for axes in [None, 0, 1, (0, 2), -1, (1, 2)]:  # counts: bool / int64 sums
        got = (d > 0).sum(axis=axes, keepdims=True)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got.numpy(), (a > 0).sum(axis=axes, keepdims=True))
    row = rng.standard_normal((1, 4)).astype(np.float32)
    np.testing.assert_array_equal(
        xp.broadcast_to(bk.asarray(row), (3, 4)).numpy(), np.broadcast_to(row, (3, 4))
    )
    np.testing.assert_array_equal(
        xp.broadcast_to(bk.asarray(np.float32(2.0)), (2, 2)).numpy(), np.full((2, 2), 2)
    )
    col = bk.asarray(np.arange(3, dtype=np.float32).reshape(3, 1))
    np.testing.assert_array_equal(
        xp.broadcast_to(col, (3, 2)).numpy(), np.repeat(np.arange(3.0)[:, None], 2, 1)
    )
    z = xp.empty((5,))
    z[...] = bk.asarray(np.float32(0.25))  # how cross-entropy's backward seeds grad_losses
    np.testing.assert_array_equal(z.numpy(), np.full(5, 0.25, np.float32))
    z[:] = 0
    np.testing.assert_array_equal(z.numpy(), np.zeros(5, np.float32))
    x = rng.standard_normal((7, 5)).astype(np.float32)
    np.testing.assert_array_equal(bk.asarray(x).argmax(axis=1).numpy(), x.argmax(axis=1))
    assert bk.asarray(x).argmax().item() == x.argmax()
    assert bk.asarray(x).flags.c_contiguous and bk.asarray(x).flags.writeable
    assert not hasattr(xp, "errstate")  # a gap is an AttributeError too
    np.testing.assert_array_equal(xp.expand_dims(bk.asarray(x), 0).shape, (1, 7, 5))


@pytest.mark.gpu
def test_tensor_mlp_step_on_cuda_matches_cpu(bk):
    """nn/optim/autograd on device 'cuda' (through Tensor) against the same step on 'cpu'."""
    pytest.importorskip("pyneuro.tensor")
    import pyneuro.functional as F
    from pyneuro import nn, optim

    pyneuro.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    rng = np.random.default_rng(0)
    x = rng.random((32, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 32)
    state = {k: v.numpy().copy() for k, v in model.state_dict().items()}

    def run(device):
        m = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
        m.load_state_dict({k: pyneuro.tensor(v) for k, v in state.items()})
        m = m.to(device)
        opt = optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        xs, ys = pyneuro.tensor(x).to(device), pyneuro.tensor(y).to(device)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = F.cross_entropy(m(xs), ys)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, {k: v.cpu().numpy() for k, v in m.state_dict().items()}

    cpu_losses, cpu_state = run("cpu")
    gpu_losses, gpu_state = run("cuda")
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-4)
    for k in cpu_state:
        np.testing.assert_allclose(gpu_state[k], cpu_state[k], rtol=1e-3, atol=1e-5, err_msg=k)


@pytest.mark.gpu
def test_training_step_copies_only_the_loss_to_the_host(bk):
    """One full step of the 784-256-10 MLP on device "cuda" -- forward, cross-entropy,
    backward, then an SGD (momentum) or Adam step -- makes exactly one device -> host copy:
    loss.item() (4 bytes). Class targets are range-checked from the range recorded when they
    were uploaded, so that check copies nothing back. An evaluation batch (argmax == labels,
    summed) likewise copies only the count. A shuffled DataLoader over a device dataset
    uploads each batch's indices once and gathers on the device."""
    import pyneuro.functional as F
    from pyneuro import nn, optim
    from pyneuro.data import DataLoader, TensorDataset

    pyneuro.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)).to("cuda")
    rng = np.random.default_rng(0)
    x = pyneuro.tensor(rng.random((64, 1, 28, 28), dtype=np.float32)).to("cuda")
    y = pyneuro.tensor(rng.integers(0, 10, 64)).to("cuda")
    for make in (lambda p: optim.SGD(p, lr=0.05, momentum=0.9), lambda p: optim.Adam(p, lr=1e-3)):
        opt = make(model.parameters())
        for _ in range(2):  # the first step creates the optimizer state, the second reuses it
            bk.reset_transfer_stats()
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            assert np.isfinite(loss.item())
            stats = bk.transfer_stats()
            assert (stats["d2h_copies"], stats["d2h_bytes"], stats["h2d_copies"]) == (1, 4, 0), stats
    bk.reset_transfer_stats()
    with pyneuro.no_grad():
        correct = (model(x).argmax(dim=1) == y).sum().item()
    assert 0 <= correct <= 64
    assert bk.transfer_stats()["d2h_copies"] == 1
    loader = DataLoader(
        TensorDataset(x, y), batch_size=16, shuffle=True, generator=pyneuro.Generator().manual_seed(0)
    )
    bk.reset_transfer_stats()
    for xb, yb in loader:
        assert xb.device == "cuda" and yb.device == "cuda" and xb.shape == (16, 1, 28, 28)
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
    stats = bk.transfer_stats()
    assert stats["d2h_copies"] == 0 and stats["h2d_copies"] == len(loader), (
        stats
    )  # the indices, once per batch


@pytest.mark.gpu
def test_index_range_checks_copy_nothing_back_when_the_bound_is_known(bk):
    xp = bk.xp
    labels = bk.asarray(np.array([0, 9, 1, 2]))  # bound [0, 9] recorded on upload
    bk.reset_transfer_stats()
    bk.cross_entropy_forward(xp.zeros((4, 10)), labels)  # the bound settles the check
    xp.zeros((10, 2))[labels]
    xp.zeros((10, 3))[bk.argmax(xp.zeros((4, 10)))]  # argmax results are known to lie in [0, 10)
    assert bk.transfer_stats()["d2h_copies"] == 0
    with pytest.raises(IndexError, match="9"):
        bk.cross_entropy_forward(xp.zeros((4, 3)), labels)
    tail = labels[2:]  # a view holding 1, 2: the bound [0, 9] is too wide,
    bk.reset_transfer_stats()  # so the exact range decides (one copy back)
    bk.cross_entropy_forward(xp.zeros((2, 3)), tail)
    np.testing.assert_array_equal(xp.arange(3)[tail].numpy(), [1, 2])
    assert bk.transfer_stats()["d2h_copies"] == 3  # two checks + the numpy() above
    shared = bk.asarray(np.array([1, 2]))
    _ = shared.__cuda_array_interface__  # exported: others may write it, bound dropped
    bk.reset_transfer_stats()
    bk.cross_entropy_forward(xp.zeros((2, 3)), shared)
    assert bk.transfer_stats()["d2h_copies"] == 1
    labels[1] = 7  # a write forgets the bound
    bk.reset_transfer_stats()
    bk.cross_entropy_forward(xp.zeros((4, 10)), labels)
    assert bk.transfer_stats()["d2h_copies"] == 1


@pytest.mark.gpu
def test_train_cli_on_cuda_matches_cpu(bk, tmp_path):
    """`pyneuro train --device cuda` end to end (the dataset moved to the device once, batches
    gathered there, Adam, evaluation): the same metrics as on cpu, to float32 rounding.
    (The slowest test on the CPU emulator: every emulated thread is a fiber.)"""
    import json

    from pyneuro import train as train_module

    args = ["--epochs", "1", "--batch-size", "1000", "--model", "784-16-10", "--quiet"]
    runs = {}
    for device in ("cpu", "cuda"):
        path = tmp_path / f"{device}.jsonl"
        assert train_module.main([*args, "--device", device, "--metrics", str(path)]) == 0
        runs[device] = json.loads(path.read_text())
    assert runs["cuda"]["device"] == "cuda" and runs["cuda"]["backend"] == "cuda"
    for key in ("train_loss", "test_loss", "test_accuracy"):
        assert runs["cuda"][key] == pytest.approx(runs["cpu"][key], rel=1e-4, abs=1e-3), key

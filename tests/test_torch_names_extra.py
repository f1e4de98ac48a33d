"""The rarer torch names, side by side with torch: the Tensor methods of _tensor_extra.py
(hardshrink, prelu, resize, set_, as_subclass, nonzero_static, lu, igamma, ...), the top-level
names of torch_names_extra.py (the *_copy ops, norm_except_dim, frobenius_norm, nuclear_norm,
get_device_module, the build flags), torch.binomial, the deterministic debug mode and the
functions torch removed in 1.9 (torch_removed.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

from test_torch_names import both, raises_like  # noqa: E402 - the shared helpers
from test_torch_names import close as _close  # noqa: E402


def close(p, t, atol=1e-5, rtol=1e-5):
    """test_torch_names' check (values, shape and dtype), at this file's tolerance."""
    _close(p, t, atol=atol, rtol=rtol)


def same(call, *arrays, requires_grad=False, grad=True):
    """call(torch-like module, *tensors) gives the same values under both, and the same
    gradients for the inputs when requires_grad."""
    arrays = [np.asarray(a, np.float32) if np.asarray(a).dtype == np.float64 else a for a in arrays]
    pairs = [both(a, requires_grad) for a in arrays]
    p = call(pn, *(a for a, _ in pairs))
    t = call(torch, *(b for _, b in pairs))
    close(p, t)
    if requires_grad and grad:
        weights = np.linspace(-1, 1, int(np.prod(p.shape))).reshape(p.shape).astype(np.float32)
        (p * pn.tensor(weights)).sum().backward()
        (t * torch.tensor(weights)).sum().backward()
        for a, b in pairs:
            if b.grad is None:  # (an input the op does not use)
                assert a.grad is None
            else:
                close(a.grad, b.grad)
    return p, t


X = np.arange(-3.0, 3.0, dtype=np.float32).reshape(2, 3)


# ---------------------------------------------------------------------------- Tensor methods
def test_activation_methods_match_torch():
    same(lambda m, x: x.hardshrink(1.5), X, requires_grad=True)
    same(lambda m, x: x.hardshrink(), X * 0.3, requires_grad=True)
    same(lambda m, x, w: x.prelu(w), X, [0.25, 0.5, 2.0], requires_grad=True)
    raises_like(lambda: pn.tensor([1, 2]).hardshrink(), lambda: torch.tensor([1, 2]).hardshrink())
    raises_like(lambda: pn.tensor(X).prelu(0.25), lambda: torch.tensor(X).prelu(0.25))


def test_unsafe_splits_are_split_and_chunk():
    for call in (
        lambda m, x: m.stack([p.sum() for p in x.unsafe_chunk(2, 1)]),
        lambda m, x: m.stack([p.sum() for p in x.unsafe_split(2, 1)]),
        lambda m, x: m.stack([p.sum() for p in x.unsafe_split_with_sizes([1, 2], 1)]),
        lambda m, x: m.stack([p.sum() for p in m.unsafe_split_with_sizes(x, [1, 1], 0)]),
    ):
        same(call, X, requires_grad=True)
    raises_like(
        lambda: pn.tensor(X).unsafe_split_with_sizes([1, 1], 1),
        lambda: torch.tensor(X).unsafe_split_with_sizes([1, 1], 1),
    )


def test_non_inplace_resize_keeps_the_number_of_elements():
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        p, _ = same(lambda m, x: x.resize(3, 2) * 2, X, requires_grad=True)
    with pytest.warns(UserWarning, match="non-inplace resize_as is deprecated"):
        same(lambda m, x: x.resize_as(m.zeros(6)), X, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raises_like(lambda: pn.tensor(X).resize(4), lambda: torch.tensor(X).resize(4))
        raises_like(lambda: pn.tensor(X).resize((3, 2)), lambda: torch.tensor(X).resize((3, 2)))
        x = pn.tensor(X, requires_grad=True)
        assert x.resize(6).grad_fn.name() == torch.tensor(X, requires_grad=True).resize(6).grad_fn.name()


def test_set_points_a_tensor_at_other_memory():
    for m in (pn, torch):
        a, b = m.arange(4.0), m.zeros(2)
        assert b.set_(a) is b and b.is_set_to(a)
        b[0] = 9
        assert a[0].item() == 9.0
        c = m.zeros(2).set_(m.arange(6.0).untyped_storage(), 1, (2, 2), (1, 2))
        assert c.tolist() == [[1.0, 3.0], [2.0, 4.0]]
        assert m.zeros(2).set_(m.arange(3.0).untyped_storage()).tolist() == [0.0, 1.0, 2.0]
        assert tuple(m.zeros(2).set_().shape) == (0,)
    raises_like(lambda: pn.zeros(2).set_(pn.arange(3)), lambda: torch.zeros(2).set_(torch.arange(3)))
    raises_like(
        lambda: pn.zeros(2, requires_grad=True).set_(pn.arange(3.0)),
        lambda: torch.zeros(2, requires_grad=True).set_(torch.arange(3.0)),
    )
    # past the end of the storage: torch reads whatever lies there, pyneuro refuses
    with pytest.raises(RuntimeError, match="out of bounds"):
        pn.zeros(2).set_(pn.arange(6.0).untyped_storage(), 4, (2, 2), (1, 2))


def test_as_subclass_aliases_in_the_graph():
    for m in (pn, torch):
        x = m.arange(3.0, requires_grad=True)
        y = (x * 2).as_subclass(m.nn.Parameter)
        assert type(y) is m.nn.Parameter and not y.is_leaf
        assert y.grad_fn.name() == "AliasBackward0"
        (y * y).sum().backward()
        assert x.grad.tolist() == [0.0, 8.0, 16.0]
        assert repr(m.zeros(1).as_subclass(m.nn.Parameter)).startswith("Parameter containing")
    raises_like(lambda: pn.zeros(2).as_subclass(int), lambda: torch.zeros(2).as_subclass(int))


def test_small_properties_and_factories():
    x, t = both(X)
    assert x.name is None and t.name is None
    assert x.output_nr == t.output_nr == 0
    p, q = x.new_empty_strided((2, 2), (1, 2)), t.new_empty_strided((2, 2), (1, 2))
    assert p.stride() == q.stride() and p.dtype == pn.float32
    assert x.new_empty_strided((3,), (2,), dtype=pn.int64).dtype == pn.int64


@pytest.mark.parametrize(
    "data, size, fill",
    [([[0, 1], [2, 0]], 3, -1), ([0, 1, 2, 0], 1, 7), ([0, 1, 2, 0], 4, -1), (3, 2, -1), ([0.0, 0.0], 0, -1)],
)
def test_nonzero_static_pads_or_cuts(data, size, fill):
    p, t = both(data)
    close(p.nonzero_static(size=size, fill_value=fill), t.nonzero_static(size=size, fill_value=fill))
    close(pn.nonzero_static(p, size=size), torch.nonzero_static(t, size=size))


def test_nonzero_static_rejects_a_negative_size():
    raises_like(
        lambda: pn.nonzero_static(pn.tensor([0, 1]), size=-1),
        lambda: torch.nonzero_static(torch.tensor([0, 1]), size=-1),
    )


def test_lu_and_lu_solve_methods():
    a = np.array([[2.0, 1.0, 0.5], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (pa, ta), (pb, tb) = both(a), both(np.ones((3, 2), np.float32))
        (plu, ppiv), (tlu, tpiv) = pa.lu(), ta.lu()
        close(plu, tlu)
        close(ppiv, tpiv)
        close(pb.lu_solve(plu, ppiv), tb.lu_solve(tlu, tpiv))
        assert len(pa.lu(get_infos=True)) == 3
        raises_like(lambda: pn.tensor([1.0, 2.0]).lu(), lambda: torch.tensor([1.0, 2.0]).lu())


def test_igamma_methods():
    a, x = np.array([0.5, 1.0, 2.5, 4.0], np.float32), np.array([0.3, 1.0, 2.0, 7.0], np.float32)
    same(lambda m, a, x: a.igamma(x), a, x)
    same(lambda m, a, x: a.igammac(x), a, x)
    same(lambda m, a, x: a.clone().igamma_(x), a, x)
    same(lambda m, a, x: a.clone().igammac_(x), a, x)
    raises_like(lambda: pn.tensor(a).igamma(2), lambda: torch.tensor(a).igamma(2))


# ---------------------------------------------------------------------------- removed in 1.9
@pytest.mark.parametrize(
    "call",
    [
        lambda m, x: m.solve(x, x),
        lambda m, x: m.lstsq(x, x),
        lambda m, x: m.eig(x),
        lambda m, x: m.symeig(x),
        lambda m, x: m.matrix_rank(x),
        lambda m, x: x.solve(x),
        lambda m, x: x.lstsq(x),
        lambda m, x: x.eig(),
        lambda m, x: x.symeig(),
    ],
)
def test_functions_removed_in_1_9_raise_torchs_message(call):
    with pytest.raises(RuntimeError) as t_err:
        call(torch, torch.eye(2))
    with pytest.raises(RuntimeError) as p_err:
        call(pn, pn.eye(2))
    assert str(p_err.value) == str(t_err.value)


# ---------------------------------------------------------------------------- top-level names
@pytest.mark.parametrize(
    "call",
    [
        lambda m, x: m.t_copy(x),
        lambda m, x: m.alias_copy(x),
        lambda m, x: m.select_copy(x, 1, 2),
        lambda m, x: m.slice_copy(x, 1, 1, 3),
        lambda m, x: m.split_copy(x, 2, 1)[1],
        lambda m, x: m.split_with_sizes_copy(x, [1, 2], 1)[0],
        lambda m, x: m.unbind_copy(x, 1)[2],
        lambda m, x: m.view_copy(x, (3, 2)),
        lambda m, x: m.transpose_copy(x, 0, 1),
        lambda m, x: m.expand_copy(x[:1], (2, 3)),
        lambda m, x: m.diagonal_copy(x),
        lambda m, x: m.squeeze_copy(x[:1]),
        lambda m, x: m.unsqueeze_copy(x, 0),
        lambda m, x: m.permute_copy(x, (1, 0)),
        lambda m, x: m.unfold_copy(x, 1, 2, 1),
        lambda m, x: m.as_strided_copy(x, (2, 2), (1, 2)),
    ],
)
def test_copy_ops_are_their_views_in_new_memory(call):
    p, t = same(call, X, requires_grad=True)
    assert p.grad_fn.name() == t.grad_fn.name()
    x = pn.tensor(X)
    y = call(pn, x)
    y.view(-1)[0] = 100.0  # (new memory: x stays)
    assert x.tolist() == X.tolist()


def test_detach_copy_is_new_memory_outside_the_graph():
    x = pn.tensor(X, requires_grad=True)
    y = pn.detach_copy(x)
    close(y, torch.detach_copy(torch.tensor(X)))
    assert y.grad_fn is None and y.data_ptr() != x.data_ptr()


@pytest.mark.parametrize("pw, dim", [(2, 0), (2, 1), (2, -1), (1, 0), (3, 1), (2, -2)])
def test_norm_except_dim(pw, dim):
    same(lambda m, v: m.norm_except_dim(v, pw, dim), X, requires_grad=True)
    same(lambda m, v: m.norm_except_dim(v, pw, dim), np.arange(24.0, dtype=np.float32).reshape(2, 3, 4))
    raises_like(
        lambda: pn.norm_except_dim(pn.tensor(X), 2, 2), lambda: torch.norm_except_dim(torch.tensor(X), 2, 2)
    )


def test_frobenius_and_nuclear_norms():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for dim, keepdim in (((0, 1), False), ((0,), True), (1, False), ((), False)):
            p, t = same(lambda m, v: m.frobenius_norm(v, dim, keepdim), X, requires_grad=True)
            assert p.grad_fn.name() == t.grad_fn.name()
        same(lambda m, v: m.nuclear_norm(v), X, requires_grad=True)
        same(lambda m, v: m.nuclear_norm(v, True), X)
        same(lambda m, v: m.nuclear_norm(v, (0, 1), keepdim=True), X)
        for bad in (
            lambda m: m.frobenius_norm(m.tensor(X)),
            lambda m: m.frobenius_norm(m.zeros(2, 3, 4), (0, 1, 2)),
            lambda m: m.frobenius_norm(m.tensor([1, 2]), (0,)),
            lambda m: m.nuclear_norm(m.ones(3)),
            lambda m: m.nuclear_norm(m.tensor(X), (0,)),
        ):
            raises_like(lambda: bad(pn), lambda: bad(torch))
    with pytest.warns(UserWarning, match="frobenius_norm is deprecated"):
        pn.frobenius_norm(pn.tensor(X), (0, 1))


def test_binomial_draws_torchs_numbers():
    counts = np.array([10.0, 5.0, 100.0, 3.0, 2.5, -2.0, 1000.0], np.float32)
    probs = np.array([0.5, 0.2, 0.3, 0.9, 0.5, 0.5, 0.3], np.float32)
    pn.manual_seed(3)
    torch.manual_seed(3)
    p, t = (
        pn.binomial(*both(counts)[:1], pn.tensor(probs)),
        torch.binomial(torch.tensor(counts), torch.tensor(probs)),
    )
    close(p, t)
    assert pn.binomial(pn.tensor([10.0]), pn.tensor([1.5])).item() == 10.0
    assert np.isnan(pn.binomial(pn.tensor([float("nan")]), pn.tensor([0.5])).item())  # (torch never returns)
    for bad in (
        lambda m: m.binomial(m.tensor([10.0]), m.tensor([0.5], dtype=m.float64)),
        lambda m: m.binomial(m.tensor([10.0]), 0.5),
        lambda m: m.binomial(m.tensor([10]), m.tensor([0.5])),
        lambda m: m.binomial(m.tensor([10.0]), m.tensor([1, 0])),
    ):
        raises_like(lambda: bad(pn), lambda: bad(torch))


def test_deterministic_debug_mode():
    before = (pn.are_deterministic_algorithms_enabled(), pn.is_deterministic_algorithms_warn_only_enabled())
    t_before = torch.get_deterministic_debug_mode()
    try:
        for mode in ("warn", "error", "default", 1, 2, 0):
            pn.set_deterministic_debug_mode(mode)
            torch.set_deterministic_debug_mode(mode)
            assert pn.get_deterministic_debug_mode() == torch.get_deterministic_debug_mode()
            assert pn.are_deterministic_algorithms_enabled() == torch.are_deterministic_algorithms_enabled()
            assert (
                pn.is_deterministic_algorithms_warn_only_enabled()
                == torch.is_deterministic_algorithms_warn_only_enabled()
            )
        for bad in (5, "x", 0.5):
            raises_like(
                lambda: pn.set_deterministic_debug_mode(bad), lambda: torch.set_deterministic_debug_mode(bad)
            )
    finally:
        pn.use_deterministic_algorithms(before[0], warn_only=before[1])
        torch.set_deterministic_debug_mode(t_before)


def test_get_device_module_and_build_flags():
    assert pn.get_device_module() is pn.cpu and pn.get_device_module("cpu") is pn.cpu
    assert pn.get_device_module(pn.device("cpu")) is pn.cpu and pn.get_device_module("cuda") is pn.cuda
    raises_like(lambda: pn.get_device_module("foo"), lambda: torch.get_device_module("foo"))
    raises_like(lambda: pn.get_device_module(3), lambda: torch.get_device_module(3))
    for flag in ("has_openmp", "has_lapack", "has_mkl", "has_spectral"):
        assert isinstance(getattr(pn, flag), bool) and flag in dir(pn)
    assert pn.has_lapack and not pn.has_spectral  # (no torch.fft here)
    assert not pn.is_distributed(pn.zeros(1)) and not torch.is_distributed(torch.zeros(1))


# ---------------------------------------------------------------------------- small runtime names
def test_sym_helpers_on_python_numbers():
    for call in (
        lambda m: m.sym_int(3.7),
        lambda m: m.sym_int(-3.7),
        lambda m: m.sym_float(3),
        lambda m: m.sym_max(2, 3.5),
        lambda m: m.sym_max(3, 2),
        lambda m: m.sym_min(2, 3.5),
        lambda m: m.sym_not(True),
        lambda m: m.sym_sqrt(4),
        lambda m: m.sym_ite(False, 1, 2),
        lambda m: m.sym_sum([1, 2, 3]),
        lambda m: m.sym_sum(1, 2.5),
    ):
        p, t = call(pn), call(torch)
        assert p == t and type(p) is type(t)
    for bad in (
        lambda m: m.sym_max(m.tensor(1), 2),
        lambda m: m.sym_ite(1, 2, 3),
        lambda m: m.sym_ite(True, 1, 2.0),
    ):
        raises_like(lambda: bad(pn), lambda: bad(torch))


def test_error_classes_and_flags():
    for m in (pn, torch):
        assert issubclass(m.OutOfMemoryError, RuntimeError) and m.cuda.OutOfMemoryError is m.OutOfMemoryError
        assert issubclass(m.AcceleratorError, RuntimeError)
        assert m.is_vulkan_available() is False and m.init_num_threads() is None
        assert m.backends.cpu.get_cpu_capability() in ("AVX512", "AVX2", "DEFAULT", "NO AVX")
        assert isinstance(m.backends.mkl.is_available(), bool)
    assert pn.backends.mkl.is_available() is False


def test_dlpack_round_trips_share_memory():
    x = pn.arange(6.0).reshape(2, 3)
    assert pn.from_dlpack(pn.to_dlpack(x)).data_ptr() == x.data_ptr()
    assert pn.utils.dlpack.from_dlpack(pn.utils.dlpack.to_dlpack(x)).tolist() == x.tolist()
    t = torch.from_dlpack(pn.utils.dlpack.to_dlpack(x))
    assert t.tolist() == x.tolist() and t.data_ptr() == x.data_ptr()
    p = pn.from_dlpack(torch.utils.dlpack.to_dlpack(torch.arange(3.0)))
    assert p.tolist() == [0.0, 1.0, 2.0]
    raises_like(lambda: pn.to_dlpack([1.0]), lambda: torch.to_dlpack([1.0]))


def test_memory_order_methods():
    for shape, perm in (((2, 3), (1, 0)), ((2, 3, 4), (0, 2, 1)), ((2, 3, 4, 5), (0, 2, 3, 1))):
        x, t = pn.zeros(shape).permute(perm), torch.zeros(shape).permute(perm)
        assert x.dim_order() == t.dim_order()
        assert x.const_data_ptr() == x.data_ptr()
    with pytest.warns(UserWarning, match="volatile was removed"):
        assert pn.zeros(1).volatile is False


# ---------------------------------------------------------------------------- nn ops at top level
@pytest.mark.parametrize(
    "name, gates", [("rnn_tanh_cell", 1), ("rnn_relu_cell", 1), ("gru_cell", 3), ("lstm_cell", 4)]
)
@pytest.mark.parametrize("bias", [True, False])
def test_recurrent_cells_match_torch(name, gates, bias):
    rng = np.random.default_rng(1)
    arrays = [
        rng.standard_normal(s).astype(np.float32)
        for s in ((3, 5), (3, 4), (3, 4), (4 * gates, 5), (4 * gates, 4))
    ]
    arrays += [rng.standard_normal(4 * gates).astype(np.float32) for _ in range(2)] if bias else []

    def call(m, x, h, c, w_ih, w_hh, *b):
        out = getattr(m, name)(x, [h, c] if name == "lstm_cell" else h, w_ih, w_hh, *b)
        return out[0] * 2 + out[1] if name == "lstm_cell" else out

    same(call, *arrays, requires_grad=True)
    x, h = pn.zeros(5), pn.zeros(4)
    t_x, t_h = torch.zeros(5), torch.zeros(4)
    hx, t_hx = ([h, h], [t_h, t_h]) if name == "lstm_cell" else (h, t_h)
    w = (pn.zeros(4 * gates, 5), pn.zeros(4 * gates, 4))
    t_w = (torch.zeros(4 * gates, 5), torch.zeros(4 * gates, 4))
    raises_like(lambda: getattr(pn, name)(x, hx, *w), lambda: getattr(torch, name)(t_x, t_hx, *t_w))


def test_top_level_ctc_loss_takes_an_int_reduction():
    rng = np.random.default_rng(2)
    lp = rng.standard_normal((6, 2, 4)).astype(np.float32)
    targets = np.array([[1, 2], [1, 1]])
    for args in ((), (0, 1), (0, 2), (0, 1, True)):
        p = pn.ctc_loss(
            pn.tensor(lp).log_softmax(2), pn.tensor(targets), pn.tensor([6, 5]), pn.tensor([2, 2]), *args
        )
        t = torch.ctc_loss(
            torch.tensor(lp).log_softmax(2),
            torch.tensor(targets),
            torch.tensor([6, 5]),
            torch.tensor([2, 2]),
            *args,
        )
        close(p, t)
    raises_like(
        lambda: pn.ctc_loss(pn.tensor(lp), pn.tensor(targets), [6, 5], [2, 2], reduction="mean"),
        lambda: torch.ctc_loss(torch.tensor(lp), torch.tensor(targets), [6, 5], [2, 2], reduction="mean"),
    )


# ---------------------------------------------------------------------------- dtypes named only
@pytest.mark.parametrize(
    "name",
    ["uint16", "uint32", "uint64", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz"],
)
def test_dtypes_pyneuro_names_but_has_no_tensors_of(name):
    p, t = getattr(pn, name), getattr(torch, name)
    assert p.itemsize == t.itemsize and p.is_signed == t.is_signed
    assert p.is_floating_point == t.is_floating_point and str(p) == f"pyneuro.{name}"
    info = pn.iinfo if name.startswith("uint") else pn.finfo
    assert repr(info(p)) == repr((torch.iinfo if name.startswith("uint") else torch.finfo)(t))
    with pytest.raises(TypeError, match=f"pyneuro has no {name} tensors"):
        pn.zeros(2, dtype=p)
    with pytest.raises(TypeError, match=f"pyneuro has no {name} tensors"):
        pn.ones(2).to(p)
    assert pn.ones(1).dtype != p


def test_legacy_tensor_methods_and_switches():
    for m in (pn, torch):
        x = m.zeros(3)
        assert (
            x.map2_(m.ones(3), m.full((3,), 2.0), lambda a, b, c: a + b + c) is x and x.tolist() == [3.0] * 3
        )
        assert x.is_distributed() is False
        assert m.autograd.is_multithreading_enabled() is True
        with m.autograd.set_multithreading_enabled(False):
            assert m.autograd.is_multithreading_enabled() is False
        assert m.autograd.is_multithreading_enabled() is True
        assert (
            not isinstance(3, m.SymInt)
            and not isinstance(3.0, m.SymFloat)
            and not isinstance(True, m.SymBool)
        )
    with pytest.raises(RuntimeError) as t_err:
        torch.zeros(1).reinforce(1)
    with pytest.raises(RuntimeError) as p_err:
        pn.zeros(1).reinforce(1)
    assert str(p_err.value) == str(t_err.value)


@pytest.mark.parametrize(
    "x, w, b, rest",
    [
        ((2, 3, 9), (5, 3, 2), None, ([1], [0], [1], False, [0], 1)),
        ((2, 4, 9), (4, 3, 3), (6,), ([2], [1], [1], True, [1], 2)),
        ((1, 2, 6, 5), (4, 2, 3, 2), (4,), ([2, 1], [1, 0], [1, 2], False, [0, 0], 1)),
        ((1, 4, 5, 5), (4, 1, 3, 3), (2,), ([2, 2], [1, 1], [1, 1], True, [1, 0], 2)),
        ((1, 2, 4, 4, 4), (3, 2, 2, 2, 2), None, ([1, 1, 1], [0, 0, 0], [1, 1, 1], False, [0, 0, 0], 1)),
    ],
)
def test_top_level_convolution(x, w, b, rest):
    rng = np.random.default_rng(len(x))
    arrays = [rng.standard_normal(s).astype(np.float32) for s in (x, w) + ((b,) if b else ())]

    def call(m, x, w, *b):
        return m.convolution(x, w, b[0] if b else None, *rest)

    same(call, *arrays, requires_grad=True)
    raises_like(
        lambda: pn.convolution(*both(arrays[0])[:1], pn.tensor(arrays[1]), None, *rest[:-1]),
        lambda: torch.convolution(torch.tensor(arrays[0]), torch.tensor(arrays[1]), None, *rest[:-1]),
    )


def test_native_layer_norm_returns_the_statistics():
    rng = np.random.default_rng(5)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((2, 3, 4), (3, 4), (3, 4)))
    for k in range(3):
        same(lambda m, x, w, b: m.native_layer_norm(x, [3, 4], w, b, 1e-5)[k], x, w, b, requires_grad=k == 0)
    p = pn.native_layer_norm(pn.tensor(x), [4], None, None, 1e-5)
    t = torch.native_layer_norm(torch.tensor(x), [4], None, None, 1e-5)
    for a, c in zip(p, t):
        close(a, c)


# ---------------------------------------------------------------------------- hostile inputs
def test_split_refuses_negative_sizes_that_sum_right():
    """x.split([2, -1, 2]) on 3 elements cut overlapping pieces before; torch refuses."""
    for call in (
        lambda m: m.zeros(3).split([2, -1, 2]),
        lambda m: m.zeros(3).split_with_sizes([1, -1, 3]),
        lambda m: m.unsafe_split_with_sizes(m.zeros(3), [1, -1, 3]),
    ):
        raises_like(lambda: call(pn), lambda: call(torch))


def test_empty_and_infinite_inputs():
    assert tuple(pn.geqrf(pn.zeros(0, 3)).a.shape) == (0, 3)
    assert tuple(pn.geqrf(pn.zeros(2, 0, 3)).tau.shape) == tuple(torch.geqrf(torch.zeros(2, 0, 3)).tau.shape)
    assert np.isnan(pn.binomial(pn.tensor([float("inf")]), pn.tensor([0.5])).item())
    assert tuple(pn.binomial(pn.tensor([]), pn.tensor([])).shape) == (0,)
    assert tuple(pn.special.bessel_j0(pn.zeros(0, 3)).shape) == (0, 3)


def test_as_strided_in_place_and_empty_permuted():
    for m in (pn, torch):
        x = m.arange(6.0)
        y = x[1:]
        assert y.as_strided_((2, 2), (1, 2)) is y and y.tolist() == [[1.0, 3.0], [2.0, 4.0]]
        y[0, 0] = 100.0  # (still x's memory)
        assert x[1].item() == 100.0
        z = m.arange(6.0)
        assert z.as_strided_((2,), (2,), 1).tolist() == [1.0, 3.0]
        assert m.as_strided_(m.arange(4.0), (2,), (2,)).tolist() == [0.0, 2.0]
        e = m.empty_permuted((2, 3, 5, 7), (0, 2, 3, 1))
        assert tuple(e.shape) == (2, 3, 5, 7) and e.stride() == (105, 1, 21, 3)
        assert e.is_contiguous(memory_format=m.channels_last)
    raises_like(
        lambda: pn.arange(6.0, requires_grad=True).as_strided_((2,), (1,)),
        lambda: torch.arange(6.0, requires_grad=True).as_strided_((2,), (1,)),
    )
    for layout in ((0,), (0, 0), (0, 2)):
        raises_like(lambda: pn.empty_permuted((2, 3), layout), lambda: torch.empty_permuted((2, 3), layout))


def test_output_nr_counts_the_pieces_of_split_chunk_unbind():
    for m in (pn, torch):
        x = m.ones(4, 3, requires_grad=True)
        got = (
            [p.output_nr for p in x.unbind()],
            [p.output_nr for p in x.chunk(2)],
            [p.output_nr for p in x.split([1, 3])],
            x.chunk(2)[1][0].output_nr,
            [p.output_nr for p in m.ones(3).unbind()],
            (x * 2).output_nr,
        )
        assert got == ([0, 1, 2, 3], [0, 1], [0, 1], 0, [0, 0, 0], 0)

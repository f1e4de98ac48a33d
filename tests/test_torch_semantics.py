"""Operator semantics checked against torch where pyneuro used to differ: % records the gradient
(it silently dropped it), div(rounding_mode=) as a method, clamp with tensor bounds, bool square."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def both(fn):
    return fn(pn), fn(torch)


def test_remainder_operator_is_differentiable():
    def run(L):
        x = L.tensor([3.0, -1.5, 4.0], requires_grad=True)
        z = x % 2 + x.remainder(L.tensor(2.5))
        z.sum().backward()
        return z.tolist(), x.grad.tolist(), (L.tensor([5, -5]) % 3).tolist(), (7 % L.tensor([2, -3])).tolist()

    p, t = both(run)
    assert p == t
    for L in (pn, torch):
        with pytest.raises(RuntimeError):
            L.tensor([1]) % 0


def test_div_rounding_mode_method_and_bool_square():
    def run(L):
        return (
            L.tensor([7.0, -7.0]).div(2, rounding_mode="floor").tolist(),
            L.tensor([7, -7]).div(2, rounding_mode="trunc").tolist(),
            L.tensor([True, False]).square().tolist(),
            str(L.tensor([True]).square().dtype).split(".")[1],
        )

    p, t = both(run)
    assert p == t


def test_clamp_with_tensor_bounds_and_their_gradients():
    def run(L):
        x = L.tensor([0.5, 2.0, -3.0], requires_grad=True)
        lo = L.tensor([1.0, 0.0, 0.0], requires_grad=True)
        y = x.clamp(min=lo, max=L.tensor(1.5))
        y.sum().backward()
        return (
            y.tolist(),
            x.grad.tolist(),
            lo.grad.tolist(),
            L.clamp(L.tensor([1.0, 5.0]), max=L.tensor([2.0, 2.0])).tolist(),
            L.tensor([1.0, 5.0]).clamp_min(L.tensor(2.0)).tolist(),
        )

    p, t = both(run)
    np.testing.assert_equal(p, t)


def test_pow_gradients_at_zero_bases_and_exponents_like_torch():
    def run(L):
        a = L.tensor([0.0, 0.0, 0.0, 2.0, 3.0, -1.0], requires_grad=True)
        b = L.tensor([0.0, 2.0, 0.5, 0.0, -1.0, 2.0], requires_grad=True)
        (a**b).sum().backward()
        z = L.tensor([0.0, 1.0], requires_grad=True)
        (0.0**z).sum().backward()
        x = L.tensor([0.0, 1.0], requires_grad=True)
        (x ** L.tensor(0.0)).sum().backward()
        return str((a.grad.tolist(), b.grad.tolist(), z.grad.tolist(), x.grad.tolist()))  # str: nan == nan

    p, t = both(run)
    assert p == t


def test_multi_output_ops_return_torchs_named_tuples_and_print_like_them():
    def run(L):
        x = L.tensor([[1.0, 3.0, 2.0], [4.0, 0.0, 4.0]])
        results = [L.max(x, 1), x.min(0), L.sort(x), x.topk(2), x.kthvalue(2, 1), x.median(1), x.nanmedian(0),
                   x.mode(1), x.cummax(1), x.cummin(0), x.aminmax(), L.histogram(x, 2),
                   L.linalg.slogdet(L.eye(2)), L.linalg.qr(L.eye(2)), L.linalg.eigh(L.eye(2))]  # fmt: skip
        return [(type(r).__name__, repr(r).replace(L.__name__ + ".", "")) for r in results]

    p, t = both(run)
    assert p == t
    values, indices = pn.max(pn.tensor([[1.0, 3.0]]), 1)
    assert (
        values.tolist() == [3.0]
        and indices.tolist() == [1]
        and pn.return_types.max is type(pn.max(values, 0))
    )


def test_shift_operators_like_torch():
    def run(L):
        x = L.tensor([1, 2, -8])
        y = x.clone()
        y <<= 1
        shifted = y.tolist()
        y >>= 2
        return (x << 2).tolist(), (x >> 1).tolist(), (1 << L.tensor([0, 3])).tolist(), shifted, y.tolist()

    p, t = both(run)
    assert p == t
    for L in (pn, torch):
        with pytest.raises(NotImplementedError):
            L.tensor([1.0]) << 1


def test_non_persistent_buffers_nn_buffer_and_the_parameter_module_path():
    def run(L):
        from importlib import import_module

        nn = L.nn
        Parameter = import_module(L.__name__ + ".nn.parameter").Parameter

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.w = Parameter(L.ones(2))
                self.register_buffer("mask", L.tril(L.ones(2, 2)), persistent=False)
                self.register_buffer("count", L.zeros(1))
                self.extra = nn.Buffer(L.full((2,), 3.0))
                self.tmp = nn.Buffer(L.ones(1), persistent=False)

        m = M()
        seen = [sorted(m.state_dict()), [n for n, _ in m.named_buffers()], type(m.extra).__name__]
        m.load_state_dict({"w": L.zeros(2), "count": L.ones(1), "extra": L.zeros(2)})
        seen += [m.w.tolist(), m.count.tolist(), m.extra.tolist(), m.mask.tolist()]
        m.register_buffer("mask", L.ones(1))  # registered again, persistent by default
        return seen + [sorted(m.state_dict())]

    p, t = both(run)
    assert p == t


def test_set_default_dtype_governs_floats_factories_promotions_and_layers():
    def run(L):
        L.set_default_dtype(L.float64)
        try:
            made = [L.tensor([1.5]), L.tensor(2.0), L.zeros(2), L.ones(1), L.full((1,), 2.5), L.rand(1), L.randn(1),
                    L.arange(0.0, 1.0, 0.5), L.linspace(0, 1, 3), L.eye(2), L.tensor([1, 2]) / 2,
                    L.tensor([1, 2]) * 1.5, L.tensor([3]).sqrt(), L.nn.Linear(2, 2).weight, L.tensor([1, 2]).float(),
                    L.tensor([1, 2], dtype=L.float32) * 2.5, L.logspace(0, 1, 2), L.tensor([True]).sum()]  # fmt: skip
            seen = [str(L.get_default_dtype()).split(".")[1]] + [str(x.dtype).split(".")[1] for x in made]
            m = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.ReLU(), L.nn.Linear(4, 2), L.nn.LayerNorm(2))
            loss = L.nn.functional.cross_entropy(m(L.randn(5, 3)), L.tensor([0, 1, 0, 1, 1]))
            loss.backward()
            seen.append(str(m[0].weight.grad.dtype).split(".")[1])
            with pytest.raises(TypeError):
                L.set_default_dtype(L.int64)
        finally:
            L.set_default_dtype(L.float32)
        return seen + [str(L.tensor([1.5]).dtype).split(".")[1]]

    p, t = both(run)
    assert p == t and p[0] == "float64" and p[-1] == "float32"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_linear_then_relu_with_a_node_hook_in_any_dtype(dtype):
    """nn.Sequential's Linear then ReLU runs as one fused call; with a node hook registered the
    Linear does not mask the ReLU's gradient, so the ReLU runs its own backward, on the kernel
    table of its dtype (a float64 model raised the float32 kernels' TypeError)."""

    def run(L):
        L.manual_seed(0)
        m = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.ReLU(), L.nn.Linear(4, 2)).to(getattr(L, dtype))
        out = m(L.randn(5, 3, dtype=getattr(L, dtype)))
        handle = out.grad_fn.register_hook(lambda grad_inputs, grad_outputs: None)
        out.sum().backward()
        handle.remove()
        return str(m[0].weight.grad.dtype).split(".")[1], tuple(m[0].weight.grad.shape)

    p, t = both(run)
    assert p == t == (dtype, (4, 3))


def test_optimizers_print_like_torch():
    def run(L):
        m = L.nn.Linear(2, 1)
        opts = [L.optim.SGD(m.parameters(), lr=0.1, momentum=0.9), L.optim.Adam(m.parameters()),
                L.optim.AdamW(m.parameters(), lr=1e-3), L.optim.RMSprop(m.parameters()), L.optim.Adagrad(m.parameters()),
                L.optim.Adadelta(m.parameters())]  # fmt: skip
        return [repr(o) for o in opts]

    p, t = both(run)
    assert p == t


def test_where_with_two_numbers_and_memory_format_keywords():
    def run(L):
        c = L.tensor([True, False])
        x = L.ones(1, 2, 3, 3, requires_grad=True)
        return (
            [
                L.where(c, 1.0, 0.0).tolist(),
                L.where(c, 1, 0).tolist(),
                L.where(c, 2.5, L.tensor([5.0, 6.0])).tolist(),
            ],
            str(L.where(c, 1, 0).dtype).split(".")[1],
            tuple(x.clone(memory_format=L.contiguous_format).shape),
            tuple(x.detach().contiguous(memory_format=L.channels_last).shape),
            tuple(x.to(memory_format=L.channels_last).shape),
            type(L.nn.Conv2d(2, 2, 1).to(memory_format=L.channels_last)).__name__,
            tuple(L.zeros_like(x, memory_format=L.preserve_format).shape),
            x.numpy(force=True).shape,
            repr(L.channels_last),
        )

    p, t = both(run)
    assert p == t


def test_general_checkpoint_round_trip_and_load_state_dict_result(tmp_path):
    def run(L):
        nn = L.nn
        model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
        optimizer = L.optim.Adam(model.parameters(), lr=0.01)
        model(L.ones(5, 3)).pow(2).mean().backward()
        optimizer.step()
        path = tmp_path / f"{L.__name__}.pt"
        L.save({"epoch": 5, "model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict(),
                "name": "run1", "hist": [0.5, 0.4]}, path)  # fmt: skip
        ck = L.load(path, weights_only=True)
        model2 = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
        opt2 = L.optim.Adam(model2.parameters(), lr=0.5)
        matched = repr(model2.load_state_dict(ck["model_state_dict"]))
        opt2.load_state_dict(ck["optimizer_state_dict"])
        model.eval(), model2.eval()
        partial = repr(nn.Linear(1, 1).load_state_dict({"weight": L.ones(1, 1)}, strict=False))
        same = bool((model2(L.ones(2, 3)) == model(L.ones(2, 3))).all())
        return (
            sorted(ck),
            ck["epoch"],
            ck["name"],
            ck["hist"],
            matched,
            opt2.param_groups[0]["lr"],
            same,
            partial,
        )

    p, t = both(run)
    assert p == t and p[4] == "<All keys matched successfully>"


def test_softmax_without_dim_takes_torchs_legacy_dim_and_warns():
    def run(L):
        x3 = L.from_numpy(np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 10)
        out = []
        for f in (
            L.nn.functional.softmax,
            L.nn.functional.log_softmax,
            L.nn.Softmax(),
            L.nn.LogSoftmax(),
            L.nn.functional.softmin,
        ):
            with pytest.warns(UserWarning, match="Implicit dimension choice"):
                out.append(np.round(f(x3).numpy(), 5).tolist())
        with pytest.warns(UserWarning, match="Implicit dimension choice"):
            out.append(np.round(L.nn.functional.softmax(x3[0]).numpy(), 5).tolist())  # 2-D: dim 1
        return out

    p, t = both(run)
    np.testing.assert_allclose(np.array(p[0]), np.array(t[0]), atol=1e-5)
    for mine, theirs in zip(p, t):
        np.testing.assert_allclose(np.array(mine), np.array(theirs), atol=2e-5)


def test_embedding_max_norm_scale_grad_by_freq_and_torchs_argument_order():
    def run(L):
        e = L.nn.Embedding(4, 3, max_norm=1.0, scale_grad_by_freq=True)
        with L.no_grad():
            e.weight.copy_(L.arange(12.0).reshape(4, 3))
        out = e(L.tensor([1, 1, 3]))
        (out * L.arange(9.0).reshape(3, 3)).sum().backward()
        f = L.nn.Embedding.from_pretrained(L.ones(3, 2), freeze=False, max_norm=0.5)
        g = L.nn.Embedding(5, 2, 0, None, 2.0, False, False, None, True)  # positional, _freeze=True
        return (np.round(out.detach().numpy(), 4).tolist(), np.round(e.weight.detach().numpy(), 4).tolist(),
                e.weight.grad.numpy().tolist(), repr(e), f.weight.requires_grad, repr(f),
                np.round(f(L.tensor([0])).detach().numpy(), 4).tolist(), g.weight.requires_grad, g.padding_idx)  # fmt: skip

    p, t = both(run)
    assert p == t


@pytest.mark.parametrize(
    "make",
    [lambda L, x: x.std(), lambda L, x: x.var(0), lambda L, x: L.nn.functional.gelu(x), lambda L, x: L.nn.functional.silu(x),
     lambda L, x: L.nn.functional.leaky_relu(x), lambda L, x: L.nn.functional.softplus(x),
     lambda L, x: L.nn.functional.nll_loss(x.log_softmax(1), L.tensor([0, 1])),
     lambda L, x: L.nn.functional.binary_cross_entropy(x.sigmoid(), L.ones(2, 3) * 0.5),
     lambda L, x: L.nn.functional.gelu(x, approximate="tanh")],
)  # fmt: skip
def test_composed_ops_show_torchs_node_name_and_keep_the_in_place_check(make):
    def run(L):
        x = L.tensor([[1.0, -2.0, 4.0], [0.5, 0.0, -1.0]], requires_grad=True)
        y = make(L, x)
        name = type(y.grad_fn).__name__ if L is torch else y.grad_fn.name()
        y.sum().backward()
        return name, x.grad.numpy()

    p, t = both(run)
    assert p[0] == t[0]
    np.testing.assert_allclose(p[1], t[1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "data",
    [
        [np.float64(1.5)],
        [1.5, np.float64(2)],
        (np.float64(1), 2),
        [[np.float64(1)], [2.0]],
        [np.float32(1.5), 2.5],
        [np.int32(3)],
        [np.int32(1), 2.5],
        [np.int8(1), np.uint8(2)],
        [np.array([1.0, 2.0]), np.array([3.0, 4.0])],
        [np.float16(1), 2.5],
        [1.5, 2.5],
        [True, 2],
        [[1, 2], [3, 4.5]],
    ],
    ids=repr,
)
def test_tensor_of_a_list_keeps_numpy_dtypes_like_torch(data):
    """NumPy scalars/arrays inside a list keep their dtype and promote with Python numbers."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: "a list of numpy.ndarrays is extremely slow"
        want = str(torch.tensor(data).dtype).split(".")[1]
    assert str(pn.tensor(data).dtype).split(".")[1] == want


_DTYPE_CASES = {
    "int += float": lambda fw: fw.tensor([1, 2, 3]).add_(0.5),
    "int *= float tensor": lambda fw: fw.tensor([1, 2]).mul_(fw.tensor([1.5])),
    "int /= int": lambda fw: fw.tensor([1, 2]).div_(2),
    "bool += int": lambda fw: fw.tensor([True]).add_(2),
    "int.clamp_(float)": lambda fw: fw.tensor([1, 2, 3]).clamp_(0.5, 2.5),
    "int.clamp(float)": lambda fw: fw.tensor([1, 2, 3]).clamp(max=2.5),
    "int.clamp(int)": lambda fw: fw.tensor([1, 2, 3]).clamp(1, 2),
    "float32 += float64": lambda fw: fw.tensor([1.0, 2.0]).add_(fw.tensor([1.0], dtype=fw.float64)),
    "bce_with_logits(int target)": lambda fw: fw.nn.functional.binary_cross_entropy_with_logits(
        fw.zeros(3), fw.tensor([0, 1, 1])
    ),
    "BCEWithLogitsLoss(int target)": lambda fw: fw.nn.BCEWithLogitsLoss()(fw.zeros(3), fw.tensor([0, 1, 1])),
    "bce(int target)": lambda fw: fw.nn.functional.binary_cross_entropy(
        fw.full((3,), 0.5), fw.tensor([0, 1, 1])
    ),
}


@pytest.mark.parametrize("name", sorted(_DTYPE_CASES))
def test_result_types_and_cast_errors_like_torch(name):
    """An in-place result that does not fit self's dtype, and integer labels for BCE, raise
    torch's RuntimeError (with torch's words); a float bound makes clamp's result float."""
    outcomes = []
    for fw in (pn, torch):
        try:
            r = _DTYPE_CASES[name](fw)
            outcomes.append((str(r.dtype).split(".")[1], r.tolist()))
        except RuntimeError as e:
            outcomes.append(("error", str(e).replace("long int", "Long")))
    assert outcomes[0] == outcomes[1]

"""The two fusions of a Linear with a ReLU next to it, and what must not change because of them.

Kernels: matmul_bias_relu is matmul_bias (or matmul) then relu_forward, and matmul_relu_mask is
matmul then relu_backward, bit for bit (-0.0, NaN, denormals included) on every table that has
them, every step of the C++ ladder, every path of the packed variant and any thread count.
Autograd: nn.Sequential's Linear -> ReLU runs as one matmul_bias_relu call, and a Linear whose
input is a ReLU's output returns its dx already masked; the graph (node names and edges), the
values and every gradient stay those of the unfused calls and of torch -- also where the tensor
between the two layers is seen by a hook, kept by retain_grad, asked for by autograd.grad, used
twice (a second gradient summed in, even in place), changed in place, or differentiated twice.
"""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn
import pyneuro.functional as F
from pyneuro import backends, nn

SHAPES = [(1, 1, 1), (3, 5, 7), (128, 256, 784), (128, 10, 256), (37, 45, 300), (9, 16, 0), (200, 33, 129)]
TRANS = [(False, False), (True, False), (False, True), (True, True)]
SPECIAL = np.array([-0.0, 0.0, np.nan, -np.nan, 1e-45, -1e-45, np.inf, -np.inf, 2.0, -3.0], np.float32)


def _operands(seed, m, n, k, ta, tb):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
    bias = rng.standard_normal(n).astype(np.float32)
    bias[: min(n, 3)] = [-1e30, 1e30, np.nan][: min(n, 3)]  # rows of C all <= 0, all > 0, NaN
    mask = np.maximum(rng.standard_normal((m, n)), 0).astype(np.float32)
    mask.flat[: min(mask.size, SPECIAL.size)] = SPECIAL[: min(mask.size, SPECIAL.size)]
    return a, b, bias, mask


def _same_bits(got, want):
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got.view(np.int32), want.view(np.int32))


def _fused_table(bk):
    if not hasattr(bk, "matmul_bias_relu"):
        pytest.skip(f"{bk.NAME} has no ReLU fusions (the autograd layer runs the passes itself)")
    return bk


@pytest.mark.parametrize("ta, tb", TRANS)
@pytest.mark.parametrize("m, n, k", SHAPES)
def test_fused_kernels_are_the_passes_they_replace(cpu_device_backend, m, n, k, ta, tb):
    bk = _fused_table(cpu_device_backend)
    a, b, bias, mask = _operands(m * 7 + n, m, n, k, ta, tb)
    product = bk.matmul(a, b, ta, tb)
    _same_bits(bk.matmul_bias_relu(a, b, bias, ta, tb), bk.relu_forward(bk.bias_add(product, bias)))
    _same_bits(bk.matmul_bias_relu(a, b, None, ta, tb), bk.relu_forward(product))
    _same_bits(bk.matmul_relu_mask(a, b, mask, ta, tb), bk.relu_backward(product, mask))


def test_fused_kernels_check_their_arguments(cpu_device_backend):
    bk = _fused_table(cpu_device_backend)
    a, b, bias, mask = _operands(0, 4, 6, 5, False, False)
    with pytest.raises(ValueError):
        bk.matmul_relu_mask(a, b, mask[:, :5])
    with pytest.raises(ValueError):
        bk.matmul_bias_relu(a, b, bias[:5])
    with pytest.raises(ValueError):
        bk.matmul_relu_mask(a, b[:4], mask)  # inner dimensions differ
    if bk.NAME != "numpy":  # the reference computes in any float dtype
        with pytest.raises(TypeError, match="float32"):
            bk.matmul_relu_mask(a, b, mask.astype(np.float64))


@pytest.mark.skipif(not backends.status("cpu").available, reason="the C++ backend is not built")
@pytest.mark.parametrize("variant", ["naive", "blocked", "packed"])
@pytest.mark.parametrize("ta, tb", TRANS)
def test_every_ladder_step_block_size_and_thread_count(matmul_tuning, variant, ta, tb):
    from pyneuro import _cpu

    cpu = backends.get("cpu")
    for m, n, k in [(70, 90, 200), (3, 50, 40), (64, 12, 33), (128, 256, 784), (128, 256, 10)]:
        a, b, bias, mask = _operands(k, m, n, k, ta, tb)
        for knobs in (
            dict(kc=0, mc=0, nc=0, row_threads=0, pieces=-1),
            dict(kc=16, mc=16, nc=64, row_threads=0, pieces=1),  # many depth blocks, edge tiles
            dict(kc=0, mc=0, nc=0, row_threads=1, pieces=0),
        ):
            matmul_tuning(**knobs)  # kc cuts the k sum: compare under the same knobs
            product = _cpu.matmul(a, b, ta, tb, variant)
            forward = cpu.relu_forward(cpu.bias_add(product, bias))
            backward = cpu.relu_backward(product, mask)
            for t in (1, 2, 3):
                cpu.set_num_threads(t)
                _same_bits(_cpu.matmul(a, b, ta, tb, variant, bias, True), forward)
                _same_bits(_cpu.matmul(a, b, ta, tb, variant, None, False, mask), backward)


# ----------------------------------------------------------------------------- autograd


def _mlp(sizes=(20, 30, 7, 3), seed=0):
    pn.manual_seed(seed)
    layers = []
    for i in range(len(sizes) - 1):
        layers += [nn.Linear(sizes[i], sizes[i + 1]), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def _one_by_one(model, x):
    for m in model:
        x = m(x)
    return x


def _grads(model):
    return [p.grad.numpy().copy() for p in model.parameters()]


def test_sequential_fuses_with_the_same_graph_values_and_gradients(backend_name):
    model = _mlp()
    x = pn.randn(17, 20, requires_grad=True)
    y = pn.randint(0, 3, (17,))
    out = model(x)
    F.cross_entropy(out, y).backward()
    fused = _grads(model) + [x.grad.numpy().copy()]
    model.zero_grad()
    x.grad = None
    plain = _one_by_one(model, x)
    F.cross_entropy(plain, y).backward()
    _same_bits(out.detach().numpy(), plain.detach().numpy())
    for got, want in zip(fused, _grads(model) + [x.grad.numpy()]):
        _same_bits(got, want)
    chain = []
    node = out.grad_fn
    while node is not None:
        chain.append(node.name())
        edges = [f for f, _ in node.next_functions if f is not None and f.name() != "AccumulateGrad"]
        node = edges[0] if edges else None
    assert chain == [  # (the first layer's weight.t(): torch's TBackward0, over its AccumulateGrad)
        "AddmmBackward0",
        "ReluBackward0",
        "AddmmBackward0",
        "ReluBackward0",
        "AddmmBackward0",
        "TBackward0",
    ]
    h = model[1](model[0](x))  # what the fused pair gives, as the two modules' calls
    assert h.grad_fn.name() == "ReluBackward0" and h.grad_fn.next_functions[0][0].name() == "AddmmBackward0"
    with pn.no_grad():
        _same_bits(model(x).numpy(), plain.detach().numpy())


def test_hidden_layers_match_torch(backend_name):
    torch = pytest.importorskip("torch")
    model = _mlp((30, 40, 25, 6), seed=3)
    tmodel = torch.nn.Sequential(
        torch.nn.Linear(30, 40), torch.nn.ReLU(), torch.nn.Linear(40, 25), torch.nn.ReLU(inplace=True),
        torch.nn.Linear(25, 6),
    )  # fmt: skip
    with torch.no_grad():
        for p, tp in zip(model.parameters(), tmodel.parameters()):
            tp.copy_(torch.from_numpy(p.detach().numpy()))
    xs = np.random.default_rng(1).standard_normal((64, 30)).astype(np.float32)
    ys = np.random.default_rng(2).integers(0, 6, 64)
    x, tx = pn.tensor(xs, requires_grad=True), torch.tensor(xs, requires_grad=True)
    F.cross_entropy(model(x), pn.from_numpy(ys)).backward()
    torch.nn.functional.cross_entropy(tmodel(tx), torch.from_numpy(ys)).backward()
    for p, tp in zip(model.parameters(), tmodel.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-6)


def _torch_pair(lin1, lin2):
    torch = pytest.importorskip("torch")
    t1, t2 = torch.nn.Linear(1, 1), torch.nn.Linear(1, 1)
    for mine, theirs in ((lin1, t1), (lin2, t2)):
        theirs.weight = torch.nn.Parameter(torch.from_numpy(mine.weight.detach().numpy().copy()))
        theirs.bias = torch.nn.Parameter(torch.from_numpy(mine.bias.detach().numpy().copy()))
    return torch, t1, t2


def _layers():
    pn.manual_seed(5)
    x = np.random.default_rng(5).standard_normal((9, 8)).astype(np.float32)
    return nn.Linear(8, 12), nn.Linear(12, 4), x


def test_a_hook_on_the_relu_output_sees_the_unmasked_gradient(backend_name):
    lin1, lin2, xs = _layers()
    torch, t1, t2 = _torch_pair(lin1, lin2)
    seen, tseen = [], []
    h = F.relu(lin1(pn.from_numpy(xs)))
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    lin2(h).square().sum().backward()
    th = torch.relu(t1(torch.from_numpy(xs)))
    th.register_hook(lambda g: tseen.append(g.numpy().copy()))
    t2(th).square().sum().backward()
    assert (seen[0][h.detach().numpy() <= 0] != 0).any()  # the gradient of h, not of lin1's output
    np.testing.assert_allclose(seen[0], tseen[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(lin1.weight.grad.numpy(), t1.weight.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_retain_grad_and_autograd_grad_of_the_relu_output_are_unmasked(backend_name):
    lin1, lin2, xs = _layers()
    torch, t1, t2 = _torch_pair(lin1, lin2)
    h = F.relu(lin1(pn.from_numpy(xs)))
    h.retain_grad()
    lin2(h).sum().backward()
    th = torch.relu(t1(torch.from_numpy(xs)))
    th.retain_grad()
    t2(th).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), th.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(lin1.bias.grad.numpy(), t1.bias.grad.numpy(), rtol=1e-5, atol=1e-6)
    h2 = F.relu(lin1(pn.from_numpy(xs)))
    (gh,) = pn.autograd.grad(lin2(h2).sum(), [h2])
    np.testing.assert_allclose(gh.numpy(), th.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("other", ["slice", "linear", "sum"])
def test_a_relu_output_used_twice_gets_both_gradients(backend_name, other):
    lin1, lin2, xs = _layers()
    torch, t1, t2 = _torch_pair(lin1, lin2)

    def loss(lib, first, second, x):
        h = lib.relu(first(x))
        out = second(h).square().sum()
        if other == "slice":  # a SliceGrad, which the engine adds into the other gradient in place
            return out + (h[:, 2] * 3).sum()
        if other == "linear":  # a second Linear reading h: two masked gradients, summed
            return out + second(h).sum()
        return out + h.sum()  # (added after this Linear's dx in the walk's order)

    loss(pn, lin1, lin2, pn.from_numpy(xs)).backward()
    loss(torch, t1, t2, torch.from_numpy(xs)).backward()
    for mine, theirs in ((lin1, t1), (lin2, t2)):
        np.testing.assert_allclose(mine.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(mine.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_module_hooks_see_what_they_would_see_unfused(backend_name):
    model = _mlp((20, 30, 7))
    x = pn.randn(6, 20)
    seen = {}

    def keep(key, t):  # (a hook that returns None leaves the output as it is)
        seen[key] = t.detach().numpy().copy()

    model[0].register_forward_hook(lambda m, i, o: keep("linear", o))
    model[1].register_forward_hook(lambda m, i, o: keep("relu_in", i[0]))
    model[2].register_full_backward_hook(lambda m, gi, go: keep("dx", gi[0]))
    model(x).sum().backward()
    assert (seen["linear"] < 0).any()  # Linear's own output, before the ReLU
    _same_bits(seen["relu_in"], seen["linear"])
    # the gradient of the second Linear's input: ones @ W2, not yet masked by the ReLU before it
    dx = np.ones((6, 7), np.float32) @ model[2].weight.detach().numpy()
    np.testing.assert_allclose(seen["dx"], dx, rtol=1e-6, atol=1e-6)
    assert (seen["dx"][seen["linear"] <= 0] != 0).any()


def test_changing_the_relu_output_in_place_is_caught(backend_name):
    lin1, lin2, xs = _layers()
    h = F.relu(lin1(pn.from_numpy(xs)))
    out = lin2(h).sum()
    h.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


def test_double_backward_through_the_fused_pair(backend_name):
    model = _mlp((5, 6, 3))
    x = pn.randn(4, 5, requires_grad=True)
    (gx,) = pn.autograd.grad(model(x).square().sum(), [x], create_graph=True)
    gx.sum().backward()
    fused = _grads(model)
    model.zero_grad()
    (gx2,) = pn.autograd.grad(_one_by_one(model, x).square().sum(), [x], create_graph=True)
    gx2.sum().backward()
    _same_bits(gx.detach().numpy(), gx2.detach().numpy())
    for got, want in zip(fused, _grads(model)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_a_replaced_forward_still_runs(backend_name):
    model = _mlp((6, 5, 3))
    x = pn.randn(4, 6)
    plain = _one_by_one(model, x).detach().numpy()
    model[0].forward = lambda t: F.linear(t, model[0].weight, model[0].bias) * 0 - 1  # on the instance
    assert (model(x).detach().numpy() == model[2].bias.detach().numpy()).all()  # relu(-1) = 0
    del model[0].forward
    _same_bits(model(x).detach().numpy(), plain)
    saved = nn.ReLU.forward
    nn.ReLU.forward = lambda self, t: t  # on the class: no ReLU at all
    try:
        unfused = F.linear(F.linear(x, model[0].weight, model[0].bias), model[2].weight, model[2].bias)
        _same_bits(model(x).detach().numpy(), unfused.detach().numpy())
    finally:
        nn.ReLU.forward = saved
    _same_bits(model(x).detach().numpy(), plain)

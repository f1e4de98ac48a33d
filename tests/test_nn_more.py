"""SmoothL1Loss/HuberLoss, Unflatten, ParameterList/ParameterDict against torch."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

A = np.array([[0.1, -2.0, 0.7], [3.0, -0.4, 1.0]], dtype=np.float32)
B = np.array([[0.0, 0.5, 0.2], [-1.0, -0.5, 2.5]], dtype=np.float32)


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("smooth_l1_loss", {}),
        ("smooth_l1_loss", {"beta": 0.5, "reduction": "sum"}),
        ("smooth_l1_loss", {"beta": 0.0}),
        ("smooth_l1_loss", {"beta": 2.0, "reduction": "none"}),
        ("huber_loss", {}),
        ("huber_loss", {"delta": 0.3, "reduction": "sum"}),
        ("huber_loss", {"delta": 2.5, "reduction": "none"}),
    ],
)
def test_robust_losses_match_torch(name, kw):
    out = []
    for fw in (pn, torch):
        x = fw.tensor(A, requires_grad=True)
        loss = getattr(fw.nn.functional, name)(x, fw.tensor(B), **kw)
        loss.sum().backward()
        out.append((loss.detach().numpy(), x.grad.numpy()))
    for p, t in zip(*out):
        np.testing.assert_allclose(p, t, rtol=1e-6, atol=1e-7)


def test_loss_modules_and_errors():
    for fw in (pn, torch):
        x, y = fw.tensor(A), fw.tensor(B)
        np.testing.assert_allclose(
            fw.nn.SmoothL1Loss(beta=0.5)(x, y).numpy(),
            torch.nn.SmoothL1Loss(beta=0.5)(torch.tensor(A), torch.tensor(B)).numpy(),
            rtol=1e-6,
        )
        np.testing.assert_allclose(
            fw.nn.HuberLoss(delta=0.7)(x, y).numpy(),
            torch.nn.HuberLoss(delta=0.7)(torch.tensor(A), torch.tensor(B)).numpy(),
            rtol=1e-6,
        )
        with pytest.raises(RuntimeError, match="negative values for beta"):
            fw.nn.functional.smooth_l1_loss(x, y, beta=-1.0)
        with pytest.raises(RuntimeError, match="non-positive values for delta"):
            fw.nn.functional.huber_loss(x, y, delta=0.0)


def test_unflatten_matches_torch_and_inverts_flatten():
    a = np.arange(48, dtype=np.float32).reshape(4, 12)
    for dim, size in ((1, (3, 4)), (1, (2, -1)), (-1, (2, 2, 3)), (0, (2, 2))):
        p = pn.nn.Unflatten(dim, size)(pn.tensor(a))
        t = torch.nn.Unflatten(dim, size)(torch.tensor(a))
        np.testing.assert_array_equal(p.numpy(), t.numpy())
    m = pn.nn.Sequential(pn.nn.Flatten(), pn.nn.Unflatten(1, (3, 4)))
    np.testing.assert_array_equal(m(pn.tensor(a.reshape(4, 3, 4))).numpy(), a.reshape(4, 3, 4))
    assert repr(pn.nn.Unflatten(1, (3, 4))) == repr(torch.nn.Unflatten(1, (3, 4)))


@pytest.mark.parametrize(
    "size", ["(3, 4)", "[3, 4]", "m.Size([3, 4])", "5", "(3, 4.0)", '(("a", 3), ("b", 4))']
)
def test_unflatten_keeps_its_size_as_given_and_refuses_as_torch(size):
    """torch keeps unflattened_size as given (the docs' nn.Unflatten(1, torch.Size([2, 5, 5]))
    prints its Size, a list prints as a list) and refuses non-ints with its TypeError."""
    outcomes = []
    for m in (torch, pn):
        try:
            u = m.nn.Unflatten(1, eval(size, {"m": m}))
            x = m.ones(2, 12)
            outcomes.append((repr(u).replace("pyneuro", "torch"), tuple(u(x).shape)))
        except TypeError as e:
            outcomes.append(("TypeError", str(e)))
    assert outcomes[0] == outcomes[1]


def test_parameter_list_and_dict_register_their_parameters():
    class Net(pn.nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = pn.nn.ParameterList([pn.ones(2, 3), pn.nn.Parameter(pn.zeros(3))])
            self.ws.append(pn.ones(1))
            self.extra = pn.nn.ParameterDict({"scale": pn.ones(1)})
            self.extra["shift"] = pn.zeros(1)

        def forward(self, x):
            return (x @ self.ws[0] + self.ws[1]) * self.extra["scale"] + self.extra["shift"] + self.ws[-1]

    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["ws.0", "ws.1", "ws.2", "extra.scale", "extra.shift"]
    assert all(isinstance(p, pn.nn.Parameter) and p.requires_grad for p in net.parameters())
    net(pn.ones(4, 2)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    assert len(net.ws) == 3 and len(net.ws[1:]) == 2 and "scale" in net.extra and len(net.extra) == 2
    state = net.state_dict()
    assert list(state) == names
    net.ws[0] = pn.zeros(2, 3)
    assert float(net.ws[0].sum()) == 0.0 and isinstance(net.ws[0], pn.nn.Parameter)
    with pytest.raises(IndexError):
        net.ws[5]
    net.ws.append("not a tensor")  # as torch: any object may be an entry, a plain attribute (not a Parameter)
    assert net.ws[3] == "not a tensor" and len(list(net.parameters())) == len(names)
    sgd = pn.optim.SGD(net.parameters(), lr=0.1)
    sgd.step()


def test_parameter_list_repr_matches_torch_but_for_the_name():
    p = repr(pn.nn.ParameterList([pn.ones(2), pn.zeros(3, 4)]))
    t = repr(torch.nn.ParameterList([torch.ones(2), torch.zeros(3, 4)]))
    assert p == t.replace("torch.", "pyneuro.")


def test_module_list_editing_matches_torch():
    def run(fw):
        ml = fw.nn.ModuleList([fw.nn.Linear(1, 1), fw.nn.ReLU()])
        ml.extend([fw.nn.Tanh()])
        ml.insert(1, fw.nn.Sigmoid())
        ml[0] = fw.nn.Identity()
        del ml[2]
        ml += [fw.nn.GELU()]
        both = ml + fw.nn.ModuleList([fw.nn.ReLU()])
        sliced = ml[1:]
        md = fw.nn.ModuleDict({"a": fw.nn.ReLU(), "b": fw.nn.Tanh()})
        md.pop("a")
        names = [type(m).__name__ for m in ml]
        return names, [n for n, _ in ml.named_children()], type(sliced).__name__, len(both), list(md.keys())

    assert run(pn) == run(torch)
    for fw in (pn, torch):
        with pytest.raises(IndexError):
            fw.nn.ModuleList([fw.nn.ReLU()])[3]


def test_module_to_replaces_buffers_keeps_parameters_and_refuses_integer_dtypes():
    torch = pytest.importorskip("torch")
    for lib in (pn, torch):
        nn = lib.nn
        shared = lib.zeros(3)
        a, b = nn.Module(), nn.Module()
        a.register_buffer("pe", shared)
        b.register_buffer("pe", shared)
        a.double()
        assert b.pe.dtype == lib.float32 and a.pe.dtype == lib.float64  # a new buffer, as torch's
        bn = nn.BatchNorm1d(2)
        rm, w = bn.running_mean, bn.weight
        bn.double()
        assert bn.running_mean is not rm and rm.dtype == lib.float32
        assert bn.weight is w and w.dtype == lib.float64 and bn.num_batches_tracked.dtype == lib.int64
        for args in [(lib.int64,), ("cpu", lib.int32), (lib.zeros(1, dtype=lib.int64),)]:
            with pytest.raises(TypeError):
                nn.Linear(2, 2).to(*args)
        with pytest.raises(TypeError):
            nn.ReLU().to(lib.int64)
        seq = nn.Sequential(nn.ReLU(), nn.Tanh())
        assert [n for n, _ in seq.named_modules(memo={seq[0]})] == ["", "1"]

        class Blocks(nn.ModuleList):
            pass

        assert type(Blocks([nn.ReLU(), nn.ReLU()])[:1]).__name__ == "Blocks"

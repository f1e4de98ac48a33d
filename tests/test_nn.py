"""pyneuro.nn: Module registration and traversal, layers, init, state dicts, save/load."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

import pyneuro as pn
from pyneuro import nn


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
        self.head = nn.Linear(8, 3)
        self.scale = 2.0  # a plain attribute, not registered

    def forward(self, x):
        return self.head(self.body(x)) * self.scale


def test_registration_and_traversal():
    m = MLP()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["body.0.weight", "body.0.bias", "head.weight", "head.bias"]
    assert len(list(m.parameters())) == 4
    assert [n for n, _ in m.named_children()] == ["body", "head"]
    assert len(list(m.children())) == 2
    assert len(list(m.modules())) == 5  # m, body, Linear, ReLU, head
    assert m.scale == 2.0 and "scale" not in dict(m.named_parameters())
    assert all(p.requires_grad and isinstance(p, nn.Parameter) for p in m.parameters())
    with pytest.raises(AttributeError):
        _ = m.missing


def test_shared_parameters_counted_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2


def test_forward_and_call():
    m = MLP()
    y = m(pn.randn(5, 4))
    assert y.shape == (5, 3)
    with pytest.raises(NotImplementedError):
        nn.Module()(1)


def test_linear_init_matches_torch_distribution():
    pn.manual_seed(0)
    lin = nn.Linear(400, 300)
    assert lin.weight.shape == (300, 400) and lin.bias.shape == (300,)
    bound = 1 / math.sqrt(400)
    w = lin.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert np.abs(lin.bias.detach().numpy()).max() <= bound
    assert nn.Linear(3, 2, bias=False).bias is None
    assert len(list(nn.Linear(3, 2, bias=False).parameters())) == 1


def test_linear_input_size_error():
    lin = nn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"mat1 and mat2 shapes cannot be multiplied \(4x5 and 3x2\)"):
        lin(pn.randn(4, 5))
    with pytest.raises(TypeError):
        lin(np.zeros((4, 3)))


def test_init_functions():
    w = pn.empty(50, 40)
    nn.init.zeros_(w)
    assert w.abs().sum().item() == 0
    nn.init.ones_(w)
    assert w.sum().item() == 2000
    nn.init.constant_(w, 0.5)
    assert w.mean().item() == 0.5
    nn.init.uniform_(w, -0.1, 0.1)
    assert w.abs().max().item() <= 0.1
    nn.init.normal_(w, 0, 0.01)
    assert w.std().item() < 0.02
    nn.init.xavier_uniform_(w)
    assert w.abs().max().item() <= math.sqrt(6 / 90) + 1e-6
    nn.init.kaiming_uniform_(w, mode="fan_in", nonlinearity="relu")
    assert w.abs().max().item() <= math.sqrt(2) * math.sqrt(3 / 40) + 1e-6
    nn.init.kaiming_normal_(pn.empty(2000, 100), mode="fan_out")
    big = pn.empty(1000, 500)
    nn.init.xavier_normal_(big)
    assert abs(big.std().item() - math.sqrt(2 / 1500)) < 0.002
    assert nn.init.calculate_gain("relu") == math.sqrt(2)
    assert nn.init.calculate_gain("tanh") == 5 / 3
    assert nn.init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    with pytest.raises(ValueError):
        nn.init.calculate_gain("nope")
    with pytest.raises(ValueError):
        nn.init.kaiming_uniform_(pn.empty(3))
    with pytest.raises(ValueError):
        nn.init.kaiming_uniform_(w, mode="fan_up")


def test_init_reproducible_with_seed():
    pn.manual_seed(3)
    a = nn.Linear(5, 4).weight.detach().numpy().copy()
    pn.manual_seed(3)
    b = nn.Linear(5, 4).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)


def test_sequential_indexing_len_iteration():
    seq = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    assert len(seq) == 4
    assert isinstance(seq[1], nn.Linear) and isinstance(seq[-1], nn.Linear)
    assert isinstance(seq[1:3], nn.Sequential) and len(seq[1:3]) == 2
    assert [type(m).__name__ for m in seq] == ["Flatten", "Linear", "ReLU", "Linear"]
    assert seq(pn.randn(5, 2, 2)).shape == (5, 2)
    with pytest.raises(IndexError):
        seq[4]


def test_repr_tree_like_torch():
    seq = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    assert repr(seq) == (
        "Sequential(\n"
        "  (0): Linear(in_features=784, out_features=256, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Linear(in_features=256, out_features=10, bias=True)\n"
        ")"
    )
    assert "(body): Sequential(" in repr(MLP())
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


def test_layers_forward():
    x = pn.randn(3, 5)
    np.testing.assert_allclose(nn.ReLU()(x).numpy(), np.maximum(x.numpy(), 0))
    np.testing.assert_allclose(nn.Softmax(dim=1)(x).numpy().sum(1), np.ones(3), rtol=1e-6)
    assert nn.Identity()(x) is x
    assert nn.Flatten()(pn.zeros(2, 3, 4)).shape == (2, 12)
    assert nn.Flatten(0)(pn.zeros(2, 3)).shape == (6,)
    emb = nn.Embedding(10, 4)
    assert emb(pn.tensor([[1, 2], [3, 9]])).shape == (2, 2, 4)
    assert repr(emb) == "Embedding(10, 4)"
    assert nn.Embedding(5, 2, padding_idx=0).weight[0].abs().sum().item() == 0
    assert nn.MSELoss()(x, x).item() == 0
    assert nn.CrossEntropyLoss()(x, pn.tensor([0, 1, 4])).item() > 0
    loss = nn.MSELoss(reduction="avg")  # as torch: accepted here, refused at forward
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        loss(x, x)


def test_train_eval_and_zero_grad():
    m = MLP()
    assert m.training
    m.eval()
    assert not any(mod.training for mod in m.modules())
    m.train()
    assert all(mod.training for mod in m.modules())
    m(pn.randn(2, 4)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(p.grad.abs().sum().item() == 0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_state_dict_roundtrip_and_strict_checks():
    a, b = MLP(), MLP()
    sd = a.state_dict()
    assert list(sd) == ["body.0.weight", "body.0.bias", "head.weight", "head.bias"]
    assert not any(v.requires_grad for v in sd.values())
    b.load_state_dict(sd)
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
        assert not np.shares_memory(p.detach().numpy(), q.detach().numpy())
    bad = dict(sd)
    del bad["head.bias"]
    with pytest.raises(RuntimeError, match="Missing key"):
        b.load_state_dict(bad)
    result = b.load_state_dict(bad, strict=False)
    assert result.missing_keys == ["head.bias"]
    extra = dict(sd, extra=pn.zeros(1))
    with pytest.raises(RuntimeError, match="Unexpected key"):
        b.load_state_dict(extra)
    wrong = dict(sd, **{"head.weight": pn.zeros(2, 2)})
    with pytest.raises(
        RuntimeError, match=r"size mismatch for head.weight.*Size\(\[2, 2\]\).*Size\(\[3, 8\]\)"
    ):
        b.load_state_dict(wrong)


def test_save_load_state_dict_and_plain_objects(tmp_path):
    m = MLP()
    path = tmp_path / "model.pt"
    pn.save(m.state_dict(), path)
    assert path.exists()  # written exactly as named, no suffix added
    m2 = MLP()
    m2.load_state_dict(pn.load(path))
    x = pn.randn(2, 4)
    np.testing.assert_allclose(m(x).detach().numpy(), m2(x).detach().numpy())
    obj = {
        "epoch": 3,
        "lr": 0.1,
        "name": "mlp",
        "flags": [True, None],
        "t": (1, 2.5),
        "nested": {"a": pn.tensor([1, 2]), 7: pn.tensor(2.0)},
        "arr": np.arange(3),
        "nan": float("nan"),
    }
    buf = io.BytesIO()
    pn.save(obj, buf)
    buf.seek(0)
    back = pn.load(buf, weights_only=False)  # (a NumPy array: refused by default, as torch refuses it)
    assert (
        back["epoch"] == 3
        and back["name"] == "mlp"
        and back["flags"] == [True, None]
        and back["t"] == (1, 2.5)
    )
    assert back["nested"]["a"].tolist() == [1, 2] and back["nested"]["a"].dtype == pn.int64
    assert back["nested"][7].shape == () and back["nested"][7].item() == 2.0
    assert isinstance(back["arr"], np.ndarray) and math.isnan(back["nan"])
    with pytest.raises(AttributeError, match="Can't pickle local object"):  # torch.save's error too
        pn.save({"f": lambda: 0}, io.BytesIO())


def test_load_refuses_foreign_and_corrupt_files(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match="junk.pt"):
        pn.load(junk)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(2))
    with pytest.raises(ValueError, match="other.npz"):
        pn.load(other)
    pickled = tmp_path / "pickled.npz"
    np.savez(
        pickled,
        __pyneuro__=np.frombuffer(b'{"magic":"pyneuro","version":1,"tree":{"__ndarray__":"a0"}}', np.uint8),
        a0=np.array([{"x": 1}], dtype=object),
    )
    with pytest.raises(ValueError, match="pickled.npz"):
        pn.load(pickled)
    newer = tmp_path / "newer.npz"  # np.savez appends .npz to other names
    np.savez(newer, __pyneuro__=np.frombuffer(b'{"magic":"pyneuro","version":99,"tree":1}', np.uint8))
    with pytest.raises(ValueError, match="version"):
        pn.load(newer)
    truncated = tmp_path / "trunc.pt"
    pn.save({"w": pn.randn(100)}, truncated)
    data = truncated.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="trunc.pt"):
        pn.load(truncated)
    assert int.from_bytes(data[:8], "little") < len(data)  # a safetensors file: header length first


def test_module_to_and_parameter_repr():
    m = nn.Linear(2, 2)
    assert m.to("cpu") is m
    assert repr(m.weight).startswith("Parameter containing:\ntensor(")
    p = nn.Parameter(pn.zeros(3))
    assert p.requires_grad and p.is_leaf
    assert not nn.Parameter(pn.zeros(3), requires_grad=False).requires_grad


def test_deepcopy_and_pickle_of_modules():
    import copy
    import pickle

    m = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    c = copy.deepcopy(m)
    assert isinstance(c[0].weight, nn.Parameter) and c[0].weight is not m[0].weight
    np.testing.assert_array_equal(c[0].weight.detach().numpy(), m[0].weight.detach().numpy())
    p = pickle.loads(pickle.dumps(m))
    assert list(p.state_dict()) == ["0.weight", "0.bias"]


def test_assigning_a_plain_tensor_over_a_parameter_is_refused():
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="Parameter"):
        lin.weight = pn.zeros(2, 2)
    lin.weight = nn.Parameter(pn.zeros(2, 2))
    assert lin.weight.abs().sum().item() == 0


# ----------------------------------------------------------------------------- on device "cuda"
def test_modules_on_device_match_cpu(device):
    pn.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 4))
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    x = np.random.default_rng(0).standard_normal((5, 3, 4)).astype(np.float32)
    y = np.array([0, 3, 1, 1, 2])

    def run(dev):
        m = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 4))
        m.load_state_dict(state)
        m = m.to(dev)
        assert all(p.device == dev for p in m.parameters())
        loss = nn.CrossEntropyLoss()(m(pn.tensor(x, device=dev)), pn.tensor(y, device=dev))
        loss.backward()
        return loss.item(), [p.grad.cpu().numpy() for p in m.parameters()], m

    want, want_g, _ = run("cpu")
    got, got_g, m = run(device)
    assert got == pytest.approx(want, rel=1e-5)
    for g, w in zip(got_g, want_g):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-6)
    m.zero_grad(set_to_none=False)
    assert all(p.grad.abs().sum().item() == 0 for p in m.parameters())
    sd = m.state_dict()
    assert all(v.device == device for v in sd.values())
    back = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 4))
    back.load_state_dict(sd)  # device tensors load into cpu modules
    np.testing.assert_allclose(back[1].weight.detach().numpy(), state["1.weight"].numpy())


def test_layers_on_device(device):
    x = pn.randn(3, 5).to(device)
    np.testing.assert_allclose(nn.ReLU()(x).cpu().numpy(), np.maximum(x.cpu().numpy(), 0))
    np.testing.assert_allclose(nn.Softmax(dim=1)(x).cpu().numpy().sum(1), np.ones(3), rtol=1e-6)
    emb = nn.Embedding(10, 4).to(device)
    out = emb(pn.tensor([[1, 2], [3, 9]], device=device))
    assert out.shape == (2, 2, 4) and out.device == device
    out.sum().backward()
    assert emb.weight.grad.cpu().numpy()[[1, 2, 3, 9]].sum() == pytest.approx(16.0)
    assert nn.Embedding(5, 2, padding_idx=0).to(device).weight[0].abs().sum().item() == 0
    assert nn.MSELoss()(x, x).item() == 0
    assert nn.CrossEntropyLoss()(x, pn.tensor([0, 1, 4], device=device)).item() > 0

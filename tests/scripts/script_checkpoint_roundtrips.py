import io, os, pickle, shutil, tempfile, pathlib
import numpy as np
import torch
import torch.nn as nn

EXPECT = {
    "numpy_wo": pickle.UnpicklingError,
    "obj_wo": pickle.UnpicklingError,
    "trunc": RuntimeError,
    "empty": EOFError,
    "half": RuntimeError,
    "missing": FileNotFoundError,
    "dir": OSError,
    "load_into_shape": RuntimeError,
    "load_unexpected": RuntimeError,
    "prefix_module": RuntimeError,
}


def tryit(name, fn):
    try:
        r = fn()
        print(name, "OK", r)
    except Exception as e:
        expected = EXPECT.get(name)
        print(
            name,
            "raised",
            expected.__name__ if expected else repr(e),
            expected is not None and isinstance(e, expected),
        )


def rt(obj, **kw):
    b = io.BytesIO()
    torch.save(obj, b)
    b.seek(0)
    return torch.load(b, **kw)


x = torch.arange(6.0)
d = rt({"a": x, "b": x[2:], "c": x.view(2, 3)})
d["a"][3] = 100
print(d["b"], d["c"], d["b"].storage_offset())
p = rt(nn.Parameter(torch.ones(2)))
print(type(p).__name__, p.requires_grad, p)
g = rt(torch.ones(2, requires_grad=True))
print(g.requires_grad, g.is_leaf)
print(rt([torch.tensor([1, 2]), torch.Size([2, 3]), torch.float16, 3, "s", (1.5, None)]))
tryit("numpy_wo", lambda: rt({"n": np.ones(2)}))
tryit("numpy_full", lambda: rt({"n": np.ones(2)}, weights_only=False))


class Foo:
    pass


tryit("obj_wo", lambda: rt(Foo()))
tryit("obj_full", lambda: type(rt(Foo(), weights_only=False)).__name__)
opt = torch.optim.Adam(nn.Linear(2, 1).parameters())
nn.Linear(2, 1)
l = nn.Linear(2, 1)
opt = torch.optim.Adam(l.parameters())
l(torch.ones(1, 2)).sum().backward()
opt.step()
sd = rt(opt.state_dict())
print(sd["state"][0]["step"], sd["state"][0]["exp_avg"], sd["param_groups"][0]["betas"])
opt2 = torch.optim.Adam(l.parameters())
opt2.load_state_dict(sd)
print(opt2.state[l.weight]["step"])
tryit("trunc", lambda: torch.load(io.BytesIO(b"PK\x03\x04garbage")))
tryit("empty", lambda: torch.load(io.BytesIO(b"")))
b = io.BytesIO()
torch.save({"w": torch.randn(100)}, b)
raw = b.getvalue()
tryit("half", lambda: torch.load(io.BytesIO(raw[: len(raw) // 2])))
tryit("missing", lambda: torch.load("/nonexistent/file.pt"))
dd = tempfile.mkdtemp()
pp = pathlib.Path(dd) / "x.pth"
torch.save({"k": torch.ones(1)}, pp)
print(torch.load(pp))
torch.save(torch.ones(2), os.path.join(dd, "y.pt"))
with open(os.path.join(dd, "y.pt"), "rb") as f:
    print(torch.load(f))
torch.save(torch.ones(2), os.path.join(dd, "old.pt"), _use_new_zipfile_serialization=False)
print(torch.load(os.path.join(dd, "old.pt")))
tryit("dir", lambda: torch.load(dd))
big = torch.zeros(1000)
small = big[:3]
b1 = io.BytesIO()
torch.save(small, b1)
b2 = io.BytesIO()
torch.save(small.clone(), b2)
m = nn.Linear(2, 2)
sd = m.state_dict()
sd["weight"][0, 0] = 42.0
print(m.weight[0, 0].item(), sd["weight"].requires_grad)
sd2 = m.state_dict(keep_vars=True)
print(sd2["weight"].requires_grad)
cp = {k: v.clone() for k, v in m.state_dict().items()}
m.weight.data.zero_()
m.load_state_dict(cp)
print(m.weight[0, 0].item())
tryit("load_into_shape", lambda: m.load_state_dict({"weight": torch.ones(2), "bias": torch.ones(2)}))
tryit(
    "load_unexpected",
    lambda: m.load_state_dict({"weight": torch.ones(2, 2), "bias": torch.ones(2), "extra": torch.ones(1)}),
)
tryit(
    "load_dtype",
    lambda: (
        m.load_state_dict(
            {"weight": torch.ones(2, 2, dtype=torch.float64), "bias": torch.ones(2, dtype=torch.int64)}
        ),
        m.weight.dtype,
        m.bias,
    )[1:],
)
tryit(
    "load_assign",
    lambda: (
        m.load_state_dict(
            {"weight": torch.ones(2, 2, dtype=torch.float64), "bias": torch.ones(2)}, assign=True
        ),
        m.weight.dtype,
        type(m.weight).__name__,
    )[1:],
)
mm = nn.Sequential(nn.Linear(2, 2))
tryit(
    "prefix_module",
    lambda: mm.load_state_dict({"module.0.weight": torch.ones(2, 2), "module.0.bias": torch.ones(2)}),
)
cs = {
    k.replace("module.", ""): v
    for k, v in {"module.0.weight": torch.ones(2, 2), "module.0.bias": torch.ones(2)}.items()
}
print(mm.load_state_dict(cs))
tryit(
    "bn_nbt_missing",
    lambda: nn.BatchNorm1d(2).load_state_dict(
        {
            "weight": torch.ones(2),
            "bias": torch.ones(2),
            "running_mean": torch.ones(2),
            "running_var": torch.ones(2),
        }
    ),
)
shutil.rmtree(dd)

import copy, pickle, os, shutil, tempfile
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
d = tempfile.mkdtemp()
path = os.path.join(d, "m.pt")
torch.save(model, path)
try:
    m = torch.load(path)
    print("loaded", type(m).__name__)
except Exception as e:
    print("load fail", isinstance(e, pickle.UnpicklingError), isinstance(e, RuntimeError))
m = torch.load(path, weights_only=False)
print(m)
torch.save(model.state_dict(), path)
sd = torch.load(path, map_location="cpu", weights_only=True)
print(type(sd).__name__, list(sd))
sd2 = torch.load(path, map_location=torch.device("cpu"))
print(torch.equal(sd2["0.weight"], model[0].weight))
m2 = copy.deepcopy(model)
m2[0].weight.data.fill_(0)
print(model[0].weight.sum().item() != 0, m2[0].weight.sum().item())
pm = pickle.loads(pickle.dumps(model))
print(pm[2].bias)
a = np.arange(6, dtype=np.float32).reshape(2, 3)
t = torch.from_numpy(a)
a[0, 0] = 100
print(
    t[0, 0],
    t.dtype,
    torch.tensor(a).dtype,
    torch.as_tensor(np.arange(3)).dtype,
    torch.tensor(np.array([1.5])).dtype,
    torch.from_numpy(np.array([1.5])).dtype,
)
n = t.numpy()
n[1, 1] = -1
print(t)
print(
    (torch.ones(2) * np.float64(2.0)).dtype,
    (torch.ones(2) + np.float32(1)).dtype,
    type(torch.ones(2) * np.array([1.0, 2.0])),
    (torch.ones(2, dtype=torch.long) * np.int64(3)).dtype,
)
print(
    torch.tensor([np.float32(1.5), 2]).dtype,
    torch.tensor(np.float64(1.5)).dtype,
    torch.tensor([1, 2]).numpy().dtype,
    np.asarray(torch.ones(2)).dtype,
)
print(
    torch.tensor(np.array([1, 2], dtype=np.int32)).dtype,
    torch.tensor(np.array([True])).dtype,
    torch.tensor(np.uint8(3)).dtype,
)
x = torch.zeros(3, 4)
x[0] += 1
x[:, 1].mul_(5)
x.view(12)[5] = 7
mask = x > 0
x[mask][0] = 99
x[x == 7] = -7
print(x)
idx = torch.tensor([0, 0, 2])
y = torch.zeros(4)
y[idx] += 1
print(y)
y.index_put_((idx,), torch.tensor(1.0), accumulate=True)
print(y)
print(
    torch.Tensor.add(torch.ones(2), 1),
    torch.Tensor([1, 2]),
    torch.Tensor(2, 3).shape,
    torch.FloatTensor([1]),
    torch.LongTensor([1, 2]).dtype,
    torch.tensor([]).shape,
)


class Bad(nn.Module):
    def __init__(self):
        self.l = nn.Linear(1, 1)


try:
    Bad()
except AttributeError as e:
    print("AttributeError", e)


@torch.no_grad()
def evaluate(m, x):
    return m(x)


print(evaluate(model, torch.ones(1, 3)).requires_grad)
with torch.inference_mode():
    print(model(torch.ones(1, 3)).requires_grad, torch.is_inference_mode_enabled(), torch.is_grad_enabled())
with torch.set_grad_enabled(False):
    print(model(torch.ones(1, 3)).requires_grad)
torch.set_grad_enabled(True)
with torch.no_grad():
    with torch.enable_grad():
        print(model(torch.ones(1, 3)).requires_grad)
model.requires_grad_(False)
print([p.requires_grad for p in model.parameters()])
model.requires_grad_(True)


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("a", torch.ones(2))
        self.register_buffer("b", torch.zeros(2), persistent=False)
        self.p = nn.Parameter(torch.randn(2))
        self.blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
        self.heads = nn.ModuleDict({"x": nn.Linear(2, 1)})
        self.pl = nn.ParameterList([nn.Parameter(torch.ones(1))])
        self.pd = nn.ParameterDict({"s": nn.Parameter(torch.ones(1))})

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        return self.heads["x"](x * self.p)


mm = M()
print(
    list(mm.state_dict().keys()),
    [n for n, _ in mm.named_buffers()],
    [n for n, _ in mm.named_modules()],
    [n for n, _ in mm.named_children()],
)
print(mm)
print(
    mm.double().p.dtype,
    mm(torch.ones(1, 2, dtype=torch.float64)).dtype,
    mm.float().a.dtype,
    mm.half().p.dtype,
)
mm.float()
mm.apply(lambda m: nn.init.ones_(m.weight) if isinstance(m, nn.Linear) else None)
print(mm.blocks[1].weight)
print(
    mm.training,
    mm.eval().training,
    mm.blocks[0].training,
    mm.train(False).training,
    mm.train().heads.x.training,
)
print(
    mm.get_submodule("blocks.1"),
    mm.get_parameter("heads.x.bias").shape,
    dict(mm.named_parameters(prefix="model", recurse=True)).keys(),
)
g = torch.Generator().manual_seed(3)
print(
    torch.randn(2, generator=g),
    torch.rand(2, generator=g),
    torch.randperm(5, generator=g),
    torch.randint(0, 5, (3,), generator=g),
    g.initial_seed(),
)
s = torch.get_rng_state()
r1 = torch.randn(3)
torch.set_rng_state(s)
print(torch.equal(r1, torch.randn(3)))
torch.manual_seed(123)
print(torch.randn(2), torch.initial_seed())
print(
    torch.normal(0.0, 1.0, size=(2,)),
    torch.normal(torch.zeros(2), torch.ones(2)),
    torch.empty(3).uniform_(-1, 1),
    torch.empty(2).normal_(5, 0.1),
    torch.bernoulli(torch.full((4,), 0.5)),
    torch.multinomial(torch.tensor([0.1, 0.9]), 4, replacement=True),
)
print(
    torch.rand_like(torch.ones(2)),
    torch.randn_like(torch.ones(2, dtype=torch.float64)).dtype,
    torch.randint_like(torch.ones(3), 10),
    torch.empty(3).exponential_(),
    torch.empty(2).random_(0, 10),
    torch.empty(3).geometric_(0.5),
)
shutil.rmtree(d)

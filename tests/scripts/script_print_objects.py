import torch
import torch.nn as nn
from torch.utils.data import TensorDataset

torch.manual_seed(0)
m = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.BatchNorm1d(2))
print(m.state_dict())
print(list(m.parameters()))
print(dict(m.named_parameters())["0.bias"])
p = nn.Parameter(torch.ones(2), requires_grad=False)
print(p, repr(p), str(p))
print(nn.Parameter(torch.tensor(3.0)))
print(nn.Parameter(torch.zeros(2, dtype=torch.float64)))
opt = torch.optim.Adam(m.parameters(), lr=0.01)
m(torch.randn(3, 2)).pow(3).sum().backward()
opt.step()
print(len(opt.state), list(opt.state.values())[1])
x = torch.randn(3, 4)
print(torch.max(x, 1))
print(torch.sort(x[0], descending=True))
print(torch.topk(x, 2))
print(x.min(dim=0).values, x.median(1), torch.mode(torch.tensor([1, 2, 2, 3])))
print(torch.linalg.eigh(torch.eye(2)), torch.linalg.slogdet(torch.eye(2) * 2))
print(f"{x.shape}", f"{x.dtype}", f"{x.device}", x.stride(), x.t().stride(), x.t().is_contiguous())
print(torch.finfo(torch.float32))
print(
    torch.iinfo(torch.int8), torch.finfo(torch.float16).eps, torch.finfo().tiny, torch.iinfo(torch.int64).max
)
print(torch.float32.is_floating_point, torch.int64.is_signed, torch.float16.itemsize)
print(torch.device("cpu"), repr(torch.device("cpu")))
ds = TensorDataset(torch.arange(3), torch.arange(3))
print(ds[1], len(ds), ds.tensors[0])
print(torch.distributions.Normal(torch.tensor(0.0), torch.tensor(1.0)))
print(torch.distributions.Categorical(probs=torch.tensor([0.2, 0.8])))
print(torch.distributions.Bernoulli(logits=torch.zeros(3)))
print(torch.distributions.MultivariateNormal(torch.zeros(2), torch.eye(2)))
print(torch.distributions.Uniform(0.0, 1.0))
g = torch.Generator().manual_seed(3)
print(g.initial_seed(), torch.randn(2, generator=g))
print(torch.initial_seed(), torch.get_rng_state().shape, torch.get_rng_state().dtype)
st = torch.get_rng_state()
a = torch.rand(2)
torch.set_rng_state(st)
print(torch.equal(a, torch.rand(2)))
with torch.random.fork_rng():
    torch.rand(5)
print(torch.rand(1))
print(x.grad_fn, (x * 1).grad_fn, torch.ones(1, requires_grad=True).grad_fn)
y = torch.ones(2, requires_grad=True)
z = (y.exp() * 2).sum()
print(z.grad_fn, z.grad_fn.next_functions, z.grad_fn.next_functions[0][0].next_functions)
print(z.grad_fn.next_functions[0][0].next_functions[0][0].next_functions)
print(y.is_leaf, z.is_leaf, y.grad_fn is None)
print([torch.ones(1, requires_grad=True) * 2, torch.zeros(1)])
print({"a": torch.tensor([1.5]), "b": (torch.tensor(2),)})
print(
    torch.Size([2, 3]),
    torch.Size([]),
    torch.Size([4]),
    list(torch.Size([2, 3])),
    torch.Size([2, 3]) == (2, 3),
)
print(torch.ones(2, 3).size(), tuple(torch.ones(2, 3).shape), torch.ones(2).shape + (1,))
print(torch.tensor([1.0], requires_grad=True).sum().requires_grad, torch.zeros(3).numpy().dtype)
print(x.to(torch.int64), x.long().float().dtype)
print(x.abs().sqrt().log().exp().round(decimals=3))

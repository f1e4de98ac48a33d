import torch
import torch.nn as nn
from torch.utils.data import TensorDataset, DataLoader

torch.manual_seed(0)
m = nn.Sequential(nn.BatchNorm1d(2), nn.Linear(2, 2))
print(m.state_dict())
print(list(m.parameters()))
print(dict(m.named_parameters()))
opt = torch.optim.Adam(m.parameters(), lr=0.01)
(m(torch.randn(3, 2)) * torch.tensor([1.0, -2.0])).exp().sum().backward()
opt.step()
print(opt.state_dict())
print(opt.state)
print(opt.param_groups)
ds = TensorDataset(torch.ones(2, 1))
print(ds, DataLoader(ds), torch.Generator(), torch.optim.lr_scheduler.StepLR(opt, 1))
print(
    f"{torch.ones(2, 3).shape}",
    str(torch.ones(2).shape),
    torch.ones(2).shape.__repr__(),
    tuple(torch.ones(2, 3).shape),
)
print(m[1].weight.grad, m[1].weight.data, m[1].weight.detach())
print({"a": torch.tensor(1.5), "b": [torch.tensor([1, 2])]})
print((torch.tensor(1.0), torch.tensor([2.0], requires_grad=True)))
print(
    torch.tensor([[1, 2], [3, 4]]).float().mean(0, keepdim=True),
    torch.tensor([1e-3, 5e-4]),
    torch.tensor([1234.5, 0.001]),
    torch.tensor([1e8, 1.0]),
)
print(
    torch.tensor([0.0001, 100000.0]),
    torch.tensor([1.0, 2.0]) * 1e-8,
    torch.tensor([float("nan"), 1e10]),
    torch.tensor([12345678.0]),
    torch.tensor([-1.5e-7, 3.0]),
)
print(
    torch.tensor([1, 2], dtype=torch.int16),
    torch.tensor([1.5], dtype=torch.float16),
    torch.tensor([[True]]),
    torch.zeros(2, 3, dtype=torch.uint8),
)
print(torch.ones(3, 1, 2) * torch.arange(3).view(3, 1, 1))
print(torch.arange(24).view(2, 3, 4).float() / 7)
w = nn.Linear(3, 2)
w.weight.data.normal_(0, 0.02)
w.bias.data.fill_(0.01)
print(w.weight, w.bias)
tied = nn.Module()
tied.enc = nn.Embedding(4, 3)
tied.dec = nn.Linear(3, 4, bias=False)
tied.dec.weight = tied.enc.weight
print(
    list(tied.state_dict().keys()),
    len(list(tied.parameters())),
    [n for n, _ in tied.named_parameters(remove_duplicate=False)],
)
print(sum(p.numel() for p in tied.parameters()))

import math
from collections.abc import Iterator

import torch
import torch.nn as nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler, _LRScheduler
from torch.utils.data import DataLoader, Dataset, Sampler

torch.manual_seed(0)


class SGDMomentum(Optimizer):
    def __init__(self, params, lr=1e-2, momentum=0.9, weight_decay=0.0):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                d_p = p.grad
                if group["weight_decay"] != 0:
                    d_p = d_p.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if "momentum_buffer" not in state:
                    buf = state["momentum_buffer"] = torch.clone(d_p).detach()
                else:
                    buf = state["momentum_buffer"]
                    buf.mul_(group["momentum"]).add_(d_p)
                p.add_(buf, alpha=-group["lr"])
        return loss


class WarmupCosine(LRScheduler):
    def __init__(self, optimizer, warmup, total, last_epoch=-1):
        self.warmup, self.total = warmup, total
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        step = self.last_epoch
        if step < self.warmup:
            return [base * (step + 1) / self.warmup for base in self.base_lrs]
        progress = (step - self.warmup) / max(1, self.total - self.warmup)
        return [base * 0.5 * (1 + math.cos(math.pi * progress)) for base in self.base_lrs]


class OldStyle(_LRScheduler):
    def get_lr(self):
        return [base * 0.5 ** (self.last_epoch // 2) for base in self.base_lrs]


class EvenFirstSampler(Sampler[int]):
    def __init__(self, data_source):
        self.n = len(data_source)

    def __iter__(self) -> Iterator[int]:
        yield from range(0, self.n, 2)
        yield from range(1, self.n, 2)

    def __len__(self):
        return self.n


class Squares(Dataset):
    def __init__(self, n):
        self.x = torch.linspace(-1, 1, n).unsqueeze(1)
        self.y = self.x**2

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        return {"x": self.x[idx], "y": self.y[idx]}


class Quadratic(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.randn(1))
        self.register_parameter("b", nn.Parameter(torch.zeros(1)))
        self.c = nn.Parameter(torch.tensor([0.1]))

    def forward(self, x):
        return self.a * x**2 + self.b * x + self.c

    def extra_repr(self):
        return f"a={self.a.item():.3f}"


ds = Squares(16)
sampler = EvenFirstSampler(ds)
print(list(sampler)[:6], len(sampler))
dl = DataLoader(ds, batch_size=4, sampler=sampler)
model = Quadratic()
print(model)
opt = SGDMomentum(model.parameters(), lr=0.1, momentum=0.8, weight_decay=1e-3)
print(opt)
sched = WarmupCosine(opt, warmup=3, total=12)
for epoch in range(3):
    total = 0.0
    for batch in dl:
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(batch["x"]), batch["y"])
        loss.backward()
        opt.step()
        sched.step()
        total += loss.item()
    print(epoch, f"{total:.5f}", [f"{lr:.5f}" for lr in sched.get_last_lr()], model)
print(opt.state_dict()["state"][0], opt.state_dict()["param_groups"])
sd = opt.state_dict()
opt2 = SGDMomentum(model.parameters(), lr=1.0)
opt2.load_state_dict(sd)
print(opt2.param_groups[0]["lr"], opt2.state[model.a]["momentum_buffer"])
print(sched.state_dict())
p = nn.Parameter(torch.ones(1))
o = torch.optim.SGD([p], lr=1.0)
old = OldStyle(o)
lrs = []
for _ in range(5):
    o.step()
    old.step()
    lrs.append(old.get_last_lr()[0])
print(lrs)


def closure():
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(ds.x), ds.y)
    loss.backward()
    return loss


print(opt.step(closure))

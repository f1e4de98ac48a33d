import torch
import torch.nn as nn
from torch.optim.lr_scheduler import (
    OneCycleLR,
    CosineAnnealingWarmRestarts,
    ReduceLROnPlateau,
    LambdaLR,
    StepLR,
    ExponentialLR,
    ChainedScheduler,
    SequentialLR,
    LinearLR,
    MultiStepLR,
    CosineAnnealingLR,
)

torch.manual_seed(4)


def mk(lr=0.1):
    m = nn.Linear(2, 1)
    return m, torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9)


m, opt = mk()
s = OneCycleLR(opt, max_lr=1.0, total_steps=20)
lrs = []
for i in range(20):
    opt.step()
    s.step()
    lrs.append(round(opt.param_groups[0]["lr"], 6))
print("onecycle", lrs)
print("mom", opt.param_groups[0]["momentum"])
m, opt = mk()
s = CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=2, eta_min=0.001)
out = []
for i in range(20):
    opt.step()
    s.step()
    out.append(round(s.get_last_lr()[0], 6))
print("cawr", out)
m, opt = mk()
s = ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2)
for v in [1.0, 0.9, 0.95, 0.96, 0.97, 0.98, 0.99, 1.0, 1.0, 1.0]:
    s.step(v)
    print(opt.param_groups[0]["lr"], end=" ")
print()
m, opt = mk()
s = LambdaLR(opt, lr_lambda=lambda e: 0.95**e)
for i in range(5):
    opt.step()
    s.step()
print("lambda", s.get_last_lr(), s.last_epoch)
m, opt = mk()
s = ChainedScheduler([StepLR(opt, 2, 0.5), ExponentialLR(opt, 0.9)])
for i in range(6):
    opt.step()
    s.step()
    print(round(opt.param_groups[0]["lr"], 6), end=" ")
print()
m, opt = mk()
s = SequentialLR(
    opt, [LinearLR(opt, start_factor=0.1, total_iters=3), CosineAnnealingLR(opt, T_max=5)], milestones=[3]
)
for i in range(8):
    opt.step()
    s.step()
    print(round(opt.param_groups[0]["lr"], 6), end=" ")
print()
m, opt = mk()
s = MultiStepLR(opt, milestones=[2, 4], gamma=0.1)
for i in range(5):
    opt.step()
    s.step()
print(s.state_dict())
print(opt.state_dict()["param_groups"])

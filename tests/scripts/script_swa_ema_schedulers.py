import copy
import torch
import torch.nn as nn
from torch.optim.swa_utils import AveragedModel, SWALR, update_bn, get_ema_multi_avg_fn
from torch.optim import lr_scheduler as S

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))
X, y = torch.randn(64, 4), torch.randn(64, 1)
loader = [(X[i : i + 16], y[i : i + 16]) for i in range(0, 64, 16)]
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
swa_model = AveragedModel(model)
ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
swa_sched = SWALR(opt, swa_lr=0.01, anneal_epochs=2, anneal_strategy="cos")
for epoch in range(5):
    for xb, yb in loader:
        opt.zero_grad()
        nn.functional.mse_loss(model(xb), yb).backward()
        opt.step()
        ema_model.update_parameters(model)
    if epoch >= 2:
        swa_model.update_parameters(model)
        swa_sched.step()
    print(epoch, [round(g["lr"], 6) for g in opt.param_groups], swa_model.n_averaged.item())
update_bn(loader, swa_model)
print(swa_model.module[1].running_mean)
print(list(swa_model.state_dict().keys())[:3], swa_model.n_averaged)
with torch.no_grad():
    print(swa_model(X[:2]), ema_model(X[:2]))
ema = copy.deepcopy(model).eval()
for p in ema.parameters():
    p.requires_grad_(False)
with torch.no_grad():
    for pe, pm in zip(ema.parameters(), model.parameters()):
        pe.mul_(0.99).add_(pm.detach(), alpha=0.01)
    for be, bm in zip(ema.buffers(), model.buffers()):
        be.copy_(bm)
print(ema[0].bias)


def lrs(make, n=8, **kw):
    p = nn.Parameter(torch.zeros(1))
    o = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    s = make(o)
    out = []
    for _ in range(n):
        o.step()
        s.step()
        out.append(round(s.get_last_lr()[0], 6))
    return out


print(lrs(lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2, mode="triangular2")))
print(
    lrs(lambda o: S.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.9, cycle_momentum=True))
)
print(lrs(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001)))
print(
    lrs(
        lambda o: S.SequentialLR(
            o, [S.LinearLR(o, start_factor=0.1, total_iters=3), S.ExponentialLR(o, gamma=0.8)], milestones=[3]
        )
    )
)
print(lrs(lambda o: S.LambdaLR(o, lambda step: min(1.0, (step + 1) / 4))))
print(lrs(lambda o: S.PolynomialLR(o, total_iters=5, power=2.0)))
print(
    lrs(
        lambda o: S.ChainedScheduler(
            [S.ConstantLR(o, factor=0.5, total_iters=2), S.ExponentialLR(o, gamma=0.9)]
        )
    )
)
print(lrs(lambda o: S.MultiStepLR(o, milestones=[2, 5], gamma=0.1)))
print(lrs(lambda o: S.MultiplicativeLR(o, lambda e: 0.95)))
print(lrs(lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=8, anneal_strategy="linear", three_phase=True)))
p = nn.Parameter(torch.zeros(1))
o = torch.optim.SGD([p], lr=0.1)
for g in o.param_groups:
    g["initial_lr"] = 0.1
s = S.StepLR(o, step_size=2, gamma=0.5, last_epoch=3)
print(s.last_epoch, s.get_last_lr(), o.param_groups[0]["lr"])
rop = S.ReduceLROnPlateau(
    o, mode="max", patience=0, threshold=0.1, threshold_mode="abs", cooldown=1, min_lr=0.01
)
for m in [0.5, 0.55, 0.56, 0.57, 0.9, 0.91]:
    rop.step(m)
    print(o.param_groups[0]["lr"], rop.num_bad_epochs, rop.cooldown_counter)
print(rop.get_last_lr() if hasattr(rop, "get_last_lr") else None)

import torch
import torch.nn as nn
from torch.optim import lr_scheduler as S


def mk(lr=0.1, opt="SGD"):
    m = nn.Linear(2, 1)
    return getattr(torch.optim, opt)(m.parameters(), lr=lr)


def run(name, fn, n=8, opt="SGD", metric=None):
    o = mk(opt=opt)
    s = fn(o)
    lrs = []
    for i in range(n):
        o.step()
        if metric is not None:
            s.step(metric[i])
        else:
            s.step()
        lrs.append(round(o.param_groups[0]["lr"], 6))
    print(name, lrs, [round(v, 6) for v in s.get_last_lr()] if hasattr(s, "get_last_lr") else None)
    return o, s


run("step", lambda o: S.StepLR(o, step_size=3, gamma=0.5))
run("multistep", lambda o: S.MultiStepLR(o, milestones=[2, 5], gamma=0.1))
run("exp", lambda o: S.ExponentialLR(o, gamma=0.9))
run("cos", lambda o: S.CosineAnnealingLR(o, T_max=4, eta_min=0.01))
run("cosw", lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001), n=10)
run("onecycle", lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10), n=10)
run(
    "onecycle_lin",
    lambda o: S.OneCycleLR(
        o, max_lr=1.0, epochs=2, steps_per_epoch=5, anneal_strategy="linear", pct_start=0.4, three_phase=True
    ),
    n=10,
)
run("onecycle_adam", lambda o: S.OneCycleLR(o, max_lr=0.01, total_steps=10), n=10, opt="Adam")
run("lambda", lambda o: S.LambdaLR(o, lr_lambda=lambda e: 0.95**e))
run("mult", lambda o: S.MultiplicativeLR(o, lr_lambda=lambda e: 0.9))
run("linear", lambda o: S.LinearLR(o, start_factor=0.25, total_iters=4))
run("const", lambda o: S.ConstantLR(o, factor=0.5, total_iters=3))
run("poly", lambda o: S.PolynomialLR(o, total_iters=5, power=2.0))
run(
    "seq",
    lambda o: S.SequentialLR(
        o, [S.LinearLR(o, 0.1, total_iters=3), S.CosineAnnealingLR(o, T_max=5)], milestones=[3]
    ),
)
run(
    "chain",
    lambda o: S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=2), S.ExponentialLR(o, gamma=0.9)]),
)
run("cyclic", lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2), n=10)
run("cyclic2", lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2, mode="triangular2"), n=10)
o, s = run(
    "plateau",
    lambda o: S.ReduceLROnPlateau(
        o, mode="min", factor=0.5, patience=1, threshold=0.01, cooldown=1, min_lr=0.01
    ),
    n=10,
    metric=[1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.8, 0.8, 0.8, 0.8],
)
print(
    s.best,
    s.num_bad_epochs,
    s.cooldown_counter,
    s.state_dict()["_last_lr"] if "_last_lr" in s.state_dict() else "",
)
o, s = run(
    "plateau_max", lambda o: S.ReduceLROnPlateau(o, "max", patience=0), n=4, metric=[0.1, 0.2, 0.2, 0.1]
)
o = mk()
s = S.StepLR(o, 2)
for _ in range(3):
    o.step()
    s.step()
sd = s.state_dict()
print(sorted(sd.keys()), sd["last_epoch"], sd["_step_count"])
o2 = mk()
s2 = S.StepLR(o2, 2)
s2.load_state_dict(sd)
print(s2.last_epoch, s2.get_last_lr())
print(o.param_groups[0]["initial_lr"], o.state_dict()["param_groups"][0]["initial_lr"])
o = torch.optim.SGD(
    [
        {"params": [nn.Parameter(torch.ones(1))], "lr": 0.1},
        {"params": [nn.Parameter(torch.ones(1))], "lr": 0.01},
    ],
    momentum=0.9,
)
s = S.OneCycleLR(o, max_lr=[0.1, 0.01], total_steps=4)
for _ in range(4):
    o.step()
    s.step()
    print([round(g["lr"], 6) for g in o.param_groups], [round(g["momentum"], 6) for g in o.param_groups])

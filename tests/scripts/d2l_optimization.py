"""d2l.ai (PyTorch) 12.x: gradient descent in 1-D/2-D, Newton's method, momentum, AdaGrad, RMSProp,
Adadelta and Adam from scratch (p[:] -= ... under no_grad), the concise optimizers, and learning
rate schedulers (MultiStepLR, CosineAnnealingLR, hand-written schedules)."""

import math

import numpy as np
import torch
from torch import nn
from torch.optim import lr_scheduler

torch.manual_seed(0)


def f(x):
    return x**2


def f_grad(x):
    return 2 * x


def gd(eta, f_grad):
    x = 10.0
    results = [x]
    for i in range(10):
        x -= eta * f_grad(x)
        results.append(float(x))
    print(f"epoch 10, x: {x:f}")
    return results


results = gd(0.2, f_grad)
c = torch.tensor(0.15 * np.pi)


def f2(x):
    return x * torch.cos(c * x)


def f2_grad(x):
    return torch.cos(c * x) - c * x * torch.sin(c * x)


print(gd(2, f2_grad)[-3:])


def train_2d(trainer, steps=20, f_grad=None):
    x1, x2, s1, s2 = -5, -2, 0, 0
    results = [(x1, x2)]
    for i in range(steps):
        if f_grad:
            x1, x2, s1, s2 = trainer(x1, x2, s1, s2, f_grad)
        else:
            x1, x2, s1, s2 = trainer(x1, x2, s1, s2)
        results.append((x1, x2))
    print(f"epoch {i + 1}, x1: {float(x1):f}, x2: {float(x2):f}")
    return results


def f_2d(x1, x2):
    return x1**2 + 2 * x2**2


def f_2d_grad(x1, x2):
    return (2 * x1, 4 * x2)


def gd_2d(x1, x2, s1, s2, f_grad):
    g1, g2 = f_grad(x1, x2)
    return (x1 - 0.1 * g1, x2 - 0.1 * g2, 0, 0)


train_2d(gd_2d, f_grad=f_2d_grad)


def sgd_2d(x1, x2, s1, s2, f_grad):
    g1, g2 = f_grad(x1, x2)
    g1 += torch.normal(0.0, 1, (1,)).item()
    g2 += torch.normal(0.0, 1, (1,)).item()
    return (x1 - 0.1 * g1, x2 - 0.1 * g2, 0, 0)


train_2d(sgd_2d, steps=50, f_grad=f_2d_grad)

# Newton
c = torch.tensor(0.5)


def fc(x):
    return torch.cosh(c * x)


def fc_grad(x):
    return c * torch.sinh(c * x)


def fc_hess(x):
    return c**2 * torch.cosh(c * x)


def newton(eta=1):
    x = 10.0
    results = [x]
    for i in range(10):
        x -= eta * fc_grad(x) / fc_hess(x)
        results.append(float(x))
    print("epoch 10, x:", x)
    return results


newton()

# scratch optimizers on a small regression
X = torch.randn(100, 5)
w_true = torch.randn(5, 1)
y = X @ w_true + 0.1 * torch.randn(100, 1)


def init_params():
    w = torch.normal(0.0, 0.01, size=(5, 1), requires_grad=True)
    b = torch.zeros((1), requires_grad=True)
    return [w, b]


def init_momentum_states(feature_dim):
    v_w = torch.zeros((feature_dim, 1))
    v_b = torch.zeros(1)
    return (v_w, v_b)


def sgd_momentum(params, states, hyperparams):
    for p, v in zip(params, states):
        with torch.no_grad():
            v[:] = hyperparams["momentum"] * v + p.grad
            p[:] -= hyperparams["lr"] * v
        p.grad.data.zero_()


def init_adagrad_states(feature_dim):
    s_w = torch.zeros((feature_dim, 1))
    s_b = torch.zeros(1)
    return (s_w, s_b)


def adagrad(params, states, hyperparams):
    eps = 1e-6
    for p, s in zip(params, states):
        with torch.no_grad():
            s[:] += torch.square(p.grad)
            p[:] -= hyperparams["lr"] * p.grad / torch.sqrt(s + eps)
        p.grad.data.zero_()


def rmsprop(params, states, hyperparams):
    gamma, eps = hyperparams["gamma"], 1e-6
    for p, s in zip(params, states):
        with torch.no_grad():
            s[:] = gamma * s + (1 - gamma) * torch.square(p.grad)
            p[:] -= hyperparams["lr"] * p.grad / torch.sqrt(s + eps)
        p.grad.data.zero_()


def adadelta(params, states, hyperparams):
    rho, eps = hyperparams["rho"], 1e-5
    for p, (s, delta) in zip(params, states):
        with torch.no_grad():
            s[:] = rho * s + (1 - rho) * torch.square(p.grad)
            g = (torch.sqrt(delta + eps) / torch.sqrt(s + eps)) * p.grad
            p[:] -= g
            delta[:] = rho * delta + (1 - rho) * g * g
        p.grad.data.zero_()


def init_adam_states(feature_dim):
    v_w, v_b = torch.zeros((feature_dim, 1)), torch.zeros(1)
    s_w, s_b = torch.zeros((feature_dim, 1)), torch.zeros(1)
    return ((v_w, s_w), (v_b, s_b))


def adam(params, states, hyperparams):
    beta1, beta2, eps = 0.9, 0.999, 1e-6
    for p, (v, s) in zip(params, states):
        with torch.no_grad():
            v[:] = beta1 * v + (1 - beta1) * p.grad
            s[:] = beta2 * s + (1 - beta2) * torch.square(p.grad)
            v_bias_corr = v / (1 - beta1 ** hyperparams["t"])
            s_bias_corr = s / (1 - beta2 ** hyperparams["t"])
            p[:] -= hyperparams["lr"] * v_bias_corr / (torch.sqrt(s_bias_corr) + eps)
        p.grad.data.zero_()
    hyperparams["t"] += 1


def train_ch11(trainer_fn, states, hyperparams, num_epochs=3):
    w, b = init_params()
    net, loss = lambda X: torch.matmul(X, w) + b, lambda a, b_: (a - b_) ** 2 / 2
    for _ in range(num_epochs):
        for i in range(0, 100, 10):
            l = loss(net(X[i : i + 10]), y[i : i + 10]).mean()
            l.backward()
            trainer_fn([w, b], states, hyperparams)
        print(f"loss: {float(loss(net(X), y).mean()):.5f}")
    return w


train_ch11(sgd_momentum, init_momentum_states(5), {"lr": 0.02, "momentum": 0.5})
train_ch11(adagrad, init_adagrad_states(5), {"lr": 0.1})
train_ch11(rmsprop, init_adagrad_states(5), {"lr": 0.01, "gamma": 0.9})
train_ch11(
    adadelta, ((torch.zeros((5, 1)), torch.zeros((5, 1))), (torch.zeros(1), torch.zeros(1))), {"rho": 0.9}
)
train_ch11(adam, init_adam_states(5), {"lr": 0.01, "t": 1})


def train_concise_ch11(trainer_fn, hyperparams, num_epochs=3):
    net = nn.Sequential(nn.Linear(5, 1))

    def init_weights(module):
        if type(module) == nn.Linear:  # noqa: E721
            torch.nn.init.normal_(module.weight, std=0.01)

    net.apply(init_weights)
    optimizer = trainer_fn(net.parameters(), **hyperparams)
    loss = nn.MSELoss(reduction="none")
    for _ in range(num_epochs):
        for i in range(0, 100, 10):
            optimizer.zero_grad()
            out = net(X[i : i + 10])
            l = loss(out, y[i : i + 10])
            l.mean().backward()
            optimizer.step()
        print(f"loss: {float(loss(net(X), y).mean() / 2):.5f}")
    return optimizer


for fn, hp in [
    (torch.optim.SGD, {"lr": 0.01, "momentum": 0.9}),
    (torch.optim.Adagrad, {"lr": 0.1}),
    (torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.9}),
    (torch.optim.Adadelta, {"rho": 0.9}),
    (torch.optim.Adam, {"lr": 0.01}),
]:
    print(train_concise_ch11(fn, hp, 2))


# LR scheduling
net = nn.Sequential(nn.Linear(5, 1))
lr, num_epochs = 0.3, 30
trainer = torch.optim.SGD(net.parameters(), lr=lr)
scheduler = lr_scheduler.MultiStepLR(trainer, milestones=[15, 30], gamma=0.5)


def get_lr(trainer, scheduler):
    lr = scheduler.get_last_lr()[0]
    trainer.step()
    scheduler.step()
    return lr


print([get_lr(trainer, scheduler) for t in range(num_epochs)][::5])


class SquareRootScheduler:
    def __init__(self, lr=0.1):
        self.lr = lr

    def __call__(self, num_update):
        return self.lr * pow(num_update + 1.0, -0.5)


scheduler = SquareRootScheduler(lr=0.1)
for epoch in range(3):
    for param_group in trainer.param_groups:
        param_group["lr"] = scheduler(epoch)
    print(trainer.param_groups[0]["lr"])


class FactorScheduler:
    def __init__(self, factor=1, stop_factor_lr=1e-7, base_lr=0.1):
        self.factor = factor
        self.stop_factor_lr = stop_factor_lr
        self.base_lr = base_lr

    def __call__(self, num_update):
        self.base_lr = max(self.stop_factor_lr, self.base_lr * self.factor)
        return self.base_lr


scheduler = FactorScheduler(factor=0.9, stop_factor_lr=1e-2, base_lr=2.0)
print([scheduler(t) for t in range(5)])


class CosineScheduler:
    def __init__(self, max_update, base_lr=0.01, final_lr=0, warmup_steps=0, warmup_begin_lr=0):
        self.base_lr_orig = base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.warmup_steps = warmup_steps
        self.warmup_begin_lr = warmup_begin_lr
        self.max_steps = self.max_update - self.warmup_steps

    def get_warmup_lr(self, epoch):
        increase = (self.base_lr_orig - self.warmup_begin_lr) * float(epoch) / float(self.warmup_steps)
        return self.warmup_begin_lr + increase

    def __call__(self, epoch):
        if epoch < self.warmup_steps:
            return self.get_warmup_lr(epoch)
        if epoch <= self.max_update:
            self.base_lr = (
                self.final_lr
                + (self.base_lr_orig - self.final_lr)
                * (1 + math.cos(math.pi * (epoch - self.warmup_steps) / self.max_steps))
                / 2
            )
        return self.base_lr


scheduler = CosineScheduler(20, warmup_steps=5, base_lr=0.3, final_lr=0.01)
print([round(scheduler(t), 6) for t in range(0, 30, 3)])
trainer = torch.optim.SGD(net.parameters(), lr=0.3)
sch = lr_scheduler.CosineAnnealingLR(trainer, T_max=10, eta_min=0.01)
lrs = []
for t in range(12):
    trainer.step()
    sch.step()
    lrs.append(round(sch.get_last_lr()[0], 6))
print(lrs)
print(sch.state_dict())
sch = lr_scheduler.LambdaLR(trainer, lambda e: 0.9**e)
print(sch.get_last_lr(), sch.last_epoch)
sch = lr_scheduler.StepLR(torch.optim.SGD(net.parameters(), lr=0.1), step_size=2, gamma=0.1)
print(sch.get_last_lr())

# convexity / misc
f = lambda x: 0.5 * x**2  # noqa: F811
x = torch.arange(-2, 2, 0.01)
print(x.shape, x[:3], x[-1])
x = torch.arange(-1.0, 1.5, 0.01)
print(x.shape, x[-1])
print(torch.arange(0.5, 2.5, 0.1).shape)
x, y = torch.meshgrid(torch.linspace(-1.0, 1.0, 5), torch.linspace(-1.0, 1.0, 5), indexing="ij")
z = x**2 + 0.5 * torch.cos(2 * np.pi * y)
print(z[1])
x, y = torch.meshgrid(torch.arange(-5.5, 1.0, 1.0), torch.arange(-3.0, 1.0, 1.0))
print(x.shape, y[0])

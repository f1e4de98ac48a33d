# A plain PyTorch script in the style of the official tutorials; tests/test_torch_scripts.py runs it
# as written and with its imports renamed to pyneuro, and compares what the two print.
# Gradients of gradients: a physics-informed net for u'' = -sin(x) (Adam, then L-BFGS) and one
# WGAN-GP critic step with its gradient penalty.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
rng = np.random.default_rng(0)


def set_weights(model, scale=0.5):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * scale).astype(np.float32)))


class PINN(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(1, width), nn.Tanh(), nn.Linear(width, width), nn.Tanh(), nn.Linear(width, 1)
        )

    def forward(self, x):
        return self.net(x)


def pde_loss(model, x):
    x = x.clone().requires_grad_(True)
    u = model(x)
    u_x = torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), create_graph=True)[0]
    u_xx = torch.autograd.grad(u_x, x, grad_outputs=torch.ones_like(u_x), create_graph=True)[0]
    residual = u_xx + torch.sin(x)
    boundary = model(torch.tensor([[0.0], [np.pi]]))
    return (residual**2).mean() + (boundary**2).mean()


model = PINN()
set_weights(model)
x = torch.linspace(0, np.pi, 24).reshape(-1, 1)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(5):
    opt.zero_grad()
    loss = pde_loss(model, x)
    loss.backward()
    opt.step()
    print(f"adam {step}: loss {loss.item():.5f}")
lbfgs = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=5)


def closure():
    lbfgs.zero_grad()
    loss = pde_loss(model, x)
    loss.backward()
    return loss


for step in range(2):
    print(f"lbfgs {step}: loss {lbfgs.step(closure).item():.5f}")
with torch.no_grad():
    print("u(pi/2) =", round(model(torch.tensor([[np.pi / 2]])).item(), 4))

# One WGAN-GP critic step (Gulrajani et al.): the penalty is a function of a gradient.
critic = nn.Sequential(
    nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(4, 8, 3, stride=2, padding=1),
    nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(8 * 2 * 2, 1),
)  # fmt: skip
set_weights(critic, 0.3)
real = torch.from_numpy(rng.standard_normal((6, 1, 8, 8)).astype(np.float32))
fake = torch.from_numpy(rng.standard_normal((6, 1, 8, 8)).astype(np.float32))
alpha = torch.from_numpy(rng.random((6, 1, 1, 1)).astype(np.float32))
opt_c = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.0, 0.9))
for step in range(3):
    interpolates = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    score = critic(interpolates)
    gradients = torch.autograd.grad(
        outputs=score,
        inputs=interpolates,
        grad_outputs=torch.ones_like(score),
        create_graph=True,
        retain_graph=True,
    )[0]
    penalty = ((gradients.view(gradients.size(0), -1).norm(2, dim=1) - 1) ** 2).mean()
    loss_c = critic(fake).mean() - critic(real).mean() + 10 * penalty
    opt_c.zero_grad()
    loss_c.backward()
    opt_c.step()
    print(f"critic {step}: loss {loss_c.item():.4f} penalty {penalty.item():.4f}")

# The Hessian of a small loss, and a Hessian-vector product, from torch.autograd.functional
w = torch.tensor([0.5, -1.0, 2.0])
H = torch.autograd.functional.hessian(lambda v: (v.sin() * v.pow(2)).sum() + F.softplus(v).prod(), w)
print(H.round(decimals=4))
_, hv = torch.autograd.functional.hvp(lambda v: (v.exp() * v).sum(), w, torch.ones(3))
print(hv.round(decimals=4))

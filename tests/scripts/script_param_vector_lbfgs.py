import numpy as np
import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint
from torch.nn.utils import parameters_to_vector, vector_to_parameters

torch.manual_seed(0)
net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
vec = parameters_to_vector(net.parameters())
print(vec.shape, vec[:4])
vector_to_parameters(torch.zeros_like(vec), net.parameters())
print(net[0].weight.abs().sum())
vector_to_parameters(vec, net.parameters())
x = torch.randn(5, 3, requires_grad=True)
y = checkpoint(net, x, use_reentrant=False)
y.sum().backward()
print(x.grad[0], net[0].weight.grad.sum())
jac = torch.autograd.functional.jacobian(lambda t: net(t).squeeze(-1), x[:2].detach())
print(jac.shape, jac[0, 0])
hes = torch.autograd.functional.hessian(lambda t: (t**3).sum(), torch.tensor([1.0, 2.0]))
print(hes)
a = np.float64(2.0) * torch.ones(2)
print(type(a).__name__, a, a.dtype)
b = torch.ones(2) * np.float32(3)
print(b, b.dtype)
print(np.array(torch.arange(3)), np.asarray(torch.ones(2, 2)).dtype)
print(torch.ones(2) + np.ones(2), (torch.ones(2) + np.ones(2)).dtype)
print(torch.tensor(np.int64(5)), torch.tensor(np.float32(1.5)).dtype, torch.tensor([np.float64(1)]).dtype)
print(torch.stack([torch.from_numpy(np.arange(3)) for _ in range(2)]))
lbfgs_x = torch.tensor([-1.0, 1.0], dtype=torch.float64, requires_grad=True)
opt = torch.optim.LBFGS([lbfgs_x], lr=1, max_iter=20, line_search_fn="strong_wolfe")


def closure():
    opt.zero_grad()
    loss = (1 - lbfgs_x[0]) ** 2 + 100 * (lbfgs_x[1] - lbfgs_x[0] ** 2) ** 2
    loss.backward()
    return loss


for i in range(3):
    l = opt.step(closure)
    print(i, f"{l.item():.6f}", lbfgs_x.data)
w = nn.utils.parametrizations.weight_norm(nn.Linear(3, 2))
print(w)
print(sorted(n for n, _ in w.named_parameters()))
sn = nn.utils.parametrizations.spectral_norm(nn.Linear(4, 4))
print(torch.linalg.matrix_norm(sn.weight, ord=2) <= 1.0001)
print(torch.linalg.svdvals(sn.weight).max().item() < 1.01)
grads = [p.grad.norm() for p in net.parameters()]
print(torch.stack(grads), torch.norm(torch.stack(grads), 2))
print(nn.utils.clip_grad_norm_(net.parameters(), 0.1, norm_type=float("inf")))
print(
    nn.utils.get_total_norm([p.grad for p in net.parameters()]) if hasattr(nn.utils, "get_total_norm") else 0
)

import torch
import torch.nn as nn
from torch.autograd.functional import jacobian, hessian, vjp, jvp, hvp

torch.manual_seed(0)
x = torch.randn(3, requires_grad=True)
y = (x**3).sum()
(g,) = torch.autograd.grad(y, x, create_graph=True)
print(g, g.requires_grad)
v = torch.tensor([1.0, 0.5, 2.0])
(hv,) = torch.autograd.grad(g, x, grad_outputs=v)
print(hv, 6 * x.detach() * v)
(g2,) = torch.autograd.grad(g.sum() * 1.0, x, retain_graph=False) if False else (None,)
print(g2)


def f(x):
    return torch.stack([x[0] * x[1], x[1].sin(), x.pow(2).sum()])


xs = torch.tensor([0.5, -1.0, 2.0])
J = jacobian(f, xs)
print(J)
H = hessian(lambda t: (t**2).prod() + t.sum(), xs)
print(H)
print(vjp(f, xs, torch.ones(3)))
print(jvp(f, xs, torch.ones(3)))
print(hvp(lambda t: (t**3).sum(), xs, torch.ones(3)))
# Jacobian of a linear layer w.r.t. inputs
lin = nn.Linear(3, 2)
print(torch.allclose(jacobian(lin, torch.randn(3)), lin.weight))
print(jacobian(lambda a, b: a * b, (torch.ones(2), torch.arange(2.0))))
# gradient penalty
D = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
real = torch.randn(5, 4)
fake = torch.randn(5, 4)
alpha = torch.rand(5, 1)
interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
out = D(interp)
grads = torch.autograd.grad(
    outputs=out, inputs=interp, grad_outputs=torch.ones_like(out), create_graph=True, retain_graph=True
)[0]
gp = ((grads.norm(2, dim=1) - 1) ** 2).mean()
print(gp)
gp.backward()
print(D[0].weight.grad.norm())
# grad of grad wrt params (MAML-style inner step)
w = torch.randn(3, 1, requires_grad=True)
xq = torch.randn(6, 3)
yq = torch.randn(6, 1)
inner = ((xq @ w - yq) ** 2).mean()
(gw,) = torch.autograd.grad(inner, w, create_graph=True)
w_fast = w - 0.1 * gw
outer = ((xq @ w_fast - yq) ** 2).mean()
outer.backward()
print(w.grad.flatten())
# allow_unused and retain_graph
a = torch.tensor(2.0, requires_grad=True)
b = torch.tensor(3.0, requires_grad=True)
c = a * 2
print(torch.autograd.grad(c, [a, b], allow_unused=True))
c = a * 2
print(torch.autograd.grad(c, [a, b], allow_unused=True, materialize_grads=True))
z = a**2
z.backward(retain_graph=True)
z.backward()
print(a.grad)
try:
    torch.autograd.grad(a * 2, b)
except RuntimeError as e:
    print("RuntimeError", "not have been used" in str(e))
try:
    d = a * b
    d.backward()
    d.backward()
except RuntimeError:
    print("RuntimeError second backward")

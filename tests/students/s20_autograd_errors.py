import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = (x ** 2).sum()
y.backward()
y.backward()
z = x * 2
z.backward()
z.sum().backward(); print(x.grad)
h = x * 3
s = (h ** 2).sum(); s.backward()
h.grad
print(h.is_leaf, h.requires_grad)
torch.tensor([1, 2], requires_grad=True)
torch.arange(3, requires_grad=True)
x.requires_grad = False
x2 = torch.ones(2, requires_grad=True)
x2 += 1
x2[0] = 5
with torch.no_grad():
    x2 += 1
print(x2)
a = torch.ones(2, requires_grad=True)
b = a.exp()
b.add_(1)
b.sum().backward()
c = a.sigmoid(); c.mul_(2); c.sum().backward()
torch.no_grad(x2 * 2)
@torch.no_grad()
def f(t): return t * 2
print(f(x2).requires_grad)
t = torch.ones(2)
t.backward()
t.sum().backward()
w = torch.randn(3, requires_grad=True)
(w * 2).backward(torch.ones(3)); print(w.grad)
w.grad.requires_grad
torch.autograd.grad((w ** 2).sum(), w)
torch.autograd.grad((w ** 2).sum(), [w, x2])
w.detach().requires_grad
w.detach_()
k = torch.ones(2, requires_grad=True)
k.data.mul_(2); print(k)
k.grad.zero_()
print(k.grad)
k.zero_grad()
k.retain_grad()
q = k * 2; q.retain_grad(); q.sum().backward(); print(q.grad, k.grad)
print(torch.is_grad_enabled())

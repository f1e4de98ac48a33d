import torch
import matplotlib.pyplot as plt
x = torch.tensor(0.0, requires_grad=True)
def f(x): return (x - 3) ** 2 + 1
for i in range(10):
    y = f(x)
    y.backward()
    with torch.no_grad():
        x -= 0.1 * x.grad
    x.grad.zero_()
print(x, f(x), x.item())
xs = torch.linspace(-1, 5, 100)
plt.plot(xs, f(xs))
plt.plot(xs.numpy(), f(xs).numpy())
x = torch.tensor([2.0], requires_grad=True)
y = x ** 3
dy = torch.autograd.grad(y, x, create_graph=True)[0]
d2y = torch.autograd.grad(dy, x)[0]
print(dy, d2y)
x = torch.tensor(1.0, requires_grad=True)
y = torch.sin(x) * torch.exp(x)
y.backward()
print(x.grad, torch.cos(x) * torch.exp(x) + torch.sin(x) * torch.exp(x))
print(x.grad == torch.cos(x) * torch.exp(x) + torch.sin(x) * torch.exp(x))
torch.isclose(x.grad, torch.cos(x.detach()) * torch.exp(x.detach()) + torch.sin(x.detach()) * torch.exp(x.detach()))
x.grad += 1
print(x.grad)
x.grad = x.grad * 0
x.grad = 0
x.grad = torch.tensor([1.0])
x.grad = torch.tensor(1.0, dtype=torch.float64)
p = torch.tensor([1.0, 2.0], requires_grad=True)
loss = (p ** 2).sum()
loss.backward()
p = p - 0.1 * p.grad
p.grad
p.is_leaf
loss = (p ** 2).sum(); loss.backward()
print(p.grad)

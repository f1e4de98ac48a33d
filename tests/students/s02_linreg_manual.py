import torch
torch.manual_seed(42)
x = torch.linspace(0, 1, 20)
y = 3 * x + 2 + 0.1 * torch.randn(20)
w = torch.zeros(1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr = 0.5
for epoch in range(50):
    y_pred = w * x + b
    loss = ((y_pred - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    if epoch % 10 == 0:
        print(epoch, loss.item(), w.grad, b.grad)
print(w, b)
# forgot zero_grad above; now correct:
w = torch.zeros(1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
for epoch in range(100):
    loss = ((w * x + b - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
print(f"w={w.item():.3f} b={b.item():.3f} loss={loss:.4f}")
# using .data
w.data -= lr * 0.0
w.data = w.data - 1
print(w, w.data, w.data.requires_grad)
w.grad = None
w.grad.zero_()
b.grad.data.zero_()
print(b.grad)

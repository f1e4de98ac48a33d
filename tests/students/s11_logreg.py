import torch
from torch import nn
torch.manual_seed(0)
X = torch.randn(20, 2)
y = (X[:, 0] > 0).float()
w = torch.zeros(2, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
for step in range(20):
    z = X @ w + b
    p = torch.sigmoid(z)
    loss = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
    loss.backward()
    with torch.no_grad():
        w -= 0.5 * w.grad
        b -= 0.5 * b.grad
    w.grad.zero_(); b.grad.zero_()
print(loss, w, b)
model = nn.Linear(2, 1)
loss_fn = nn.BCEWithLogitsLoss()
loss_fn(model(X), y)
loss_fn(model(X).squeeze(), y)
loss_fn(model(X).squeeze(), y.long())
nn.BCELoss()(torch.sigmoid(model(X)), y.unsqueeze(1))
nn.BCELoss()(model(X), y.unsqueeze(1))
nn.MSELoss()(model(X), y)
print(torch.sigmoid(torch.tensor([0.0, 100.0, -100.0])), torch.log(torch.tensor(0.0)))
(torch.sigmoid(model(X)) > 0.5).squeeze() == y
((torch.sigmoid(model(X)) > 0.5).squeeze() == y).float().mean()
((torch.sigmoid(model(X)) > 0.5).squeeze() == y.bool()).float().mean()
((model(X) > 0).int().squeeze() == y).sum()

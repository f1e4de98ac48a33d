import torch
from torch import nn
torch.manual_seed(0)
model = nn.Linear(1, 1)
x = torch.tensor([1.0, 2.0, 3.0])
model(x)
model(x.unsqueeze(1))
model(x[:, None]).shape
model(x.reshape(-1, 1)).squeeze()
model(torch.tensor([[1, 2, 3]]))
model(torch.tensor([[1], [2]]))
lin = nn.Linear(784, 10)
lin(torch.randn(28, 28))
lin(torch.randn(4, 1, 28, 28))
lin(torch.randn(4, 1, 28, 28).view(4, -1)).shape
lin(torch.randn(4, 28, 28).flatten(1)).shape
lin(torch.randn(4, 28, 28).view(-1, 28 * 28)).shape
torch.randn(4, 28, 28).view(4, 780)
torch.randn(3, 4).t().view(12)
torch.randn(3, 4).t().reshape(12).shape
nn.Linear(3)
nn.Linear(3.0, 2)
print(model)
print(model.weight.shape, model.bias, model.weight.dtype)

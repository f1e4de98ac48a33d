import torch
from torch import nn
import torch.nn.functional as F
x = torch.ones(2, 3)
torch.zeros(...)
torch.zeros(2, ...)
torch.randn(...)
torch.ones(..., 3)
torch.tensor(...)
torch.arange(...)
nn.Embedding(..., 4)
nn.Embedding(10, ...)
nn.Conv2d(3, ..., 3)
nn.LayerNorm(...)
nn.Dropout(...)
F.softmax(x, dim=...)
x.sum(dim=...)
x.sum(...)
x.mean(...)
x.view(...)
x.reshape(...)
x.view(2, ...)
x[...]
x[..., 0]
x @ ...
x + ...
x * None
torch.matmul(x, ...)
F.cross_entropy(x, ...)
F.linear(x, ...)
torch.cat([x, ...])
torch.stack(...)
x.transpose(...)
x.permute(...)
x.unsqueeze(...)
x.to(...)
x.float(...)
torch.manual_seed(...)
torch.optim.SGD(..., lr=0.1)
torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=...)
nn.Sequential(...)
nn.Linear(2, 2)(...)

import torch
import numpy as np
from torch import nn
np.random.seed(0)
X_np = np.random.rand(10, 3).astype(np.float32)
y_np = np.random.rand(10)
X = torch.from_numpy(X_np)
mean, std = X_np.mean(0), X_np.std(0)
Xn = (X - mean) / std
print(Xn.dtype)
Xn2 = (X - torch.tensor(mean)) / torch.tensor(std)
print(Xn2.dtype, Xn2.mean(0))
y = torch.tensor(y_np)
print(y.dtype)
model = nn.Linear(3, 1)
model(X).squeeze() - y
nn.functional.mse_loss(model(X).squeeze(), y)
nn.functional.mse_loss(model(X).squeeze(), y.float())
X * np.float32(2)
X.numpy() * 2
X + X_np
X_np + X
weights = np.array([1.0, 2.0, 3.0])
X @ weights
X @ torch.from_numpy(weights)
X @ torch.from_numpy(weights).float()
X.sum(0) / len(X)
X.sum(0) / X.shape[0]
np.sum(X.numpy(), axis=0)
np.linalg.norm(X.numpy(), axis=1)[:2]
torch.norm(X, dim=1)[:2]
torch.tensor(X_np.tolist()).dtype
t = torch.tensor([1.5, 2.5])
t.numpy().round()
np.round(t.numpy(), 1)
torch.round(t)
torch.round(t, decimals=1)
round(t[0].item())
round(float(t[0]), 3)
t.round()

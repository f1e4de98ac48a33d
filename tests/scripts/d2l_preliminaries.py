"""d2l.ai (PyTorch) chapter 2: data manipulation, preprocessing without pandas, linear algebra, file
I/O, probability (Multinomial draws from the seeded stream), the documentation section's
dir(torch.distributions), and the GPU helpers on a machine without one."""

import os
import tempfile

import random

import numpy as np
import torch
from torch.distributions import multinomial
from torch.distributions.multinomial import Multinomial

# 2.1 data manipulation
x = torch.arange(12, dtype=torch.float32)
print(x)
print(x.numel())
print(x.shape)
X = x.reshape(3, 4)
print(X)
print(x.reshape(-1, 4).shape, x.reshape(3, -1).shape)
print(torch.zeros((2, 3, 4)))
print(torch.ones((2, 3, 4)).sum())
print(torch.randn(3, 4).shape)
print(torch.tensor([[2, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]]))
print(X[-1], X[1:3])
X[1, 2] = 17
print(X)
X[:2, :] = 12
print(X)
print(torch.exp(x))
x = torch.tensor([1.0, 2, 4, 8])
y = torch.tensor([2, 2, 2, 2])
print(x + y, x - y, x * y, x / y, x**y)
X = torch.arange(12, dtype=torch.float32).reshape((3, 4))
Y = torch.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
print(torch.cat((X, Y), dim=0), torch.cat((X, Y), dim=1))
print(X == Y)
print(X.sum())
a = torch.arange(3).reshape((3, 1))
b = torch.arange(2).reshape((1, 2))
print(a, b)
print(a + b)
before = id(Y)
Y = Y + X
print(id(Y) == before)
Z = torch.zeros_like(Y)
print("id(Z):", id(Z) == id(Z))
zid = id(Z)
Z[:] = X + Y
print("id(Z):", id(Z) == zid)
before = id(X)
X += Y
print(id(X) == before)
A = X.numpy()
B = torch.from_numpy(A)
print(type(A), type(B).__name__)
a = torch.tensor([3.5])
print(a, a.item(), float(a), int(a))
print(X < Y, X > Y)
a = torch.arange(3).reshape((3, 1, 1))
b = torch.arange(2).reshape((1, 2, 1))
print((a + b).shape)

# 2.2 data preprocessing without pandas
data = np.array(
    [[np.nan, 1.0, 127500.0], [2.0, 0.0, 106000.0], [4.0, 0.0, 178100.0], [np.nan, 0.0, 140000.0]]
)
inputs, targets = data[:, :2], data[:, 2]
inputs[:, 0] = np.where(np.isnan(inputs[:, 0]), np.nanmean(inputs[:, 0]), inputs[:, 0])
X = torch.tensor(inputs)
y = torch.tensor(targets)
print(X, y)
print(X.dtype, y.dtype)
X = torch.tensor(inputs.astype(np.float32))
print(X.dtype)

# 2.3 linear algebra
x = torch.tensor(3.0)
y = torch.tensor(2.0)
print(x + y, x * y, x / y, x**y)
x = torch.arange(3)
print(x, x[2], len(x), x.shape)
A = torch.arange(6).reshape(3, 2)
print(A, A.T)
A = torch.tensor([[1, 2, 3], [2, 0, 4], [3, 4, 5]])
print(A == A.T)
print(torch.arange(24).reshape(2, 3, 4))
A = torch.arange(6, dtype=torch.float32).reshape(2, 3)
B = A.clone()
print(A, A + B)
print(A * B)
a = 2
X = torch.arange(24).reshape(2, 3, 4)
print(a + X, (a * X).shape)
x = torch.arange(3, dtype=torch.float32)
print(x, x.sum())
print(A.shape, A.sum())
print(A.shape, A.sum(axis=0).shape)
print(A.shape, A.sum(axis=1).shape)
print(A.sum(axis=[0, 1]) == A.sum())
print(A.mean(), A.sum() / A.numel())
print(A.mean(axis=0), A.sum(axis=0) / A.shape[0])
sum_A = A.sum(axis=1, keepdims=True)
print(sum_A, sum_A.shape)
print(A / sum_A)
print(A.cumsum(axis=0))
y = torch.ones(3, dtype=torch.float32)
print(x, y, torch.dot(x, y))
print(torch.sum(x * y))
print(A.shape, x.shape, torch.mv(A, x), A @ x)
B = torch.ones(3, 4)
print(torch.mm(A, B), A @ B)
u = torch.tensor([3.0, -4.0])
print(torch.norm(u))
print(torch.abs(u).sum())
print(torch.norm(torch.ones((4, 9))))
print(torch.linalg.norm(torch.ones((4, 9))))
print(A.sum(axis=(0,)), A.mean(axis=[1]))
print(X.sum(axis=[0, 2]), X.float().mean(axis=(0, 2)))

# save / load (5.6)
d = tempfile.mkdtemp()
x = torch.arange(4)
torch.save(x, os.path.join(d, "x-file"))
x2 = torch.load(os.path.join(d, "x-file"))
print(x2)
y = torch.zeros(4)
torch.save([x, y], os.path.join(d, "x-files"))
x2, y2 = torch.load(os.path.join(d, "x-files"))
print(x2, y2)
mydict = {"x": x, "y": y}
torch.save(mydict, os.path.join(d, "mydict"))
print(torch.load(os.path.join(d, "mydict")))

# 2.6 probability
torch.manual_seed(0)
random.seed(0)
num_tosses = 100
heads = sum([random.random() > 0.5 for _ in range(num_tosses)])
tails = num_tosses - heads
print("heads, tails: ", [heads, tails])
fair_probs = torch.tensor([0.5, 0.5])
print(Multinomial(100, fair_probs).sample())
print(Multinomial(100, fair_probs).sample() / 100)
counts = Multinomial(10000, fair_probs).sample()
print(counts / 10000)
counts = Multinomial(1, fair_probs).sample((10000,))
cum_counts = counts.cumsum(dim=0)
estimates = cum_counts / cum_counts.sum(dim=1, keepdims=True)
estimates = estimates.numpy()
print(estimates[-1], estimates[:3])
fair_probs = torch.ones([6]) / 6
print(multinomial.Multinomial(1, fair_probs).sample())
print(multinomial.Multinomial(10, fair_probs).sample())
counts = multinomial.Multinomial(1000, fair_probs).sample()
print(counts / 1000)
counts = multinomial.Multinomial(10, fair_probs).sample((500,))
cum_counts = counts.cumsum(dim=0)
estimates = cum_counts / cum_counts.sum(dim=1, keepdims=True)
print(estimates[-1], estimates.shape)
m = Multinomial(10, fair_probs)
print(m.log_prob(torch.tensor([2.0, 2, 2, 2, 1, 1])))
print(m.mean, m.variance)
print(torch.multinomial(fair_probs, 10, replacement=True))
print(torch.distributions.Categorical(fair_probs).sample((5,)))
print(torch.distributions.Normal(0, 1).sample((3,)))
print(torch.distributions.Bernoulli(0.3).sample((5,)))
print(torch.distributions.Binomial(10, torch.tensor([0.2, 0.8])).sample())
print(torch.poisson(torch.tensor([1.0, 5.0, 20.0])))
print(torch.bernoulli(torch.full((5,), 0.5)))
print(torch.randint(1, 7, (10,)))
print(torch.randperm(8))
x = torch.ones(2, 3)
print(x.device, torch.device("cpu"), torch.cuda.device_count(), torch.cuda.is_available())


def try_gpu(i=0):
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f"cuda:{i}")
    return torch.device("cpu")


def try_all_gpus():
    devices = [torch.device(f"cuda:{i}") for i in range(torch.cuda.device_count())]
    return devices if devices else [torch.device("cpu")]


print(try_gpu(), try_gpu(10), try_all_gpus())
X = torch.ones(2, 3, device=try_gpu())
print(X, X.device.type)
print(repr(torch.device("cpu")))
Z = X.cuda(0) if torch.cuda.is_available() else X
print(Z.to(try_gpu()) is Z)
print(torch.tensor([1.0], device="cpu").cpu().numpy())

# 2.7 documentation
print(dir(torch.distributions))
print(torch.ones(4))

import torch
a = torch.tensor([1, 2, 3])
b = torch.tensor([1.0, 2.0, 3.5])
a.mean()
a.float().mean()
a.sum() / 2
a / 2
a // 2
a == b
a < b
torch.equal(a, b)
torch.allclose(a, b)
torch.allclose(a.float(), b)
a @ b
a.float() @ b
torch.tensor([1, 2]) @ torch.tensor([3, 4])
torch.dot(a, b)
torch.matmul(a.double(), b)
torch.mm(a.reshape(1, 3).float(), b.reshape(3, 1))
torch.mm(b, b)
a + b
a += b
b += a
print(a, b)
a.std()
a.var()
torch.exp(a)
torch.sqrt(a)
torch.log(torch.tensor([0, 1]))
a.max()
torch.max(a, b)
torch.maximum(a, b)
torch.zeros(3, dtype=int)
torch.zeros(3, dtype=float)
torch.ones(2, dtype=torch.int) * 0.5
torch.arange(5) * 0.5
torch.arange(0, 1, 0.25)
torch.arange(5).mean()
torch.arange(5.).mean()

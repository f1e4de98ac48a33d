import torch
import torch.nn.functional as F

x = torch.zeros(2, 3, requires_grad=True)
F.cross_entropy(x, torch.tensor([0, -100])).backward()
print(x.grad)
x.grad = None
F.cross_entropy(x, torch.tensor([0, 2]), ignore_index=2, reduction="sum").backward()
print(x.grad)
x.grad = None
F.nll_loss(x, torch.tensor([0, -100])).backward()
print(x.grad)
x.grad = None
F.cross_entropy(x, torch.tensor([-100, -100])).backward()
print(x.grad)
x.grad = None
F.cross_entropy(x, torch.tensor([0, 1]), weight=torch.tensor([0.0, 1.0, 1.0])).backward()
print(x.grad)
s = torch.zeros(1, 3, 2, 2, requires_grad=True)
F.cross_entropy(s, torch.tensor([[[0, -100], [1, 2]]])).backward()
print(s.grad)

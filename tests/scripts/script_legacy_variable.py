import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Variable

warnings.simplefilter("ignore")

torch.manual_seed(0)
x = Variable(torch.randn(4, 3), requires_grad=False)
y = Variable(torch.randn(4, 1))
print(type(x).__name__, x.requires_grad, isinstance(x, Variable), isinstance(x, torch.Tensor))
w1 = Variable(torch.randn(3, 5).type(torch.FloatTensor), requires_grad=True)
w2 = Variable(torch.randn(5, 1), requires_grad=True)
print(w1.type(), torch.FloatTensor, x.type(torch.DoubleTensor).dtype, x.type("torch.LongTensor").dtype)
lr = 1e-2
for t in range(5):
    y_pred = x.mm(w1).clamp(min=0).mm(w2)
    loss = (y_pred - y).pow(2).sum()
    print(t, loss.data.item(), loss.item())
    loss.backward()
    w1.data -= lr * w1.grad.data
    w2.data -= lr * w2.grad.data
    w1.grad.data.zero_()
    w2.grad.data.zero_()
print(
    torch.FloatTensor([1, 2]), torch.LongTensor([1, 2]), torch.ByteTensor([1, 0]), torch.DoubleTensor(2).shape
)
print(
    torch.Tensor([[1, 2], [3, 4]]),
    torch.Tensor(2, 3).shape,
    torch.IntTensor([3]).dtype,
    torch.BoolTensor([1, 0]),
)
print(x.new_zeros(2), x.new_ones((1, 2)), x.new_tensor([1, 2]), x.new_full((2,), 3.5), x.new_empty(3).shape)
print(torch.LongTensor(2, 2).zero_(), torch.FloatTensor(3).fill_(2))
crit = nn.MSELoss(size_average=False)
print(crit, crit.reduction)
print(nn.CrossEntropyLoss(reduce=False).reduction, nn.L1Loss(size_average=True).reduction)
out = crit(x.mm(w1).mm(w2), y)
print(out)
print(F.sigmoid(torch.tensor([0.0])), F.tanh(torch.tensor([0.5])))
print(F.upsample(torch.arange(4.0).view(1, 1, 2, 2), scale_factor=2))
print(torch.nn.functional.softmax(torch.tensor([[1.0, 2.0]])))
w = torch.empty(2, 3)
torch.manual_seed(1)
print(nn.init.xavier_uniform(w) if hasattr(nn.init, "xavier_uniform") else w)
print(torch.add(torch.ones(2), torch.ones(2), alpha=3), torch.ones(2).sub(torch.ones(2), alpha=0.5))
print(loss.data, loss.grad_fn is not None, loss.data.requires_grad)
print(
    torch.tensor(5.0).data.numpy(), x.data.shape, x.size(), x.size(1), x.dim(), x.ndimension(), x.nelement()
)
e = torch.autograd.Variable(torch.ones(2))
print(e, torch.is_grad_enabled())
print(torch.FloatTensor(2, 2).uniform_(0, 1).shape, torch.Tensor)
print(torch.from_numpy(x.numpy()).type(), x.int().type(), x.bool().type())

import torch
from torch import nn
import torch.nn.functional as F
logits = torch.tensor([1.0, 2.0, 3.0])
def softmax(x):
    return x.exp() / x.exp().sum()
print(softmax(logits), F.softmax(logits, dim=0), logits.softmax(0))
print(softmax(torch.tensor([1000.0, 1000.0])))
print(F.softmax(torch.tensor([1000.0, 1000.0]), dim=0))
big = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
softmax(big)
softmax(big).sum(axis=1)
big.exp() / big.exp().sum(dim=1)
big.exp() / big.exp().sum(dim=1, keepdim=True)
big.exp() / big.exp().sum(dim=1).unsqueeze(1)
big.exp() / big.exp().sum(dim=1)[:, None]
torch.logsumexp(big, dim=1)
big.logsumexp(1)
torch.logsumexp(big)
big - big.max(dim=1)
big - big.max(dim=1).values
big - big.max(dim=1, keepdim=True).values
big - big.max(dim=1, keepdims=True)[0]
F.softmax(big, dim=2)
nn.Softmax()(big)
nn.Softmax(dim=1)(big)
nn.LogSoftmax(dim=-1)(big).exp().sum(-1)
y = torch.tensor([1, 0])
-F.log_softmax(big, dim=1)[range(2), y]
-F.log_softmax(big, dim=1)[torch.arange(2), y].mean()
-F.log_softmax(big, dim=1)[:, y]
F.nll_loss(F.log_softmax(big, 1), y)
F.cross_entropy(big, y, reduction='sum')
F.cross_entropy(big, y, reduction='avg')
F.cross_entropy(big.softmax(1), y)
F.cross_entropy(big, F.one_hot(y, 2).float())
F.cross_entropy(big, F.one_hot(y, 2))
F.cross_entropy(big, torch.tensor([[0.2, 0.8], [0.5, 0.5]]))
F.cross_entropy(big, y, label_smoothing=0.1)
torch.softmax(big, 1).max(1)
probs = torch.softmax(big, 1)
pred = probs.argmax(1); print(pred, (pred == y).float().mean().item())
print(f"accuracy: {(pred == y).float().mean():.1%}", f"{(pred == y).sum()}/{len(y)}")

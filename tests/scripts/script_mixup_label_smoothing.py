import torch
import torch.nn as nn
import torch.nn.functional as F
import numpy as np

torch.manual_seed(12)
np.random.seed(0)


def mixup(x, y, alpha=0.4):
    lam = np.random.beta(alpha, alpha)
    idx = torch.randperm(x.size(0))
    return lam * x + (1 - lam) * x[idx], y, y[idx], lam


class LabelSmoothingLoss(nn.Module):
    def __init__(self, classes, smoothing=0.1):
        super().__init__()
        self.conf = 1.0 - smoothing
        self.sm = smoothing
        self.cls = classes

    def forward(self, pred, target):
        pred = pred.log_softmax(dim=-1)
        with torch.no_grad():
            true_dist = torch.zeros_like(pred)
            true_dist.fill_(self.sm / (self.cls - 1))
            true_dist.scatter_(1, target.data.unsqueeze(1), self.conf)
        return torch.mean(torch.sum(-true_dist * pred, dim=-1))


x = torch.randn(16, 5)
y = torch.randint(0, 3, (16,))
model = nn.Linear(5, 3)
crit = LabelSmoothingLoss(3)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for i in range(5):
    xm, ya, yb, lam = mixup(x, y)
    out = model(xm)
    loss = lam * crit(out, ya) + (1 - lam) * crit(out, yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"{lam:.4f} {loss.item():.5f}")
print(F.cross_entropy(model(x), y, label_smoothing=0.1), crit(model(x), y))
soft = F.one_hot(y, 3).float() * 0.8 + 0.2 / 3
print(F.cross_entropy(model(x), soft))
print(F.kl_div(F.log_softmax(model(x), 1), soft, reduction="batchmean"))
print(F.one_hot(torch.tensor([0, 2, 1])), F.one_hot(torch.tensor([0, 2]), num_classes=4).dtype)
lam_t = torch.distributions.Beta(torch.tensor([0.4]), torch.tensor([0.4])).sample()
print(lam_t)

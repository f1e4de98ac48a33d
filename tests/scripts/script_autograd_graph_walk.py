import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(39)


def walk(fn, depth=0, seen=None):
    seen = set() if seen is None else seen
    if fn is None or fn in seen:
        return
    seen.add(fn)
    extra = f" var={tuple(fn.variable.shape)}" if hasattr(fn, "variable") else ""
    print("  " * depth + type(fn).__name__ + extra)
    for nxt, _ in fn.next_functions:
        walk(nxt, depth + 1, seen)


m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
x = torch.randn(5, 3)
y = torch.tensor([0, 1, 1, 0, 1])
walk(F.mse_loss(m(x), F.one_hot(y, 2).float()).grad_fn)
print("--")
walk(F.cross_entropy(m(x), y).grad_fn)
print("--")
walk(nn.BCEWithLogitsLoss()(m(x)[:, 0], y.float()).grad_fn)
print("--")
walk(F.nll_loss(F.log_softmax(m(x), dim=1), y).grad_fn)
print("--")
a = torch.randn(3, requires_grad=True)
walk(((a * 2 + 1).relu().sum() / 3).grad_fn)
walk((torch.sigmoid(a) * torch.tanh(a)).mean().grad_fn)
walk(nn.LayerNorm(3)(a.unsqueeze(0)).sum().grad_fn)
walk(nn.Dropout(0.5)(a).sum().grad_fn)
walk(F.softmax(a, 0)[0].grad_fn)

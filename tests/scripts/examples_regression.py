"""pytorch/examples regression/main.py: a polynomial fit with make_features, poly_desc and a manual update."""

from itertools import count

import torch
import torch.nn.functional as F

torch.manual_seed(0)
POLY_DEGREE = 4
W_target = torch.randn(POLY_DEGREE, 1) * 5
b_target = torch.randn(1) * 5


def make_features(x):
    x = x.unsqueeze(1)
    return torch.cat([x**i for i in range(1, POLY_DEGREE + 1)], 1)


def f(x):
    return x.mm(W_target) + b_target.item()


def poly_desc(W, b):
    result = "y = "
    for i, w in enumerate(W):
        result += f"{w:+.2f} x^{i + 1} "
    result += f"{b[0]:+.2f}"
    return result


def get_batch(batch_size=32):
    random = torch.randn(batch_size)
    x = make_features(random)
    y = f(x)
    return x, y


fc = torch.nn.Linear(W_target.size(0), 1)
print(fc)
for batch_idx in count(1):
    batch_x, batch_y = get_batch()
    fc.zero_grad()
    output = F.smooth_l1_loss(fc(batch_x), batch_y)
    loss = output.item()
    output.backward()
    for param in fc.parameters():
        param.data.add_(-0.01 * param.grad)
    if batch_idx % 10 == 0:
        print(batch_idx, round(loss, 3), fc.weight.grad.data.norm().item() > 0)
    if loss < 1e-3 or batch_idx >= 40:
        break

print(f"Loss: {loss:.2f} after {batch_idx} batches")
print("==> Learned function:\t" + poly_desc(fc.weight.view(-1), fc.bias))
print("==> Actual function:\t" + poly_desc(W_target.view(-1), b_target))
print(f"{W_target[0, 0]:+.2f}|{b_target[0]:.3f}|{fc.bias[0]:>8.1f}|{fc.weight[0, 1]:e}|{W_target[1][0]:g}")
print(format(b_target[0], ".3f"), f"{W_target.sum():.4f}", f"{fc.weight.view(-1)[0]:+.2f}")
x = make_features(torch.tensor([1.0, 2.0]))
print(x, x.dtype, (torch.tensor([2, 3]) ** 2).dtype, (torch.tensor([2.0]) ** torch.tensor([2])).dtype)

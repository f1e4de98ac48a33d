import torch
import torch.nn as nn
import torch.nn.functional as F

x0 = torch.tensor([-4.0, -3.0, -1.5, 0.0, 3.0, 4.0])
fs = {
    "hardswish": F.hardswish,
    "hardsigmoid": F.hardsigmoid,
    "hardtanh": lambda t: F.hardtanh(t, -3.0, 3.0),
    "relu6": F.relu6,
    "softshrink": lambda t: F.softshrink(t, 3.0),
    "hardshrink": lambda t: F.hardshrink(t, 3.0),
    "threshold": lambda t: F.threshold(t, 3.0, 1.0),
    "ReLU6_inplace": lambda t: nn.ReLU6(inplace=True)(t * 1),
    "Hardtanh_inplace": lambda t: nn.Hardtanh(inplace=True)(t + 0),
    "Hardswish_mod": nn.Hardswish(),
    "Threshold_mod": nn.Threshold(0.0, -1.0),
}
for name, f in fs.items():
    for up in [-torch.ones(6), torch.full((6,), float("inf")), torch.full((6,), float("nan"))]:
        x = x0.clone().requires_grad_()
        f(x).backward(up)
        print(f"{name:16s}", x.grad)
x = torch.randn(4, 3, requires_grad=True)
lin = nn.Linear(3, 2)
with torch.no_grad():
    lin.bias.fill_(-10.0)
nn.ReLU6()(lin(x)).sum().backward()
print(lin.weight.grad, lin.bias.grad)

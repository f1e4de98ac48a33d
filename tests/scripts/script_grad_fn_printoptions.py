import torch
import torch.nn as nn

torch.manual_seed(0)
x = torch.randn(3, 4, requires_grad=True)
w = nn.Linear(4, 2)
y = w(x)
print(y)
print(y.grad_fn, y.grad_fn.next_functions)
z = (x * 2).sum(dim=1).mean()
print(z, z.grad_fn.name())
print(
    (x @ x.T).grad_fn,
    x.relu().grad_fn,
    x.t().grad_fn,
    x[0].grad_fn,
    x[:, 1:].grad_fn,
    x.view(12).grad_fn,
    x.reshape(2, 6).grad_fn,
)
print(
    torch.cat([x, x]).grad_fn,
    torch.stack([x, x]).grad_fn,
    x.exp().grad_fn,
    x.softmax(1).grad_fn,
    x.log_softmax(1).grad_fn,
)
print(
    nn.functional.cross_entropy(y, torch.tensor([0, 1, 0])).grad_fn,
    nn.functional.mse_loss(y, torch.zeros(3, 2)).grad_fn,
)
print(
    x.sum().grad_fn,
    x.mean().grad_fn,
    x.max().grad_fn,
    x.max(1)[0].grad_fn,
    x.pow(2).grad_fn,
    (x / 3).grad_fn,
    (x - 1).grad_fn,
    (-x).grad_fn,
)
print(
    x.unsqueeze(0).grad_fn,
    x.squeeze().grad_fn,
    x.permute(1, 0).grad_fn,
    x.expand(2, 3, 4).grad_fn,
    x.clone().grad_fn,
    x.detach().grad_fn,
    x.tanh().grad_fn,
    x.sigmoid().grad_fn,
)
print(torch.randn(200, 200))
print(torch.arange(2000))
print(torch.randn(2, 1200).shape, torch.zeros(1001))
torch.set_printoptions(precision=2)
print(torch.randn(3))
torch.set_printoptions(sci_mode=False)
print(torch.tensor([1e-6, 1e6]))
torch.set_printoptions(profile="default")
print(torch.tensor([1e-6, 1e6]))
torch.set_printoptions(linewidth=40)
print(torch.randn(2, 10))
torch.set_printoptions(profile="default")
torch.set_printoptions(threshold=5, edgeitems=1)
print(torch.arange(10), torch.randn(4, 4))
torch.set_printoptions(profile="full")
print(torch.arange(1100)[-3:])
torch.set_printoptions(profile="default")
print(
    torch.tensor([[1.5, -2.0], [3.25, 4.0]], dtype=torch.float64),
    torch.tensor([1, -20, 300]),
    torch.tensor([], dtype=torch.long),
    torch.empty(0, 3),
)
print(
    torch.tensor(3.5, requires_grad=True),
    torch.ones(2, dtype=torch.float16, requires_grad=True),
    torch.zeros(2, 0, 3),
)
print(nn.Parameter(torch.ones(2)))
print(torch.tensor([True, False]), torch.tensor([0.1, 0.2], dtype=torch.float64))
print(torch.randn(2, 2, 2))
print(
    torch.tensor([[1e-10, 1.0]]),
    torch.tensor([1e20]),
    torch.tensor([-0.0, 0.0]),
    torch.tensor([float("inf"), -float("inf"), 1.5]),
)
print(
    repr(torch.tensor(2)),
    str(torch.tensor([1.0, 2.0])),
    f"{torch.tensor(2.5):.3f}",
    "%.2f" % torch.tensor(1.234),
    f"{torch.tensor(3)}",
)
print(
    torch.float32,
    torch.float,
    torch.long,
    torch.int64 == torch.long,
    str(torch.float32),
    repr(torch.int8),
    torch.get_default_dtype(),
)
print(
    torch.finfo(torch.float32).eps,
    torch.finfo(torch.float16).max,
    torch.iinfo(torch.int32).max,
    torch.finfo(torch.float32),
)
print(
    torch.device("cpu"),
    x.device,
    torch.device("cpu") == x.device,
    x.is_cuda,
    x.dtype.is_floating_point,
    torch.is_floating_point(x),
    torch.is_tensor(x),
)
print(
    x.shape,
    x.size(),
    x.size(-1),
    x.dim(),
    x.ndim,
    x.numel(),
    x.nelement(),
    x.element_size(),
    x.stride(),
    x.is_contiguous(),
    x.t().is_contiguous(),
)
print(
    type(x.shape),
    x.shape == (3, 4),
    list(x.shape),
    torch.Size([2, 3]),
    torch.Size([2, 3]).numel(),
    x.shape[1:],
)
torch.set_printoptions(profile="default", sci_mode=None)

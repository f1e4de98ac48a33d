import torch
import torch.nn.functional as F

x = torch.tensor([[1.0, 3.0, 2.0], [0.5, -1.0, 4.0]], requires_grad=True)
lo = torch.zeros(2, 3, requires_grad=True)
cases = [
    ("gather", lambda: x.gather(1, torch.tensor([[0], [2]]))),
    ("masked_select", lambda: x.masked_select(x > 1)),
    ("amax", lambda: x.amax(1)),
    ("amin", lambda: x.amin()),
    ("clamp", lambda: x.clamp(0, 2)),
    ("clamp_min", lambda: x.clamp(min=0.5)),
    ("maxall", lambda: x.max()),
    ("minall", lambda: x.min()),
    ("topk", lambda: x.topk(2)[0]),
    ("index", lambda: x[0]),
    ("index_adv", lambda: x[[0, 1], [2, 0]]),
    ("take_along", lambda: torch.take_along_dim(x, torch.tensor([[1], [0]]), 1)),
    ("clamp_x2", lambda: x.clamp(0, 2) * x),
    ("gather_x", lambda: x.gather(1, torch.tensor([[0], [2]])) * x[:, :1]),
    ("amax_sq", lambda: x.amax(1) ** 2),
    ("relu6", lambda: F.relu6(x)),
    ("hardtanh", lambda: F.hardtanh(x)),
    ("emb", lambda: F.embedding(torch.tensor([1]), x)),
    ("index_select", lambda: x.index_select(1, torch.tensor([0, 2]))),
    ("narrow", lambda: x.narrow(1, 0, 2)),
    ("select", lambda: x.select(0, 1)),
]
for name, f in cases:
    g = torch.autograd.grad(f().sum(), [x], create_graph=True)[0]
    line = [name, g.requires_grad, type(g.grad_fn).__name__ if g.grad_fn is not None else None]
    if g.requires_grad:
        x.grad = None
        (g * torch.arange(6.0).view(2, 3)).sum().backward()
        line.append(x.grad)
    else:
        try:
            g.sum().backward()
        except RuntimeError:
            line.append("RuntimeError")
    print(*line)

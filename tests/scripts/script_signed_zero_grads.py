import torch
import torch.nn.functional as F

torch.manual_seed(0)
x0 = torch.tensor([[-1.0, 0.0, 2.0, -3.0], [4.0, -0.5, 0.0, 1.0]])
up = -torch.ones(2, 4)
ops = {
    "relu": lambda x: F.relu(x),
    "relu6": lambda x: F.relu6(x),
    "hardtanh": lambda x: F.hardtanh(x),
    "clamp": lambda x: x.clamp(min=0),
    "clamp_both": lambda x: x.clamp(-0.5, 0.5),
    "leaky": lambda x: F.leaky_relu(x, 0.0),
    "threshold": lambda x: F.threshold(x, 0.5, 0.0),
    "abs": lambda x: x.abs(),
    "max_dim": lambda x: x.max(1, keepdim=True)[0].expand(2, 4),
    "amax": lambda x: x.amax(1, keepdim=True).expand(2, 4),
    "maximum": lambda x: torch.maximum(x, torch.zeros(2, 4)),
    "where": lambda x: torch.where(x > 0, x, torch.zeros(2, 4)),
    "masked_fill": lambda x: x.masked_fill(x < 0, 0.0),
    "maxpool": lambda x: F.max_pool1d(x.unsqueeze(0), 2).repeat_interleave(2, -1).squeeze(0),
    "gather": lambda x: x.gather(1, torch.tensor([[0, 0, 0, 0], [1, 1, 1, 1]])),
    "index": lambda x: x[:, [0, 0, 2, 2]],
    "slice": lambda x: F.pad(x[:, :2], (0, 2)),
    "sort": lambda x: x.sort(1)[0],
    "emb_pad": lambda x: F.embedding(torch.tensor([0, 1]), x, padding_idx=0),
    "dropout": lambda x: F.dropout(x, 0.5, training=True),
    "hardswish": lambda x: F.hardswish(x),
    "hardsigmoid": lambda x: F.hardsigmoid(x),
    "softshrink": lambda x: F.softshrink(x, 0.6),
    "hardshrink": lambda x: F.hardshrink(x, 0.6),
    "sign": lambda x: x.sign() + x * 0,
    "floor": lambda x: x.floor() + x.round() + x.ceil(),
    "mul_zero": lambda x: x * torch.tensor([0.0, 1.0, 0.0, 1.0]),
    "tril": lambda x: torch.tril(x),
    "triu": lambda x: x.triu(1),
    "flip": lambda x: x.flip(1),
    "elu": lambda x: F.elu(x) * (x > 0).float(),
    "cumsum": lambda x: x.cumsum(1),
    "softmax": lambda x: F.softmax(x * 0, 1),
    "bn_like": lambda x: x - x.mean(1, keepdim=True),
    "median": lambda x: x.median(1, keepdim=True)[0].expand(2, 4),
    "topk": lambda x: F.pad(x.topk(2)[0], (0, 2)),
    "avgpool": lambda x: F.avg_pool1d(x.unsqueeze(0), 2).repeat_interleave(2, -1).squeeze(0),
    "nll": lambda x: F.nll_loss(x, torch.tensor([1, 2]), reduction="none").unsqueeze(1).expand(2, 4),
    "mse": lambda x: F.mse_loss(x, x0.clone(), reduction="none"),
    "l1": lambda x: F.l1_loss(x, x0.clone(), reduction="none"),
    "smoothl1": lambda x: F.smooth_l1_loss(x, x0.clone(), reduction="none"),
    "huber": lambda x: F.huber_loss(x, torch.zeros(2, 4), reduction="none"),
    "bcel": lambda x: F.binary_cross_entropy_with_logits(x, torch.ones(2, 4), reduction="none"),
    "kl": lambda x: F.kl_div(x, torch.zeros(2, 4), reduction="none"),
    "prelu": lambda x: F.prelu(x, torch.tensor([0.0])),
    "rrelu_eval": lambda x: F.rrelu(x, training=False),
    "celu": lambda x: F.celu(x) * 0,
    "sqrt_relu": lambda x: x.relu().sqrt(),
    "pow": lambda x: x.pow(2),
    "pow3": lambda x: x**3,
    "div": lambda x: x / torch.tensor([1.0, -1.0, 2.0, -2.0]),
    "std": lambda x: x.std(1, keepdim=True).expand(2, 4),
    "norm": lambda x: x.norm(dim=1, keepdim=True).expand(2, 4),
    "normalize": lambda x: F.normalize(x, dim=1),
    "logsumexp": lambda x: x.logsumexp(1, keepdim=True).expand(2, 4),
}
for name, fn in ops.items():
    x = x0.clone().requires_grad_()
    torch.manual_seed(1)
    y = fn(x)
    y.backward(up)
    print(f"{name:12s}", x.grad)

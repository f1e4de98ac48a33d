import torch
import torch.nn as nn
from collections import OrderedDict

torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, d, p=0.1):
        super().__init__()
        self.ln = nn.LayerNorm(d)
        self.ff = nn.Sequential(
            OrderedDict([("fc1", nn.Linear(d, 2 * d)), ("act", nn.GELU()), ("fc2", nn.Linear(2 * d, d))])
        )
        self.drop = nn.Dropout(p)
        self.register_buffer("scale", torch.tensor(0.5))
        self.register_buffer("cache", torch.zeros(2), persistent=False)

    def forward(self, x):
        return x + self.scale * self.drop(self.ff(self.ln(x)))

    def extra_repr(self):
        return f"scale={self.scale.item()}"


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([Block(4) for _ in range(2)])
        self.heads = nn.ModuleDict({"cls": nn.Linear(4, 3), "reg": nn.Linear(4, 1)})
        self.temps = nn.ParameterList([nn.Parameter(torch.ones(1)), nn.Parameter(torch.zeros(2, 2))])
        self.extra = nn.ParameterDict({"alpha": nn.Parameter(torch.tensor(1.0))})

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        return self.heads["cls"](x) * self.temps[0], self.heads["reg"](x)


net = Net()
print(net)
for name, m in net.named_modules():
    print(repr(name), type(m).__name__)
print([n for n, _ in net.named_children()])
print([(n, tuple(p.shape)) for n, p in net.named_parameters()])
print([n for n, _ in net.named_buffers()])
print(list(net.state_dict().keys()))
print(net.get_submodule("blocks.1.ff.fc2"))
print(net.get_parameter("heads.cls.bias").shape)
print(net.blocks[0].ff.fc1.in_features, net.heads["reg"].out_features, len(net.blocks), "cls" in net.heads)
print(net.temps)
print(net.extra)
print(net.temps[1])
print(list(net.blocks[0].ff.named_parameters(prefix="ff")))
total = sum(p.numel() for p in net.parameters())
print(f"{total:,} parameters")
print(net.heads["cls"].weight)
out, reg = net(torch.randn(2, 4))
print(out.grad_fn, reg.grad_fn)
print(out.grad_fn.next_functions)
sd = net.blocks[0].state_dict()
print(sd)
net.blocks[0].scale.fill_(2.0)
print(net.blocks[0])
print(net.training, net.eval().training, net.blocks[1].drop.training, net.train().blocks[0].training)
print(nn.Sequential(nn.Linear(2, 2), nn.ReLU())[0:1])
print(nn.Sequential(*[nn.Identity() for _ in range(3)]))
mods = nn.ModuleList([nn.Linear(1, 1)])
mods.append(nn.ReLU())
mods.extend([nn.Tanh(), nn.Sigmoid()])
mods.insert(1, nn.Dropout())
print(mods)
print(
    nn.Linear(3, 4, bias=False),
    nn.Conv2d(
        1, 2, (3, 5), stride=(2, 1), padding=1, dilation=2, groups=1, bias=False, padding_mode="reflect"
    ),
)
print(
    nn.LSTM(3, 4, 2, batch_first=True, dropout=0.2, bidirectional=True),
    nn.Embedding(5, 2, padding_idx=0, max_norm=1.0),
)
print(nn.MultiheadAttention(8, 2, batch_first=True), nn.BatchNorm1d(4, momentum=None, affine=False))
print(
    nn.MaxPool2d(2),
    nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
    nn.Upsample(scale_factor=2, mode="nearest"),
)
print(
    nn.CrossEntropyLoss(weight=torch.ones(2), label_smoothing=0.1),
    nn.LeakyReLU(0.1, inplace=True),
    nn.Softmax(dim=-1),
)

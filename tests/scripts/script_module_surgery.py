import torch
import torch.nn as nn

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.1), nn.Linear(8, 10))
        self.fc = nn.Linear(10, 2)

    def forward(self, x):
        return self.fc(self.classifier(self.features(x)))


m = Net()
m.classifier[-1] = nn.Linear(8, 3)
m.fc = nn.Linear(3, 5)
m.extra = nn.Identity()
print(m)
print(m(torch.randn(2, 1, 6, 6)).shape)
body = nn.Sequential(*list(m.children())[:-2])
print(body, body(torch.randn(1, 1, 5, 5)).shape)
print(m.classifier[:2], m.classifier[-1], type(m.classifier[1:]).__name__, len(m.classifier))
seq = nn.Sequential(nn.Linear(2, 2))
seq.append(nn.ReLU())
seq.extend([nn.Linear(2, 3)])
seq.insert(1, nn.Tanh())
print(seq, seq.pop(1), len(seq))
del seq[0]
print(seq)
seq.add_module("out", nn.Sigmoid())
print(seq, seq.out)
ml = nn.ModuleList([nn.Linear(1, 1)])
ml.insert(0, nn.ReLU())
ml.append(nn.Tanh())
ml.extend([nn.Sigmoid()])
ml += [nn.ELU()]
print(ml, ml[1:3], len(ml), ml[-1])
del ml[0]
print(len(ml), [type(x).__name__ for x in ml])
m.fc = None
print("fc" in dict(m.named_children()), m.fc)
del m.extra
print(hasattr(m, "extra"), [n for n, _ in m.named_children()])
m.register_buffer("buf", torch.zeros(2))
m.buf = torch.ones(2)
print(m.state_dict()["buf"], "buf" in dict(m.named_buffers()))
try:
    m.buf = nn.Parameter(torch.ones(2))
    print("ok param over buffer")
except Exception as e:
    print(
        type(e).__mro__[1].__name__ if type(e).__name__ not in ("KeyError", "TypeError") else type(e).__name__
    )
try:
    m.features = torch.ones(1)
except TypeError:
    print("TypeError")
m.register_parameter("alpha", nn.Parameter(torch.tensor(0.5)))
m.register_parameter("beta", None)
print([n for n, _ in m.named_parameters()][-2:], m.beta)
m.register_module("head", nn.Linear(3, 1))
print(m.head)
md = nn.ModuleDict({"a": nn.Linear(1, 1)})
md["b"] = nn.ReLU()
md.update({"c": nn.Tanh()})
print(md, list(md.keys()), "a" in md, md.pop("a"), len(md))
pl = nn.ParameterList([nn.Parameter(torch.ones(1))])
pl.append(nn.Parameter(torch.zeros(2)))
print(pl, len(pl))
for name, mod in m.named_modules():
    if isinstance(mod, nn.Linear):
        print(name, mod.in_features, mod.out_features)

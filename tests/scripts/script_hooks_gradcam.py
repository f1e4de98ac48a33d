import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
acts = {}


def save(name):
    def hook(m, inp, out):
        acts[name] = out.detach()
        print("fwd", name, type(inp).__name__, len(inp), tuple(out.shape))

    return hook


hs = [m.register_forward_hook(save(n)) for n, m in model.named_modules() if n]


def pre(m, inp):
    print("pre", type(inp).__name__)
    return (inp[0] * 2,)


hp = model[0].register_forward_pre_hook(pre)


def bwd(m, gin, gout):
    print(
        "bwd",
        type(m).__name__,
        [None if g is None else tuple(g.shape) for g in gin],
        [tuple(g.shape) for g in gout],
    )


hb = [model[i].register_full_backward_hook(bwd) for i in (0, 2)]


def bpre(m, gout):
    print("bpre", tuple(gout[0].shape))
    return (gout[0] * 0.5,)


hbp = model[2].register_full_backward_pre_hook(bpre)
x = torch.randn(5, 4, requires_grad=True)
out = model(x)
out.sum().backward()
print(sorted(acts), acts["1"].sum(), model[0].weight.grad.sum(), x.grad.sum())
for h in hs + hb + [hp, hbp]:
    h.remove()
out = model(x)
print(len(model._forward_hooks), "removed")


def kw_hook(m, args, kwargs, out):
    print("kw", list(kwargs))
    return out + 1


class K(nn.Module):
    def forward(self, x, scale=1.0):
        return x * scale


k = K()
k.register_forward_hook(kw_hook, with_kwargs=True)
print(k(torch.ones(2), scale=3.0))


def kw_pre(m, args, kwargs):
    return args, {"scale": 10.0}


k.register_forward_pre_hook(kw_pre, with_kwargs=True)
print(k(torch.ones(2), scale=3.0))
t = torch.ones(3, requires_grad=True)
th = t.register_hook(lambda g: g * 10)
(t * 2).sum().backward()
print(t.grad)
th.remove()
t.grad = None
(t * 2).sum().backward()
print(t.grad)
y = t * 3
y.register_hook(lambda g: print("y hook", g))
y.retain_grad()
y.sum().backward()
print(y.grad)
p = nn.Parameter(torch.ones(2))
p.register_post_accumulate_grad_hook(lambda param: print("post", param.grad))
(p * 4).sum().backward()
grads = []
lin = nn.Linear(2, 2)
for prm in lin.parameters():
    prm.register_hook(lambda g: grads.append(g.norm().item()))
lin(torch.ones(1, 2)).sum().backward()
print(len(grads))
feats = []


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.fc = nn.Linear(2 * 4 * 4, 3)

    def forward(self, x):
        x = self.conv(x).relu()
        return self.fc(x.flatten(1))


net = Net()
gradients = {}


def fh(m, i, o):
    feats.append(o)
    o.register_hook(lambda g: gradients.__setitem__("conv", g))


net.conv.register_forward_hook(fh)
score = net(torch.randn(1, 1, 6, 6))[0, 1]
score.backward()
w = gradients["conv"].mean(dim=(2, 3), keepdim=True)
cam = (w * feats[0]).sum(1).relu()
print(cam.shape, cam.detach().sum())


def sd_hook(module, state_dict, prefix, local_metadata):
    state_dict[prefix + "extra"] = torch.zeros(1)


lin._register_state_dict_hook(sd_hook)
print(list(lin.state_dict()))
print(nn.Linear(2, 2).register_forward_hook(lambda *a: None).__class__.__name__)
ln = nn.Linear(2, 2)
h = ln.register_forward_hook(lambda m, i, o: o * 0)
print(ln(torch.ones(1, 2)))
with h:
    pass
print(ln(torch.ones(1, 2)).abs().sum() > 0)

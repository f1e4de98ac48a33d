"""Model surgery side by side with torch, on pruned and on ordinary models: state_dict and
load_state_dict (strict and not, assign, shape and key errors), copy.deepcopy (tied weights, hooks, a
pruned model before and after its forward), pn.save / pn.load of checkpoints, training a pruned model
(masked weights stay zero), replacing and freezing layers, and nn.utils.parametrize,
parametrizations and the old weight_norm on the same tensors as pruning.

The programs run with torch and with pyneuro (test_prune.check_program): the same prints, rec()
values, and exception types through show(f).
"""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from test_prune import check_program

PROGRAMS = {
    "pruned_state_dict": r"""
import copy
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
prune.l1_unstructured(net[0], 'weight', amount=0.5)
prune.random_unstructured(net[2], 'bias', amount=1)
sd = net.state_dict()
print(list(sd.keys()))
rec(*sd.values())
plain = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
try:
    plain.load_state_dict(sd)
except RuntimeError as e:
    print(e)
r = plain.load_state_dict(sd, strict=False)
print(r, r.missing_keys, r.unexpected_keys)
net2 = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
prune.identity(net2[0], 'weight'); prune.identity(net2[2], 'bias')
print(net2.load_state_dict(sd))
x = torch.randn(5, 4)
rec(net(x), net2(x), net2[0].weight, net2[2].bias)
try:
    net2.load_state_dict(plain.state_dict())
except RuntimeError as e:
    print(e)
# a pruned state dict folded into a plain model
folded = {k.replace('_orig', ''): (v * sd[k.replace('_orig', '_mask')] if k.endswith('_orig') else v)
          for k, v in sd.items() if not k.endswith('_mask')}
print(plain.load_state_dict(folded))
rec(plain(x))
show(lambda: net2.load_state_dict({**sd, '0.weight_mask': torch.ones(2, 4)}))
""",
    # deepcopy: the pruned weight is a graph result, which torch cannot deepcopy until a no_grad forward
    "pruned_deepcopy_and_save": r"""
import copy, io, pickle
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
prune.l1_unstructured(net[0], 'weight', amount=0.5)
prune.random_unstructured(net[2], 'bias', amount=1)
x = torch.randn(5, 4)
show(lambda: copy.deepcopy(net))
show(lambda: pickle.dumps(net))
buf = io.BytesIO(); torch.save(net.state_dict(), buf); buf.seek(0)
sd2 = torch.load(buf)
print(list(sd2.keys()), [v.dtype for v in sd2.values()], [type(v).__name__ for v in sd2.values()])
rec(*sd2.values())
with torch.no_grad():
    net(x)
net3 = copy.deepcopy(net)
print(prune.is_pruned(net3), [type(h).__name__ for h in net3[0]._forward_pre_hooks.values()])
with torch.no_grad():
    net3[0].weight_orig.add_(1.0)
rec(net3(x), net(x), net3[0].weight, net[0].weight)
print(net3[0].weight_mask is net[0].weight_mask)
buf = io.BytesIO(); torch.save(net, buf); buf.seek(0)
net4 = torch.load(buf, weights_only=False)
rec(net4(x)); print(prune.is_pruned(net4), type(net4[0].weight).__name__)
prune.remove(net[0], 'weight'); prune.remove(net[2], 'bias')
print(list(net.state_dict().keys()))
rec(net(x))
print(net)
""",
    "pruned_checkpoint_file": r"""
import tempfile, os
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
prune.l1_unstructured(net[0], 'weight', amount=0.5)
prune.ln_structured(net[2], 'weight', amount=1, n=1, dim=0)
path = os.path.join(tempfile.mkdtemp(), 'ckpt.pt')
torch.save({'model': net.state_dict(), 'epoch': 3}, path)
ck = torch.load(path)
print(list(ck['model'].keys()), ck['epoch'])
net2 = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
prune.identity(net2[0], 'weight'); prune.identity(net2[2], 'weight')
print(net2.load_state_dict(ck['model']))
x = torch.randn(2, 3)
rec(net2(x), net(x))
for m in (net2[0], net2[2]):
    prune.remove(m, 'weight')
torch.save(net2.state_dict(), path)
plain = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
print(plain.load_state_dict(torch.load(path, weights_only=True)))
rec(plain(x))
print(float((plain[0].weight == 0).sum()), float((plain[2].weight == 0).sum()))
""",
    # the optimiser trains weight_orig; the masked entries get zero gradient and weight stays zero there
    "pruned_training": r"""
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))
prune.l1_unstructured(model[0], 'weight', amount=0.5)
prune.ln_structured(model[2], 'weight', amount=1, n=2, dim=0)
opt = torch.optim.Adam(model.parameters(), lr=0.05, weight_decay=0.1)
print([n for n, _ in model.named_parameters()])
x = torch.randn(16, 6); y = torch.randint(0, 3, (16,))
for i in range(4):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    rec(loss, model[0].weight_orig.grad, model[2].weight_orig.grad)
rec(model[0].weight, model[0].weight_orig, model[2].weight)
print(float((model[0].weight == 0).sum()), model[0].weight.requires_grad, model[0].weight.is_leaf,
      type(model[0].weight.grad_fn).__name__)
prune.remove(model[0], 'weight')
print(float((model[0].weight == 0).sum()), type(model[0].weight).__name__, model[0].weight.is_leaf)
rec(model(x))
""",
    "pruned_layers_and_dtypes": r"""
torch.manual_seed(0)
seq = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
prune.random_unstructured(seq[1], name='weight', amount=0.5)
print(seq[1].weight_mask.sum().item(), prune.is_pruned(seq), prune.is_pruned(seq[0]))
seq.double()
print(seq[1].weight_orig.dtype, seq[1].weight_mask.dtype, seq[1].weight.dtype)
rec(seq(torch.randn(2, 3, dtype=torch.float64)))
print(seq[1].weight.dtype)
emb = nn.Embedding(10, 4)
prune.l1_unstructured(emb, 'weight', amount=0.5)
rec(emb(torch.tensor([1, 2, 3])))
conv = nn.Conv1d(2, 4, 3)
prune.ln_structured(conv, 'weight', amount=0.5, n=1, dim=1)
rec(conv.weight_mask, conv(torch.randn(1, 2, 5)))
bn = nn.BatchNorm1d(4)
show(lambda: prune.l1_unstructured(bn, 'running_mean', amount=1))
print([n for n, _ in bn.named_parameters()], [n for n, _ in bn.named_buffers()])
prune.l1_unstructured(bn, 'weight', amount=1)
print(list(bn.state_dict().keys()))
lstm = nn.LSTM(3, 4)
prune.l1_unstructured(lstm, 'weight_hh_l0', amount=0.3)
out, _ = lstm(torch.randn(2, 1, 3))
rec(out, lstm.weight_hh_l0_mask)
""",
    "parametrize_then_prune": r"""
import torch.nn.utils.parametrize as parametrize
torch.manual_seed(0)
class Sym(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(0, 1)
m = nn.Linear(3, 3)
parametrize.register_parametrization(m, 'weight', Sym())
show(lambda: prune.l1_unstructured(m, 'weight', amount=2))  # weight is not a Parameter: torch's TypeError
print([n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()], parametrize.is_parametrized(m))
rec(m.weight)
m = nn.Linear(3, 3)
parametrize.register_parametrization(m, 'weight', Sym())
prune.l1_unstructured(m.parametrizations.weight, 'original', amount=3)
print([n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()], list(m.state_dict().keys()))
x = torch.randn(2, 3)
rec(m(x), m.weight)
""",
    "prune_then_parametrize": r"""
import torch.nn.utils.parametrize as parametrize
torch.manual_seed(0)
class Sym(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(0, 1)
m = nn.Linear(3, 3)
prune.l1_unstructured(m, 'weight', amount=2)
show(lambda: parametrize.register_parametrization(m, 'weight', Sym()))
print([n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()], parametrize.is_parametrized(m))
parametrize.register_parametrization(m, 'weight_orig', Sym())
print([n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()], parametrize.is_parametrized(m))
x = torch.randn(2, 3)
rec(m(x), m.weight, m.weight_orig)
print(list(m.state_dict().keys()))
m(x).sum().backward()
rec(m.parametrizations.weight_orig.original.grad)
show(lambda: prune.remove(m, 'weight'))
print([n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()])
""",
    "weight_norm_and_prune": r"""
import warnings
warnings.simplefilter('ignore')
torch.manual_seed(0)
m = nn.utils.weight_norm(nn.Linear(4, 3))
prune.l1_unstructured(m, 'weight_v', amount=4)
x = torch.randn(2, 4)
rec(m(x), m.weight)
print(list(m.state_dict().keys()))
m2 = nn.utils.parametrizations.weight_norm(nn.Linear(4, 3))
prune.l1_unstructured(m2.parametrizations.weight, 'original1', amount=4)
rec(m2(x), m2.weight)
print(list(m2.state_dict().keys()))
m3 = nn.Linear(4, 3)
prune.l1_unstructured(m3, 'weight', amount=4)
show(lambda: nn.utils.parametrizations.weight_norm(m3))
show(lambda: nn.utils.weight_norm(m3))
m4 = nn.Linear(4, 3)
prune.l1_unstructured(m4, 'weight', amount=4)
nn.utils.spectral_norm(m4, name='weight_orig')
rec(m4(x))
print(list(m4.state_dict().keys()))
""",
    "functional_call_on_pruned": r"""
from torch.func import functional_call
torch.manual_seed(0)
m = nn.Linear(3, 2)
prune.l1_unstructured(m, 'weight', amount=3)
x = torch.randn(4, 3)
rec(functional_call(m, {**dict(m.named_parameters()), **dict(m.named_buffers())}, (x,)))
rec(functional_call(m, {'weight_orig': torch.ones(2, 3), 'weight_mask': torch.ones(2, 3)}, (x,)))
rec(m(x))
""",
    # ordinary surgery: freeze, replace the head, transfer a partial state dict, cut and edit containers
    "replace_freeze_transfer": r"""
import copy
torch.manual_seed(0)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(4, 10)
    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))
net = Net()
sd = copy.deepcopy(net.state_dict())
for p in net.parameters():
    p.requires_grad = False
net.fc = nn.Linear(net.fc.in_features, 3)
print(net)
print([n for n, p in net.named_parameters() if p.requires_grad])
opt = torch.optim.SGD(filter(lambda p: p.requires_grad, net.parameters()), lr=0.1)
x = torch.randn(2, 1, 8, 8)
out = net(x); out.sum().backward(); opt.step()
rec(out, net.fc.weight.grad, net.features[0].weight.grad is None)
try:
    net.load_state_dict(sd)
except RuntimeError as e:
    print(e)
r = net.load_state_dict({k: v for k, v in sd.items() if not k.startswith('fc.')}, strict=False)
print(r, r.missing_keys, r.unexpected_keys)
model_dict = net.state_dict()
model_dict.update({k: v for k, v in sd.items() if k in model_dict and v.shape == model_dict[k].shape})
print(net.load_state_dict(model_dict))
trunk = nn.Sequential(*list(net.children())[:-1])
print(trunk)
rec(trunk(x))
net.features[2] = nn.LeakyReLU(0.1)
del net.features[3]
net.features.append(nn.Flatten())
net.features.insert(0, nn.Identity())
print(net.features, list(net.state_dict().keys()))
""",
    "state_dict_options": r"""
torch.manual_seed(0)
m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
m[1].register_buffer('tmp', torch.ones(1), persistent=False)
print(list(m.state_dict().keys()), list(m.state_dict(prefix='model.').keys()))
sd = m.state_dict(keep_vars=True)
print([type(v).__name__ for v in sd.values()], [v.requires_grad for v in sd.values()])
sd = m.state_dict()
m2 = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
r = m2.load_state_dict(sd, assign=True)
print(r, m2[0].weight is sd['0.weight'], type(m2[0].weight).__name__, m2[0].weight.requires_grad)
m3 = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
m3.load_state_dict(sd)
print(m3[0].weight is sd['0.weight'])
for bad in ({**sd, '0.weight': torch.ones(4, 2)}, [1, 2], {**sd, '0.weight': [[1., 2.]] * 3}):
    show(lambda: m3.load_state_dict(bad))
show(lambda: m3.load_state_dict({**sd, '0.weight': torch.ones(4, 2)}, strict=False))
m3.load_state_dict({**sd, '0.weight': torch.ones(3, 2, dtype=torch.float64)}); print(m3[0].weight.dtype, m3[0].weight)
m3.load_state_dict({**sd, '1.num_batches_tracked': torch.tensor(5.7)}); print(m3[1].num_batches_tracked)
print(m3.load_state_dict({k: v for k, v in sd.items() if k != '1.num_batches_tracked'}))
""",
    "deepcopy_tied_and_hooks": r"""
import copy
torch.manual_seed(0)
class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(5, 3)
        self.out = nn.Linear(3, 5, bias=False)
        self.out.weight = self.emb.weight
    def forward(self, i):
        return self.out(self.emb(i))
t = Tied()
c = copy.deepcopy(t)
print(c.out.weight is c.emb.weight, c.out.weight is t.out.weight, len(list(c.parameters())), list(c.state_dict().keys()))
i = torch.tensor([1, 2])
rec(c(i), t(i))
t2 = Tied(); t2.load_state_dict(t.state_dict()); print(t2.out.weight is t2.emb.weight)
m = nn.Linear(2, 2)
m.register_forward_hook(lambda mod, a, o: o * 2)
c = copy.deepcopy(m); print(len(c._forward_hooks))
rec(c(torch.ones(1, 2)), m(torch.ones(1, 2)))
""",
    "parametrize_state_dict": r"""
import copy
import torch.nn.utils.parametrize as P
torch.manual_seed(0)
class Sym(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(0, 1)
m = nn.Linear(3, 3)
P.register_parametrization(m, 'weight', Sym())
sd = m.state_dict(); print(list(sd.keys()))
m2 = nn.Linear(3, 3); P.register_parametrization(m2, 'weight', Sym())
print(m2.load_state_dict(sd))
rec(m2.weight, m.weight)
show(lambda: nn.Linear(3, 3).load_state_dict(sd))
P.remove_parametrizations(m, 'weight', leave_parametrized=True)
print(list(m.state_dict().keys()), type(m).__name__)
rec(m.weight)
m3 = nn.Linear(3, 3); P.register_parametrization(m3, 'weight', Sym())
P.remove_parametrizations(m3, 'weight', leave_parametrized=False)
rec(m3.weight)
m4 = nn.Linear(3, 3); P.register_parametrization(m4, 'weight', Sym())
P.register_parametrization(m4, 'weight', Sym())
print(list(m4.state_dict().keys()), m4)
c = copy.deepcopy(m4); rec(c.weight, m4.weight); print(type(c).__name__)
""",
    "lottery_ticket_rewind": r"""
import copy
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))
init_state = copy.deepcopy(model.state_dict())
X = torch.randn(64, 10); Y = torch.randint(0, 3, (64,))
def train(model, steps=5):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.CrossEntropyLoss()(model(X), Y)
        loss.backward()
        opt.step()
    return loss.item()
layers = [(m, 'weight') for m in model.modules() if isinstance(m, nn.Linear)]
for round_ in range(3):
    l = train(model)
    prune.global_unstructured(layers, pruning_method=prune.L1Unstructured, amount=0.2)
    # rewind the surviving weights to their initial values
    for i, (m, name) in enumerate(layers):
        idx = [0, 2, 4][i]
        with torch.no_grad():
            m.weight_orig.copy_(init_state[f'{idx}.weight'])
    total = sum(m.weight_mask.numel() for m, _ in layers)
    zeros = sum(int((m.weight_mask == 0).sum()) for m, _ in layers)
    print(round_, round(l, 4), zeros, total, f"{100.0 * zeros / total:.2f}%")
    print([f"{float((m.weight == 0).float().mean()):.3f}" for m, _ in layers])
rec(model(X))
print(len(torch.nn.utils.parameters_to_vector(model.parameters())))
for m, name in layers:
    prune.remove(m, name)
print(sum(int((p == 0).sum()) for p in model.parameters()))
sd = model.state_dict()
print({k: tuple(v.shape) for k, v in sd.items()})
""",
    "prune_remove_reprune_schedule": r"""
torch.manual_seed(0)
m = nn.Conv2d(3, 8, 3)
for amount in (0.2, 0.4, 0.6):
    prune.l1_unstructured(m, 'weight', amount=amount)
    prune.remove(m, 'weight')
    print(float((m.weight == 0).sum()) / m.weight.numel(), prune.is_pruned(m))
for i in range(3):
    prune.ln_structured(m, 'weight', amount=0.25, n=1, dim=0)
    print(int((m.weight_mask.sum(dim=(1, 2, 3)) == 0).sum()), len(list(m._forward_pre_hooks.values())[0]) if i else 1)
rec(m.weight_mask)
x = torch.randn(1, 3, 6, 6)
rec(m(x))
print(m.weight.eq(0).float().mean().item())
""",
    "hostile_edits_of_a_pruned_module": r"""
torch.manual_seed(0)
x = torch.randn(2, 3)
m = nn.Linear(3, 2)
prune.l1_unstructured(m, 'weight', amount=2)
m.weight = nn.Parameter(torch.ones(2, 3))
print([n for n, _ in m.named_parameters()])
show(lambda: m(x))
m = nn.Linear(3, 2)
prune.l1_unstructured(m, 'weight', amount=2)
del m.weight
show(lambda: m.weight)
rec(m(x))
m = nn.Linear(3, 2)
prune.l1_unstructured(m, 'weight', amount=2)
del m.weight
prune.remove(m, 'weight'); rec(m.weight)
m = nn.Linear(3, 2)
prune.l1_unstructured(m, 'weight', amount=2)
del m._buffers['weight_mask']
show(lambda: m(x))
show(lambda: prune.remove(m, 'weight'))
m = nn.Linear(3, 2)
prune.l1_unstructured(m, 'weight', amount=2)
m.weight_mask = torch.zeros(2, 3)
rec(m(x))
m.weight_mask = torch.zeros(3, 3)
show(lambda: m(x))
m = nn.Linear(3, 2)
prune.l1_unstructured(m, 'weight', amount=2)
m.weight_orig = nn.Parameter(torch.full((2, 3), 2.0))
rec(m(x))
show(lambda: prune.l1_unstructured(m, 'weight_orig', amount=2))
print([n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()])
m = nn.Linear(3, 2)
prune.l1_unstructured(m, 'weight', amount=2)
show(lambda: prune.l1_unstructured(m, 'weight_mask', amount=2))
m = nn.Linear(3, 2)
h = prune.L1Unstructured.apply(m, 'weight', amount=2)
print(type(h).__name__, h._tensor_name)
h2 = prune.L1Unstructured.apply(m, 'bias', 1)
h3 = prune.LnStructured.apply(m, 'weight', 1, 2, 0)
print(type(h3).__name__, len(h3), h3[0] is h)
h.remove(m)
print([n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()], len(m._forward_pre_hooks))
show(lambda: prune.remove(m, 'weight'))
show(lambda: m(x))
""",
    "pruned_attention_and_recurrent_layers": r"""
torch.manual_seed(0)
mha = nn.MultiheadAttention(8, 2, batch_first=True)
prune.l1_unstructured(mha, 'in_proj_weight', amount=0.3)
prune.ln_structured(mha.out_proj, 'weight', amount=2, n=2, dim=0)
x = torch.randn(2, 5, 8)
o, w = mha(x, x, x)
rec(o, w)
mha.eval()
with torch.no_grad():
    o2, _ = mha(x, x, x)
rec(o2)
enc = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
for name, module in enc.named_modules():
    if isinstance(module, nn.Linear):
        prune.l1_unstructured(module, 'weight', amount=0.5)
rec(enc(x))
enc.eval()
with torch.no_grad():
    rec(enc(x))
print(sorted(k for k in enc.state_dict().keys()))

torch.manual_seed(0)
ct = nn.ConvTranspose2d(3, 5, 3)
prune.ln_structured(ct, 'weight', amount=2, n=1, dim=1)
rec(ct.weight_mask.sum(dim=(0, 2, 3)), ct(torch.randn(1, 3, 4, 4)))
c = nn.Conv2d(2, 4, 3, padding=1, padding_mode='circular', groups=2)
prune.random_structured(c, 'weight', amount=0.5, dim=0)
rec(c.weight_mask, c(torch.randn(1, 2, 4, 4)))
e = nn.Embedding(6, 3, max_norm=1.0)
prune.l1_unstructured(e, 'weight', amount=0.5)
show(lambda: rec(e(torch.tensor([0, 1, 2]))))
rec(e.weight_orig)
g = nn.GRU(3, 4, num_layers=2)
prune.l1_unstructured(g, 'weight_ih_l1', amount=0.5)
out, h = g(torch.randn(5, 1, 3))
rec(out, h)
print([n for n, _ in g.named_parameters()])
print(len(g._flat_weights), g._flat_weights_names)
prune.remove(g, 'weight_ih_l1')
out, h = g(torch.randn(5, 1, 3))
rec(out)
""",
    "fuse_orthogonal_spectral_on_pruned": r"""
from torch.nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval
from torch.nn.utils.parametrizations import orthogonal, spectral_norm
import torch.nn.utils.parametrize as parametrize
torch.manual_seed(0)
conv = nn.Conv2d(2, 4, 3).eval(); bn = nn.BatchNorm2d(4).eval()
bn.running_mean.uniform_(-1, 1); bn.running_var.uniform_(0.5, 2)
prune.ln_structured(conv, 'weight', amount=2, n=2, dim=0)
show(lambda: fuse_conv_bn_eval(conv, bn))
with torch.no_grad(): conv(torch.randn(1, 2, 5, 5))
show(lambda: fuse_conv_bn_eval(conv, bn))
prune.remove(conv, 'weight')
f = fuse_conv_bn_eval(conv, bn)
x = torch.randn(1, 2, 5, 5)
rec(f(x), bn(conv(x)))
lin = nn.Linear(4, 4)
orthogonal(lin)
prune.l1_unstructured(lin.parametrizations.weight, 'original', amount=4)
rec(lin.weight, lin(torch.randn(2, 4)))
with parametrize.cached():
    rec(lin.weight)
sn = spectral_norm(nn.Linear(5, 3))
prune.l1_unstructured(sn.parametrizations.weight, 'original', amount=5)
sn.train()
rec(sn(torch.randn(2, 5)), sn.weight)
print(list(sn.state_dict().keys()))
""",
    "pruned_compile_and_vectors": r"""
torch.manual_seed(0)
m = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
prune.l1_unstructured(m[0], 'weight', amount=0.5)
cm = torch.compile(m)
x = torch.randn(3, 4)
rec(cm(x), m(x))
print(type(cm).__name__, list(cm.state_dict().keys()))
prune.remove(m[0], 'weight')
rec(cm(x))

torch.manual_seed(0)
m = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 2))
prune.l1_unstructured(m[0], 'weight', amount=4)
v = nn.utils.parameters_to_vector(m.parameters())
print(v.shape)
nn.utils.vector_to_parameters(v * 0 + 1, m.parameters())
rec(m[0].weight_orig, m[0].weight)
m(torch.randn(1, 3))
rec(m[0].weight)
print(nn.utils.clip_grad_norm_(m.parameters(), 1.0))
m(torch.randn(2, 3)).sum().backward()
rec(nn.utils.clip_grad_norm_(m.parameters(), 0.5), m[0].weight_orig.grad)
""",
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_model_surgery_as_torch(name):
    check_program(PROGRAMS[name])

import torch
import torch.nn as nn

torch.manual_seed(0)
G = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
D = nn.Sequential(nn.Linear(2, 4), nn.LeakyReLU(0.2), nn.Linear(4, 1))
oG = torch.optim.Adam(G.parameters())
oD = torch.optim.Adam(D.parameters())
crit = nn.BCEWithLogitsLoss()
fake = G(torch.randn(3, 2))
out = D(fake)
lossD = crit(out, torch.zeros(3, 1))
lossG = crit(out, torch.ones(3, 1))
oD.zero_grad()
lossD.backward(retain_graph=True)
oD.step()
try:
    oG.zero_grad()
    lossG.backward()
    oG.step()
    print("no error")
except RuntimeError as e:
    print("RuntimeError", "inplace" in str(e))
# SGD without momentum: same
D2 = nn.Linear(2, 1)
o2 = torch.optim.SGD(D2.parameters(), lr=0.1)
x = torch.randn(3, 2, requires_grad=True)
y = D2(x).sum()
y.backward(retain_graph=True)
o2.step()
try:
    y.backward()
    print("no error 2")
except RuntimeError:
    print("RuntimeError2")
# ok pattern: zero_grad only (no param change)
y3 = D2(x).sum()
y3.backward(retain_graph=True)
o2.zero_grad()
y3.backward()
print("fine", x.grad.shape)
# modifying input after use
a = torch.randn(3, requires_grad=True)
b = a * 2
c = b.exp()
b.add_(1)
try:
    c.sum().backward()
    print("no error 3")
except RuntimeError:
    print("RuntimeError3")
# param.data modification is not tracked
w = nn.Linear(2, 1)
z = w(torch.ones(1, 2)).sum()
w.weight.data.mul_(2)
z.backward()
print("data ok", w.weight.grad)
# BN running stats update does not break backward
bn = nn.BatchNorm1d(2)
h = bn(torch.randn(4, 2))
h2 = bn(torch.randn(4, 2))
(h.sum() + h2.sum()).backward()
print("bn ok", bn.num_batches_tracked)
# weight tying modified by optimizer between two backward passes
emb = nn.Embedding(5, 2)
lin = nn.Linear(2, 5)
lin.weight = emb.weight
opt = torch.optim.SGD(list(emb.parameters()) + [lin.bias], lr=0.1)
out = lin(emb(torch.tensor([1, 2])))
loss1 = out.sum()
loss2 = (out**2).sum()
loss1.backward(retain_graph=True)
opt.step()
try:
    loss2.backward()
    print("no error 4")
except RuntimeError:
    print("RuntimeError4")

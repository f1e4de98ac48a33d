import torch
import torch.nn.functional as F

N = torch.zeros((3, 5), dtype=torch.int32)
N[0, 1] += 1
N[1, 2] = N[1, 2] + 3
N[2] += 2
print(N, N.dtype, N[1, 2], N[1, 2].item())
P = N.float()
print(P.sum(1, keepdim=True), P.sum(1), P.sum(1).shape, P.sum(1, keepdim=True).shape)
P2 = (N + 1).float()
Pk = P2 / P2.sum(1, keepdim=True)
Pb = torch.ones(5, 5) / torch.ones(5, 5).sum(1)
print(Pk, Pk[0].sum(), Pb.sum(1))
x = torch.arange(12).view(3, 4).float()
print(x / x.sum(1, keepdims=True), x.T / x.sum(1))
try:
    print(Pk / Pk.sum(1))
except RuntimeError as e:
    print("RuntimeError", isinstance(e, RuntimeError))
logits = torch.tensor([-2.0, -3.0, 0.0, 5.0])
counts = logits.exp()
probs = counts / counts.sum()
print(probs)
logits = torch.tensor([-100.0, -3.0, 0.0, 100.0])
counts = logits.exp()
probs = counts / counts.sum()
print(counts, probs)
print(
    F.cross_entropy(logits.view(1, -1), torch.tensor([3])),
    F.cross_entropy(logits.view(1, -1), torch.tensor([0])),
)
print(F.cross_entropy(logits, torch.tensor(3)), F.softmax(logits, 0))
logits = torch.tensor([[1000.0, 0.0], [0.0, 1000.0]], requires_grad=True)
loss = F.cross_entropy(logits, torch.tensor([1, 1]))
loss.backward()
print(loss, logits.grad)

g = torch.Generator().manual_seed(2147483647)
print(torch.rand(3, generator=g), torch.randn(2, 3, generator=g), torch.randint(0, 27, (5,), generator=g))
print(
    torch.randint(10, (4,), generator=g),
    torch.randperm(6, generator=g),
    torch.normal(0.0, 1.0, (3,), generator=g),
)
print(torch.multinomial(torch.tensor([0.1, 0.0, 0.9]), 5, replacement=True, generator=g))
print(torch.multinomial(torch.tensor([1.0, 2.0, 3.0, 4.0]), 3, replacement=False, generator=g))
print(torch.multinomial(torch.tensor([[1.0, 2.0], [3.0, 0.0]]), 2, replacement=True, generator=g))
print(torch.multinomial(torch.tensor([1, 2, 3], dtype=torch.float64), 4, True, generator=g))
print(g.initial_seed(), g.get_state().shape, g.get_state().dtype)
s = g.get_state()
a = torch.randn(3, generator=g)
g.set_state(s)
b = torch.randn(3, generator=g)
print(torch.equal(a, b))
g2 = torch.Generator().manual_seed(42)
print(torch.randn((27, 2), generator=g2)[:3])
for bad in [
    torch.tensor([0.0, 0.0]),
    torch.tensor([-1.0, 2.0]),
    torch.tensor([float("nan"), 1.0]),
    torch.tensor([float("inf"), 1.0]),
]:
    try:
        print(torch.multinomial(bad, 1, generator=g))
    except RuntimeError as e:
        print("RuntimeError", isinstance(e, RuntimeError))
try:
    torch.multinomial(torch.tensor([1.0, 2.0]), 3, replacement=False)
except RuntimeError as e:
    print("RuntimeError", isinstance(e, RuntimeError))
try:
    torch.multinomial(torch.tensor([1, 2]), 1)
except RuntimeError as e:
    print("RuntimeError", isinstance(e, RuntimeError))
try:
    F.one_hot(torch.tensor([1.0, 2.0]), 3)
except RuntimeError as e:
    print("RuntimeError", isinstance(e, RuntimeError))
try:
    F.one_hot(torch.tensor([1, 5]), 3)
except RuntimeError as e:
    print("RuntimeError", isinstance(e, RuntimeError))
try:
    F.one_hot(torch.tensor([1, -1]), 3)
except RuntimeError as e:
    print("RuntimeError", isinstance(e, RuntimeError))
print(
    F.one_hot(torch.tensor([[0, 2], [1, 1]])),
    F.one_hot(torch.tensor(2), 4),
    F.one_hot(torch.tensor([3, 0]), -1),
)
xenc = F.one_hot(torch.tensor([0, 5, 13]), num_classes=27)
print(xenc.dtype, xenc.shape)
W = torch.randn((27, 27), generator=torch.Generator().manual_seed(2147483647))
try:
    print((xenc @ W).shape)
except RuntimeError as e:
    print("RuntimeError", isinstance(e, RuntimeError))
print((xenc.float() @ W)[:, :3])
W.requires_grad = True
try:
    W.data += W.grad
except TypeError as e:
    print("TypeError", isinstance(e, TypeError))
try:
    W += 1
except RuntimeError as e:
    print("RuntimeError", isinstance(e, RuntimeError))
with torch.no_grad():
    W += 0.0
print(W.requires_grad, W.is_leaf, W.grad)
C = torch.randn((27, 2), generator=torch.Generator().manual_seed(1))
X = torch.tensor([[0, 0, 5], [0, 5, 13]])
print(C[X].shape, C[X], C[5], C[[5, 6, 7]], C[torch.tensor([5, 6, 7, 7, 7])])
try:
    C[torch.tensor([27])]
except IndexError as e:
    print("IndexError", isinstance(e, IndexError))
try:
    C[X.float()]
except IndexError as e:
    print("IndexError", isinstance(e, IndexError))
emb = C[X]
try:
    emb.view(-1, 4)
except RuntimeError as e:
    print("RuntimeError", isinstance(e, RuntimeError))
print(emb.view(-1, 6), emb.view(2, 6).is_contiguous(), emb.view(-1).shape)
try:
    torch.randn(3, 4).T.view(-1)
except RuntimeError as e:
    print("RuntimeError", isinstance(e, RuntimeError))
print(torch.cat(torch.unbind(emb, 1), 1), torch.unbind(emb, 1)[0].shape)
h = torch.tanh(emb.view(-1, 6) @ torch.ones(6, 4))
print(h, (h.abs() > 0.99).sum(), h.tolist())
print(torch.linspace(-3, 0, 5), 10 ** torch.linspace(-3, 0, 5), torch.linspace(0.001, 1, 4))
print(torch.randint(0, 5, (2, 3)).dtype, torch.randint(0, X.shape[0], (4,)).shape)
print(torch.tensor([1, 2, 3]).nelement(), torch.tensor([[1.0]]).item())
lossi = [torch.tensor(2.0).log10().item(), 0.5]
print(torch.tensor(lossi).view(-1, 2).mean(1))
print(torch.tensor(lossi))

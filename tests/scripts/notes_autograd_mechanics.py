"""PyTorch's "Autograd mechanics" note: requires_grad, no_grad / inference_mode / set_grad_enabled,
the in-place correctness checks and version counters, backward from several threads, saved tensors
and their hooks, is_leaf, and the common backward errors."""

import torch, threading
import torch.nn as nn


def case(name, fn):
    try:
        r = fn()
        print(name, "->", r)
    except Exception as e:
        print(name, "!!", type(e).__name__)


# autograd mechanics
x = torch.randn(5, 5)
y = torch.randn(5, 5)
z = torch.randn((5, 5), requires_grad=True)
a = x + y
print(a.requires_grad)
b = a + z
print(b.requires_grad)
x = torch.ones(2, 2, requires_grad=True)
with torch.no_grad():
    y = x * 2
print(y.requires_grad)


@torch.no_grad()
def doubler(x):
    return x * 2


print(doubler(x).requires_grad)
with torch.inference_mode():
    y = x * 2
print(y.requires_grad, y.is_inference())
case("inf_backward", lambda: (y * x).sum().backward())
case("inf_inplace", lambda: y.add_(1))
with torch.enable_grad():
    with torch.no_grad():
        print(torch.is_grad_enabled())
print(torch.is_grad_enabled())
torch.set_grad_enabled(False)
print((x * 2).requires_grad)
torch.set_grad_enabled(True)
with torch.set_grad_enabled(False):
    print((x * 2).requires_grad)
print(torch.is_inference_mode_enabled())
with torch.inference_mode(mode=False):
    print((x * 2).requires_grad)


@torch.inference_mode()
def f(x):
    return x * 3


print(f(x).requires_grad, f(x).is_inference())
# in-place correctness
a = torch.randn(3, requires_grad=True)
b = a.sigmoid()
b.mul_(2)
case("sigmoid inplace", lambda: b.sum().backward())
a = torch.randn(3, requires_grad=True)
b = a.exp()
c = b * 2
b.add_(1)
case("exp inplace", lambda: c.sum().backward())
a = torch.randn(3, requires_grad=True)
b = a * 1
print(b._version)
b.add_(1)
print(b._version)
b[0] = 3
print(b._version)
# leaf in-place
case("leaf inplace", lambda: torch.ones(2, requires_grad=True).add_(1))


# multithreading
def train_fn():
    x = torch.ones(5, 5, requires_grad=True)
    y = (x + 3) * (x + 4) * 0.5
    y.sum().backward()
    res.append(x.grad.sum().item())


res = []
ts = [threading.Thread(target=train_fn) for _ in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(res)
# shared graph concurrency
x = torch.ones(5, 5, requires_grad=True)
y = (x + 3) * (x + 4) * 0.5


def tf():
    y.sum().backward(retain_graph=True)


ts = [threading.Thread(target=tf) for _ in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(x.grad[0])
# saved tensors hooks
x = torch.randn(3, requires_grad=True)
y = x.pow(2)
print(y.grad_fn._saved_self.equal(x), x is y.grad_fn._saved_self)
y = x.exp()
print(y.grad_fn._saved_result.equal(y))


def pack(t):
    print("pack", t.shape)
    return t


def unpack(t):
    print("unpack", t.shape)
    return t


with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
    y = x * x
y.sum().backward()
a = torch.randn(5, requires_grad=True)
y = a * a
y.sum().backward()
print(a.grad.shape)
# requires_grad_ on module
m = nn.Linear(2, 2)
m.requires_grad_(False)
print([p.requires_grad for p in m.parameters()])
# retain_grad, is_leaf
a = torch.rand(10, requires_grad=True)
print(a.is_leaf)
b = torch.rand(10, requires_grad=True).double()
print(b.is_leaf)
c = torch.rand(10).requires_grad_()
print(c.is_leaf)
d = torch.rand(10) + 1
print(d.is_leaf)
e = torch.rand(10).detach().requires_grad_()
print(e.is_leaf)
x = torch.ones(2, requires_grad=True)
case("backward nonscalar", lambda: (x * 2).backward())
case("backward no grad", lambda: torch.ones(2).sum().backward())
case("grad twice", lambda: [(l := (x * x).sum()).backward(), l.backward()])
case(
    "autograd.grad unused", lambda: torch.autograd.grad((x * 2).sum(), [x, torch.ones(2, requires_grad=True)])
)
print(torch.autograd.grad((x * 2).sum(), [x, torch.ones(2, requires_grad=True)], allow_unused=True))
print(
    torch.autograd.grad(
        (x * 2).sum(), [x, torch.ones(2, requires_grad=True)], allow_unused=True, materialize_grads=True
    )
)


# the note's saved_tensors_hooks example: what is packed and unpacked, in torch's order
def pack_hook(x):
    print("Packing", x)
    return x


def unpack_hook(x):
    print("Unpacking", x)
    return x


a = torch.ones(5, requires_grad=True)
b = torch.ones(5, requires_grad=True) * 2
with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
    y = a * b
y.sum().backward()
b = torch.ones(5, requires_grad=True) * 2
with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
    y = a / b
y.sum().backward()

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
model = nn.Sequential(
    nn.Linear(4, 8),
    nn.ReLU(),
    nn.Linear(8, 8),
    nn.ReLU(),
    nn.Linear(8, 2),
)
activations = {}


def get_activation(name):
    def hook(model, input, output):
        activations[name] = output.detach()

    return hook


handles = []
for name, module in model.named_modules():
    if isinstance(module, nn.ReLU):
        handles.append(module.register_forward_hook(get_activation(name)))
x = torch.randn(3, 4)
out = model(x)
print(sorted(activations), activations["1"].shape, (activations["3"] > 0).float().mean())
for h in handles:
    h.remove()
activations.clear()
model(x)
print(activations)


def pre_hook(module, args):
    print("pre", type(module).__name__, args[0].shape)
    return (args[0] * 2,)


h = model[0].register_forward_pre_hook(pre_hook)
print(torch.allclose(model(x), model(x / 2) * 0 + model(x)))
h.remove()
grads = {}


def save_grad(name):
    def hook(grad):
        grads[name] = grad.clone()

    return hook


x = torch.randn(3, 4, requires_grad=True)
h1 = model[0](x)
h1.register_hook(save_grad("h1"))
a1 = F.relu(h1)
a1.retain_grad()
loss = model[2:](a1).pow(2).sum()
loss.backward()
print(grads["h1"].shape, torch.allclose(grads["h1"], a1.grad * (h1 > 0)))
print(a1.is_leaf, a1.retains_grad, h1.grad is None)
w = torch.ones(3, requires_grad=True)
w.register_hook(lambda g: g * 10)
(w * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
print(w.grad)
bw = []


def full_backward_hook(module, grad_input, grad_output):
    bw.append(
        (
            type(module).__name__,
            [None if g is None else tuple(g.shape) for g in grad_input],
            [tuple(g.shape) for g in grad_output],
        )
    )


lin = nn.Linear(4, 2)
lin.register_full_backward_hook(full_backward_hook)
inp = torch.randn(5, 4, requires_grad=True)
lin(inp).sum().backward()
print(bw)
# gradient clipping via hooks on parameters
for p in model.parameters():
    p.register_hook(lambda grad: torch.clamp(grad, -0.1, 0.1))
model.zero_grad()
model(torch.randn(6, 4)).pow(2).sum().mul(100).backward()
print(max(p.grad.abs().max().item() for p in model.parameters()))


# forward hook that changes the output
def double_out(module, inp, out):
    return out * 2


lin2 = nn.Linear(2, 2)
before = lin2(torch.ones(1, 2))
hd = lin2.register_forward_hook(double_out)
print(torch.allclose(lin2(torch.ones(1, 2)), before * 2))
hd.remove()
print(torch.allclose(lin2(torch.ones(1, 2)), before))
# state_dict hooks / named buffers
bn = nn.BatchNorm1d(3)
print([n for n, _ in bn.named_buffers()], [n for n, _ in model.named_children()])
print(list(dict(model.named_parameters()).keys()))

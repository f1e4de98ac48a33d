import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call

torch.manual_seed(0)
net = nn.Sequential(
    nn.Conv2d(1, 4, 3, padding=1),
    nn.BatchNorm2d(4, track_running_stats=False),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(4 * 4 * 4, 3),
)
meta_opt = torch.optim.Adam(net.parameters(), lr=1e-3)
for it in range(2):
    meta_opt.zero_grad()
    total = 0.0
    for task in range(2):
        xs, ys = torch.randn(6, 1, 8, 8), torch.randint(0, 3, (6,))
        xq, yq = torch.randn(6, 1, 8, 8), torch.randint(0, 3, (6,))
        params = dict(net.named_parameters())
        for step in range(2):
            loss = F.cross_entropy(functional_call(net, params, (xs,)), ys)
            grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
            params = {k: v - 0.4 * g for (k, v), g in zip(params.items(), grads)}
        qloss = F.cross_entropy(functional_call(net, params, (xq,)), yq)
        qloss.backward()
        total += qloss.item()
    meta_opt.step()
    print(it, round(total / 2, 5), net[0].weight.grad.norm().item(), net[5].bias.grad)
crit = nn.Sequential(nn.Linear(4, 8), nn.LeakyReLU(0.2), nn.LayerNorm(8), nn.Linear(8, 1))
real, fake = torch.randn(5, 4), torch.randn(5, 4)
alpha = torch.rand(5, 1)
inter = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
out = crit(inter)
g = torch.autograd.grad(out, inter, grad_outputs=torch.ones_like(out), create_graph=True, retain_graph=True)[
    0
]
gp = ((g.norm(2, dim=1) - 1) ** 2).mean()
gp.backward()
print(gp.item(), crit[0].weight.grad.sum().item(), crit[2].weight.grad)

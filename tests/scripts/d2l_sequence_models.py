"""d2l.ai (PyTorch) "Working with Sequences": an autoregressive MLP on a noisy sine, one-step
predictions, multi-step predictions written into a tensor slot by slot (multistep_preds[i] =
net(...), a chain of in-place writes through the graph) and k-step predictions."""

import torch
from torch import nn

torch.manual_seed(0)
T, tau, num_train = 200, 4, 120
time = torch.arange(1, T + 1, dtype=torch.float32)
x = torch.sin(0.01 * time) + torch.randn(T) * 0.2
features = [x[i : T - tau + i] for i in range(tau)]
features = torch.stack(features, 1)
labels = x[tau:].reshape((-1, 1))
print(features.shape, labels.shape)
net = nn.Sequential(nn.Linear(tau, 10), nn.ReLU(), nn.Linear(10, 1))
opt = torch.optim.SGD(net.parameters(), lr=0.01)
loss = nn.MSELoss()
loader = torch.utils.data.DataLoader(
    torch.utils.data.TensorDataset(features[:num_train], labels[:num_train]), 16, shuffle=True
)
for epoch in range(3):
    for X, y in loader:
        opt.zero_grad()
        l = loss(net(X), y)
        l.backward()
        opt.step()
    print(epoch, loss(net(features), labels).item())
onestep_preds = net(features).detach()
print(onestep_preds[:3].reshape(-1))
multistep_preds = torch.zeros(T)
multistep_preds[:] = x
for i in range(num_train + tau, T):
    multistep_preds[i] = net(multistep_preds[i - tau : i].reshape((1, -1)))
print(multistep_preds.grad_fn, multistep_preds[-3:])
print(multistep_preds[num_train + tau :].detach()[:3])
max_steps = 8
feats = []
for i in range(tau):
    feats.append(x[i : i + T - tau - max_steps + 1])
for i in range(max_steps):
    preds = net(torch.stack(feats[i : i + tau], 1))
    feats.append(preds.reshape(-1))
steps = (1, 4, 8)
print([feats[tau + i - 1].detach()[:2] for i in steps])

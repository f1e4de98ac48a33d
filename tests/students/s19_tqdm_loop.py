import torch
from torch import nn
from tqdm import tqdm
from tqdm.auto import tqdm as tqa
torch.manual_seed(0)
X = torch.randn(32, 3); y = X @ torch.tensor([1.0, -2.0, 0.5]) + 0.1
model = nn.Linear(3, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
losses = []
for epoch in tqdm(range(20), disable=True):
    pred = model(X).squeeze()
    loss = nn.functional.mse_loss(pred, y)
    opt.zero_grad(); loss.backward(); opt.step()
    losses.append(loss)
print(losses[-1])
torch.tensor(losses)
torch.stack(losses)
torch.tensor([l.item() for l in losses])[:3]
import numpy as np
np.array(losses)
np.array([l.item() for l in losses])[-1]
import matplotlib.pyplot as plt
plt.plot(losses)
plt.plot(torch.tensor([l.item() for l in losses]))
loss_hist = []
for epoch in range(3):
    loss = nn.functional.mse_loss(model(X).squeeze(), y)
    loss_hist.append(loss.detach())
print(sum(loss_hist) / len(loss_hist))
print(np.mean(loss_hist))
print(np.mean([l.item() for l in loss_hist]))
pbar = tqdm(range(2), disable=True)
for i in pbar: pbar.set_postfix(loss=loss.item())
pbar.set_postfix(loss=loss)
pbar.set_description(f"loss {loss:.3f}")
nn.functional.mse_loss(model(X), y)
print(model.weight.data, model.bias.item())
torch.save(model.state_dict(), 'm.pt')
m2 = nn.Linear(3, 1)
print(m2.load_state_dict(torch.load('m.pt')))
m2.load_state_dict({'weight': torch.zeros(1, 3)})
m2.load_state_dict({'weight': torch.zeros(2, 3), 'bias': torch.zeros(1)})

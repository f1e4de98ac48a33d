import copy
import os
import random
import tempfile

import numpy as np
import torch
import torch.nn as nn


def set_seed(seed=42):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    os.environ["PYTHONHASHSEED"] = str(seed)


set_seed(42)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(f"Using {device} device", device.type, torch.cuda.device_count())
X_np = np.random.rand(100, 3)
y_np = (X_np @ np.array([1.0, -2.0, 0.5]) + 0.3).reshape(-1, 1)
X = torch.from_numpy(X_np).float().to(device)
y = torch.tensor(y_np, dtype=torch.float32, device=device)
print(
    X.dtype, torch.from_numpy(X_np).dtype, torch.as_tensor(X_np[:2]).dtype, torch.tensor(np.arange(3)).dtype
)
print(torch.tensor(np.float32(2.5)), torch.tensor(np.int64(3)) + 1, torch.tensor([np.float64(1.5)]).dtype)
shared = torch.from_numpy(X_np)
X_np[0, 0] = 100.0
print(shared[0, 0].item(), X[0, 0].item() != 100.0)
arr = torch.ones(3).numpy()
arr[0] = 5
print(type(arr).__name__, arr.dtype)
t = torch.zeros(2)
n = t.numpy()
t.add_(1)
print(n)
model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1)).to(device)
loss_fn = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(100):
    model.train()
    pred = model(X)
    loss = loss_fn(pred, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if (epoch + 1) % 25 == 0:
        print(f"Epoch [{epoch + 1}/100], Loss: {loss.item():.4f}")
model.eval()
with torch.no_grad():
    preds = model(X).cpu().numpy()
print(preds.shape, preds.dtype, float(np.abs(preds - y_np).mean()) < 1.0)
print(np.round(model[0].weight.detach().cpu().numpy()[:2], 3))
print(
    np.asarray(torch.arange(3)),
    np.array(torch.tensor([1.5, 2.5])).sum(),
    np.mean(torch.tensor([1.0, 3.0]).numpy()),
)
best = copy.deepcopy(model)
with torch.no_grad():
    model[0].weight.fill_(0.0)
print(best[0].weight.abs().sum() > 0, model[0].weight.abs().sum())
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "model.pt")
    torch.save(best, path)
    loaded = torch.load(path, weights_only=False)
    print(type(loaded).__name__, torch.equal(loaded[0].weight, best[0].weight))
    torch.save(best.state_dict(), path)
    sd = torch.load(path, map_location="cpu")
    print(list(sd.keys()), sd["0.weight"].shape)
    torch.save([torch.arange(3), {"a": torch.ones(2)}, 5, "x"], path)
    print(torch.load(path))
model = model.double()
print(model[0].weight.dtype, model(X.double()).dtype)
model.float()
print(next(model.parameters()).dtype, next(model.parameters()).device, next(model.parameters()).is_leaf)


@torch.no_grad()
def evaluate(m, x):
    return m(x)


print(evaluate(best, X[:2]).requires_grad, torch.is_grad_enabled())
with torch.set_grad_enabled(False):
    print(best(X[:1]).requires_grad)
with torch.no_grad():
    with torch.enable_grad():
        print(best(X[:1]).requires_grad)
torch.set_grad_enabled(True)
print(torch.is_tensor(X), torch.is_floating_point(X), torch.numel(X), isinstance(X, torch.Tensor))
print(X.cpu() is X, X.to("cpu") is X, X.to(torch.float32) is X, X.to(torch.float64) is X)
print(np.random.rand(2), random.random())
print(torch.cuda.is_available(), torch.backends.mps.is_available())

import copy
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(0)
X = torch.randn(200, 5)
w = torch.tensor([[1.0], [-2.0], [0.5], [0.0], [3.0]])
y = X @ w + 0.3 * torch.randn(200, 1)
full = TensorDataset(X, y)
train_ds, val_ds = random_split(full, [160, 40], generator=torch.Generator().manual_seed(0))
train_dl = DataLoader(train_ds, batch_size=32, shuffle=True)
val_dl = DataLoader(val_ds, batch_size=64)
model = nn.Sequential(nn.Linear(5, 32), nn.Tanh(), nn.Dropout(0.2), nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=0.05)
sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1)
loss_fn = nn.MSELoss()
best_loss, best_state, best_epoch, patience, bad = float("inf"), None, -1, 3, 0
history = {"train": [], "val": []}
for epoch in range(30):
    model.train()
    running = 0.0
    for xb, yb in train_dl:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        running += loss.item() * len(xb)
    model.eval()
    with torch.no_grad():
        val = sum(loss_fn(model(xb), yb).item() * len(xb) for xb, yb in val_dl) / len(val_ds)
    history["train"].append(running / len(train_ds))
    history["val"].append(val)
    sched.step(val)
    print(
        f"epoch {epoch:2d} train {running / len(train_ds):.4f} val {val:.4f} lr {opt.param_groups[0]['lr']:.5f}"
    )
    if val < best_loss - 1e-4:
        best_loss, best_epoch, bad = val, epoch, 0
        best_state = copy.deepcopy(model.state_dict())
    else:
        bad += 1
        if bad >= patience:
            print("early stop at", epoch)
            break
print("best", best_epoch, round(best_loss, 4))
model.load_state_dict(best_state)
print(model.load_state_dict(best_state))
print(sched.state_dict()["num_bad_epochs"], sched.state_dict()["best"] == min(history["val"]))
print(list(best_state.keys()))
print(best_state["3.bias"])
print(torch.stack([torch.tensor(history["train"]), torch.tensor(history["val"])]).shape)

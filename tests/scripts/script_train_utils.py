import copy
import io
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters

torch.manual_seed(0)
X = torch.randn(200, 5)
w_true = torch.tensor([1.5, -2.0, 0.5, 0.0, 3.0])
y = X @ w_true + 0.1 * torch.randn(200)
X_train, X_val = X[:160], X[160:]
y_train, y_val = y[:160], y[160:]


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)
        print("init", m)


model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 1))
model.apply(init_weights)
print(model[0].bias.sum().item(), model[0].weight.std() > 0)
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=2)


class EarlyStopping:
    def __init__(self, patience=3, min_delta=1e-4):
        self.patience = patience
        self.min_delta = min_delta
        self.best = float("inf")
        self.counter = 0
        self.best_state = None

    def step(self, loss, model):
        if loss < self.best - self.min_delta:
            self.best = loss
            self.counter = 0
            self.best_state = copy.deepcopy(model.state_dict())
            return False
        self.counter += 1
        return self.counter >= self.patience


stopper = EarlyStopping(patience=4)
for epoch in range(40):
    model.train()
    perm = torch.randperm(160)
    for i in range(0, 160, 32):
        idx = perm[i : i + 32]
        optimizer.zero_grad()
        loss = F.mse_loss(model(X_train[idx]).squeeze(-1), y_train[idx])
        loss.backward()
        total_norm = clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
    model.eval()
    with torch.no_grad():
        val_loss = F.mse_loss(model(X_val).squeeze(1), y_val).item()
    scheduler.step(val_loss)
    if epoch % 5 == 0:
        print(
            f"epoch {epoch:2d} val {val_loss:.4f} norm {total_norm:.3f} lr {optimizer.param_groups[0]['lr']}"
        )
    if stopper.step(val_loss, model):
        print("early stop at", epoch)
        break
print(round(stopper.best, 4), scheduler.get_last_lr())
model.load_state_dict(stopper.best_state)
vec = parameters_to_vector(model.parameters())
print(vec.shape, vec.requires_grad)
vector_to_parameters(torch.zeros_like(vec), model.parameters())
print(model[2].weight.abs().sum().item())
vector_to_parameters(vec, model.parameters())
# clip by value
loss = F.mse_loss(model(X_train).squeeze(-1), y_train)
optimizer.zero_grad()
loss.backward()
clip_grad_value_(model.parameters(), clip_value=0.01)
print(max(p.grad.abs().max().item() for p in model.parameters()) <= 0.01)
# checkpoint round trip in memory
buf = io.BytesIO()
torch.save(
    {
        "epoch": epoch,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
        "loss": loss,
    },
    buf,
)
buf.seek(0)
ckpt = torch.load(buf, weights_only=False)
model2 = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 1))
opt2 = torch.optim.Adam(model2.parameters(), lr=0.1)
model2.load_state_dict(ckpt["model_state_dict"])
opt2.load_state_dict(ckpt["optimizer_state_dict"])
print(ckpt["epoch"], ckpt["loss"], opt2.param_groups[0]["lr"], sorted(opt2.state_dict()["state"][0].keys()))
print(opt2.state_dict()["param_groups"])
with torch.inference_mode():
    p1 = model(X_val)
    p2 = model2(X_val)
print(torch.equal(p1, p2), p1.requires_grad, p1.is_inference())
# OneCycleLR
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
lrs = []
for _ in range(10):
    opt.step()
    lrs.append(round(sched.get_last_lr()[0], 5))
    sched.step()
print(lrs)
print(opt.param_groups[0]["momentum"])
for name, fn in [
    ("kaiming", nn.init.kaiming_normal_),
    ("orthogonal", nn.init.orthogonal_),
    ("normal", nn.init.normal_),
]:
    torch.manual_seed(1)
    w = torch.empty(4, 4)
    fn(w)
    print(name, w[0])
print(
    nn.init.calculate_gain("relu"), nn.init.calculate_gain("leaky_relu", 0.2), nn.init.calculate_gain("tanh")
)
w = torch.empty(3, 5)
nn.init.constant_(w, 0.3)
nn.init.uniform_(w, -0.1, 0.1)
print(w.min() >= -0.1, nn.init.trunc_normal_(torch.empty(1000), std=1.0, a=-2.0, b=2.0).abs().max() <= 2)

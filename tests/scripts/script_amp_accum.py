import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"
model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3)).to(device)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
scaler = torch.amp.GradScaler("cuda", enabled=(device == "cuda"))
X = torch.randn(64, 8)
y = torch.randint(0, 3, (64,))
accum_steps = 4
opt.zero_grad(set_to_none=True)
for i in range(16):
    xb, yb = X[i * 4 : (i + 1) * 4].to(device), y[i * 4 : (i + 1) * 4].to(device)
    with torch.autocast(device_type=device, enabled=(device == "cuda")):
        out = model(xb)
        loss = F.cross_entropy(out, yb) / accum_steps
    scaler.scale(loss).backward()
    if (i + 1) % accum_steps == 0:
        scaler.unscale_(opt)
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        scaler.step(opt)
        scaler.update()
        opt.zero_grad(set_to_none=True)
        print(i, round(loss.item() * accum_steps, 4), scaler.get_scale() if scaler.is_enabled() else None)
with torch.autocast("cpu", enabled=False):
    print(model(X[:2]).dtype)
big = model(X)
full_loss = F.cross_entropy(big, y)
model.zero_grad()
full_loss.backward()
g_full = [p.grad.clone() for p in model.parameters()]
model.zero_grad()
for xb, yb in zip(X.split(16), y.split(16)):
    (F.cross_entropy(model(xb), yb) / 4).backward()
print(all(torch.allclose(a, p.grad, atol=1e-6) for a, p in zip(g_full, model.parameters())))
print(torch.cuda.is_available(), torch.get_default_dtype())

import io
import os
import random
import tempfile
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def set_seed(seed=42):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    os.environ["PYTHONHASHSEED"] = str(seed)


set_seed()
device = torch.device(
    "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
)
print(device, device.type, torch.cuda.device_count())
torch.use_deterministic_algorithms(True)
print(torch.are_deterministic_algorithms_enabled())
X_np = np.random.randn(64, 3)
y_np = (X_np.sum(1) > 0).astype(np.int64)
X = torch.from_numpy(X_np).float().to(device)
y = torch.from_numpy(y_np).to(device)
print(X.dtype, y.dtype, torch.tensor(X_np).dtype, torch.as_tensor(y_np).dtype)
model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2)).to(device)
print(next(model.parameters()).device, next(model.parameters()).is_cuda)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(1, 4):
    opt.zero_grad()
    loss = F.cross_entropy(model(X), y)
    loss.backward()
    opt.step()
    print("Epoch [{}/{}], Loss: {:.4f}".format(epoch, 3, loss.item()))  # noqa: UP032
ckpt = {
    "epoch": 3,
    "model_state_dict": model.state_dict(),
    "optimizer_state_dict": opt.state_dict(),
    "loss": loss,
}
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "ckpt.pth")
    torch.save(ckpt, path)
    model2 = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
    opt2 = torch.optim.SGD(model2.parameters(), lr=0.5)
    c = torch.load(path, map_location="cpu")
    model2.load_state_dict(c["model_state_dict"])
    opt2.load_state_dict(c["optimizer_state_dict"])
    print(c["epoch"], c["loss"], opt2.param_groups[0]["lr"])
    torch.save(model, os.path.join(d, "full.pt"))
    m3 = torch.load(os.path.join(d, "full.pt"), weights_only=False)
    print(m3)
    print(torch.equal(m3[0].weight, model[0].weight))
buf = io.BytesIO()
torch.save({"w": torch.arange(3), "lst": [torch.ones(2), 5, "s"]}, buf)
buf.seek(0)
print(torch.load(buf))
print(opt.state_dict())
with torch.no_grad():
    pred = model(X).argmax(1).cpu().numpy()
print(type(pred).__name__, pred.dtype, (pred == y_np).mean())
print(X.detach().cpu().numpy().shape, loss.detach().item() > 0)
print(isinstance(torch.__version__, str))
print(torch.get_default_dtype(), torch.is_tensor(X), torch.is_floating_point(y), torch.numel(X))
torch.set_default_dtype(torch.float64)
print(torch.tensor([1.0]).dtype, nn.Linear(1, 1).weight.dtype, torch.zeros(1).dtype, torch.arange(3.0).dtype)
torch.set_default_dtype(torch.float32)
print(torch.get_num_threads() > 0)
torch.use_deterministic_algorithms(False)

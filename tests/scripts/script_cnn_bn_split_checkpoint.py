import io
import torch
import torch.nn as nn
from torch.utils.data import TensorDataset, DataLoader, random_split

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, kernel_size=3, stride=1, padding="same"),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Dropout2d(0.25),
            nn.AdaptiveAvgPool2d((1, 1)),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(16, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


model = Net()
print(model)
for m in model.modules():
    if isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
        nn.init.constant_(m.weight, 1)
        nn.init.constant_(m.bias, 0)
    elif isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, 0, 0.01)
        nn.init.constant_(m.bias, 0)
print(sum(p.numel() for p in model.parameters() if p.requires_grad))
X = torch.randn(64, 1, 28, 28)
y = torch.randint(0, 10, (64,))
ds = TensorDataset(X, y)
train_ds, val_ds = random_split(ds, [48, 16], generator=torch.Generator().manual_seed(42))
print(len(train_ds), len(val_ds), train_ds.indices[:5])
train_dl = DataLoader(train_ds, batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(1))
val_dl = DataLoader(val_ds, batch_size=8)
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
crit = nn.CrossEntropyLoss()
for epoch in range(2):
    model.train()
    running = 0.0
    for xb, yb in train_dl:
        opt.zero_grad()
        out = model(xb)
        loss = crit(out, yb)
        loss.backward()
        n = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        opt.step()
        running += loss.item() * xb.size(0)
    model.eval()
    correct = 0
    with torch.no_grad():
        for xb, yb in val_dl:
            pred = model(xb).argmax(dim=1, keepdim=True)
            correct += pred.eq(yb.view_as(pred)).sum().item()
    print(f"epoch {epoch} loss {running / len(train_ds):.4f} acc {correct}/{len(val_ds)} norm {n:.4f}")
bn = model.features[1]
print(bn.running_mean, bn.running_var, bn.num_batches_tracked)
sd = model.state_dict()
print(list(sd.keys()))
buf = io.BytesIO()
torch.save({"model": sd, "opt": opt.state_dict(), "epoch": 2}, buf)
buf.seek(0)
ck = torch.load(buf)
m2 = Net()
print(m2.load_state_dict(ck["model"]))
m2.eval()
print(torch.allclose(m2(X[:4]), model(X[:4])))
r = m2.load_state_dict({k: v for k, v in ck["model"].items() if "classifier" not in k}, strict=False)
print(r.missing_keys, r.unexpected_keys)
print(r)
print(ck["opt"]["param_groups"])
print(ck["epoch"], type(ck["opt"]["state"][0]["momentum_buffer"]))

import torch
import torch.nn as nn
from torch.optim.lr_scheduler import OneCycleLR, CosineAnnealingLR
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(42)
X = torch.randn(96, 3, 16, 16)
y = torch.randint(0, 4, (96,))
X[y == 1, 0] += 1.0
X[y == 2, 1] -= 1.0
ds = TensorDataset(X, y)
dl = DataLoader(ds, batch_size=16, shuffle=True, drop_last=True)
print(len(dl), len(ds))


def conv_bn(ci, co):
    return nn.Sequential(
        nn.Conv2d(ci, co, 3, padding=1, bias=False), nn.BatchNorm2d(co), nn.ReLU(inplace=True)
    )


class SmallNet(nn.Module):
    def __init__(self, n=4):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(3, 8), nn.MaxPool2d(2), conv_bn(8, 16), nn.MaxPool2d(2), nn.Dropout2d(0.1)
        )
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Dropout(0.3), nn.Linear(16, n)
        )

    def forward(self, x):
        return self.head(self.features(x))


model = SmallNet()
print(model)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
sched = OneCycleLR(opt, max_lr=0.1, epochs=3, steps_per_epoch=len(dl))
crit = nn.CrossEntropyLoss()
for epoch in range(3):
    model.train()
    tot, correct, n = 0.0, 0, 0
    for xb, yb in dl:
        opt.zero_grad(set_to_none=True)
        out = model(xb)
        loss = crit(out, yb)
        loss.backward()
        opt.step()
        sched.step()
        tot += loss.item() * xb.size(0)
        correct += (out.argmax(1) == yb).sum().item()
        n += xb.size(0)
    print(f"epoch {epoch} loss {tot / n:.4f} acc {correct / n:.3f} lr {sched.get_last_lr()[0]:.6f}")
    print("momentum", round(opt.param_groups[0]["momentum"], 5))
model.eval()
with torch.no_grad():
    logits = model(X[:5])
print(logits.softmax(-1))
print(model.features[0][1].running_mean)
print(model.features[0][1].num_batches_tracked)
sd = sched.state_dict()
print(sorted(sd.keys()))
print(sd["total_steps"], sd["last_epoch"], sd["_step_count"])

opt2 = torch.optim.Adam(model.parameters(), lr=1e-3)
cos = CosineAnnealingLR(opt2, T_max=5, eta_min=1e-5)
lrs = []
for i in range(7):
    opt2.step()
    cos.step()
    lrs.append(round(cos.get_last_lr()[0], 8))
print(lrs)

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(42)


class SmallCNN(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1, bias=False),
            nn.BatchNorm2d(8),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d((2, 2)),
        )
        self.fc = nn.Linear(16 * 4, num_classes)

    def forward(self, x):
        x = self.features(x)
        x = x.view(x.size(0), -1)
        return self.fc(x)


model = SmallCNN()
x = torch.randn(20, 1, 12, 12)
y = torch.randint(0, 3, (20,))
# "pretrain" a little
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for _ in range(3):
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    opt.step()
# freeze the feature extractor, new head
for param in model.parameters():
    param.requires_grad = False
model.features.requires_grad_(False)
num_ftrs = model.fc.in_features
model.fc = nn.Linear(num_ftrs, 3)
print(model.fc, num_ftrs)
print([n for n, p in model.named_parameters() if p.requires_grad])
trainable = filter(lambda p: p.requires_grad, model.parameters())
opt = torch.optim.SGD(trainable, lr=0.1, momentum=0.9)
before = model.features[0].weight.clone()
model.train()
model.features.eval()
for epoch in range(5):
    opt.zero_grad()
    out = model(x)
    loss = F.cross_entropy(out, y)
    loss.backward()
    opt.step()
    acc = (out.argmax(1) == y).float().mean().item()
    print(f"{epoch}: loss {loss.item():.4f} acc {acc:.2f}")
print(torch.equal(before, model.features[0].weight), model.features[0].weight.grad)
print(model.features[1].training, model.fc.training, model.training)
# features as a fixed extractor
with torch.no_grad():
    feats = model.features(x).flatten(1)
print(feats.shape, feats.requires_grad)
head = nn.Linear(feats.size(1), 3)
opt2 = torch.optim.LBFGS(head.parameters(), lr=0.5, max_iter=10)


def closure():
    opt2.zero_grad()
    loss = F.cross_entropy(head(feats), y)
    loss.backward()
    return loss


for i in range(3):
    l = opt2.step(closure)
    print(i, round(l.item(), 4))
# unfreeze with discriminative learning rates
for p in model.parameters():
    p.requires_grad_(True)
opt3 = torch.optim.SGD(
    [
        {"params": model.features.parameters(), "lr": 1e-3},
        {"params": model.fc.parameters()},
    ],
    lr=1e-2,
    momentum=0.9,
)
print([g["lr"] for g in opt3.param_groups], len(opt3.param_groups[0]["params"]))
opt3.zero_grad()
F.cross_entropy(model(x), y).backward()
opt3.step()
print(model.features[0].weight.grad.abs().sum() > 0, model.fc.bias)

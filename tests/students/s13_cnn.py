import torch
from torch import nn
import torch.nn.functional as F
torch.manual_seed(0)
x = torch.randn(2, 3, 32, 32)
conv = nn.Conv2d(3, 8, kernel_size=3, padding=1)
print(conv(x).shape)
conv(torch.randn(3, 32, 32)).shape
conv(torch.randn(2, 1, 32, 32))
conv(torch.randn(2, 32, 32, 3))
conv(x.double())
model = nn.Sequential(
    nn.Conv2d(3, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(8, 16, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
print(model(x).shape)
bad = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.Linear(8 * 32 * 32, 10))
bad(x)
features = nn.Sequential(*list(model.children())[:-1])
print(features(x).shape)
for p in features.parameters(): p.requires_grad = False
clf = nn.Linear(16, 4)
opt = torch.optim.SGD(clf.parameters(), lr=0.1)
y = torch.tensor([0, 3])
for _ in range(3):
    with torch.no_grad():
        f = features(x)
    loss = F.cross_entropy(clf(f), y)
    opt.zero_grad(); loss.backward(); opt.step()
print(loss)
print(sum(p.numel() for p in model.parameters() if p.requires_grad))
nn.MaxPool2d(2)(torch.randn(1, 1, 5, 5)).shape
F.max_pool2d(torch.randn(1, 1, 1, 1), 2)
nn.Conv2d(3, 8, 5)(torch.randn(1, 3, 4, 4))
F.conv2d(x, torch.randn(8, 3, 3, 3)).shape
F.conv2d(x, torch.randn(8, 3, 3)).shape
print(model[0], model[-1], model)
model[0].weight.grad
nn.BatchNorm2d(8)(torch.randn(1, 8, 1, 1))
nn.BatchNorm1d(4)(torch.randn(1, 4))
nn.BatchNorm1d(4).eval()(torch.randn(1, 4)).shape
nn.Dropout(0.5).eval()(torch.ones(4))

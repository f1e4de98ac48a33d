import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)
        self.localization = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=7),
            nn.MaxPool2d(2, stride=2),
            nn.ReLU(True),
            nn.Conv2d(8, 10, kernel_size=5),
            nn.MaxPool2d(2, stride=2),
            nn.ReLU(True),
        )
        self.fc_loc = nn.Sequential(nn.Linear(10 * 3 * 3, 32), nn.ReLU(True), nn.Linear(32, 3 * 2))
        self.fc_loc[2].weight.data.zero_()
        self.fc_loc[2].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))

    def stn(self, x):
        xs = self.localization(x)
        xs = xs.view(-1, 10 * 3 * 3)
        theta = self.fc_loc(xs)
        theta = theta.view(-1, 2, 3)
        grid = F.affine_grid(theta, x.size(), align_corners=False)
        x = F.grid_sample(x, grid, align_corners=False)
        return x

    def forward(self, x):
        x = self.stn(x)
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


model = Net()
data = torch.randn(8, 1, 28, 28)
target = torch.randint(0, 10, (8,))
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
model.train()
for step in range(3):
    optimizer.zero_grad()
    output = model(data)
    loss = F.nll_loss(output, target)
    loss.backward()
    optimizer.step()
    print(f"Train step {step} Loss: {loss.item():.6f}")
model.eval()
with torch.no_grad():
    output = model(data)
    test_loss = F.nll_loss(output, target, reduction="sum").item()
    pred = output.max(1, keepdim=True)[1]
    correct = pred.eq(target.view_as(pred)).sum().item()
    print(f"Test set: Average loss: {test_loss / 8:.4f}, Accuracy: {correct}/8 ({100.0 * correct / 8:.0f}%)")
    transformed = model.stn(data)
    print(transformed.shape, torch.allclose(transformed, data, atol=0.5))
theta = torch.tensor([[[0.8, -0.2, 0.1], [0.3, 0.9, -0.1]]])
img = torch.arange(16.0).view(1, 1, 4, 4)
for ac in (True, False):
    grid = F.affine_grid(theta, (1, 1, 4, 4), align_corners=ac)
    print(grid[0, 0])
    for mode in ("bilinear", "nearest"):
        for pad in ("zeros", "border", "reflection"):
            out = F.grid_sample(img, grid, mode=mode, padding_mode=pad, align_corners=ac)
            print(mode, pad, out.flatten()[:6])
print(F.interpolate(img, scale_factor=2, mode="bilinear", align_corners=False)[0, 0, :2])
print(F.interpolate(img, size=(3, 5), mode="nearest")[0, 0])
print(F.interpolate(img, size=(2, 2), mode="bicubic", align_corners=True)[0, 0])
print(F.interpolate(img, scale_factor=0.5, mode="area")[0, 0])
print(F.pad(img, (1, 1, 0, 2), mode="replicate").shape, F.pad(img, (1, 1, 1, 1), mode="reflect")[0, 0, 0])

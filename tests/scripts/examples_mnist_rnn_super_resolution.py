"""pytorch/examples mnist_rnn (LSTM, BatchNorm1d, Dropout2d on 2-D input) and super_resolution (PixelShuffle, init.orthogonal_ with calculate_gain)."""

import math
import warnings
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.init as init
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.rnn = nn.LSTM(input_size=8, hidden_size=12, batch_first=True)
        self.batchnorm = nn.BatchNorm1d(12)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout2d(0.5)
        self.fc1 = nn.Linear(12, 10)
        self.fc2 = nn.Linear(10, 10)

    def forward(self, input):
        input = input.reshape(-1, 8, 8)
        output, hidden = self.rnn(input)
        output = output[:, -1, :]
        output = self.batchnorm(output)
        output = self.dropout1(output)
        output = self.fc1(output)
        output = F.relu(output)
        output = self.dropout2(output)
        output = self.fc2(output)
        output = F.log_softmax(output, dim=1)
        return output


torch.manual_seed(1)
X = torch.randn(40, 1, 8, 8)
Y = torch.randint(10, (40,))
train_loader = DataLoader(TensorDataset(X[:32], Y[:32]), batch_size=8, shuffle=True)
test_loader = DataLoader(TensorDataset(X[32:], Y[32:]), batch_size=8)
model = Net()
print(model)
optimizer = optim.Adadelta(model.parameters(), lr=0.1)
scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    for epoch in range(1, 3):
        model.train()
        for batch_idx, (data, target) in enumerate(train_loader):
            optimizer.zero_grad()
            output = model(data)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            if batch_idx % 2 == 0:
                print(
                    f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train_loader.dataset)} ({100.0 * batch_idx / len(train_loader):.0f}%)]\tLoss: {loss.item():.6f}"
                )
        model.eval()
        test_loss = 0
        correct = 0
        with torch.no_grad():
            for data, target in test_loader:
                output = model(data)
                test_loss += F.nll_loss(output, target, reduction="sum").item()
                pred = output.argmax(dim=1, keepdim=True)
                correct += pred.eq(target.view_as(pred)).sum().item()
        test_loss /= len(test_loader.dataset)
        print(
            f"Test set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{len(test_loader.dataset)} ({100.0 * correct / len(test_loader.dataset):.0f}%)"
        )
        scheduler.step()
print(sorted(set(type(x.message).__name__ + ":" + str(x.message)[:40] for x in w)))
torch.manual_seed(3)
d = nn.Dropout2d(0.5)
print(d(torch.ones(4, 6)))
print(d(torch.ones(2, 3, 2)))
print(F.dropout2d(torch.ones(2, 3, 2, 1), 0.5))
print(nn.Dropout1d(0.5)(torch.ones(3, 4)))
print(F.dropout3d(torch.ones(2, 3, 1, 1), 0.5))


class SRNet(nn.Module):
    def __init__(self, upscale_factor):
        super(SRNet, self).__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 8, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(8, 8, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(8, 4, (3, 3), (1, 1), (1, 1))
        self.conv4 = nn.Conv2d(4, upscale_factor**2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
        self._initialize_weights()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.relu(self.conv3(x))
        x = self.pixel_shuffle(self.conv4(x))
        return x

    def _initialize_weights(self):
        init.orthogonal_(self.conv1.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv2.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv3.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv4.weight)


torch.manual_seed(123)
sr = SRNet(upscale_factor=3)
print(sr)
print(
    init.calculate_gain("relu"),
    init.calculate_gain("leaky_relu", 0.2),
    init.calculate_gain("tanh"),
    init.calculate_gain("selu"),
)
w = sr.conv4.weight.view(9, -1)
print(sr.conv1.weight.sum().item(), (w @ w.t()).diagonal()[:3])
criterion = nn.MSELoss()
optimizer = optim.Adam(sr.parameters(), lr=0.01)
lr_in = torch.rand(4, 1, 5, 5)
hr = torch.rand(4, 1, 15, 15)
for it in range(3):
    optimizer.zero_grad()
    loss = criterion(sr(lr_in), hr)
    loss.backward()
    optimizer.step()
    psnr = 10 * math.log10(1 / loss.item())
    print(f"===> Iteration {it}: Loss: {loss.item():.4f} PSNR {psnr:.4f} dB")
out = sr(lr_in)
print(out.shape, nn.PixelUnshuffle(3)(out).shape, F.pixel_shuffle(torch.arange(8.0).view(1, 8, 1, 1), 2))
out_img_y = out[0].detach().numpy()
out_img_y *= 255.0
out_img_y = out_img_y.clip(0, 255)
print(out_img_y.shape, out_img_y.dtype)
try:
    init.calculate_gain("foo")
except ValueError as e:
    print("ValueError", e)
try:
    nn.PixelShuffle(2)(torch.ones(1, 3, 2, 2))
except RuntimeError:
    print("RuntimeError")

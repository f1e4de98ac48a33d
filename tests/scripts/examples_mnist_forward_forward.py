"""pytorch/examples mnist_forward_forward: overlay_y_on_x, a Layer(nn.Linear) subclass with its own Adam and its own train(x_pos, x_neg)."""

import torch
import torch.nn as nn
from torch.optim import Adam
from torch.utils.data import DataLoader, TensorDataset

device = torch.device("cpu")
LR = 0.03
THRESHOLD = 2
EPOCHS = 12
LOG = 4


def get_y_neg(y):
    y_neg = y.clone()
    for idx, y_samp in enumerate(y):
        allowed_indices = list(range(10))
        allowed_indices.remove(y_samp.item())
        y_neg[idx] = torch.tensor(allowed_indices)[torch.randint(len(allowed_indices), size=(1,))].item()
    return y_neg.to(device)


def overlay_y_on_x(x, y, classes=10):
    x_ = x.clone()
    x_[:, :classes] *= 0.0
    x_[range(x.shape[0]), y] = x.max()
    return x_


class Net(torch.nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.layers = []
        for d in range(len(dims) - 1):
            self.layers = self.layers + [Layer(dims[d], dims[d + 1]).to(device)]

    def predict(self, x):
        goodness_per_label = []
        for label in range(10):
            h = overlay_y_on_x(x, label)
            goodness = []
            for layer in self.layers:
                h = layer(h)
                goodness = goodness + [h.pow(2).mean(1)]
            goodness_per_label += [sum(goodness).unsqueeze(1)]
        goodness_per_label = torch.cat(goodness_per_label, 1)
        return goodness_per_label.argmax(1)

    def train(self, x_pos, x_neg):
        h_pos, h_neg = x_pos, x_neg
        for i, layer in enumerate(self.layers):
            print("training layer: ", i)
            h_pos, h_neg = layer.train(h_pos, h_neg)


class Layer(nn.Linear):
    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__(in_features, out_features, bias, device, dtype)
        self.relu = torch.nn.ReLU()
        self.opt = Adam(self.parameters(), lr=LR)
        self.threshold = THRESHOLD
        self.num_epochs = EPOCHS

    def forward(self, x):
        x_direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
        return self.relu(torch.mm(x_direction, self.weight.T) + self.bias.unsqueeze(0))

    def train(self, x_pos, x_neg):
        for i in range(self.num_epochs):
            g_pos = self.forward(x_pos).pow(2).mean(1)
            g_neg = self.forward(x_neg).pow(2).mean(1)
            loss = torch.log1p(torch.exp(torch.cat([-g_pos + self.threshold, g_neg - self.threshold]))).mean()
            loss2 = torch.log(
                1 + torch.exp(torch.cat([-g_pos + self.threshold, g_neg - self.threshold]))
            ).mean()
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            if i % LOG == 0:
                print("Loss: ", round(loss.item(), 5), round(loss2.item(), 5))
        return self.forward(x_pos).detach(), self.forward(x_neg).detach()


torch.manual_seed(1)
X = torch.rand(64, 1, 6, 6)
Y = torch.randint(10, (64,))
train_loader = DataLoader(TensorDataset(X.view(64, -1), Y), batch_size=48, shuffle=True)
test_loader = DataLoader(TensorDataset(X.view(64, -1), Y), batch_size=16, shuffle=False)
net = Net([36, 20, 20])
print(net, len(net.layers), net.layers[0])
print(net.training, net.layers[0].training, list(net.parameters()))
x, y = next(iter(train_loader))
x, y = x.to(device), y.to(device)
x_pos = overlay_y_on_x(x, y)
y_neg = get_y_neg(y)
x_neg = overlay_y_on_x(x, y_neg)
print(x_pos[:2, :12], (y_neg == y).any().item())
net.train(x_pos, x_neg)
print("train error:", round(1.0 - net.predict(x).eq(y).float().mean().item(), 4))
x_te, y_te = next(iter(test_loader))
print("test error:", round(1.0 - net.predict(x_te).eq(y_te).float().mean().item(), 4))
print(x.norm(2, 1, keepdim=True)[:3], x.norm(p=2, dim=1).shape, x.norm(1, 1).shape)
z = torch.zeros(3, 12)
z[range(3), torch.tensor([0, 5, 11])] = 7.0
z[range(3), 2] = 1.0
z[[0, 2], 4] = torch.tensor(3.0)
print(z)
try:
    nn.Linear(3, 2).train(x_pos, x_neg)
except Exception as e:
    print(type(e).__name__)

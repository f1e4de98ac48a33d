"""d2l.ai (PyTorch) 8.x at small sizes: VGG and NiN blocks, Inception, batch norm from scratch
(torch.is_grad_enabled, moving statistics) and with LazyBatchNorm, ResNet's Residual, DenseNet's
dense and transition blocks."""

import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)


def vgg_block(num_convs, out_channels):
    layers = []
    for _ in range(num_convs):
        layers.append(nn.LazyConv2d(out_channels, kernel_size=3, padding=1))
        layers.append(nn.ReLU())
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


net = nn.Sequential(
    vgg_block(1, 4),
    vgg_block(2, 8),
    nn.Flatten(),
    nn.LazyLinear(16),
    nn.ReLU(),
    nn.Dropout(0.5),
    nn.LazyLinear(10),
)
X = torch.randn(1, 1, 16, 16)
for blk in net:
    X = blk(X)
    print(blk.__class__.__name__, "output shape:\t", X.shape)


def nin_block(out_channels, kernel_size, strides, padding):
    return nn.Sequential(
        nn.LazyConv2d(out_channels, kernel_size, strides, padding),
        nn.ReLU(),
        nn.LazyConv2d(out_channels, kernel_size=1),
        nn.ReLU(),
        nn.LazyConv2d(out_channels, kernel_size=1),
        nn.ReLU(),
    )


net = nn.Sequential(
    nin_block(8, kernel_size=5, strides=2, padding=0),
    nn.MaxPool2d(3, stride=2),
    nn.Dropout(0.5),
    nin_block(10, kernel_size=3, strides=1, padding=1),
    nn.AdaptiveAvgPool2d((1, 1)),
    nn.Flatten(),
)
X = torch.randn(1, 1, 32, 32)
for blk in net:
    X = blk(X)
    print(blk.__class__.__name__, "output shape:\t", X.shape)


class Inception(nn.Module):
    def __init__(self, c1, c2, c3, c4, **kwargs):
        super(Inception, self).__init__(**kwargs)
        self.b1_1 = nn.LazyConv2d(c1, kernel_size=1)
        self.b2_1 = nn.LazyConv2d(c2[0], kernel_size=1)
        self.b2_2 = nn.LazyConv2d(c2[1], kernel_size=3, padding=1)
        self.b3_1 = nn.LazyConv2d(c3[0], kernel_size=1)
        self.b3_2 = nn.LazyConv2d(c3[1], kernel_size=5, padding=2)
        self.b4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.b4_2 = nn.LazyConv2d(c4, kernel_size=1)

    def forward(self, x):
        b1 = F.relu(self.b1_1(x))
        b2 = F.relu(self.b2_2(F.relu(self.b2_1(x))))
        b3 = F.relu(self.b3_2(F.relu(self.b3_1(x))))
        b4 = F.relu(self.b4_2(self.b4_1(x)))
        return torch.cat((b1, b2, b3, b4), dim=1)


inc = Inception(4, (2, 4), (2, 4), 4)
print(inc(torch.randn(2, 3, 8, 8)).shape)
print(sum(p.numel() for p in inc.parameters()))


def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta
    return Y, moving_mean.data, moving_var.data


class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        if num_dims == 2:
            shape = (1, num_features)
        else:
            shape = (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.1
        )
        return Y


net = nn.Sequential(
    nn.LazyConv2d(6, kernel_size=5),
    BatchNorm(6, num_dims=4),
    nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.LazyLinear(12),
    BatchNorm(12, num_dims=2),
    nn.Sigmoid(),
    nn.LazyLinear(10),
)
X = torch.rand(4, 1, 12, 12)
y = torch.randint(0, 10, (4,))
net(X)
opt = torch.optim.SGD(net.parameters(), lr=0.5)
for i in range(3):
    opt.zero_grad()
    l = F.cross_entropy(net(X), y)
    l.backward()
    opt.step()
    print(l.item())
print(net[1].gamma.reshape((-1,)), net[1].beta.reshape((-1,)))
print(net[1].moving_mean.reshape(-1), net[6].moving_var.reshape(-1)[:4])
with torch.no_grad():
    print(net(X)[0])

net = nn.Sequential(
    nn.LazyConv2d(6, kernel_size=5),
    nn.LazyBatchNorm2d(),
    nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.LazyLinear(12),
    nn.LazyBatchNorm1d(),
    nn.Sigmoid(),
    nn.LazyLinear(10),
)
net(X)
print(net)
opt = torch.optim.SGD(net.parameters(), lr=0.5)
for i in range(3):
    opt.zero_grad()
    l = F.cross_entropy(net(X), y)
    l.backward()
    opt.step()
print(l.item(), net[1].running_mean, net[1].num_batches_tracked)
print(net[6].running_var[:4])
net.eval()
print(net(X)[0])


class Residual(nn.Module):
    def __init__(self, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


blk = Residual(3)
X = torch.randn(4, 3, 6, 6)
print(blk(X).shape)
blk = Residual(6, use_1x1conv=True, strides=2)
print(blk(X).shape)
print(blk)


def conv_block(num_channels):
    return nn.Sequential(
        nn.LazyBatchNorm2d(), nn.ReLU(), nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
    )


class DenseBlock(nn.Module):
    def __init__(self, num_convs, num_channels):
        super(DenseBlock, self).__init__()
        layer = []
        for i in range(num_convs):
            layer.append(conv_block(num_channels))
        self.net = nn.Sequential(*layer)

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            X = torch.cat((X, Y), dim=1)
        return X


blk = DenseBlock(2, 10)
X = torch.randn(4, 3, 8, 8)
Y = blk(X)
print(Y.shape)


def transition_block(num_channels):
    return nn.Sequential(
        nn.LazyBatchNorm2d(),
        nn.ReLU(),
        nn.LazyConv2d(num_channels, kernel_size=1),
        nn.AvgPool2d(kernel_size=2, stride=2),
    )


blk = transition_block(10)
print(blk(Y).shape)

# ResNet-ish full
b1 = nn.Sequential(
    nn.LazyConv2d(8, kernel_size=7, stride=2, padding=3),
    nn.LazyBatchNorm2d(),
    nn.ReLU(),
    nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
)
net = nn.Sequential(
    b1,
    Residual(8),
    Residual(16, use_1x1conv=True, strides=2),
    nn.AdaptiveAvgPool2d((1, 1)),
    nn.Flatten(),
    nn.LazyLinear(10),
)
X = torch.rand(size=(2, 1, 32, 32))
for layer in net:
    X = layer(X)
    print(layer.__class__.__name__, "output shape:\t", X.shape)
l = X.sum()
l.backward()
print(net[0][0].weight.grad.abs().sum() > 0)
print(sum(p.numel() for p in net.parameters()), len(net.state_dict()))

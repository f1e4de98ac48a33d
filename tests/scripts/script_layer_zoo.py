import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.randn(2, 4, 6, 6, requires_grad=True)
layers = [
    nn.GroupNorm(2, 4),
    nn.InstanceNorm2d(4, affine=True, track_running_stats=True),
    nn.LocalResponseNorm(2),
    nn.PixelShuffle(2),
    nn.PixelUnshuffle(2),
    nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True),
    nn.Upsample(size=(5, 7), mode="bilinear"),
    nn.Upsample(scale_factor=1.5, mode="nearest"),
    nn.Conv2d(4, 2, 4, padding="same"),
    nn.Conv2d(4, 4, 3, padding=2, padding_mode="circular", groups=2),
    nn.Conv2d(4, 4, 3, padding=1, padding_mode="replicate", groups=4, dilation=1),
    nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, dilation=2, groups=2),
    nn.AdaptiveMaxPool2d((3, 2)),
    nn.AdaptiveAvgPool2d(4),
    nn.LPPool2d(2, 2),
    nn.AvgPool2d(3, 2, ceil_mode=True),
    nn.MaxPool2d(3, 2, padding=1, ceil_mode=True, dilation=1),
    nn.ZeroPad2d((1, 0, 2, 0)),
    nn.ReflectionPad2d(2),
    nn.ReplicationPad2d((0, 1, 1, 0)),
    nn.PReLU(4),
    nn.Hardswish(),
    nn.Mish(),
    nn.SiLU(),
    nn.CELU(0.5),
    nn.Softplus(beta=2, threshold=1),
    nn.Threshold(0.1, -1.0),
    nn.Softmax2d(),
    nn.LogSigmoid(),
    nn.Hardtanh(-0.5, 0.5),
    nn.ReLU6(),
    nn.GELU(approximate="tanh"),
    nn.ELU(alpha=0.3),
    nn.SELU(),
    nn.Tanhshrink(),
    nn.Softsign(),
    nn.ChannelShuffle(2),
    nn.Flatten(2),
    nn.Unflatten(1, (2, 2)),
]
for layer in layers:
    x.grad = None
    y = layer(x)
    (y * torch.linspace(-1, 1, y.numel()).view_as(y)).sum().backward()
    print(f"{str(layer)[:60]:60s} {tuple(y.shape)} {y.sum().item():.4f} {x.grad.abs().sum().item():.4f}")
mp = nn.MaxPool2d(2, return_indices=True)
unpool = nn.MaxUnpool2d(2)
o, idx = mp(x)
print(idx[0, 0], unpool(o, idx).shape, unpool(o, idx, output_size=x.shape).sum())
amp, aidx = nn.AdaptiveMaxPool1d(3, return_indices=True)(torch.arange(12.0).view(1, 2, 6))
print(amp, aidx)
bil = nn.Bilinear(3, 4, 2)
print(bil(torch.ones(5, 3), torch.ones(5, 4)).shape, bil)
glu = nn.GLU(dim=1)
print(glu(torch.arange(8.0).view(2, 4)))
rnn = nn.RNN(3, 4, nonlinearity="relu", num_layers=2, bias=False)
o, h = rnn(torch.randn(5, 2, 3))
print(o.shape, h.shape, o.sum())
cell = nn.LSTMCell(3, 4)
hx, cx = torch.zeros(2, 4), torch.zeros(2, 4)
inp = torch.randn(6, 2, 3)
outs = []
for i in range(6):
    hx, cx = cell(inp[i], (hx, cx))
    outs.append(hx)
print(torch.stack(outs).sum(), cx[0])
gc = nn.GRUCell(3, 4)
h = gc(inp[0])
print(h.shape, h.sum())
print(F.interpolate(torch.arange(4.0).view(1, 1, 4), scale_factor=2, mode="linear", align_corners=False))
print(F.interpolate(torch.arange(4.0).view(1, 1, 2, 2), size=3, mode="bicubic", align_corners=True))
print(F.interpolate(torch.arange(8.0).view(1, 1, 2, 2, 2), scale_factor=2, mode="trilinear").shape)
print(
    F.pad(torch.arange(3.0), (2, 1), mode="constant", value=-1),
    F.pad(torch.arange(6.0).view(1, 2, 3), (1, 1), mode="reflect"),
)
print(
    F.normalize(torch.tensor([[3.0, 4.0], [0.0, 0.0]]), dim=1),
    F.cosine_similarity(torch.ones(2, 3), torch.arange(6.0).view(2, 3)),
)
print(
    F.pairwise_distance(torch.ones(2, 3), torch.zeros(2, 3)),
    F.embedding(torch.tensor([[0, 2]]), torch.arange(6.0).view(3, 2)),
)
print(F.gumbel_softmax(torch.zeros(2, 3), tau=0.5, hard=True).sum(1))
print(F.dropout(torch.ones(8), p=0.5, training=True), F.alpha_dropout(torch.ones(4), 0.5, training=False))

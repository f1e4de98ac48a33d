import torch
import torch.nn as nn

torch.manual_seed(0)
print(torch.tensor([1, 2, 3]))
print(torch.tensor([1.0, 2.5, -3.0]))
print(torch.tensor([[1e-5, 1.0], [100.0, 1e5]]))
print(torch.tensor([1e10, 1.0]))
print(torch.tensor([0.1, 0.25], dtype=torch.float64))
print(torch.tensor([True, False]))
print(torch.tensor([1, 2], dtype=torch.int32), torch.tensor([1.5], dtype=torch.float16))
print(torch.tensor(3.14159), torch.tensor(7), torch.tensor([]), torch.zeros(0, 3))
print(torch.randn(2, 3, 4))
print(torch.arange(2000))
print(torch.arange(12.0).reshape(3, 4) / 7)
print(torch.tensor([float("nan"), float("inf"), -float("inf"), 1.0]))
print(torch.tensor([1.0, 2.0], requires_grad=True))
print(torch.tensor([1.0, 2.0], requires_grad=True) * 2)
print(torch.ones(2, 2).bool(), torch.ones(2, dtype=torch.uint8), torch.ones(2, dtype=torch.int8))
print(torch.tensor([123456789.0, 1.0]), torch.tensor([0.000123, 12.5]))
print(torch.tensor([1, -2], dtype=torch.int64).float())
print(repr(torch.tensor(2.0)), str(torch.tensor([0.0, -0.0])))
x = torch.randn(3, 3)
print(f"{x.mean().item():.4f} {x.max():.3f}", x.sum().item() == x.sum())
print(x.tolist()[0][:2] == [x[0, 0].item(), x[0, 1].item()], type(x.tolist()), type(torch.tensor(5).tolist()))
print(torch.tensor([1.5, 2.5]).numpy(), torch.tensor([[1, 2]]).numpy().dtype)
torch.set_printoptions(precision=2)
print(x)
torch.set_printoptions(sci_mode=True)
print(torch.tensor([0.5, 123.0]))
torch.set_printoptions(profile="default")
torch.set_printoptions(threshold=5, edgeitems=2)
print(torch.arange(10), torch.arange(20.0).reshape(4, 5))
torch.set_printoptions(profile="default")
torch.set_printoptions(linewidth=40)
print(torch.randn(2, 12))
torch.set_printoptions(profile="default")
print(torch.randn(2, 12))
print(torch.randn(3) * 1000, torch.randn(2, 2) / 10000)
print(torch.tensor([[1.0, 2.0], [3.0, 4.0]]).int(), torch.tensor([1, 100000]))
model = nn.Sequential(
    nn.Conv2d(1, 4, kernel_size=3, stride=2, padding=1, bias=False),
    nn.BatchNorm2d(4),
    nn.LeakyReLU(0.2, inplace=True),
    nn.Flatten(),
    nn.Dropout(p=0.5),
    nn.Linear(16, 2),
    nn.Softmax(dim=1),
)
print(model)
for layer in model:
    print(type(layer))
print(
    type(torch.optim.AdamW(model.parameters())), type(nn.MultiheadAttention(4, 2)), type(nn.InstanceNorm2d(2))
)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.LayerNorm(4))
        self.heads = nn.ModuleList([nn.Linear(4, 1) for _ in range(2)])
        self.act = nn.Identity()
        self.register_buffer("scale", torch.ones(1))

    def forward(self, x):
        return x


net = Net()
print(net)
print(net.encoder[0].weight)
print(net.heads[1].bias, net.scale)
for name, p in net.named_parameters():
    print(f"{name:20s} {str(tuple(p.shape)):10s} {p.numel()}")
print(x.dtype, x.device, x.shape, x.size(), x.layout)
print(torch.float32, torch.long, torch.get_default_dtype())
print(torch.tensor([2, 3]).sum().item(), torch.tensor(0.1).item(), float(torch.tensor(1 / 3)))
print(x.sum(dim=0, keepdim=True).round(decimals=2))
print("%.3f" % torch.tensor(2.0), f"{torch.tensor(1.25):.2f}", int(torch.tensor(3.9)))

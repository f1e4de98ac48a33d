import copy
import torch
import torch.nn as nn

torch.manual_seed(1)


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 6 * 6, 32)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        return torch.relu(self.fc(x.flatten(1)))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = Backbone()
        self.classifier = nn.Linear(32, 3)

    def forward(self, x):
        return self.classifier(self.backbone(x))


model = Model()
pretrained = copy.deepcopy(model.backbone.state_dict())
for p in model.backbone.parameters():
    p.requires_grad_(False)
model.backbone.requires_grad_(False)
trainable = [n for n, p in model.named_parameters() if p.requires_grad]
frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
print(trainable)
print(frozen)
print(
    sum(p.numel() for p in model.parameters()), sum(p.numel() for p in model.parameters() if p.requires_grad)
)
opt = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1, momentum=0.9)
print(opt)
x = torch.randn(8, 1, 8, 8)
y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
for step in range(3):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 4), model.backbone.conv.weight.grad is None)
print(torch.equal(model.backbone.fc.weight, pretrained["fc.weight"]))
# BN stats still move in train mode even when frozen
print(torch.equal(model.backbone.bn.running_mean, pretrained["bn.running_mean"]))

# unfreeze and fine-tune with discriminative learning rates
model.backbone.requires_grad_(True)
opt = torch.optim.Adam(
    [
        {"params": model.backbone.conv.parameters(), "lr": 1e-4},
        {"params": model.backbone.fc.parameters(), "lr": 5e-4, "weight_decay": 1e-2},
        {"params": model.classifier.parameters()},
    ],
    lr=1e-3,
)
opt.add_param_group({"params": model.backbone.bn.parameters(), "lr": 0.0})
print(opt)
print([g["lr"] for g in opt.param_groups], [len(g["params"]) for g in opt.param_groups])
for step in range(3):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.5f}")
print(model.backbone.bn.weight)
sd = opt.state_dict()
print(sd["param_groups"][1])
print(sorted(sd["state"].keys()))
print(sd["state"][0]["step"], sd["state"][0]["exp_avg"].shape)
for g in opt.param_groups:
    g["lr"] *= 0.1
print([f"{g['lr']:.1e}" for g in opt.param_groups])

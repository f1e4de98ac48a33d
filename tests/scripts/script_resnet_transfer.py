from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super(BasicBlock, self).__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(self.expansion * planes),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        out = F.relu(out)
        return out


class ResNet(nn.Module):
    def __init__(self, block, num_blocks, num_classes=10):
        super(ResNet, self).__init__()
        self.in_planes = 8
        self.conv1 = nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = self._make_layer(block, 8, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, 16, num_blocks[1], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(16 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block, planes, num_blocks, stride):
        strides = [stride] + [1] * (num_blocks - 1)
        layers = []
        for stride in strides:
            layers.append(block(self.in_planes, planes, stride))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)
        out = self.layer2(out)
        out = self.avgpool(out)
        out = torch.flatten(out, 1)
        return self.fc(out)


model = ResNet(BasicBlock, [1, 1])
print(model.layer2)
print(sum(p.numel() for p in model.parameters()), len(list(model.modules())), len(model.state_dict()))
x = torch.randn(4, 3, 16, 16)
y = torch.tensor([0, 1, 2, 3])
print(model(x).shape)
pretrained = model.state_dict()
model.fc = nn.Linear(model.fc.in_features, 4)
for name, param in model.named_parameters():
    param.requires_grad = name.startswith("fc") or name.startswith("layer2")
params_to_update = [p for p in model.parameters() if p.requires_grad]
print(len(params_to_update), [n for n, p in model.named_parameters() if p.requires_grad][:3])
optimizer = torch.optim.SGD(
    [
        {"params": model.layer2.parameters(), "lr": 1e-3},
        {"params": model.fc.parameters(), "lr": 1e-2},
    ],
    momentum=0.9,
    weight_decay=5e-4,
)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.1)
for epoch in range(4):
    model.train()
    optimizer.zero_grad()
    outputs = model(x)
    loss = F.cross_entropy(outputs, y)
    _, preds = torch.max(outputs, 1)
    loss.backward()
    optimizer.step()
    scheduler.step()
    running_corrects = torch.sum(preds == y.data)
    print(
        f"epoch {epoch} loss {loss.item():.4f} acc {running_corrects.double() / len(y):.4f} lr {[g['lr'] for g in optimizer.param_groups]}"
    )
new = ResNet(BasicBlock, [1, 1], num_classes=4)
pretrained = {k: v for k, v in pretrained.items() if not k.startswith("fc.")}
result = new.load_state_dict(pretrained, strict=False)
print(result.missing_keys, result.unexpected_keys)
print(new.layer1[0].bn1.running_var[:3], new.bn1.num_batches_tracked)
extra = OrderedDict([("conv", nn.Conv2d(3, 4, 1)), ("act", nn.ReLU()), ("pool", nn.AdaptiveMaxPool2d(1))])
seq = nn.Sequential(extra)
print(seq, seq.conv.out_channels, seq[-1])
backbone = nn.Sequential(*list(model.children())[:-1])
feats = backbone(x)
print(feats.shape, type(backbone[2]).__name__)
print([name for name, _ in model.named_modules()][:8])
print(model.get_submodule("layer2.0.shortcut.0"), model.get_parameter("fc.bias").shape)
model.eval()
with torch.no_grad():
    a = model(x)
    b = model(x)
print(torch.equal(a, b), model.training, model.layer1[0].training)

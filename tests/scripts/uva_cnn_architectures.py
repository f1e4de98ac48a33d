from types import SimpleNamespace

import torch
import torch.nn as nn
import torch.optim as optim
import torch.utils.data as data

torch.manual_seed(42)
act_fn_by_name = {"tanh": nn.Tanh, "relu": nn.ReLU, "leakyrelu": nn.LeakyReLU, "gelu": nn.GELU}
DATA_MEANS = torch.tensor([0.49139968, 0.48215841, 0.44653091])
DATA_STD = torch.tensor([0.24703223, 0.24348513, 0.26158784])
raw = torch.randint(0, 256, (48, 16, 16, 3), dtype=torch.uint8)
print("Data mean", (raw.float() / 255.0).mean(dim=(0, 1, 2)))
print("Data std", (raw.float() / 255.0).std(dim=(0, 1, 2)))
imgs_all = ((raw.permute(0, 3, 1, 2).float() / 255.0) - DATA_MEANS[:, None, None]) / DATA_STD[:, None, None]
labels_all = torch.randint(0, 10, (48,))
dataset = data.TensorDataset(imgs_all, labels_all)
torch.manual_seed(42)
train_set, val_set = data.random_split(dataset, [40, 8])
train_loader = data.DataLoader(
    train_set, batch_size=16, shuffle=True, drop_last=True, pin_memory=False, num_workers=0
)
imgs, _ = next(iter(train_loader))
print("Batch mean", imgs.mean(dim=[0, 2, 3]))
print("Batch std", imgs.std(dim=[0, 2, 3]))
print(imgs.flip(dims=[3]).shape, torch.stack([imgs[0], imgs[1]], dim=0).shape)


class InceptionBlock(nn.Module):
    def __init__(self, c_in, c_red: dict, c_out: dict, act_fn):
        super().__init__()
        self.conv_1x1 = nn.Sequential(
            nn.Conv2d(c_in, c_out["1x1"], kernel_size=1), nn.BatchNorm2d(c_out["1x1"]), act_fn()
        )
        self.conv_3x3 = nn.Sequential(
            nn.Conv2d(c_in, c_red["3x3"], kernel_size=1),
            nn.BatchNorm2d(c_red["3x3"]),
            act_fn(),
            nn.Conv2d(c_red["3x3"], c_out["3x3"], kernel_size=3, padding=1),
            nn.BatchNorm2d(c_out["3x3"]),
            act_fn(),
        )
        self.conv_5x5 = nn.Sequential(
            nn.Conv2d(c_in, c_red["5x5"], kernel_size=1),
            nn.BatchNorm2d(c_red["5x5"]),
            act_fn(),
            nn.Conv2d(c_red["5x5"], c_out["5x5"], kernel_size=5, padding=2),
            nn.BatchNorm2d(c_out["5x5"]),
            act_fn(),
        )
        self.max_pool = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, padding=1, stride=1),
            nn.Conv2d(c_in, c_out["max"], kernel_size=1),
            nn.BatchNorm2d(c_out["max"]),
            act_fn(),
        )

    def forward(self, x):
        x_1x1 = self.conv_1x1(x)
        x_3x3 = self.conv_3x3(x)
        x_5x5 = self.conv_5x5(x)
        x_max = self.max_pool(x)
        return torch.cat([x_1x1, x_3x3, x_5x5, x_max], dim=1)


class GoogleNet(nn.Module):
    def __init__(self, num_classes=10, act_fn_name="relu", **kwargs):
        super().__init__()
        self.hparams = SimpleNamespace(
            num_classes=num_classes, act_fn_name=act_fn_name, act_fn=act_fn_by_name[act_fn_name]
        )
        a = self.hparams.act_fn
        self.input_net = nn.Sequential(nn.Conv2d(3, 16, kernel_size=3, padding=1), nn.BatchNorm2d(16), a())
        self.inception_blocks = nn.Sequential(
            InceptionBlock(
                16, c_red={"3x3": 8, "5x5": 4}, c_out={"1x1": 4, "3x3": 8, "5x5": 2, "max": 2}, act_fn=a
            ),
            nn.MaxPool2d(3, stride=2, padding=1),
            InceptionBlock(
                16, c_red={"3x3": 8, "5x5": 4}, c_out={"1x1": 8, "3x3": 8, "5x5": 4, "max": 4}, act_fn=a
            ),
        )
        self.output_net = nn.Sequential(
            nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(24, self.hparams.num_classes)
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity=self.hparams.act_fn_name)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        return self.output_net(self.inception_blocks(self.input_net(x)))


class ResNetBlock(nn.Module):
    def __init__(self, c_in, act_fn, subsample=False, c_out=-1):
        super().__init__()
        if not subsample:
            c_out = c_in
        self.net = nn.Sequential(
            nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, stride=1 if not subsample else 2, bias=False),
            nn.BatchNorm2d(c_out),
            act_fn(),
            nn.Conv2d(c_out, c_out, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
        )
        self.downsample = nn.Conv2d(c_in, c_out, kernel_size=1, stride=2) if subsample else None
        self.act_fn = act_fn()

    def forward(self, x):
        z = self.net(x)
        if self.downsample is not None:
            x = self.downsample(x)
        return self.act_fn(z + x)


class PreActResNetBlock(nn.Module):
    def __init__(self, c_in, act_fn, subsample=False, c_out=-1):
        super().__init__()
        if not subsample:
            c_out = c_in
        self.net = nn.Sequential(
            nn.BatchNorm2d(c_in),
            act_fn(),
            nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, stride=1 if not subsample else 2, bias=False),
            nn.BatchNorm2d(c_out),
            act_fn(),
            nn.Conv2d(c_out, c_out, kernel_size=3, padding=1, bias=False),
        )
        self.downsample = (
            nn.Sequential(
                nn.BatchNorm2d(c_in), act_fn(), nn.Conv2d(c_in, c_out, kernel_size=1, stride=2, bias=False)
            )
            if subsample
            else None
        )

    def forward(self, x):
        z = self.net(x)
        if self.downsample is not None:
            x = self.downsample(x)
        return z + x


resnet_blocks_by_name = {"ResNetBlock": ResNetBlock, "PreActResNetBlock": PreActResNetBlock}


class ResNet(nn.Module):
    def __init__(
        self,
        num_classes=10,
        num_blocks=(1, 1),
        c_hidden=(4, 8),
        act_fn_name="relu",
        block_name="ResNetBlock",
        **kwargs,
    ):
        super().__init__()
        assert block_name in resnet_blocks_by_name
        self.hparams = SimpleNamespace(
            num_classes=num_classes,
            c_hidden=c_hidden,
            num_blocks=num_blocks,
            act_fn_name=act_fn_name,
            act_fn=act_fn_by_name[act_fn_name],
            block_class=resnet_blocks_by_name[block_name],
        )
        c_hidden = self.hparams.c_hidden
        if self.hparams.block_class == PreActResNetBlock:
            self.input_net = nn.Sequential(nn.Conv2d(3, c_hidden[0], kernel_size=3, padding=1, bias=False))
        else:
            self.input_net = nn.Sequential(
                nn.Conv2d(3, c_hidden[0], kernel_size=3, padding=1, bias=False),
                nn.BatchNorm2d(c_hidden[0]),
                self.hparams.act_fn(),
            )
        blocks = []
        for block_idx, block_count in enumerate(self.hparams.num_blocks):
            for bc in range(block_count):
                subsample = bc == 0 and block_idx > 0
                blocks.append(
                    self.hparams.block_class(
                        c_in=c_hidden[block_idx if not subsample else (block_idx - 1)],
                        act_fn=self.hparams.act_fn,
                        subsample=subsample,
                        c_out=c_hidden[block_idx],
                    )
                )
        self.blocks = nn.Sequential(*blocks)
        self.output_net = nn.Sequential(
            nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(c_hidden[-1], self.hparams.num_classes)
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity=self.hparams.act_fn_name)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        return self.output_net(self.blocks(self.input_net(x)))


class DenseLayer(nn.Module):
    def __init__(self, c_in, bn_size, growth_rate, act_fn):
        super().__init__()
        self.net = nn.Sequential(
            nn.BatchNorm2d(c_in),
            act_fn(),
            nn.Conv2d(c_in, bn_size * growth_rate, kernel_size=1, bias=False),
            nn.BatchNorm2d(bn_size * growth_rate),
            act_fn(),
            nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, padding=1, bias=False),
        )

    def forward(self, x):
        out = self.net(x)
        return torch.cat([out, x], dim=1)


class DenseBlock(nn.Module):
    def __init__(self, c_in, num_layers, bn_size, growth_rate, act_fn):
        super().__init__()
        layers = []
        for layer_idx in range(num_layers):
            layers.append(
                DenseLayer(
                    c_in=c_in + layer_idx * growth_rate,
                    bn_size=bn_size,
                    growth_rate=growth_rate,
                    act_fn=act_fn,
                )
            )
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        return self.block(x)


class TransitionLayer(nn.Module):
    def __init__(self, c_in, c_out, act_fn):
        super().__init__()
        self.transition = nn.Sequential(
            nn.BatchNorm2d(c_in),
            act_fn(),
            nn.Conv2d(c_in, c_out, kernel_size=1, bias=False),
            nn.AvgPool2d(kernel_size=2, stride=2),
        )

    def forward(self, x):
        return self.transition(x)


def run(name, model, opt):
    print(name, sum(p.numel() for p in model.parameters()), sum(b.numel() for b in model.buffers()))
    loss_module = nn.CrossEntropyLoss()
    scheduler = optim.lr_scheduler.MultiStepLR(opt, milestones=[1, 2], gamma=0.1)
    model.train()
    for imgs, labels in train_loader:
        preds = model(imgs)
        loss = loss_module(preds, labels)
        acc = (preds.argmax(dim=-1) == labels).float().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        scheduler.step()
        print(f"  loss {loss.item():.4f} acc {acc.item():.4f} lr {scheduler.get_last_lr()}")
    model.eval()
    with torch.no_grad():
        vi, vl = next(iter(data.DataLoader(val_set, batch_size=8)))
        out = model(vi)
        print("  val", out.shape, (out.argmax(dim=-1) == vl).float().mean().item(), out[0, :3])


torch.manual_seed(42)
g = GoogleNet(num_classes=10, act_fn_name="relu")
run("GoogleNet", g, optim.SGD(g.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4))
torch.manual_seed(42)
r = ResNet()
run("ResNet", r, optim.AdamW(r.parameters(), lr=1e-3, weight_decay=1e-4))
torch.manual_seed(42)
rp = ResNet(block_name="PreActResNetBlock", act_fn_name="tanh")
run("ResNetPreAct", rp, optim.SGD(rp.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4))
print(rp.blocks[1])
torch.manual_seed(42)
dense = nn.Sequential(
    nn.Conv2d(3, 8, kernel_size=3, padding=1),
    DenseBlock(c_in=8, num_layers=2, bn_size=2, growth_rate=4, act_fn=nn.ReLU),
    TransitionLayer(c_in=16, c_out=8, act_fn=nn.ReLU),
    nn.BatchNorm2d(8),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d((1, 1)),
    nn.Flatten(),
    nn.Linear(8, 10),
)
run("DenseNet", dense, optim.Adam(dense.parameters(), lr=1e-3, weight_decay=1e-4))
print(dense[2], dense[1].block[0].net[2].weight.shape)
print(list(dense.state_dict().keys())[:8], dense[3].num_batches_tracked, dense[3].running_mean[:3])
try:
    GoogleNet(act_fn_name="gelu")
except ValueError as e:
    print("ValueError", e)
try:
    ResNet(block_name="Dense")
except AssertionError as e:
    print("AssertionError", repr(e))

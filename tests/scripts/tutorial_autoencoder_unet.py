import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class ConvAutoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 4, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(4, 8, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(8, 16, 4),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(16, 8, 4),
            nn.ReLU(),
            nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(4, 1, 3, stride=2, padding=1, output_padding=1),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


ae = ConvAutoencoder()
imgs = torch.rand(8, 1, 16, 16)
print(ae.encoder(imgs).shape, ae(imgs).shape)
opt = torch.optim.Adam(ae.parameters(), lr=1e-2, weight_decay=1e-5)
for epoch in range(4):
    noisy = (imgs + 0.2 * torch.randn_like(imgs)).clamp(0.0, 1.0)
    recon = ae(noisy)
    loss = F.binary_cross_entropy(recon, imgs)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"Epoch:{epoch + 1}, Loss:{loss.item():.4f}")
with torch.no_grad():
    z = ae.encoder(imgs[:2])
    steps = torch.linspace(0, 1, 3)
    inter = torch.stack([torch.lerp(z[0], z[1], s.item()) for s in steps])
    print(ae.decoder(inter).shape, inter[1].flatten()[:3])


def double_conv(i, o):
    return nn.Sequential(
        nn.Conv2d(i, o, 3, padding=1),
        nn.BatchNorm2d(o),
        nn.ReLU(inplace=True),
        nn.Conv2d(o, o, 3, padding=1),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    def __init__(self, n_classes=3):
        super().__init__()
        self.down1 = double_conv(1, 4)
        self.down2 = double_conv(4, 8)
        self.pool = nn.MaxPool2d(2)
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
        self.upconv = nn.ConvTranspose2d(8, 8, 2, stride=2)
        self.dec = double_conv(8 + 8 + 4, 4)
        self.out = nn.Conv2d(4, n_classes, 1)

    def forward(self, x):
        c1 = self.down1(x)
        c2 = self.down2(self.pool(c1))
        u = torch.cat([self.up(c2), self.upconv(c2), c1], dim=1)
        return self.out(self.dec(u))


unet = UNet()
masks = (imgs[:, 0] * 3).long().clamp(max=2)
print(masks.shape, masks.dtype, torch.bincount(masks.flatten()))
opt = torch.optim.SGD(unet.parameters(), lr=0.05, momentum=0.9)
weights = torch.tensor([1.0, 2.0, 1.0])
for step in range(3):
    logits = unet(imgs)
    loss = F.cross_entropy(logits, masks, weight=weights, ignore_index=2)
    probs = logits.softmax(1)
    onehot = F.one_hot(masks, 3).permute(0, 3, 1, 2).float()
    dice = 1 - (2 * (probs * onehot).sum((2, 3)) + 1) / (probs.sum((2, 3)) + onehot.sum((2, 3)) + 1)
    total = loss + dice.mean()
    opt.zero_grad()
    total.backward()
    opt.step()
    pred = logits.argmax(1)
    iou = ((pred == 1) & (masks == 1)).sum() / ((pred == 1) | (masks == 1)).sum()
    print(
        step,
        f"{loss.item():.4f} {dice.mean().item():.4f} {(pred == masks).float().mean().item():.4f} {iou.item():.4f}",
    )
print(
    F.cross_entropy(logits, masks, reduction="none").shape,
    F.cross_entropy(logits, masks, label_smoothing=0.1),
)
print(
    nn.Upsample(size=(5, 5), mode="nearest")(imgs[:1, :, :2, :2]).shape,
    F.max_unpool2d(*F.max_pool2d(imgs[:1], 2, return_indices=True), 2).shape,
)

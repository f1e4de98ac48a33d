import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
real_data = torch.randn(64, 1, 28, 28).clamp(-1, 1)
loader = DataLoader(TensorDataset(real_data), batch_size=16, shuffle=True)
latent = 8
G = nn.Sequential(
    nn.Linear(latent, 64), nn.LeakyReLU(0.2), nn.Linear(64, 28 * 28), nn.Tanh(), nn.Unflatten(1, (1, 28, 28))
)
D = nn.Sequential(
    nn.Conv2d(1, 4, 4, 2, 1),
    nn.LeakyReLU(0.2, inplace=True),
    nn.Conv2d(4, 8, 4, 2, 1),
    nn.BatchNorm2d(8),
    nn.LeakyReLU(0.2),
    nn.Flatten(),
    nn.Linear(8 * 7 * 7, 1),
)


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


G.apply(weights_init)
D.apply(weights_init)
crit = nn.BCEWithLogitsLoss()
optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
fixed = torch.randn(4, latent)
for epoch in range(2):
    for i, (real,) in enumerate(loader):
        b = real.size(0)
        ones = torch.full((b, 1), 1.0)
        zeros = torch.zeros(b, 1)
        optD.zero_grad()
        z = torch.randn(b, latent)
        fake = G(z)
        lossD = crit(D(real), ones * 0.9) + crit(D(fake.detach()), zeros)
        lossD.backward()
        optD.step()
        optG.zero_grad()
        out = D(fake)
        lossG = crit(out, ones)
        lossG.backward()
        optG.step()
        D_x = torch.sigmoid(D(real)).mean().item()
    print(f"[{epoch}/2] Loss_D: {lossD.item():.4f} Loss_G: {lossG.item():.4f} D(x): {D_x:.4f}")
with torch.no_grad():
    samples = G(fixed)
print(samples.shape, samples.min().item() >= -1, samples.mean())
print(sum(p.grad.abs().sum() for p in D.parameters()))


class AE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(16 * 7 * 7, 10),
        )
        self.dec = nn.Sequential(
            nn.Linear(10, 16 * 7 * 7),
            nn.ReLU(),
            nn.Unflatten(1, (16, 7, 7)),
            nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1, output_padding=1),
            nn.Sigmoid(),
        )

    def forward(self, x):
        z = self.enc(x)
        return self.dec(z), z


ae = AE()
opt = torch.optim.Adam(ae.parameters(), lr=1e-3, weight_decay=1e-5)
imgs = (real_data + 1) / 2
for epoch in range(3):
    tot = 0.0
    for (x,) in DataLoader(TensorDataset(imgs), batch_size=32):
        noisy = (x + 0.1 * torch.randn_like(x)).clamp(0.0, 1.0)
        recon, z = ae(noisy)
        loss = F.binary_cross_entropy(recon, x, reduction="sum") / x.size(0) + 1e-3 * z.pow(2).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        tot += loss.item()
    print(f"epoch {epoch + 1}, loss {tot:.3f}")
ae.eval()
with torch.no_grad():
    r, z = ae(imgs[:2])
    print(F.mse_loss(r, imgs[:2]).item(), z.norm(dim=1))

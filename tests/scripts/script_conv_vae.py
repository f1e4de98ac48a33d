import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(11)


class ConvVAE(nn.Module):
    def __init__(self, z=4):
        super().__init__()
        self.enc = nn.Sequential(
            nn.Conv2d(1, 8, 4, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(8, 16, 4, 2, 1, bias=False),
            nn.BatchNorm2d(16),
            nn.LeakyReLU(0.2),
        )
        self.mu = nn.Linear(16 * 4 * 4, z)
        self.logvar = nn.Linear(16 * 4 * 4, z)
        self.fc = nn.Linear(z, 16 * 4 * 4)
        self.dec = nn.Sequential(
            nn.ConvTranspose2d(16, 8, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(8, 1, 4, 2, 1), nn.Sigmoid()
        )

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def forward(self, x):
        h = self.enc(x).flatten(start_dim=1)
        mu, logvar = self.mu(h), self.logvar(h)
        z = self.reparameterize(mu, logvar)
        return self.dec(self.fc(z).view(-1, 16, 4, 4)), mu, logvar


def loss_fn(recon, x, mu, logvar):
    bce = F.binary_cross_entropy(recon, x, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld, bce, kld


x = (torch.rand(16, 1, 16, 16) > 0.7).float()
model = ConvVAE()
print(model)
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
for epoch in range(5):
    recon, mu, logvar = model(x)
    loss, bce, kld = loss_fn(recon, x, mu, logvar)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"epoch {epoch}: loss {loss.item() / len(x):.3f} bce {bce.item():.2f} kld {kld.item():.3f}")
model.eval()
with torch.no_grad():
    z = torch.randn(3, 4)
    samples = model.dec(model.fc(z).view(-1, 16, 4, 4))
    print(samples.shape, samples.min().item() >= 0, samples.max().item() <= 1)
    print(samples[0, 0, :2, :6])
    # latent interpolation
    recon, mu, logvar = model(x[:2])
    alphas = torch.linspace(0, 1, 4).view(-1, 1)
    zs = torch.lerp(mu[0:1], mu[1:2], alphas)
    print(zs)
    print(logvar.exp().mean(dim=0))
ct = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1)
print(ct(torch.randn(1, 2, 5, 5)).shape, ct.weight.shape)
print(ct(torch.randn(1, 2, 5, 5), output_size=[9, 9]).shape)

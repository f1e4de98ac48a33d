import torch
import torch.nn as nn

torch.manual_seed(5)
real_data = lambda n: torch.randn(n, 1) * 0.5 + 2.0
G = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
D = nn.Sequential(nn.Linear(1, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
optG = torch.optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999))
optD = torch.optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999))
crit = nn.BCEWithLogitsLoss()
bs = 32
for step in range(40):
    real = real_data(bs)
    z = torch.randn(bs, 2)
    fake = G(z)
    ones = torch.ones(bs, 1)
    zeros = torch.zeros_like(ones)
    optD.zero_grad()
    lossD = crit(D(real), ones) + crit(D(fake.detach()), zeros)
    lossD.backward()
    optD.step()
    optG.zero_grad()
    lossG = crit(D(fake), torch.full((bs, 1), 0.9))
    lossG.backward()
    optG.step()
    if step % 10 == 0:
        print(f"{step:3d} D {lossD.item():.4f} G {lossG.item():.4f} fake mean {fake.mean().item():.4f}")
with torch.no_grad():
    s = G(torch.randn(1000, 2))
print(f"{s.mean().item():.3f} {s.std().item():.3f}")
print(s.mean(0, keepdim=True), torch.std_mean(s))
print(D[0].weight.grad.norm(), G[2].bias.grad)
# WGAN-style weight clipping
for p in D.parameters():
    p.data.clamp_(-0.01, 0.01)
print(D[0].weight.abs().max())

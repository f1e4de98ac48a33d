import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class VanillaRNN(nn.Module):
    def __init__(self, n_in, n_h, n_out):
        super().__init__()
        k = 1.0 / math.sqrt(n_h)
        self.W_xh = nn.Parameter(torch.empty(n_in, n_h).uniform_(-k, k))
        self.W_hh = nn.Parameter(torch.empty(n_h, n_h).uniform_(-k, k))
        self.b_h = nn.Parameter(torch.zeros(n_h))
        self.W_hy = nn.Parameter(torch.randn(n_h, n_out) * 0.1)
        self.b_y = nn.Parameter(torch.zeros(n_out))

    def forward(self, x, h=None):
        B, T, _ = x.shape
        if h is None:
            h = x.new_zeros(B, self.W_hh.shape[0])
        hs = []
        for t in range(T):
            h = torch.tanh(x[:, t] @ self.W_xh + h @ self.W_hh + self.b_h)
            hs.append(h)
        H = torch.stack(hs, dim=1)
        return H @ self.W_hy + self.b_y, h


# sum-of-sequence task
X = torch.randint(0, 2, (32, 6, 1)).float()
Y = X.cumsum(1)
rnn = VanillaRNN(1, 12, 1)
opt = torch.optim.Adam(rnn.parameters(), lr=0.02)
for it in range(40):
    out, _ = rnn(X)
    loss = F.mse_loss(out, Y)
    opt.zero_grad()
    loss.backward()
    gn = torch.nn.utils.clip_grad_norm_(rnn.parameters(), 1.0)
    opt.step()
    if it % 10 == 0:
        print(it, f"{loss.item():.4f}", f"{gn:.4f}")
print({n: tuple(p.shape) for n, p in rnn.named_parameters()})
with torch.no_grad():
    pred, h = rnn(torch.tensor([[[1.0], [0.0], [1.0], [1.0]]]))
print(pred.squeeze().round(decimals=2), h.norm())
ref = nn.RNN(1, 12, batch_first=True)
with torch.no_grad():
    ref.weight_ih_l0.copy_(rnn.W_xh.T)
    ref.weight_hh_l0.copy_(rnn.W_hh.T)
    ref.bias_ih_l0.copy_(rnn.b_h)
    ref.bias_hh_l0.zero_()
    o_ref, h_ref = ref(X[:2])
    o_me = torch.stack([torch.tanh(v) for v in [X[:2, 0] @ rnn.W_xh + rnn.b_h]], 1)
print(torch.allclose(o_ref[:, :1], o_me, atol=1e-6), h_ref.shape)

# hand-written augmentation on a batch of images
imgs = torch.rand(4, 3, 8, 8)
mean = imgs.mean(dim=(0, 2, 3))
std = imgs.std(dim=(0, 2, 3))
print(mean, std)
norm = (imgs - mean[None, :, None, None]) / std.view(1, 3, 1, 1)
print(norm.mean(dim=(0, 2, 3)).abs().max() < 1e-6, norm.std(dim=(0, 2, 3)))
flip = torch.rand(4) < 0.5
aug = torch.where(flip[:, None, None, None], imgs.flip(-1), imgs)
print(flip, (aug[flip] == imgs[flip].flip(-1)).all())
pad = F.pad(imgs, (2, 2, 2, 2), mode="reflect")
ij = torch.randint(0, 5, (4, 2))
crops = torch.stack([pad[b, :, i : i + 8, j : j + 8] for b, (i, j) in enumerate(ij.tolist())])
print(ij.tolist(), crops.shape, crops.sum().item() > 0)
gray = (imgs * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
print(gray.shape, gray[0, 0, 0, :4])
jitter = (imgs * (1 + 0.2 * (torch.rand(4, 1, 1, 1) - 0.5))).clamp(0, 1)
print(jitter.max() <= 1, jitter.min() >= 0, jitter[0, 0, 0, :3])
cut = imgs.clone()
cy, cx = torch.randint(0, 8, (2,)).tolist()
cut[:, :, max(cy - 2, 0) : cy + 2, max(cx - 2, 0) : cx + 2] = 0
print(cy, cx, (cut == 0).sum().item())
rot = torch.rot90(imgs, k=1, dims=(2, 3))
print(torch.equal(rot[0, 0, :, 0], imgs[0, 0, 0].flip(0)))
up = F.interpolate(imgs, scale_factor=0.5, mode="bilinear", align_corners=False, antialias=False)
print(up.shape, up[0, 0, 0])

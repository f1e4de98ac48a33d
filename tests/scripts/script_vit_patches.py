import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class PatchEmbed(nn.Module):
    def __init__(self, img_size=16, patch_size=4, in_chans=3, embed_dim=32):
        super().__init__()
        self.num_patches = (img_size // patch_size) ** 2
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class Attention(nn.Module):
    def __init__(self, dim, heads=4):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x), attn


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(
            nn.Linear(dim, dim * 2), nn.GELU(approximate="tanh"), nn.Linear(dim * 2, dim)
        )

    def forward(self, x):
        a, w = self.attn(self.norm1(x))
        x = x + a
        x = x + self.mlp(self.norm2(x))
        return x, w


class ViT(nn.Module):
    def __init__(self, num_classes=5, dim=32, depth=2):
        super().__init__()
        self.patch_embed = PatchEmbed(embed_dim=dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, self.patch_embed.num_patches + 1, dim))
        self.blocks = nn.ModuleList([Block(dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        self.apply(self._init_weights)

    def _init_weights(self, m):
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.constant_(m.bias, 0)
        elif isinstance(m, nn.LayerNorm):
            nn.init.constant_(m.bias, 0)
            nn.init.constant_(m.weight, 1.0)

    def forward(self, x):
        x = self.patch_embed(x)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls, x), dim=1) + self.pos_embed
        maps = []
        for blk in self.blocks:
            x, w = blk(x)
            maps.append(w)
        return self.head(self.norm(x)[:, 0]), maps


model = ViT()
print(model.patch_embed, model.cls_token.shape, model.pos_embed.shape)
n_params = sum(p.numel() for p in model.parameters())
print(f"{n_params:,} parameters")
decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "pos_embed" not in n]
no_decay = [p for n, p in model.named_parameters() if p.ndim < 2 or "pos_embed" in n]
print(len(decay), len(no_decay))
optimizer = torch.optim.AdamW(
    [{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
    lr=3e-3,
    betas=(0.9, 0.95),
)
warmup = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=2)
cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4, eta_min=1e-5)
scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[2])
x = torch.randn(8, 3, 16, 16)
y = torch.randint(0, 5, (8,))
for step in range(6):
    logits, maps = model(x)
    loss = F.cross_entropy(logits, y, label_smoothing=0.1)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    scheduler.step()
    print(f"step {step} loss {loss.item():.4f} grad-norm {gn.item():.4f} lr {scheduler.get_last_lr()[0]:.6f}")
model.eval()
with torch.inference_mode():
    logits, maps = model(x[:2])
print(logits.argmax(-1), maps[0].shape, maps[-1][0, 0, 0].sum())
rollout = torch.eye(maps[0].size(-1))
for a in maps:
    a = a.mean(1)[0] + torch.eye(a.size(-1))
    rollout = (a / a.sum(-1, keepdim=True)) @ rollout
print(rollout[0, 1:].reshape(4, 4).round(decimals=3))
patches = F.unfold(x[:1], kernel_size=4, stride=4).transpose(1, 2)
print(
    patches.shape,
    torch.allclose(
        patches @ model.patch_embed.proj.weight.flatten(1).t() + model.patch_embed.proj.bias,
        model.patch_embed(x[:1]),
        atol=1e-5,
    ),
)

import torch
from torch import nn
import torch.nn.functional as F
import math
torch.manual_seed(0)
B, T, C = 2, 4, 8
x = torch.randn(B, T, C)
q = nn.Linear(C, C)(x); k = nn.Linear(C, C)(x); v = nn.Linear(C, C)(x)
att = q @ k.transpose(-2, -1) / math.sqrt(C)
mask = torch.tril(torch.ones(T, T))
att = att.masked_fill(mask == 0, float('-inf'))
att = att.softmax(dim=-1)
print(att[0])
out = att @ v
print(out.shape)
q @ k.T
q @ k.mT
att.masked_fill(mask == 0, -1e9).shape
att.masked_fill(mask, 0)
att.masked_fill(mask.bool(), 0).shape
torch.triu(torch.ones(T, T), diagonal=1).bool()
F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
torch.allclose(F.scaled_dot_product_attention(q, k, v, is_causal=True), out, atol=1e-5)
mha = nn.MultiheadAttention(C, 2, batch_first=True)
o, w = mha(x, x, x)
print(o.shape, w.shape)
mha(x, x)
o, w = mha(x, x, x, need_weights=False); print(w)
ln = nn.LayerNorm(C)
print(ln(x).mean(-1).abs().max() < 1e-5, ln(x).std(-1, unbiased=False)[0])
class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln1 = nn.LayerNorm(d); self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
    def forward(self, x):
        return x + self.ff(self.ln1(x))
blk = Block(C)
print(blk(x).shape, sum(p.numel() for p in blk.parameters()))
print(blk)
for name, p in blk.named_parameters(): print(name, tuple(p.shape))
class BadBlock(nn.Module):
    def __init__(self, d):
        self.lin = nn.Linear(d, d)
BadBlock(4)
class Bad2(nn.Module):
    def __init__(self): super().__init__(); self.layers = [nn.Linear(2, 2)]
    def forward(self, x): return self.layers[0](x)
print(len(list(Bad2().parameters())))
layer = nn.TransformerEncoderLayer(d_model=C, nhead=2, batch_first=True)
print(layer(x).shape, sum(p.numel() for p in layer.parameters()))
pos = torch.arange(T).unsqueeze(1) * torch.exp(torch.arange(0, C, 2) * (-math.log(10000.0) / C))
print(pos.shape, torch.sin(pos)[1])

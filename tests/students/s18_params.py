import torch
from torch import nn
def count(m): return sum(p.numel() for p in m.parameters())
print(count(nn.Linear(784, 10)), count(nn.Linear(784, 10, bias=False)))
print(count(nn.Embedding(50257, 768)), count(nn.Conv2d(3, 64, 7)), count(nn.LayerNorm(768)))
print(count(nn.LSTM(10, 20)), count(nn.GRU(10, 20, num_layers=2)), count(nn.RNN(10, 20, batch_first=True)))
print(count(nn.MultiheadAttention(768, 12)), count(nn.TransformerEncoderLayer(768, 12)))
m = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
print([(n, p.shape) for n, p in m.named_parameters()])
print(m.state_dict().keys())
print({k: v.shape for k, v in m.state_dict().items()})
print(m[0].weight.numel(), m[0].weight.nelement(), m[0].weight.size())
for name, mod in m.named_modules(): print(repr(name), type(mod).__name__)
print(list(m.children())[0], len(list(m.modules())))
print(f"{count(nn.Linear(10000, 10000)):,}")
print(f"{count(nn.Linear(1000, 1000)) / 1e6:.2f}M")
import pandas as pd
print(pd.DataFrame([(n, p.numel()) for n, p in m.named_parameters()], columns=['name', 'n']))
m.requires_grad_(False)
print(sum(p.numel() for p in m.parameters() if p.requires_grad))
gpt_like = nn.ModuleDict({'wte': nn.Embedding(100, 16), 'h': nn.ModuleList([nn.Linear(16, 16) for _ in range(2)])})
print(gpt_like, count(gpt_like))
print(nn.Linear(3, 2).weight.dtype, next(m.parameters()).device)
nn.Linear(3, 2).to(torch.float64).weight.dtype
torch.nn.utils.parameters_to_vector(m.parameters()).shape

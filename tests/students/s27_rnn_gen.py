import torch
from torch import nn
import torch.nn.functional as F
torch.manual_seed(0)
V, E, H = 12, 8, 16
emb = nn.Embedding(V, E); rnn = nn.GRU(E, H, batch_first=True); head = nn.Linear(H, V)
ids = torch.tensor([[1, 2, 3, 4]])
out, h = rnn(emb(ids))
print(out.shape, h.shape)
logits = head(out)
loss = F.cross_entropy(logits.view(-1, V), ids.roll(-1, 1).view(-1))
print(loss)
F.cross_entropy(logits, ids)
F.cross_entropy(logits.permute(0, 2, 1), ids)
ctx = ids
with torch.no_grad():
    for _ in range(5):
        o, _ = rnn(emb(ctx))
        p = head(o[:, -1]).softmax(-1)
        nxt = torch.multinomial(p, 1)
        ctx = torch.cat([ctx, nxt], dim=1)
print(ctx)
torch.cat([ctx, nxt.item()], dim=1)
torch.cat([ctx, torch.tensor([nxt.item()])], dim=1)
torch.cat([ctx, torch.tensor([[nxt.item()]])], dim=1).shape
lstm = nn.LSTM(E, H, num_layers=2, batch_first=True)
o, (h, c) = lstm(emb(ids))
print(o.shape, h.shape, c.shape)
o, h = lstm(emb(ids))
lstm(emb(ids[0])) [0].shape
rnn(emb(ids).transpose(0, 1))[0].shape
nn.RNN(E, H)(torch.randn(5, E)).__len__()
nn.LSTM(E, H)(torch.randn(3, 2, E), (torch.zeros(1, 2, H), torch.zeros(1, 2, H)))[0].shape
nn.LSTM(E, H)(torch.randn(3, 2, E), torch.zeros(1, 2, H))
nn.GRU(E, H)(torch.randn(3, 2, E), torch.zeros(2, H))
print(sum(p.numel() for p in lstm.parameters()), [n for n, _ in lstm.named_parameters()][:4])

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(7)
text = "hello world, hello pytorch. the quick brown fox jumps over the lazy dog. " * 3
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
itos = {i: c for c, i in stoi.items()}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
print(len(chars), data.shape, data[:10])


class CharGRU(nn.Module):
    def __init__(self, vocab, emb=16, hidden=32, layers=2):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.gru = nn.GRU(emb, hidden, num_layers=layers, batch_first=True, dropout=0.1)
        self.fc = nn.Linear(hidden, vocab)

    def forward(self, x, h=None):
        out, h = self.gru(self.emb(x), h)
        return self.fc(out), h


model = CharGRU(len(chars))
print(model)
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
seq_len, bs = 20, 8
for it in range(15):
    ix = torch.randint(0, len(data) - seq_len - 1, (bs,))
    xb = torch.stack([data[i : i + seq_len] for i in ix])
    yb = torch.stack([data[i + 1 : i + seq_len + 1] for i in ix])
    logits, _ = model(xb)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), yb.view(-1))
    opt.zero_grad()
    loss.backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    opt.step()
    if it % 5 == 0:
        print(it, f"{loss.item():.4f}", f"{norm.item():.4f}", norm.dtype)


@torch.no_grad()
def sample(model, start="h", n=30, temperature=0.8):
    model.eval()
    idx = torch.tensor([[stoi[start]]])
    h = None
    out = [start]
    for _ in range(n):
        logits, h = model(idx, h)
        probs = F.softmax(logits[:, -1] / temperature, dim=-1)
        idx = torch.multinomial(probs, num_samples=1)
        out.append(itos[idx.item()])
    return "".join(out), h.shape


s, hs = sample(model)
print(repr(s), hs)
# truncated BPTT with hidden detach
h = None
for chunk in data[:60].split(20):
    logits, h = model(chunk.unsqueeze(0), h)
    h = h.detach()
    print(chunk.shape, h.requires_grad, logits.shape)
print(nn.utils.clip_grad_value_(model.parameters(), 0.01))
print(max(p.grad.abs().max().item() for p in model.parameters()) <= 0.01)

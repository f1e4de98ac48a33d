import random
import torch
import torch.nn as nn
import torch.nn.functional as F

random.seed(0)
torch.manual_seed(0)
SOS, EOS, PAD = 0, 1, 2
V = 12


def make_pair():
    n = random.randint(2, 5)
    src = [random.randint(3, V - 1) for _ in range(n)]
    return src, list(reversed(src))


pairs = [make_pair() for _ in range(32)]


def pad(seqs, value=PAD):
    L = max(len(s) for s in seqs)
    return torch.tensor([s + [value] * (L - len(s)) for s in seqs])


class Encoder(nn.Module):
    def __init__(self, h=24):
        super().__init__()
        self.emb = nn.Embedding(V, h, padding_idx=PAD)
        self.rnn = nn.GRU(h, h, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(2 * h, h)

    def forward(self, x):
        out, h = self.rnn(self.emb(x))
        h = torch.tanh(self.proj(torch.cat([h[-2], h[-1]], dim=1)))
        return self.proj(out), h.unsqueeze(0)


class AttnDecoder(nn.Module):
    def __init__(self, h=24):
        super().__init__()
        self.emb = nn.Embedding(V, h)
        self.rnn = nn.GRU(2 * h, h, batch_first=True)
        self.W = nn.Linear(h, h, bias=False)
        self.out = nn.Linear(2 * h, V)

    def forward(self, tok, h, enc, mask):
        e = self.emb(tok).unsqueeze(1)
        scores = torch.bmm(self.W(h.transpose(0, 1)), enc.transpose(1, 2))
        scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        attn = F.softmax(scores, dim=-1)
        ctx = torch.bmm(attn, enc)
        o, h = self.rnn(torch.cat([e, ctx], dim=2), h)
        return F.log_softmax(self.out(torch.cat([o, ctx], 2)).squeeze(1), dim=-1), h, attn.squeeze(1)


enc, dec = Encoder(), AttnDecoder()
params = list(enc.parameters()) + list(dec.parameters())
opt = torch.optim.Adam(params, lr=5e-3)
crit = nn.NLLLoss(ignore_index=PAD)
src = pad([p[0] for p in pairs])
tgt = pad([p[1] + [EOS] for p in pairs])
mask = src != PAD
print(src.shape, tgt.shape, mask.sum(1)[:8])
for epoch in range(12):
    enc_out, h = enc(src)
    tok = torch.full((src.size(0),), SOS, dtype=torch.long)
    loss = 0
    tf = random.random() < 0.5
    for t in range(tgt.size(1)):
        logp, h, attn = dec(tok, h, enc_out, mask)
        loss = loss + crit(logp, tgt[:, t])
        tok = tgt[:, t] if tf else logp.argmax(-1).detach()
    loss = loss / tgt.size(1)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 5.0)
    opt.step()
    if epoch % 3 == 0:
        print(epoch, tf, round(loss.item(), 4))
with torch.no_grad():
    enc_out, h = enc(src[:2])
    tok = torch.tensor([SOS, SOS])
    outs = []
    for t in range(6):
        logp, h, attn = dec(tok, h, enc_out, mask[:2])
        tok = logp.argmax(-1)
        outs.append(tok)
    print(torch.stack(outs, 1))
    print(attn)

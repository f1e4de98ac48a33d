import math
import torch
import torch.nn as nn

torch.manual_seed(0)


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=50, dropout=0.1):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0))

    def forward(self, x):
        return self.dropout(x + self.pe[:, : x.size(1)])


class Model(nn.Module):
    def __init__(self, vocab=30, d=16, nhead=4, layers=2, ncls=3):
        super().__init__()
        self.emb = nn.Embedding(vocab, d, padding_idx=0)
        self.pos = PositionalEncoding(d)
        layer = nn.TransformerEncoderLayer(
            d_model=d,
            nhead=nhead,
            dim_feedforward=32,
            dropout=0.1,
            batch_first=True,
            norm_first=True,
            activation="gelu",
        )
        self.enc = nn.TransformerEncoder(layer, num_layers=layers, enable_nested_tensor=False)
        self.cls = nn.Linear(d, ncls)

    def forward(self, x, causal=False):
        pad = x == 0
        h = self.pos(self.emb(x) * math.sqrt(self.emb.embedding_dim))
        mask = nn.Transformer.generate_square_subsequent_mask(x.size(1)) if causal else None
        h = self.enc(h, mask=mask, src_key_padding_mask=pad, is_causal=causal)
        h = h.masked_fill(pad.unsqueeze(-1), 0.0)
        return self.cls(h.sum(1) / (~pad).sum(1, keepdim=True))


x = torch.randint(1, 30, (4, 7))
x[0, 5:] = 0
x[2, 3:] = 0
y = torch.tensor([0, 1, 2, 1])
m = Model()
print(nn.Transformer.generate_square_subsequent_mask(4))
opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.01)
for step in range(3):
    loss = nn.functional.cross_entropy(m(x, causal=step == 2), y, label_smoothing=0.1)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 4))
m.eval()
with torch.no_grad():
    print(m(x).softmax(-1))
mha = nn.MultiheadAttention(16, 4, batch_first=True)
q = torch.randn(2, 5, 16)
out, w = mha(q, q, q, key_padding_mask=torch.tensor([[False] * 5, [False] * 3 + [True] * 2]))
print(out.shape, w.shape, w[1, 0])
out, w = mha(
    q,
    q,
    q,
    need_weights=True,
    average_attn_weights=False,
    attn_mask=torch.triu(torch.ones(5, 5, dtype=torch.bool), 1),
)
print(w.shape, w[0, 0, 1])
sdpa = nn.functional.scaled_dot_product_attention(
    q.view(2, 5, 4, 4).transpose(1, 2),
    q.view(2, 5, 4, 4).transpose(1, 2),
    q.view(2, 5, 4, 4).transpose(1, 2),
    is_causal=True,
)
print(sdpa.shape, sdpa[0, 0, 0])
t = nn.Transformer(
    d_model=16,
    nhead=2,
    num_encoder_layers=1,
    num_decoder_layers=1,
    dim_feedforward=20,
    dropout=0.0,
    batch_first=True,
)
src = torch.randn(2, 6, 16)
tgt = torch.randn(2, 4, 16)
o = t(src, tgt, tgt_mask=t.generate_square_subsequent_mask(4), tgt_is_causal=True)
print(o.shape, o.mean().item())
dl = nn.TransformerDecoderLayer(16, 2, 20, 0.0, batch_first=True)
print(nn.TransformerDecoder(dl, 2)(tgt, src).shape)
print(layer := nn.TransformerEncoderLayer(8, 2, 16))

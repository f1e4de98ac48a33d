import math
import torch
import torch.nn as nn

torch.manual_seed(3)


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=64, dropout=0.1):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)

    def forward(self, x):
        x = x + self.pe[: x.size(0)]
        return self.dropout(x)


class Classifier(nn.Module):
    def __init__(self, vocab=20, d=16, nhead=4, nlayers=2, ncls=3):
        super().__init__()
        self.emb = nn.Embedding(vocab, d, padding_idx=0)
        self.pos = PositionalEncoding(d)
        layer = nn.TransformerEncoderLayer(
            d, nhead, dim_feedforward=32, dropout=0.1, activation="gelu", norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, nlayers, enable_nested_tensor=False)
        self.cls = nn.Linear(d, ncls)
        self.d = d

    def forward(self, src, pad_mask):
        x = self.emb(src) * math.sqrt(self.d)
        x = self.pos(x)
        x = self.encoder(x, src_key_padding_mask=pad_mask)
        keep = (~pad_mask).T.unsqueeze(-1).float()
        pooled = (x * keep).sum(0) / keep.sum(0)
        return self.cls(pooled)


model = Classifier()
print(model.pos.pe.shape, [n for n, _ in model.named_buffers()])
print(sum(p.numel() for p in model.parameters()))
print(model.encoder.layers[0])
S, B = 10, 6
src = torch.randint(1, 20, (S, B))
lengths = torch.tensor([10, 8, 7, 5, 3, 9])
pad_mask = torch.arange(S).unsqueeze(0) >= lengths.unsqueeze(1)
src = src.masked_fill(pad_mask.T, 0)
print(pad_mask.int())
y = torch.tensor([0, 1, 2, 0, 1, 2])
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
for step in range(6):
    model.train()
    logits = model(src, pad_mask)
    loss = nn.functional.cross_entropy(logits, y, label_smoothing=0.1)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.4f}")
model.eval()
with torch.inference_mode():
    out = model(src, pad_mask)
    print(out.is_inference(), out.requires_grad)
    print(out)
causal = nn.Transformer.generate_square_subsequent_mask(5)
print(causal)
dec_layer = nn.TransformerDecoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
mem = torch.randn(2, 7, 16)
tgt = torch.randn(2, 5, 16)
with torch.no_grad():
    o = dec_layer(tgt, mem, tgt_mask=causal, tgt_is_causal=True)
print(o.shape, o[0, 0, :4])

import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=100):
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


d_model, nhead, vocab = 16, 4, 20
pos = PositionalEncoding(d_model)
emb = nn.Embedding(vocab, d_model, padding_idx=0)
layer = nn.TransformerEncoderLayer(
    d_model, nhead, dim_feedforward=32, dropout=0.0, batch_first=True, norm_first=True
)
encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
head = nn.Linear(d_model, 2)
tokens = torch.tensor([[5, 6, 7, 8, 0, 0], [1, 2, 3, 4, 9, 10], [3, 3, 0, 0, 0, 0]])
pad_mask = tokens == 0
print(pad_mask)
x = emb(tokens) * math.sqrt(d_model)
x = pos(x.transpose(0, 1)).transpose(0, 1)
pos.eval()
h = encoder(x, src_key_padding_mask=pad_mask)
print(h.shape)
lengths = (~pad_mask).sum(1, keepdim=True)
pooled = h.masked_fill(pad_mask.unsqueeze(-1), 0.0).sum(1) / lengths
logits = head(pooled)
print(logits)
loss = F.cross_entropy(logits, torch.tensor([0, 1, 0]))
loss.backward()
print(loss, emb.weight.grad[0].abs().sum())
mask = nn.Transformer.generate_square_subsequent_mask(4)
print(mask)
mha = nn.MultiheadAttention(embed_dim=8, num_heads=2, batch_first=True)
q = torch.randn(2, 4, 8)
out, w = mha(q, q, q, attn_mask=mask)
print(out.shape, w.shape, w[0])
out, w = mha(
    q,
    q,
    q,
    key_padding_mask=torch.tensor([[False, False, True, True], [False] * 4]),
    average_attn_weights=False,
)
print(w.shape, w[0, 0])
bool_mask = torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)
out2, _ = mha(q, q, q, attn_mask=bool_mask, need_weights=False)
out3, _ = mha(q, q, q, attn_mask=mask)
print(torch.allclose(out2, out3, atol=1e-6), _ is None)
attn = F.scaled_dot_product_attention(
    q.view(2, 4, 2, 4).transpose(1, 2),
    q.view(2, 4, 2, 4).transpose(1, 2),
    q.view(2, 4, 2, 4).transpose(1, 2),
    is_causal=True,
)
print(attn.shape, attn[0, 0, 0])
model = nn.Transformer(
    d_model=8,
    nhead=2,
    num_encoder_layers=1,
    num_decoder_layers=1,
    dim_feedforward=16,
    dropout=0.0,
    batch_first=True,
)
src = torch.randn(2, 5, 8)
tgt = torch.randn(2, 3, 8)
out = model(src, tgt, tgt_mask=model.generate_square_subsequent_mask(3), tgt_is_causal=True)
print(out.shape, out[0, 0])
dec_layer = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
print(dec_layer(tgt, src).shape, sum(p.numel() for p in model.parameters()))

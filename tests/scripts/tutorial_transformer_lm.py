# A plain PyTorch script in the style of the official tutorials; tests/test_torch_scripts.py runs it
# as written and with its imports renamed to pyneuro, and compares what the two print.
import math
import numpy as np
import torch
from torch import nn, Tensor
import torch.nn.functional as F


class PositionalEncoding(nn.Module):
    def __init__(self, d_model: int, dropout: float = 0.1, max_len: int = 64):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe, persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.pe[: x.size(0)]
        return self.dropout(x)


class TransformerModel(nn.Module):
    def __init__(self, ntoken, d_model, nhead, d_hid, nlayers, dropout=0.0):
        super().__init__()
        self.model_type = "Transformer"
        self.pos_encoder = PositionalEncoding(d_model, dropout)
        encoder_layers = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout)
        self.transformer_encoder = nn.TransformerEncoder(encoder_layers, nlayers, enable_nested_tensor=False)
        self.embedding = nn.Embedding(ntoken, d_model)
        self.d_model = d_model
        self.linear = nn.Linear(d_model, ntoken)

    def forward(self, src, src_mask=None):
        src = self.embedding(src) * math.sqrt(self.d_model)
        src = self.pos_encoder(src)
        if src_mask is None:
            src_mask = nn.Transformer.generate_square_subsequent_mask(len(src))
        output = self.transformer_encoder(src, src_mask)
        return self.linear(output)


ntokens, emsize, d_hid, nlayers, nhead = 50, 16, 32, 2, 2
model = TransformerModel(ntokens, emsize, nhead, d_hid, nlayers)
rng = np.random.default_rng(0)
with torch.no_grad():
    for name, p in model.named_parameters():
        p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 0.1).astype(np.float32)))
print(sum(p.numel() for p in model.parameters()), [n for n, _ in model.named_parameters()][:6])
print(sorted(model.state_dict())[:4], len(model.state_dict()))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.95)
data = torch.from_numpy(rng.integers(0, ntokens, (21, 4)))
model.train()
for step in range(5):
    inp, target = data[:-1], data[1:]
    output = model(inp)
    loss = criterion(output.view(-1, ntokens), target.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
    optimizer.step()
    scheduler.step()
    print(
        step,
        f"{loss.item():.3f}",
        f"{float(gn):.3f}",
        f"{scheduler.get_last_lr()[0]:.4f}",
        f"{math.exp(loss.item()):.2f}",
    )
model.eval()
with torch.no_grad():
    out = model(data[:8])
    print(out.shape, out.argmax(-1)[:, 0].tolist())
    probs = F.softmax(out[-1, 0], dim=-1)
    print(f"{probs.max().item():.3f}", torch.topk(probs, 3).indices.tolist())

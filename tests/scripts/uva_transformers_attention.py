import math
from functools import partial

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import torch.utils.data as data

torch.manual_seed(42)
np.random.seed(42)
torch.backends.cudnn.deterministic = True
device = torch.device("cuda:0") if torch.cuda.is_available() else torch.device("cpu")
print("Device:", device)


def scaled_dot_product(q, k, v, mask=None):
    d_k = q.size()[-1]
    attn_logits = torch.matmul(q, k.transpose(-2, -1))
    attn_logits = attn_logits / math.sqrt(d_k)
    if mask is not None:
        attn_logits = attn_logits.masked_fill(mask == 0, -9e15)
    attention = F.softmax(attn_logits, dim=-1)
    values = torch.matmul(attention, v)
    return values, attention


seq_len, d_k = 3, 2
q = torch.randn(seq_len, d_k)
k = torch.randn(seq_len, d_k)
v = torch.randn(seq_len, d_k)
values, attention = scaled_dot_product(q, k, v)
print("Q\n", q)
print("Values\n", values)
print("Attention\n", attention)
causal = torch.tril(torch.ones(seq_len, seq_len))
values_m, attention_m = scaled_dot_product(q, k, v, mask=causal)
print(
    attention_m,
    torch.allclose(
        values_m, F.scaled_dot_product_attention(q[None], k[None], v[None], is_causal=True)[0], atol=1e-6
    ),
)


def expand_mask(mask):
    assert mask.ndim >= 2, "Mask must be at least 2-dimensional with seq_length x seq_length"
    if mask.ndim == 3:
        mask = mask.unsqueeze(1)
    while mask.ndim < 4:
        mask = mask.unsqueeze(0)
    return mask


class MultiheadAttention(nn.Module):
    def __init__(self, input_dim, embed_dim, num_heads):
        super().__init__()
        assert embed_dim % num_heads == 0, "Embedding dimension must be 0 modulo number of heads."
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.qkv_proj = nn.Linear(input_dim, 3 * embed_dim)
        self.o_proj = nn.Linear(embed_dim, input_dim)
        self._reset_parameters()

    def _reset_parameters(self):
        nn.init.xavier_uniform_(self.qkv_proj.weight)
        self.qkv_proj.bias.data.fill_(0)
        nn.init.xavier_uniform_(self.o_proj.weight)
        self.o_proj.bias.data.fill_(0)

    def forward(self, x, mask=None, return_attention=False):
        batch_size, seq_length, _ = x.size()
        if mask is not None:
            mask = expand_mask(mask)
        qkv = self.qkv_proj(x)
        qkv = qkv.reshape(batch_size, seq_length, self.num_heads, 3 * self.head_dim)
        qkv = qkv.permute(0, 2, 1, 3)
        q, k, v = qkv.chunk(3, dim=-1)
        values, attention = scaled_dot_product(q, k, v, mask=mask)
        values = values.permute(0, 2, 1, 3)
        values = values.reshape(batch_size, seq_length, self.embed_dim)
        o = self.o_proj(values)
        if return_attention:
            return o, attention
        else:
            return o


class EncoderBlock(nn.Module):
    def __init__(self, input_dim, num_heads, dim_feedforward, dropout=0.0):
        super().__init__()
        self.self_attn = MultiheadAttention(input_dim, input_dim, num_heads)
        self.linear_net = nn.Sequential(
            nn.Linear(input_dim, dim_feedforward),
            nn.Dropout(dropout),
            nn.ReLU(inplace=True),
            nn.Linear(dim_feedforward, input_dim),
        )
        self.norm1 = nn.LayerNorm(input_dim)
        self.norm2 = nn.LayerNorm(input_dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, mask=None):
        attn_out = self.self_attn(x, mask=mask)
        x = x + self.dropout(attn_out)
        x = self.norm1(x)
        linear_out = self.linear_net(x)
        x = x + self.dropout(linear_out)
        x = self.norm2(x)
        return x


class TransformerEncoder(nn.Module):
    def __init__(self, num_layers, **block_args):
        super().__init__()
        self.layers = nn.ModuleList([EncoderBlock(**block_args) for _ in range(num_layers)])

    def forward(self, x, mask=None):
        for layer in self.layers:
            x = layer(x, mask=mask)
        return x

    def get_attention_maps(self, x, mask=None):
        attention_maps = []
        for layer in self.layers:
            _, attn_map = layer.self_attn(x, mask=mask, return_attention=True)
            attention_maps.append(attn_map)
            x = layer(x)
        return attention_maps


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=5000):
        super().__init__()
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        pe = pe.unsqueeze(0)
        self.register_buffer("pe", pe, persistent=False)

    def forward(self, x):
        x = x + self.pe[:, : x.size(1)]
        return x


encod_block = PositionalEncoding(d_model=48, max_len=96)
pe = encod_block.pe.squeeze().T.cpu().numpy()
print(
    pe.shape,
    pe[:3, :4].round(4),
    list(encod_block.state_dict().keys()),
    [n for n, _ in encod_block.named_buffers()],
)


class CosineWarmupScheduler(optim.lr_scheduler._LRScheduler):
    def __init__(self, optimizer, warmup, max_iters):
        self.warmup = warmup
        self.max_num_iters = max_iters
        super().__init__(optimizer)

    def get_lr(self):
        lr_factor = self.get_lr_factor(epoch=self.last_epoch)
        return [base_lr * lr_factor for base_lr in self.base_lrs]

    def get_lr_factor(self, epoch):
        lr_factor = 0.5 * (1 + np.cos(np.pi * epoch / self.max_num_iters))
        if epoch <= self.warmup:
            lr_factor *= epoch * 1.0 / self.warmup
        return lr_factor


p = nn.Parameter(torch.empty(4, 4))
optimizer = optim.Adam([p], lr=1e-3)
lr_scheduler = CosineWarmupScheduler(optimizer=optimizer, warmup=10, max_iters=200)
epochs = list(range(200))
factors = [lr_scheduler.get_lr_factor(e) for e in epochs]
print(type(factors[5]).__name__, round(float(factors[5]), 6), round(float(max(factors)), 6))
print(
    optimizer.param_groups[0]["lr"],
    lr_scheduler.get_last_lr(),
    lr_scheduler.last_epoch,
    lr_scheduler.base_lrs,
)
for _ in range(3):
    optimizer.step()
    lr_scheduler.step()
print(
    lr_scheduler.get_last_lr(),
    type(lr_scheduler.get_last_lr()[0]).__name__,
    lr_scheduler.state_dict()["last_epoch"],
)


class TransformerPredictor(nn.Module):
    def __init__(
        self,
        input_dim,
        model_dim,
        num_classes,
        num_heads,
        num_layers,
        lr,
        warmup,
        max_iters,
        dropout=0.0,
        input_dropout=0.0,
    ):
        super().__init__()
        self.hparams = dict(
            input_dim=input_dim,
            model_dim=model_dim,
            num_classes=num_classes,
            num_heads=num_heads,
            num_layers=num_layers,
            lr=lr,
            warmup=warmup,
            max_iters=max_iters,
            dropout=dropout,
            input_dropout=input_dropout,
        )
        h = self.hparams
        self.input_net = nn.Sequential(
            nn.Dropout(h["input_dropout"]), nn.Linear(h["input_dim"], h["model_dim"])
        )
        self.positional_encoding = PositionalEncoding(d_model=h["model_dim"])
        self.transformer = TransformerEncoder(
            num_layers=h["num_layers"],
            input_dim=h["model_dim"],
            dim_feedforward=2 * h["model_dim"],
            num_heads=h["num_heads"],
            dropout=h["dropout"],
        )
        self.output_net = nn.Sequential(
            nn.Linear(h["model_dim"], h["model_dim"]),
            nn.LayerNorm(h["model_dim"]),
            nn.ReLU(inplace=True),
            nn.Dropout(h["dropout"]),
            nn.Linear(h["model_dim"], h["num_classes"]),
        )

    def forward(self, x, mask=None, add_positional_encoding=True):
        x = self.input_net(x)
        if add_positional_encoding:
            x = self.positional_encoding(x)
        x = self.transformer(x, mask=mask)
        x = self.output_net(x)
        return x

    @torch.no_grad()
    def get_attention_maps(self, x, mask=None, add_positional_encoding=True):
        x = self.input_net(x)
        if add_positional_encoding:
            x = self.positional_encoding(x)
        return self.transformer.get_attention_maps(x, mask=mask)


class ReverseDataset(data.Dataset):
    def __init__(self, num_categories, seq_len, size):
        super().__init__()
        self.num_categories = num_categories
        self.seq_len = seq_len
        self.size = size
        self.data = torch.randint(self.num_categories, size=(self.size, self.seq_len))

    def __len__(self):
        return self.size

    def __getitem__(self, idx):
        inp_data = self.data[idx]
        labels = torch.flip(inp_data, dims=(0,))
        return inp_data, labels


dataset = partial(ReverseDataset, 10, 8)
train_loader = data.DataLoader(dataset(256), batch_size=64, shuffle=True, drop_last=True, pin_memory=False)
val_loader = data.DataLoader(dataset(64), batch_size=64)
inp_data, labels = train_loader.dataset[0]
print("Input data:", inp_data)
print("Labels:    ", labels)
torch.manual_seed(42)
model = TransformerPredictor(
    input_dim=10,
    model_dim=16,
    num_heads=2,
    num_classes=10,
    num_layers=1,
    dropout=0.1,
    lr=5e-3,
    warmup=5,
    max_iters=40,
)
print(model)
print(sum(p.numel() for p in model.parameters()))
optimizer = optim.Adam(model.parameters(), lr=model.hparams["lr"])
scheduler = CosineWarmupScheduler(optimizer, warmup=5, max_iters=40)


def calculate_loss(batch):
    inp_data, labels = batch
    inp_data = F.one_hot(inp_data, num_classes=model.hparams["num_classes"]).float()
    preds = model(inp_data, add_positional_encoding=True)
    loss = F.cross_entropy(preds.view(-1, preds.size(-1)), labels.view(-1))
    acc = (preds.argmax(dim=-1) == labels).float().mean()
    return loss, acc


for epoch in range(4):
    model.train()
    for batch in train_loader:
        loss, acc = calculate_loss(batch)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        scheduler.step()
    model.eval()
    with torch.no_grad():
        val_loss, val_acc = calculate_loss(next(iter(val_loader)))
    print(
        f"epoch {epoch}: train_loss {loss.item():.4f} train_acc {acc.item():.4f} val_loss {val_loss:.4f} val_acc {val_acc:.4f} lr {scheduler.get_last_lr()[0]:.6f}"
    )
data_input, labels = next(iter(val_loader))
inp_data = F.one_hot(data_input, num_classes=10).float()
attention_maps = model.get_attention_maps(inp_data)
print(
    len(attention_maps), attention_maps[0].shape, attention_maps[0][0, 0, 0], attention_maps[0].sum(-1)[0, 0]
)
mask = torch.tril(torch.ones(8, 8))
print(model(inp_data[:2], mask=mask).shape, model.get_attention_maps(inp_data[:1], mask=mask)[0][0, 1, 2])
try:
    model(inp_data[:, :, :5])
except RuntimeError as e:
    print("RuntimeError", e)
try:
    MultiheadAttention(16, 15, 2)
except AssertionError as e:
    print("AssertionError", e)
# anomaly task's set pooling / permutation equivariance check
torch.manual_seed(0)
x = torch.randn(2, 5, 10)
perm = torch.randperm(5)
out = model(x, add_positional_encoding=False)
out_p = model(x[:, perm], add_positional_encoding=False)
print(torch.allclose(out[:, perm], out_p, atol=1e-5), out.softmax(dim=-1).argmax(dim=-1))
mha = nn.MultiheadAttention(embed_dim=16, num_heads=2, batch_first=True)
o, w = mha(torch.randn(2, 5, 16), torch.randn(2, 5, 16), torch.randn(2, 5, 16))
print(o.shape, w.shape, w.sum(-1)[0])

"""pytorch/examples language_translation: nn.Transformer with bool and float masks, padding masks, pad_sequence collate, greedy decoding."""

import math
import warnings
import torch
from torch import nn
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader

warnings.simplefilter("always")
DEVICE = torch.device("cpu")
special_symbols = {"<unk>": 0, "<pad>": 1, "<bos>": 2, "<eos>": 3}


class PositionalEncoding(nn.Module):
    def __init__(self, emb_size, dropout, maxlen=5000):
        super(PositionalEncoding, self).__init__()
        den = torch.exp(-torch.arange(0, emb_size, 2) * math.log(10000) / emb_size)
        pos = torch.arange(0, maxlen).reshape(maxlen, 1)
        pos_embedding = torch.zeros((maxlen, emb_size))
        pos_embedding[:, 0::2] = torch.sin(pos * den)
        pos_embedding[:, 1::2] = torch.cos(pos * den)
        pos_embedding = pos_embedding.unsqueeze(-2)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("pos_embedding", pos_embedding)

    def forward(self, token_embedding):
        return self.dropout(token_embedding + self.pos_embedding[: token_embedding.size(0), :])


class Translator(nn.Module):
    def __init__(
        self,
        num_encoder_layers,
        num_decoder_layers,
        embed_size,
        num_heads,
        src_vocab_size,
        tgt_vocab_size,
        dim_feedforward,
        dropout,
    ):
        super(Translator, self).__init__()
        self.src_embedding = nn.Embedding(src_vocab_size, embed_size)
        self.tgt_embedding = nn.Embedding(tgt_vocab_size, embed_size)
        self.pos_enc = PositionalEncoding(embed_size, dropout, maxlen=50)
        self.transformer = nn.Transformer(
            d_model=embed_size,
            nhead=num_heads,
            num_encoder_layers=num_encoder_layers,
            num_decoder_layers=num_decoder_layers,
            dim_feedforward=dim_feedforward,
            dropout=dropout,
        )
        self.ff = nn.Linear(embed_size, tgt_vocab_size)
        self._init_weights()

    def _init_weights(self):
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def forward(
        self, src, trg, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask, memory_key_padding_mask
    ):
        src_emb = self.pos_enc(self.src_embedding(src))
        tgt_emb = self.pos_enc(self.tgt_embedding(trg))
        outs = self.transformer(
            src_emb,
            tgt_emb,
            src_mask,
            tgt_mask,
            None,
            src_padding_mask,
            tgt_padding_mask,
            memory_key_padding_mask,
        )
        return self.ff(outs)

    def encode(self, src, src_mask):
        embed = self.src_embedding(src)
        pos_enc = self.pos_enc(embed)
        return self.transformer.encoder(pos_enc, src_mask)

    def decode(self, tgt, memory, tgt_mask):
        embed = self.tgt_embedding(tgt)
        pos_enc = self.pos_enc(embed)
        return self.transformer.decoder(pos_enc, memory, tgt_mask)


def generate_square_subsequent_mask(size, device):
    mask = (torch.triu(torch.ones((size, size), device=device)) == 1).transpose(0, 1)
    mask = mask.float().masked_fill(mask == 0, float("-inf")).masked_fill(mask == 1, 0.0)
    return mask


def create_mask(src, tgt, pad_idx, device):
    src_seq_len = src.shape[0]
    tgt_seq_len = tgt.shape[0]
    tgt_mask = generate_square_subsequent_mask(tgt_seq_len, device)
    src_mask = torch.zeros((src_seq_len, src_seq_len), device=device).type(torch.bool)
    src_padding_mask = (src == pad_idx).transpose(0, 1)
    tgt_padding_mask = (tgt == pad_idx).transpose(0, 1)
    return src_mask, tgt_mask, src_padding_mask, tgt_padding_mask


def _tensor_transform(token_ids):
    return torch.cat(
        (
            torch.tensor([special_symbols["<bos>"]]),
            torch.tensor(token_ids),
            torch.tensor([special_symbols["<eos>"]]),
        )
    )


def _collate_fn(batch):
    src_batch, tgt_batch = [], []
    for src_sample, tgt_sample in batch:
        src_batch.append(_tensor_transform(src_sample))
        tgt_batch.append(_tensor_transform(tgt_sample))
    src_batch = pad_sequence(src_batch, padding_value=special_symbols["<pad>"])
    tgt_batch = pad_sequence(tgt_batch, padding_value=special_symbols["<pad>"])
    return src_batch, tgt_batch


def greedy_decode(model, src, src_mask, max_len, start_symbol, end_symbol):
    memory = model.encode(src, src_mask)
    ys = torch.ones(1, 1).fill_(start_symbol).type(torch.long).to(DEVICE)
    for _ in range(max_len - 1):
        tgt_mask = (generate_square_subsequent_mask(ys.size(0), DEVICE).type(torch.bool)).to(DEVICE)
        out = model.decode(ys, memory, tgt_mask)
        out = out.transpose(0, 1)
        prob = model.ff(out[:, -1])
        _, next_word = torch.max(prob, dim=1)
        next_word = next_word.item()
        ys = torch.cat([ys, torch.ones(1, 1).type_as(src.data).fill_(next_word)], dim=0)
        if next_word == end_symbol:
            break
    return ys


torch.manual_seed(0)
g = torch.Generator().manual_seed(5)
pairs = []
for i in range(12):
    n = int(torch.randint(2, 6, (1,), generator=g))
    s = torch.randint(4, 15, (n,), generator=g).tolist()
    pairs.append((s, [t + 1 for t in s[::-1]]))
train_dl = DataLoader(pairs, batch_size=4, collate_fn=_collate_fn)
src, tgt = next(iter(train_dl))
print(src.shape, tgt.shape, src.dtype)
model = Translator(1, 1, 8, 2, 15, 16, 16, 0.1).to(DEVICE)
loss_fn = torch.nn.CrossEntropyLoss(ignore_index=special_symbols["<pad>"])
optim = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.98), eps=1e-9)
with warnings.catch_warnings(record=True) as w:
    for epoch in range(2):
        losses = 0
        model.train()
        for src, tgt in train_dl:
            tgt_input = tgt[:-1, :]
            src_mask, tgt_mask, src_padding_mask, tgt_padding_mask = create_mask(
                src, tgt_input, special_symbols["<pad>"], DEVICE
            )
            logits = model(
                src, tgt_input, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask, src_padding_mask
            )
            optim.zero_grad()
            tgt_out = tgt[1:, :]
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
            loss.backward()
            optim.step()
            losses += loss.item()
        train_loss = losses / len(list(train_dl))
        model.eval()
        losses = 0
        for src, tgt in train_dl:
            tgt_input = tgt[:-1, :]
            src_mask, tgt_mask, src_padding_mask, tgt_padding_mask = create_mask(
                src, tgt_input, special_symbols["<pad>"], DEVICE
            )
            logits = model(
                src, tgt_input, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask, src_padding_mask
            )
            losses += loss_fn(
                logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1) if False else tgt[1:, :].reshape(-1)
            ).item()
        print(f"Epoch: {epoch}, Train loss: {train_loss:.3f}, Val loss: {losses / len(list(train_dl)):.3f}")
    model.eval()
    with torch.no_grad():
        src = _tensor_transform([5, 6, 7]).view(-1, 1)
        num_tokens = src.shape[0]
        src_mask = (torch.zeros(num_tokens, num_tokens)).type(torch.bool)
        tgt_tokens = greedy_decode(
            model, src, src_mask, max_len=num_tokens + 5, start_symbol=2, end_symbol=3
        ).flatten()
        print(tgt_tokens, list(tgt_tokens.cpu().numpy()))
    src = _tensor_transform([5, 6, 7]).view(-1, 1)
    tgt_tokens = greedy_decode(
        model, src, src_mask, max_len=num_tokens + 5, start_symbol=2, end_symbol=3
    ).flatten()
    print(tgt_tokens)
print(sorted(set(str(x.message)[:70] for x in w)))
print(generate_square_subsequent_mask(3, DEVICE))

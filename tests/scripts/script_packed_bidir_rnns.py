import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence, pack_sequence

torch.manual_seed(0)
seqs = [torch.randint(1, 20, (n,)) for n in (5, 3, 7, 2)]
lengths = torch.tensor([len(s) for s in seqs])
padded = pad_sequence(seqs, batch_first=True, padding_value=0)
print(padded, lengths)
labels = torch.tensor([0, 1, 1, 0])


class Clf(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.emb = nn.Embedding(20, 8, padding_idx=0)
        self.rnn = getattr(nn, kind)(8, 6, num_layers=2, batch_first=True, bidirectional=True, dropout=0.0)
        self.fc = nn.Linear(12, 2)
        self.kind = kind

    def forward(self, x, lengths):
        e = self.emb(x)
        packed = pack_padded_sequence(e, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, h = self.rnn(packed)
        if self.kind == "LSTM":
            h = h[0]
        out, out_len = pad_packed_sequence(out, batch_first=True)
        feat = torch.cat([h[-2], h[-1]], dim=1)
        return self.fc(feat), out, out_len


for kind in ["RNN", "GRU", "LSTM"]:
    torch.manual_seed(1)
    m = Clf(kind)
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    for step in range(3):
        logits, out, out_len = m(padded, lengths)
        loss = nn.functional.cross_entropy(logits, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(kind, round(loss.item(), 4), out.shape, out_len, out[1, 3:].abs().sum().item())
    print(m.emb.weight.grad[0].abs().sum(), m.rnn.weight_hh_l1_reverse.grad.norm())
    print([n for n, _ in m.rnn.named_parameters()][:5])

p = pack_sequence([torch.tensor([1.0, 2, 3]), torch.tensor([4.0, 5])])
print(p)
print(p.data, p.batch_sizes, p.sorted_indices, p.unsorted_indices)
lstm = nn.LSTM(input_size=3, hidden_size=4)
x = torch.randn(5, 2, 3)
h0 = torch.zeros(1, 2, 4)
c0 = torch.zeros(1, 2, 4)
out, (hn, cn) = lstm(x, (h0, c0))
print(out.shape, hn.shape, torch.allclose(out[-1], hn[0]))
cell = nn.LSTMCell(3, 4)
hx, cx = torch.zeros(2, 4), torch.zeros(2, 4)
outs = []
for t in range(5):
    hx, cx = cell(x[t], (hx, cx))
    outs.append(hx)
print(torch.stack(outs).shape, hx.sum().item())
gru = nn.GRUCell(3, 4)
print(gru(x[0]).shape, nn.RNNCell(3, 4, nonlinearity="relu")(x[0]).shape)
rnn = nn.GRU(3, 4, batch_first=True)
o, h = rnn(torch.randn(2, 5, 3))
print(o.shape, h.shape)
o, h = rnn(torch.randn(5, 3))
print(o.shape, h.shape)
print(lstm)
print(nn.GRU(3, 4, 2, batch_first=True, bidirectional=True, dropout=0.1))

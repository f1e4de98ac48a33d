import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pack_sequence, pad_sequence

torch.manual_seed(0)
seqs = [torch.randn(L, 3) for L in (4, 2, 5, 1)]
lengths = torch.tensor([len(s) for s in seqs])
padded = pad_sequence(seqs, batch_first=True)
print(padded.shape, lengths)
packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
print(packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices, packed.data.shape)
lstm = nn.LSTM(3, 5, batch_first=True, num_layers=1, bidirectional=True)
out, (h, c) = lstm(packed)
print(type(out).__name__, h.shape, c.shape)
unpacked, out_lens = pad_packed_sequence(out, batch_first=True, total_length=6)
print(unpacked.shape, out_lens)
print(unpacked[1, :3, :3])
print(h[:, 3])
# last valid output per sequence == final forward hidden
idx = (lengths - 1).view(-1, 1, 1).expand(-1, 1, 5)
last_fwd = unpacked[:, :, :5].gather(1, idx).squeeze(1)
print(torch.allclose(last_fwd, h[0], atol=1e-6))
ps = pack_sequence([torch.tensor([1.0, 2, 3]), torch.tensor([4.0, 5]), torch.tensor([6.0])])
print(ps)
print(pad_packed_sequence(ps, padding_value=-1.0))
gru = nn.GRU(1, 2)
o, hn = gru(pack_sequence([torch.ones(3, 1), torch.ones(2, 1)]))
print(o.data.shape, hn.shape)


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(30, 8, padding_idx=0)
        self.rnn = nn.LSTM(8, 16, batch_first=True)
        self.fc = nn.Linear(16, 2)

    def forward(self, x, lengths):
        e = self.emb(x)
        p = pack_padded_sequence(e, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, (h, _) = self.rnn(p)
        return self.fc(h[-1])


model = Classifier()
x = torch.randint(1, 30, (6, 7))
L = torch.tensor([7, 3, 5, 2, 6, 4])
x[torch.arange(7).unsqueeze(0) >= L.unsqueeze(1)] = 0
y = torch.tensor([0, 1, 0, 1, 0, 1])
opt = torch.optim.RMSprop(model.parameters(), lr=0.01)
for i in range(5):
    loss = nn.functional.cross_entropy(model(x, L), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(i, round(loss.item(), 5))
print(model.emb.weight.grad[0])

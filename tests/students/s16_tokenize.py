import torch
text = "the cat sat on the mat"
words = text.split()
vocab = sorted(set(words))
stoi = {w: i for i, w in enumerate(vocab)}
ids = [stoi[w] for w in words]
t = torch.tensor(ids)
print(t, t.dtype, len(vocab))
t[:-1], t[1:]
torch.tensor([ids, ids[:3]])
torch.tensor([ids[:3], ids[:3]]).shape
torch.tensor([[1, 2], [3]])
torch.nn.utils.rnn.pad_sequence([torch.tensor([1, 2, 3]), torch.tensor([4])], batch_first=True)
torch.nn.utils.rnn.pad_sequence([torch.tensor([1, 2, 3]), torch.tensor([4])], batch_first=True, padding_value=-1)
chars = sorted(set(text))
enc = torch.tensor([chars.index(c) for c in text], dtype=torch.long)
print(enc[:10])
counts = torch.bincount(enc)
print(counts, counts.argmax())
M = torch.zeros(len(chars), len(chars), dtype=torch.int32)
for a, b in zip(enc[:-1], enc[1:]):
    M[a, b] += 1
print(M.sum(), M[0])
P = (M + 1).float()
P /= P.sum(1, keepdims=True)
print(P.sum(1))
P = M / M.sum(dim=1)
print(P.shape)
''.join(chars[i] for i in enc[:5])
''.join(chars[i] for i in enc[:5].tolist())
dict(zip(vocab, t.tolist()))
{w: t[i] for i, w in enumerate(vocab)}
sorted(t)
max(t)
sum(t)
sum(torch.tensor([0.5, 0.25]))
min(torch.tensor([3, 1, 2]))
list(t)[:2]
set(t.tolist())
len(set(t))  # (a set of tensors: one per element, hashed by identity)
t in [t]
3 in t
int(t[0]) in stoi.values()

import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
    random_split,
    ConcatDataset,
    Subset,
)

torch.manual_seed(0)


class VarLenDataset(Dataset):
    def __init__(self, n=20):
        g = torch.Generator().manual_seed(1)
        self.lengths = torch.randint(2, 7, (n,), generator=g)
        self.labels = (torch.arange(n) % 4 == 0).long()
        self.seqs = [torch.randint(1, 50, (int(L),), generator=g) for L in self.lengths]

    def __len__(self):
        return len(self.seqs)

    def __getitem__(self, i):
        return self.seqs[i], self.labels[i]


def collate(batch):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    return pad_sequence(seqs, batch_first=True, padding_value=0), lengths, torch.stack(labels)


def collate_lists(batch):
    seqs = [s.tolist() for s, _ in batch]
    max_len = torch.tensor([len(s) for s in seqs]).max()
    rows = [s + [0] * (max_len - len(s)) for s in seqs]
    mask = [[1] * len(s) + [0] * (max_len - len(s)) for s in seqs]
    return torch.tensor(rows), torch.tensor(mask, dtype=torch.bool), torch.stack([y for _, y in batch])


ds = VarLenDataset()
print(len(ds), ds.lengths, ds.labels.bincount())
class_count = torch.bincount(ds.labels)
weights = 1.0 / class_count.float()
sample_w = weights[ds.labels]
print(weights, sample_w[:6])
sampler = WeightedRandomSampler(
    sample_w, num_samples=len(ds), replacement=True, generator=torch.Generator().manual_seed(3)
)
print(list(sampler))
dl = DataLoader(ds, batch_size=5, sampler=sampler, collate_fn=collate)
for x, L, y in dl:
    print(x.shape, L.tolist(), y.tolist())
idx = list(range(0, 20, 2))
sub = SubsetRandomSampler(idx, generator=torch.Generator().manual_seed(4))
print(list(sub), len(sub))
bs = BatchSampler(SequentialSampler(range(11)), batch_size=4, drop_last=False)
print(list(bs), len(bs))
bs2 = BatchSampler(RandomSampler(range(11), generator=torch.Generator().manual_seed(5)), 4, True)
print(list(bs2), len(bs2))
dl2 = DataLoader(ds, batch_sampler=bs, collate_fn=collate)
print([b[0].shape for b in dl2])
train, val, test = random_split(ds, [0.6, 0.2, 0.2], generator=torch.Generator().manual_seed(42))
print(len(train), len(val), len(test), train.indices, type(train).__name__)
a, b = random_split(range(10), [7, 3], generator=torch.Generator().manual_seed(0))
print(list(a), list(b))
cat = ConcatDataset([Subset(ds, [0, 1]), Subset(ds, [5])])
print(len(cat), cat.cumulative_sizes, cat[2][1])
dl3 = DataLoader(
    ds, batch_size=8, shuffle=True, collate_fn=collate, generator=torch.Generator().manual_seed(9)
)
print([y.tolist() for _, _, y in dl3])
print(len(dl3), len(DataLoader(ds, batch_size=8, drop_last=True)))
rows, mask, ys = next(iter(DataLoader(ds, batch_size=4, collate_fn=collate_lists)))
print(rows, mask.sum(1), ys, "-" * mask.sum(1).max())
rs = RandomSampler(ds, replacement=True, num_samples=5, generator=torch.Generator().manual_seed(2))
print(list(rs))
default = DataLoader(ds, batch_size=3, sampler=SubsetRandomSampler([1, 2, 3]), collate_fn=lambda b: b)
print(len(default), [len(b) for b in default])

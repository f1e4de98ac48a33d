import collections
import numpy as np
import torch
from torch.utils.data import (
    Dataset,
    DataLoader,
    TensorDataset,
    Subset,
    ConcatDataset,
    random_split,
    WeightedRandomSampler,
    SubsetRandomSampler,
    BatchSampler,
    SequentialSampler,
    RandomSampler,
    IterableDataset,
    default_collate,
)

torch.manual_seed(0)


class DS(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {
            "x": np.full(2, i, dtype=np.float32),
            "y": i,
            "w": float(i) / 2,
            "name": f"s{i}",
            "t": (i, i + 1),
            "b": bool(i % 2),
            "a64": np.array([i * 1.5]),
        }


dl = DataLoader(DS(), batch_size=2)
for b in dl:
    print({k: (v, getattr(v, "dtype", None)) for k, v in b.items()})
    break
P = collections.namedtuple("P", "a b")
print(
    default_collate([P(1, 2.0), P(3, 4.0)]),
    default_collate([[1, 2], [3, 4]]),
    default_collate([np.int64(1), np.int64(2)]),
    default_collate([np.float64(1.0)]).dtype,
)
print(default_collate([torch.tensor(1), torch.tensor(2)]), default_collate([(torch.ones(2), 1)] * 2))
ds = TensorDataset(torch.arange(10).float(), torch.arange(10))
print(ds[3], len(ds), ds.tensors[0].shape)
tr, va, te = random_split(ds, [0.6, 0.2, 0.2], generator=torch.Generator().manual_seed(0))
print(len(tr), len(va), len(te), list(tr.indices), va.indices)
tr2, va2 = random_split(range(10), [7, 3])
print(list(tr2), list(va2))
print(len(ConcatDataset([ds, ds])), ConcatDataset([ds, ds])[12], Subset(ds, [1, 3])[1])
s = WeightedRandomSampler(
    [0.1, 0.9, 0.0, 0.5], num_samples=6, replacement=True, generator=torch.Generator().manual_seed(1)
)
print(list(s), len(s))
print(
    list(SubsetRandomSampler([3, 5, 7], generator=torch.Generator().manual_seed(2))),
    list(BatchSampler(SequentialSampler(range(7)), 3, drop_last=False)),
    list(BatchSampler(range(7), 3, True)),
)
print(
    list(RandomSampler(range(5), generator=torch.Generator().manual_seed(4))),
    list(
        RandomSampler(range(3), replacement=True, num_samples=5, generator=torch.Generator().manual_seed(4))
    ),
)
dl = DataLoader(ds, batch_size=4, shuffle=True, drop_last=True)
print(len(dl), [b[1].tolist() for b in dl])
dl = DataLoader(ds, batch_size=3, sampler=SubsetRandomSampler(range(6)))
print(len(dl), [b[1].tolist() for b in dl])
dl = DataLoader(ds, batch_sampler=BatchSampler(RandomSampler(ds), 4, False))
print([b[1].tolist() for b in dl])
dl = DataLoader(ds, batch_size=None)
print(next(iter(dl)))
dl = DataLoader(ds, batch_size=4, collate_fn=lambda batch: batch)
print(next(iter(dl)))
it = iter(DataLoader(ds, batch_size=4))
print(next(it)[0], next(it)[0], next(it)[0])
try:
    next(it)
except StopIteration:
    print("stop")


class Stream(IterableDataset):
    def __iter__(self):
        for i in range(5):
            yield torch.tensor([i]), i * 2


print([b for b in DataLoader(Stream(), batch_size=2)])
try:
    DataLoader(Stream(), shuffle=True)
except ValueError:
    print("VE")
try:
    len(DataLoader(Stream()))
except TypeError:
    print("TE")
dl = DataLoader(ds, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(7))
print([b[1].tolist() for b in dl], [b[1].tolist() for b in dl])
dl = DataLoader(ds, batch_size=4, shuffle=True)
torch.manual_seed(5)
print([b[1].tolist() for b in dl])
print(torch.randn(1))
print(
    DataLoader(ds, batch_size=3).batch_size,
    len(DataLoader(ds, batch_size=3).dataset),
    DataLoader(ds).sampler.__class__.__name__,
)
x, y = next(
    iter(
        DataLoader(
            list(zip(np.random.RandomState(0).rand(4, 2).astype(np.float32), [0, 1, 0, 1])), batch_size=4
        )
    )
)
print(x.dtype, y)

import collections
import math

import numpy as np
import torch
from torch.utils.data import (
    DataLoader,
    Dataset,
    IterableDataset,
    SubsetRandomSampler,
    TensorDataset,
    default_collate,
    get_worker_info,
    random_split,
    ChainDataset,
    StackDataset,
)

torch.manual_seed(0)
Point = collections.namedtuple("Point", ["x", "y"])
print(default_collate([Point(torch.tensor(1.0), 2), Point(torch.tensor(3.0), 4)]))
print(default_collate([{"a": np.array([1.0, 2.0]), "b": [1, 2]}, {"a": np.array([3.0, 4.0]), "b": [3, 4]}]))
print(default_collate([(1.5, True, "s"), (2.5, False, "t")]))
print(default_collate([np.float32(1.0), np.float32(2.0)]), default_collate([np.int64(3), np.int64(4)]).dtype)


class RangeStream(IterableDataset):
    def __init__(self, start, end):
        super().__init__()
        self.start, self.end = start, end

    def __iter__(self):
        worker_info = get_worker_info()
        if worker_info is None:
            iter_start, iter_end = self.start, self.end
        else:
            per_worker = int(math.ceil((self.end - self.start) / float(worker_info.num_workers)))
            iter_start = self.start + worker_info.id * per_worker
            iter_end = min(iter_start + per_worker, self.end)
        return iter(range(iter_start, iter_end))


ds = RangeStream(3, 10)
print(list(DataLoader(ds, batch_size=3)))
print(list(DataLoader(ds, batch_size=3, drop_last=True)))
print(list(DataLoader(ChainDataset([RangeStream(0, 2), RangeStream(5, 7)]), batch_size=None)))


class Squares(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        if i >= 10:
            raise IndexError(i)
        return torch.tensor([float(i)]), i * i


sq = Squares()
print(sq[3], len(sq))
loader = DataLoader(
    sq, batch_size=4, sampler=SubsetRandomSampler([1, 3, 5, 7, 9], generator=torch.Generator().manual_seed(1))
)
print(len(loader), [y.tolist() for _, y in loader])
for i, (xb, yb) in enumerate(DataLoader(sq, batch_size=3, shuffle=False, pin_memory=False), 1):
    print(i, xb.shape, yb)
td = TensorDataset(torch.arange(6.0).view(3, 2), torch.tensor([0, 1, 0]))
print(td[1], len(td), td.tensors[1])
stack = StackDataset(td, torch.arange(3) * 10)
print(stack[2])
stack_d = StackDataset(a=td, b=[7, 8, 9])
print(stack_d[0])
tr, va = random_split(td, [0.67, 0.33], generator=torch.Generator().manual_seed(0))
print(len(tr), len(va), tr[0])
try:
    TensorDataset(torch.ones(3), torch.ones(4))
except AssertionError:
    print("AssertionError")
try:
    random_split(range(10), [3, 3])
except ValueError as e:
    print("ValueError", str(e)[:20])
try:
    DataLoader(sq, batch_size=2, shuffle=True, sampler=SubsetRandomSampler([1]))
except ValueError as e:
    print("ValueError", str(e)[:20])
try:
    DataLoader(sq, prefetch_factor=2)
except ValueError as e:
    print("ValueError", str(e)[:20])
dl = DataLoader(sq, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(5))
print([y.tolist() for _, y in dl], [y.tolist() for _, y in dl])
it = iter(dl)
print(len(dl), next(it)[1])
dl = DataLoader(list(zip(torch.randn(5, 2), torch.arange(5))), batch_size=2, collate_fn=lambda b: b)
print(len(next(iter(dl))), type(next(iter(dl))).__name__)
print(
    DataLoader(sq, batch_size=3).dataset is sq,
    DataLoader(sq, batch_size=3).batch_size,
    DataLoader(sq).drop_last,
)

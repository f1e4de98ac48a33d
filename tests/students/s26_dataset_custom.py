import torch
from torch.utils.data import Dataset, DataLoader, TensorDataset
import numpy as np
class Pairs(Dataset):
    def __init__(self, n): self.x = np.arange(n, dtype=np.float32); self.y = np.arange(n) % 3
    def __len__(self): return len(self.x)
    def __getitem__(self, i): return self.x[i], self.y[i]
dl = DataLoader(Pairs(7), batch_size=3)
for xb, yb in dl: print(xb, yb, xb.dtype, yb.dtype)
class Dicts(Dataset):
    def __len__(self): return 4
    def __getitem__(self, i): return {'x': torch.full((2,), float(i)), 'label': i, 'name': f'item{i}'}
b = next(iter(DataLoader(Dicts(), batch_size=4))); print(b)
class Ragged(Dataset):
    def __len__(self): return 2
    def __getitem__(self, i): return torch.ones(i + 1)
next(iter(DataLoader(Ragged(), batch_size=2)))
class NoLen(Dataset):
    def __getitem__(self, i): return i
DataLoader(NoLen(), batch_size=2).__len__()
print(next(iter(DataLoader([np.array([1.0, 2.0]), np.array([3.0, 4.0])], batch_size=2))))
print(next(iter(DataLoader([1.5, 2.5], batch_size=2))))
print(next(iter(DataLoader([True, False], batch_size=2))))
print(next(iter(DataLoader(['a', 'b'], batch_size=2))))
print(next(iter(DataLoader([(1, 'a'), (2, 'b')], batch_size=2))))
print(next(iter(DataLoader([np.float64(1.5), np.float64(2.5)], batch_size=2))))
print(next(iter(DataLoader([np.int32(1), np.int32(2)], batch_size=2))))
print(next(iter(DataLoader([None, None], batch_size=2))))
torch.manual_seed(0)
print([b.tolist() for b in DataLoader(torch.arange(6), batch_size=2, shuffle=True)])
g = torch.Generator(); g.manual_seed(1)
print([b.tolist() for b in DataLoader(torch.arange(6), batch_size=2, shuffle=True, generator=g)])
ds = TensorDataset(torch.arange(6.0), torch.arange(6))
print(ds[1:3])
print(ds[[0, 2]])
print(ds.tensors[0].shape)
from torch.utils.data import Subset, ConcatDataset
print(len(Subset(ds, [0, 1])), Subset(ds, [4])[0], len(ConcatDataset([ds, ds])))
print(len(DataLoader(ds, batch_size=4)), len(DataLoader(ds, batch_size=4, drop_last=True)))

import torch
from torch.utils.data import TensorDataset, DataLoader, random_split, Dataset
torch.manual_seed(0)
X = torch.randn(10, 3)
y = torch.randint(0, 2, (10,))
ds = TensorDataset(X, y)
print(len(ds), ds[0])
dl = DataLoader(ds, batch_size=4, shuffle=True)
for xb, yb in dl:
    print(xb.shape, yb)
print(len(dl))
next(iter(dl))[1]
dl[0]
train, valid = random_split(ds, [8, 2])
print(len(train), len(valid), train.indices if hasattr(train, 'indices') else None)
random_split(ds, [0.8, 0.2])
random_split(ds, [7, 2])
torch.manual_seed(1)
a = torch.rand(3)
torch.manual_seed(1)
b = torch.rand(3)
print(torch.equal(a, b), a)
g = torch.Generator().manual_seed(42)
print(torch.randn(2, generator=g))
print(list(DataLoader(range(5), batch_size=2)))
print(list(DataLoader([(1, 2.0), (3, 4.0)], batch_size=2)))
print(list(DataLoader([{'x': torch.ones(2), 'y': 1}] * 2, batch_size=2)))
class MyDS(Dataset):
    def __init__(self): self.x = torch.arange(6.)
    def __len__(self): return 6
    def __getitem__(self, i): return self.x[i], int(self.x[i]) % 2
for xb, yb in DataLoader(MyDS(), batch_size=4):
    print(xb, yb, yb.dtype)
TensorDataset(X, y[:5])
DataLoader(ds, batch_size=0)
DataLoader(ds, batch_size=4, drop_last=True).__len__()
for i, (xb, yb) in enumerate(DataLoader(ds, batch_size=3)):
    print(i, xb.shape)
print(list(DataLoader(ds, batch_size=4, sampler=range(3)))[0][1])

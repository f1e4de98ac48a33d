import random
import torch
from torch.utils.data import (
    DataLoader,
    Dataset,
    Subset,
    WeightedRandomSampler,
    random_split,
    ConcatDataset,
    BatchSampler,
    SequentialSampler,
    RandomSampler,
)


class AddNoise:
    def __init__(self, std):
        self.std = std

    def __call__(self, x):
        return x + self.std * torch.randn_like(x)


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x


class ToyDataset(Dataset):
    def __init__(self, n, transform=None, target_transform=None):
        g = torch.Generator().manual_seed(123)
        self.x = torch.randn(n, 3, generator=g)
        self.y = (torch.rand(n, generator=g) < 0.2).long()
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        x, y = self.x[idx], self.y[idx]
        if self.transform:
            x = self.transform(x)
        if self.target_transform:
            y = self.target_transform(y)
        return x, y


torch.manual_seed(0)
ds = ToyDataset(50, transform=Compose([AddNoise(0.0), lambda t: t * 2]), target_transform=lambda y: y.float())
print(len(ds), ds[0])
train_ds, val_ds = random_split(ds, [40, 10], generator=torch.Generator().manual_seed(42))
print(len(train_ds), len(val_ds), val_ds.indices, type(train_ds).__name__)
a, b, c = random_split(range(10), [0.5, 0.3, 0.2], generator=torch.Generator().manual_seed(1))
print(list(a), list(b), list(c))
class_counts = torch.bincount(ds.y)
print(class_counts)
weights = 1.0 / class_counts.float()
sample_weights = weights[ds.y]
sampler = WeightedRandomSampler(
    sample_weights,
    num_samples=len(sample_weights),
    replacement=True,
    generator=torch.Generator().manual_seed(7),
)
idx = list(sampler)
print(idx[:10], torch.bincount(ds.y[idx]))


def collate(batch):
    xs, ys = zip(*batch)
    return {"x": torch.stack(xs), "y": torch.stack(ys), "n": len(batch)}


def seed_worker(worker_id):
    worker_seed = torch.initial_seed() % 2**32
    random.seed(worker_seed)


g = torch.Generator()
g.manual_seed(0)
loader = DataLoader(
    train_ds,
    batch_size=16,
    shuffle=True,
    drop_last=True,
    collate_fn=collate,
    num_workers=0,
    worker_init_fn=seed_worker,
    generator=g,
)
print(len(loader))
for batch in loader:
    print(batch["x"].shape, batch["y"], batch["n"])
loader2 = DataLoader(ds, batch_size=12, sampler=sampler)
print([len(y) for _, y in loader2])
sub = Subset(ds, [0, 2, 4])
cat = ConcatDataset([sub, Subset(ds, [1])])
print(len(cat), cat[3][1], cat.cumulative_sizes)
print(list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False)))
print(list(BatchSampler(RandomSampler(range(7), generator=torch.Generator().manual_seed(3)), 3, True)))
dl = DataLoader(list(range(10)), batch_size=4)
print([b.tolist() for b in dl])
dl = DataLoader([(i, float(i) / 2, str(i)) for i in range(5)], batch_size=2)
for b in dl:
    print(b)
dl = DataLoader(torch.arange(6.0).view(3, 2), batch_size=None)
print([b for b in dl])

import collections
import math
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info
from torch.utils.data.dataloader import default_collate

Point = collections.namedtuple("Point", ["x", "y"])


class RangeStream(IterableDataset):
    def __init__(self, start, end):
        super().__init__()
        self.start, self.end = start, end

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            lo, hi = self.start, self.end
        else:
            per = int(math.ceil((self.end - self.start) / float(info.num_workers)))
            lo = self.start + info.id * per
            hi = min(lo + per, self.end)
        return iter(range(lo, hi))


class MapDS(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return {
            "img": np.full((2, 2), i, dtype=np.float32),
            "label": i % 3,
            "name": f"item{i}",
            "w": float(i) / 2,
            "pt": Point(i, -i),
        }


def seed_worker(worker_id):
    worker_seed = torch.initial_seed() % 2**32
    np.random.seed(worker_seed)


if __name__ == "__main__" or True:
    ds = RangeStream(3, 10)
    print(list(DataLoader(ds, batch_size=2)))
    print(sorted(int(v) for b in DataLoader(ds, num_workers=2, batch_size=None) for v in [b]))
    b = next(iter(DataLoader(MapDS(), batch_size=4)))
    print(b["img"].shape, b["img"].dtype, b["label"], b["name"], b["w"], b["pt"])
    print(type(b["pt"]).__name__, type(b).__name__)
    dl = DataLoader(
        MapDS(),
        batch_size=3,
        shuffle=True,
        num_workers=0,
        worker_init_fn=seed_worker,
        generator=torch.Generator().manual_seed(0),
        pin_memory=False,
    )
    for epoch in range(2):
        print([batch["label"].tolist() for batch in dl])
    print(default_collate([(1, 2.0), (3, 4.0)]), default_collate([np.array([1, 2]), np.array([3, 4])]))
    print(
        default_collate([True, False]),
        default_collate([torch.tensor(1), torch.tensor(2)]),
        default_collate(["a", "b"]),
    )
    print(default_collate([[1, 2], [3, 4]]))
    print(len(DataLoader(MapDS(), batch_size=4)), len(DataLoader(MapDS(), batch_size=4, drop_last=True)))
    print(
        next(iter(DataLoader(list(range(5)), batch_size=2))),
        next(iter(DataLoader(np.arange(6).reshape(3, 2), batch_size=2))),
    )

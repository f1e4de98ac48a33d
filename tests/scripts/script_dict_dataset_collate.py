import torch
from torch.utils.data import Dataset, DataLoader
from torch.nn.utils.rnn import pad_sequence

torch.manual_seed(2)


class SeqDS(Dataset):
    def __init__(self, n):
        self.lens = torch.randint(2, 7, (n,))
        self.data = [torch.randint(1, 20, (int(l),)) for l in self.lens]
        self.labels = torch.randint(0, 2, (n,))

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        return {"tokens": self.data[i], "label": self.labels[i], "length": len(self.data[i]), "id": f"s{i}"}


def collate(batch):
    toks = pad_sequence([b["tokens"] for b in batch], batch_first=True, padding_value=0)
    return {
        "tokens": toks,
        "labels": torch.stack([b["label"] for b in batch]),
        "lengths": torch.tensor([b["length"] for b in batch]),
        "ids": [b["id"] for b in batch],
    }


ds = SeqDS(10)
print(ds[0])
dl = DataLoader(ds, batch_size=4, collate_fn=collate)
for b in dl:
    print(b["tokens"].shape, b["labels"], b["lengths"], b["ids"])
    print(b["tokens"])
dl2 = DataLoader(ds, batch_size=3, shuffle=False, collate_fn=lambda x: x)
first = next(iter(dl2))
print(type(first), len(first), first[1]["id"])


# default collate of dicts with equal length
class FixedDS(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"x": torch.arange(3) * i, "y": float(i), "name": str(i), "t": (i, i * 2)}


for b in DataLoader(FixedDS(), batch_size=2):
    print(b)

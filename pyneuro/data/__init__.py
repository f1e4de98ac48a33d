"""Datasets and data loaders, shaped like ``torch.utils.data``.

    >>> from pyneuro.data import TensorDataset, DataLoader, random_split
    >>> ds = TensorDataset(images, labels)
    >>> loader = DataLoader(ds, batch_size=64, shuffle=True, generator=pn.Generator().manual_seed(0))
    >>> for x, y in loader: ...

    dataset.py   Dataset, IterableDataset, TensorDataset, StackDataset, ConcatDataset,
                 ChainDataset, Subset, random_split
    sampler.py   Sampler and the built-in orders (sequential, random, weighted, batches)
    distributed.py  DistributedSampler: one replica's share, in torch's order
    collate.py   default_collate (samples -> batch) and default_convert
    loader.py    DataLoader
    worker.py    get_worker_info, WorkerInfo: num_workers > 0 emulated in this process

Batches are Tensors. For a TensorDataset (or a Subset of one) each batch is gathered in one
vectorised indexing step per tensor, with no Python loop over samples; any other Dataset is
read item by item and combined with :func:`default_collate`, as PyTorch does.
torch's import paths (torch.utils.data.dataset, .sampler, .dataloader) are pyneuro.utils.data's.
"""

from .collate import default_collate, default_convert
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .distributed import DistributedSampler
from .loader import DataLoader
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from .worker import WorkerInfo, get_worker_info

__all__ = [
    "Dataset",
    "IterableDataset",
    "TensorDataset",
    "StackDataset",
    "Subset",
    "ConcatDataset",
    "ChainDataset",
    "random_split",
    "DataLoader",
    "get_worker_info",
    "WorkerInfo",
    "default_collate",
    "default_convert",
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
    "DistributedSampler",
]

"""Datasets and data loaders, shaped like ``torch.utils.data``.

    >>> from pyneuro.data import TensorDataset, DataLoader, random_split
    >>> ds = TensorDataset(images, labels)
    >>> loader = DataLoader(ds, batch_size=64, shuffle=True, generator=pn.Generator().manual_seed(0))
    >>> for x, y in loader: ...

Batches are Tensors. For a TensorDataset (or a Subset of one) each batch is gathered in one
vectorised indexing step per tensor, with no Python loop over samples; any other Dataset is
read item by item and combined with :func:`default_collate`, as PyTorch does.
"""

from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .loader import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
    default_collate,
)

__all__ = [
    "Dataset",
    "TensorDataset",
    "Subset",
    "ConcatDataset",
    "random_split",
    "DataLoader",
    "default_collate",
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
]

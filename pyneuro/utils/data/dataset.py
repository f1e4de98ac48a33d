"""torch.utils.data.dataset's path: the datasets of pyneuro/data/dataset.py."""

from ...data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)

__all__ = [
    "Dataset",
    "IterableDataset",
    "TensorDataset",
    "StackDataset",
    "ConcatDataset",
    "ChainDataset",
    "Subset",
    "random_split",
]

for _name in __all__:  # type() prints torch's path: torch.utils.data.dataset.TensorDataset
    if isinstance(globals()[_name], type):
        globals()[_name].__module__ = __name__
del _name

"""torch.utils.data.dataloader's path: DataLoader and friends from pyneuro/data."""

from ...data.collate import default_collate, default_convert
from ...data.loader import (  # (the iterators' classes: torch's path for type(iter(loader)))
    DataLoader,
    _MultiProcessingDataLoaderIter,  # noqa: F401
    _SingleProcessDataLoaderIter,  # noqa: F401
    get_worker_info,
)

__all__ = ["DataLoader", "get_worker_info", "default_collate", "default_convert"]

DataLoader.__module__ = __name__  # type() prints torch's path: torch.utils.data.dataloader.DataLoader

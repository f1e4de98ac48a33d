"""pyneuro.utils.data: torch.utils.data's import path for pyneuro.data (datasets, loaders, samplers).

    from pyneuro.utils.data import DataLoader, TensorDataset
    from pyneuro.utils.data.dataset import Dataset
    from pyneuro.utils.data.sampler import Sampler, RandomSampler
    from pyneuro.utils.data.distributed import DistributedSampler
    from pyneuro.utils.data.dataloader import DataLoader, default_collate

The code lives in pyneuro/data/; this package and its submodules only give it torch's names.
"""

from ...data import *  # noqa: F403
from ...data import __all__  # noqa: F401
from . import _utils, dataloader, dataset, distributed, sampler  # noqa: F401

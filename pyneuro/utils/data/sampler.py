"""torch.utils.data.sampler's path: the samplers of pyneuro/data/sampler.py."""

from ...data.sampler import (  # noqa: F401
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
    __all__,
)

for _name in __all__:  # print(loader.sampler) shows torch's path: torch.utils.data.sampler.RandomSampler
    globals()[_name].__module__ = __name__
del _name

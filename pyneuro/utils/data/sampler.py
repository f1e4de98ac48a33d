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

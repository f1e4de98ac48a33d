"""torch.utils.data.distributed's path: DistributedSampler of pyneuro/data/distributed.py."""

from ...data.distributed import DistributedSampler, __all__  # noqa: F401

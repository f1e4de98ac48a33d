"""DistributedSampler (torch.utils.data.distributed): one replica's share of a dataset.

Scripts written for several processes build it with num_replicas and rank given (or read from
torch.distributed, which pyneuro answers as a process group that was never initialised). The
order is torch's: with shuffle, the permutation of randperm(len) from a Generator seeded with
seed + epoch (set_epoch before each epoch); the list is padded by wrapping around (or cut with
drop_last) to a multiple of num_replicas, and the replica takes every num_replicas-th index
from its rank. So rank r here reads exactly the indices torch's rank r reads.
"""

from __future__ import annotations

import math

from .. import distributed as dist
from ..creation import randperm
from ..random import Generator
from .sampler import Sampler, T_co

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler[T_co]):
    """DistributedSampler(dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False)."""

    def __init__(
        self,
        dataset,
        num_replicas=None,
        rank=None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ):
        if num_replicas is None:
            num_replicas = dist.get_world_size()  # torch's ValueError: no process group
        if rank is None:
            rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if drop_last and len(dataset) % num_replicas != 0:  # drop the tail that cannot be split evenly
            self.num_samples = math.ceil((len(dataset) - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(len(dataset) / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            g = Generator().manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:  # pad to total_size by repeating the list from its start
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch that seeds the next shuffle (call it before each epoch, as with torch)."""
        self.epoch = epoch

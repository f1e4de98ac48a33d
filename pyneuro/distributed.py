"""pyneuro.distributed: the answers a single-process script asks torch.distributed for.

pyneuro trains in one process, so `is_available()` is False, as on a torch build without
distributed support; scripts guard their multi-process code with it
(`if dist.is_available() and dist.is_initialized(): ...`) or with an environment variable
(`ddp = int(os.environ.get('RANK', -1)) != -1`, nanoGPT's). The names such a script imports or
reads at module level exist (`from torch.distributed import init_process_group,
destroy_process_group`, `dist.ReduceOp.AVG`); the collectives raise torch's error without a
process group, which pyneuro never has.
"""

from __future__ import annotations

import enum

_NO_GROUP = "Default process group has not been initialized, please make sure to call init_process_group."


def is_available() -> bool:
    return False


def is_initialized() -> bool:
    return False


def is_torchelastic_launched() -> bool:
    return False


def get_rank(group=None) -> int:
    raise ValueError(_NO_GROUP)


def get_world_size(group=None) -> int:
    raise ValueError(_NO_GROUP)


def get_backend(group=None) -> str:
    raise ValueError(_NO_GROUP)


def init_process_group(*args, **kwargs):
    raise RuntimeError("pyneuro trains in one process: torch.distributed is not available")


def destroy_process_group(group=None):
    raise AssertionError("Process group cannot be None")  # torch's, with no group made


class ReduceOp:
    """torch's reduction operations (dist.ReduceOp.SUM, .AVG, ...): members of ReduceOp.RedOpType,
    printed as torch prints them (RedOpType.AVG)."""

    class RedOpType(enum.IntEnum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7
        PREMUL_SUM = 8

        def __str__(self):
            return f"RedOpType.{self.name}"

    RedOpType.__qualname__ = "ReduceOp.RedOpType"


for _op in ReduceOp.RedOpType:
    setattr(ReduceOp, _op.name, _op)


def _collective(name):
    def collective(*args, **kwargs):
        raise ValueError(_NO_GROUP)

    collective.__name__ = collective.__qualname__ = name
    collective.__doc__ = f"torch.distributed.{name}: torch's error, as there is no process group."
    return collective


all_reduce = _collective("all_reduce")
all_gather = _collective("all_gather")
all_gather_into_tensor = _collective("all_gather_into_tensor")
reduce = _collective("reduce")
reduce_scatter = _collective("reduce_scatter")
broadcast = _collective("broadcast")
barrier = _collective("barrier")
gather = _collective("gather")
scatter = _collective("scatter")
all_gather_object = _collective("all_gather_object")
broadcast_object_list = _collective("broadcast_object_list")
new_group = _collective("new_group")

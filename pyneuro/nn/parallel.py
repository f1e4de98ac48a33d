"""torch.nn.parallel: the multi-GPU wrappers, as torch answers them on a machine pyneuro runs.

pyneuro runs one device at a time (one process), so DataParallel calls its module
(modules/parallel.py), DistributedDataParallel is torch's error without an initialised process
group (pyneuro.distributed never has one), and the functional data_parallel is torch's error
without a GPU. Scripts that only import torch.nn.parallel, or use it "if several GPUs", run.
"""

from __future__ import annotations

from .modules.module import Module
from .modules.parallel import DataParallel


class DistributedDataParallel(Module):
    """torch's DistributedDataParallel: it needs a process group, which pyneuro never has."""

    def __init__(self, module, *args, **kwargs):
        raise ValueError(
            "Default process group has not been initialized, please make sure to call init_process_group."
        )


def data_parallel(module, inputs, device_ids=None, output_device=None, dim: int = 0, module_kwargs=None):
    """torch's functional DataParallel: it splits over GPUs, and like torch's it refuses without one."""
    raise RuntimeError("device type could not be determined")


__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]

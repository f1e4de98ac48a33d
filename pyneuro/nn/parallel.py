"""torch.nn.parallel: the multi-GPU wrappers, as torch answers them on a machine pyneuro runs.

pyneuro runs one device at a time (one process), so DataParallel calls its module
(modules/parallel.py), DistributedDataParallel is torch's error without an initialised process
group (pyneuro.distributed never has one), and the functional data_parallel is torch's error
without a GPU. Scripts that only import torch.nn.parallel, or use it "if several GPUs", run.
replicate and parallel_apply (the steps of data_parallel) hand back the module itself, one per
device, and call each module on its input. scatter and gather split a batch over the GPUs and join the pieces as torch's do (d2l.ai's
multi-GPU chapter from scratch splits its batches with scatter): pyneuro has one GPU, which each
target names; the CPU is torch's ValueError there, a CPU tensor its AssertionError in gather.
"""

from __future__ import annotations

from .. import cuda as _cuda
from .._tensor_base import TensorBase
from ..functions import cat
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


def _gpu(device) -> str:
    """The device a piece goes to: the GPU (an index, "cuda", "cuda:0", a device); torch's ValueError
    for the CPU, pyneuro.cuda's errors for another index."""
    _gpu_name_checked(device)
    _cuda._gpu_index(device)
    return "cuda"


def replicate(network, devices, detach: bool = False):
    """One copy of network per device, as torch's. A CPU device is torch's ValueError, a module
    on the CPU its AssertionError (it broadcasts GPU tensors only). pyneuro has one GPU, each
    device names it, so each replica is network itself: its parameters, their gradients."""
    for d in devices:
        _gpu_name_checked(d)
    if any(p.device.type == "cpu" for p in network.parameters()):
        raise AssertionError("Broadcast function not implemented for CPU tensors")
    for d in devices:
        _gpu(d)
    return [network for _ in devices]


def parallel_apply(modules, inputs, kwargs_tup=None, devices=None):
    """modules[i](*inputs[i], **kwargs_tup[i]) for each i (torch's runs them in threads on the
    GPUs; on pyneuro's one GPU, one after another). Torch's AssertionError for counts that differ,
    its RuntimeError without a GPU."""
    if len(modules) != len(inputs):
        raise AssertionError(
            f"The number of modules {len(modules)} is not equal to the number of inputs {len(inputs)}"
        )
    kwargs_tup = kwargs_tup if kwargs_tup is not None else ({},) * len(modules)
    if len(modules) != len(kwargs_tup):
        raise AssertionError(f"The number of modules {len(modules)} is not equal to the number of kwargs")
    if not _cuda.is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    return [
        module(*(x if isinstance(x, (list, tuple)) else (x,)), **kw)
        for module, x, kw in zip(modules, inputs, kwargs_tup)
    ]


def _gpu_name_checked(device) -> None:
    name = device if isinstance(device, str) else getattr(device, "type", None)
    if isinstance(name, str) and name.partition(":")[0] == "cpu":
        raise ValueError(f"Expected a non cpu device, but got: {device}")


def _is_namedtuple(obj) -> bool:
    return isinstance(obj, tuple) and hasattr(obj, "_asdict") and hasattr(obj, "_fields")


def scatter(inputs, target_gpus, dim: int = 0):
    """One piece of inputs per target GPU: each tensor chunked along dim (differentiably), tuples,
    lists, dicts and namedtuples of tensors split alike, anything else repeated (torch's rule)."""

    def scatter_map(obj):
        if isinstance(obj, TensorBase):
            devices = [_gpu(d) for d in target_gpus]
            return tuple(piece.to(d) for piece, d in zip(obj.chunk(len(devices), dim), devices))
        if _is_namedtuple(obj):
            return [type(obj)(*args) for args in zip(*map(scatter_map, obj))]
        if isinstance(obj, tuple) and len(obj) > 0:
            return list(zip(*map(scatter_map, obj)))
        if isinstance(obj, list) and len(obj) > 0:
            return [list(i) for i in zip(*map(scatter_map, obj))]
        if isinstance(obj, dict) and len(obj) > 0:
            return [type(obj)(i) for i in zip(*map(scatter_map, obj.items()))]
        return [obj for _ in target_gpus]

    return scatter_map(inputs)


def gather(outputs, target_device, dim: int = 0):
    """The pieces (tensors, or dicts/tuples of them, one per GPU) joined along dim on target_device
    (-1 or "cpu": the CPU); CPU tensors are torch's AssertionError."""

    def gather_map(pieces):
        first = pieces[0]
        if isinstance(first, TensorBase):
            if any(p.device.type == "cpu" for p in pieces):
                raise AssertionError("Gather function not implemented for CPU tensors")
            cpu = target_device == -1 or getattr(target_device, "type", target_device) == "cpu"
            target = "cpu" if cpu else _gpu(target_device)
            return cat([p.to(target) for p in pieces], dim)
        if first is None:
            return None
        if isinstance(first, dict):
            if not all(len(first) == len(d) for d in pieces):
                raise ValueError("All dicts must have the same number of keys")
            return type(first)((k, gather_map([d[k] for d in pieces])) for k in first)
        if _is_namedtuple(first):
            return type(first)._make(map(gather_map, zip(*pieces)))
        return type(first)(map(gather_map, zip(*pieces)))

    return gather_map(outputs)


__all__ = [
    "DataParallel",
    "DistributedDataParallel",
    "data_parallel",
    "gather",
    "parallel_apply",
    "replicate",
    "scatter",
]

"""nn.DataParallel (torch.nn.parallel.DataParallel) on a machine pyneuro runs on as one device.

torch splits each batch across its visible GPUs, runs a replica of the module on each and
gathers the outputs; with no GPU it simply calls the module. pyneuro runs one device at a
time, so DataParallel is that simple case everywhere: forward calls the wrapped module, which
stays reachable as `.module` (its state_dict keys gain the "module." prefix, as torch's do).
Scripts that wrap a model "if there are several GPUs" or always, then save `model.module`,
run unchanged.
"""

from __future__ import annotations

from .module import Module


class DataParallel(Module):
    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0) -> None:
        super().__init__()
        self.module = module
        self.device_ids = [] if device_ids is None else list(device_ids)
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


__all__ = ["DataParallel"]

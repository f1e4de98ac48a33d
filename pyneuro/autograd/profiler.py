"""torch.autograd.profiler: the older spelling of the profiler, kept because tutorials use it.

    with torch.autograd.profiler.profile(record_shapes=True) as prof:
        with torch.autograd.profiler.record_function("model_inference"):
            model(x)
    print(prof.key_averages().table(sort_by="self_cpu_time_total"))

It is pyneuro.profiler's profile with torch.autograd.profiler's signature (`enabled` first,
positional); `enabled=False` records nothing. Loaded on first use of `pn.autograd.profiler`.
"""

from __future__ import annotations

from ..profiler import profile as _profile
from ..profiler import record_function

__all__ = ["profile", "record_function"]


class profile(_profile):
    """torch.autograd.profiler.profile(enabled=True, *, use_cuda=False, record_shapes=False,
    with_flops=False, profile_memory=False, with_stack=False, ...)."""

    def __init__(
        self, enabled: bool = True, *, use_cuda: bool = False, profile_memory: bool = False, **kwargs
    ):
        super().__init__(profile_memory=profile_memory, **{k: v for k, v in kwargs.items() if k in _KEPT})
        self.enabled = bool(enabled)

    def start(self) -> None:
        if self.enabled:
            super().start()

    def stop(self) -> None:
        if self.enabled:
            super().stop()


_KEPT = ("record_shapes", "with_flops", "with_stack", "with_modules", "experimental_config", "acc_events")

"""pyneuro.optim.lr_scheduler: learning-rate schedules, torch.optim.lr_scheduler's names and numbers.

base.py      LRScheduler and the one-formula schedules (StepLR, MultiStepLR, ConstantLR,
             LinearLR, ExponentialLR, PolynomialLR, CosineAnnealingLR, LambdaLR,
             MultiplicativeLR)
cyclic.py    CyclicLR, CosineAnnealingWarmRestarts, OneCycleLR
plateau.py   ReduceLROnPlateau (driven by a metric)
combine.py   SequentialLR, ChainedScheduler
"""

from .base import (
    EPOCH_DEPRECATION_WARNING,
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from .combine import ChainedScheduler, SequentialLR
from .cyclic import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from .plateau import ReduceLROnPlateau


class _LRScheduler(LRScheduler):
    """torch's old name, kept as torch keeps it: a subclass that old custom schedulers derive
    from (so the built-in schedules are not instances of it)."""


__all__ = [
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "SequentialLR",
    "CosineAnnealingLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
    "CyclicLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "PolynomialLR",
    "LRScheduler",
    "EPOCH_DEPRECATION_WARNING",
]

for _name in __all__:  # type() prints torch's path: torch.optim.lr_scheduler.StepLR
    if isinstance(globals()[_name], type):
        globals()[_name].__module__ = __name__
del _name

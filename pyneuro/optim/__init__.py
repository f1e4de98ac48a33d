"""pyneuro.optim: optimizers whose updates are backend kernels or whole-array passes (like torch.optim)."""

from . import adagrad, adamax, adamw, asgd, lr_scheduler, nadam, radam, sparse_adam, swa_utils  # noqa: F401  (torch's module paths)
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adam import Adam, AdamW
from .adam_variants import Adamax, NAdam, RAdam
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .rmsprop import Adagrad, RMSprop
from .rprop import ASGD, Rprop
from .sgd import SGD
from .sparse_adam import SparseAdam

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "Adadelta",
    "Adafactor",
    "RMSprop",
    "Adagrad",
    "Adamax",
    "NAdam",
    "RAdam",
    "Rprop",
    "SparseAdam",
    "ASGD",
    "LBFGS",
    "lr_scheduler",
    "swa_utils",
]

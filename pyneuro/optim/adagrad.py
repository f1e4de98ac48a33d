"""torch.optim.adagrad's path: Adagrad lives in rmsprop.py, with the other running-square optimizers."""

from .rmsprop import Adagrad

Adagrad.__module__ = __name__  # type() prints torch's path: torch.optim.adagrad.Adagrad

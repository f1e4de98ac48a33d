"""torch.optim.adagrad's path: Adagrad lives in rmsprop.py, with the other running-square optimizers."""

from .rmsprop import Adagrad  # noqa: F401

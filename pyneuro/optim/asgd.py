"""torch.optim.asgd's path: ASGD lives in rprop.py."""

from .rprop import ASGD  # noqa: F401

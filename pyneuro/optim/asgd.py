"""torch.optim.asgd's path: ASGD lives in rprop.py."""

from .rprop import ASGD

ASGD.__module__ = __name__  # type() prints torch's path: torch.optim.asgd.ASGD

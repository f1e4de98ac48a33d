"""torch.optim.adamax's path: Adamax lives in adam_variants.py."""

from .adam_variants import Adamax

Adamax.__module__ = __name__  # type() prints torch's path: torch.optim.adamax.Adamax

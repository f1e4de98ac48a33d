"""torch.optim.adamax's path: Adamax lives in adam_variants.py."""

from .adam_variants import Adamax  # noqa: F401

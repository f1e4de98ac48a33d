"""torch.optim.radam's path: RAdam lives in adam_variants.py."""

from .adam_variants import RAdam  # noqa: F401

"""torch.optim.radam's path: RAdam lives in adam_variants.py."""

from .adam_variants import RAdam

RAdam.__module__ = __name__  # type() prints torch's path: torch.optim.radam.RAdam

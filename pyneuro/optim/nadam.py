"""torch.optim.nadam's path: NAdam lives in adam_variants.py."""

from .adam_variants import NAdam

NAdam.__module__ = __name__  # type() prints torch's path: torch.optim.nadam.NAdam

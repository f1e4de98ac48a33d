"""torch.optim.adamw's path: AdamW lives in adam.py, beside Adam, whose update it shares."""

from .adam import AdamW

AdamW.__module__ = __name__  # type() prints torch's path: torch.optim.adamw.AdamW

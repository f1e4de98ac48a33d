"""torch.optim.adamw's path: AdamW lives in adam.py, beside Adam, whose update it shares."""

from .adam import AdamW  # noqa: F401

"""pyneuro.utils: torch.utils's paths for course code (`from pyneuro.utils.data import DataLoader`)."""

from . import data, hooks

__all__ = ["data", "hooks"]

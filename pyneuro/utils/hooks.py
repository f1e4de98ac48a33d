"""pyneuro.utils.hooks: torch.utils.hooks's path for the handle a hook registration returns."""

from .._handles import RemovableHandle

__all__ = ["RemovableHandle"]

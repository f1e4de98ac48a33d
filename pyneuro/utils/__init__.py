"""pyneuro.utils: torch.utils's paths for course code (`from pyneuro.utils.data import DataLoader`,
`from pyneuro.utils.checkpoint import checkpoint`)."""

from . import checkpoint, data, deterministic, dlpack, hooks

__all__ = ["checkpoint", "data", "deterministic", "dlpack", "hooks"]

"""torch.utils.data._utils's path: library code imports the default collate from here."""

from . import collate  # noqa: F401

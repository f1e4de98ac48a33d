"""torch.utils.data._utils.collate's path: default_collate and default_convert of pyneuro/data/collate.py."""

from ....data.collate import default_collate, default_convert  # noqa: F401

"""pyneuro.nn.functional: torch.nn.functional's import path (`import pyneuro.nn.functional as F`).

The functions live in pyneuro/functional.py (`pyneuro.functional`, the same objects); this
module only gives them torch's name.
"""

from ..functional import *  # noqa: F403 - the whole public surface, listed in its __all__
from ..functional import __all__  # noqa: F401

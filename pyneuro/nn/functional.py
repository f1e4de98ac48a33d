"""pyneuro.nn.functional: torch.nn.functional's import path (`import pyneuro.nn.functional as F`).

The functions live in pyneuro/functional.py (`pyneuro.functional`, the same objects); this
module only gives them torch's name, and adds multi_head_attention_forward, which is
nn.MultiheadAttention's forward (nn/modules/attention.py) with the weights as arguments, and
linear_cross_entropy, nn.LinearCrossEntropyLoss's (nn/modules/linear_cross_entropy.py), and
`grad`, torch's F.grad: nn/grad.py (conv2d_input, conv2d_weight, ...).
"""

from ..functional import *  # noqa: F403 - the whole public surface, listed in its __all__
from ..functional import __all__ as _FUNCTIONAL
from . import grad
from .modules.attention import multi_head_attention_forward
from .modules.linear_cross_entropy import linear_cross_entropy

__all__ = [*_FUNCTIONAL, "multi_head_attention_forward", "linear_cross_entropy", "grad"]

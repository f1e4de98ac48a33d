"""Dropout and Dropout2d, and _DropoutNd, the base of every dropout layer (torch's: Dropout1d/3d,
AlphaDropout and FeatureAlphaDropout, in layers_more.py, extend it too), so that
`isinstance(m, nn.modules.dropout._DropoutNd)` finds them all, as in torch."""

from __future__ import annotations

from ... import functional as F
from ...tensor import Tensor
from .module import Module


class _DropoutNd(Module):
    """A dropout layer's probability p (checked to be in [0, 1]) and inplace flag."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero elements with probability p while training (scaled by 1/(1-p)); identity in eval."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels (feature maps) with probability p while training, scaling the kept
    ones by 1/(1-p); identity in eval. Input (N, C, H, W) or (C, H, W)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)

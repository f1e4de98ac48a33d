"""LayerNorm, BatchNorm1d and BatchNorm2d."""

from __future__ import annotations

from ... import functional as F
from ..._errors import ShapeError
from ..._tensor_base import _device
from ...creation import ones, zeros
from ...tensor import Tensor
from .module import Module, Parameter


class LayerNorm(Module):
    """Normalise over the last dims (normalized_shape), then scale and shift (weight=1, bias=0 at start)."""

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape = shape
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dev, dt = _device(device), dtype or "float32"
        if elementwise_affine:
            self.weight = Parameter(ones(shape, dtype=dt, device=dev))
            if bias:
                self.bias = Parameter(zeros(shape, dtype=dt, device=dev))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.bias is not None}"
        )


class BatchNorm1d(Module):
    """Batch normalisation of (N, C) or (N, C, L) input over the batch, per channel.

    train(): normalise with the batch's statistics and update running_mean/running_var
    (momentum 0.1; momentum=None: a cumulative average); eval(): use the running ones.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dev, dt = _device(device), dtype or "float32"
        if affine:
            self.weight = Parameter(ones((num_features,), dtype=dt, device=dev))
            self.bias = Parameter(zeros((num_features,), dtype=dt, device=dev))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros((num_features,), dtype=dt, device=dev))
            self.register_buffer("running_var", ones((num_features,), dtype=dt, device=dev))
            self.register_buffer("num_batches_tracked", zeros((), dtype="int64", device=dev))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def _check_input(self, input: Tensor) -> None:
        if input.ndim not in (2, 3) or input.shape[1] != self.num_features:
            raise ShapeError(
                f"BatchNorm1d({self.num_features}): expected input of shape (N, {self.num_features}) or "
                f"(N, {self.num_features}, L), got {tuple(input.shape)}"
            )

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        use_batch = self.training or not self.track_running_stats
        momentum = self.momentum if self.momentum is not None else 0.0
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked.item())
        return F.batch_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            training=use_batch,
            momentum=momentum,
            eps=self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm2d(BatchNorm1d):
    """Batch normalisation of (N, C, H, W) input per channel, over N, H and W (as torch).

    Same statistics as BatchNorm1d: the batch's biased variance normalises; the running
    variance moves toward the unbiased one (n = N H W values per channel).
    """

    def _check_input(self, input: Tensor) -> None:
        if input.ndim != 4:
            raise ShapeError(f"expected 4D input (got {input.ndim}D input)")
        if input.shape[1] != self.num_features:
            raise ShapeError(
                f"BatchNorm2d({self.num_features}): expected input of shape (N, {self.num_features}, H, W), "
                f"got {tuple(input.shape)}"
            )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.affine}, track_running_stats={self.track_running_stats}"
        )

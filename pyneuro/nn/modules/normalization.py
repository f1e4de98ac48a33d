"""LayerNorm, GroupNorm, BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d and LocalResponseNorm."""

from __future__ import annotations

import warnings

from ... import functional as F
from ..._dtype import int64 as _int64
from ..._errors import ShapeError
from ..._shapes import ints
from ..._tensor_base import _device
from ...creation import ones, zeros
from ...functional_norm import cross_map_lrn2d
from ...tensor import Tensor
from .. import init
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
        shape = ints(normalized_shape)
        self.normalized_shape = shape
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dev, dt = _device(device), dtype
        if elementwise_affine:
            self.weight = Parameter(ones(shape, dtype=dt, device=dev))
            if bias:
                self.bias = Parameter(zeros(shape, dtype=dt, device=dev))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """weight = 1, bias = 0 (torch's: its __init__ runs it, so each starts at version 1)."""
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.bias is not None}"
        )


def _norm_state(module, num_features, eps, momentum, affine, track_running_stats, device, dtype, bias):
    """The attributes, parameters and buffers of torch's _NormBase (batch and instance norms):
    weight = 1, bias = 0 when affine; running_mean = 0, running_var = 1 and
    num_batches_tracked = 0 as buffers when tracking running statistics (else None)."""
    module.num_features, module.eps, module.momentum = num_features, eps, momentum
    module.affine, module.track_running_stats = affine, track_running_stats
    dev, dt = _device(device), dtype
    if affine:
        module.weight = Parameter(ones((num_features,), dtype=dt, device=dev))
        if bias:
            module.bias = Parameter(zeros((num_features,), dtype=dt, device=dev))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)
    if track_running_stats:
        module.register_buffer("running_mean", zeros((num_features,), dtype=dt, device=dev))
        module.register_buffer("running_var", ones((num_features,), dtype=dt, device=dev))
        module.register_buffer("num_batches_tracked", zeros((), dtype=_int64, device=dev))
    else:
        module.register_buffer("running_mean", None)
        module.register_buffer("running_var", None)
        module.register_buffer("num_batches_tracked", None)
    module.reset_parameters()  # as torch's __init__: every parameter and buffer starts at version 1


def _norm_repr(module) -> str:
    return (
        f"{module.num_features}, eps={module.eps}, momentum={module.momentum}, affine={module.affine}, "
        f"bias={module.bias is not None}, track_running_stats={module.track_running_stats}"
    )


class _NormBase(Module):
    """What batch and instance norms share beyond _norm_state: torch's reset_running_stats and
    reset_parameters (which a lazy norm runs once it knows num_features, nn/modules/lazy.py)."""

    _version = 2  # version 2 added num_batches_tracked (torch's numbering, saved in state_dict._metadata)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, *args) -> None:
        """A checkpoint from before version 2 (or a plain dict, which has no version) may lack
        num_batches_tracked: it then loads as the module's current count, as in torch."""
        version = local_metadata.get("version")
        key = prefix + "num_batches_tracked"
        if (version is None or version < 2) and self.track_running_stats and key not in state_dict:
            state_dict[key] = self.num_batches_tracked
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, *args)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)


class _BatchNorm(_NormBase):
    """What the batch norms share (torch's base class, for isinstance checks): normalisation over
    the batch per channel. train(): normalise with the batch's statistics and update
    running_mean/running_var (momentum 0.1; momentum=None: a cumulative average); eval(): use
    the running ones. Each subclass checks the input's rank (_check_input).
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
        *,
        bias: bool = True,
    ):
        super().__init__()
        _norm_state(self, num_features, eps, momentum, affine, track_running_stats, device, dtype, bias)

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
        return _norm_repr(self)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input over the batch, per channel."""

    def _check_input(self, input: Tensor) -> None:
        if input.ndim not in (2, 3) or input.shape[1] != self.num_features:
            raise ShapeError(
                f"BatchNorm1d({self.num_features}): expected input of shape (N, {self.num_features}) or "
                f"(N, {self.num_features}, L), got {tuple(input.shape)}"
            )


class BatchNorm2d(_BatchNorm):
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


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) input per channel, over N, D, H and W (as torch)."""

    def _check_input(self, input: Tensor) -> None:
        if input.ndim != 5:
            raise ShapeError(f"expected 5D input (got {input.ndim}D input)")
        if input.shape[1] != self.num_features:
            raise ShapeError(
                f"BatchNorm3d({self.num_features}): expected input of shape (N, {self.num_features}, D, H, W), "
                f"got {tuple(input.shape)}"
            )


class SyncBatchNorm(_BatchNorm):
    """torch's SyncBatchNorm: batch normalisation whose statistics a distributed job would gather
    across its processes. pyneuro trains in one process (pyneuro.distributed is never initialised),
    where torch's SyncBatchNorm is plain batch normalisation of any (N, C, ...) input."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        process_group=None,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)
        self.process_group = process_group

    def _check_input(self, input: Tensor) -> None:
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """module with each batch norm in it replaced by a SyncBatchNorm sharing its parameters and
        running statistics (a batch norm given itself comes back as a new SyncBatchNorm), as torch."""
        out = module
        if isinstance(module, _BatchNorm):
            out = SyncBatchNorm(
                module.num_features,
                module.eps,
                module.momentum,
                module.affine,
                module.track_running_stats,
                process_group,
                bias=module.bias is not None,
            )
            if module.affine:
                out.weight, out.bias = module.weight, module.bias
            out.running_mean, out.running_var = module.running_mean, module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out


class GroupNorm(Module):
    """Normalise each of num_groups channel groups of each sample (F.group_norm), then scale and
    shift per channel (weight = 1, bias = 0 at start) when affine. No running statistics."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        dev, dt = _device(device), dtype
        if affine:
            self.weight = Parameter(ones((num_channels,), dtype=dt, device=dev))
            if bias:
                self.bias = Parameter(zeros((num_channels,), dtype=dt, device=dev))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """weight = 1, bias = 0 (torch's: its __init__ runs it, so each starts at version 1)."""
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class _InstanceNorm(_NormBase):
    """Instance normalisation (F.instance_norm): each channel of each sample over its own
    spatial positions. affine=False and no running statistics by default (as torch); with
    track_running_stats=True, train() updates running_mean/running_var (momentum; None: 0)
    and eval() normalises with them. Unbatched input (no N) works too."""

    _spatial_dims = 1

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ):
        super().__init__()
        _norm_state(self, num_features, eps, momentum, affine, track_running_stats, device, dtype, bias)

    def forward(self, input: Tensor) -> Tensor:
        unbatched = self._spatial_dims + 1
        if input.ndim not in (unbatched, unbatched + 1):
            raise ShapeError(f"expected {unbatched}D or {unbatched + 1}D input (got {input.ndim}D input)")
        feature_dim = input.ndim - unbatched
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ShapeError(
                    f"expected input's size at dim={feature_dim} to match num_features "
                    f"({self.num_features}), but got: {input.shape[feature_dim]}."
                )
            warnings.warn(
                f"input's size at dim={feature_dim} does not match num_features. You can silence this "
                "warning by not passing in num_features, which is not used because affine=False",
                stacklevel=2,
            )
        x = input.unsqueeze(0) if input.ndim == unbatched else input
        out = F.instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )
        return out.squeeze(0) if input.ndim == unbatched else out

    def extra_repr(self) -> str:
        return _norm_repr(self)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) or (C, L) input, over L."""

    _spatial_dims = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) or (C, H, W) input, over H and W."""

    _spatial_dims = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of (N, C, D, H, W) or (C, D, H, W) input, over D, H and W."""

    _spatial_dims = 3


class LocalResponseNorm(Module):
    """F.local_response_norm over the channels (dim 1): x / (k + alpha * mean of x^2 over a
    window of `size` neighbouring channels) ** beta. No parameters."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class CrossMapLRN2d(Module):
    """torch's legacy cross-channel LRN of (N, C, H, W) input, with its values and gradients
    (see functional_norm.CrossMapLRN: they differ slightly from LocalResponseNorm's)."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return cross_map_lrn2d(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"

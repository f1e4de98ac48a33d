"""Linear, Identity and Flatten."""

from __future__ import annotations

import math

from ... import functional as F
from ..._errors import ShapeError, type_name
from ..._tensor_base import _device
from ...autograd.fused import linear_relu
from ...creation import _check_sizes, empty
from ...tensor import Tensor
from .. import init
from .module import Module, Parameter


class Linear(Module):
    """y = x W^T + b; W is (out_features, in_features), PyTorch's initialisation.

    weight ~ kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)); bias ~ the same range.
    Runs F.linear: the matmul kernel with trans_b=True plus the bias (one matmul_bias call
    where the kernel table has it, else matmul then bias_add).
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None, generator=None
    ):
        super().__init__()
        # torch's words, from its empty((out_features, in_features)): nn.Linear(..., 10) of a
        # notebook's placeholder is TypeError, a negative size RuntimeError; an int or a NumPy
        # integer passes (n_classes = y.max() + 1 too), a bool as in_features only (torch's
        # parser reads a bool after the first size as an index: nn.Linear(4, True) is refused)
        _check_sizes(((out_features, in_features),), "empty")
        if out_features < 0 or in_features < 0:
            bad = out_features if out_features < 0 else in_features
            raise ShapeError(
                f"Trying to create tensor with negative dimension {bad}: [{int(out_features)}, {int(in_features)}]"
            )
        self.in_features = in_features
        self.out_features = out_features
        in_features, out_features = int(in_features), int(out_features)
        dev = _device(device)
        dt = dtype
        self.weight = Parameter(empty((out_features, in_features), dtype=dt, device=dev))
        if bias:
            self.bias = Parameter(empty((out_features,), dtype=dt, device=dev))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound, generator=generator)

    def forward(self, input: Tensor) -> Tensor:
        weight = self.weight  # (read once: a parametrized weight computes, spectral_norm steps, on each read)
        self._check_input(input, weight)
        return F.linear(input, weight, self.bias)

    def _forward_relu(self, input: Tensor) -> Tensor:
        """relu(self(input)), as nn.Sequential runs a Linear followed by a ReLU: one matmul call
        with the ReLU in its epilogue (autograd/fused.py, linear_relu) -- the same graph nodes
        and values as the two modules one after the other, without the ReLU's pass over y."""
        w, b = self.weight, self.bias
        self._check_input(input, w)
        dtype = input._data.dtype
        if (
            dtype.kind == "f"
            and isinstance(w, Tensor)
            and w._data.ndim == 2
            and w._data.dtype == dtype
            and (
                b is None
                or (isinstance(b, Tensor) and b._data.shape == w._data.shape[:1] and b._data.dtype == dtype)
            )
        ):
            return linear_relu(input, w, b)
        return F.relu(F.linear(input, w, b))  # what F.linear and F.relu make of anything else

    def _check_input(self, input, weight) -> None:
        """torch's checks, in its order: a tensor, at least 1-D, the weight's dtype, in_features."""
        if not isinstance(input, Tensor):
            raise TypeError(f"linear(): argument 'input' (position 1) must be Tensor, not {type_name(input)}")
        shape = input._data.shape
        if not shape:
            raise ShapeError("both arguments to linear need to be at least 1D, but they are 0D and 2D")
        if isinstance(weight, Tensor) and input._data.dtype != weight._data.dtype:
            return  # F.linear's dtype error, as torch's (an int input of the wrong width too)
        if shape[-1] != self.in_features:  # torch's words (its input's rows, flattened)
            rows = 1
            for n in shape[:-1]:
                rows *= n
            raise ShapeError(
                f"mat1 and mat2 shapes cannot be multiplied ({rows}x{shape[-1]} and "
                f"{self.in_features}x{self.out_features})"
            )

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        )


class Identity(Module):
    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Flatten(Module):
    """Flatten dims start_dim..end_dim (default: all but the batch dim)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension `dim` into `unflattened_size` (Flatten's inverse), like torch."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(
                f"unflattened_size must be a tuple of ints, but found type {type(unflattened_size).__name__}"
            )
        for idx, n in enumerate(unflattened_size):
            if not isinstance(n, int):
                raise TypeError(
                    f"unflattened_size must be tuple of ints, but found element of type {type(n).__name__} at pos {idx}"
                )
        self.dim = dim
        self.unflattened_size = unflattened_size  # as given, as torch keeps it: its repr shows a Size or list

    def forward(self, input: Tensor) -> Tensor:
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"

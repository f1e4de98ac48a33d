"""Spatial transformers for pyneuro.functional (torch.nn.functional's names): affine_grid, grid_sample.

    grid = F.affine_grid(theta, x.size(), align_corners=False)   # theta (N, 2, 3) -> grid (N, H, W, 2)
    y = F.grid_sample(x, grid, align_corners=False)             # x sampled at the grid's points

Coordinates are normalised to [-1, 1] (-1 the left/top edge, 1 the right/bottom one; with
align_corners=True the centres of the corner pixels instead). grid_sample maps each grid point
to pixel coordinates, ix = ((x + 1) W - 1) / 2 (align_corners=False) or (x + 1) (W - 1) / 2,
applies the padding mode (zeros: points outside read 0; border: clamp into the image;
reflection: mirror at the edges) and reads

    bilinear  the four neighbours, weighted (1 - |ix - i|) (1 - |iy - j|)
    nearest   the nearest pixel (ties round to even, as torch)
    bicubic   the 4 x 4 neighbours, by torch's cubic convolution (A = -0.75) along x, then along y;
              the padding mode applies to each neighbour's integer coordinates

as gathers from the flattened image, so autograd gives the gradient both to the image (a
scatter-add) and, through the weights, to the grid (what a spatial transformer network learns).
2-D (4-D input) only; 5-D input raises NotImplementedError.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ._errors import ShapeError, type_name
from ._memory import check_allocation
from .autograd import named
from .creation import as_tensor
from .functions import where
from .tensor import Tensor

_DEFAULT_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. Please specify "
    "align_corners=True if the old behavior is desired. See the documentation of grid_sample for details."
)


def _steps(n: int, align_corners: bool, dtype) -> np.ndarray:
    """torch's linspace_from_neg_one: n points across [-1, 1] (pixel centres unless align_corners)."""
    if n <= 1:
        return np.zeros(max(n, 1), dtype=dtype)
    r = np.linspace(-1, 1, n, dtype=dtype)
    return r if align_corners else (r * (n - 1) / n).astype(dtype)


def affine_grid(theta: Tensor, size, align_corners=None) -> Tensor:
    """The sampling grid (N, H, W, 2) of the affine maps theta (N, 2, 3) for an output of size (N, C, H, W);
    theta (N, 3, 4) and size (N, C, D, H, W) give (N, D, H, W, 3). grid = [x, y, 1] @ theta^T."""
    if align_corners is None:
        warnings.warn(_DEFAULT_WARNING, stacklevel=2)
        align_corners = False
    elif type(align_corners) is not bool:  # (torch's affine_grid_generator types it bool)
        raise TypeError(
            f"affine_grid_generator(): argument 'align_corners' (position 3) must be bool, not {type_name(align_corners)}"
        )
    if theta.dtype.kind != "f":
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(
                f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got {theta.shape}."
            )
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(
                f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. Got {theta.shape}."
            )
    else:
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. "
            f"Got size {size}."
        )
    if align_corners and min(size[2:]) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when align_corners=True. "
            "This is not an intended use case of affine_grid. See the documentation of affine_grid for details.",
            stacklevel=2,
        )
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    ft = theta._data.dtype
    spatial = size[2:]
    # the base grid (points, dims + 1), then the result (N, points, dims): torch's RuntimeError, at once
    points = math.prod(spatial)
    check_allocation(points * (len(spatial) + 1 + size[0] * len(spatial)) * ft.itemsize, "affine_grid")
    axes = [_steps(n, align_corners, ft) for n in reversed(spatial)]  # x (W) first, then y (H), then z (D)
    mesh = np.meshgrid(*axes, indexing="xy") if len(spatial) == 2 else _mesh3(axes)
    base = np.stack([*mesh, np.ones_like(mesh[0])], axis=-1).reshape(-1, len(spatial) + 1)
    grid = as_tensor(base, device=theta.device) @ theta.transpose(1, 2)  # (N, points, dims)
    return named(grid.reshape(size[0], *spatial, len(spatial)), "AffineGridGeneratorBackward0")


def _mesh3(axes):
    """(x, y, z) coordinate arrays of shape (D, H, W) from the per-axis steps (x over W, ...)."""
    z, y, x = np.meshgrid(axes[2], axes[1], axes[0], indexing="ij")
    return [x, y, z]


def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _reflect(x: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """torch's reflect_coordinates: mirror x into [twice_low / 2, twice_high / 2]."""
    if twice_low == twice_high:
        return x * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    x = (x - low).abs()
    flips = (x / span).floor()
    extra = x - flips * span
    return where(flips.remainder(2) == 0, extra + low, span - extra + low)


def _source(coord: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    """Pixel coordinates of normalised grid coordinates, with the padding mode's clamping / mirroring."""
    return _padded(_unnormalize(coord, size, align_corners), size, padding_mode, align_corners)


def _padded(x: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    """Pixel coordinates x with the padding mode's clamping / mirroring (zeros: unchanged)."""
    if padding_mode == "border":
        x = _clip(x, size)
    elif padding_mode == "reflection":
        x = _reflect(x, 0, 2 * (size - 1)) if align_corners else _reflect(x, -1, 2 * size - 1)
        x = _clip(x, size)
    return x


def _clip(x: Tensor, size: int) -> Tensor:
    """x clamped into [0, size - 1], as torch's clip_coordinates_set_grad: the borders count as
    outside, so a point on or past one gets no gradient (clamp would pass it on at the border);
    NaN (a NaN grid point, or an infinite one reflected) clips to 0, as torch's."""
    return where((x > 0) & (x < size - 1), x, x.detach().clamp(0, size - 1).nan_to_num(0.0))


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners=None) -> Tensor:  # fmt: skip
    """Sample input (N, C, H, W) at grid (N, Ho, Wo, 2) (x, y in [-1, 1]) -> (N, C, Ho, Wo), like torch."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(
            f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: '{mode}'"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', "
            f"but got: '{padding_mode}'"
        )
    if align_corners is None:
        warnings.warn(_DEFAULT_WARNING, stacklevel=2)
        align_corners = False
    if input.ndim == 5:
        raise NotImplementedError("grid_sample: 5-D input is not supported by pyneuro")
    if input.ndim != 4 or grid.ndim != 4 or grid.shape[-1] != 2 or grid.shape[0] != input.shape[0]:
        raise ShapeError(
            "grid_sample(): expected 4D input and grid (N, H_out, W_out, 2) with the same batch size, "
            f"but got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    n, c, h, w = input.shape
    ho, wo = grid.shape[1:3]
    if mode == "bicubic":  # the neighbours are padded one by one, not the point
        ix = _unnormalize(grid[..., 0], w, align_corners).reshape(n, 1, ho * wo)
        iy = _unnormalize(grid[..., 1], h, align_corners).reshape(n, 1, ho * wo)
    else:
        ix = _source(grid[..., 0], w, padding_mode, align_corners).reshape(n, 1, ho * wo)
        iy = _source(grid[..., 1], h, padding_mode, align_corners).reshape(n, 1, ho * wo)
    flat = input.reshape(n, c, h * w)

    def read(col: Tensor, row: Tensor) -> tuple[Tensor, Tensor]:
        """(the pixels at integer (row, col), 1 where inside the image else 0), per channel; a
        point outside, or not a number, reads pixel 0 (and is weighted 0)."""
        inside = (col >= 0) & (col <= w - 1) & (row >= 0) & (row <= h - 1)
        index = where(inside, row * w + col, 0.0).long().expand(n, c, ho * wo)
        return flat._gather(2, index), inside.to(input.dtype)

    if mode == "bicubic":
        x0, y0 = ix.detach().floor(), iy.detach().floor()
        wx, wy = _cubic_weights(ix - x0), _cubic_weights(iy - y0)

        def bounded(col: Tensor, row: Tensor) -> Tensor:
            value, inside = read(
                _padded(col, w, padding_mode, align_corners), _padded(row, h, padding_mode, align_corners)
            )
            return value * inside

        rows = [_dot4([bounded(x0 + j - 1, y0 + i - 1) for j in range(4)], wx) for i in range(4)]
        out = _dot4(rows, wy)
    elif mode == "nearest":
        value, inside = read(ix.detach().round(), iy.detach().round())
        # the grid's gradient is 0 (not None), as torch's; an infinite point reads 0, not inf * 0
        out = value * inside + (ix + iy).nan_to_num(0.0, 0.0, 0.0) * 0
    else:
        x0, y0 = ix.detach().floor(), iy.detach().floor()
        x1, y1 = x0 + 1, y0 + 1
        out = None
        for col, row, weight in (
            (x0, y0, (x1 - ix) * (y1 - iy)),
            (x1, y0, (ix - x0) * (y1 - iy)),
            (x0, y1, (x1 - ix) * (iy - y0)),
            (x1, y1, (ix - x0) * (iy - y0)),
        ):
            value, inside = read(col, row)
            term = value * (weight * inside)
            out = term if out is None else out + term
    return named(out.reshape(n, c, ho, wo), "GridSampler2DBackward0", reads=(input, grid))


def _cubic_weights(t: Tensor) -> list:
    """torch's cubic convolution coefficients (A = -0.75) of the 4 neighbours at offsets -1, 0, 1, 2
    for a point at fraction t past the second one."""
    a = -0.75

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1.0), near(t), near(1.0 - t), far((1.0 - t) + 1.0)]


def _dot4(values: list, weights: list) -> Tensor:
    return values[0] * weights[0] + values[1] * weights[1] + values[2] * weights[2] + values[3] * weights[3]


__all__ = ["affine_grid", "grid_sample"]

"""affine_grid and grid_sample against torch (values, gradients to the image and to theta, errors)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_torch_nn_extra import _arrays, same, same_error

import pyneuro as pn

torch = pytest.importorskip("torch")
THETA = (np.eye(2, 3)[None] * 1.1 + 0.2 * np.random.default_rng(0).standard_normal((2, 2, 3))).astype(
    np.float32
)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_spatial_transformer_matches_torch(align_corners, mode, padding_mode):
    (x,) = _arrays((2, 3, 5, 6))

    def stn(fw, image, theta):
        grid = fw.nn.functional.affine_grid(theta, (2, 3, 4, 7), align_corners=align_corners)
        return fw.nn.functional.grid_sample(image, grid * 1.3, mode, padding_mode, align_corners)

    same(stn, x, THETA, tol=1e-4)


def test_grid_sample_with_a_free_grid_and_affine_grid_3d():
    (x,) = _arrays((1, 2, 4, 4))
    grid = np.random.default_rng(2).uniform(-1.3, 1.3, (1, 3, 5, 2)).astype(np.float32)
    same(lambda fw, a, g: fw.nn.functional.grid_sample(a, g, align_corners=False), x, grid, tol=1e-4)
    theta = (np.eye(3, 4)[None] + 0.1 * np.random.default_rng(3).standard_normal((2, 3, 4))).astype(
        np.float32
    )
    same(lambda fw, t: fw.nn.functional.affine_grid(t, (2, 1, 3, 4, 5), align_corners=True), theta)


def test_defaults_warn_and_errors():
    with pytest.warns(UserWarning, match="align_corners"):
        pn.nn.functional.affine_grid(pn.tensor(THETA), (2, 1, 3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error(lambda fw: fw.nn.functional.affine_grid(fw.zeros(2, 3, 3), (2, 1, 3, 3)))
        same_error(lambda fw: fw.nn.functional.affine_grid(fw.zeros(2, 2, 3, dtype=fw.int64), (2, 1, 3, 3)))
        same_error(lambda fw: fw.nn.functional.affine_grid(fw.zeros(2, 2, 3), (2, 3)))
        same_error(
            lambda fw: fw.nn.functional.grid_sample(fw.zeros(1, 1, 3, 3), fw.zeros(1, 2, 2, 2), mode="cubic")
        )
        same_error(
            lambda fw: fw.nn.functional.grid_sample(
                fw.zeros(1, 1, 3, 3), fw.zeros(1, 2, 2, 2), padding_mode="x"
            )
        )


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_points_that_are_not_finite_sample_as_torch(mode, padding_mode, align_corners):
    # a NaN or infinite grid point (a diverged spatial transformer) used to index pixel -2**63 and
    # raise an IndexError; torch reads NaN (bilinear, bicubic) or 0 (nearest) with zeros padding, and
    # clips NaN to pixel 0 with border / reflection (an infinite point reflected is NaN too)
    values = [float("nan"), float("inf"), -float("inf"), 1e30, 3e9]
    points = [[[v, 0.3], [0.2, v], [v, v]] for v in values]
    grid = np.array(points, np.float32).reshape(len(values), 1, 3, 2)
    image = np.arange(1.0, 7.0, dtype=np.float32).reshape(1, 1, 2, 3).repeat(len(values), 0)
    got, want = (
        fw.nn.functional.grid_sample(
            fw.tensor(image), fw.tensor(grid), mode, padding_mode, align_corners
        ).numpy()
        for fw in (pn, torch)
    )
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)

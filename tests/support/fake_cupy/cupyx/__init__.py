"""Fake, test-only `cupyx` (see ../cupy/__init__.py): only scatter_add, which pyneuro's
autograd uses when `cupy.add.at` is missing."""

import cupy
import numpy as np


def scatter_add(a, slices, value):
    """a[slices] += value, adding repeated indices (cupyx.scatter_add)."""
    if not isinstance(a, cupy.ndarray):
        raise TypeError("cupyx.scatter_add: a must be a device array")
    cupy.add.at(a, slices, value)

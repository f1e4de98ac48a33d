"""Shared fixtures: the backend-parametrised fixture of the conformance suite.

Tests run against the *installed* pyneuro (pytest puts tests/, not the repo root, on
sys.path); for an in-place development build run `PYTHONPATH=. pytest`.
"""
from __future__ import annotations

import numpy as np
import pytest

from pyneuro import backends

ALL_BACKENDS = list(backends.BACKENDS)


def _backend_or_skip(name):
    status = backends.status(name)
    if not status.available:
        pytest.skip(f"backend unavailable: {status.reason}")
    return backends.get(name)


@pytest.fixture(params=ALL_BACKENDS)
def backend(request):
    """Each backend's kernel table in turn; an unusable one is skipped with its reason."""
    return _backend_or_skip(request.param)


@pytest.fixture(params=[n for n in ALL_BACKENDS if backends.BACKENDS[n][0] == "cpu"])
def cpu_device_backend(request):
    return _backend_or_skip(request.param)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


class Dev:
    """Move test data to a backend's arrays and back (a no-op for CPU backends)."""

    def __init__(self, bk):
        self.bk = bk

    def __call__(self, a):
        return self.bk.asarray(a)

    def host(self, a):
        return np.asarray(self.bk.to_numpy(a))


@pytest.fixture
def dev(backend):
    return Dev(backend)

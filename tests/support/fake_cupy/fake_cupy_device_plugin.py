"""pytest plugin (test-only, with the fake cupy): device "cuda" means the cupy backend.

tests/conftest.py's `device` fixture asks `backends.status("cuda")` (the compiled cuda
backend) whether device "cuda" can run; where only the cupy backend computes on "cuda" (as
with the fake cupy on a machine without pyneuro._cuda) its "cuda" cases would skip. Loaded
with `-p fake_cupy_device_plugin` (tests/test_cupy_emulated.py), this answers for "cuda"
with the status of the backend that PYNEURO_BACKEND / the registry picks for the device.
"""

from pyneuro import backends
from pyneuro.backends import _registry

_status = _registry.status


def _device_status(name):
    if name == "cuda":
        chosen = backends.backend_name("cuda")
        st = _status(chosen)
        return _registry.BackendStatus("cuda", "cuda", st.available, st.reason)
    return _status(name)


backends.status = _device_status

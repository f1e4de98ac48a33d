"""Anomaly detection (torch.autograd.detect_anomaly / set_detect_anomaly): find the operation
whose backward produced NaN.

    with pn.autograd.detect_anomaly():
        loss.backward()   # RuntimeError: Function 'SqrtBackward0' returned nan values in its 0th output.

While the mode is on, every node's backward result is checked for NaN (check_nan=True), and
the error names the node as torch does; a warning then shows where that node was created (the
Python stack of its forward, recorded while the mode was on), as torch's does. Off by
default and free when off: the mode installs itself as the hook that autograd already checks
for the profiler (function._Profiling.op: None means nothing to do), and removes itself after.
(If the profiler starts while the mode is on, the profiler's hook replaces this one until it
stops, as the two share that one hook.)

detect_anomaly is a context manager (and, unlike torch's, also a decorator);
set_detect_anomaly(mode) switches the mode as a call or as a context manager.
"""

from __future__ import annotations

import functools
import traceback
import warnings
import weakref

from .function import SliceGrad, _Profiling

_state = {"enabled": False, "check_nan": True, "outer": None}
_forward_stacks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # node -> its forward's stack


def is_anomaly_enabled() -> bool:
    return _state["enabled"]


def is_anomaly_check_nan_enabled() -> bool:
    return _state["check_nan"]


def _has_nan(g) -> bool:
    if g is None:
        return False
    if isinstance(g, SliceGrad):
        g = g.values
    if getattr(g, "dtype", None) is None or g.dtype.kind not in "fc":
        return False
    return bool((g != g).any())  # NaN is the only value unequal to itself


def _anomaly_op(node, phase, method, *args, **params):
    """The hook: run node.forward / node.backward (through the profiler's hook, if one was
    installed before), recording a forward's stack and checking a backward's results."""
    outer = _state["outer"]
    if phase == "forward":
        try:
            _forward_stacks[node] = traceback.format_stack()[:-3]  # drop apply and this hook
        except TypeError:  # a node that cannot be weakly referenced
            pass
    out = outer(node, phase, method, *args, **params) if outer is not None else method(*args, **params)
    if phase == "backward" and _state["check_nan"]:
        grads = out if isinstance(out, (tuple, list)) else (out,)
        for i, g in enumerate(grads):
            if _has_nan(g):
                name = node.name()
                stack = _forward_stacks.get(node)
                if stack:
                    warnings.warn(
                        f"Error detected in {name}. Traceback of forward call that caused the error:\n"
                        + "".join(stack),
                        UserWarning,
                        stacklevel=2,
                    )
                raise RuntimeError(f"Function '{name}' returned nan values in its {i}th output.")
    return out


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Switch anomaly detection on or off (torch.set_anomaly_enabled)."""
    enabled = bool(enabled)
    if enabled and not _state["enabled"]:
        _state["outer"] = _Profiling.op  # the profiler's hook, if it is recording
        _Profiling.op = _anomaly_op
    elif not enabled and _state["enabled"]:
        if _Profiling.op is _anomaly_op:
            _Profiling.op = _state["outer"]
        _state["outer"] = None
    _state["enabled"], _state["check_nan"] = enabled, bool(check_nan)


class detect_anomaly:
    """Context manager (or decorator) that turns anomaly detection on inside it."""

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.check_nan = check_nan
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime "
            "and should only be enabled for debugging.",
            stacklevel=2,
        )

    def __enter__(self) -> None:
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *args) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """set_detect_anomaly(mode, check_nan=True): switch the mode now; as a context manager,
    the previous setting comes back at exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *args) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)

"""pyneuro.amp: torch.amp's mixed-precision tools, so a mixed-precision training loop runs.

    scaler = amp.GradScaler()
    with amp.autocast("cpu"):
        loss = loss_fn(model(x), y)
    scaler.scale(loss).backward()
    scaler.step(optimizer)   # unscales the gradients; skips the step if any is inf or nan
    scaler.update()          # halves the scale after a skipped step, doubles it after 2000 good ones

`autocast` records that it is on but runs every op in float32: pyneuro's kernels have no
bfloat16/float16 paths, so a region torch would run in half precision gives float32 results here
(slightly more exact than torch's, never less).

`GradScaler` is the real algorithm (it needs nothing from the GPU): the loss is multiplied by
`scale` so small float16 gradients would not underflow, and divided back out before the step.
Like torch, a GradScaler for "cuda" on a machine without CUDA warns and disables itself.

Arrows: imports _tensor_base (and cuda, when a GradScaler is made); cpu.py and cuda.py re-export it as
cpu.amp / cuda.amp, pyneuro/__init__.py as pn.autocast.
"""

from __future__ import annotations

import functools
import math
import sys
import threading
import warnings
from types import ModuleType

from . import _dtype as _dtypes
from ._tensor_base import TensorBase


class _AutocastState(threading.local):
    """Per thread, as torch keeps it: which device types autocast is on for, and each one's
    "fast" dtype (get_autocast_dtype)."""

    def __init__(self):
        self.on: dict[str, bool] = {}
        self.dtype: dict = {}


_state = _AutocastState()
# torch's default fast dtypes, and the ones each device's autocast takes (another disables it)
_DEFAULT_DTYPE = {"cpu": _dtypes.unsupported("bfloat16"), "cuda": _dtypes.public("float16")}
_SUPPORTED = {
    "cpu": (_dtypes.unsupported("bfloat16"), _dtypes.public("float16")),
    "cuda": (_dtypes.unsupported("bfloat16"), _dtypes.public("float16"), _dtypes.public("float32")),
}


def is_autocast_available(device_type: str) -> bool:
    return device_type in ("cpu", "cuda")


def _device_type(device_type: str) -> str:
    if not is_autocast_available(device_type):
        raise RuntimeError(f"Invalid device string: '{device_type}'")
    return device_type


def get_autocast_dtype(device_type: str):
    """The dtype autocast would use on device_type: the current region's, else set_autocast_dtype's,
    else torch's default (bfloat16 on the CPU, float16 on CUDA)."""
    return _state.dtype.get(_device_type(device_type), _DEFAULT_DTYPE[device_type])


def set_autocast_dtype(device_type: str, dtype) -> None:
    _state.dtype[_device_type(device_type)] = dtype


class autocast:
    """torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None): a context manager
    and decorator. Ops inside still compute in float32 here (see the module docstring); a dtype the
    device's autocast does not take (float32 on the CPU) warns and disables it, as torch."""

    def __init__(self, device_type: str = "cuda", dtype=None, enabled: bool = True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if not is_autocast_available(device_type):
            raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")
        self.device_type, self.enabled = device_type, bool(enabled)
        self.fast_dtype = dtype if dtype is not None else get_autocast_dtype(device_type)
        if self.enabled and device_type == "cuda" and not _cuda_available():
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", stacklevel=2)
            self.enabled = False
        if self.enabled and self.fast_dtype not in _SUPPORTED[device_type]:
            names = ", ".join(f"torch.{d.name}" for d in _SUPPORTED[device_type])
            warnings.warn(
                f"In {device_type.upper()} autocast, but the target dtype is not supported. Disabling autocast.\n"
                f"{device_type.upper()} Autocast only supports dtypes of {names} currently.",
                stacklevel=2,
            )
            self.enabled = False
        self._previous = []

    def __enter__(self):
        device = self.device_type
        self._previous.append((_state.on.get(device, False), _state.dtype.get(device)))
        _state.on[device], _state.dtype[device] = self.enabled, self.fast_dtype
        return self

    def __exit__(self, *exc):
        on, dtype = self._previous.pop()
        _state.on[self.device_type] = on
        if dtype is None:
            _state.dtype.pop(self.device_type, None)
        else:
            _state.dtype[self.device_type] = dtype
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            with autocast(self.device_type, self.fast_dtype, self.enabled):
                return function(*args, **kwargs)

        return run


def _cuda_available() -> bool:
    from . import cuda  # here, not at import: `import pyneuro` leaves pyneuro.cuda unloaded

    return cuda.is_available()


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    return _state.on.get(device_type, False)


def set_autocast_enabled(*args) -> None:
    """torch.set_autocast_enabled(enabled) (CUDA) or (device_type, enabled): switch autocast on or
    off for the device outside any `with autocast` region."""
    device_type, enabled = ("cuda", *args) if len(args) == 1 else args
    _state.on[_device_type(device_type)] = bool(enabled)


# torch's per-device forms, deprecated there in favour of the ones taking a device_type; they
# warn as torch's do and call those.
def _deprecated(old: str, new: str) -> None:
    warnings.warn(
        f"torch.{old}() is deprecated. Please use torch.{new} instead.", DeprecationWarning, stacklevel=3
    )


def get_autocast_cpu_dtype():
    _deprecated("get_autocast_cpu_dtype", "get_autocast_dtype('cpu')")
    return get_autocast_dtype("cpu")


def get_autocast_gpu_dtype():
    _deprecated("get_autocast_gpu_dtype", "get_autocast_dtype('cuda')")
    return get_autocast_dtype("cuda")


def set_autocast_cpu_dtype(dtype) -> None:
    _deprecated("set_autocast_cpu_dtype", "set_autocast_dtype('cpu', dtype)")
    set_autocast_dtype("cpu", dtype)


def set_autocast_gpu_dtype(dtype) -> None:
    _deprecated("set_autocast_gpu_dtype", "set_autocast_dtype('cuda', dtype)")
    set_autocast_dtype("cuda", dtype)


def is_autocast_cpu_enabled() -> bool:
    _deprecated("is_autocast_cpu_enabled", "is_autocast_enabled('cpu')")
    return is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled: bool) -> None:
    _deprecated("set_autocast_cpu_enabled", "set_autocast_enabled('cpu', enabled)")
    set_autocast_enabled("cpu", enabled)


def custom_fwd(fwd=None, *, device_type: str, cast_inputs=None):
    """torch.amp.custom_fwd for a custom Function's forward: records the autocast state for
    custom_bwd; with cast_inputs, inside an autocast region the floating tensor arguments are cast
    to it and forward runs with autocast off."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def forward(ctx, *args, **kwargs):
        ctx._dtype, autocasting = get_autocast_dtype(device_type), is_autocast_enabled(device_type)
        ctx._fwd_used_autocast = autocasting and cast_inputs is None  # backward runs as forward ran
        if cast_inputs is None or not autocasting:
            return fwd(ctx, *args, **kwargs)
        with autocast(device_type, enabled=False):
            cast = [_cast(a, cast_inputs) for a in args]
            return fwd(ctx, *cast, **{k: _cast(v, cast_inputs) for k, v in kwargs.items()})

    return forward


def custom_bwd(bwd=None, *, device_type: str):
    """torch.amp.custom_bwd: backward runs with the autocast state its forward ran with."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def backward(ctx, *grads):
        with autocast(device_type, dtype=ctx._dtype, enabled=ctx._fwd_used_autocast):
            return bwd(ctx, *grads)

    return backward


def _cast(value, dtype):
    floating = isinstance(value, TensorBase) and value.is_floating_point()
    return value.to(dtype) if floating else value


class GradScaler:
    """Dynamic loss scaling (torch.amp.GradScaler), per optimizer: scale -> backward -> step -> update."""

    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ):
        if enabled and device == "cuda" and not _cuda_available():
            warnings.warn(
                "torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.", stacklevel=2
            )
            enabled = False
        if growth_factor <= 1.0:
            raise ValueError("The growth factor must be > 1.0.")
        if not 0.0 < backoff_factor < 1.0:
            raise ValueError("The backoff factor must be < 1.0.")
        self._device, self._enabled = device, bool(enabled)
        self._scale, self._growth_factor, self._backoff_factor = (
            float(init_scale),
            growth_factor,
            backoff_factor,
        )
        self._growth_interval, self._growth_tracker = int(growth_interval), 0
        self._per_optimizer: dict[int, dict] = {}

    # ---- scaling the loss and unscaling the gradients
    def scale(self, outputs):
        """outputs * scale (a tensor, or a list/tuple/dict of them); unchanged when disabled."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, TensorBase):
            return outputs * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        if isinstance(outputs, dict):
            return {k: self.scale(v) for k, v in outputs.items()}
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _state(self, optimizer) -> dict:
        return self._per_optimizer.setdefault(id(optimizer), {"stage": "ready", "found_inf": False})

    def unscale_(self, optimizer) -> None:
        """Divide this optimizer's gradients by the scale in place and note whether any is inf/nan."""
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["stage"] == "unscaled":
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        if state["stage"] == "stepped":
            raise RuntimeError("unscale_() is being called after step().")
        inverse, found = 1.0 / self._scale, False
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad._data
                found = found or (g.size > 0 and not math.isfinite(float(abs(g).max())))  # nan's max is nan
                g *= inverse
        state["stage"], state["found_inf"] = "unscaled", found

    def step(self, optimizer, *args, **kwargs):
        """optimizer.step(...) unless a gradient was inf/nan (then the step is skipped and None returned)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        state = self._state(optimizer)
        if state["stage"] == "stepped":
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == "ready":
            self.unscale_(optimizer)
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = "stepped"
        return result

    def update(self, new_scale=None) -> None:
        """Back off after a skipped step; grow after growth_interval good steps in a row."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale.item() if isinstance(new_scale, TensorBase) else new_scale)
        else:
            if not self._per_optimizer:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(s["found_inf"] for s in self._per_optimizer.values()):
                self._scale *= self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    self._scale = min(self._scale * self._growth_factor, math.inf)
                    self._growth_tracker = 0
        self._per_optimizer.clear()

    # ---- reading and saving the state
    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def is_enabled(self) -> bool:
        return self._enabled

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, value: float) -> None:
        self._growth_factor = value

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, value: float) -> None:
        self._backoff_factor = value

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, value: int) -> None:
        self._growth_interval = value

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {
            "scale": self._scale,
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._growth_tracker,
        }

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if not state_dict:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved from a disabled instance of GradScaler."
            )
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])


def for_device(device_type: str):
    """torch.cpu.amp / torch.cuda.amp: the same tools with the device fixed, where autocast's first
    argument is `enabled` (their older signature)."""

    def deprecated(name: str) -> None:  # torch's FutureWarning for each of the per-device forms
        warnings.warn(
            f"`torch.{device_type}.amp.{name}(args...)` is deprecated. "
            f"Please use `torch.amp.{name}('{device_type}', args...)` instead.",
            FutureWarning,
            stacklevel=3,
        )

    def device_autocast(enabled: bool = True, dtype=None, cache_enabled: bool = True):
        deprecated("autocast")
        return autocast(device_type, dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)

    def device_grad_scaler(
        init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000, enabled=True
    ):
        deprecated("GradScaler")
        return GradScaler(device_type, init_scale, growth_factor, backoff_factor, growth_interval, enabled)

    module = ModuleType(
        f"{__package__}.{device_type}.amp", f"torch.{device_type}.amp: autocast and GradScaler"
    )
    module.autocast, module.GradScaler = device_autocast, device_grad_scaler
    module.custom_fwd, module.custom_bwd = custom_fwd, custom_bwd
    # `from torch.cuda.amp import autocast` (the course's simple-gpt2): importable by its dotted name
    return sys.modules.setdefault(module.__name__, module)


__all__ = [
    "autocast",
    "GradScaler",
    "is_autocast_available",
    "is_autocast_enabled",
    "get_autocast_dtype",
    "set_autocast_dtype",
    "custom_fwd",
    "custom_bwd",
]

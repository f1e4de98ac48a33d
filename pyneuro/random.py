"""Random number generation: pn.Generator, pn.manual_seed and the default generator.

Every random draw in pyneuro (pn.rand/randn/randint/randperm, nn.init, DataLoader
shuffling, random_split) goes through a `Generator`, so one `pn.manual_seed(0)` makes a
whole training run reproducible. A Generator holds torch's CPU stream (_torch_stream.py:
the same mt19937 and the same recipes), so a seed gives the numbers torch gives. Numbers
are drawn on the host and then moved to the tensor's device, so a seed gives the same
values on every backend and device.

    >>> g = pn.Generator().manual_seed(42)
    >>> state = g.get_state()            # a uint8 Tensor, like torch.Generator.get_state()
    >>> a = pn.randn(3, generator=g)
    >>> g.set_state(state)
    >>> bool((pn.randn(3, generator=g) == a).all())
    True
"""

from __future__ import annotations

import contextlib
import json
import threading

import numpy as np

from ._c_repr import ShownType, pretty_as_c_type
from ._device import device as _device_type
from ._dtype import c_type_name, torch_name
from ._errors import ArgumentError, DTypeError
from ._tensor_base import TensorBase, _wrap
from ._torch_stream import TorchStream, _key

DEFAULT_SEED = 67280421310721  # PyTorch's default initial seed
_FIRST_DRAW = threading.Lock()  # builds a generator's stream on its first draw (Generator._rng)

# torch's CPU generator state as get_rng_state() returns it (CPUGeneratorImplState: the legacy
# THGenerator struct, then the float normal cache), little-endian with x86-64 alignment
_TORCH_STATE = np.dtype(
    {
        "names": ["seed", "left", "seeded", "next", "state", "normal_x", "normal_y", "normal_rho",
                  "normal_is_valid", "float_normal", "float_normal_is_valid"],
        "formats": ["<u8", "<i4", "<i4", "<u8", ("<u8", (624,)), "<f8", "<f8", "<f8", "<i4", "<f4", "?"],
        "offsets": [0, 8, 12, 16, 24, 5016, 5024, 5032, 5040, 5048, 5052],
        "itemsize": 5056,
    }
)  # fmt: skip
_TORCH_STATE_BYTES = _TORCH_STATE.itemsize


class Generator(metaclass=ShownType):
    """A seedable random source (like torch.Generator(device='cpu'))."""

    __slots__ = ("_state", "_seed", "device")
    shown_module = "pyneuro._C"  # type(g) prints torch's <class 'torch._C.Generator'>

    def __init__(self, device: str = "cpu"):
        self.device = _device_type(str(device).split(":")[0])  # a pn.device (a str), as torch's
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        """Reset the generator to `seed` (an int); returns self, like PyTorch."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise DTypeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        if not -(1 << 63) <= int(seed) < (1 << 64):
            raise ValueError("Overflow when unpacking long long")
        self._seed = int(seed) & ((1 << 64) - 1)  # torch keeps the seed as a uint64
        self._state = None  # the stream is built on first draw (keeps import fast)
        return self

    @property
    def _rng(self) -> TorchStream:
        state = self._state
        if state is None:
            with _FIRST_DRAW:  # two threads' first draws: one stream, not one each (the same numbers twice)
                if self._state is None:
                    self._state = TorchStream(self._seed)
                state = self._state
        return state

    def seed(self) -> int:
        """Seed from OS entropy; returns the new seed."""
        s = int(np.random.SeedSequence().entropy) & ((1 << 64) - 1)  # (64 bits, as torch's)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The full generator state as a uint8 Tensor in torch's layout (5,056 bytes: see
        _TORCH_STATE), so torch.set_rng_state takes it and pn.set_rng_state takes torch's."""
        buf = np.zeros(_TORCH_STATE_BYTES, dtype=np.uint8)
        view = buf.view(_TORCH_STATE)[0]
        view["seed"], view["seeded"] = self._seed, 1
        if self._state is None:  # freshly seeded: the twister's initial key, a twist due
            view["state"], view["left"], view["next"] = _key(self._seed), 1, 0
        else:
            st = self._state.state()
            pos = int(st["pos"])
            view["state"] = np.asarray(st["key"], dtype=np.uint64)
            view["left"], view["next"] = (1, pos) if pos >= 624 else (625 - pos, pos)
            if pos >= 624 and np.array_equal(view["state"], _key(self._seed)):
                view["next"] = 0  # nothing drawn since the seed: torch's freshly seeded state
            if st["normal"] is not None:  # the cached second Box-Muller value
                view["normal_y"], view["normal_is_valid"] = st["normal"], 1
        return _wrap(buf, "cpu")

    def set_state(self, state) -> Generator:
        """Restore a state from get_state() (a uint8 Tensor, NumPy array or bytes). Anything
        else, a float tensor included, is refused with torch's TypeError; bytes that are no
        state with an ArgumentError (a ValueError, and a RuntimeError as torch's)."""
        if isinstance(state, (bytes, bytearray)):
            raw = bytes(state)
        else:
            array = state._data if isinstance(state, TensorBase) else state
            if not isinstance(array, np.ndarray):
                raise TypeError(f"expected a torch.ByteTensor, but got {type(state).__name__}")
            if array.dtype != np.uint8:
                raise TypeError("RNG state must be a torch.ByteTensor")
            raw = np.ascontiguousarray(array).tobytes()
        try:
            if len(raw) == _TORCH_STATE_BYTES:  # torch's layout (what get_state gives)
                view = np.frombuffer(raw, dtype=_TORCH_STATE)[0]
                left = int(view["left"])
                if not 1 <= left <= 624 or (view["state"] >> 32).any():
                    raise ValueError("not an mt19937 state")
                normal = float(view["normal_y"]) if view["normal_is_valid"] else None
                key = [int(k) for k in view["state"]]
                data = {
                    "seed": int(view["seed"]),
                    "mt19937": {"key": key, "pos": 625 - left if left > 1 else 624, "normal": normal},
                }
            else:  # the JSON of pyneuro before torch's layout
                data = json.loads(raw.decode())
            rng = TorchStream(0)
            rng.set_state(data["mt19937"])
        except Exception as exc:
            raise ArgumentError(
                f"set_state: not a pyneuro Generator state ({type(exc).__name__}: {exc})"
            ) from None
        self._seed = int(data.get("seed", 0))
        self._state = rng
        return self

    def clone_state(self) -> Generator:
        """A new Generator in this one's state: the same draws follow from both (as torch's)."""
        return Generator(self.device).set_state(self.get_state())

    # ------------------------------------------------------------------ draws (host NumPy)
    @property
    def numpy(self) -> TorchStream:
        """The stream, with numpy.random.Generator's method names (for code that wants NumPy draws)."""
        return self._rng

    def __repr__(self) -> str:  # torch's form: a notebook cell ending in manual_seed(0) shows the same
        return f"<pyneuro._C.Generator object at {id(self):#x}>"

    _repr_pretty_ = pretty_as_c_type


default_generator = Generator()
default_generator.seed()  # from the OS at start-up, as torch's: unseeded runs differ (Generator()s start at DEFAULT_SEED)


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (every draw without an explicit generator); returns it.
    As torch's, the seed goes through int() first: 2.7 seeds 2, True 1, "3" 3."""
    return default_generator.manual_seed(int(seed))


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)


@contextlib.contextmanager
def fork_rng(
    devices=None, enabled: bool = True, _caller="fork_rng", _devices_kw="devices", device_type="cuda"
):
    """Run a block with the default generator's state saved and restored afterwards, so draws
    inside it leave the random stream outside unchanged (torch.random.fork_rng)."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


def check_floating(dtype, kernel: str) -> None:
    """torch draws uniforms and normals into floating tensors only: NotImplementedError naming
    its kernel otherwise (rand(3, dtype=pn.int64), an int tensor's normal_())."""
    if np.dtype(dtype).kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{torch_name(dtype)}'")


def check_int_bounds(low, high, dtype) -> None:
    """torch's RuntimeError for random integers [low, high) an integer dtype cannot hold
    (randint(0, 300, dtype=uint8) would wrap)."""
    dtype = np.dtype(dtype)
    if dtype.kind not in "iu":
        return
    info = np.iinfo(dtype)
    which = "from" if low < info.min else ("to - 1" if high - 1 > info.max else None)
    if which is not None:
        raise ArgumentError(f"{which} is out of bounds for {c_type_name(dtype)}")


def is_int_arg(v) -> bool:
    """Does torch's argument parser take v for an int (randint's bounds, random_'s from/to): a
    Python or NumPy int, an integer 0-d tensor; None (not given) too. Not a bool or a float:
    randint(0, len(x) / 2, (3,)) is torch's TypeError."""
    if v is None:
        return True
    if isinstance(v, TensorBase):
        return v.ndim == 0 and v.dtype.kind in "iu"
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def raise_int_args(op: str, args, forms) -> None:
    """torch's TypeError for a call whose ints are not ints: 'op() received an invalid combination
    of arguments - got (int, float, tuple), but expected one of:' and the forms."""
    got = ", ".join(
        type(v).__name__ if not isinstance(v, TensorBase) else "Tensor" for v in args if v is not None
    )
    raise TypeError(
        f"{op}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
        + "".join(f" * ({form}, *, torch.Generator generator)\n" for form in forms)
    )


def memory_order(array):
    """array's dims from the outermost in memory to the innermost, or None when that is C order.

    torch draws random numbers into a tensor in memory order: `rand_like(x)` and dropout's mask
    (`empty_like(x).bernoulli_(...)`) keep x's layout, and `x.t().uniform_()` fills x's memory
    from its start. A seed gives torch's values on a transposed or permuted tensor only when the
    draws land in that order too (draw_in_memory_order). Size-1 dims do not change the order;
    an expanded (stride-0) array, or a device array (always C-ordered), gives None.
    """
    if type(array) is not np.ndarray or array.ndim < 2 or array.flags.c_contiguous:
        return None
    big = [d for d in range(array.ndim) if array.shape[d] != 1]
    if any(array.strides[d] == 0 for d in big):
        return None
    order = [d for d in range(array.ndim) if array.shape[d] == 1]
    order += sorted(big, key=lambda d: -abs(array.strides[d]))
    return None if order == sorted(order) else tuple(order)


def draw_in_memory_order(array, draw):
    """draw(shape) -> a C-ordered array of draws; returns them arranged in array's shape so that
    the draws fill array's memory in order, as torch's kernels fill it. The result is a view in
    array's layout (torch's *_like results keep it too)."""
    order = memory_order(array)
    if order is None:
        return draw(tuple(array.shape))
    drawn = draw(tuple(array.shape[d] for d in order))
    return drawn.transpose(np.argsort(order))


def _rng(generator) -> TorchStream:
    if generator is None:
        return default_generator._rng
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a pyneuro.Generator, got {type(generator).__name__}")
    return generator._rng

"""What pn.save does with an object that is not data (a whole nn.Module, a custom class): it
pickles it, as torch.save pickles everything, and what pn.load does with such a pickle.

    pn.save(model, "model.pth")                      # the model itself, not its state_dict
    model = pn.load("model.pth", weights_only=False)  # you trust the file: its classes are imported

Everything else pn.save stores (tensors, numbers, strings, containers) is data in the file's
JSON header and tensor bytes and loads without any code running. A pickle is different:
unpickling imports the classes it names and runs their code, so a file from someone else
could run anything. So, as in torch since 2.6, pn.load(f) (weights_only=True, the default)
unpickles only tensors, Parameters, Sizes, dtypes, devices and OrderedDicts, plus
the classes you allow-list with add_safe_globals([MyClass]) or `with safe_globals([...])`;
any other class is an UnpicklingError that says how to proceed, before any of its code runs.
weights_only=False unpickles anything: only for files you trust.

The pickled bytes are stored as one uint8 tensor beside the others ({"__pickle__": NAME} in
the header), so a damaged pickle is found like a damaged tensor and the file stays one
safetensors file.
"""

from __future__ import annotations

import contextlib
import io
import pickle
import pickletools
import struct

import numpy as np

PICKLE_KEY = "__pickle__"

_SAFE_GLOBALS: list = []  # torch.serialization's allow-list for weights_only loads


def add_safe_globals(safe_globals: list) -> None:
    _SAFE_GLOBALS.extend(safe_globals)  # a lone class is refused as torch's (TypeError: not iterable)


def get_safe_globals() -> list:
    return list(_SAFE_GLOBALS)


def clear_safe_globals() -> None:
    _SAFE_GLOBALS.clear()


@contextlib.contextmanager
def safe_globals(safe_globals: list):  # the allow-list extended inside the block only
    before = list(_SAFE_GLOBALS)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _SAFE_GLOBALS[:] = before


class _Pickler(pickle.Pickler):
    """Python's C pickler, with `override(obj)` (a reduction, or NotImplemented) tried first."""

    override = None

    def reducer_override(self, obj):
        return NotImplemented if self.override is None else self.override(obj)


def pickled(obj, persistent_id=None, reducer_override=None) -> np.ndarray:
    """obj as pickle bytes in a uint8 array (the pickling error, e.g. for a lambda, is raised here).
    persistent_id(x): a reference to store instead of pickling x (None: pickle x), as torch.save
    keeps tensor storages out of its pickle."""
    stream = io.BytesIO()
    pickler = _Pickler(stream, protocol=pickle.DEFAULT_PROTOCOL)
    if persistent_id is not None:
        pickler.persistent_id = persistent_id
    pickler.override = reducer_override
    pickler.dump(obj)
    return np.frombuffer(stream.getbuffer(), dtype=np.uint8)  # read-only is enough: the writer only reads it


class TensorValues:
    """A tensor's NumPy array in its pickled state (pn.save's pickler puts it there): pickled as its
    dtype, shape and bytes, rebuilt by values_array, so that a weights-only load builds the values
    of a tensor without NumPy's globals, which it refuses elsewhere in a pickle as torch.load does
    (torch pickles a tensor's values as a storage, and a NumPy array through NumPy's globals)."""

    def __init__(self, array: np.ndarray):
        self.array = array

    def __reduce__(self):
        a = self.array
        return values_array, (a.dtype.str, tuple(a.shape), np.ascontiguousarray(a).tobytes())


_VALUE_KINDS = "biufc"  # bool, integers, floats, complex: the dtypes a tensor's values may have


def values_array(dtype: str, shape: tuple, data: bytes) -> np.ndarray:
    """A writable array from what TensorValues pickled, checked first (a file may be hostile)."""
    kind = np.dtype(dtype) if isinstance(dtype, str) and len(dtype) <= 4 else None
    if (
        kind is None
        or kind.kind not in _VALUE_KINDS
        or not isinstance(shape, tuple)
        or len(shape) > 64
        or not all(type(d) is int and d >= 0 for d in shape)
        or not isinstance(data, (bytes, bytearray))
        or len(data) != kind.itemsize * int(np.prod(shape, dtype=object))
    ):
        raise pickle.UnpicklingError(f"bad tensor values in the pickle: {dtype!r}, shape {shape!r}")
    return np.frombuffer(bytearray(data), kind).reshape(shape)


# What a weights-only load may build without an allow-list: pyneuro's data types (constructors
# of data: they run no code of the file's choosing). A NumPy array or scalar is not among them:
# refused unless its globals are allow-listed, as torch.load refuses it.
_DATA_GLOBALS = {
    ("pyneuro._pickled", "values_array"),
    ("pyneuro", "Tensor"),  # (the class's __module__ now; the longer paths: files saved before)
    ("pyneuro", "Size"),
    ("pyneuro", "device"),
    ("pyneuro.tensor", "Tensor"),
    ("pyneuro.nn.modules.module", "Parameter"),
    ("pyneuro.nn.parameter", "Parameter"),
    ("pyneuro._device", "device"),
    ("pyneuro._shapes", "Size"),
    ("pyneuro._sparse_coo", "rebuild_sparse"),  # (checks what it is given, as sparse_coo_tensor)
    ("pyneuro._dtype", "public"),
    ("collections", "OrderedDict"),
    ("collections", "Counter"),  # (MultiStepLR's state_dict holds its milestones in one, as torch's)
    ("builtins", "bytearray"),
    ("builtins", "complex"),  # (torch's weights-only load builds complex numbers too)
}


class _Refs:
    """Persistent references (tensors kept out of the pickle) resolved through `refs`, a function
    given by pn.load (a method: the C unpickler ignores instance attributes)."""

    refs = None

    def persistent_load(self, pid):
        if self.refs is None:
            raise pickle.UnpicklingError(f"the pickle refers to tensor {pid!r}, which the file does not hold")
        return self.refs(pid)


class _Unpickler(_Refs, pickle.Unpickler):
    """weights_only=False: Python's C unpickler, as torch.load's."""


def _bytearray(*args):
    """builtins.bytearray in a weights-only load: from the bytes pickle stores it with. bytearray(n)
    would fill n bytes that a few bytes of a hostile file ask for (2**34: 16 GiB written)."""
    if args and not isinstance(args[0], (bytes, bytearray, str)):
        raise pickle.UnpicklingError(
            f"bytearray({type(args[0]).__name__}) in a weights-only load: a pickled bytearray is built "
            "from its bytes, never from a size (a hostile file could ask for any amount of memory)"
        )
    return bytearray(*args)


def _load_bytearray8(self) -> None:
    """BYTEARRAY8 as pickle's, but the bytes are read before a bytearray is made of them: pickle's
    allocates (and zeroes) the length the file claims first, so a 20-byte pickle asked for any amount
    of memory (8 GiB took 8 s here; more could have the process killed)."""
    (n,) = struct.unpack("<Q", self.read(8))
    data = self.read(n)  # (a stream gives what it holds, never more)
    if len(data) != n:
        raise pickle.UnpicklingError(f"BYTEARRAY8 of {n} bytes, {len(data)} left in the pickle")
    self.append(bytearray(data))


# pickle._Unpickler's opcode table with that one change (a weights-only load runs it on files from anywhere)
BOUNDED_DISPATCH = {**pickle._Unpickler.dispatch, pickle.BYTEARRAY8[0]: _load_bytearray8}


class _WeightsOnlyUnpickler(_Refs, pickle._Unpickler):
    """A weights-only load: the classes are allow-listed, and the unpickler is Python's own
    implementation (pickle._Unpickler), as torch's weights-only unpickler is Python: its memo is
    a dict, where the C unpickler's is an array grown to the largest index a pickle names (a
    9-byte pickle with LONG_BINPUT 2**30 had it fill 16 GiB); its BYTEARRAY8 reads before it allocates."""

    dispatch = BOUNDED_DISPATCH

    def find_class(self, module: str, name: str):
        if (module, name) == ("builtins", "bytearray"):
            return _bytearray
        found = super().find_class(module, name) if (module, name) in _DATA_GLOBALS else None
        if found is None:
            found = _allowed().get((module, name))
        if found is None:
            raise _refusal(
                module,
                name,
                "a pickled Python object (pn.save of a whole model or another class), and unpickling "
                "it runs code from the file",
            )
        return found


def _allowed() -> dict:
    """(module, name) -> the allow-listed object: a class or function under its own name, or, as
    torch's (MyClass, "old_module.OldName"), under the name a file pickled it with."""
    allowed = {}
    for g in _SAFE_GLOBALS:
        if isinstance(g, tuple) and len(g) == 2 and isinstance(g[1], str):
            allowed[tuple(g[1].rsplit(".", 1))] = g[0]
        else:
            allowed[(getattr(g, "__module__", None), getattr(g, "__qualname__", None))] = g
    return allowed


def _refusal(module: str, name: str, what: str) -> pickle.UnpicklingError:
    """torch.load's weights-only refusal of GLOBAL module.name, with pyneuro's names."""
    return pickle.UnpicklingError(
        f"Weights only load failed. The file holds {what}. "
        "Two ways on, only if you trust where the file came from:\n\t(1) pn.load(f, weights_only=False) "
        "loads anything (as torch.load since PyTorch 2.6 asks);\n\t(2) allow-list the classes: "
        f"Unsupported global: GLOBAL {module}.{name} was not an allowed global by default. Please use "
        f"`pn.serialization.add_safe_globals([{name}])` or the "
        f"`pn.serialization.safe_globals([{name}])` context manager to allowlist this global if you "
        "trust this class/function."
    )


# The globals torch.save's pickle names for what pn.save stores as data (NumPy arrays and scalars):
# torch.load refuses them with weights_only=True unless allow-listed, and so does pn.load.
_NP_RECONSTRUCT = np.arange(1).__reduce__()[0]  # numpy._core.multiarray._reconstruct (numpy.core before 2.0)
_NP_SCALAR = np.float32(0).__reduce__()[0]  # numpy._core.multiarray.scalar


def array_globals(dtype: np.dtype | None = None) -> list:
    """What torch.load needs allow-listed for an array: the globals of its pickle, and its dtype's
    class (numpy.dtypes.Float64DType: not a global of the pickle, so not listed without a dtype)."""
    return [_NP_RECONSTRUCT, np.ndarray, np.dtype] + ([type(dtype)] if dtype is not None else [])


def scalar_globals(dtype: np.dtype | None = None) -> list:
    return [_NP_SCALAR, np.dtype] + ([type(dtype)] if dtype is not None else [])


def require_allowed(weights_only, needed: list, what: str) -> None:
    """A weights-only load (weights_only not False) of a data entry that torch.load would unpickle
    through the globals `needed` (a NumPy array or scalar, a frozenset): refused as torch refuses
    it, unless every one of them is allow-listed (add_safe_globals / safe_globals)."""
    if weights_only is False:
        return
    for g in needed:
        if not any(g is allowed for allowed in _SAFE_GLOBALS):
            raise _refusal(g.__module__, g.__qualname__, what)


_STRINGS = {
    "SHORT_BINUNICODE",
    "BINUNICODE",
    "BINUNICODE8",
    "UNICODE",
    "STRING",
    "BINSTRING",
    "SHORT_BINSTRING",
}


def pickle_globals(data: bytes) -> set:
    """("module", "name") of every global a pickle names, read with pickletools (nothing is imported
    or run): GLOBAL's argument, and STACK_GLOBAL's two strings (pushed, or fetched from the memo)."""
    found, memo, pushed = set(), {}, []  # pushed: the values of the latest pushes, strings or None
    for op, arg, _ in pickletools.genops(data):
        if op.name == "GLOBAL":
            found.add(tuple(arg.split(" ", 1)))
        elif op.name == "STACK_GLOBAL" and len(pushed) >= 2 and all(isinstance(v, str) for v in pushed[-2:]):
            found.add((pushed[-2], pushed[-1]))
        if op.name == "MEMOIZE":
            memo[len(memo)] = pushed[-1] if pushed else None
        elif op.name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[arg] = pushed[-1] if pushed else None
        elif op.name in ("GET", "BINGET", "LONG_BINGET"):
            pushed.append(memo.get(arg))
        elif op.name in _STRINGS:
            pushed.append(arg)
        elif op.stack_after:
            pushed.append(None)
    return found


def unsafe_globals(in_pickles: set, in_data: list) -> list:
    """torch's get_unsafe_globals_in_checkpoint: sorted "module.name" of what a weights-only load
    refuses: globals of the file's pickles that are neither data nor allow-listed, and the globals
    torch would pickle the file's data entries with (in_data: array_globals(), ...) not allow-listed."""
    allowed = _allowed()
    names = {f"{m}.{n}" for m, n in in_pickles if (m, n) not in _DATA_GLOBALS and (m, n) not in allowed}
    names.update(
        f"{g.__module__}.{g.__qualname__}" for g in in_data if not any(g is a for a in _SAFE_GLOBALS)
    )
    return sorted(names)


class TrustedPickleError(Exception):
    """Carries an error raised while unpickling with weights_only=False (or by placing a tensor
    where map_location says) past pn.load's wrapping of malformed files into CheckpointError:
    torch.load lets such errors through unchanged (a model class the program no longer defines
    is AttributeError "Can't get attribute 'Net' on <module '__main__'>", a missing module
    ModuleNotFoundError, a CUDA map_location without CUDA RuntimeError), and so does pn.load."""

    def __init__(self, error: Exception):
        super().__init__(error)
        self.error = error


def unpickled(data: np.ndarray, weights_only, persistent_load=None) -> object:
    """The object pickled in data; weights_only (None: True, torch's default) restricts the
    classes as the module docstring says. persistent_load(reference): the tensor a reference
    of pickled(obj, persistent_id) stands for."""
    stream = io.BytesIO(np.ascontiguousarray(data, dtype=np.uint8).tobytes())
    unpickler = _Unpickler(stream) if weights_only is False else _WeightsOnlyUnpickler(stream)
    unpickler.refs = persistent_load
    if weights_only is not False:
        return unpickler.load()
    try:
        return unpickler.load()
    except Exception as exc:
        raise TrustedPickleError(exc) from None


__all__ = [
    "add_safe_globals",
    "get_safe_globals",
    "clear_safe_globals",
    "safe_globals",
    "pickled",
    "unpickled",
]

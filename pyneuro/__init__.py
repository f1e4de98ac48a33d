"""pyneuro: a compiled-kernel educational deep-learning runtime.

Hand-written C++ and CUDA kernels (matmul, softmax, cross-entropy, ReLU, forward and
backward) under a small PyTorch-shaped API. `import pyneuro as pn` needs only NumPy;
Numba, CuPy and PyTorch are imported only when a backend or a test asks for them.
"""

from __future__ import annotations

import builtins as _builtins
import importlib as _importlib
import os as _os
import sys as _sys

from . import _heap  # noqa: F401  # isort: skip  (glibc keeps a step's freed temporaries: _heap.py)

# The submodule pyneuro.tensor first: importing a submodule binds its name on this package, so
# it must happen before `tensor` (the factory, from creation.py) is bound below, or
# `pn.tensor` would be the module.
from .tensor import Tensor  # isort: skip

# isort: split
from . import _dtype as _dtypes
from . import backends
from . import functions_index as _functions_index
from . import functions_logical as _functions_logical
from . import functions_math as _functions_math
from . import functions_reduce as _functions_reduce
from . import torch_names as _torch_names
from . import torch_names_extra as _torch_names_extra
from . import torch_nn_names as _torch_nn_names
from . import torch_runtime as _torch_runtime
from ._arguments import check_method_arguments as _check_method_arguments
from ._arguments import check_tensor_arguments as _check_tensor_arguments
from ._arguments import checked as _checked
from ._device import device
from ._dtype import DType as dtype
from ._errors import AcceleratorError, OutOfMemoryError
from ._errors import ArgumentError as _ArgumentError
from ._lowrank import pca_lowrank, svd_lowrank
from ._out import add_out_keyword as _add_out_keyword
from ._out import out_keyword as _out_keyword
from ._shapes import Size
from ._sparse_coo import sparse_coo, sparse_coo_tensor
from ._tensor_str import set_printoptions
from .amp import (
    GradScaler,
    autocast,
    get_autocast_cpu_dtype,
    get_autocast_dtype,
    get_autocast_gpu_dtype,
    is_autocast_cpu_enabled,
    is_autocast_enabled,
    set_autocast_cpu_dtype,
    set_autocast_cpu_enabled,
    set_autocast_dtype,
    set_autocast_enabled,
    set_autocast_gpu_dtype,
)
from .autograd import (
    enable_grad,
    inference_mode,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    set_anomaly_enabled,
    set_grad_enabled,
)
from .backends import set_backend
from .backends.torch_flags import (
    are_deterministic_algorithms_enabled,
    get_deterministic_debug_mode,
    is_deterministic_algorithms_warn_only_enabled,
    set_deterministic_debug_mode,
    use_deterministic_algorithms,
)
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_dlpack,
    from_numpy,
    full,
    full_like,
    is_tensor,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .functional_activation import (
    celu,
    celu_,
    hardshrink,
    prelu,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    threshold,
    threshold_,
)
from .functions import (
    allclose,
    argmax,
    argsort,
    baddbmm,
    bincount,
    bmm,
    cat,
    cdist,
    ceil,
    chunk,
    clamp,
    concat,
    cos,
    cumsum,
    diag,
    dot,
    einsum,
    equal,
    exp,
    flatten,
    flip,
    floor,
    gather,
    get_default_dtype,
    index_select,
    isclose,
    log,
    log1p,
    log_softmax,
    logsumexp,
    masked_fill,
    masked_select,
    matmul,
    maximum,
    mean,
    meshgrid,
    minimum,
    mm,
    movedim,
    multinomial,
    nonzero,
    norm,
    normal,
    numel,
    outer,
    permute,
    prod,
    relu,
    repeat_interleave,
    reshape,
    roll,
    sigmoid,
    sign,
    sin,
    softmax,
    sort,
    split,
    spmm,
    sqrt,
    squeeze,
    stack,
    std,
    tanh,
    topk,
    transpose,
    tril,
    triu,
    trunc,
    unbind,
    unique,
    unsqueeze,
    var,
    where,
)
from .functions_index import *  # noqa: F403 - each lists its public names in __all__
from .functions_logical import *  # noqa: F403
from .functions_math import *  # noqa: F403
from .functions_reduce import *  # noqa: F403
from .functions_scan import cummax, cummin, cumprod, logcumsumexp, median, mode, nanmedian
from .gradcheck import GradcheckError, gradcheck
from .random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from .serialization import load, save
from .storage import TypedStorage, UntypedStorage
from .strided import as_strided, empty_strided
from .torch_names import *  # noqa: F403 - asarray, isin, hann_window, exp_, ... (its __all__)
from .torch_names_extra import *  # noqa: F403 - nonzero_static, t_copy, frobenius_norm, ... (its __all__)
from .torch_nn_names import *  # noqa: F403 - torch.dropout(input, p, train), torch.kl_div, ... (its __all__)
from .torch_runtime import *  # noqa: F403 - FloatTensor, pi, ... (its __all__)
from .version import __version__

# The dtypes users see: pn.float32 prints as pyneuro.float32 and equals np.float32 (_dtype.DType).
float32, float64, float16 = _dtypes.public("float32"), _dtypes.public("float64"), _dtypes.public("float16")
int64, int32, int16 = _dtypes.public("int64"), _dtypes.public("int32"), _dtypes.public("int16")
int8, uint8, bool_ = _dtypes.public("int8"), _dtypes.public("uint8"), _dtypes.public("bool")
double, long, half, short = float64, int64, float16, int16
# torch dtypes pyneuro has no tensors of: they exist to be named (autocast, comparisons); a tensor of
# one raises TypeError (_dtype.UnsupportedDType)
bfloat16, complex32, complex64, complex128 = (
    _dtypes.unsupported(n) for n in ("bfloat16", "complex32", "complex64", "complex128")
)
chalf, cfloat, cdouble = complex32, complex64, complex128
uint16, uint32, uint64 = (_dtypes.unsupported(n) for n in ("uint16", "uint32", "uint64"))
float8_e4m3fn, float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz = (
    _dtypes.unsupported(n) for n in ("float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz")
)

# Names that would shadow Python builtins inside this module are served by __getattr__.
_BUILTIN_NAMED_FUNCTIONS = ("sum", "abs", "max", "min", "pow", "round", "all", "any")
# Where __getattr__ looks for them, in order.
_BUILTIN_NAMED_HOMES = (
    "functions",
    "functions_math",
    "functions_logical",
    "functions_index",
    "functions_reduce",
)


# Submodules loaded on first attribute access, so `import pyneuro` stays fast.
_LAZY_SUBMODULES = (
    "nn",
    "func",
    "optim",
    "functional",
    "data",
    "datasets",
    "cuda",
    "lab",
    "bench",
    "autograd",
    "linalg",
    "special",  # torch.special: erf, expit, logit, ... (functions_math.py)
    "sparse",  # torch.sparse: mm, sum, addmm of COO sparse tensors (_sparse_coo.py)
    "distributions",
    "multiprocessing",  # torch.multiprocessing: Python's, plus the sharing-strategy switches
    "distributed",  # torch.distributed: is_available() is False (one process)
    "version",  # torch.version: __version__, cuda
    "_dynamo",  # torch._dynamo: the tracer's switches, inert (nothing is traced)
    "jit",  # torch.jit: script and trace return what they are given
    "overrides",  # torch.overrides: __torch_function__ of tensor-like objects (overrides.py)
    "return_types",  # the named tuples of max, sort, topk, ... (torch.return_types)
    "accelerator",  # torch.accelerator: is_available, current_accelerator
    "amp",  # torch.amp: autocast, GradScaler
    "cpu",  # torch.cpu: is_available, amp
    "xpu",  # torch.xpu: is_available() is False (no Intel GPU kernels)
    "testing",  # torch.testing: assert_close  # torch.distributions: Normal, Categorical, ... with log_prob and rsample
    "utils",
    "profiler",  # the tools that show what ran
    "compiler",  # torch.compiler: is_compiling() False, the tracer's decorators give back their function
    "signal",  # torch.signal.windows: hann, gaussian, kaiser, ... as torch computes them
    "hub",  # torch.hub: checkpoints from URLs into a cache, local hubconf.py entry points
    "onnx",  # torch.onnx: export raises NotImplementedError (no tracer), so scripts importing it run
    "viz",
)


def get_num_threads() -> int:
    """Threads used by the C++ kernels (1 when the C++ backend is not available)."""
    status = backends.status("cpu")
    return backends.get("cpu").get_num_threads() if status.available else 1


def set_num_threads(n: int) -> None:
    """Set the threads the CPU kernels use (like torch.set_num_threads): the C++ kernels, and
    the Numba kernels when that backend is loaded (capped at its NUMBA_NUM_THREADS)."""
    # torch's RuntimeError, and a ValueError (ArgumentError); a NumPy integer is an int to torch
    if isinstance(n, bool) or not hasattr(n, "__index__") or isinstance(n, Tensor):
        raise _ArgumentError(f"set_num_threads expects an int, but got {type(n).__name__}")
    n = int(n)
    if n < 1:
        raise _ArgumentError(f"set_num_threads expects a positive integer, got {n}")
    # Bounded (torch is not): libgomp aborts the process when it cannot create the threads.
    cpu = backends.get("cpu") if backends.status("cpu").available else None
    limit = cpu.max_num_threads() if cpu is not None else _builtins.max(64, 4 * (_os.cpu_count() or 1))
    if n > limit:
        raise _ArgumentError(
            f"set_num_threads needs at most {limit} threads (4 per hardware thread), got {n}"
        )
    if cpu is not None:
        cpu.set_num_threads(n)
    numba_backend = _sys.modules.get("pyneuro.backends.numba")
    if numba_backend is not None and hasattr(numba_backend, "set_num_threads"):
        import numba

        # Python's min: pn.min, once used, is a global of this module (__getattr__ caches it)
        numba_backend.set_num_threads(_builtins.min(n, numba.config.NUMBA_NUM_THREADS))


_RANGE = []  # pn.range, with its argument check, made on first use


def __getattr__(name: str):
    if name in _LAZY_SUBMODULES:
        module = _importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    if name in _BUILTIN_NAMED_FUNCTIONS:  # pn.sum, pn.max, pn.all, ... (not shadowing builtins here)
        for home in _BUILTIN_NAMED_HOMES:
            function = getattr(_importlib.import_module(f"{__name__}.{home}"), name, None)
            if function is not None:
                globals()[name] = function = _checked(_out_keyword(function, __name__, name), name)
                return function
    if name in _torch_nn_names.SAME_AS_FUNCTIONAL:  # pn.conv2d, pn.pixel_shuffle, ...: nn.functional's
        globals()[name] = function = _checked(_torch_nn_names.functional_op(name), name)
        return function
    if name in ("smm", "hspmm"):  # sparse @ dense, stored sparse: sparse.py's (loaded on first use)
        globals()[name] = function = _checked(
            getattr(_importlib.import_module(f"{__name__}.sparse"), name), name
        )
        return function
    if name == "vmap":  # torch.vmap is torch.func.vmap
        return _importlib.import_module(f"{__name__}.func").vmap
    if name == "compile":  # _compile.py wraps a Module in nn's classes, loaded here on first use
        return _importlib.import_module(f"{__name__}._compile").compile
    if name == "range":  # torch.range (deprecated), not bound here where it would hide the builtin
        if not _RANGE:  # (checked once: pickle finds the same object)
            _RANGE.append(_checked(_torch_names.range, name))
        return _RANGE[0]
    if name in _torch_names_extra.BUILD_FLAGS:  # pn.has_openmp, ...: asks the C++ backend, so on first use
        return _torch_names_extra.build_flag(name)
    if name in ("float", "int", "bool"):  # pn.float, pn.int, pn.bool: the dtypes users see
        return _dtypes.public(getattr(_dtypes, name))
    raise AttributeError(f"module 'pyneuro' has no attribute {name!r}")


def __dir__():
    """dir(pyneuro) lists the names __getattr__ serves too, as dir(torch) lists them."""
    served = (
        _LAZY_SUBMODULES
        + _BUILTIN_NAMED_FUNCTIONS
        + _torch_nn_names.SAME_AS_FUNCTIONAL
        + _torch_names_extra.BUILD_FLAGS
    )
    return sorted(set(globals()) | set(served) | {"float", "int", "bool", "range", "vmap", "compile"})


__all__ = [
    "set_printoptions",
    "backends",
    "set_backend",
    "get_num_threads",
    "set_num_threads",
    "use_deterministic_algorithms",
    "get_deterministic_debug_mode",
    "set_deterministic_debug_mode",
    "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled",
    "__version__",
    "Tensor",
    "Size",
    "device",
    "dtype",
    "tensor",
    "as_tensor",
    "from_numpy",
    "is_tensor",
    "zeros",
    "ones",
    "full",
    "empty",
    "eye",
    "arange",
    "linspace",
    "rand",
    "randn",
    "randint",
    "randperm",
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
    "rand_like",
    "randn_like",
    "cat",
    "concat",
    "stack",
    "where",
    "matmul",
    "mm",
    "spmm",
    "sparse_coo_tensor",
    "sparse_coo",
    "exp",
    "log",
    "sqrt",
    "sigmoid",
    "tanh",
    "relu",
    "clamp",
    "mean",
    "argmax",
    "maximum",
    "minimum",
    "reshape",
    "flatten",
    "transpose",
    "allclose",
    "softmax",
    "log_softmax",
    "dot",
    "norm",
    "topk",
    "argsort",
    "gather",
    "sin",
    "cos",
    "log1p",
    "sign",
    "floor",
    "ceil",
    "trunc",
    "masked_fill",
    "chunk",
    "split",
    "get_default_dtype",
    "einsum",
    "prod",
    "repeat_interleave",
    "diag",
    "cumsum",
    "logsumexp",
    "selu",
    "selu_",
    "celu",
    "celu_",
    "hardshrink",
    "threshold",
    "threshold_",
    "prelu",
    "rrelu",
    "rrelu_",
    "relu_",
    "cumprod",
    "logcumsumexp",
    "cummax",
    "cummin",
    "median",
    "nanmedian",
    "mode",
    "numel",
    "equal",
    "roll",
    "bincount",
    "cdist",
    "multinomial",
    "sort",
    "baddbmm",
    "meshgrid",
    "from_dlpack",
    "inference_mode",
    "outer",
    "bmm",
    "flip",
    "index_select",
    "masked_select",
    "unbind",
    "tril",
    "triu",
    "isclose",
    "nonzero",
    "unique",
    "movedim",
    "squeeze",
    "unsqueeze",
    "permute",
    "std",
    "var",
    "normal",
    "float32",
    "float64",
    "float16",
    "int64",
    "int32",
    "int16",
    "int8",
    "uint8",
    "bool_",
    "double",
    "long",
    "half",
    "short",
    "bfloat16",
    "complex32",
    "complex64",
    "complex128",
    "chalf",
    "cfloat",
    "cdouble",
    "uint16",
    "uint32",
    "uint64",
    "float8_e4m3fn",
    "float8_e5m2",
    "float8_e4m3fnuz",
    "float8_e5m2fnuz",
    "no_grad",
    "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled",
    "set_anomaly_enabled",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "Generator",
    "manual_seed",
    "default_generator",
    "seed",
    "initial_seed",
    "get_rng_state",
    "set_rng_state",
    "save",
    "load",
    "TypedStorage",
    "UntypedStorage",
    "autocast",
    "is_autocast_enabled",
    "get_autocast_dtype",
    "set_autocast_dtype",
    "set_autocast_enabled",
    "GradScaler",
    "get_autocast_cpu_dtype",
    "get_autocast_gpu_dtype",
    "set_autocast_cpu_dtype",
    "set_autocast_gpu_dtype",
    "is_autocast_cpu_enabled",
    "set_autocast_cpu_enabled",
    "gradcheck",
    "GradcheckError",
    "pca_lowrank",
    "svd_lowrank",
    "OutOfMemoryError",
    "AcceleratorError",
]
__all__ += (
    _torch_runtime.__all__
    + _functions_math.__all__
    + _functions_logical.__all__
    + _functions_index.__all__
    + _functions_reduce.__all__
)
__all__ += (
    ["as_strided", "empty_strided"]
    + _torch_names.__all__
    + _torch_names_extra.__all__
    + _torch_nn_names.__all__
    + list(_torch_nn_names.SAME_AS_FUNCTIONAL)
)

# torch's free functions take out= (pyneuro/_out.py: one rule for all of them).
_OUT_HOMES = tuple(f"{__name__}.{home}" for home in _BUILTIN_NAMED_HOMES + ("functions_scan",))
_add_out_keyword(
    globals(), [n for n, f in list(globals().items()) if getattr(f, "__module__", None) in _OUT_HOMES]
)
# ...and refuse a list or an array where torch's parser takes only a Tensor (pyneuro/_arguments.py)
_check_tensor_arguments(globals(), __name__)
_check_method_arguments(Tensor)  # (and on Tensor's methods: x.mul([..]))

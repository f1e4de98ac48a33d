"""cupy.RawModule for the fake CuPy: NVRTC source compiled with g++ against the CPU emulator.

`RawModule(code=..., options=...)` takes the same source string that real CuPy hands to
NVRTC, appends one generated C++ launch thunk per `extern "C" __global__` kernel

    extern "C" int pnfake_launch_<name>(unsigned gx, gy, gz, bx, by, bz, void** args)

(args is CUDA's kernelParams: one pointer per parameter, pointing at its value) and
compiles the lot with the host compiler against tests/support/cuda_emu/cuda_runtime_api.h into a
shared library, cached by a hash of everything that goes into it. `get_function(name)`
returns a Function that, unlike real CuPy (which copies each argument's raw bytes with no
look at the kernel's signature), checks every launch against the C parameter list:

* arity; each scalar's exact NumPy type (`long long`/int64_t <-> np.int64, `int` <->
  np.int32, `float` <-> np.float32, `double` <-> np.float64, ...; a Python int is taken
  only where CuPy's conversion (to int64) is right, a Python float only for `double`);
* each pointer: a fake cupy.ndarray (a NumPy array is host memory: an illegal address on
  a GPU) or None (null), C-contiguous, of the pointee's dtype (`float*` <-> float32,
  `long long*` <-> int64, `unsigned char*` <-> uint8/bool; `unsigned int*` /
  `unsigned long long*` / `void*` take any dtype of that element size);
* an array behind a non-const pointer (one the kernel may write) overlapping any other
  array argument (aliasing, a race on a GPU);
* structs passed by value: a NumPy structured scalar (np.void) of the struct's size;
* the launch shape: tuples of 1-3 positive ints, block <= (1024, 1024, 64) and <= 1024
  threads, within the kernel's __launch_bounds__, grid.y/z <= 65535; plus the emulator's
  own rule that a block is whole warps (a multiple of 32 threads);
* shared_mem must be 0 (the emulator has no dynamic shared memory);
* the source itself: no #include, nothing NVRTC lacks without headers (std::, int64_t,
  size_t, INFINITY, ...), since g++ would accept them through the emulator's includes.

Each array argument runs in a copy with 256 guard bytes of 0xff on both sides (NaN for
float32, -1 for int64, so out-of-bounds reads show up too) and its original 256-byte
alignment; a write into a guard raises, and arrays behind non-const pointers are copied
back after the launch. A launch runs synchronously (blocks one after another, a block's
threads as fibers on the calling thread: see cuda_runtime_api.h).
"""

from __future__ import annotations

import collections
import ctypes
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np

EMU_DIR = Path(os.environ.get("FAKE_CUPY_EMU_DIR", Path(__file__).resolve().parents[2] / "cuda_emu"))
HEADER = EMU_DIR / "cuda_runtime_api.h"
GUARD = 256
_GEN_VERSION = "3"

_SCALARS = {  # C scalar type -> the one NumPy scalar type that matches it exactly
    "long long": np.int64,
    "long long int": np.int64,
    "signed long long": np.int64,
    "int64_t": np.int64,
    "long": np.int64,
    "long int": np.int64,
    "ptrdiff_t": np.int64,
    "unsigned long long": np.uint64,
    "unsigned long long int": np.uint64,
    "uint64_t": np.uint64,
    "unsigned long": np.uint64,
    "size_t": np.uint64,
    "int": np.int32,
    "signed int": np.int32,
    "signed": np.int32,
    "int32_t": np.int32,
    "unsigned": np.uint32,
    "unsigned int": np.uint32,
    "uint32_t": np.uint32,
    "short": np.int16,
    "int16_t": np.int16,
    "unsigned short": np.uint16,
    "uint16_t": np.uint16,
    "signed char": np.int8,
    "char": np.int8,
    "int8_t": np.int8,
    "unsigned char": np.uint8,
    "uint8_t": np.uint8,
    "bool": np.bool_,
    "float": np.float32,
    "double": np.float64,
}
# pointee type -> accepted array dtypes; None: any dtype of that element size
_POINTEES = {
    "float": (np.float32,),
    "double": (np.float64,),
    "int": (np.int32,),
    "int32_t": (np.int32,),
    "long long": (np.int64,),
    "long long int": (np.int64,),
    "int64_t": (np.int64,),
    "long": (np.int64,),
    "unsigned char": (np.uint8, np.bool_),
    "uint8_t": (np.uint8, np.bool_),
    "bool": (np.bool_,),
    "signed char": (np.int8,),
    "char": (np.int8, np.uint8),
    "short": (np.int16,),
    "unsigned short": (np.uint16,),
}
_RAW_POINTEES = {
    "unsigned int": 4,
    "uint32_t": 4,
    "unsigned long long": 8,
    "uint64_t": 8,
    "unsigned long": 8,
    "void": None,
}

_KERNEL = re.compile(
    r'extern\s+"C"\s+__global__\s+(?:__launch_bounds__\s*\(([^)]*)\)\s*)?void\s+'
    r"(?:__launch_bounds__\s*\(([^)]*)\)\s*)?(\w+)\s*\(([^)]*)\)\s*\{"
)
_TYPEDEF = re.compile(r"\btypedef\s+([\w\s\*]+?)\s+(\w+)\s*;")
_STRUCT = re.compile(r"\bstruct\s+(\w+)\s*\{")

_lock = threading.Lock()
LAUNCHES: collections.Counter = collections.Counter()  # kernel name -> launches (for tests)

# Names NVRTC does not know without headers (it has no C++ standard library and no include
# path here); g++ would accept them through the emulator's own #includes.
_NOT_IN_NVRTC = re.compile(
    r"\bstd::|\bu?int(?:8|16|32|64)_t\b|\bsize_t\b|\bINFINITY\b|\bNAN\b|\bFLT_MAX\b|"
    r"\bDBL_MAX\b|\bnumeric_limits\b|\bassert\s*\(|\bmemcpy\s*\(|\bmemset\s*\("
)


class CompileException(Exception):
    """The source did not compile (as cupy.cuda.compiler.CompileException)."""


class LaunchError(RuntimeError):
    """The emulated launch failed (as a CUDADriverError on the GPU)."""


def _strip_comments(code: str) -> str:
    code = re.sub(r"/\*.*?\*/", " ", code, flags=re.S)
    return re.sub(r"//[^\n]*", "", code)


def _norm(t: str) -> str:
    t = re.sub(r"\s*\*\s*", "*", t.strip())
    t = re.sub(r"\s+", " ", t)
    return t.replace("__restrict__", "").replace(" *", "*").strip()


class Param:
    """One kernel parameter: its C type (typedefs resolved) and how to check an argument."""

    def __init__(self, index, text, typedefs, structs):
        text = " ".join(text.split())
        m = re.match(r"^(.*?)(\w+)$", text)
        if not m or not m.group(1).strip():
            raise CompileException(f"cannot parse kernel parameter {text!r}")
        self.index, self.name, self.ctype = index, m.group(2), _norm(m.group(1))
        t = self.ctype.replace("__restrict__", "").strip()
        self.pointer = t.endswith("*")
        if t.count("*") > 1:
            raise CompileException(f"parameter {text!r}: pointers to pointers are not supported by the fake")
        base = t.rstrip("*").strip()
        self.const = bool(re.search(r"\bconst\b", base))
        base = " ".join(w for w in base.split() if w not in ("const", "volatile"))
        seen = 0
        while base in typedefs and seen < 10:  # typedef long long pn_index;
            tbase = typedefs[base]
            if tbase.endswith("*"):
                self.pointer = True
                tbase = tbase.rstrip("*").strip()
            base, seen = " ".join(w for w in tbase.split() if w != "const"), seen + 1
        self.base = base
        if self.pointer:
            if base not in _POINTEES and base not in _RAW_POINTEES:
                raise CompileException(f"parameter {text!r}: pointee type {base!r} not supported by the fake")
        elif base not in _SCALARS and base not in structs:
            raise CompileException(f"parameter {text!r}: type {base!r} not supported by the fake")
        self.struct = not self.pointer and base in structs

    def __repr__(self):
        return f"{self.ctype} {self.name}"


class Kernel:
    def __init__(self, name, params, bound_expr):
        self.name, self.params, self.bound_expr = name, params, bound_expr
        self.sizes: list[int] = []
        self.max_threads = 1024


def parse_kernels(code: str) -> dict[str, Kernel]:
    src = _strip_comments(code)
    typedefs = {m.group(2): _norm(m.group(1)) for m in _TYPEDEF.finditer(src)}
    structs = {m.group(1) for m in _STRUCT.finditer(src)}
    kernels = {}
    for m in _KERNEL.finditer(src):
        bound, name, plist = (m.group(1) or m.group(2)), m.group(3), m.group(4).strip()
        parts = [] if plist in ("", "void") else [p.strip() for p in plist.split(",")]
        params = [Param(i, p, typedefs, structs) for i, p in enumerate(parts)]
        bound = bound.split(",")[0].strip() if bound else None
        kernels[name] = Kernel(name, params, bound)
    return kernels


def _thunks(kernels: dict[str, Kernel]) -> str:
    out = ["\n// ---- generated by the fake cupy (tests/support/fake_cupy/cupy/_raw.py)"]
    for k in kernels.values():
        call = ", ".join(f"*static_cast<{p.ctype}*>(a[{p.index}])" for p in k.params)
        sizes = " ".join(f"case {p.index}: return (long long)sizeof({p.ctype});" for p in k.params)
        bound = f"(long long)({k.bound_expr})" if k.bound_expr else "1024LL"
        out.append(
            f'extern "C" int pnfake_launch_{k.name}(unsigned gx, unsigned gy, unsigned gz, unsigned bx, '
            f"unsigned by, unsigned bz, void** a) {{\n"
            f"  (void)a; cudaGetLastError();\n"
            f"  emu::launch(dim3(gx, gy, gz), dim3(bx, by, bz), [&] {{ {k.name}({call}); }});\n"
            f"  return cudaGetLastError();\n}}\n"
            f'extern "C" long long pnfake_argsize_{k.name}(int i) {{ switch (i) {{ {sizes} }} return -1; }}\n'
            f'extern "C" long long pnfake_bound_{k.name}() {{ return {bound}; }}'
        )
    return "\n".join(out) + "\n"


def _compiler() -> str:
    cxx = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++")
    if not cxx:
        raise CompileException("fake cupy: no host C++ compiler (g++) to emulate NVRTC")
    return cxx


def _cache_dir() -> Path:
    d = Path(
        os.environ.get("FAKE_CUPY_CACHE", Path(tempfile.gettempdir()) / f"pyneuro_fake_cupy_{os.getuid()}")
    )
    d.mkdir(parents=True, exist_ok=True)
    return d


def build_library(code: str, options=()) -> tuple[ctypes.CDLL, dict[str, Kernel]]:
    if re.search(r"^\s*#\s*include\b", code, re.M):
        # NVRTC has no include path here (and no C++ standard library): real CuPy would fail.
        raise CompileException(
            "fake cupy: the RawModule source has an #include line; NVRTC cannot resolve it"
        )
    for opt in options:
        if not re.fullmatch(
            r"(--?std=c\+\+\d\d|-D\w+(=\S*)?|--use_fast_math|-lineinfo|--?arch=\S+)", str(opt)
        ):
            raise CompileException(f"fake cupy: unknown NVRTC option {opt!r}")
    bad = _NOT_IN_NVRTC.search(_strip_comments(code))
    if bad:
        raise CompileException(
            f"fake cupy: {bad.group(0)!r} in the RawModule source: NVRTC has no standard "
            "library headers (use long long, bit-pattern infinities, ...)"
        )
    kernels = parse_kernels(code)
    if not kernels:
        raise CompileException('fake cupy: no extern "C" __global__ kernels in the source')
    defines = [str(o) for o in options if str(o).startswith("-D")]
    source = code + _thunks(kernels)
    cxx = _compiler()
    key = hashlib.sha256(
        "\0".join([_GEN_VERSION, cxx, HEADER.read_text(), *defines, source]).encode()
    ).hexdigest()[:24]
    lib_path = _cache_dir() / f"rawmodule_{key}.so"
    with _lock:
        if not lib_path.exists():
            src_path = _cache_dir() / f"rawmodule_{key}.{os.getpid()}.cpp"
            src_path.write_text(source)
            tmp_lib = lib_path.with_suffix(f".{os.getpid()}.tmp")
            cmd = [
                cxx,
                "-std=c++20",
                "-O1",
                "-shared",
                "-fPIC",
                "-pthread",
                "-Wno-unknown-pragmas",
                "-include",
                str(HEADER),
                *defines,
                "-x",
                "c++",
                str(src_path),
                "-o",
                str(tmp_lib),
            ]
            res = subprocess.run(cmd, capture_output=True, text=True)
            if res.returncode != 0:
                raise CompileException(
                    "fake cupy: compiling the RawModule source failed:\n" + res.stderr[-6000:]
                )
            os.replace(tmp_lib, lib_path)
            src_path.unlink(missing_ok=True)
    lib = ctypes.CDLL(str(lib_path))
    for k in kernels.values():
        fn = getattr(lib, f"pnfake_argsize_{k.name}")
        fn.restype, fn.argtypes = ctypes.c_longlong, [ctypes.c_int]
        k.sizes = [int(fn(p.index)) for p in k.params]
        bound = getattr(lib, f"pnfake_bound_{k.name}")
        bound.restype = ctypes.c_longlong
        k.max_threads = int(bound())
        launch = getattr(lib, f"pnfake_launch_{k.name}")
        launch.restype = ctypes.c_int
        launch.argtypes = [ctypes.c_uint] * 6 + [ctypes.POINTER(ctypes.c_void_p)]
        k.launch = launch
    return lib, kernels


def _dims(value, what, limits):
    if not isinstance(value, tuple):
        raise TypeError(f"{what} must be a tuple (as cupy.RawKernel requires), got {type(value).__name__}")
    if not 1 <= len(value) <= 3:
        raise ValueError(f"{what} must have 1 to 3 dimensions, got {value}")
    dims = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{what} entries must be ints, got {type(v).__name__} in {value}")
        dims.append(int(v))
    dims += [1] * (3 - len(dims))
    for d, lim, axis in zip(dims, limits, "xyz"):
        if d < 1:
            raise ValueError(
                f"{what}.{axis} = {d}: a launch needs >= 1 (real CuPy silently clamps it to 1; "
                "the host code should skip empty problems instead)"
            )
        if d > lim:
            raise ValueError(f"{what}.{axis} = {d} exceeds the CUDA limit {lim}")
    return dims


def _addr(a) -> int:
    return a.__array_interface__["data"][0]


class Function:
    """A kernel of a RawModule: `f(grid, block, args, shared_mem=0, stream=None)`."""

    def __init__(self, kernel: Kernel, module):
        self.kernel, self._module = kernel, module  # keep the library loaded

    @property
    def name(self):
        return self.kernel.name

    def _check_args(self, args):
        from . import ndarray  # the fake device array type

        k = self.kernel
        if not isinstance(args, tuple):
            raise TypeError(f"{k.name}: args must be a tuple, got {type(args).__name__}")
        if len(args) != len(k.params):
            raise TypeError(
                f"{k.name}: takes {len(k.params)} arguments ({', '.join(map(repr, k.params))}), "
                f"got {len(args)}"
            )
        for p, a, size in zip(k.params, args, k.sizes):
            where = f"{k.name} argument {p.index} ({p!r})"
            if p.pointer:
                if a is None:
                    continue
                if not isinstance(a, ndarray):
                    raise TypeError(
                        f"{where}: needs a cupy.ndarray (device memory) or None, got {type(a).__name__}"
                    )
                if not a.flags.c_contiguous:
                    raise ValueError(
                        f"{where}: array of shape {a.shape} strides {a.strides} is not C-contiguous "
                        "(the kernel indexes it as a flat buffer)"
                    )
                if p.base in _POINTEES:
                    if a.dtype.type not in _POINTEES[p.base]:
                        want = " or ".join(np.dtype(t).name for t in _POINTEES[p.base])
                        raise TypeError(f"{where}: array dtype {a.dtype} does not match (needs {want})")
                else:
                    need = _RAW_POINTEES[p.base]
                    if need is not None and a.dtype.itemsize != need:
                        raise TypeError(
                            f"{where}: array dtype {a.dtype} has {a.dtype.itemsize}-byte elements, "
                            f"the kernel moves {need}-byte ones"
                        )
            elif p.struct:
                if not (isinstance(a, np.void) and a.dtype.itemsize == size):
                    raise TypeError(
                        f"{where}: needs a NumPy structured scalar (np.void) of {size} bytes, got "
                        f"{type(a).__name__}"
                        + (f" of {a.dtype.itemsize} bytes" if hasattr(a, "dtype") else "")
                    )
            else:
                want = _SCALARS[p.base]
                if np.dtype(want).itemsize != size:
                    raise TypeError(
                        f"{where}: sizeof is {size} on this host, the fake's table says "
                        f"{np.dtype(want).itemsize}"
                    )
                if isinstance(a, bool) or isinstance(a, np.ndarray):
                    raise TypeError(f"{where}: needs np.{np.dtype(want).name}, got {type(a).__name__}")
                if type(a) is int:
                    if want is not np.int64:  # CuPy passes a Python int as int64
                        raise TypeError(
                            f"{where}: a Python int goes to the GPU as int64 (8 bytes); "
                            f"pass np.{np.dtype(want).name}"
                        )
                elif type(a) is float:
                    if want is not np.float64:  # ... and a Python float as float64
                        raise TypeError(
                            f"{where}: a Python float goes to the GPU as float64 (8 bytes); "
                            f"pass np.{np.dtype(want).name}"
                        )
                elif type(a) is not want:
                    raise TypeError(
                        f"{where}: needs np.{np.dtype(want).name}, got {type(a).__module__}."
                        f"{type(a).__name__}"
                    )
        # A pointer the kernel may write must not alias any other array argument.
        arrays = [(p, a) for p, a in zip(k.params, args) if p.pointer and a is not None and a.nbytes]
        for i, (p, a) in enumerate(arrays):
            if p.const:
                continue
            lo, hi = _addr(a), _addr(a) + a.nbytes
            for q, b in arrays:
                if q is p:
                    continue
                if _addr(b) < hi and lo < _addr(b) + b.nbytes:
                    raise ValueError(
                        f"{k.name}: argument {p.index} ({p!r}) is written by the kernel and overlaps "
                        f"argument {q.index} ({q!r})"
                    )

    def __call__(self, grid, block, args, shared_mem=0, stream=None, **kwargs):
        k = self.kernel
        if kwargs:
            raise TypeError(f"{k.name}: unexpected keyword arguments {sorted(kwargs)}")
        g = _dims(grid, f"{k.name}: grid", (2**31 - 1, 65535, 65535))
        b = _dims(block, f"{k.name}: block", (1024, 1024, 64))
        threads = b[0] * b[1] * b[2]
        if threads > min(1024, k.max_threads):
            raise ValueError(
                f"{k.name}: block {tuple(b)} has {threads} threads, more than the kernel allows "
                f"({min(1024, k.max_threads)}; __launch_bounds__ {k.bound_expr})"
            )
        if threads % 32:
            raise ValueError(
                f"{k.name}: block {tuple(b)} has {threads} threads; the CPU emulator runs whole warps "
                "only (legal on a GPU, but pyneuro's kernels assume whole warps)"
            )
        if shared_mem:
            raise ValueError(f"{k.name}: shared_mem={shared_mem}: the emulator has no dynamic shared memory")
        self._check_args(args)

        keep, slots = [], []
        copies = []  # (param, original array, padded buffer, start)
        for p, a in zip(k.params, args):
            if p.pointer:
                ptr = 0
                if a is not None:
                    n = a.nbytes
                    buf = np.full(n + 2 * GUARD + 256, 0xFF, np.uint8)
                    start = GUARD + (_addr(a) - (_addr(buf) + GUARD)) % 256  # same alignment mod 256
                    buf[start : start + n] = a.view(np.ndarray).reshape(-1).view(np.uint8)
                    copies.append((p, a, buf, start))
                    ptr = _addr(buf) + start
                cell = ctypes.c_void_p(ptr)
                keep.append(cell)
                slots.append(ctypes.addressof(cell))
            else:
                cell = np.array(a) if p.struct else np.array(a, dtype=_SCALARS[p.base])
                keep.append(cell)
                slots.append(_addr(cell))
        argv = (ctypes.c_void_p * max(1, len(slots)))(*slots)
        err = k.launch(*g, *b, argv)
        LAUNCHES[k.name] += 1
        if err:
            raise LaunchError(
                f"{k.name}: emulated launch failed (CUDA error {err}; grid {tuple(g)}, block {tuple(b)})"
            )
        for p, a, buf, start in copies:
            n = a.nbytes
            if not ((buf[:start] == 0xFF).all() and (buf[start + n :] == 0xFF).all()):
                before = int(np.count_nonzero(buf[:start] != 0xFF))
                after = int(np.count_nonzero(buf[start + n :] != 0xFF))
                raise LaunchError(
                    f"{k.name}: wrote outside argument {p.index} ({p!r}, {n} bytes): "
                    f"{before} byte(s) before it, {after} after (grid {tuple(g)}, block {tuple(b)})"
                )
            if not p.const:
                a.view(np.ndarray).reshape(-1).view(np.uint8)[...] = buf[start : start + n]
            elif not np.array_equal(buf[start : start + n], a.view(np.ndarray).reshape(-1).view(np.uint8)):
                raise LaunchError(f"{k.name}: modified const argument {p.index} ({p!r})")


class RawModule:
    """cupy.RawModule(code=..., options=...): compiled on construction, cached on disk."""

    def __init__(
        self,
        code=None,
        *,
        path=None,
        options=(),
        backend="nvrtc",
        translate_cucomplex=False,
        enable_cooperative_groups=False,
        name_expressions=None,
        jitify=False,
    ):
        if code is None or path is not None:
            raise NotImplementedError("fake cupy: RawModule supports code=... only")
        if backend != "nvrtc" or name_expressions or jitify:
            raise NotImplementedError("fake cupy: only the plain NVRTC path of RawModule is emulated")
        self.code, self.options = code, tuple(options)
        self._lib, self._kernels = build_library(code, self.options)

    def get_function(self, name):
        if name not in self._kernels:
            # real CuPy: cuModuleGetFunction fails with CUDA_ERROR_NOT_FOUND
            raise LaunchError(
                f"CUDA_ERROR_NOT_FOUND: named symbol not found: {name!r} "
                f"(kernels: {', '.join(sorted(self._kernels))})"
            )
        return Function(self._kernels[name], self)

    @property
    def kernels(self):
        """name -> parsed Kernel (for tests of the fake itself)."""
        return dict(self._kernels)

"""How the numba backend compiles its kernels: one decorator, one set of flags.

Every kernel of the numba backend is compiled with `kernel(...)`, which is
`numba.njit(parallel=..., fastmath=SAFE_FASTMATH, cache=True, nogil=True)` with two
guarantees:

* Caching never breaks the import. Numba writes compiled code next to the module
  (`__pycache__`) or, when that folder is read-only (a system-wide site-packages),
  in the user's cache folder (or NUMBA_CACHE_DIR). If it finds no writable place at
  all it refuses `cache=True` at decoration time; we then compile without a cache,
  which costs compile time on every new process but is still correct.
* "Fast math" stays IEEE where it matters. Full `fastmath=True` lets LLVM assume
  there are no NaNs or infinities (`nnan`, `ninf`), which would silently break
  NaN propagation in ReLU, softmax rows holding +-inf and argmax. SAFE_FASTMATH keeps
  only the flags that reorder or fuse arithmetic:

    reassoc   reductions (sum, dot) may be reordered, so LLVM can vectorise them;
    contract  a*b + c may become one fused multiply-add (faster, and more accurate);
    nsz       the sign of a zero result may differ (-0.0 vs 0.0).

  Not `arcp` (x / y -> x * (1/y)): LLVM may or may not apply it depending on where a
  function is inlined, and the single- and multi-threaded versions of a kernel must
  round identically. The kernels compute their reciprocals explicitly instead.

  A reordered reduction is still deterministic: the order is fixed at compile time
  and never depends on the number of threads. But not across the cache: the machine
  code numba loads from its cache can round differently from the code it compiles in
  the process (softmax rows up to 3 ulp apart, numba 0.68, Zen 4; the cause is inside
  numba). So the first process to compile a kernel and the later ones that load it may
  differ in the last bits, and so may a kernel's two twins when one was cached by
  another process (tests/test_numba_backend.py compares them in one state).

error_model="numpy": x / 0 gives inf or NaN as in NumPy and C, instead of raising
ZeroDivisionError (Python's rule), which also spares a check per division.

Vector width: LLVM's tuning for Intel's AVX-512 cores (Skylake-SP and later) prefers
256-bit vectors ("prefer-256-bit": on the first AVX-512 chips 512-bit code lowered the
clock), so every loop numba vectorises uses ymm registers and half of the FMA and load
width is left unused. `wide_vectors()` (below), called in a kernel, lifts that for the
function it is called in; measured here it doubles matmul (85 -> 165 GFLOP/s at 1024^3)
and speeds up the exp loops of the softmax family. Without AVX-512 it changes nothing.

Debugging: with NUMBA_DISABLE_JIT=1 every kernel runs as the plain Python it is written
in (slowly), so pdb can step through it; the intrinsics (wide_vectors, simd.py's vectors)
then have pure-Python stand-ins.

Specialisations are kept few (compile time matters in CI): the Python wrappers pass
only C-contiguous float32 arrays, int64 targets and Python float/int/bool scalars,
so each kernel compiles once per array rank it is used with.
"""

from __future__ import annotations

import threading
import types

import numba
from numba import types as nbtypes
from numba.extending import intrinsic

SAFE_FASTMATH = frozenset({"reassoc", "contract", "nsz"})


def _compile(fn, parallel: bool, fastmath):
    options = dict(parallel=parallel, fastmath=set(fastmath), nogil=True, error_model="numpy")
    try:
        return numba.njit(cache=True, **options)(fn)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(cache=False, **options)(fn)


def _twin(fn, suffix: str):
    """A copy of fn under another name, so numba caches its compiled code separately."""
    twin = types.FunctionType(
        fn.__code__, fn.__globals__, fn.__name__ + suffix, fn.__defaults__, fn.__closure__
    )
    twin.__qualname__ = fn.__qualname__ + suffix
    twin.__module__ = fn.__module__
    twin.__doc__ = fn.__doc__
    return twin


class ParallelKernel:
    """A kernel compiled twice, on first use of each: multi-threaded and single-threaded.

    `prange` splits the loop over numba's thread pool; waking the pool costs ~2 µs even
    on an idle machine (milliseconds on a busy one, where a thread may wait for a core),
    while a single-threaded call costs ~0.3 µs. The caller picks with run(parallel, ...),
    by the size of the work only, never by the thread count, so a result does not depend
    on how many threads there are. Calling the kernel directly runs the parallel version.
    """

    def __init__(self, fn, fastmath):
        self.__name__ = fn.__name__
        self.__doc__ = fn.__doc__
        self.parallel = _compile(fn, True, fastmath)
        self.serial = _compile(_twin(fn, "__serial"), False, fastmath)

    def __call__(self, *args):
        return self.run(True, *args)

    def run(self, parallel: bool, *args):
        if not parallel:
            return self.serial(*args)
        if _layer_is_threadsafe:
            return self.parallel(*args)
        return _serialised_launch(self.parallel, args)

    def __repr__(self) -> str:
        return f"<ParallelKernel {self.__name__}>"


# Numba's "workqueue" threading layer (chosen when neither TBB nor OpenMP is usable, or by
# NUMBA_THREADING_LAYER=workqueue) is not thread-safe: two Python threads launching parallel
# kernels at once make it abort the whole process ("Concurrent access has been detected").
# Parallel launches therefore go one at a time under a lock until the first launch has shown
# which layer numba picked; after that only the workqueue layer keeps the lock.
_launch_lock = threading.Lock()
_layer_is_threadsafe = False


def _serialised_launch(fn, args):
    global _layer_is_threadsafe
    with _launch_lock:
        result = fn(*args)
        try:
            _layer_is_threadsafe = numba.threading_layer() != "workqueue"
        except ValueError:  # no parallel region was launched yet: the layer is still unknown
            pass
    return result


def kernel(parallel: bool = True, fastmath=SAFE_FASTMATH):
    """Decorator: compile a function as a cached, GIL-free numba kernel.

    parallel=True gives a ParallelKernel (called from Python); parallel=False a plain
    numba dispatcher, which other kernels can call.
    """

    def decorate(fn):
        return ParallelKernel(fn, fastmath) if parallel else _compile(fn, False, fastmath)

    return decorate


def helper(fastmath=SAFE_FASTMATH):
    """Decorator for small scalar helpers called from kernels.

    They are compiled with their own fastmath flags and then inlined by LLVM into the
    loops that call them (so those loops still vectorise), keeping their flags: a
    helper that must not be reassociated (the exp's range reduction) stays exact.
    """
    return numba.njit(fastmath=set(fastmath), cache=False, error_model="numpy")


# LLVM function attribute: vectorise with up to 512-bit registers (overrides the CPU's
# "prefer-256-bit" tuning, for this function only).
_WIDE = '"prefer-vector-width"="512"'


@intrinsic
def wide_vectors(typingctx):
    """`wide_vectors()` in a kernel: let LLVM vectorise the function it is called in with
    512-bit (zmm) registers where the CPU has them. Generates no instruction.

    It marks the LLVM function being compiled, which is the whole point of where to call it:

    * in a plain kernel or helper: anywhere in its body (conventionally the first line);
    * in a `prange` loop: inside the loop body. Numba compiles that body as a separate
      function (the one the threads run), and the serial twin must get the same width,
      or the two would round reductions differently;
    * in every helper that holds a loop: a helper is optimised (vectorised) on its own
      before it is inlined into its callers, so it does not inherit their width.

    (llvmlite's attribute set only accepts a list of keyword attributes; the key="value"
    string form is written into the IR text as is, which LLVM's parser accepts.)
    """

    def codegen(context, builder, sig, args):
        set.add(builder.function.attributes, _WIDE)
        return context.get_dummy_value()

    return nbtypes.none(), codegen


if numba.config.DISABLE_JIT:  # NUMBA_DISABLE_JIT=1: the kernels run as plain Python (slowly),
    # so a debugger can step through them; an intrinsic cannot run there, so it is replaced.

    def wide_vectors():
        """(Pure Python: nothing to mark.)"""

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
    arcp      x / y may become x * (1/y);
    nsz       the sign of a zero result may differ (-0.0 vs 0.0).

  A reordered reduction is still deterministic: the order is fixed at compile time
  and never depends on the number of threads.

Specialisations are kept few (compile time matters in CI): the Python wrappers pass
only C-contiguous float32 arrays, int64 targets and Python float/int/bool scalars,
so each kernel compiles once per array rank it is used with.
"""
from __future__ import annotations

import numba

SAFE_FASTMATH = frozenset({"reassoc", "contract", "arcp", "nsz"})


def kernel(parallel: bool = True, fastmath=SAFE_FASTMATH):
    """Decorator: compile a function as a cached, GIL-free numba kernel."""

    def decorate(fn):
        options = dict(parallel=parallel, fastmath=set(fastmath), nogil=True)
        try:
            return numba.njit(cache=True, **options)(fn)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return numba.njit(cache=False, **options)(fn)

    return decorate


def helper(fastmath=SAFE_FASTMATH):
    """Decorator for small scalar helpers called from kernels.

    They are compiled with their own fastmath flags and then inlined by LLVM into the
    loops that call them (so those loops still vectorise), keeping their flags: a
    helper that must not be reassociated (the exp's range reduction) stays exact.
    """
    return numba.njit(fastmath=set(fastmath), cache=False)

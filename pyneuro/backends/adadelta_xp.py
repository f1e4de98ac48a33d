"""torch.optim.Adadelta's update written once for any array module `xp` (NumPy or CuPy): the
NumPy backend's adadelta_step_multi (the reference the cpu backend's fused C++ kernel is tested
against) and the update optim/adadelta.py runs on backends without that kernel.

The formulas are in optim/adadelta.py's docstring. Each parameter costs ~16 in-place array
passes (out=), run block by block over flat views so that the arrays stay in the L2 cache.
"""

from __future__ import annotations

# Elements per block: the 4 arrays and 3 scratch blocks (7 x 128 KB) stay in the L2 cache
# through the ~16 passes of the update, which then read main memory once instead of 16 times.
BLOCK = 1 << 15


def adadelta_blocked(xp, arrays, hyper):
    """Run _update block by block over flat views on the host (one call for small, GPU or
    non-contiguous arrays, where blocking would not help or views would not write through)."""
    w = arrays[0]
    n = w.size
    host = getattr(xp, "__name__", "") == "numpy"
    if not host or n <= BLOCK or not all(a.flags.c_contiguous for a in arrays):
        _update(xp, *arrays, [xp.empty_like(w) for _ in range(3)], *hyper)
        return
    flat = [a.reshape(-1) for a in arrays]
    scratch = [xp.empty(BLOCK, dtype=w.dtype) for _ in range(3)]
    for i in range(0, n, BLOCK):
        j = min(n, i + BLOCK)
        _update(xp, *(a[i:j] for a in flat), [s[: j - i] for s in scratch], *hyper)


def _update(xp, w, grad, v, u, scratch, lr, rho, eps, weight_decay, maximize):
    """One Adadelta update, in place on w, v (square_avg) and u (acc_delta), with out= passes."""
    g, t, d = scratch
    if maximize:
        xp.negative(grad, out=g)
    elif weight_decay:
        g[...] = grad
    else:
        g = grad
    if weight_decay:  # g += weight_decay * w
        xp.multiply(w, weight_decay, out=t)
        g += t
    v *= rho  # v = rho v + (1 - rho) g^2
    xp.multiply(g, g, out=t)
    t *= 1 - rho
    v += t
    xp.add(u, eps, out=d)  # dx = sqrt(u + eps) / sqrt(v + eps) * g
    xp.sqrt(d, out=d)
    xp.add(v, eps, out=t)
    xp.sqrt(t, out=t)
    d /= t
    d *= g
    u *= rho  # u = rho u + (1 - rho) dx^2
    xp.multiply(d, d, out=t)
    t *= 1 - rho
    u += t
    if lr != 1:  # p -= lr dx
        d *= lr
    w -= d

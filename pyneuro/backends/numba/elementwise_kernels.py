"""Numba kernels of the elementwise part of the table: ReLU, bias, SGD/Adam, argmax.

What they compute and cost (n elements, float32):

    relu_forward     y = x < 0 ? 0 : x            1 compare, 8 bytes per element
    relu_backward    gx = x <= 0 ? 0 : g          1 compare, 12 bytes per element
    bias_add         y = x + b[None, :]           1 FLOP, 8 bytes per element
    bias_grad        gb[j] = sum_i g[i, j]        1 FLOP, 4 bytes per element
    sgd_step         torch.optim.SGD, in place     ~5 FLOPs, 12-20 bytes per element
    adam_step        torch.optim.Adam, in place    ~12 FLOPs + sqrt, 28 bytes per element
    argmax           first index of each row's maximum (a NaN counts as the maximum)

All of them are memory-bound: the work per byte is tiny, so the only optimisations are
to touch each byte once (the optimizer updates fuse weight decay, momentum and the
parameter update into one pass instead of NumPy's 4-6 temporary arrays), to let LLVM
vectorise the loops (branch-free selects, SAFE_FASTMATH), and to split the elements
over threads with prange. `x < 0 ? 0 : x` (not max) keeps a NaN input NaN, as torch.relu.

The optimizer updates run each block of 4096 elements with denormals off (fpenv.py), as the
C++ kernels' threads run: a momentum buffer decays through the denormal range, where every
operation takes a ~100-cycle microcode assist (numba's SGD step in the MLP's epoch: 110-150 us
a step with 3.5% of its first-layer buffer denormal, 34 us without). SGD writes its fused
multiply-adds explicitly (simd.fma32), where the C++ loop has them: the same bits.

Determinism: bias_grad is a reduction; it is split over column blocks, never over rows,
so each sum is accumulated in the same order whatever the thread count.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .fpenv import denormals_off, restore_fp
from .jit import kernel, wide_vectors
from .simd import fma32

COLUMN_BLOCK = 256  # bias_grad: columns per parallel task (a 1 KiB accumulator row)
UPDATE_BLOCK = 4096  # optimizer updates: elements per parallel task (16 KiB of each array)
# The updates fuse multiply-adds only where they say so (fma32): with `contract` LLVM fused
# a*b + c*d's products differently in a kernel's serial and parallel compilations, and
# results must not depend on the thread count.
EXACT_UPDATE = frozenset({"nsz"})


@kernel(parallel=False, fastmath=set())
def relu_of(v):
    """The ReLU rule of this table, for one value: `v < 0 ? 0 : v` (relu_forward's, and the
    matmul epilogue's in matmul_kernels.py)."""
    zero = np.float32(0.0)
    return zero if v < zero else v


@kernel()
def relu_forward(x, y):
    for i in prange(x.shape[0]):
        wide_vectors()
        y[i] = relu_of(x[i])


@kernel(parallel=False, fastmath=set())
def relu_grad_of(g, x):
    """The ReLU's gradient rule, for one value: `x <= 0 ? 0 : g` (relu_backward's, and the
    masked matmul's in matmul_kernels.py)."""
    zero = np.float32(0.0)
    return zero if x <= zero else g


@kernel()
def relu_backward(g, x, gx):
    for i in prange(x.shape[0]):
        wide_vectors()
        gx[i] = relu_grad_of(g[i], x[i])


@kernel()
def bias_add(x, b, y):
    for i in prange(x.shape[0]):
        wide_vectors()
        xi, yi = x[i], y[i]
        for j in range(x.shape[1]):
            yi[j] = xi[j] + b[j]


@kernel()
def bias_grad(g, out):
    rows, cols = g.shape
    for blk in prange((cols + COLUMN_BLOCK - 1) // COLUMN_BLOCK):
        wide_vectors()
        j0 = blk * COLUMN_BLOCK
        acc = out[j0 : j0 + COLUMN_BLOCK]  # slices, so the loops index from 0 and vectorise
        acc[:] = 0.0
        rows4 = rows - rows % 4
        for i in range(0, rows4, 4):  # 4 rows per sweep: acc loaded/stored once per 4 adds,
            g0, g1 = g[i, j0 : j0 + COLUMN_BLOCK], g[i + 1, j0 : j0 + COLUMN_BLOCK]
            g2, g3 = g[i + 2, j0 : j0 + COLUMN_BLOCK], g[i + 3, j0 : j0 + COLUMN_BLOCK]
            for j in range(acc.shape[0]):  # still added in row order: a fixed summation order
                t = acc[j]
                t += g0[j]
                t += g1[j]
                t += g2[j]
                t += g3[j]
                acc[j] = t
        for i in range(rows4, rows):
            gi = g[i, j0 : j0 + COLUMN_BLOCK]
            for j in range(acc.shape[0]):
                acc[j] += gi[j]


@kernel(fastmath=EXACT_UPDATE)
def sgd_step(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, first_step):
    """One fused pass of torch.optim.SGD (buf is ignored when momentum == 0), with the C++
    loop's fused multiply-adds (csrc/cpu/simd_elementwise.h, as GCC contracts it)."""
    lr32, mom = np.float32(-lr), np.float32(momentum)
    keep, wd = np.float32(1.0 - dampening), np.float32(weight_decay)
    use_momentum, decay = momentum != 0.0, weight_decay != 0.0
    n = param.shape[0]
    for blk in prange((n + UPDATE_BLOCK - 1) // UPDATE_BLOCK):
        wide_vectors()
        saved = denormals_off()  # the decaying buffer's denormals (fpenv.py)
        lo, hi = blk * UPDATE_BLOCK, min(n, (blk + 1) * UPDATE_BLOCK)
        p, gr, bf = param[lo:hi], grad[lo:hi], buf[lo:hi]  # slices: indices from 0 vectorise
        for i in range(p.shape[0]):
            g = fma32(wd, p[i], gr[i]) if decay else gr[i]
            if use_momentum:
                b = g if first_step else fma32(mom, bf[i], keep * g)
                bf[i] = b
                g = fma32(mom, b, g) if nesterov else b
            p[i] = fma32(lr32, g, p[i])
        restore_fp(saved)


@kernel(fastmath=EXACT_UPDATE)
def adam_step(param, grad, m, v, step_size, inv_sqrt_bc2, beta1, beta2, eps, weight_decay):
    """One fused pass of torch.optim.Adam; bias corrections are precomputed by the caller."""
    b1, b2 = np.float32(beta1), np.float32(beta2)
    one_b1, one_b2 = np.float32(1.0 - beta1), np.float32(1.0 - beta2)
    ss, isb, e32, wd = (
        np.float32(step_size),
        np.float32(inv_sqrt_bc2),
        np.float32(eps),
        np.float32(weight_decay),
    )
    decay = weight_decay != 0.0
    n = param.shape[0]
    for blk in prange((n + UPDATE_BLOCK - 1) // UPDATE_BLOCK):
        wide_vectors()
        saved = denormals_off()  # the decaying moments' denormals (fpenv.py)
        lo, hi = blk * UPDATE_BLOCK, min(n, (blk + 1) * UPDATE_BLOCK)
        p, gr, mb, vb = param[lo:hi], grad[lo:hi], m[lo:hi], v[lo:hi]
        for i in range(p.shape[0]):
            g = gr[i] + wd * p[i] if decay else gr[i]
            mi = b1 * mb[i] + one_b1 * g
            vi = b2 * vb[i] + one_b2 * g * g
            mb[i] = mi
            vb[i] = vi
            p[i] -= ss * mi / (np.sqrt(vi) * isb + e32)
        restore_fp(saved)


@kernel()
def argmax(x, out):
    for i in prange(x.shape[0]):
        wide_vectors()
        xi = x[i]
        best = 0
        for j in range(x.shape[1]):
            v = xi[j]
            if v != v:  # NaN: the maximum, and the first one wins
                best = j
                break
            if v > xi[best]:
                best = j
        out[i] = best


@kernel()
def take_rows(a, index, out):
    """out[i] = a[index[i]], rows of bytes (a uint8 view: one specialisation for every dtype);
    a negative entry counts from the end. Returns -1, or the position of the first entry
    outside [-rows, rows) (then nothing is copied: the caller raises IndexError).

    The index is checked in one serial pass first (a batch is ~100 entries). The rows are
    split over threads although the bytes are few: each row starts with a miss to memory,
    and two cores keep twice as many misses in flight (csrc/cpu/gather.cpp). The copy is
    an explicit byte loop, which LLVM turns into wide vector moves: numba's slice
    assignment `out[i, :] = a[j, :]` ran ~10x slower in the single-threaded version."""
    rows, row_bytes = a.shape
    for i in range(index.shape[0]):
        if index[i] < -rows or index[i] >= rows:
            return i
    for i in prange(index.shape[0]):
        wide_vectors()
        j = index[i]
        src = a[j + rows if j < 0 else j]
        dst = out[i]
        for b in range(row_bytes):
            dst[b] = src[b]
    return -1

"""Numba matmul kernels: C[M, N] = op(A) @ op(B), float32, op(X) = X or X.T.

Cost: 2*M*N*K FLOPs on (M*K + K*N + M*N) * 4 bytes. At 1024^3 that is 2.1 GFLOP on
12 MiB: arithmetic intensity is high, so a good kernel is compute-bound and the whole
game is feeding the FMA units from registers and L1 instead of from memory.

The ladder (VARIANTS["matmul"]):

* naive   - the i-k-j triple loop: for each row i of C and each k, C[i, :] += A[i, k] * B[k, :].
            The inner loop runs along a row of B and of C, so it is contiguous and LLVM
            vectorises it; but every FMA loads and stores C from memory, and B (4 MiB at
            1024^2) is streamed from DRAM/L3 once per row of C. A transposed B is read
            with a stride, one cache line per element: very slow, kept as the baseline.
* blocked - cache blocking, packing and register blocking (the default).
            Work split: C is cut into column panels (NC = 512 wide, narrower when that
            gives the threads more tasks or C is narrower) and groups of MC-row tiles; one
            parallel task owns one panel x row group (linear.py's _matmul_plan chooses).
            512 rather than 256: each packed B block serves twice the columns (model 167
            Xeon, paired rounds: 1024^3 0.94x the time, 2048x1024x2048 0.94x, 512^3 0.92x,
            128x256 @ 256x784 0.90x, (128x256)^T @ 128x784 0.96x; narrower C the same).
            Cache blocking: K is walked in KC-long slices. For each slice the task copies
            ("packs") the block of op(B) it needs (KC x NC floats, 512 KiB: stays in L2)
            once and reuses it for all its row tiles; for each tile it packs the
            MC x KC block of op(A) (64 KiB). The transpose flags are absorbed in the
            packing (a transposed B: read rows of the source, write columns of the
            buffer; a transposed A: copied as it is and read through its transpose), so
            the inner loops are the same for all four cases and read only contiguous
            memory, and no transposed copy of a whole operand is ever made.
            Register blocking, two forms (_tile picks by the CPU):
            - _register_tile (AVX-512: 32 registers of 16 floats), the micro-kernel of
              the C++ backend (csrc/cpu/matmul_packed.cpp) written with explicit vectors
              (simd.py): an 8 x 32 block of C lives in 16 registers for the whole depth
              kc; each k costs 2 loads of B, 8 broadcasts of A and 16 FMAs. ~190 GFLOP/s
              per core (model 167 Xeon, one 64 x 512 x 256 tile), 1024^3 0.79x the
              time of the sweeps below, about the C++ kernel's time.
            - _tile_update (every other CPU): 4 rows of C x 4 values of k per sweep
              along a row segment, plain loops that LLVM vectorises at any width. Every
              vector of B loaded feeds 4 FMAs and every vector of C is loaded and stored
              once per 4 FMAs instead of once per FMA; but C stays in L1, not in
              registers (LLVM keeps no array of accumulators in registers across a loop),
              so loads and stores, not FMAs, are the limit: ~140 GFLOP/s per core on
              the same tile.
            Both give the same bits: each element of C is one k-ordered chain of FMAs.
            Padding: every buffer's rows are PAD floats longer than needed, and C is
            accumulated in such a padded buffer (c_stage) and copied out once. With
            power-of-two row lengths (N = 1024) rows fall into the same few cache sets,
            and stores and loads 4 KiB apart look dependent to the CPU ("4K aliasing"):
            updating C in place ran ~4x slower at 1024^3.
            Vector width: every kernel here calls wide_vectors() (jit.py). Without it
            LLVM's tuning for AVX-512 Xeons vectorises with 256-bit ymm registers only,
            and the sweeps ran at ~85 GFLOP/s at 1024^3 on 2 cores instead of ~165-200.
            Numba detail: inner loops index slices from 0 (x[j] of y = x[j0:j1]), never
            x[j0 + j]: an offset index needs a negative-index check that stops LLVM from
            vectorising the loop.

Determinism: each element of C is produced by exactly one task, accumulating over k in
the same order whatever the number of threads; results are bit-identical for 1 or N
threads. With K == 0 the result is all zeros; M == 0 or N == 0 gives an empty C.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .elementwise_kernels import relu_grad_of, relu_of
from .jit import kernel, wide_vectors
from .simd import HAS_16_LANES, vfma, vload, vsplat, vstore, vzero

EXACT_FMA = {"contract"}  # FMAs yes, reordering no: every element of C sums k in order

MC = 64  # rows of a C tile: the packed A block is MC * KC * 4 = 64 KiB
NC = 512  # columns of a panel (at most): one C row segment is 2 KiB, four of them in L1
PAD = 32  # extra floats per row of every buffer: no power-of-two rows; _register_tile's edge
KC = 256  # depth of one K slice: the packed B block is KC * NC * 4 = 512 KiB, in L2


@kernel(fastmath=EXACT_FMA)
def matmul_naive(a, b, trans_a, trans_b, c):
    m, n = c.shape
    k_dim = a.shape[0] if trans_a else a.shape[1]
    for i in prange(m):
        wide_vectors()  # 512-bit vectors where the CPU has them (see jit.py)
        ci = c[i]
        for j in range(n):
            ci[j] = 0.0
        for k in range(k_dim):
            aik = a[k, i] if trans_a else a[i, k]
            if trans_b:
                for j in range(n):
                    ci[j] += aik * b[j, k]
            else:
                bk = b[k]
                for j in range(n):
                    ci[j] += aik * bk[j]


@kernel(fastmath=EXACT_FMA)
def matmul_blocked(a, b, trans_a, trans_b, c, panel_width, row_groups, bias, has_bias, relu):
    """Blocked matmul; the caller picks panel_width (<= NC) and row_groups for parallelism.
    Then, as matmul_dot does, C += bias[None, :] if has_bias and C = max(C, 0) if relu, on
    each task's block of C while it is in cache (_epilogue: the bits of bias_add, relu_forward)."""
    m, n = c.shape
    panels = (n + panel_width - 1) // panel_width
    i_tiles = (m + MC - 1) // MC
    tiles_per_group = (i_tiles + row_groups - 1) // row_groups
    for task in prange(panels * row_groups):
        t0 = (task // panels) * tiles_per_group
        _blocked_task(
            a,
            b,
            trans_a,
            trans_b,
            c,
            (task % panels) * panel_width,
            panel_width,
            t0,
            min(t0 + tiles_per_group, i_tiles),
            bias,
            has_bias,
            relu,
        )


@kernel(parallel=False, fastmath=EXACT_FMA)
def _blocked_task(a, b, trans_a, trans_b, c, j0, panel_width, t0, t1, bias, has_bias, relu):
    """One task of matmul_blocked: C[rows of i-tiles t0..t1, columns j0..j0+panel_width].

    (A separate function, compiled once for both the multi- and the single-threaded
    version of matmul_blocked: their bodies are then just the task loop.)
    """
    wide_vectors()
    m, n = c.shape
    k_dim = a.shape[0] if trans_a else a.shape[1]
    nc = min(panel_width, n - j0)
    if t0 >= t1:
        return
    r0, r1 = t0 * MC, min(t1 * MC, m)
    if k_dim == 0:
        c[r0:r1, j0 : j0 + nc] = 0.0
        if has_bias or relu:
            _epilogue(c[r0:r1], bias, has_bias, relu, j0, j0 + nc)
        return
    # K in even slices of at most KC (784 = 4 x 196, not 3 x 256 + 16, where the 16-deep
    # slice loads and stores every block of C for a sixteenth of the FMAs; measured on the
    # MLP's 784-deep x @ W1.T: within noise, 211 -> 210 us).
    kc_max = -(-k_dim // -(-k_dim // KC))
    # Every buffer's rows are padded by PAD floats, so that their row length is never a
    # power of two: rows a power of two apart in bytes fall into the same few cache
    # sets and evict each other (a transposing copy then misses on every access), and
    # rows 4 KiB apart make the CPU's store-to-load check see false conflicts (the
    # micro-kernel runs ~4x slower with N = 1024 if it updates C in place).
    # Every buffer also starts on a cache line (_aligned_empty): see ALIGN.
    b_pack = _aligned_empty(kc_max, panel_width + PAD)
    # A block: MC rows of kc (or, for a transposed A, kc rows of MC: see below).
    a_pack = _aligned_empty(kc_max, MC + PAD) if trans_a else _aligned_empty(MC, kc_max + PAD)
    # The task's block of C is accumulated in c_stage and copied to C once, at the end.
    c_stage = _aligned_empty(r1 - r0, panel_width + PAD)
    # (c_stage is not zeroed: the first k slice writes it without reading it)
    if HAS_16_LANES:  # _register_tile runs over whole 32-column blocks: zero B's padding
        b_pack[:, nc : (nc + NR - 1) // NR * NR] = 0.0
    for k0 in range(0, k_dim, kc_max):
        kc = min(kc_max, k_dim - k0)
        # Pack op(B)[k0:k0+kc, j0:j0+nc] once; it is reused by every i-tile below.
        # (Explicit loops over slices taken from 0: an offset index like b[k0 + kk] needs a
        # negative-index check that blocks vectorisation, and numba's slice assignment
        # `dst[:n] = src` compiles to a generic element loop, 3-4x slower than _copy.)
        if trans_b:  # a transposed B is gathered here, once (rows of B -> columns of b_pack)
            _pack_transposed(b_pack, b[j0 : j0 + nc, k0 : k0 + kc])
        else:
            for kk in range(kc):
                _copy(b_pack[kk], b[k0 + kk, j0 : j0 + nc])
        for it in range(t0, t1):
            i0 = it * MC
            mc = min(MC, m - i0)
            if trans_a:
                # op(A) block = A[k0:k0+kc, i0:i0+mc].T: the rows of A are copied as they are
                # and the micro-kernel reads the copy through its transpose. It loads A only as
                # scalars, so their stride costs nothing, while a transposing copy (writing
                # columns) made the 256x128x784 A^T @ B of an MLP's grad_W ~7% slower.
                for kk in range(kc):
                    _copy(a_pack[kk], a[k0 + kk, i0 : i0 + mc])
                _tile(a_pack.T, b_pack, c_stage, i0 - r0, mc, nc, kc, k0 == 0)
            else:
                for ii in range(mc):
                    _copy(a_pack[ii], a[i0 + ii, k0 : k0 + kc])
                _tile(a_pack, b_pack, c_stage, i0 - r0, mc, nc, kc, k0 == 0)
    for ii in range(r1 - r0):
        _copy(c[r0 + ii, j0 : j0 + nc], c_stage[ii, :nc])
    if has_bias or relu:  # nn.Linear's bias and ReLU, on the task's block of C while in cache
        _epilogue(c[r0:r1], bias, has_bias, relu, j0, j0 + nc)


# Cache-line alignment of the packed buffers and of c_stage. numba's np.empty aligns its
# memory to less than a cache line, so where a buffer starts within a 64-byte line depends
# on the heap's state: it differed from process to process, and with it the speed. Every
# row here is a multiple of 64 bytes long (PAD), so a buffer that starts on a line keeps
# every 512-bit load and store of _tile_update inside one line; one that starts 16 or 32
# bytes into a line splits every one of them over two. Measured on the Intel Xeon (model
# 167), one 1024 x 256 task of the 1024^3 product: 4.1-4.7 ms with c_stage on a line,
# 5.2-6.2 ms 16 or 32 bytes off; the whole 1024^3 product ran at 9-10 ms in some processes
# and 12-14 ms in others, depending on where np.empty's memory fell.
ALIGN = 64  # bytes


@kernel(parallel=False, fastmath=EXACT_FMA)
def _aligned_empty(rows, cols):
    """np.empty((rows, cols), float32) starting on a cache line (a C-contiguous view)."""
    per_line = ALIGN // 4
    buf = np.empty(rows * cols + per_line, np.float32)
    skip = ((-buf.ctypes.data) % ALIGN) // 4
    return buf[skip : skip + rows * cols].reshape((rows, cols))


@kernel(parallel=False, fastmath=EXACT_FMA)
def _copy(dst, src):
    """dst[:len(src)] = src, a vectorised loop (a row of a packed buffer or of C)."""
    wide_vectors()
    for j in range(src.shape[0]):
        dst[j] = src[j]


@kernel(parallel=False, fastmath=EXACT_FMA)
def _pack_transposed(dst, src):
    """dst[:k, :n] = src.T for src of shape (n, k), 16 rows of src at a time: those 16 rows
    stay in L1 while each of their columns becomes one 64-byte segment of a row of dst.
    (Column by column, dst's rows -- up to 2 KiB apart, KC of them -- no longer fit in L1
    and every store missed it: 128 x 256 in 13.4 us against 7.3 now, model 167.)"""
    n, k_dim = src.shape
    for j0 in range(0, n, 16):
        rows = src[j0 : j0 + 16]
        for k in range(k_dim):
            d = dst[k, j0 : j0 + 16]
            for q in range(rows.shape[0]):
                d[q] = rows[q, k]


MR = 8  # rows of _register_tile's block of C
NR = 32  # its columns: two vectors of 16


@kernel(parallel=False, fastmath=EXACT_FMA)
def _tile(a_pack, b_pack, c_stage, row0, mc, nc, kc, fresh):
    """c_stage[row0:row0+mc, :nc] (+)= a_pack[:mc, :kc] @ b_pack[:kc, :nc], `=` if fresh:
    the register tile on CPUs with 32 vector registers of 16 floats, else the sweeps."""
    if HAS_16_LANES:
        _register_tile(a_pack, b_pack, c_stage, row0, mc, nc, kc, fresh)
    else:
        _tile_update(a_pack, b_pack, c_stage, row0, mc, nc, kc, fresh)


@kernel(parallel=False, fastmath=EXACT_FMA)
def _register_tile(a_pack, b_pack, c_stage, row0, mc, nc, kc, fresh):
    """The micro-kernel (AVX-512): blocks of MR x NR = 8 x 32 of C held in 16 vector
    registers (simd.py) for the whole depth kc. Per value of k: 2 vector loads of B, 8
    broadcasts of A and 16 FMAs; C is loaded (unless fresh: then the chains start from 0)
    and stored once per block instead of once per 4 FMAs as in _tile_update. The same
    shape as the C++ kernel's; ~190 GFLOP/s per core against ~140 for the sweeps (one 64 x
    512 x 256 tile, model 167 Xeon). The same bits: each element of C is one k-ordered
    chain of FMAs. (12 rows x 32, 24 registers, ran ~9% faster on one tile alone; not
    kept: 12 does not divide the 64-row tiles, and the unused rows of each tile's last
    block would cost about as much.)

    Edges: columns run in whole blocks of 32 past nc, into the rows' padding (PAD; the
    caller zeroes B's there and ignores C's). In the last block of rows (mc % 8) the
    missing rows are copies of its last row (A and C): they compute that row again and
    store the same bits to it.
    Loop order: a block column of B (kc x 32 floats, 32 KiB at kc = 256) stays in L1 while
    every 8-row block of A streams past it from L2.
    """
    wide_vectors()
    for j in range(0, nc, NR):
        jb = j + 16
        for ii in range(0, mc, MR):
            last = min(MR, mc - ii) - 1  # rows ii+last+1.. do not exist: reuse row ii+last
            i0, i1, i2, i3 = ii, ii + min(1, last), ii + min(2, last), ii + min(3, last)
            i4, i5, i6, i7 = ii + min(4, last), ii + min(5, last), ii + min(6, last), ii + last
            if fresh:
                c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = vzero()
                c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = vzero()
            else:
                c00, c01 = vload(c_stage, row0 + i0, j), vload(c_stage, row0 + i0, jb)
                c10, c11 = vload(c_stage, row0 + i1, j), vload(c_stage, row0 + i1, jb)
                c20, c21 = vload(c_stage, row0 + i2, j), vload(c_stage, row0 + i2, jb)
                c30, c31 = vload(c_stage, row0 + i3, j), vload(c_stage, row0 + i3, jb)
                c40, c41 = vload(c_stage, row0 + i4, j), vload(c_stage, row0 + i4, jb)
                c50, c51 = vload(c_stage, row0 + i5, j), vload(c_stage, row0 + i5, jb)
                c60, c61 = vload(c_stage, row0 + i6, j), vload(c_stage, row0 + i6, jb)
                c70, c71 = vload(c_stage, row0 + i7, j), vload(c_stage, row0 + i7, jb)
            for k in range(kc):
                b0, b1 = vload(b_pack, k, j), vload(b_pack, k, jb)
                a = vsplat(a_pack[i0, k])
                c00, c01 = vfma(a, b0, c00), vfma(a, b1, c01)
                a = vsplat(a_pack[i1, k])
                c10, c11 = vfma(a, b0, c10), vfma(a, b1, c11)
                a = vsplat(a_pack[i2, k])
                c20, c21 = vfma(a, b0, c20), vfma(a, b1, c21)
                a = vsplat(a_pack[i3, k])
                c30, c31 = vfma(a, b0, c30), vfma(a, b1, c31)
                a = vsplat(a_pack[i4, k])
                c40, c41 = vfma(a, b0, c40), vfma(a, b1, c41)
                a = vsplat(a_pack[i5, k])
                c50, c51 = vfma(a, b0, c50), vfma(a, b1, c51)
                a = vsplat(a_pack[i6, k])
                c60, c61 = vfma(a, b0, c60), vfma(a, b1, c61)
                a = vsplat(a_pack[i7, k])
                c70, c71 = vfma(a, b0, c70), vfma(a, b1, c71)
            vstore(c_stage, row0 + i0, j, c00)
            vstore(c_stage, row0 + i0, jb, c01)
            vstore(c_stage, row0 + i1, j, c10)
            vstore(c_stage, row0 + i1, jb, c11)
            vstore(c_stage, row0 + i2, j, c20)
            vstore(c_stage, row0 + i2, jb, c21)
            vstore(c_stage, row0 + i3, j, c30)
            vstore(c_stage, row0 + i3, jb, c31)
            vstore(c_stage, row0 + i4, j, c40)
            vstore(c_stage, row0 + i4, jb, c41)
            vstore(c_stage, row0 + i5, j, c50)
            vstore(c_stage, row0 + i5, jb, c51)
            vstore(c_stage, row0 + i6, j, c60)
            vstore(c_stage, row0 + i6, jb, c61)
            vstore(c_stage, row0 + i7, j, c70)
            vstore(c_stage, row0 + i7, jb, c71)


@kernel(parallel=False, fastmath=EXACT_FMA)
def _tile_update(a_pack, b_pack, c_stage, row0, mc, nc, kc, fresh):
    """c_stage[row0:row0+mc, :nc] += a_pack[:mc, :kc] @ b_pack[:kc, :nc] (contiguous buffers);
    with fresh `=` instead: C is not read, the first sweep's FMA chains start from 0, the bits
    of zeroing C first without that pass over it (the output layer's 128x10 @ 10x256: 0.86-0.97x
    the time; the MLP's 256x128 @ 128x784 grad_W 0.92-0.95x, c_stage not zeroed). With fewer
    than 4 values of k there is no such sweep: C is zeroed, then added to.

    Register blocking: 4 rows of C times 4 values of k per sweep over the row segment.
    Each loaded vector of B feeds 4 FMAs (one per row) and each C vector is loaded and
    stored once per 4 FMAs, so the loop runs near the FMA units' peak instead of at the
    speed of L1 loads and stores. What is left over takes the widest sweep that fits: 2
    values of k together (the output layer's K = 10: 2 sweeps of 4, one of 2), and the last
    mc % 4 rows still 4 values of k per sweep (an MLP's 10x256 grad_W, 128 deep: 0.85x the
    time of a one-k-per-sweep leftover, paired; 130x256 @ 256x10 0.94x). The accumulation
    order for one element of C is the same in every loop (k ascending, one FMA each): the
    same bits whichever sweep computes it.
    """
    wide_vectors()
    zero = np.float32(0.0)
    if fresh and kc < 4:
        for ii in range(mc):
            ci = c_stage[row0 + ii]
            for j in range(nc):
                ci[j] = zero
        fresh = False
    k4 = kc - kc % 4
    m4 = mc - mc % 4
    for ii in range(0, m4, 4):
        r = row0 + ii
        c0, c1, c2, c3 = c_stage[r], c_stage[r + 1], c_stage[r + 2], c_stage[r + 3]
        x0, x1, x2, x3 = a_pack[ii], a_pack[ii + 1], a_pack[ii + 2], a_pack[ii + 3]
        for kk in range(0, k4, 4):
            b0, b1, b2, b3 = b_pack[kk], b_pack[kk + 1], b_pack[kk + 2], b_pack[kk + 3]
            a00, a01, a02, a03 = x0[kk], x0[kk + 1], x0[kk + 2], x0[kk + 3]
            a10, a11, a12, a13 = x1[kk], x1[kk + 1], x1[kk + 2], x1[kk + 3]
            a20, a21, a22, a23 = x2[kk], x2[kk + 1], x2[kk + 2], x2[kk + 3]
            a30, a31, a32, a33 = x3[kk], x3[kk + 1], x3[kk + 2], x3[kk + 3]
            first = fresh and kk == 0  # C not read: its chains start from 0
            for j in range(nc):
                q0, q1, q2, q3 = b0[j], b1[j], b2[j], b3[j]
                t = zero if first else c0[j]
                t += a00 * q0
                t += a01 * q1
                t += a02 * q2
                t += a03 * q3
                c0[j] = t
                t = zero if first else c1[j]
                t += a10 * q0
                t += a11 * q1
                t += a12 * q2
                t += a13 * q3
                c1[j] = t
                t = zero if first else c2[j]
                t += a20 * q0
                t += a21 * q1
                t += a22 * q2
                t += a23 * q3
                c2[j] = t
                t = zero if first else c3[j]
                t += a30 * q0
                t += a31 * q1
                t += a32 * q2
                t += a33 * q3
                c3[j] = t
        k2 = k4 + (kc - k4) // 2 * 2
        for kk in range(k4, k2, 2):  # 2 or 3 values of k left: 2 of them in one sweep
            b0, b1 = b_pack[kk], b_pack[kk + 1]
            a00, a01, a10, a11 = x0[kk], x0[kk + 1], x1[kk], x1[kk + 1]
            a20, a21, a30, a31 = x2[kk], x2[kk + 1], x3[kk], x3[kk + 1]
            for j in range(nc):
                q0, q1 = b0[j], b1[j]
                t = c0[j]
                t += a00 * q0
                t += a01 * q1
                c0[j] = t
                t = c1[j]
                t += a10 * q0
                t += a11 * q1
                c1[j] = t
                t = c2[j]
                t += a20 * q0
                t += a21 * q1
                c2[j] = t
                t = c3[j]
                t += a30 * q0
                t += a31 * q1
                c3[j] = t
        for kk in range(k2, kc):
            bk = b_pack[kk]
            a0, a1, a2, a3 = x0[kk], x1[kk], x2[kk], x3[kk]
            for j in range(nc):
                q = bk[j]
                c0[j] += a0 * q
                c1[j] += a1 * q
                c2[j] += a2 * q
                c3[j] += a3 * q
    for ii in range(m4, mc):  # leftover rows, one at a time, still 4 values of k per sweep
        ci = c_stage[row0 + ii]
        x = a_pack[ii]
        for kk in range(0, k4, 4):
            b0, b1, b2, b3 = b_pack[kk], b_pack[kk + 1], b_pack[kk + 2], b_pack[kk + 3]
            a0, a1, a2, a3 = x[kk], x[kk + 1], x[kk + 2], x[kk + 3]
            first = fresh and kk == 0
            for j in range(nc):
                t = zero if first else ci[j]
                t += a0 * b0[j]
                t += a1 * b1[j]
                t += a2 * b2[j]
                t += a3 * b3[j]
                ci[j] = t
        for kk in range(k4, kc):
            a0 = x[kk]
            bk = b_pack[kk]
            for j in range(nc):
                ci[j] += a0 * bk[j]


# ----------------------------------------------------------------------------- a few rows
# A forward pass on one sample (M = 1: x @ W.T of nn.Linear) has no reuse to block for:
# each value of B is used once per row of C, so packing B -- copying all K x N of it to
# use it M times -- costs more than the product itself (Linear(784, 256) at batch 1: 105 us
# blocked, most of it the copy). With M <= FEW_ROWS the kernel below reads B in place:
#   B row-major (k, n):   C[i, :] += A[i, k] * B[k, :]  (an axpy along a contiguous row)
#   B transposed (n, k):  C[i, j]  = dot(A[i, :], B[j, :])  (two contiguous rows)
# The dot sums k as 16 vector lanes (fastmath reassoc), so it rounds differently from the
# blocked kernel's k-ordered sum, within the same error bound; it is still bit-identical
# for any thread count (each C element is one task's dot). A transposed A is first copied
# to M contiguous rows by the caller (M * K floats).
FEW_ROWS = 4
# The same kernel serves an op(B) of few columns given transposed (B of shape (N, K)),
# where the blocked kernel would pack and stage a narrow panel, when the dot kernel below
# cannot: a transposed A, or K < DOT_MIN_K. (h @ W2.T of a 10-class output layer goes to
# matmul_dot: 12 us against 18 us here and 73 us blocked, at 128x256 @ (10x256)^T.)
FEW_COLS = 16
# At most this many multiply-adds with a row-major B, a row loop beats blocking: the rows
# of B and C it streams stay in L1 and there is no packing to amortise. matmul_rows runs the
# blocked kernel's register blocking (_tile_update) straight on A, B and C, without packing:
# 4 rows of C x 4 values of k per sweep along the rows, so each C vector is loaded and
# stored once per 4 FMAs and each B vector feeds 4 of them, and there are a sixteenth as
# many sweeps (short loops, whose set-up cost dominated) as in a one-row-at-a-time loop.
# The output layer's backward, 128x10 @ 10x256 and (128x10)^T @ 128x256, single-threaded:
# 0.72x and 0.65x the time of the previous one-row-at-a-time loop (4 values of k per sweep;
# paired rounds, same bits), itself ~0.75x the naive loop's.
SMALL_FMAS = 1 << 19
ROWS_PER_TASK = 4  # rows of C per parallel task of matmul_rows (one _tile_update group)


@kernel(fastmath=EXACT_FMA)
def matmul_rows(a, b, trans_a, c, mask):
    """C = op(A) @ B in groups of ROWS_PER_TASK rows, each one _tile_update over B in place
    (for small products, see above); then, if mask has C's shape (else it is empty), C = 0
    where mask <= 0 (relu_backward with mask the ReLU's output: nn.Sequential's Linear after
    a ReLU, whose input gradient is masked while its rows are still in L1).

    Every element of C is the k-ordered chain of FMAs of the naive and blocked kernels,
    started from 0: the same bits."""
    m, n = c.shape
    k_dim = a.shape[0] if trans_a else a.shape[1]
    masked = mask.shape[0] == m  # (the caller passes C's shape or an empty array)
    for task in prange((m + ROWS_PER_TASK - 1) // ROWS_PER_TASK):
        wide_vectors()
        r0 = task * ROWS_PER_TASK
        r1 = min(m, r0 + ROWS_PER_TASK)
        if trans_a:  # (fresh: C is written, not read)
            _tile_update(a.T[r0:r1], b, c, r0, r1 - r0, n, k_dim, True)
        else:
            _tile_update(a[r0:r1], b, c, r0, r1 - r0, n, k_dim, True)
        if masked:
            for i in range(r0, r1):
                ci, mi = c[i], mask[i]
                for j in range(n):
                    ci[j] = relu_grad_of(ci[j], mi[j])


DOT_FMA = {"contract", "reassoc"}
FEW_ROWS_BLOCK = 64  # columns of C per parallel task


@kernel(fastmath=DOT_FMA)
def matmul_few_rows(a, b, trans_b, c):
    """C = A @ op(B) for row-major A with few rows (see above)."""
    m, n = c.shape
    k_dim = a.shape[1]
    for blk in prange((n + FEW_ROWS_BLOCK - 1) // FEW_ROWS_BLOCK):
        wide_vectors()
        j0 = blk * FEW_ROWS_BLOCK
        j1 = min(n, j0 + FEW_ROWS_BLOCK)
        for i in range(m):
            ai = a[i]
            ci = c[i, j0:j1]
            if trans_b:
                for jj in range(j1 - j0):
                    ci[jj] = _dot(ai, b[j0 + jj])
            else:
                ci[:] = 0.0
                for k in range(k_dim):
                    aik = ai[k]
                    bk = b[k, j0:j1]
                    for jj in range(j1 - j0):
                        ci[jj] += aik * bk[jj]


# ----------------------------------------------------------------------------- B given transposed
# C = A @ B.T with A (M, K) and B (N, K) both row-major -- x @ W.T of nn.Linear's forward --
# is a table of dot products of two contiguous rows: C[i, j] = dot(A[i, :], B[j, :]).
# The blocked kernel above must first transpose B into its packed buffer (a gather), and
# without AVX-512 its sweeps keep C in memory, loading and storing it once per 4 FMAs.
# The dot form needs neither. It serves A @ B.T on CPUs without AVX-512, and with it only
# where the register tile would not pay: fewer than 64 columns (its 32-column blocks would
# compute mostly padding: the 10-class output layer) or rows (too few to repay packing B:
# 6x784 @ (256x784)^T 24 us here, 94 blocked). linear._dot_path decides.
#   register blocking: a 6x4 block of C is 24 running sums, s[r][q] += A[i+r, k] * B[j+q, k],
#     over one pass along k. With reassociation allowed, LLVM vectorises that loop along k:
#     each sum becomes a vector of 16 partial sums (24 of the 32 zmm registers), and every
#     step loads 6 vectors of A and 4 of B for 24 FMAs -- C is never touched until the end,
#     when each vector is summed across its lanes and stored once.
#   cache blocking: the threads split the columns of C into panels of B rows; one panel
#     (DOT_PANEL_BYTES) stays in L2 while every 6-row block of A (6 rows, in L1) sweeps it.
#     The B rows come from L2, so the taller the block, the fewer L2 reads per FMA: 6x4
#     reads a third less than 4x4 (which had 16 sums), with 10 loads per 24 FMAs instead of 8 per 16.
# Measured at the MLP's forward shape (128x784 @ (256x784)^T, 2 threads): 300-320 us
# against 600-650 us for the blocked kernel of the time (the sweeps, before the register
# tile: now ~215 us blocked, 220-255 us dot); 6x4 instead of 4x4 then took another 12% less
# (paired rounds; 256x784 rows 3-11%, 1024^3 A @ B.T 2-13%; the numba training step at
# batch 128 and 256 3-4%), with the same bits: each sum is its own register, reduced alike.
# Rounding: k is summed in 16 lanes and then across them (fastmath reassoc), not in k
# order: within the same error bound as the blocked kernel, but not bit-identical to it.
# Still bit-identical for any thread count: panels are a multiple of 4 columns wide, so
# whether an element of C is computed in a 6x4 block, a 6x2 edge block or by an edge dot
# (the last N % 4 columns; every row of a matrix of fewer than 6 rows: the backend sends
# M <= FEW_ROWS to matmul_few_rows, so that is only M = 5) depends only on its position.
# When 6 does not divide M, the last row block overlaps the one before it: the rows in
# both are computed twice, to the same bits.
# Bias epilogue (matmul_bias, nn.Linear's forward): each task adds the bias to its panel of
# C right after computing it, while the panel is still in cache, with plain IEEE adds
# (_add_bias has no fastmath), so the result is that of matmul then bias_add, bit for bit.
DOT_MIN_K = 32  # below this the lanes' final sums cost more than the dot saves
DOT_PANEL_BYTES = 256 * 1024  # one panel of B rows, kept in L2


@kernel(fastmath=DOT_FMA)
def matmul_dot(a, b, c, panel, bias, has_bias, relu):
    """C = A @ B.T (+ bias[None, :] if has_bias, then max(C, 0) if relu), A (M, K) and B (N, K)
    C-contiguous; panel: columns of C per task (a multiple of 4)."""
    n = c.shape[1]
    for p in prange((n + panel - 1) // panel):
        wide_vectors()
        j0 = p * panel
        _dot_panel(a, b, c, j0, min(n, j0 + panel))
        if has_bias or relu:
            _epilogue(c, bias, has_bias, relu, j0, min(n, j0 + panel))


@kernel(parallel=False, fastmath=set())
def _epilogue(c, bias, has_bias, relu, j0, j1):
    """C[:, j0:j1] += bias[j0:j1], then C = max(C, 0), exactly as bias_add and relu_forward
    round (no fastmath: one IEEE add each; relu_forward's relu_of), while the panel's columns
    of C are still in cache."""
    wide_vectors()
    for i in range(c.shape[0]):
        ci = c[i, j0:j1]
        if has_bias:
            bj = bias[j0:j1]
            for j in range(j1 - j0):
                ci[j] = ci[j] + bj[j]
        if relu:
            for j in range(j1 - j0):
                ci[j] = relu_of(ci[j])


@kernel(parallel=False, fastmath=DOT_FMA)
def _dot_panel(a, b, c, j0, j1):
    """C[:, j0:j1] = A @ B[j0:j1].T: 6x4 blocks of 24 running sums, the last block of rows
    overlapping the one before it; of the last N % 4 columns two in 6x2 blocks (a 10-class
    output layer's 128x256 @ (10x256)^T: 0.82x the time of one dot per element, 1000 rows
    0.79x) and a third one dot per element, as every element of a matrix of fewer than 6 rows."""
    wide_vectors()
    m, n = c.shape
    k_dim = a.shape[1]
    j4 = min(j1, n - n % 4)  # columns in full blocks of 4 (j0 is a multiple of 4)
    for t in range((m + 5) // 6 if m >= 6 else 0):
        i = min(6 * t, m - 6)  # M % 6 rows left: they are recomputed, to the same bits
        x0, x1, x2, x3, x4, x5 = a[i], a[i + 1], a[i + 2], a[i + 3], a[i + 4], a[i + 5]
        for j in range(j0, j4, 4):
            y0, y1, y2, y3 = b[j], b[j + 1], b[j + 2], b[j + 3]
            s00 = s01 = s02 = s03 = np.float32(0.0)
            s10 = s11 = s12 = s13 = np.float32(0.0)
            s20 = s21 = s22 = s23 = np.float32(0.0)
            s30 = s31 = s32 = s33 = np.float32(0.0)
            s40 = s41 = s42 = s43 = np.float32(0.0)
            s50 = s51 = s52 = s53 = np.float32(0.0)
            for k in range(k_dim):
                q0, q1, q2, q3 = y0[k], y1[k], y2[k], y3[k]
                p = x0[k]
                s00, s01, s02, s03 = s00 + p * q0, s01 + p * q1, s02 + p * q2, s03 + p * q3
                p = x1[k]
                s10, s11, s12, s13 = s10 + p * q0, s11 + p * q1, s12 + p * q2, s13 + p * q3
                p = x2[k]
                s20, s21, s22, s23 = s20 + p * q0, s21 + p * q1, s22 + p * q2, s23 + p * q3
                p = x3[k]
                s30, s31, s32, s33 = s30 + p * q0, s31 + p * q1, s32 + p * q2, s33 + p * q3
                p = x4[k]
                s40, s41, s42, s43 = s40 + p * q0, s41 + p * q1, s42 + p * q2, s43 + p * q3
                p = x5[k]
                s50, s51, s52, s53 = s50 + p * q0, s51 + p * q1, s52 + p * q2, s53 + p * q3
            c[i, j], c[i, j + 1], c[i, j + 2], c[i, j + 3] = s00, s01, s02, s03
            c[i + 1, j], c[i + 1, j + 1], c[i + 1, j + 2], c[i + 1, j + 3] = s10, s11, s12, s13
            c[i + 2, j], c[i + 2, j + 1], c[i + 2, j + 2], c[i + 2, j + 3] = s20, s21, s22, s23
            c[i + 3, j], c[i + 3, j + 1], c[i + 3, j + 2], c[i + 3, j + 3] = s30, s31, s32, s33
            c[i + 4, j], c[i + 4, j + 1], c[i + 4, j + 2], c[i + 4, j + 3] = s40, s41, s42, s43
            c[i + 5, j], c[i + 5, j + 1], c[i + 5, j + 2], c[i + 5, j + 3] = s50, s51, s52, s53
        j2 = j4 + (j1 - j4) // 2 * 2
        for j in range(j4, j2, 2):  # 2 or 3 columns left (in the last panel only): 2 in a 6x2 block
            y0, y1 = b[j], b[j + 1]
            s00 = s01 = s10 = s11 = s20 = s21 = np.float32(0.0)
            s30 = s31 = s40 = s41 = s50 = s51 = np.float32(0.0)
            for k in range(k_dim):
                q0, q1 = y0[k], y1[k]
                p = x0[k]
                s00, s01 = s00 + p * q0, s01 + p * q1
                p = x1[k]
                s10, s11 = s10 + p * q0, s11 + p * q1
                p = x2[k]
                s20, s21 = s20 + p * q0, s21 + p * q1
                p = x3[k]
                s30, s31 = s30 + p * q0, s31 + p * q1
                p = x4[k]
                s40, s41 = s40 + p * q0, s41 + p * q1
                p = x5[k]
                s50, s51 = s50 + p * q0, s51 + p * q1
            c[i, j], c[i, j + 1], c[i + 1, j], c[i + 1, j + 1] = s00, s01, s10, s11
            c[i + 2, j], c[i + 2, j + 1], c[i + 3, j], c[i + 3, j + 1] = s20, s21, s30, s31
            c[i + 4, j], c[i + 4, j + 1], c[i + 5, j], c[i + 5, j + 1] = s40, s41, s50, s51
        for j in range(j2, j1):  # the last odd column: one dot per row
            for r in range(6):
                c[i + r, j] = _dot(a[i + r], b[j])
    for i in range(m if m < 6 else 0):  # fewer than 6 rows: single dots
        for j in range(j0, j1):
            c[i, j] = _dot(a[i], b[j])


@kernel(parallel=False, fastmath=DOT_FMA)
def _dot(x, y):
    """sum(x * y) over two contiguous rows, vectorised along them."""
    wide_vectors()
    s = np.float32(0.0)
    for k in range(x.shape[0]):
        s += x[k] * y[k]
    return s

"""The numba backend's matmul, matmul_bias, matmul_bias_relu, matmul_relu_mask, bias_add and
bias_grad (the table re-exports them): input checks and layout, the choice of kernel by shape
(_path), the split over threads.

Kernels in matmul_kernels.py (C = op(A) @ op(B): blocked, dot, few-rows, rows, naive) and
elementwise_kernels.py (the bias).
"""

from __future__ import annotations

import numpy as np

from .. import _checks
from . import _common
from . import elementwise_kernels as _ew
from . import matmul_kernels as _mm
from ._common import NS_PER_ELEMENT, NS_PER_FMA
from ._common import f32 as _f32
from ._common import run as _run

VARIANTS = ("naive", "blocked")
DEFAULT_VARIANT = "blocked"


def _operand(x, name: str, trans: bool):
    """(array, trans) for matmul: a Fortran-ordered 2-D array is the transpose of a C one."""
    x = np.asarray(x)
    if x.ndim == 2 and not x.flags.c_contiguous and x.flags.f_contiguous:
        return _f32(x.T, name), not trans
    return _f32(x, name), trans


MAX_TILES_PER_TASK = 16  # i-tiles (of MC rows) per matmul task: c_stage <= 1024 x 528 floats


def _matmul_plan(
    m: int, n: int, threads: int, trans_b: bool = False, trans_a: bool = False
) -> tuple[int, int]:
    """(panel_width, row_groups) for the blocked kernel: enough tasks for every thread.

    Wide panels (NC columns) are the most efficient; narrower ones and splitting the
    rows are used only when there would otherwise be fewer tasks than threads.
    Neither choice changes the arithmetic done for an element of C.
    Every task packs the B block of its own panel, so tasks that split the rows of one
    panel pack the same B block twice. With a transposed B that copy is a gather (it
    writes columns of the buffer), as costly as a good part of the FMAs for a short A:
    then the columns are split first (the 128x784 @ (256x784)^T of an MLP's first layer:
    two 128-column panels instead of two row groups that each transpose all of W1).
    A transposed A (A^T @ B: a weight gradient) splits the rows first, one row group per
    thread. The tasks of a row group are consecutive, so each thread computes one
    contiguous block of rows of C, the same half that the optimizer's flat parallel loop
    then updates on that thread (the gradient is still in its cache). The 256x784 (K=128)
    grad_W of an MLP step: 12% faster alone, the whole step 1-7% (paired rounds; the split
    by columns had 4 tasks of 208 columns).
    """
    want = threads
    i_tiles = -(-m // _mm.MC)
    rows_first = trans_a and i_tiles >= threads > 1  # a weight gradient: a row group per thread
    width = min(_mm.NC, max(64, (n + 15) // 16 * 16))  # no wider than C: a narrower C needs no staging
    row_tiles = 1 if trans_b else i_tiles  # with trans_b, count only column panels as tasks
    while not rows_first and width > 64 and -(-n // width) * row_tiles < want:
        width //= 2
    panels = -(-n // width)
    if panels > 1:  # even panels: N = 784 in 512-wide panels would be 512 and 272;
        if not rows_first:  # and balanced over the threads when they split the columns
            panels += -panels % want
        width = max(64, (-(-n // panels) + 15) // 16 * 16)  # 2 panels of 400 (last: 384)
        panels = -(-n // width)
    row_groups = threads if rows_first else max(1, min(i_tiles, -(-want // panels)))
    row_groups = max(row_groups, -(-i_tiles // MAX_TILES_PER_TASK))  # bounds c_stage's size
    return width, row_groups


# With the register tile (AVX-512), A @ B.T runs blocked, B packed, rather than as dot
# products when it is this large (model 167, with bias and ReLU, blocked / dot time, paired):
# 128+ rows and 64+ columns: the MLP's x @ W1.T (128x784 @ (256x784)^T) 0.84-1.0x (the dot
# kernel took 219-258 us from process to process, the blocked one a steady ~215), 1000 rows
# 0.75-1.0x, 1024^3 0.65-0.81x, 128x1152 @ (128x1152)^T 0.90x, 128x256 @ (64x256)^T 0.66-0.84x;
# 64-127 rows only when deeper than DOT_DEEP_K, set between the depths measured on either
# side (the dot kernel's 6 + 4 rows, 40 KiB at K = 1024, outgrow L1): the ConvNet's
# 64x9216 @ (128x9216)^T 0.63x, 64x3000 0.94x; but 64x1152 1.15x, 96x784 1.06x. Fewer
# columns: the tile's 32-column blocks compute padding (the 10-class layer; 32 columns
# 1.10x); fewer rows: packing B does not repay (32x784 1.29x).
TILE_MIN_ROWS, TILE_MIN_COLS, DOT_DEEP_K = 128, 64, 2048


def _dot_path(m: int, n: int, k: int, trans_a: bool, trans_b: bool) -> bool:
    """A @ B.T (both operands read along rows) with enough depth for the dot kernel and
    more than a few rows (those take matmul_few_rows), unless the blocked kernel's register
    tile does it faster (above)."""
    if _mm.HAS_16_LANES and n >= TILE_MIN_COLS and (m >= TILE_MIN_ROWS or (m >= _mm.MC and k > DOT_DEEP_K)):
        return False
    return trans_b and not trans_a and k >= _mm.DOT_MIN_K and m > _mm.FEW_ROWS


def _path(m: int, n: int, k: int, trans_a: bool, trans_b: bool, variant: str) -> str:
    """Which kernel computes op(A) @ op(B) (see matmul_kernels.py)."""
    if variant == "naive":
        return "naive"
    if _dot_path(m, n, k, trans_a, trans_b):
        return "dot"
    if (m <= _mm.FEW_ROWS or (trans_b and n <= _mm.FEW_COLS)) and k:
        return "few_rows"
    if not trans_b and m * n * k <= _mm.SMALL_FMAS:
        return "rows"
    return "blocked"


def _dot_plan(n: int, k: int, threads: int) -> int:
    """Columns of C per task of matmul_dot: a panel of B rows that fits DOT_PANEL_BYTES,
    narrower when the threads need more panels, balanced over them; a multiple of 4."""
    panel = max(4, _mm.DOT_PANEL_BYTES // (4 * k) // 4 * 4)
    panels = max(-(-n // panel), min(threads, -(-n // 4)))
    if panels > 1:
        panels += -panels % threads  # N = 256 in 80-wide panels would be 80, 80, 80, 16
    per_panel = -(-n // panels)
    return -(-per_panel // 4) * 4


_NO_BIAS = np.zeros(0, np.float32)


def matmul(a, b, trans_a: bool = False, trans_b: bool = False, variant: str | None = None):
    """C = op(a) @ op(b); op(x) = x.T when its flag is set. Variants: naive, blocked (default).

    Cost: 2*M*N*K FLOPs. The transposes are never materialised: the blocked kernel folds
    them into the packing of each cache block, and A @ B.T, whose operands are both read
    along rows, runs as a table of dot products (see matmul_kernels.py).
    """
    return _matmul(a, b, None, trans_a, trans_b, variant)


def matmul_bias(a, b, bias, trans_a: bool = False, trans_b: bool = False):
    """op(a) @ op(b) + bias[None, :] (nn.Linear's forward), bit for bit matmul then bias_add.
    On the blocked and dot paths each task adds the bias to its block of C while it is still
    in cache; the other paths run bias_add after the product."""
    return _matmul(a, b, bias, trans_a, trans_b, None)


def matmul_bias_relu(a, b, bias, trans_a: bool = False, trans_b: bool = False):
    """relu(op(a) @ op(b) + bias[None, :]), bias may be None (nn.Sequential's Linear + ReLU),
    bit for bit matmul_bias (or matmul) then relu_forward: on the blocked and dot paths in the
    same epilogue as the bias, elsewhere relu_forward after the product. (Not relu_forward's kernel
    in place: with one array as its input and output LLVM gives up vectorising such a loop,
    72 us instead of 4 for relu_backward's at 128x256.)"""
    return _matmul(a, b, bias, trans_a, trans_b, None, relu=True)


def matmul_relu_mask(a, b, relu_output, trans_a: bool = False, trans_b: bool = False):
    """matmul then relu_backward(., relu_output), bit for bit, in one table call (the autograd
    layer's Linear after a ReLU). The small products of matmul_rows apply the mask in the
    kernel, on rows still in L1 (the MLP's 128x10 @ 10x256 on the model 167 Xeon: 20.6 -> 17.6 us
    back to back, 45 -> 31 us inside the training step); the other paths run relu_backward after
    the product."""
    return _matmul(a, b, None, trans_a, trans_b, None, mask=relu_output)


_NO_MASK = np.zeros((0, 0), np.float32)


def _matmul(a, b, bias, trans_a, trans_b, variant, relu=False, mask=None):
    trans_a, trans_b = bool(trans_a), bool(trans_b)
    if not (
        _common.is_plain(a, 2) and _common.is_plain(b, 2)
    ):  # (the common case skips this: ~2 us of checks)
        _checks.matmul_dims(a, b, trans_a, trans_b)  # errors name the shapes as given
        a, trans_a = _operand(a, "a", trans_a)
        b, trans_b = _operand(b, "b", trans_b)
    variant = DEFAULT_VARIANT if variant is None else _checks.variant(variant, VARIANTS, "matmul")
    m, k = (a.shape[1], a.shape[0]) if trans_a else a.shape
    n = b.shape[0] if trans_b else b.shape[1]
    if (b.shape[1] if trans_b else b.shape[0]) != k:
        _checks.matmul_dims(a, b, trans_a, trans_b)  # raises, naming both shapes
    work = m * n * k * NS_PER_FMA
    c = _common.empty((m, n))
    if bias is not None:
        _checks.bias_for(c, bias)
        bias = _f32(bias, "bias", 1)
    path = _path(m, n, k, trans_a, trans_b, variant)
    epilogue = path in ("dot", "blocked")  # the kernels that add the bias and apply the ReLU
    if (bias is not None or relu) and not epilogue:
        c = _matmul(a, b, None, trans_a, trans_b, variant)
        c = c if bias is None else bias_add(c, bias)
        if relu:
            from . import relu_forward  # (the table's own, defined after this module is imported)

            c = relu_forward(c)
        return c
    if m == 0 or n == 0:
        return c if mask is None else _relu_backward(c, mask)
    has_bias = bias is not None
    bias = bias if has_bias else _NO_BIAS
    if path == "naive":
        _run(_mm.matmul_naive, work, a, b, trans_a, trans_b, c)
    elif path == "dot":
        # x @ W.T with few outputs: each C element is a dot of two contiguous rows,
        # computed in 6x4 blocks of running sums; no packing, C written once (bias added).
        plan = _dot_plan(n, k, _common.threads_for(work))
        _run(_mm.matmul_dot, work, a, b, c, plan, bias, has_bias, relu)
    elif path == "few_rows":
        # nn.Linear on one sample, or few columns given transposed: B read in place, no
        # packing; with few columns each C element is one dot of two contiguous rows.
        rows = np.ascontiguousarray(a.T) if trans_a else a
        _run(_mm.matmul_few_rows, work, rows, b, trans_b, c)
    elif path == "rows":
        # Tiny (the output layer's backward: 128x10 @ 10x256, 10x128 @ 128x256): 4 rows at a
        # time on A, B and C in place, whose rows stay in L1; packing would cost more than it saves.
        fuse = mask is not None and _common.is_plain(mask, 2) and mask.shape == (m, n)
        _run(_mm.matmul_rows, work, a, b, trans_a, c, mask if fuse else _NO_MASK)
        mask = None if fuse else mask
    else:
        threads = _common.threads_for(work)
        plan = _matmul_plan(m, n, threads, trans_b, trans_a)
        _run(_mm.matmul_blocked, work, a, b, trans_a, trans_b, c, *plan, bias, has_bias, relu)
    return c if mask is None else _relu_backward(c, mask)


def _relu_backward(grad_output, relu_output):
    from . import relu_backward  # (the table's own, defined after this module is imported)

    return relu_backward(grad_output, relu_output)


# ----------------------------------------------------------------------------- bias
def bias_add(x, bias):
    """y = x + bias[None, :]."""
    _checks.bias_for(x, bias)
    x, bias = _f32(x, "x", 2), _f32(bias, "bias", 1)
    y = _common.empty_like(x)
    _run(_ew.bias_add, x.size * NS_PER_ELEMENT, x, bias, y)
    return y


def bias_grad(grad_output):
    """grad_bias[j] = sum over rows of grad_output[:, j] (rows summed in order)."""
    g = _f32(grad_output, "grad_output", 2)
    out = np.empty(g.shape[1], np.float32)
    _run(_ew.bias_grad, g.size * NS_PER_ELEMENT, g, out)
    return out

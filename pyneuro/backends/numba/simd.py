"""Explicit SIMD vectors for numba kernels: a float32 x 16 type and five operations on it (and a
scalar fused multiply-add).

Why: numba compiles loops over arrays, and LLVM vectorises them, but a value LLVM
vectorises is a loop's temporary, not a variable that lives across loops. The matmul
micro-kernel needs the opposite: a block of C (here 8 x 32 floats, 16 vectors) held in
registers for a whole pass over k, each loaded B vector feeding 8 FMAs. Written as
scalar loops, LLVM keeps such a block in memory (L1) and loads and stores it every few
FMAs (matmul_kernels._tile_update: ~140 GFLOP/s per core on the Intel Xeon model 167).
With the vector type below a kernel names its 16 accumulators as variables; they are
LLVM SSA values, so they live in zmm registers, as the C++ kernel's __m512 variables do
(csrc/cpu/matmul_packed.cpp): ~190 GFLOP/s per core, the same bits.

    v = vload(x, i, j)          # x[i, j:j+16]           (one 64-byte load)
    vstore(x, i, j, v)          # x[i, j:j+16] = v
    s = vsplat(a)               # [a] * 16               (vbroadcastss)
    z = vzero()                 # [0.0] * 16
    acc = vfma(s, v, acc)       # s * v + acc, one rounding per lane (vfmadd231ps)
    y = fma32(a, x, y)          # the same for three float32 scalars (a loop of them vectorises)

They are numba intrinsics: each is a few lines of LLVM IR emitted inline into the kernel
that calls it, with no bounds check (the caller guarantees j + 16 <= the row's length).

Where it pays: with AVX-512 a vector is one register and there are 32 of them. Without it
LLVM splits each vector into 2 (AVX2) or 4 (SSE, NEON) registers, 16 accumulators no
longer fit, and spilling makes such a kernel slower than the scalar loops (compiled for
AVX2 on the same Xeon, bench/numba_tile.py: 1.1-2.2x the time of the sweeps over two
runs, 49-76 GFLOP/s per core against 83-105, the sweeps there near AVX2's FMA peak):
kernels check HAS_16_LANES (a compile-time constant) and keep their scalar form without it.

Under NUMBA_DISABLE_JIT=1 (kernels run as Python, to step through them in a debugger) the
five operations are NumPy functions on 16-float arrays instead (end of this file).
"""

from __future__ import annotations

import numpy as np
from llvmlite import binding as llvm
from llvmlite import ir
from numba import config
from numba import types as nbtypes
from numba.core import cgutils
from numba.extending import intrinsic, models, register_model

LANES = 16
_VEC = ir.VectorType(ir.FloatType(), LANES)


def _target_has_avx512f() -> bool:
    """Whether numba compiles for a CPU with AVX-512F. Numba's own rule: NUMBA_CPU_FEATURES
    if it is set (a portable cache's target), else the host's features. (An explicit list
    without +avx512f counts as none, even where NUMBA_CPU_NAME's CPU has it: slower, never wrong.)"""
    if config.CPU_FEATURES is not None:
        return "+avx512f" in config.CPU_FEATURES.split(",")
    return bool(llvm.get_host_cpu_features().get("avx512f", False))


HAS_16_LANES = _target_has_avx512f()


class Float32x16(nbtypes.Type):
    """numba's type for 16 float32 lanes (LLVM <16 x float>)."""

    def __init__(self):
        super().__init__(name="float32x16")


float32x16 = Float32x16()


@register_model(Float32x16)
class _Float32x16Model(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, _VEC)


def _address(context, builder, sig, args):
    """Pointer to x[i, j] (args = x, i, j) as a pointer to 16 floats, unchecked."""
    arrty = sig.args[0]
    ary = context.make_array(arrty)(context, builder, args[0])
    ptr = cgutils.get_item_pointer(
        context, builder, arrty, ary, list(args[1:3]), wraparound=False, boundscheck=False
    )
    return builder.bitcast(ptr, _VEC.as_pointer())


@intrinsic
def vload(typingctx, x, i, j):
    """x[i, j:j+16] of a 2-D float32 array whose rows are contiguous."""

    def codegen(context, builder, sig, args):
        return builder.load(_address(context, builder, sig, args), align=4)

    return float32x16(x, i, j), codegen


@intrinsic
def vstore(typingctx, x, i, j, v):
    """x[i, j:j+16] = v."""

    def codegen(context, builder, sig, args):
        builder.store(args[3], _address(context, builder, sig, args), align=4)
        return context.get_dummy_value()

    return nbtypes.none(x, i, j, v), codegen


@intrinsic
def vsplat(typingctx, a):
    """16 copies of the float32 a."""

    def codegen(context, builder, sig, args):
        one = builder.insert_element(ir.Constant(_VEC, ir.Undefined), args[0], ir.IntType(32)(0))
        lane0 = ir.Constant(ir.VectorType(ir.IntType(32), LANES), [0] * LANES)
        return builder.shuffle_vector(one, ir.Constant(_VEC, ir.Undefined), lane0)

    return float32x16(nbtypes.float32), codegen


@intrinsic
def vzero(typingctx):
    """16 zeros (+0.0)."""

    def codegen(context, builder, sig, args):
        return ir.Constant(_VEC, [0.0] * LANES)

    return float32x16(), codegen


@intrinsic
def vfma(typingctx, a, b, c):
    """a * b + c lane by lane, rounded once (llvm.fma: exact on every target)."""

    def codegen(context, builder, sig, args):
        fma = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(_VEC, [_VEC] * 3), "llvm.fma.v16f32"
        )
        return builder.call(fma, args)

    return float32x16(float32x16, float32x16, float32x16), codegen


@intrinsic
def fma32(typingctx, a, b, c):
    """a * b + c for float32 scalars, rounded once (llvm.fma.f32; a loop of them vectorises).
    For a kernel whose serial and parallel compilations must round alike: where SAFE_FASTMATH's
    `contract` lets LLVM choose which product of a*b + c*d to fuse, it may choose differently."""

    def codegen(context, builder, sig, args):
        f32 = ir.FloatType()
        fma = cgutils.get_or_insert_function(builder.module, ir.FunctionType(f32, [f32] * 3), "llvm.fma.f32")
        return builder.call(fma, args)

    return nbtypes.float32(nbtypes.float32, nbtypes.float32, nbtypes.float32), codegen


if config.DISABLE_JIT:  # NUMBA_DISABLE_JIT=1: kernels run as plain Python, vectors as NumPy arrays

    def fma32(a, b, c):  # (in float64, then rounded: a*b is exact there)
        return np.float32(np.float64(a) * np.float64(b) + np.float64(c))

    def vload(x, i, j):
        return x[i, j : j + LANES].copy()

    def vstore(x, i, j, v):
        x[i, j : j + LANES] = v

    def vsplat(a):
        return np.full(LANES, a, np.float32)

    def vzero():
        return np.zeros(LANES, np.float32)

    def vfma(a, b, c):  # (in float64, then rounded: a*b is exact there, the sum rounded twice)
        return (a.astype(np.float64) * b + c).astype(np.float32)

"""Denormals off inside a numba kernel, as the C++ kernels run: flush-to-zero and
denormals-are-zero for the duration of one block of work, then the caller's setting back.

Why: a float32 below 1.2e-38 (a denormal, or subnormal) is computed by a microcode assist
on x86 cores, ~100-150 cycles instead of a fraction of one. Training makes them steadily:
SGD's momentum buffer is multiplied by 0.9 every step, so the entries of inputs that are
almost never active (the border pixels of an image) decay through 1e-38 ... 1e-45 over ~150
steps. After one Fashion-MNIST epoch 3.5% of the 784-256-10 MLP's first-layer buffer is
denormal, and numba's SGD update took 110-150 us a step instead of 19 (Intel Xeon model 167,
history/2026-12-06_intel-f6m167). The C++ kernels never see one: every kernel thread runs
with FTZ (a denormal result is written as 0) and DAZ (a denormal input is read as 0) set in
the x86 MXCSR register (csrc/cpu/runtime.cpp, FlushToZeroScope). This module gives the numba
kernels the same rule:

    saved = denormals_off()     # MXCSR |= FTZ | DAZ; returns the previous value
    ...                         # the block's arithmetic
    restore_fp(saved)           # MXCSR = saved

The pair brackets each block of a `prange` loop (inside the loop body), so it runs on
whichever thread computes the block and leaves every thread as it found it: the Python
thread's NumPy, and a user's own numba code on numba's worker threads, keep IEEE denormals.
Each is one instruction (stmxcsr / ldmxcsr) and a few cycles: per block, not per element.

Not x86 (aarch64, where NEON and SVE handle denormals at full speed on the common cores),
or NUMBA_DISABLE_JIT=1: both do nothing, and denormals stay as IEEE says.
"""

from __future__ import annotations

import platform

from llvmlite import ir
from numba import config
from numba import types as nbtypes
from numba.core import cgutils
from numba.extending import intrinsic

FTZ_DAZ = 0x8040  # MXCSR bit 15 (flush to zero) | bit 6 (denormals are zero)
_X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686", "x86")
_I32 = ir.IntType(32)


def _mxcsr_call(builder, name: str, slot):
    """call void @llvm.x86.sse.<name>(ptr slot): stmxcsr writes the register to slot, ldmxcsr
    loads it from there."""
    ptr = ir.IntType(8).as_pointer()
    fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [ptr]), name)
    builder.call(fn, [builder.bitcast(slot, ptr)])


@intrinsic
def denormals_off(typingctx):
    """Set FTZ and DAZ on this thread; return the control word to give restore_fp (0 off x86)."""

    def codegen(context, builder, sig, args):
        if not _X86:
            return _I32(0)
        slot = cgutils.alloca_once(builder, _I32)
        _mxcsr_call(builder, "llvm.x86.sse.stmxcsr", slot)
        saved = builder.load(slot)
        builder.store(builder.or_(saved, _I32(FTZ_DAZ)), slot)
        _mxcsr_call(builder, "llvm.x86.sse.ldmxcsr", slot)
        return saved

    return nbtypes.uint32(), codegen


@intrinsic
def restore_fp(typingctx, saved):
    """Put back the control word denormals_off returned."""

    def codegen(context, builder, sig, args):
        if _X86:
            slot = cgutils.alloca_once(builder, _I32)
            builder.store(args[0], slot)
            _mxcsr_call(builder, "llvm.x86.sse.ldmxcsr", slot)
        return context.get_dummy_value()

    return nbtypes.none(nbtypes.uint32), codegen


if config.DISABLE_JIT:  # kernels run as Python (NumPy), which has no such switch

    def denormals_off():
        return 0

    def restore_fp(saved):
        return None

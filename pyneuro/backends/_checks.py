"""Shape, dtype and range checks shared by every Python-level backend.

The compiled backends check the same things in C++ (csrc/bindings/checks.h) before a
kernel touches memory; the Python backends (numpy, numba, cupy) call these. One
function per check, one message per check, and the message is word for word the one
checks.h raises, so the same bad input reads the same on every backend
(tests/test_bad_input.py compares them). Every message names the offending shapes or
values, and the exception types follow docs/DESIGN.md, "Errors and bad input" and PyTorch: TypeError for types and
dtypes, ValueError for shapes and values, IndexError for class targets out of range.
"""

from __future__ import annotations

import numpy as np

from .._errors import ShapeError


def _shape(a) -> tuple:
    return tuple(int(s) for s in a.shape)


def require_array(x, name: str, ndim: int | None = None, floating: bool = True):
    """Check that x is an array (NumPy or device) of a floating dtype and rank ndim."""
    if x is None or not hasattr(x, "shape") or not hasattr(x, "dtype"):
        raise TypeError(f"{name} must be an array, got {type(x).__name__}")
    if floating and np.dtype(x.dtype).kind != "f":
        raise TypeError(f"{name} must have a floating dtype (float32), got {x.dtype}")
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {_shape(x)}")
    return x


def require_float32(x, name: str) -> None:
    """TypeError unless x has dtype float32 (backends that compute in float32 only)."""
    if np.dtype(x.dtype) != np.float32:
        raise TypeError(f"{name} must have dtype float32, got {x.dtype}")


def writeable(x, name: str) -> None:
    """ValueError unless x may be written (an optimizer state updated in place)."""
    flags = getattr(x, "flags", None)
    if flags is not None and not flags.writeable:
        raise ValueError(f"{name} must be writeable (it is updated in place)")


def momentum_buffer_for(momentum: float, momentum_buffer) -> None:
    """sgd_step with momentum needs its buffer."""
    if momentum and momentum_buffer is None:
        raise ValueError("sgd_step: momentum != 0 needs a momentum_buffer array")


def same_shape(a, a_name: str, b, b_name: str) -> None:
    if _shape(a) != _shape(b):
        raise ValueError(f"{a_name} and {b_name} must have the same shape, got {_shape(a)} and {_shape(b)}")


def matmul_dims(a, b, trans_a: bool, trans_b: bool) -> tuple[int, int, int]:
    """(M, N, K) of op(a) @ op(b); raises ValueError naming both shapes when K differs."""
    require_array(a, "a", 2)
    require_array(b, "b", 2)
    m, k = (a.shape[1], a.shape[0]) if trans_a else (a.shape[0], a.shape[1])
    kb, n = (b.shape[1], b.shape[0]) if trans_b else (b.shape[0], b.shape[1])
    if k != kb:
        raise ValueError(
            f"matmul: inner dimensions differ: a{'.T' if trans_a else ''} has shape ({m}, {k}) "
            f"and b{'.T' if trans_b else ''} has shape ({kb}, {n})"
        )
    return int(m), int(n), int(k)


def tensor_matmul_shapes(a_shape: tuple, b_shape: tuple) -> None:
    """The Tensor-level check of a @ b (torch.matmul's ranks: 1-D vectors, batched stacks).

    ShapeError (a ValueError and, like torch's error, a RuntimeError) when an operand is 0-D
    or the inner dimensions differ. The kernels' own 2-D check is matmul_dims.
    """
    a_shape, b_shape = tuple(a_shape), tuple(b_shape)
    if not a_shape or not b_shape:
        raise ShapeError(
            f"matmul: both arguments need at least 1 dimension, got shapes {a_shape} and {b_shape}"
        )
    ka, kb = a_shape[-1], (b_shape[0] if len(b_shape) == 1 else b_shape[-2])
    if ka != kb:
        raise ShapeError(_matmul_message(a_shape, b_shape, ka, kb))


def _matmul_message(a_shape, b_shape, ka, kb) -> str:
    """torch's words for inner dimensions that differ, by the ranks (the op torch folds it into)."""
    rows = 1
    for n in a_shape[:-1]:
        rows *= n
    if len(a_shape) == len(b_shape) == 1:
        return (
            f"inconsistent tensor size, expected tensor [{ka}] and src [{kb}] to have the same number of "
            f"elements, but got {ka} and {kb} elements respectively"
        )
    if len(b_shape) == 1:
        return f"size mismatch, got input ({rows}), mat ({rows}x{ka}), vec ({kb})"
    if len(b_shape) == 2:
        return f"mat1 and mat2 shapes cannot be multiplied ({rows}x{ka} and {kb}x{b_shape[1]})"
    batch = 1
    for n in np.broadcast_shapes(tuple(a_shape[:-2]), tuple(b_shape[:-2])):
        batch *= n
    return f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {ka}] but got: [{batch}, {kb}]."


def targets_for(logits, targets, xp=np, check_range: bool = True):
    """Check class targets against logits (rows, classes): 1-D integer, one per row, in range.

    Returns the targets as int64. `xp` is the array namespace (numpy or cupy); the range
    check is one min/max reduction, done before any kernel runs. A backend whose kernel
    checks the range itself (numba: it counts bad targets in the same pass, writing only
    to its fresh output) passes check_range=False and calls `raise_target_range` when
    the kernel reports one.
    """
    require_array(logits, "logits", 2)
    if targets is None or not hasattr(targets, "dtype"):
        raise TypeError(f"targets must be an integer array, got {type(targets).__name__}")
    if np.dtype(targets.dtype).kind not in "iu":
        raise TypeError(f"targets must be integer class indices, got dtype {targets.dtype}")
    rows, classes = int(logits.shape[0]), int(logits.shape[1])
    if targets.ndim != 1 or int(targets.shape[0]) != rows:
        raise ValueError(
            f"targets must have shape ({rows},) to match logits of shape {_shape(logits)}, "
            f"got {_shape(targets)}"
        )
    if rows and check_range:
        raise_target_range(targets, classes)
    return targets.astype(xp.int64, copy=False)


def raise_target_range(targets, classes: int) -> None:
    """IndexError when a target is outside [0, classes), naming the first such one, in torch's words."""
    lo, hi = int(targets.min()), int(targets.max())
    if lo < 0 or hi >= classes:
        # (the error path only: tolist reads a NumPy or CuPy array and a Tensor alike)
        bad = next(v for v in targets.reshape(-1).tolist() if v < 0 or v >= classes)
        raise IndexError(f"Target {bad} is out of bounds.")


def bias_for(x, bias) -> None:
    require_array(x, "x", 2)
    require_array(bias, "bias", 1)
    if bias.shape[0] != x.shape[1]:
        raise ValueError(
            f"bias_add: bias of shape {_shape(bias)} does not match x of shape {_shape(x)} "
            f"(needs {x.shape[1]} entries)"
        )


def grad_losses_for(logits, grad_losses) -> None:
    require_array(grad_losses, "grad_losses", 1)
    if grad_losses.shape[0] != logits.shape[0]:
        raise ValueError(f"grad_losses must have shape ({logits.shape[0]},), got {_shape(grad_losses)}")


def adam_args(step: int) -> None:
    if step < 1:
        raise ValueError(f"adam_step: step counts from 1, got {step}")


def nonempty_rows(x) -> None:
    if x.shape[1] == 0 and x.shape[0] > 0:
        raise ValueError(f"argmax of an empty row: x has shape {_shape(x)}")


def variant(name, choices: tuple[str, ...], kind: str) -> str:
    if name not in choices:
        raise ValueError(f"unknown {kind} variant {name!r}; choose one of: {', '.join(choices)}")
    return name


def row_index(a, index):
    """take_rows: check `a` (an array of at least 1 dimension) and `index` (a 1-D array of
    integers) and return the index as int64. The range (every entry in [-rows, rows), PyTorch's
    IndexError otherwise) is checked by raise_row_index, or by the compiled binding itself."""
    if a is None or not hasattr(a, "shape") or not hasattr(a, "dtype"):
        raise TypeError(f"a must be an array, got {type(a).__name__}")
    if a.ndim < 1:
        raise ValueError("take_rows: a must have at least 1 dimension, got shape ()")
    if index is None or not hasattr(index, "shape") or not hasattr(index, "dtype"):
        raise TypeError(f"index must be an array, got {type(index).__name__}")
    if np.dtype(index.dtype).kind not in "iu":
        raise TypeError(f"index must be an integer array, got dtype {index.dtype}")
    if index.ndim != 1:
        raise ValueError(f"index must be 1-D, got shape {_shape(index)}")
    if index.dtype.kind == "u":  # checked before the cast: 2**64 - 1 would become -1
        raise_row_index(index, int(a.shape[0]))
    return np.ascontiguousarray(index, dtype=np.int64)  # (a strided index: order[::2])


def raise_row_index(index, rows: int) -> None:
    """IndexError naming the first entry of an integer index outside [-rows, rows)."""
    if index.size:
        bad = (index >= rows) if index.dtype.kind == "u" else (index < -rows) | (index >= rows)
        if bad.any():
            first = int(index[int(np.argmax(bad))])
            raise IndexError(f"index {first} is out of bounds for dimension 0 with size {rows}")

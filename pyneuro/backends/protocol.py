"""The kernel-table contract: what every backend module provides, takes, returns and raises.

A backend (numpy_backend.py, cpu_backend.py, numba/, cuda_backend.py, cupy_backend.py)
is a module; the registry (_registry.py) hands it out as-is, and the layers above
(autograd.py, functional.py, optim/) call only the entries below. `KernelTable` writes
the contract down as a typing.Protocol, one docstring per entry; tests/test_protocol.py
checks that every available backend provides every entry with a compatible signature.

Conventions shared by every entry:

* Arrays are the backend's own (NumPy arrays on the CPU backends, cupy.ndarray or
  pyneuro._cuda.DeviceArray on the GPU); `asarray` / `to_numpy` move data in and out.
* dtypes: the compiled and GPU backends (cpu, numba, cuda, cupy) compute in float32 and
  refuse other float dtypes with TypeError (never a silent conversion); the numpy
  reference computes in the dtype it is given. Class targets are any integer dtype
  (converted to int64), argmax returns int64.
* Layout: any strides are accepted; a backend makes its own contiguous copy when a
  kernel needs one (a Fortran-ordered matmul operand is passed as its transpose instead).
* Empty arrays are valid and give the mathematically defined result (matmul with K = 0
  gives zeros, bias_grad of 0 rows gives zeros).
* Outputs are fresh arrays; the optimizer steps update their arguments in place and
  return None.

What they raise, checked before any kernel runs (pyneuro/backends/_checks.py for the
Python backends, csrc/bindings/checks.h for the compiled ones: one function and one
message per check, the same text on every backend):

    TypeError   an argument that is not an array; a float dtype other than float32 (not
                numpy); class targets that are not integers;
    ValueError  a wrong rank; shapes that do not fit (matmul inner dimensions, targets or
                grad_losses not one per row, bias length, same-shape pairs); an unknown
                variant; adam_step's step < 1; sgd_step with momentum and no buffer; an
                in-place argument that is read-only; argmax of a row with no columns;
    IndexError  a class target outside [0, classes) (as torch's cross_entropy).

PyTorch raises RuntimeError for most shape errors; the Tensor layer above raises
pyneuro._errors.ShapeError (a ValueError *and* a RuntimeError) for those before a kernel
is reached, so user code written for either catches them.

Optional entries (not every backend has them, callers test with hasattr): get_num_threads
and set_num_threads (cpu, numba), simd_path (cpu), synchronize, memory_stats,
empty_cache (cuda), ndarray (the GPU array type), and the multi-tensor optimizer steps
sgd_step_multi and adam_step_multi (numpy, cpu, numba):

    sgd_step_multi(params, grads, momentum_buffers, lr, momentum=0.0, dampening=0.0,
                   weight_decay=0.0, nesterov=False, first_step=False) -> None
        sgd_step over equal-length lists of arrays (momentum_buffers None when momentum
        == 0), with the same checks and messages (the cpu backend checks every array before
        it updates any); the results are those of sgd_step per parameter, bit for bit. The cpu backend runs it
        as one call into C++ (the optimizer's step is one call, not one per parameter).
    adam_step_multi(params, grads, exp_avgs, exp_avg_sqs, steps, lr, beta1=0.9, beta2=0.999,
                    eps=1e-8, weight_decay=0.0) -> None
        adam_step over equal-length lists (steps: one count per parameter), the same way.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

Array = Any  # the backend's array type (numpy.ndarray, cupy.ndarray, pyneuro._cuda.DeviceArray)

# The entries of KernelTable, in the order the docs list them; the test iterates these.
ATTRIBUTES = ("NAME", "DEVICE", "xp", "VARIANTS", "DEFAULT_VARIANT")
FUNCTIONS = (
    "asarray",
    "to_numpy",
    "matmul",
    "relu_forward",
    "relu_backward",
    "softmax_forward",
    "softmax_backward",
    "log_softmax_forward",
    "log_softmax_backward",
    "cross_entropy_forward",
    "cross_entropy_backward",
    "bias_add",
    "bias_grad",
    "sgd_step",
    "adam_step",
    "argmax",
)


@runtime_checkable
class KernelTable(Protocol):
    """The entries every backend module provides (see the module docstring for dtypes and errors)."""

    NAME: str
    """The backend's name in the registry: "numpy", "cpu", "numba", "cuda" or "cupy"."""

    DEVICE: str
    """The device its arrays live on: "cpu" or "cuda"."""

    xp: Any
    """The array namespace for the generic elementwise work of autograd (numpy, cupy, or the
    cuda backend's DeviceNamespace): xp.exp, xp.where, xp.sum, ... on this backend's arrays."""

    VARIANTS: dict
    """kind ("matmul", "softmax") -> the tuple of variant names the `variant=` argument takes."""

    DEFAULT_VARIANT: dict
    """kind -> the variant used when variant=None (None: chosen by size at call time)."""

    def asarray(self, a, dtype=None) -> Array:
        """Host data (array, list, scalar) -> this backend's array, optionally cast to dtype."""

    def to_numpy(self, a) -> Any:
        """This backend's array -> numpy.ndarray (a device-to-host copy on the GPU)."""

    def matmul(self, a, b, trans_a: bool = False, trans_b: bool = False, variant: str | None = None) -> Array:
        """C = op(a) @ op(b), op(x) = x.T when its flag is set (never materialised).

        a, b: 2-D float32. Returns (M, N) float32 where op(a) is (M, K) and op(b) is (K, N).
        ValueError: a or b not 2-D, inner dimensions differ (the message names both
        shapes), unknown variant. TypeError: not an array, wrong dtype.
        """

    def relu_forward(self, x) -> Array:
        """y = max(x, 0) elementwise, any shape; NaN propagates (as torch.relu)."""

    def relu_backward(self, grad_output, x) -> Array:
        """grad_x = grad_output where x > 0, else 0; x is relu's input (or output); same shapes
        (ValueError otherwise)."""

    def softmax_forward(self, x, variant: str | None = None) -> Array:
        """Row-wise softmax of a 2-D (rows, cols) array; ValueError for another rank."""

    def softmax_backward(self, grad_output, output) -> Array:
        """grad_x = y * (g - sum(g * y, row)) from softmax's output y; g and y (rows, cols), same shape."""

    def log_softmax_forward(self, x) -> Array:
        """Row-wise log_softmax of a 2-D array: x - max - log(sum(exp(x - max)))."""

    def log_softmax_backward(self, grad_output, output) -> Array:
        """grad_x = g - exp(y) * sum(g, row) from log_softmax's output y; same shapes."""

    def cross_entropy_forward(self, logits, targets) -> Array:
        """Per-sample losses (rows,) float32: logsumexp(logits[i]) - logits[i, targets[i]].

        logits (rows, classes); targets (rows,) integer. TypeError: targets not integer.
        ValueError: targets not of shape (rows,). IndexError: a target outside [0, classes)
        ("Target 7 is out of bounds (for 5 classes).", naming the smallest target when it is
        negative, else the largest).
        """

    def cross_entropy_backward(self, logits, targets, grad_losses) -> Array:
        """grad_logits (rows, classes) = (softmax(logits) - onehot(targets)) * grad_losses[:, None].

        Same checks as cross_entropy_forward, and grad_losses must be (rows,) (ValueError).
        """

    def bias_add(self, x, bias) -> Array:
        """y = x + bias[None, :] for x (rows, cols) and bias (cols,); ValueError otherwise."""

    def bias_grad(self, grad_output) -> Array:
        """grad_bias (cols,) = grad_output.sum(axis=0) of a 2-D (rows, cols) array."""

    def sgd_step(
        self,
        param,
        grad,
        momentum_buffer,
        lr,
        momentum=0.0,
        dampening=0.0,
        weight_decay=0.0,
        nesterov=False,
        first_step=False,
    ) -> None:
        """torch.optim.SGD's update of one parameter, in place on param (and momentum_buffer).

        grad and momentum_buffer have param's shape. momentum_buffer may be None only when
        momentum == 0 (ValueError otherwise); first_step: the buffer is set to the gradient
        (torch's first step) instead of being decayed. ValueError: a read-only param/buffer.
        """

    def adam_step(
        self, param, grad, exp_avg, exp_avg_sq, step, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0
    ) -> None:
        """torch.optim.Adam's update (bias-corrected, L2 weight decay), in place on param,
        exp_avg and exp_avg_sq (all of param's shape). step counts from 1 (ValueError below)."""

    def argmax(self, x) -> Array:
        """Row-wise argmax (rows,) int64 of a 2-D array; the first maximum wins, NaN counts as
        the maximum (as torch). ValueError: a row with no columns (rows > 0, cols == 0)."""

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
and set_num_threads (cpu, numba), simd_path and cache_sizes (cpu), synchronize, memory_stats,
empty_cache (cuda), ndarray (the GPU array type), and the kernels of OPTIONAL_FUNCTIONS: the
Linear layer's matmul_bias and its fusions with a ReLU, matmul_bias_relu and matmul_relu_mask
(numpy, cpu, numba), the batched product matmul_batched (numpy, cpu),
the batch gather take_rows and the multi-tensor
optimizer steps sgd_step_multi and adam_step_multi (numpy, cpu, numba) and adadelta_step_multi
(numpy, cpu), and the batch loss
pair cross_entropy_reduced and cross_entropy_backward_scaled and the two in one call,
cross_entropy_reduced_grad (numpy, cpu, numba), the normalizations' standardize_forward and
standardize_backward (numpy, cpu), and GELU's gelu_forward and gelu_backward (numpy, cpu):

    matmul_bias(a, b, bias, trans_a=False, trans_b=False) -> array
        op(a) @ op(b) + bias[None, :] with matmul's and bias_add's checks and messages; the
        result is that of matmul then bias_add, bit for bit (the cpu backend adds the bias in
        the GEMM's epilogue, the numba one in its x @ W.T kernel's: one call and no second
        pass over the output).

    matmul_bias_relu(a, b, bias, trans_a=False, trans_b=False) -> array
        relu(op(a) @ op(b) + bias[None, :]), bias may be None: matmul_bias (or matmul) then
        relu_forward, bit for bit -- nn.Sequential's Linear followed by a ReLU
        (autograd/fused.py, linear_relu); the cpu backend applies both in the epilogue, numba
        in its x @ W.T kernel's.

    matmul_relu_mask(a, b, relu_output, trans_a=False, trans_b=False) -> array
        op(a) @ op(b) zeroed where relu_output (of the product's shape) <= 0: matmul then
        relu_backward, bit for bit, ValueError for a relu_output of another shape -- the
        input gradient of a Linear whose input is a ReLU's output (fused.py, Linear._masks_for).

    matmul_batched(a, b, trans_a=False, trans_b=False) -> array
        c[i] = op(a[i]) @ op(b[i]) for 3-D arrays holding the same number of matrices, each
        c[i] what matmul would give for the pair; ValueError for different batch sizes or
        inner dimensions. One call per batched product (attention scores, bmm) instead of one
        per matrix (autograd/fused.py, MatMul).

    take_rows(a, index) -> array
        a[index] along axis 0 for an array of any dtype and at least 1 dimension and a 1-D
        integer index (negative entries wrap): a fresh array. TypeError for an index that is
        not an integer array, ValueError for a 0-d a or an index that is not 1-D, IndexError
        ("index 7 is out of bounds for dimension 0 with size 5", PyTorch's words, naming the
        first bad entry). Tensor indexing uses it for a batch of rows (autograd/shape.py,
        Index); the cpu and numba backends split the rows over threads, because a gather
        from a large array waits on memory for every row (csrc/cpu/gather.cpp).

    sgd_step_multi(params, grads, momentum_buffers, lr, momentum=0.0, dampening=0.0,
                   weight_decay=0.0, nesterov=False, first_step=False) -> None
        sgd_step over equal-length lists of arrays (momentum_buffers None when momentum
        == 0), with the same checks and messages (the cpu backend checks every array before
        it updates any); the results are those of sgd_step per parameter, bit for bit. The cpu backend runs it
        as one call into C++ (the optimizer's step is one call, not one per parameter).
    adam_step_multi(params, grads, exp_avgs, exp_avg_sqs, steps, lr, beta1=0.9, beta2=0.999,
                    eps=1e-8, weight_decay=0.0) -> None
        adam_step over equal-length lists (steps: one count per parameter), the same way.
    adadelta_step_multi(params, grads, square_avgs, acc_deltas, lr, rho=0.9, eps=1e-6,
                        weight_decay=0.0, maximize=False) -> None
        torch.optim.Adadelta's update in place over equal-length lists. The NumPy form
        (backends/adadelta_xp.py, ~16 array passes per parameter) is the reference, and what
        optim/adadelta.py runs on backends without this entry; the cpu backend's is one fused
        pass per element, equal to it up to float32 rounding (it may contract a multiply-add).

    cross_entropy_reduced(logits, targets, mean=True) -> 0-d array
        The mean (mean=False: the sum) of cross_entropy_forward's losses, with its checks and
        messages; the mean of no rows is NaN. F.cross_entropy's 'mean' and 'sum' use it, so
        the training step builds no (rows,) array and runs no NumPy reduction for its loss
        (the cpu backend sums in float64 in row order; NumPy's pairwise float32 sum agrees
        to rounding).
    cross_entropy_backward_scaled(logits, targets, scale) -> array
        cross_entropy_backward with every grad_losses entry equal to the number `scale` (the
        reduced loss's gradient, divided by the rows for 'mean'), bit for bit.
    cross_entropy_reduced_grad(logits, targets, mean=True) -> (0-d array, array)
        (cross_entropy_reduced, cross_entropy_backward_scaled with scale 1 / rows for the mean,
        1 for the sum or no rows), bit for bit: the loss and its gradient for a backward from 1
        (loss.backward()), which F.cross_entropy computes in forward when the logits require
        grad (autograd/fused.py, CrossEntropy).

    standardize_forward(x, outer, inner, eps, weight=None, bias=None, per_inner=False)
            -> (y, mean, var, rstd)
        The core of batch / layer / group / instance norm (numpy, cpu): x (float32 or float64,
        any layout; the only entries the cpu backend also takes in float64) viewed as (outer,
        stats, inner); per statistic s the mean and biased variance over its outer * inner
        elements (1-D arrays of stats entries), rstd = 1 / sqrt(var + eps) and y = (x - mean) *
        rstd * weight[s % len] + bias[s % len] in x's shape (weight, bias: None or 1-D of x's
        dtype, a length dividing stats: batch_norm's channels); per_inner: weight[c] and
        bias[c] for x[a, s, c], inner entries each (layer_norm's). ValueError for outer or
        inner < 1, a size they do not divide, or a parameter of another length.
        autograd/norm.py's Standardize and StandardizeAffine call it where the dims line up.
    standardize_backward(grad_output, x, mean, rstd, outer, inner, weight=None, per_inner=False)
            -> (dx, sum_g, sum_gxhat)
        dx = w * rstd * (g - mean(g) - xhat * mean(g * xhat)) per statistic, xhat recomputed
        from x, w as in forward (1 without one): the input gradient of standardize_forward's
        y; and per statistic sum(g) and sum(g * xhat), the bias's and weight's gradients before
        the statistics of one channel are added (per_inner: per inner element, over all rows:
        layer_norm's bias and weight gradients).

    gelu_forward(x, approximate="none") -> array
        x Phi(x), Phi the standard normal CDF (approximate="tanh": 0.5 x (1 + tanh(sqrt(2/pi)
        (x + 0.044715 x^3))), torch's), any shape; ValueError for another approximate ("unknown
        gelu variant"). The numpy form (backends/special_xp.py, erfc in float64) is the reference
        and what autograd/activation.py runs on backends without the entry; the cpu backend's is
        one C++ pass in float32 (csrc/cpu/gelu.cpp), within a few float32 ulps of it.
    gelu_backward(grad_output, x, approximate="none") -> array
        grad_output * gelu'(x) for x as it is now (torch's GeluBackward0 reads the saved input),
        same shapes (ValueError otherwise).
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
# The convolution and pooling entries (see "Convolution and pooling" in KernelTable).
CONV_FUNCTIONS = (
    "conv2d_forward",
    "conv2d_backward_input",
    "conv2d_backward_weight",
    "conv2d_backward_bias",
    "max_pool2d_forward",
    "max_pool2d_backward",
    "avg_pool2d_forward",
    "avg_pool2d_backward",
    "adaptive_avg_pool2d_forward",
    "adaptive_avg_pool2d_backward",
)
FUNCTIONS = FUNCTIONS + CONV_FUNCTIONS
# The optional kernels (documented above): callers test for them with hasattr and fall back
# to the entries of FUNCTIONS; the profiler records them like every other kernel.
OPTIONAL_FUNCTIONS = (
    "matmul_bias",
    "matmul_bias_relu",
    "matmul_relu_mask",
    "matmul_batched",
    "take_rows",
    "sgd_step_multi",
    "adam_step_multi",
    "adadelta_step_multi",
    "cross_entropy_reduced",
    "cross_entropy_backward_scaled",
    "cross_entropy_reduced_grad",
    "standardize_forward",
    "standardize_backward",
    "gelu_forward",
    "gelu_backward",
)
# The kinds of VARIANTS and DEFAULT_VARIANT: every backend has exactly these keys.
VARIANT_KINDS = ("matmul", "softmax", "conv2d")


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
    """kind ("matmul", "softmax", "conv2d": VARIANT_KINDS) -> the tuple of variant names the
    `variant=` argument takes. "conv2d" names the rungs of the convolution ladder; all four conv2d
    entries take every one of them (see "Convolution and pooling")."""

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
        ("Target 7 is out of bounds.", torch's words, naming the first such target).
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

    # ------------------------------------------------------------------------- convolution and pooling
    # Arrays NCHW; the compiled and GPU tables take float32 only, the numpy reference also float64.
    # Any strides are accepted. Tuples are (h, w) pairs; an int means the same for both. Padding
    # is symmetric (the layer above resolves "same"/"valid"). Errors (pyneuro/backends/_conv_checks.py,
    # one function and one message per check, torch's words; all of them are RuntimeErrors, as
    # torch raises): ShapeError / ArgumentError (ValueError) for ranks, shapes and parameters that
    # do not fit, DTypeError (TypeError) for dtypes, IndexRangeError (IndexError) for max-pool
    # indices outside the input plane; TypeError for a non-array; ValueError for an unknown variant.
    #
    # Variants: VARIANTS["conv2d"] lists the backend's rungs (numpy: numpy; cpu: direct, im2col,
    # implicit; numba: direct, channels, im2col; cuda, cupy: naive, tiled). The forward and both
    # backward entries accept every name in it, so a caller passes one variant to all three (a
    # rung that exists for the forward pass only would run the backend's best backward rung in the
    # backward entries; none does now). None picks DEFAULT_VARIANT["conv2d"] (None there: chosen
    # by shape at call time).

    def conv2d_forward(
        self, x, w, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None
    ) -> Array:
        """y[N, O, Ho, Wo] = conv2d(x, w) + bias (torch.nn.functional.conv2d).

        x [N, C, H, W], w [O, C/groups, kH, kW], bias [O] or None, all of one float dtype.
        Ho = (H + 2*ph - dh*(kH-1) - 1) // sh + 1, the same for Wo.
        Raises (torch's messages): x not 4-D, w not 4-D, C != w.shape[1] * groups, O % groups,
        a kernel of size 0, the dilated kernel larger than the padded input, stride/dilation < 1,
        padding < 0, groups < 1, a bias that is not [O] (ShapeError / ArgumentError); dtypes
        other than float32 (numpy: float32/float64) or that differ (DTypeError).
        """

    def conv2d_backward_input(
        self, grad_y, w, input_shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None
    ) -> Array:
        """grad_x [N, C, H, W] = input_shape of conv2d, from grad_y [N, O, Ho, Wo] and w.

        The forward entry's checks on input_shape and w's shape, and grad_y must have the forward
        output's shape (ShapeError naming both)."""

    def conv2d_backward_weight(
        self, grad_y, x, weight_shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None
    ) -> Array:
        """grad_w [O, C/groups, kH, kW] = weight_shape of conv2d, from grad_y [N, O, Ho, Wo] and x.

        The forward entry's checks on x and weight_shape, and grad_y must have the forward
        output's shape (ShapeError)."""

    def conv2d_backward_bias(self, grad_y) -> Array:
        """grad_b [O] = grad_y summed over N, Ho, Wo; grad_y 4-D (ShapeError otherwise)."""

    def max_pool2d_forward(self, x, kernel, stride=None, padding=(0, 0), dilation=(1, 1), ceil_mode=False):
        """(y, indices) of torch.nn.functional.max_pool2d(..., return_indices=True).

        x [N, C, H, W]; stride None: the kernel. y [N, C, Ho, Wo] in x's dtype; indices int64 of
        y's shape, the flat index h*W + w of the maximum in its (unpadded) input plane. Ties: the
        first maximum in row-major window order wins; a NaN in the window is the maximum; padding
        is -inf and never selected. ceil_mode: torch's output size (the last window starts inside
        the input or its left padding). Raises (torch's messages): x not 4-D, C/H/W == 0,
        kernel/stride/dilation < 1, padding < 0 or > half the effective kernel, an output smaller
        than 1 (ShapeError / ArgumentError); a dtype (DTypeError).
        """

    def max_pool2d_backward(self, grad_y, indices, input_shape) -> Array:
        """grad_x [input_shape] = grad_y scatter-added at indices (overlapping windows add up).

        grad_y and int64 indices of one shape [N, C, Ho, Wo] matching input_shape's N and C
        (ShapeError / DTypeError); an index outside [0, H*W) raises IndexRangeError."""

    def avg_pool2d_forward(
        self,
        x,
        kernel,
        stride=None,
        padding=(0, 0),
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ) -> Array:
        """torch.nn.functional.avg_pool2d: window sums over zero padding / the divisor (the window
        clipped to the padded input, and to the input unless count_include_pad, or
        divisor_override). The pooling checks of max_pool2d_forward (dilation 1), and
        divisor_override == 0 (ArgumentError)."""

    def avg_pool2d_backward(
        self,
        grad_y,
        input_shape,
        kernel,
        stride=None,
        padding=(0, 0),
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ) -> Array:
        """grad_x [input_shape]: every input of a window gets grad_y / the window's divisor (+=).
        The forward checks on input_shape, and grad_y must have the forward output's shape."""

    def adaptive_avg_pool2d_forward(self, x, output_size) -> Array:
        """torch.nn.functional.adaptive_avg_pool2d: y[..., i, j] = mean of x over rows
        floor(i*H/oh) .. ceil((i+1)*H/oh), the same for columns. output_size (oh, ow) >= 0; x 4-D
        with C, H, W > 0 (torch's messages)."""

    def adaptive_avg_pool2d_backward(self, grad_y, input_shape) -> Array:
        """grad_x [input_shape]: every input of window (i, j) gets grad_y[..., i, j] / its size
        (+=, windows may overlap); grad_y [N, C, oh, ow] with input_shape's N and C."""

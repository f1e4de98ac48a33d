"""pyneuro.lab: checks for the labs' exercises, and the kernel lab's checker and timers.

For exercise check cells (each raises CheckFailed, an AssertionError, on a wrong answer,
with a report that says what was expected, what came back and, where the numbers show
it, which mistake it looks like):

* check_function(fn, reference, cases, mistakes=...): fn against a reference on cases;
* check_close(got, expected, mistakes=...): one value (number, tensor, tuple);
* check_shape(got, expected) / check_shapes(predicted, actual): shape predictions;
* check_backward(MyFunction, [(4, 3)]): a hand-written backward against finite differences;
* check_training(train_one_epoch): a training loop's outcome and its mechanics
  (zero_grad / backward / step once per batch).

For the kernel lab (these report, never raise): check_kernel(fn, "softmax") on awkward
inputs against the NumPy reference backend; median_time / min_time to time a call.

    >>> import pyneuro as pn
    >>> import pyneuro.functional as F
    >>> from pyneuro import lab
    >>> def mse(pred, target):
    ...     return ((pred - target) ** 2).sum()          # a .mean() forgotten
    >>> report = lab.check_function(mse, F.mse_loss, [(pn.ones(4), pn.zeros(4))], raises=False)
    >>> report.passed
    False
    >>> print(report.hint)
    your answer is 4 times the expected one, and 4 is a size of the input: a .sum() where .mean() belongs (did you forget .mean() or to divide by N?)
"""

from __future__ import annotations

from .checks import CheckFailed, CheckReport, check_close, check_function, check_shape, check_shapes
from .gradients import check_backward
from .kernels import KERNELS, CaseResult, KernelReport, check_kernel, median_time, min_time
from .training import check_training

__all__ = [
    "KERNELS",
    "CaseResult",
    "CheckFailed",
    "CheckReport",
    "KernelReport",
    "check_backward",
    "check_close",
    "check_function",
    "check_kernel",
    "check_shape",
    "check_shapes",
    "check_training",
    "median_time",
    "min_time",
]

"""pyneuro.lab's exercise checks: each must pass the right answer and catch plausible wrong ones.

Every check is fed the right solution (it must pass and return a report) and the wrong
solutions students actually write: a forgotten .mean(), a sign error, the wrong axis, a
factor of 2, a transposed result, a backward that ignores grad_output, a training loop
without zero_grad / backward / step. Each wrong one must fail with a message that names
the mistake, not only "wrong".
"""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn
import pyneuro.functional as F
from pyneuro import lab
from pyneuro.autograd import Function


def _cases():
    pn.manual_seed(0)
    return {
        "batch of 4": (pn.randn(4, 3), pn.tensor([0, 2, 1, 1])),
        "batch of 1": (pn.randn(1, 5), pn.tensor([3])),
        "batch of 7": (pn.randn(7, 10) * 5, pn.randint(0, 10, (7,))),
    }


def right_cross_entropy(logits, targets):
    return -F.log_softmax(logits, dim=1)[pn.arange(logits.shape[0]), targets].mean()


def cross_entropy_without_mean(logits, targets):
    return -F.log_softmax(logits, dim=1)[pn.arange(logits.shape[0]), targets].sum()


def cross_entropy_wrong_sign(logits, targets):
    return F.log_softmax(logits, dim=1)[pn.arange(logits.shape[0]), targets].mean()


def failure(check, *args, **kwargs) -> str:
    with pytest.raises(lab.CheckFailed) as info:
        check(*args, **kwargs)
    assert isinstance(info.value, AssertionError)  # an nbgrader test cell fails on it
    return str(info.value)


# ----------------------------------------------------------------------------- check_function
def test_check_function_passes_the_right_answer():
    report = lab.check_function(right_cross_entropy, F.cross_entropy, _cases())
    assert report.passed
    assert "3/3 cases match" in str(report) and "FAIL" not in str(report)


def test_missing_mean_is_named_with_the_factor():
    text = failure(lab.check_function, cross_entropy_without_mean, F.cross_entropy, _cases())
    assert "1/3 cases match" in text  # on the batch of 1 the sum *is* the mean: that case passes
    assert "4 times the expected one" in text and "forget .mean()" in text


def test_batch_of_one_alone_cannot_tell_sum_from_mean():
    # which is why the exercises' cases always include batches of several sizes
    report = lab.check_function(
        cross_entropy_without_mean, F.cross_entropy, {"batch of 1": _cases()["batch of 1"]}, raises=False
    )
    assert report.passed


def test_sign_error_is_named():
    text = failure(lab.check_function, cross_entropy_wrong_sign, F.cross_entropy, _cases())
    assert "exactly the negative" in text and "sign error" in text


def test_wrong_axis_is_named_through_a_known_mistake():
    def softmax_dim0(z):
        return F.softmax(z, dim=0)

    mistakes = {"softmax over dim=0 (down the batch) instead of dim=1": softmax_dim0}
    cases = [pn.randn(3, 4), pn.randn(5, 2)]
    text = failure(lab.check_function, softmax_dim0, lambda z: F.softmax(z, dim=1), cases, mistakes=mistakes)
    assert "hint: softmax over dim=0" in text
    # the known mistake is not held against the right answer
    assert lab.check_function(
        lambda z: F.softmax(z, dim=1), lambda z: F.softmax(z, dim=1), cases, mistakes=mistakes
    ).passed


def test_overflow_nan_transpose_none_and_exceptions():
    def naive_softmax(z):
        e = z.exp()
        return e / e.sum(dim=1, keepdim=True)

    text = failure(
        lab.check_function, naive_softmax, lambda z: F.softmax(z, dim=1), [pn.tensor([[1000.0, 0.0]])]
    )
    assert "NaN or inf" in text and "subtract the maximum" in text
    text = failure(
        lab.check_function, lambda a, b: (a @ b).T, lambda a, b: a @ b, [(pn.randn(2, 3), pn.randn(3, 4))]
    )
    assert "transpose" in text
    text = failure(lab.check_function, lambda x: None, lambda x: x, [pn.ones(2)])
    assert "forget `return`" in text

    def crashes(x):
        raise IndexError("index 5 is out of bounds")

    text = failure(lab.check_function, crashes, lambda x: x, [pn.ones(2)])
    assert "raised IndexError: index 5 is out of bounds" in text


def test_reduction_over_everything_is_a_shape_hint():
    text = failure(lab.check_function, lambda x: x.sum(), lambda x: x.sum(dim=1), [pn.ones(3, 4)])
    assert "single number" in text and "dim=" in text


def test_not_implemented_propagates():
    def unanswered(x):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        lab.check_function(unanswered, lambda x: x, [pn.ones(2)])


def test_inputs_are_copied_for_each_call():
    def modifies_its_input(x):
        x.numpy()[...] = 0.0
        return x.sum()

    x = pn.ones(3)
    report = lab.check_function(modifies_its_input, lambda t: t.sum() * 0, [x], raises=False)
    assert report.passed and float(x.sum().item()) == 3.0


def test_tuples_are_compared_entry_by_entry():
    def grads(x):
        return x * 2, x.sum()

    def wrong_second(x):
        return x * 2, -x.sum()

    assert lab.check_function(grads, grads, [pn.randn(3)]).passed
    text = failure(lab.check_function, wrong_second, grads, [pn.randn(3) + 5])
    assert "output[1]" in text and "sign error" in text
    text = failure(lab.check_function, lambda x: x * 2, grads, [pn.randn(3)])
    assert "expected 2 values" in text


# ----------------------------------------------------------------------------- check_close / shapes
def test_check_close_with_mistakes_and_sizes():
    assert lab.check_close(0.23, 0.2300001).passed
    text = failure(lab.check_close, 2.3, 0.23, sizes=[10], name="loss")
    assert "10 times the expected" in text
    text = failure(
        lab.check_close,
        1.0 / 3**0.5,
        2**0.5,
        name="std",
        mistakes={"used fan_out instead of fan_in": 1.0 / 3**0.5},
    )
    assert "hint: used fan_out" in text
    with pytest.raises(NotImplementedError):  # not a check problem: the same as any code
        raise NotImplementedError


def test_check_shapes_reports_each_wrong_prediction():
    actual = {"x + b": pn.zeros(4, 3), "x.sum(dim=0)": pn.zeros(3), "x.T": (3, 4)}
    assert lab.check_shapes({"x + b": (4, 3), "x.sum(dim=0)": (3,), "x.T": (3, 4)}, actual).passed
    text = failure(lab.check_shapes, {"x + b": (4, 3), "x.sum(dim=0)": (4,), "x.T": (4, 3)}, actual)
    assert "x.sum(dim=0): you predicted (4,), actual (3,)" in text
    assert "x.T: you predicted (4, 3), actual (3, 4)" in text and "transpose" in text
    text = failure(lab.check_shapes, {"x + b": ...}, {"x + b": (4, 3)})
    assert "no prediction" in text
    assert lab.check_shape(pn.zeros(2, 5), (2, 5)).passed
    assert "keepdim" in failure(lab.check_shape, (2, 1), (2,))


# ----------------------------------------------------------------------------- check_backward
class Sigmoid(Function):
    def forward(self, x):
        s = 1.0 / (1.0 + np.exp(-x))
        self.saved = (s,)
        return s

    def backward(self, grad_output):
        (s,) = self.saved
        return (grad_output * s * (1 - s),)


class SigmoidIgnoresGradOutput(Sigmoid):
    def backward(self, grad_output):
        (s,) = self.saved
        return (s * (1 - s),)


class SigmoidWrongSign(Sigmoid):
    def backward(self, grad_output):
        (s,) = self.saved
        return (-grad_output * s * (1 - s),)


class Square(Function):
    def forward(self, x):
        self.saved = (x,)
        return x * x

    def backward(self, grad_output):
        (x,) = self.saved
        return (grad_output * x,)  # the 2 is missing


class MatMul(Function):
    def forward(self, a, b):
        self.saved = (a, b)
        return a @ b

    def backward(self, grad_output):
        a, b = self.saved
        return grad_output @ b.T, a.T @ grad_output


class MatMulTransposedGrad(MatMul):
    def backward(self, grad_output):
        a, b = self.saved
        return grad_output @ b.T, grad_output.T @ a


def test_check_backward_passes_right_backwards():
    assert lab.check_backward(Sigmoid, [(4, 3)], reference=pn.sigmoid).passed
    report = lab.check_backward(MatMul, [(3, 4), (4, 2)], reference=pn.matmul)
    assert report.passed and str(report).count("matches finite differences") == 2


def test_check_backward_names_each_mistake():
    text = failure(lab.check_backward, SigmoidIgnoresGradOutput, [(4, 3)])
    assert "ignores grad_output" in text
    assert "sign error" in failure(lab.check_backward, SigmoidWrongSign, [(4, 3)])
    assert "factor of 2" in failure(lab.check_backward, Square, [(5,)])
    text = failure(lab.check_backward, MatMulTransposedGrad, [(3, 4), (4, 2)])
    assert "ok    gradient of input 0" in text and "gradient of input 1 (4x2): shape (2, 4)" in text
    assert "transpose" in text


def test_check_backward_compares_the_forward_with_a_reference():
    text = failure(lab.check_backward, Square, [(5,)], reference=lambda x: x * x * 2)
    assert "forward" in text


def test_check_backward_agrees_with_torch_on_a_plain_function():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal((3, 4))
    report = lab.check_backward(lambda t: F.log_softmax(t, dim=1), [x])
    assert report.passed
    # the check's own float64 finite differences are what torch's autograd gives too
    tx = torch.tensor(x, requires_grad=True)
    v = torch.tensor(np.random.default_rng(2).standard_normal((3, 4)))
    (torch.log_softmax(tx, dim=1) * v).sum().backward()
    px = pn.tensor(x, dtype=pn.float64, requires_grad=True)
    (F.log_softmax(px, dim=1) * pn.tensor(v.numpy(), dtype=pn.float64)).sum().backward()
    np.testing.assert_allclose(px.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- check_training
def loop_right(model, loader, loss_fn, optimizer):
    for inputs, targets in loader:
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def loop_zero_grad_last(model, loader, loss_fn, optimizer):
    for inputs, targets in loader:
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
        model.zero_grad()


def loop_no_zero_grad(model, loader, loss_fn, optimizer):
    for inputs, targets in loader:
        loss_fn(model(inputs), targets).backward()
        optimizer.step()


def loop_step_once_per_epoch(model, loader, loss_fn, optimizer):
    optimizer.zero_grad()
    for inputs, targets in loader:
        loss_fn(model(inputs), targets).backward()
    optimizer.step()


def loop_no_backward(model, loader, loss_fn, optimizer):
    for inputs, targets in loader:
        loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        optimizer.step()


def loop_gradient_ascent(model, loader, loss_fn, optimizer):
    for inputs, targets in loader:
        loss = -loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_check_training_passes_right_loops(task):
    for loop in (loop_right, loop_zero_grad_last):
        report = lab.check_training(loop, task=task)
        assert report.passed, str(report)


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize(
    "loop, words",
    [
        (loop_no_zero_grad, "call optimizer.zero_grad() every batch"),
        (loop_step_once_per_epoch, "once per batch"),
        (loop_no_backward, "loss.backward() must run before optimizer.step()"),
        (loop_gradient_ascent, "uphill"),
    ],
)
def test_check_training_names_each_broken_loop(task, loop, words):
    text = failure(lab.check_training, loop, task=task)
    assert words in text


def test_check_training_never_called_step_and_bad_task():
    def no_step(model, loader, loss_fn, optimizer):
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss_fn(model(inputs), targets).backward()

    assert "never called" in failure(lab.check_training, no_step)
    with pytest.raises(ValueError, match="task"):
        lab.check_training(loop_right, task="ranking")


def test_check_training_lets_the_loops_own_errors_through():
    def broken(model, loader, loss_fn, optimizer):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        lab.check_training(broken)


def test_reports_are_printable():
    report = lab.check_function(right_cross_entropy, F.cross_entropy, _cases())
    assert repr(report) == str(report) and str(report).startswith("check_function(right_cross_entropy)")

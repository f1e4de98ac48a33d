"""The two binary cross-entropies as one node each, forward and backward side by side, with
torch's formulas (aten/src/ATen/native/Loss.cpp and its derivatives):

    binary_cross_entropy(p, y)               loss = -(y max(log p, -100) + (1 - y) max(log(1 - p), -100))
        d/dp = (p - y) / max(p (1 - p), 1e-12)          d/dy = log(1 - p) - log p
    binary_cross_entropy_with_logits(z, y)   loss = (1 - y) z - w+ log sigmoid(z),  w+ = 1 + (pos_weight - 1) y
        d/dz = w+ sigmoid(z) - pos_weight y             d/dy = log sigmoid(-z) - pos_weight log sigmoid(z)
        (without pos_weight: d/dz = sigmoid(z) - y,     d/dy = -z)

Each loss is times `weight` where given, then reduced ('mean', 'sum' or 'none') in the same
node, as torch's BinaryCrossEntropyBackward0 / BinaryCrossEntropyWithLogitsBackward0 are. Why
one node: logistic regression's loss written as Tensor ops (log, clamp, mul, sub, mean and the
range checks) walked a dozen nodes for a 100x1 batch, each a few microseconds of Python; here
forward is a few NumPy passes and backward one formula (the course's logistic-regression step
on 100x3 data: about twice torch's time before, under it after).

Backward reads the inputs as they are when it runs (torch's nodes save self and target), so a
`.data` change between forward and backward counts as in torch. weight and pos_weight are not
differentiable (torch's neither): the functional passes them as arrays, and watches their
versions. The create_graph rules (graph_rules_more.py) write the same derivatives in Tensor ops.
"""

from __future__ import annotations

from .activation import log_sigmoid
from .function import Function, _errstate


def _reduced(losses, reduction: str):
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return total
    return total / losses.size if losses.size else total * float("nan")  # (torch: the mean of none is nan)


def _elementwise_grad(g, reduction: str, n: int):
    """The gradient of each element's loss: g itself ('none'), or g spread over n elements."""
    return g if reduction == "none" else g / n if reduction == "mean" and n else g


class BinaryCrossEntropy(Function):
    """The binary cross-entropy of probabilities p and targets y (the module docstring's formulas)."""

    __slots__ = ()
    saved_for = ((0, 1), (0,))  # p's gradient reads p and y, y's reads p

    def forward(self, p, y, weight=None, reduction="mean"):
        xp = self.bk.xp
        with _errstate(xp):
            log_p = xp.maximum(xp.log(p), -100.0)
            log_q = xp.maximum(xp.log1p(-p), -100.0)
            losses = (y - 1) * log_q - y * log_p  # (torch's kernel's order)
        if weight is not None:
            losses = losses * weight
        self.saved = (p, y, weight, reduction)
        return _reduced(losses.astype(p.dtype, copy=False), reduction)

    def backward(self, g):
        p, y, weight, reduction = self.saved
        xp = self.bk.xp
        ge = _elementwise_grad(g, reduction, p.size)
        if weight is not None:
            ge = ge * weight
        with _errstate(xp):
            gp = ge * (p - y) / xp.maximum(p * (1 - p), 1e-12) if self.needs[0] else None
            gy = ge * (xp.log1p(-p) - xp.log(p)) if self.needs[1] else None
        return (
            None if gp is None else gp.astype(p.dtype, copy=False),
            None if gy is None else gy.astype(y.dtype, copy=False),
        )


class BinaryCrossEntropyWithLogits(Function):
    """The binary cross-entropy of logits z and targets y (the module docstring's formulas); the
    loss has y's dtype, as torch computes it in place on (1 - y)."""

    __slots__ = ()
    saved_for = ((0, 1), (0,))  # z's gradient reads z and y, y's reads z

    def forward(self, z, y, weight=None, pos_weight=None, reduction="mean"):
        xp = self.bk.xp
        with _errstate(xp):
            ls = log_sigmoid(xp, z)
            if pos_weight is not None:
                ls = ls * ((pos_weight - 1) * y + 1)
            losses = (1 - y) * z - ls
        if weight is not None:
            losses = losses * weight
        self.saved = (z, y, weight, pos_weight, reduction)
        return _reduced(losses.astype(y.dtype, copy=False), reduction)

    def backward(self, g):
        z, y, weight, pos_weight, reduction = self.saved
        xp = self.bk.xp
        ge = _elementwise_grad(g, reduction, z.size)
        if weight is not None:
            ge = ge * weight
        gz = gy = None
        with _errstate(xp):
            if self.needs[0]:
                s = 1 / (1 + xp.exp(-z))
                if pos_weight is None:
                    gz = ge * (s - y)
                else:
                    t = pos_weight * y
                    gz = ge * ((t + 1 - y) * s - t)
                gz = gz.astype(z.dtype, copy=False)
            if self.needs[1]:
                if pos_weight is None:
                    gy = ge * -z
                else:
                    gy = ge * (log_sigmoid(xp, -z) - log_sigmoid(xp, z) * pos_weight)
                gy = gy.astype(y.dtype, copy=False)
        return gz, gy


class SoftMarginLoss(Function):
    """log(1 + exp(-y x)) of inputs x and targets y (+-1), log1p of exp as torch's kernel, reduced
    in the node (torch's SoftMarginLossBackward0): d/dx = -y z / (1 + z), z = exp(-y x), read from x
    and y as they are at backward, as torch's node (which saves both) does. y has no gradient."""

    __slots__ = ()
    saved_for = ((0,), (0,))  # x's gradient reads x and y
    index_inputs = (1,)  # (torch's node has no edge to the target)

    def forward(self, x, y, reduction="mean"):
        xp = self.bk.xp
        with _errstate(xp):
            losses = xp.log1p(xp.exp(-x * y))
        self.saved = (x, y, reduction)
        return _reduced(losses.astype(x.dtype, copy=False), reduction)

    def backward(self, g):
        x, y, reduction = self.saved
        xp = self.bk.xp
        with _errstate(xp):
            z = xp.exp(-y * x)
            gx = -y * z / (1 + z) * _elementwise_grad(g, reduction, x.size)
        return gx.astype(x.dtype, copy=False), None

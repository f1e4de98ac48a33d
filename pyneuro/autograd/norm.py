"""Standardize: xhat = (x - mean) / sqrt(var + eps) over some dims, as one node.

It is the core of batch_norm (over N and the spatial dims), layer_norm (the last dims),
group_norm and instance_norm (functional_norm.py); their affine `* weight + bias` stays two
ordinary nodes. m is the number of elements each mean runs over, r = 1 / sqrt(var + eps).

    forward:   mean = sum(x) / m;  c = x - mean;  var = sum(c * c) / m   (biased);  xhat = c / sqrt(var + eps)
    backward:  dx = r * (g - mean(g) - xhat * mean(g * xhat))

The backward is the three terms of d xhat / dx: g itself scaled by r, minus the share every
element has in the mean (mean(g)), minus its share in the variance (xhat * mean(g * xhat)).
Written as a chain of Tensor ops (mean, sub, mul, mean, add, sqrt, div) the same gradient
walked seven nodes, each with a full-size temporary and the reductions of broadcasting;
here it is two reductions and three elementwise passes (BatchNorm2d on a 128x32x16x16 batch,
2 Zen 4 cores: forward 3.8 -> 3.2 ms, backward with the affine part 7.5 -> 5.5 ms; torch's
fused kernels take ~1.5 ms each way).

Backward reads the input (saved, as torch's NativeBatchNormBackward0 does) and recomputes
xhat from it with the saved mean and r: the output is not saved, so an in-place op on it
(BatchNorm2d(affine=False) then ReLU(inplace=True)) is no error, as in torch. Its rule for
create_graph=True (graph_rules.py) recomputes all of it in Tensor ops.
"""

from __future__ import annotations

from .function import Function, _errstate


class Standardize(Function):
    """out = (x - mean) / sqrt(var + eps) over dims (the biased variance); `stats`, a list
    given by the caller, receives (mean, var) as arrays (keepdims) for running statistics."""

    __slots__ = ()
    saved_for = ((0,),)

    def forward(self, x, dims=(), eps=1e-5, stats=None):
        xp = self.bk.xp
        with _errstate(xp):
            mean = x.mean(axis=dims, keepdims=True)
            c = x - mean
            var = (c * c).mean(axis=dims, keepdims=True)
            root = xp.sqrt(var + eps)
            out = c / root
        if stats is not None:
            stats.extend((mean, var))
        self.saved = (x, mean, 1 / root, dims, eps)
        return out

    def backward(self, g):
        x, mean, r, dims, _ = self.saved
        with _errstate(self.bk.xp):
            xhat = (x - mean) * r
            shared = g.mean(axis=dims, keepdims=True) + xhat * (g * xhat).mean(axis=dims, keepdims=True)
            return ((g - shared) * r,)

"""The create_graph=True rules of convolution and pooling (graph_rules.py has the others).

Every backward here is linear in the gradient g (and, for the convolution, in the other
operand), so each one is an op whose own gradient is one of the ops we already have:

    Conv2d            dx = ConvTranspose2d(g, w)            the transposed convolution
                      dw = Conv2dWeightGrad(g, x)           below
    Conv2dWeightGrad  <dw(g, x), v> = <conv2d(x, v), g>, so its gradients are
                      d/dg = Conv2d(x, v),  d/dx = ConvTranspose2d(g, v)
    AvgPool2d         dx = AvgPool2dBackward(g)             whose own gradient is AvgPool2d
    MaxPool2d         dx = g scattered to the argmax positions (IndexPut; its gradient gathers)

so the rules close on themselves: a gradient penalty through a CNN critic (WGAN-GP) or a
Hessian-vector product through a conv net is differentiated to any order.
"""

from __future__ import annotations

from .._tensor_base import _wrap
from ..backends._registry import table_for
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv2d, ConvTranspose2d, MaxPool2d
from .fold import Col2Im, Im2Col
from .function import Function
from .graph_rules import _scatter, rule
from .index import IndexPut
from .reduction import Sum
from .shape import Index, Reshape


def _output_padding(in_hw, k_hw, stride, padding, dilation):
    """The output_padding with which conv_transpose2d gives back the conv input's height/width."""
    return tuple(
        (n + 2 * p - d * (k - 1) - 1) % s for n, k, s, p, d in zip(in_hw, k_hw, stride, padding, dilation)
    )


def _pad(x, pad4):
    """x (N, C, H, W) with zero rows/columns (top, bottom, left, right) added, in the graph."""
    t, b, left, r = pad4
    n, c, h, w = x.shape
    return _scatter(
        x, (n, c, h + t + b, w + left + r), (slice(None), slice(None), slice(t, t + h), slice(left, left + w))
    )


def _crop(g, pad4):
    t, b, left, r = pad4
    return Index.apply(
        g, index=(slice(None), slice(None), slice(t, g.shape[2] - b), slice(left, g.shape[3] - r))
    )


class Conv2dWeightGrad(Function):
    """dw = conv2d_backward_weight(g, x): the weight gradient of a convolution, as an op of its
    own so that it can be differentiated (create_graph=True). Linear in g and in x."""

    __slots__ = ()

    def forward(self, g, x, w_shape=(), args=()):
        self.saved = (g, x, w_shape, args)
        return self.kernels(x).conv2d_backward_weight(g, x, w_shape, *args)

    def backward(self, v):
        g, x, _, args = self.saved
        bk = self.bk
        return (
            bk.conv2d_forward(x, v, None, *args) if self.needs[0] else None,
            bk.conv2d_backward_input(g, v, x.shape, *args) if self.needs[1] else None,
        )

    def name(self) -> str:
        return "ConvolutionBackwardBackward0"


def _conv_kw(args):
    stride, padding, dilation, groups = args
    return {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}


def _transpose(g, w, in_hw, args):
    """conv2d_backward_input(g, w) for a conv input of height/width in_hw, in the graph."""
    stride, padding, dilation, groups = args
    op = _output_padding(in_hw, w.shape[2:], stride, padding, dilation)
    return ConvTranspose2d.apply(
        g, w, None, stride=stride, padding=padding, output_padding=op, dilation=dilation, groups=groups
    )


@rule(Conv2d)
def _conv2d(node, g):
    x, w = node.inputs[:2]
    x_arr, _, args, pad4 = node.saved
    gx = gw = gb = None
    if node.needs[0]:
        gx = _transpose(g, w, x_arr.shape[2:], args)
        if pad4 is not None:
            gx = _crop(gx, pad4)
    if node.needs[1]:
        xp = x if pad4 is None else _pad(x, pad4)
        gw = Conv2dWeightGrad.apply(g, xp, w_shape=tuple(w.shape), args=args)
    if len(node.needs) > 2 and node.needs[2]:
        gb = Sum.apply(g, dim=(0, 2, 3))
    return gx, gw, gb


@rule(Conv2dWeightGrad)
def _conv2d_weight_grad(node, v):
    g, x = node.inputs
    args = node.saved[3]
    return (
        Conv2d.apply(x, v, None, **_conv_kw(args)) if node.needs[0] else None,
        _transpose(g, v, x.shape[2:], args) if node.needs[1] else None,
    )


@rule(ConvTranspose2d)
def _conv_transpose2d(node, g):
    x, w = node.inputs[:2]
    _, _, args, extra = node.saved
    gx = gw = gb = None
    if node.needs[0]:
        gx = Conv2d.apply(g, w, None, **_conv_kw(args))
        if any(extra):
            gx = _crop(gx, (0, extra[0], 0, extra[1]))
    if node.needs[1]:
        xp = _pad(x, (0, extra[0], 0, extra[1])) if any(extra) else x
        gw = Conv2dWeightGrad.apply(xp, g, w_shape=tuple(w.shape), args=args)  # x plays grad_y
    if len(node.needs) > 2 and node.needs[2]:
        gb = Sum.apply(g, dim=(0, 2, 3))
    return gx, gw, gb


@rule(MaxPool2d)
def _max_pool2d(node, g):
    idx, shape = node.saved
    n, c, h, w = shape
    xp = table_for(g, g.device).xp
    index = (xp.arange(n).reshape(-1, 1, 1, 1), xp.arange(c).reshape(1, -1, 1, 1), idx)
    zeros = _wrap(xp.zeros((n, c, h * w), dtype=g._data.dtype), g.device)
    return (Reshape.apply(IndexPut.apply(zeros, g, index=index, accumulate=True), shape=tuple(shape)),)


class AvgPool2dBackward(Function):
    """The gradient of avg_pool2d as an op (linear in g); its own gradient is avg_pool2d."""

    __slots__ = ()
    saves_tensors = False

    def forward(self, g, shape=(), args=()):
        self.saved = (args,)
        return self.kernels(g).avg_pool2d_backward(g, shape, *args)

    def backward(self, v):
        return (self.bk.avg_pool2d_forward(v, *self.saved[0]),)

    def name(self) -> str:
        return "AvgPool2DBackwardBackward0"


@rule(AvgPool2d)
def _avg_pool2d(node, g):
    shape, args = node.saved
    return (AvgPool2dBackward.apply(g, shape=shape, args=args),)


@rule(AvgPool2dBackward)
def _avg_pool2d_backward(node, v):
    return (AvgPool2d.apply(v, *node.saved[0]),)


class AdaptiveAvgPool2dBackward(Function):
    """The gradient of adaptive_avg_pool2d as an op; its own gradient is adaptive_avg_pool2d."""

    __slots__ = ()
    saves_tensors = False

    def forward(self, g, shape=()):
        self.saved = (tuple(g.shape[2:]),)
        return self.kernels(g).adaptive_avg_pool2d_backward(g, shape)

    def backward(self, v):
        return (self.bk.adaptive_avg_pool2d_forward(v, self.saved[0]),)

    def name(self) -> str:
        return "AdaptiveAvgPool2DBackwardBackward0"


@rule(AdaptiveAvgPool2d)
def _adaptive_avg_pool2d(node, g):
    return (AdaptiveAvgPool2dBackward.apply(g, shape=node.saved[0]),)


@rule(AdaptiveAvgPool2dBackward)
def _adaptive_avg_pool2d_backward(node, v):
    return (AdaptiveAvgPool2d.apply(v, node.saved[0]),)


@rule(Im2Col)
def _im2col(node, g):
    """unfold and fold are each other's adjoint: each one's gradient is the other."""
    size, kernel, dilation, padding, stride = node.saved
    return (Col2Im.apply(g, size=size, kernel=kernel, dilation=dilation, padding=padding, stride=stride),)


@rule(Col2Im)
def _col2im(node, g):
    kernel, dilation, padding, stride = node.saved
    return (Im2Col.apply(g, kernel=kernel, dilation=dilation, padding=padding, stride=stride),)

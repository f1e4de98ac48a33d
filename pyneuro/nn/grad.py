"""torch.nn.grad (also torch.nn.functional.grad): the gradients of a convolution with respect to
its input and to its weight, as functions, for checking a hand-derived backward pass:

    grad_x = torch.nn.grad.conv2d_input(x.shape, w, grad_y, stride, padding)
    grad_w = torch.nn.grad.conv2d_weight(x, w.shape, grad_y, stride, padding)

Each runs the convolution forward on a stand-in of the given size and asks autograd for the
vector-Jacobian product with grad_output (a convolution is linear in each argument, so the
stand-in's values do not matter); the result is itself differentiable, as torch's.

Arrows: imports pyneuro.functional, autograd and creation.
"""

from __future__ import annotations

from .. import functional as F
from ..autograd.api import grad as _grad
from ..creation import zeros

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input", "conv3d_weight"]

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def _input_grad(n, input_size, weight, grad_output, stride, padding, dilation, groups):
    x = zeros(tuple(input_size), dtype=grad_output.dtype, device=grad_output.device, requires_grad=True)
    y = _CONV[n](x, weight, None, stride, padding, dilation, groups)
    keep = weight.requires_grad or grad_output.requires_grad
    return _grad(y, x, grad_output, create_graph=keep)[0]


def _weight_grad(n, input, weight_size, grad_output, stride, padding, dilation, groups):
    w = zeros(tuple(weight_size), dtype=grad_output.dtype, device=grad_output.device, requires_grad=True)
    y = _CONV[n](input, w, None, stride, padding, dilation, groups)
    keep = input.requires_grad or grad_output.requires_grad
    return _grad(y, w, grad_output, create_graph=keep)[0]


def conv1d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    return _input_grad(1, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv1d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    return _weight_grad(1, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    return _input_grad(2, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    return _weight_grad(2, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv3d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    return _input_grad(3, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv3d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    return _weight_grad(3, input, weight_size, grad_output, stride, padding, dilation, groups)

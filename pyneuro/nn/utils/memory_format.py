"""convert_conv2d_weight_memory_format / convert_conv3d_weight_memory_format (torch.nn.utils.memory_format).

torch stores conv weights channels-last when asked, for faster convolutions on some hardware;
the values and results do not change. pyneuro's kernels take one layout, so these return the
module as it is, as torch returns the (converted) module itself.
"""

from __future__ import annotations


def convert_conv2d_weight_memory_format(module, memory_format):
    """module itself: the layout of its conv weights does not change their values."""
    return module


def convert_conv3d_weight_memory_format(module, memory_format):
    """module itself: the layout of its conv weights does not change their values."""
    return module


__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]

"""The neural-network ops that torch also exposes at top level (torch.conv2d, torch.layer_norm,
torch.dropout, torch.kl_div, ...), with the top-level signatures, which are not always
nn.functional's:

- torch.dropout(input, p, train) and the other dropouts take `train` with no default;
- torch.batch_norm / instance_norm take (input, weight, bias, running_mean, running_var, ...), all
  positional, and torch.embedding(weight, indices) takes the weight first;
- the losses take `reduction` as an int (torch's enum: 0 'none', 1 'mean', 2 'sum') and have no
  size_average / reduce. Left out, it reduces nothing: torch's schema says 1, but its Python
  binding passes 0 (torch.kl_div(a, b) is elementwise), and so do these. torch.poisson_nll_loss
  has no defaults at all;
- torch.max_pool1d/2d/3d have no return_indices; torch.adaptive_max_pool1d always returns
  (values, indices).

Each one calls the nn.functional op (pyneuro/functional.py), so values, gradients and errors
are that op's. The ops whose top-level signature is nn.functional's (conv2d, pixel_shuffle,
cosine_similarity, ...) are nn.functional's functions themselves: SAME_AS_FUNCTIONAL names
them and pyneuro's __getattr__ serves them. pyneuro.functional is imported on first use, so
`import pyneuro` stays fast.
"""

from __future__ import annotations

import importlib
import warnings

from ._errors import check_dropout_p

SAME_AS_FUNCTIONAL = (
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "avg_pool1d",
    "adaptive_avg_pool1d",
    "pixel_shuffle",
    "pixel_unshuffle",
    "channel_shuffle",
    "cosine_similarity",
    "pairwise_distance",
    "pdist",
    "bilinear",
    "rms_norm",
)


def _F():
    return importlib.import_module("pyneuro.functional")


def functional_op(name: str):
    """nn.functional's function `name` (for pyneuro's __getattr__)."""
    return getattr(_F(), name)


# ---------------------------------------------------------------------------- dropouts
def dropout(input, p, train):
    check_dropout_p(p)
    return _F().dropout(input, p, train)


def dropout_(input, p, train):
    check_dropout_p(p)
    return _F().dropout(input, p, train, inplace=True)


def _feature_dropout(input, p, train, inplace):
    """Dropout of whole features: the mask is (N, C, 1, ...), as aten's feature_dropout."""
    check_dropout_p(p)
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    layers = importlib.import_module("pyneuro.functional_layers")
    return layers._feature_dropout(input, p, train, inplace, None, input.ndim - 2)


def feature_dropout(input, p, train):
    return _feature_dropout(input, p, train, False)


def feature_dropout_(input, p, train):
    return _feature_dropout(input, p, train, True)


def alpha_dropout(input, p, train):
    check_dropout_p(p)
    return _F().alpha_dropout(input, p, train)


def alpha_dropout_(input, p, train):
    check_dropout_p(p)
    return _F().alpha_dropout(input, p, train, inplace=True)


def feature_alpha_dropout(input, p, train):
    check_dropout_p(p)
    return _F().feature_alpha_dropout(input, p, train)


def feature_alpha_dropout_(input, p, train):
    check_dropout_p(p)
    return _F().feature_alpha_dropout(input, p, train, inplace=True)


# ---------------------------------------------------------------------------- normalisation, embedding, padding
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    return _F().layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    return _F().group_norm(input, num_groups, weight, bias, eps)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
    return _F().batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(
    input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled
):
    return _F().instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """Rows of weight picked by indices; a negative padding_idx means none (aten's convention)."""
    padding = padding_idx if padding_idx >= 0 else None
    return _F().embedding(indices, weight, padding, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def constant_pad_nd(input, pad, value=0):
    """Pad (or, with negative amounts, crop) the last dims by `pad`, as F.pad(mode='constant')."""
    return _F().pad(input, pad, "constant", value)


# ---------------------------------------------------------------------------- pooling
def _stride(stride):
    """torch's empty default stride means the kernel size: nn.functional's None."""
    return None if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else stride


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return _F().max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return _F().max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return _F().max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return _F().max_pool1d(
        input, kernel_size, _stride(stride), padding, dilation, ceil_mode, return_indices=True
    )


def adaptive_max_pool1d(input, output_size):
    """(values, indices), always (torch's top-level form)."""
    return _F().adaptive_max_pool1d(input, output_size, return_indices=True)


# ---------------------------------------------------------------------------- losses
_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _reduction(fn_name: str, reduction) -> str:
    """torch's int reduction as nn.functional's string; other ints reduce nothing, as in aten."""
    if not isinstance(reduction, int):
        raise TypeError(f"{fn_name}(): argument 'reduction' must be int, not {type(reduction).__name__}")
    return _REDUCTIONS.get(reduction, "none")


def kl_div(input, target, reduction=0, *, log_target=False):
    """reduction=1 is the elementwise mean, without F.kl_div's warning that 'mean' is not 'batchmean'
    (torch.kl_div does not warn)."""
    how = _reduction("kl_div", reduction)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="reduction: 'mean' divides", category=UserWarning)
        return _F().kl_div(input, target, reduction=how, log_target=log_target)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    how = _reduction("binary_cross_entropy_with_logits", reduction)
    return _F().binary_cross_entropy_with_logits(input, target, weight, reduction=how, pos_weight=pos_weight)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    how = _reduction("cosine_embedding_loss", reduction)
    return _F().cosine_embedding_loss(input1, input2, target, margin, reduction=how)


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    how = _reduction("hinge_embedding_loss", reduction)
    return _F().hinge_embedding_loss(input, target, margin, reduction=how)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    how = _reduction("margin_ranking_loss", reduction)
    return _F().margin_ranking_loss(input1, input2, target, margin, reduction=how)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction=0):
    how = _reduction("triplet_margin_loss", reduction)
    return _F().triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction=how)


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    how = _reduction("poisson_nll_loss", reduction)
    return _F().poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=how)


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    """torch.convolution, aten's one entry for every convolution: conv1d/2d/3d by weight's
    dimensions, or their transposes (transposed=True, with output_padding), all arguments given."""
    n = weight.ndim - 2
    if n not in (1, 2, 3):
        raise RuntimeError(
            f"convolution: expected a 3-, 4- or 5-dimensional weight, got {weight.ndim} dimensions"
        )
    F = _F()
    if transposed:
        op = getattr(F, f"conv_transpose{n}d")
        return op(
            input, weight, bias, tuple(stride), tuple(padding), tuple(output_padding), groups, tuple(dilation)
        )
    return getattr(F, f"conv{n}d")(
        input, weight, bias, tuple(stride), tuple(padding), tuple(dilation), groups
    )


def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """(layer_norm's output, the mean, 1 / sqrt(var + eps)): the statistics over the normalized
    (last) dims, kept as size-1 dims, as torch's aten op returns them."""
    dims = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    mean = input.detach().mean(dims, keepdim=True)
    rstd = (input.detach().var(dims, unbiased=False, keepdim=True) + eps).rsqrt()
    return _F().layer_norm(input, list(normalized_shape), weight, bias, eps), mean, rstd


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0, zero_infinity=False):
    """reduction as an int, as the other losses here (left out: per-sequence losses, as torch's
    binding gives; 1 is F.ctc_loss's mean over target lengths)."""
    how = _reduction("ctc_loss", reduction)
    return _F().ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, how, zero_infinity)


# ---------------------------------------------------------------------------- recurrent cells
# torch.rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) and its kin: one step of
# nn.RNNCell / GRUCell / LSTMCell with the weights passed in (nn/modules/rnn.py's _cell).
def _step(mode, input, hx, w_ih, w_hh, b_ih, b_hh):
    if getattr(input, "ndim", 2) < 2:  # (batched only, unlike nn's cells: torch's IndexError)
        raise IndexError(
            f"Dimension out of range (expected to be in range of [-{max(input.ndim, 1)}, {max(input.ndim, 1) - 1}], "
            "but got 1)"
        )
    rnn = importlib.import_module("pyneuro.nn.modules.rnn")
    return rnn._cell(mode, _F().linear(input, w_ih, b_ih), hx, w_hh, b_hh)


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _step("RNN_TANH", input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _step("RNN_RELU", input, hx, w_ih, w_hh, b_ih, b_hh)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _step("GRU", input, hx, w_ih, w_hh, b_ih, b_hh)


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """(h', c') for hx = (h, c)."""
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise RuntimeError(f"lstm_cell: Expected hx to hold (h, c), got {type(hx).__name__}")
    return _step("LSTM", input, tuple(hx), w_ih, w_hh, b_ih, b_hh)


__all__ = [
    "convolution",
    "native_layer_norm",
    "ctc_loss",
    "rnn_tanh_cell",
    "rnn_relu_cell",
    "gru_cell",
    "lstm_cell",
    "dropout",
    "dropout_",
    "feature_dropout",
    "feature_dropout_",
    "alpha_dropout",
    "alpha_dropout_",
    "feature_alpha_dropout",
    "feature_alpha_dropout_",
    "layer_norm",
    "group_norm",
    "batch_norm",
    "instance_norm",
    "embedding",
    "constant_pad_nd",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_pool1d_with_indices",
    "adaptive_max_pool1d",
    "kl_div",
    "binary_cross_entropy_with_logits",
    "cosine_embedding_loss",
    "hinge_embedding_loss",
    "margin_ranking_loss",
    "triplet_margin_loss",
    "poisson_nll_loss",
]

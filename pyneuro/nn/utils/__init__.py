"""pyneuro.nn.utils, as torch.nn.utils: gradient clipping (clip_grad.py: clip_grad_norm_,
get_total_norm, ...), parameters as one vector (convert_parameters.py), BatchNorm folding
(fusion.py), skip_init (init.py), weight_norm and spectral_norm (weight_norms.py), the sequence
tools of pyneuro.nn.utils.rnn (pad_sequence, PackedSequence, ...), and stateless.functional_call.

loss.backward()
nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
optimizer.step()
"""

from __future__ import annotations

# the submodules, under torch's names (torch.nn.utils.convert_parameters, .fusion, ...)
from . import clip_grad as clip_grad
from . import convert_parameters as convert_parameters
from . import fusion as fusion
from . import init as init
from . import rnn, stateless
from .clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .fusion import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights
from .init import skip_init
from .weight_norms import remove_spectral_norm, remove_weight_norm, spectral_norm, weight_norm

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grads_with_norm_",
    "clip_grad_value_",
    "get_total_norm",
    "parameters_to_vector",
    "vector_to_parameters",
    "fuse_conv_bn_eval",
    "fuse_conv_bn_weights",
    "fuse_linear_bn_eval",
    "fuse_linear_bn_weights",
    "skip_init",
    "rnn",
    "stateless",
    "weight_norm",
    "remove_weight_norm",
    "spectral_norm",
    "remove_spectral_norm",
]

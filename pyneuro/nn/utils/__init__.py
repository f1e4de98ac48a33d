"""pyneuro.nn.utils, as torch.nn.utils: gradient clipping (clip_grad.py: clip_grad_norm_,
get_total_norm, ...), parameters as one vector (convert_parameters.py), BatchNorm folding
(fusion.py), skip_init (init.py), parametrize and parametrizations (weight_norm), the memory-format converters (memory_format.py), weight_norm
and spectral_norm (weight_norms.py), the sequence tools of pyneuro.nn.utils.rnn (pad_sequence,
PackedSequence, ...), stateless.functional_call, and prune (imported as
torch.nn.utils.prune is: `import pyneuro.nn.utils.prune as prune`).

loss.backward()
nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
optimizer.step()
"""

from __future__ import annotations

import importlib

# the submodules, under torch's names (torch.nn.utils.convert_parameters, .fusion, ...)
from . import clip_grad as clip_grad
from . import convert_parameters as convert_parameters
from . import memory_format as memory_format
from . import rnn, stateless
from .clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .memory_format import convert_conv2d_weight_memory_format, convert_conv3d_weight_memory_format
from .weight_norms import remove_spectral_norm, remove_weight_norm, spectral_norm, weight_norm

# fusion.py, init.py, parametrize.py, parametrizations.py and prune.py build nn Modules and Parameters, and nn.modules imports this package (for the
# rnn tools): they are loaded on first use, so that the import graph has no cycle.
_LAZY = {
    "fusion": ("fusion", None),
    "init": ("init", None),
    "fuse_conv_bn_eval": ("fusion", "fuse_conv_bn_eval"),
    "fuse_conv_bn_weights": ("fusion", "fuse_conv_bn_weights"),
    "fuse_linear_bn_eval": ("fusion", "fuse_linear_bn_eval"),
    "fuse_linear_bn_weights": ("fusion", "fuse_linear_bn_weights"),
    "skip_init": ("init", "skip_init"),
    "parametrize": ("parametrize", None),
    "parametrizations": ("parametrizations", None),
    "prune": ("prune", None),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(f"{__name__}.{module_name}")
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


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
    "convert_conv2d_weight_memory_format",
    "convert_conv3d_weight_memory_format",
    "rnn",
    "stateless",
    "weight_norm",
    "remove_weight_norm",
    "spectral_norm",
    "remove_spectral_norm",
]

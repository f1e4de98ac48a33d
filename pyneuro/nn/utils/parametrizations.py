"""torch.nn.utils.parametrizations: ready-made parametrizations (see parametrize.py).

weight_norm(module) makes module.weight = g * v / ||v|| (the norm over every dim but `dim`),
with g and v the parameters `parametrizations.weight.original0` and `.original1`, the keys
torch saves; a checkpoint of the older nn.utils.weight_norm (weight_g, weight_v) still loads.
"""

from __future__ import annotations

from ..modules.module import Module
from . import parametrize
from .weight_norms import _norm_except_dim


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight):
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparameterise module.<name> as g * v / ||v|| (Salimans & Kingma, 2016); returns module."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def compat_hook(state_dict, prefix, *_rest) -> None:  # the older API's keys
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(compat_hook)
    return module


__all__ = ["weight_norm"]

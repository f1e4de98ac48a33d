"""Weight reparameterisations as forward pre-hooks (torch.nn.utils.weight_norm / spectral_norm).

weight_norm(module) splits module.weight into a direction v and a length g (Salimans & Kingma,
2016): weight = g * v / ||v||, the norm taken over every dim but `dim` (0: one length per output
unit). g and v become the parameters (`weight_g`, `weight_v`); before every forward a pre-hook
recomputes `weight` from them, so the optimizer steps g and v and autograd differentiates
through the formula.

spectral_norm(module) divides the weight by its largest singular value sigma (Miyato et al., 2018),
which bounds how much the layer can stretch its input (a GAN discriminator's Lipschitz constant).
sigma is estimated by power iteration: u and v (buffers `weight_u`, `weight_v`) are refined once per
forward in training mode, without grad; sigma = u . (W v) is then differentiated as a function
of W only. The parameter becomes `weight_orig`.

Both are torch's older API (the newer nn.utils.parametrizations is not implemented); remove_*
undoes them. Arrows: imports Tensor ops and nn.init; nn/utils/__init__.py re-exports these.
"""

from __future__ import annotations

import warnings

from ...autograd import no_grad, renamed
from ...tensor import Tensor


def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """||v|| over every dim but `dim`, kept as size-1 dims (dim=-1: the norm of all of v)."""
    if dim == -1:
        return v.norm()
    others = tuple(d for d in range(v.ndim) if d != dim % v.ndim)
    return (v * v).sum(dim=others, keepdim=True).sqrt() if others else v.abs()


def _weight_norm(v: Tensor, g: Tensor, dim: int) -> Tensor:
    """g * v / ||v||, as both weight_norm APIs compute it: torch._weight_norm (its node
    WeightNormInterfaceBackward0) per slice of `dim`; of the whole v (dim -1) plain arithmetic."""
    w = v * (g / _norm_except_dim(v, dim))
    return w if dim == -1 else renamed(w, "WeightNormInterfaceBackward0")


class _WeightNorm:
    def __init__(self, name: str, dim: int):
        self.name, self.dim = name, dim

    def compute_weight(self, module) -> Tensor:
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name: str = "weight", dim: int = 0):
    """Reparameterise module.<name> as g * v / ||v|| (see the module docstring); returns module."""
    warnings.warn(
        "`torch.nn.utils.weight_norm` is deprecated in favor of `torch.nn.utils.parametrizations.weight_norm`.",
        FutureWarning,
        stacklevel=2,
    )
    for hook in module.__dict__.get("_forward_pre_hooks", {}).values():
        if isinstance(hook, _WeightNorm) and hook.name == name:
            raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
    dim = -1 if dim is None else dim
    fn = _WeightNorm(name, dim)
    weight = getattr(module, name)
    parameter = type(weight)  # nn.Parameter (this module cannot import nn.modules: it imports nn.utils)
    del module._parameters[name]
    module.register_parameter(name + "_g", parameter(_norm_except_dim(weight, dim).detach()))
    module.register_parameter(name + "_v", parameter(weight.detach()))
    setattr(module, name, fn.compute_weight(module))
    module.register_forward_pre_hook(fn)
    return module


def remove_weight_norm(module, name: str = "weight"):
    """Undo weight_norm: module.<name> is a Parameter again, holding g * v / ||v||."""
    for key, hook in list(module.__dict__.get("_forward_pre_hooks", {}).items()):
        if isinstance(hook, _WeightNorm) and hook.name == name:
            weight, parameter = hook.compute_weight(module), type(module._parameters[name + "_v"])
            del module._parameters[name + "_g"], module._parameters[name + "_v"]
            module.__dict__.pop(name, None)
            module.register_parameter(name, parameter(weight.detach()))
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")


def _as_matrix(weight: Tensor, dim: int) -> Tensor:
    """The weight as a matrix with `dim` as its rows (the rest flattened into columns)."""
    if dim != 0:
        weight = weight.movedim(dim, 0)
    return weight.reshape(weight.shape[0], -1)


def _normalize(x: Tensor, eps: float) -> Tensor:
    return x / x.norm().clamp(min=eps)


class _SpectralNorm:
    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float):
        if n_power_iterations <= 0:
            raise ValueError(
                f"Expected n_power_iterations to be positive, but got n_power_iterations={n_power_iterations}"
            )
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def compute_weight(self, module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        matrix = _as_matrix(weight, self.dim)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(_normalize(matrix.t() @ u, self.eps))
                    u.copy_(_normalize(matrix @ v, self.eps))
            u, v = u.clone(), v.clone()  # the graph keeps these values, not the buffers' next ones
        sigma = u.dot(matrix @ v)
        return weight / sigma

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))


def spectral_norm(module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12, dim=None):
    """Divide module.<name> by its largest singular value before every forward (see above)."""
    for hook in module.__dict__.get("_forward_pre_hooks", {}).values():
        if isinstance(hook, _SpectralNorm) and hook.name == name:
            raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0  # weight (in, out, ...)
    fn = _SpectralNorm(name, n_power_iterations, dim, eps)
    weight = module._parameters[name]
    with no_grad():
        rows, cols = _as_matrix(weight, dim).shape
        u = _normalize(weight.new_empty(rows).normal_(0, 1), eps)
        v = _normalize(weight.new_empty(cols).normal_(0, 1), eps)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    setattr(module, name, weight.detach())
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module, name: str = "weight"):
    """Undo spectral_norm: module.<name> is a Parameter again, holding weight / sigma."""
    for key, hook in list(module.__dict__.get("_forward_pre_hooks", {}).items()):
        if isinstance(hook, _SpectralNorm) and hook.name == name:
            weight = hook.compute_weight(module, do_power_iteration=False)
            parameter = type(module._parameters[name + "_orig"])
            del module._forward_pre_hooks[key]
            del module._parameters[name + "_orig"], module._buffers[name + "_u"], module._buffers[name + "_v"]
            module.__dict__.pop(name, None)
            module.register_parameter(name, parameter(weight.detach()))
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")


__all__ = ["weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm"]

"""Stochastic Weight Averaging (Izmailov et al., 2018) and EMA of weights: torch.optim.swa_utils.

    swa_model = AveragedModel(model)              # a copy whose weights are the running average
    swa_scheduler = SWALR(optimizer, swa_lr=0.05) # anneal each group's lr to swa_lr, then hold it
    for epoch in ...:
        train(model); swa_model.update_parameters(model); swa_scheduler.step()
    update_bn(loader, swa_model)                  # recompute BatchNorm statistics for the average

The average after n updates is avg += (p - avg) / (n + 1) (an equal-weight mean of the
snapshots; computed as lerp(avg, p, 1 / (n + 1)), torch's rounding); get_ema_multi_avg_fn(decay)
gives an exponential moving average instead: avg = lerp(avg, p, 1 - decay). The first update
copies the weights. Buffers (BatchNorm's running statistics) are copied from the model unless
use_buffers=True, which averages them with the parameters.
"""

from __future__ import annotations

import copy
import itertools
import math

from ..autograd import no_grad
from ..backends import table_for
from ..nn import Module
from ..nn.modules.normalization import _BatchNorm
from ..tensor import tensor
from .adam_variants import lerp_
from .lr_scheduler.base import LRScheduler, format_param

__all__ = [
    "AveragedModel",
    "update_bn",
    "SWALR",
    "get_ema_multi_avg_fn",
    "get_swa_multi_avg_fn",
    "get_ema_avg_fn",
    "get_swa_avg_fn",
]


def _is_float(t) -> bool:
    return t._data.dtype.kind in "fc"


def get_ema_multi_avg_fn(decay: float = 0.999):
    """In-place EMA of lists of tensors: avg = lerp(avg, current, 1 - decay)."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    def ema_update(ema_param_list, current_param_list, _):
        with no_grad():
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                if _is_float(p_ema):
                    lerp_(table_for(p_ema).xp, p_ema._data, p_model._data, 1 - decay)
                    p_ema._vc[0] += 1
                else:
                    p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """In-place equal-weight mean of lists of tensors: avg = lerp(avg, current, 1 / (n + 1))."""

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        n = int(num_averaged)
        with no_grad():
            for p_avg, p_model in zip(averaged_param_list, current_param_list):
                if _is_float(p_avg):
                    lerp_(table_for(p_avg).xp, p_avg._data, p_model._data, 1 / (n + 1))
                    p_avg._vc[0] += 1
                else:
                    p_avg.copy_(p_avg + (p_model - p_avg) / (n + 1))

    return swa_update


def get_ema_avg_fn(decay: float = 0.999):
    """avg_fn form of the EMA: returns decay * avg + (1 - decay) * current."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """avg_fn form of SWA: returns avg + (current - avg) / (n + 1)."""

    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A deep copy of `model` whose parameters are the average of the models passed to
    update_parameters (SWA by default; avg_fn / multi_avg_fn choose another average).
    Calling it runs the averaged copy. n_averaged (a buffer) counts the updates."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers: bool = False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, device=device or "cpu"))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model) -> None:
        """Fold model's current weights into the average (the first call copies them)."""
        if self.use_buffers:
            mine = itertools.chain(self.module.parameters(), self.module.buffers())
            theirs = itertools.chain(model.parameters(), model.buffers())
        else:
            mine, theirs = self.module.parameters(), model.parameters()
        pairs = [(p.detach(), q.detach().to(p.device)) for p, q in zip(mine, theirs)]
        n = int(self.n_averaged.item())
        with no_grad():
            if n == 0:
                for p, q in pairs:
                    p.copy_(q)
            elif self.avg_fn is not None:
                for p, q in pairs:
                    p.copy_(self.avg_fn(p, q, self.n_averaged))
            else:
                update = self.multi_avg_fn or get_swa_multi_avg_fn()
                update([p for p, _ in pairs], [q for _, q in pairs], self.n_averaged)
            if not self.use_buffers:
                for b_avg, b_model in zip(self.module.buffers(), model.buffers()):
                    b_avg.copy_(b_model.detach().to(b_avg.device))
            self.n_averaged += 1


def update_bn(loader, model, device=None) -> None:
    """Recompute every BatchNorm's running mean and variance as the plain average over one
    pass of `loader` (each item an input, or a list/tuple whose first entry is the input)."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):  # BatchNorm1d/2d/3d, SyncBatchNorm
            if module.track_running_stats:
                module.running_mean.zero_()
                module.running_var.fill_(1)
                module.num_batches_tracked.zero_()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None  # a cumulative average over the pass
    with no_grad():
        for input in loader:
            if isinstance(input, (list, tuple)):
                input = input[0]
            if device is not None:
                input = input.to(device)
            model(input)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr from its current value to swa_lr over anneal_epochs steps
    (cos or linear), then keep it at swa_lr, as torch's SWALR."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy: str = "cos", last_epoch=-1):
        for lr, group in zip(format_param("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def get_lr(self):
        self._warn_outside_step()
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        groups = self.optimizer.param_groups
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(groups, prev_lrs)]

    def state_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)

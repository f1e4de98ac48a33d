"""ctc_loss: the Connectionist Temporal Classification loss (torch.nn.functional.ctc_loss).

A speech or handwriting model emits, at each of T time steps, log-probabilities over C symbols
(symbol `blank` = "nothing new here"). A target sequence y (length S, no blanks) may be emitted
by many alignments of length T: y with blanks inserted anywhere and symbols repeated, e.g.
"ab" <- "a-b", "aab", "-ab", ... CTC's loss is -log of the total probability of those alignments.

The forward algorithm sums them without listing them. Write y' = blank y1 blank y2 ... yS blank
(length 2S + 1) and let alpha_t(s) = log P(the first t + 1 steps emit y'[:s + 1]); then

    alpha_0(0) = lp[0, blank],  alpha_0(1) = lp[0, y1]
    alpha_t(s) = logsumexp(alpha_{t-1}(s), alpha_{t-1}(s - 1), alpha_{t-1}(s - 2)) + lp[t, y'(s)]

where the s - 2 jump (skipping a blank) is allowed only between two different symbols. The
loss is -logsumexp(alpha_{T-1}(2S), alpha_{T-1}(2S - 1)). Here every sample of the batch runs
the recursion at once, as Tensor ops, so autograd differentiates it; each sample's alpha is
read at its own last step (input_lengths). Unreachable states hold a large finite negative
number instead of -inf, so that gradients stay finite; a target that no alignment can emit
(the input is too short) gives inf with a NaN gradient, or 0 with a zero one when
zero_infinity=True, as torch.

torch's backward returns exp(lp) - (the true derivative's magnitude): the gradient with respect
to log_probs plus exp(log_probs), which is what reaches the logits once log_softmax's backward
runs (the extra term cancels there). pyneuro adds that term the same way, so log_probs.grad
matches torch's too.
"""

from __future__ import annotations

from ._errors import DTypeError, ShapeError
from .autograd import Function
from .creation import arange, as_tensor, full
from .functions import cat, stack, where
from .tensor import Tensor

_UNREACHABLE = -1e30  # log of "no way to be here", finite so that logsumexp's gradient stays finite


class _NanGradient(Function):
    """Zeros of shape (N,) whose gradient to log_probs is NaN where mask (T, N, 1) is set: torch's
    gradient of an impossible target's inf loss (0 with zero_infinity=True), at its valid steps."""

    @staticmethod
    def forward(ctx, lp, mask):
        ctx.save_for_backward(mask)
        ctx.shape = lp.shape
        return lp.new_zeros(lp.shape[1])

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return where(mask.bool(), float("nan"), 0.0).to(grad.dtype).expand(ctx.shape), None


def _lengths(lengths, n: int, name: str) -> list[int]:
    """input_lengths / target_lengths (a tensor, a list or tuple, or one int) as n ints."""
    if isinstance(lengths, Tensor):
        values = lengths.reshape(-1).tolist()
    else:
        values = list(lengths) if isinstance(lengths, (list, tuple)) else [lengths]
    if len(values) != n:
        raise RuntimeError(f"{name} must be of size batch_size")
    return [int(v) for v in values]


def _extended_targets(
    targets: Tensor, target_lengths: list[int], blank: int, batched: bool
) -> list[list[int]]:
    """Each sample's target as a list (targets padded (N, S), or all concatenated in one 1-D tensor)."""
    if targets.dtype.kind not in "iu":
        raise DTypeError(f"ctc_loss: targets must be an integer tensor, got {targets.dtype}")
    rows = targets.tolist()
    if not batched:
        rows = [rows]
    elif targets.ndim == 1:  # concatenated
        out, start = [], 0
        for length in target_lengths:
            out.append(rows[start : start + length])
            start += length
        if start > len(rows):
            raise RuntimeError("Expected tensor to have size at least sum(target_lengths)")
        return out
    for row, length in zip(rows, target_lengths):
        if length > len(row):
            raise RuntimeError(
                f"Expected tensor to have size at least {length} at dimension 1, but got size {len(row)}"
            )
    return [row[:length] for row, length in zip(rows, target_lengths)]


def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """CTC loss of log_probs (T, N, C) (or (T, C) unbatched) for targets (N, S) padded or 1-D
    concatenated; 'mean' divides each sample's loss by its target length, then averages."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    batched = log_probs.ndim == 3
    if log_probs.ndim not in (2, 3):
        raise ShapeError(
            f"ctc_loss: log_probs must be (T, N, C) or (T, C), got shape {tuple(log_probs.shape)}"
        )
    lp = log_probs if batched else log_probs.unsqueeze(1)
    T, N, C = lp.shape
    in_lens = _lengths(input_lengths, N, "input_lengths")
    tg_lens = _lengths(target_lengths, N, "target_lengths")
    for length in in_lens:
        if length > T:
            raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value {length}")
    rows = _extended_targets(targets, tg_lens, blank, batched)
    L = max(2 * max(tg_lens, default=0) + 1, 3)  # (>= 3: the s - 2 jump's padding fits)
    ext, skip = [], []
    for row in rows:  # y' and where the s - 2 jump is allowed, padded with blanks to length L
        e = [blank]
        for symbol in row:
            e += [symbol, blank]
        e += [blank] * (L - len(e))
        ext.append(e)
        skip.append([s >= 2 and e[s] != blank and e[s] != e[s - 2] for s in range(L)])
    dev = lp.device
    ext_t = as_tensor(ext, device=dev)  # (N, L) int64
    skip_t = as_tensor(skip, device=dev)
    emit = lp.gather(2, ext_t.unsqueeze(0).expand(T, N, L))  # (T, N, L): lp[t, n, y'(s)]
    pad1 = full((N, 1), _UNREACHABLE, dtype=lp.dtype, device=dev)
    pad2 = full((N, 2), _UNREACHABLE, dtype=lp.dtype, device=dev)
    start = arange(L, device=dev) < 2
    alpha = where(start, emit[0], _UNREACHABLE)
    last = as_tensor(in_lens, device=dev).reshape(N, 1) - 1
    final = alpha
    for t in range(1, T):
        stay, step = alpha, cat([pad1, alpha[:, :-1]], dim=1)
        jump = where(skip_t, cat([pad2, alpha[:, :-2]], dim=1), _UNREACHABLE)
        alpha = stack([stay, step, jump], dim=-1).logsumexp(-1) + emit[t]
        final = where(last == t, alpha, final)
    ends = as_tensor([[2 * n, max(2 * n - 1, 0)] for n in tg_lens], device=dev)
    picked = final.gather(1, ends)
    picked = where(as_tensor([[True, n > 0] for n in tg_lens], device=dev), picked, _UNREACHABLE)
    nll = -picked.logsumexp(1)  # (N,)
    # torch's gradient adds exp(lp) at each sample's valid steps (see the module docstring)
    valid = (arange(T, device=dev).reshape(T, 1) <= last.reshape(1, N)).to(lp.dtype).unsqueeze(2)
    extra = lp * (lp.detach().exp() * valid)
    extra = extra.sum((0, 2))
    nll = nll + (extra - extra.detach())
    impossible = nll.detach() > -_UNREACHABLE / 2
    nll = where(impossible, 0.0 if zero_infinity else float("inf"), nll)
    if not zero_infinity and lp.requires_grad and bool(impossible.any()):
        nll = nll + _NanGradient.apply(lp, valid * impossible.reshape(1, N, 1))
    if reduction == "none":
        return nll if batched else nll[0]
    if reduction == "sum":
        return nll.sum()
    divisor = as_tensor([max(n, 1) for n in tg_lens], dtype=lp.dtype, device=dev)
    return (nll / divisor).mean()


__all__ = ["ctc_loss"]

"""pyneuro.nn.utils.rnn: batches of variable-length sequences, as torch.nn.utils.rnn.

    padded = pad_sequence([a, b, c], batch_first=True)           # (B, T, *), zeros after the ends
    packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
    output, h_n = gru(packed)                                     # a PackedSequence in, one out
    out, lengths = pad_packed_sequence(output, batch_first=True)

A PackedSequence stores the sequences time step by time step: `data` holds, for t = 0, 1, ...,
the t-th element of every sequence still running at t (longest first), and `batch_sizes[t]`
says how many there are. `sorted_indices` (or None when the batch came sorted) maps that
longest-first order to the caller's batch order; `unsorted_indices` is its inverse.

Every function here moves rows with one differentiable gather (indexing by an int64 index
built on the host with NumPy) and cat, so gradients flow back to the inputs as in torch.
Unlike torch, ties among equal lengths are sorted stably (torch's sort agrees for batches of
up to 16 sequences), and lengths longer than the padded input raise instead of reading past it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from ... import _dtype as _dtypes
from ...creation import full, tensor, zeros
from ...functions import cat
from ...tensor import Tensor

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]


class _PackedSequenceBase(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceBase):
    """The data and batch_sizes of a packed batch of sequences (torch.nn.utils.rnn.PackedSequence).

    Made by pack_padded_sequence / pack_sequence (not by hand): data (sum of lengths, *),
    batch_sizes (max length,) a CPU int64 tensor, sorted_indices and unsorted_indices int64
    permutations on data's device, or None. RNN, GRU and LSTM take one as their input.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if str(batch_sizes.device) != "cpu":
                raise ValueError(
                    "batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                    "created manually. They should be instantiated by functions like pack_sequence and "
                    "pack_padded_sequences in nn.utils.rnn. "
                    "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence"
                )
        else:  # PackedSequence((data, batch_sizes), sorted_indices=...)
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """Convert `data` (dtype and/or device, as Tensor.to); self when nothing changes.
        batch_sizes stays on the CPU; the index tensors follow data's device."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self

        def move(t):
            return None if t is None else t.to(data.device)

        return type(self)(data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices))

    def cuda(self, *args, **kwargs) -> PackedSequence:
        return self.to("cuda", *args, **kwargs)

    def cpu(self, *args, **kwargs) -> PackedSequence:
        return self.to("cpu", *args, **kwargs)

    def double(self) -> PackedSequence:
        return self.to(_dtypes.float64)

    def float(self) -> PackedSequence:
        return self.to(_dtypes.float32)

    def half(self) -> PackedSequence:
        return self.to(_dtypes.float16)

    def long(self) -> PackedSequence:
        return self.to(_dtypes.int64)

    def int(self) -> PackedSequence:
        return self.to(_dtypes.int32)

    def short(self) -> PackedSequence:
        return self.to(_dtypes.int16)

    def char(self) -> PackedSequence:
        return self.to(_dtypes.int8)

    def byte(self) -> PackedSequence:
        return self.to(_dtypes.uint8)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return self.data.is_pinned()

    def pin_memory(self) -> PackedSequence:
        """torch's: data and the index permutations pinned (Tensor.pin_memory's rule), batch_sizes as they are."""
        pinned = [None if t is None else t.pin_memory() for t in (self.sorted_indices, self.unsorted_indices)]
        return type(self)(self.data.pin_memory(), self.batch_sizes, *pinned)


def invert_permutation(permutation):
    """The inverse of a 1-D int64 permutation tensor (None stays None)."""
    if permutation is None:
        return None
    p = np.asarray(permutation.detach().cpu().numpy(), dtype=np.int64)
    out = np.empty_like(p)
    out[p] = np.arange(p.size, dtype=np.int64)
    return tensor(out, device=permutation.device)


# ------------------------------------------------------------------ host-side index helpers
def _host_ints(t) -> np.ndarray:
    return np.asarray(t.detach().cpu().numpy() if isinstance(t, Tensor) else t, dtype=np.int64)


def _lengths(lengths) -> np.ndarray:
    """lengths as a 1-D int64 array; torch's error for anything else (a 2-D or CUDA tensor)."""
    if isinstance(lengths, Tensor):
        where = str(lengths.device).split(":")[0]
        arr = np.asarray(lengths.detach().cpu().numpy()).astype(np.int64)
    else:
        where = "cpu"
        arr = np.asarray(lengths.detach().cpu().numpy() if hasattr(lengths, "detach") else lengths)
        arr = arr.astype(np.int64)
    if arr.ndim != 1 or where != "cpu":
        raise RuntimeError(
            f"'lengths' argument should be a 1D CPU int64 tensor, but got {arr.ndim}D {where} Long tensor"
        )
    return arr


def _packed_rows(batch_sizes: np.ndarray, order: np.ndarray | None, batch: int) -> np.ndarray:
    """For each row of a packed `data`, its flat position t * batch + b in the time-major padded
    (T, batch, *) tensor, b in the caller's batch order (order: sorted position -> b)."""
    t = np.repeat(np.arange(batch_sizes.size, dtype=np.int64), batch_sizes)
    starts = np.cumsum(batch_sizes) - batch_sizes
    b = np.arange(t.size, dtype=np.int64) - np.repeat(starts, batch_sizes)
    if order is not None:
        b = order[b]
    return t * batch + b


def _rows(x: Tensor, index: np.ndarray) -> Tensor:
    """x[index] along dim 0, with the index on x's device (one differentiable gather)."""
    return x[tensor(index, device=x.device)]


def _dim_error(ndim: int, dim: int) -> IndexError:
    n = max(ndim, 1)
    return IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")


# ------------------------------------------------------------------ packing
def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (batch_first: (B, T, *)) of sequences of the given lengths.

    lengths: a list or 1-D CPU int64 tensor of B positive lengths, in decreasing order unless
    enforce_sorted=False (then the batch is sorted here and sorted_indices records how).
    """
    lengths = _lengths(lengths)
    order = None
    if not enforce_sorted:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
    if input.ndim < 2:
        raise _dim_error(input.ndim, 1)
    x = input.transpose(0, 1) if batch_first else input
    steps, batch = x.shape[0], x.shape[1]
    if x.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    if order is not None and (order >= batch).any():  # torch's index_select of the batch
        bad = int(order[order >= batch][0])
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={batch}")
    if order is None and lengths.size != batch:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.size} (batch_size={batch})"
        )
    if lengths[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0"
        )
    if (lengths[1:] > lengths[:-1]).any():
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
            "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this "
            "requirement if you do not need ONNX exportability."
        )
    if lengths[0] > steps:
        raise RuntimeError(
            f"pack_padded_sequence: a sequence length ({int(lengths[0])}) is longer than the padded "
            f"input ({steps} steps)"
        )
    batch_sizes = (lengths[None, :] > np.arange(lengths[0])[:, None]).sum(1).astype(np.int64)
    data = _rows(x.reshape(steps * batch, *x.shape[2:]), _packed_rows(batch_sizes, order, batch))
    sorted_indices = None if order is None else tensor(order, device=input.device)
    return PackedSequence(data, tensor(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The inverse of pack_padded_sequence: (padded (T, B, *) or (B, T, *), lengths), the batch
    back in the order it was packed from; T = the longest length, or total_length when given."""
    batch_sizes = _host_ints(sequence.batch_sizes)
    steps = batch_sizes.size
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in input, but "
                f"got total_length={total_length} and max sequence length being {steps}"
            )
        steps = total_length
    data = sequence.data
    batch = int(batch_sizes[0]) if batch_sizes.size else 0
    order = None if sequence.sorted_indices is None else _host_ints(sequence.sorted_indices)
    rows = _packed_rows(batch_sizes, order, batch)
    index = np.full(steps * batch, rows.size, dtype=np.int64)  # the padding row by default
    index[rows] = np.arange(rows.size, dtype=np.int64)
    index = index.reshape(steps, batch)
    if batch_first:
        index = index.T
    pad = full((1, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    padded = _rows(cat([data, pad]), index.reshape(-1)).reshape(*index.shape, *data.shape[1:])
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1).astype(np.int64)
    if order is not None:
        lengths = lengths[_host_ints(sequence.unsorted_indices)]
    return padded, tensor(lengths)


def _broadcast_to_rows(seq: Tensor, shape: tuple) -> Tensor:
    """seq broadcast to `shape` (as torch's copy into the padded output); torch's errors."""
    if tuple(seq.shape) == shape:
        return seq
    n = max(len(shape), seq.ndim)
    a, b = (1,) * (n - len(shape)) + shape, (1,) * (n - seq.ndim) + tuple(seq.shape)
    for d in range(n - 1, -1, -1):
        if a[d] != b[d] and 1 not in (a[d], b[d]):
            raise RuntimeError(
                f"The size of tensor a ({a[d]}) must match the size of tensor b ({b[d]}) "
                f"at non-singleton dimension {d}"
            )
    result = tuple(max(x, y) for x, y in zip(a, b))
    if result != shape:
        raise RuntimeError(
            f"output with shape {list(shape)} doesn't match the broadcast shape {list(result)}"
        )
    return seq.expand(*shape)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right") -> Tensor:
    """Stack tensors (L_i, *) into one (T, B, *) (batch_first: (B, T, *)), T = max L_i, each
    filled up with padding_value after its end (padding_side='left': before its start). The
    result has the first sequence's dtype and device."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(
            f"pad_sequence: Expected iterable for input sequences, but got arg of type: {type(sequences)}"
        )
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    for i, s in enumerate(sequences):
        if not isinstance(s, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(s).__name__}")
        if s.ndim == 0:
            raise RuntimeError(
                "pad_sequence: the sequences must have at least one dimension, got a 0-D tensor"
            )
    ref = sequences[0]
    trailing = tuple(ref.shape[1:])
    pieces = [
        _broadcast_to_rows(s, (s.shape[0], *trailing)).to(device=ref.device, dtype=ref.dtype)
        for s in sequences
    ]
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    steps, total = int(lengths.max()), int(lengths.sum())
    starts = np.cumsum(lengths) - lengths
    t = np.arange(steps, dtype=np.int64)[None, :]  # (1, T)
    shift = (steps - lengths)[:, None] if padding_side == "left" else 0
    pos = t - shift  # the position in its own sequence of each output step, per sequence (B, T)
    index = np.where((pos >= 0) & (pos < lengths[:, None]), starts[:, None] + pos, total)
    if not batch_first:
        index = index.T
    pad = full((1, *trailing), padding_value, dtype=ref.dtype, device=ref.device)
    return _rows(cat([*pieces, pad]), index.reshape(-1)).reshape(*index.shape, *trailing)


def unpad_sequence(padded_sequences, lengths, batch_first=False) -> list:
    """The inverse of pad_sequence (right padding): the list of the B sequences (L_i, *)."""
    if not batch_first:  # in place, as torch's (the caller's tensor is (B, L, *) afterwards)
        padded_sequences.transpose_(0, 1)
    return [padded_sequences[i, : int(n)] for i, n in enumerate(_host_ints(lengths).reshape(-1))]


def pack_sequence(sequences, enforce_sorted=True) -> PackedSequence:
    """Pack a list of tensors (L_i, *): pack_padded_sequence(pad_sequence(sequences), lengths)."""
    lengths = [int(v.shape[0]) for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences) -> list:
    """The inverse of pack_sequence: the list of tensors (L_i, *), in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


# ------------------------------------------------------------------ for the recurrent layers
def _step_masks(lengths: Tensor, steps: int, like: Tensor) -> Tensor:
    """(T, B, 1) bool on like's device: True where step t < that sequence's length. The recurrent
    layers keep a sequence's state unchanged on its padded steps (so h_n holds its state at its
    own last step, and the reverse direction starts from h_0 at that step)."""
    mask = np.arange(steps)[:, None] < _host_ints(lengths)[None, :]
    return tensor(mask[:, :, None], device=like.device)


def _unpack_like(rows: Tensor, packed: PackedSequence, steps: int, batch: int) -> Tensor:
    """The inverse of _pack_like for a tensor of packed rows (no gradient): laid out as the
    time-major padded (T, B, *) tensor, in the caller's batch order, zeros on padded steps."""
    order = None if packed.sorted_indices is None else _host_ints(packed.sorted_indices)
    where_rows = _packed_rows(_host_ints(packed.batch_sizes), order, batch)
    padded = zeros((steps * batch,) + tuple(rows.shape[1:]), dtype=rows.dtype, device=rows.device)
    padded[tensor(where_rows, device=rows.device)] = rows
    return padded.reshape((steps, batch) + tuple(rows.shape[1:]))


def _pack_like(output: Tensor, packed: PackedSequence) -> PackedSequence:
    """Time-major padded output (T, B, *), batch in the caller's order, packed as `packed` is."""
    batch_sizes = _host_ints(packed.batch_sizes)
    order = None if packed.sorted_indices is None else _host_ints(packed.sorted_indices)
    steps, batch = output.shape[0], output.shape[1]
    rows = _packed_rows(batch_sizes, order, batch)
    data = _rows(output.reshape(steps * batch, *output.shape[2:]), rows)
    return PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)

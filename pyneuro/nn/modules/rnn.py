"""RNN, GRU and LSTM (stacked, optionally bidirectional) and their one-step cells.

Built from differentiable tensor ops (F.linear, sigmoid, tanh, relu, slicing, stack, cat),
so autograd differentiates them; there is no fused RNN kernel, but the LSTM and GRU steps' gate
arithmetic is one graph node each (autograd/rnn_cell.py), their most numerous ops. Per layer and direction the
input projection x W_ih^T + b_ih of the whole sequence is one matmul; the loop over time
then only multiplies the hidden state by W_hh.

A PackedSequence input (pyneuro.nn.utils.rnn) runs on its padded form, each sequence's
state held fixed on its padded steps, and comes back packed; h_n is each sequence's state at
its own last step (the reverse direction's after reading it from its last element back).

Names, shapes and order of the parameters are torch's (weight_ih_l0, weight_hh_l0,
bias_ih_l0, bias_hh_l0, then ..._l0_reverse, ..._l1, ...), so a torch state_dict loads.
"""

from __future__ import annotations

import math
import numbers
import warnings

from ... import functional as F
from ..._dtype import float32
from ..._errors import ArgumentError, DTypeError, NotATensor, ShapeError, type_name
from ..._tensor_base import _device
from ...autograd import named
from ...autograd.rnn_cell import GRUPointwise, LSTMPointwise
from ...autograd.shape import renamed, watch
from ...autograd.stand_in import follows
from ...creation import empty, ones, zeros
from ...functions import cat, stack, where
from ...tensor import Tensor
from .. import init
from ..utils.rnn import PackedSequence, _pack_like, _step_masks, _unpack_like, pad_packed_sequence
from .module import Module, Parameter

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "GRU": 3, "LSTM": 4}


class _DTypeMismatch(DTypeError, ValueError):
    """Input and weights of different dtypes: torch raises ValueError, pyneuro's rule TypeError."""


class _MissingState(IndexError, TypeError):
    """An LSTM hx of fewer than two states: torch reads hx[1] (IndexError); a TypeError too."""


def _check_state_pair(hx, who: str, kernel: str) -> None:
    """An LSTM's or LSTMCell's hx must be (h, c). torch: a non-sequence fails to index
    (TypeError) or its items have no .dim() (AttributeError, an array); the LSTM reads hx[0],
    hx[1] (IndexError for one state); more than two states, or one for the cell, is
    RuntimeError '<kernel> expects two hidden states'."""
    if not isinstance(hx, (tuple, list)):
        raise NotATensor(f"{who}: hx must be a tuple (h, c), got {type(hx).__name__}")
    if len(hx) < 2 and who == "LSTM":
        raise _MissingState(f"LSTM: hx must be a tuple (h_0, c_0), got a {type(hx).__name__} of {len(hx)}")
    if len(hx) != 2:
        raise ArgumentError(f"{kernel} expects two hidden states, got {len(hx)}")


def _check_tensor(x, who: str, what: str = "input") -> None:
    if isinstance(x, Tensor):
        return
    if type(x).__name__ == "PackedSequence":
        raise TypeError(
            f"{who}: expected a pyneuro PackedSequence (pyneuro.nn.utils.rnn), got "
            f"{type(x).__module__}.PackedSequence"
        )
    # torch calls .dim() on it: AttributeError ('tuple' object has no attribute 'dim')
    raise NotATensor(f"{who}: expected {what} to be a pyneuro Tensor, got {type(x).__name__}")


def _cell(mode: str, gi: Tensor, state, w_hh, b_hh, w_hr=None, one_node=False):
    """One time step. gi = x W_ih^T + b_ih (N, gates * H), computed by the caller (for a
    whole sequence at once in RNN/GRU/LSTM); state is h (N, H_out), or (h, c) for the LSTM.
    one_node: torch runs the layer as one node that saves the weights (its oneDNN LSTM)."""
    if mode == "LSTM":
        h, c = state
        hs = c.shape[1]
        gh = F.linear(h, w_hh, b_hh)
        if one_node:  # (that node reads the weights as they are at backward: `w.data =` seen)
            follows(gh._node, w_hh)
        hc = LSTMPointwise.apply(gi + gh, c)  # the gates' arithmetic in one node
        h, c = hc[:, :hs], hc[:, hs:]
        if w_hr is not None:
            h = F.linear(h, w_hr)
        return h, c
    gh = F.linear(state, w_hh, b_hh)
    if mode == "GRU":
        return GRUPointwise.apply(gi, gh, state)  # the gates' arithmetic in one node
    pre = gi + gh
    return pre.tanh() if mode == "RNN_TANH" else pre.relu()


class RNNBase(Module):
    """What RNN, GRU and LSTM share: the parameters, their checks and the loop over layers,
    directions and time. Not for use on its own (torch's RNNBase neither)."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an element "
                "being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                stacklevel=3,
            )
        for name, v, kind in (
            ("bias", bias, bool),
            ("batch_first", batch_first, bool),
            ("input_size", input_size, int),
            ("hidden_size", hidden_size, int),
            ("num_layers", num_layers, int),
            ("proj_size", proj_size, int),
        ):
            if not isinstance(v, kind):
                raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(v).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        dev, dt = _device(device), dtype
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        dirs = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * dirs
            for direction in range(dirs):
                shapes = {"weight_ih": (gate_size, layer_input), "weight_hh": (gate_size, real_hidden)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for kind, shape in shapes.items():
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(empty(shape, dtype=dt, device=dev)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as torch."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """A no-op: torch packs the weights into one cuDNN buffer here; pyneuro has none."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        """The parameters per layer and direction: [[w_ih, w_hh, b_ih, b_hh], ...] as torch."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ------------------------------------------------------------------ checks
    def _check_input(self, input: Tensor) -> None:
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise _DTypeMismatch(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). "
                f"Convert input: input.to({w.dtype}), or convert model: model.to({input.dtype})"
            )
        if input.shape[-1] != self.input_size:
            raise ShapeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                f"got {input.shape[-1]}"
            )
        if input.shape[1 if self.batch_first else 0] == 0:
            raise ShapeError("Expected sequence length to be larger than 0 in RNN")

    def _hidden_shape(self, batch: int, size: int) -> tuple:
        return (self.num_layers * (2 if self.bidirectional else 1), batch, size)

    @staticmethod
    def _check_hidden(hx: Tensor, expected: tuple, msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.shape) != expected:
            raise ShapeError(msg.format(expected, list(hx.shape)))

    def _prepare(self, input, hx, name: str):
        """Check input and hx; return (time-major 3-D input, h0, c0 or None, is_batched).
        Missing states are zeros; unbatched ones get their batch dim of 1."""
        _check_tensor(input, name)
        # torch's _VF.lstm types it bool: checked here, at forward, not in __init__, as torch
        if type(self.bidirectional) is not bool:
            kernel = {"RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu"}.get(self.mode, self.mode.lower())
            raise TypeError(
                f"{kernel}(): argument 'bidirectional' must be bool, not {type_name(self.bidirectional)}"
            )
        if input.ndim not in (2, 3):
            tensor = " tensor" if name == "RNN" else ""
            raise ShapeError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D{tensor} instead")
        is_batched = input.ndim == 3
        if not is_batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        batch = input.shape[0 if self.batch_first else 1]
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        lstm = self.mode == "LSTM"
        if hx is None:
            h0 = zeros(self._hidden_shape(batch, real_hidden), dtype=input.dtype, device=input.device)
            c0 = (
                zeros(self._hidden_shape(batch, self.hidden_size), dtype=input.dtype, device=input.device)
                if lstm
                else None
            )
        elif lstm:
            if isinstance(hx, Tensor):  # torch reads hx[0] and hx[1] (an IndexError if dim 0 is 1)
                hx = (hx[0], hx[1])
            _check_state_pair(hx, "LSTM", "lstm")
            h0, c0 = hx
            _check_tensor(h0, name, "hx[0]")
            _check_tensor(c0, name, "hx[1]")
            want = 3 if is_batched else 2
            if h0.ndim != want or c0.ndim != want:
                kind = "batched 3-D" if is_batched else "unbatched 2-D"
                raise ShapeError(
                    f"For {kind} input, hx and cx should also be {want}-D but got "
                    f"({h0.ndim}-D, {c0.ndim}-D) tensors"
                )
            if not is_batched:
                h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
        else:
            _check_tensor(hx, name, "hx")
            want = 3 if is_batched else 2
            if hx.ndim != want:
                kind = "batched 3-D" if is_batched else "unbatched 2-D"
                raise ShapeError(f"For {kind} input, hx should also be {want}-D but got {hx.ndim}-D tensor")
            h0, c0 = (hx if is_batched else hx.unsqueeze(1)), None
        self._check_input(input)
        if lstm:
            self._check_hidden(
                h0, self._hidden_shape(batch, real_hidden), "Expected hidden[0] size {}, got {}"
            )
            self._check_hidden(
                c0, self._hidden_shape(batch, self.hidden_size), "Expected hidden[1] size {}, got {}"
            )
        else:
            self._check_hidden(h0, self._hidden_shape(batch, self.hidden_size))
            c0 = None
        if self.batch_first:  # a copy in time-major order, as torch's (so the input itself is not saved:
            input = input.transpose(0, 1).contiguous()  # changed in place after forward, it is no error)
        return input, h0, c0, is_batched

    # ------------------------------------------------------------------ the loop
    def _run(self, x: Tensor, h0: Tensor, c0, masks=None, packed=None):
        """x (L, N, H_in) -> output (L, N, dirs * H_out), h_n, c_n (None but for the LSTM).
        masks (L, N, 1) bool (packed input): a sequence's state stays as it is on its padded
        steps, so h_n is its state at its own last step, and the reverse pass starts there."""
        lstm = self.mode == "LSTM"
        one_node = self._one_node(x, packed) and not self.proj_size  # (with projections: torch's composite)
        dirs = 2 if self.bidirectional else 1
        length = x.shape[0]
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(dirs):
                k = layer * dirs + direction
                params = [getattr(self, n) for n in self._all_weights[k]]
                w_ih, w_hh = params[0], params[1]
                b_ih, b_hh = (params[2], params[3]) if self.bias else (None, None)
                w_hr = params[-1] if self.proj_size > 0 else None
                gi = F.linear(x, w_ih, b_ih)  # (L, N, gates * H): every step in one matmul
                if one_node:  # (torch's node reads the weights, and the first layer's input, at backward)
                    follows(gi._node, w_ih)
                    if layer == 0:
                        follows(gi._node, x)
                state = (h0[k], c0[k]) if lstm else h0[k]
                steps = [None] * length
                for t in range(length - 1, -1, -1) if direction else range(length):
                    new = _cell(self.mode, gi[t], state, w_hh, b_hh, w_hr, one_node)
                    if masks is None:
                        state = new
                    elif lstm:
                        state = (where(masks[t], new[0], state[0]), where(masks[t], new[1], state[1]))
                    else:
                        state = where(masks[t], new, state)
                    steps[t] = state[0] if lstm else state
                outs.append(stack(steps, 0))
                h_n.append(state[0] if lstm else state)
                if lstm:
                    c_n.append(state[1])
            x = outs[0] if dirs == 1 else cat(outs, dim=2)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True) if packed is None else x * self._packed_noise(x, packed)
        return x, stack(h_n, 0), (stack(c_n, 0) if lstm else None)

    def _one_node(self, x: Tensor, packed) -> bool:
        """Does torch run this layer as one oneDNN node (its float32 CPU LSTM, a padded input)?"""
        return self.mode == "LSTM" and packed is None and x.dtype == float32 and x.numel() > 0

    def _packed_noise(self, x: Tensor, packed: PackedSequence) -> Tensor:
        """The dropout multipliers torch draws for a packed input: over its data (sum of lengths, D),
        so the same random numbers as torch, laid out on x's padded (L, N, D) steps."""
        rows = F.dropout(
            ones(packed.data.shape[0], x.shape[2], dtype=x.dtype, device=x.device), self.dropout, True
        )
        return _unpack_like(rows, packed, x.shape[0], x.shape[1])

    def _forward(self, input, hx, name: str):
        packed = input if isinstance(input, PackedSequence) else None
        if packed is not None:  # run on the padded form, in the caller's batch order
            input, lengths = pad_packed_sequence(packed, self.batch_first)
        x, h0, c0, is_batched = self._prepare(input, hx, name)
        masks = None if packed is None else _step_masks(lengths, x.shape[0], x)
        output, h_n, c_n = self._run(x, h0, c0, masks, packed)
        if packed is not None:
            return _pack_like(output, packed), h_n, c_n
        if self._one_node(x, packed):  # torch's CPU LSTM runs on oneDNN
            if self.proj_size:
                warnings.warn(
                    "LSTM with projections is not supported with oneDNN. Using default implementation.",
                    stacklevel=3,
                )
            else:  # its node saves every weight and bias: one changed in place before backward raises
                saved = [w for w in self._flat_weights if w is not None]
                if not self.bidirectional:  # (and the last layer's output, which is the output then)
                    output = named(output, "MkldnnRnnLayerBackward0")  # the node it prints
                    saved.append(output)
                h_n, c_n, output = watch(h_n, *saved), watch(c_n, *saved), watch(output, *saved)
        if self.batch_first:  # torch's RNN and GRU transpose their output in place (TransposeBackward1)
            output = output.transpose(0, 1)
            if self.mode != "LSTM":
                output = renamed(output, "TransposeBackward1")
        if not is_batched:
            output = output.squeeze(0 if self.batch_first else 1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        return output, h_n, c_n


def _no_proj_size(kwargs: dict, cls: str) -> None:
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
    if kwargs:
        raise TypeError(f"{cls}.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'")


class RNN(RNNBase):
    """Elman RNN over a sequence, layer by layer (torch.nn.RNN):

        h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)      (nonlinearity='relu': relu)

    Layer k > 0 reads layer k-1's outputs (with dropout between layers while training, when
    dropout > 0). bidirectional=True runs a second pass from the last step back and
    concatenates both passes' h_t. Input (L, N, H_in), (N, L, H_in) with batch_first=True, or
    unbatched (L, H_in); h_0 (num_layers * num_directions, N, H) or unbatched
    (num_layers * num_directions, H), zeros if not given. Returns (output, h_n): output holds
    the last layer's h_t for every t, (L, N, num_directions * H); h_n every layer's last h.
    weight_ih_l{k}: (H, H_in) for k = 0, else (H, num_directions * H); weight_hh_l{k}: (H, H).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
        **kwargs,
    ):
        _no_proj_size(kwargs, "RNN")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(
            mode,
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            0,
            device,
            dtype,
        )
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None):
        output, h_n, _ = self._forward(input, hx, "RNN")
        return output, h_n


class GRU(RNNBase):
    """Gated recurrent unit over a sequence, layer by layer (torch.nn.GRU). Per step:

        r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)        reset gate
        z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)        update gate
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))   candidate
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    weight_ih_l{k} stacks (W_ir | W_iz | W_in), (3H, H_in); weight_hh_l{k} (W_hr | W_hz | W_hn),
    (3H, H); the biases likewise (3H,). Layers, directions, dropout, shapes and the returned
    (output, h_n) as for RNN: output[t] is the last layer's h_t, so for one layer and one
    direction output[-1] equals h_n[0] exactly.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
        **kwargs,
    ):
        _no_proj_size(kwargs, "GRU")
        super().__init__(
            "GRU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            0,
            device,
            dtype,
        )

    def forward(self, input: Tensor, hx: Tensor | None = None):
        output, h_n, _ = self._forward(input, hx, "GRU")
        return output, h_n


class LSTM(RNNBase):
    """Long short-term memory over a sequence, layer by layer (torch.nn.LSTM). Per step:

        i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)        input gate
        f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)        forget gate
        g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)           cell candidate
        o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)        output gate
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)                 (proj_size > 0: h_t = W_hr (o_t * tanh(c_t)))

    weight_ih_l{k} stacks (W_ii | W_if | W_ig | W_io), (4H, H_in); weight_hh_l{k} (4H, H_out)
    with H_out = proj_size or H; weight_hr_l{k} (proj_size, H) only when proj_size > 0.
    hx is (h_0, c_0): h_0 (num_layers * num_directions, N, H_out), c_0 (..., N, H); returns
    (output, (h_n, c_n)), output (L, N, num_directions * H_out). Otherwise as RNN.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ):
        super().__init__(
            "LSTM",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            device,
            dtype,
        )

    def forward(self, input: Tensor, hx=None):
        output, h_n, c_n = self._forward(input, hx, "LSTM")
        return output, (h_n, c_n)


class RNNCellBase(Module):
    """What the cells share: weight_ih (gates * H, H_in), weight_hh (gates * H, H), the biases
    (gates * H,) or None, U(-1/sqrt(H), 1/sqrt(H)) init, and the checks of one step's input."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None, dtype=None
    ):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        dev, dt = _device(device), dtype
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), dtype=dt, device=dev))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), dtype=dt, device=dev))
        if bias:
            self.bias_ih = Parameter(empty((num_chunks * hidden_size,), dtype=dt, device=dev))
            self.bias_hh = Parameter(empty((num_chunks * hidden_size,), dtype=dt, device=dev))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input, states, name: str, hidden_name: str = "hidden"):
        """Check a step's input (N, H_in) or (H_in) and states (N, H) or (H); None: zeros.
        Returns the 2-D input, the 2-D states and whether the input was batched."""
        _check_tensor(input, name)
        if input.ndim not in (1, 2):
            raise ShapeError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        for i, s in enumerate(states):
            if s is not None:
                _check_tensor(s, name, "hx")
                if s.ndim not in (1, 2):
                    which = hidden_name if len(states) == 1 else f"hx[{i}]"
                    raise ShapeError(f"{name}: Expected {which} to be 1D or 2D, got {s.ndim}D instead")
        is_batched = input.ndim == 2
        if not is_batched:
            input = input.unsqueeze(0)
        batch = input.shape[0]
        out = []
        for s in states:
            if s is None:
                s = zeros((batch, self.hidden_size), dtype=input.dtype, device=input.device)
            elif not is_batched:
                s = s.unsqueeze(0)
            out.append(s)
        if input.shape[1] != self.input_size:
            raise ShapeError(
                f"input has inconsistent input_size: got {input.shape[1]} expected {self.input_size}"
            )
        for i, s in enumerate(out):
            if s.shape[0] != batch:
                raise ShapeError(f"Input batch size {batch} doesn't match hidden{i} batch size {s.shape[0]}")
            if s.shape[1] != self.hidden_size:
                raise ShapeError(
                    f"hidden{i} has inconsistent hidden_size: got {s.shape[1]}, expected {self.hidden_size}"
                )
        return input, out, is_batched

    def _gi(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight_ih, self.bias_ih)


class RNNCell(RNNCellBase):
    """One Elman RNN step (torch.nn.RNNCell): h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)
    (nonlinearity='relu': relu). Input (N, H_in) or (H_in); h (N, H) or (H), zeros if None."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), is_batched = self._prepare(input, (hx,), "RNNCell")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ArgumentError(f"Unknown nonlinearity: {self.nonlinearity}")
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        h = _cell(mode, self._gi(x), h, self.weight_hh, self.bias_hh)
        return h if is_batched else h.squeeze(0)


# What torch's (unfused, CPU) cells print as their outputs' grad_fn: gru_cell ends with
# n + z * (h - n), lstm_cell with h' = o * tanh(c') and c' = f * c + i * g.
# (GRUPointwise's node is named AddBackward0 itself, autograd/rnn_cell.py.)
_LSTM_CELL_NODES = ("MulBackward0", "AddBackward0")


class GRUCell(RNNCellBase):
    """One GRU step (torch.nn.GRUCell), gates stacked (r, z, n) in weight_ih/weight_hh (3H, .):

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    h' = (1 - z) * n + z * h
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), is_batched = self._prepare(input, (hx,), "GRUCell")
        h = _cell("GRU", self._gi(x), h, self.weight_hh, self.bias_hh)
        return h if is_batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (torch.nn.LSTMCell), gates stacked (i, f, g, o) in weight_ih/weight_hh (4H, .):

        i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)      f = sigmoid(W_if x + b_if + W_hf h + b_hf)
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)         o = sigmoid(W_io x + b_io + W_ho h + b_ho)
        c' = f * c + i * g
        h' = o * tanh(c')

    hx is (h, c), each (N, H) or (H), zeros if None; returns (h', c').
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx=None):
        if hx is not None:
            _check_state_pair(hx, "LSTMCell", "lstm_cell")
        x, (h, c), is_batched = self._prepare(input, (None, None) if hx is None else tuple(hx), "LSTMCell")
        h, c = _cell("LSTM", self._gi(x), (h, c), self.weight_hh, self.bias_hh)
        h, c = (renamed(t, name) for t, name in zip((h, c), _LSTM_CELL_NODES))
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))

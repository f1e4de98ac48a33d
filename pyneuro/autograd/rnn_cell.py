"""The LSTM and GRU cells' gate arithmetic as one graph node each (the time step of nn.LSTM and
nn.GRU, nn/modules/rnn.py).

One LSTM step from the gate pre-activations z = x W_ih^T + b_ih + h W_hh^T + b_hh, (N, 4H) in
torch's order i, f, g, o, and the previous cell state c (N, H):

    i = sigmoid(z_i)   f = sigmoid(z_f)   g = tanh(z_g)   o = sigmoid(z_o)
    c' = f c + i g     h' = o tanh(c')

Written with Tensor ops that is 13 nodes per step (three slices, sigmoid, tanh, five products
and sums, ...), and for a short sequence the Python cost of recording and walking them is most
of an LSTM's training step; here it is one node, whose output is [h' | c'] (N, 2H) (the caller
slices it). Backward, with G = [G_h | G_c] and t = tanh(c'):

    dc' = G_c + G_h o (1 - t^2)                (c' reaches the loss directly and through h')
    dz_i = dc' g i (1 - i)      dz_f = dc' c f (1 - f)
    dz_g = dc' i (1 - g^2)      dz_o = G_h t o (1 - o)
    dc  = dc' f

Measured (bench/heap_settings.py's LSTM step, 32 -> 64, 20 steps, batch 32): 3.2 -> 2.6 ms
(PyTorch: 0.95 ms; the rest is the other nodes of each step and NumPy's 15 passes over the gates).
The create_graph rule (below) is the same backward in Tensor ops.
"""

from __future__ import annotations

from .elementwise import Sigmoid, Tanh
from .function import Function, _errstate
from .graph_rules import _need, rule
from .shape import Cat, Index


class LSTMPointwise(Function):
    """[h' | c'] = the LSTM step's gates applied to the pre-activations z (N, 4H) and c (N, H)."""

    __slots__ = ()
    saved_for = ((0, 1), (0, 1))  # z and c (create_graph's rule recomputes the gates from both)

    def forward(self, z, c):
        xp = self.bk.xp
        hs = c.shape[1]
        with _errstate(xp):  # exp overflows to inf for very negative z: sigmoid is then 0, as it should
            s = 1 / (1 + xp.exp(-z))
        i, f, o = s[:, :hs], s[:, hs : 2 * hs], s[:, 3 * hs :]
        g = xp.tanh(z[:, 2 * hs : 3 * hs])
        c_new = f * c + i * g
        t = xp.tanh(c_new)
        out = xp.concatenate([o * t, c_new], axis=1).astype(z.dtype, copy=False)
        self.saved = (i, f, g, o, c, t)
        return out

    def backward(self, grad):
        i, f, g, o, c, t = self.saved
        xp = self.bk.xp
        hs = c.shape[1]
        gh, gc = grad[:, :hs], grad[:, hs:]
        dc = gc + gh * o * (1 - t * t)
        dz = None
        if self.needs[0]:
            dz = xp.concatenate(
                [dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g), gh * t * o * (1 - o)],
                axis=1,
            )
        return dz, (dc * f if self.needs[1] else None)

    def name(self) -> str:
        return "LstmCellBackward0"


def _cols(t, start, stop):
    return Index.apply(t, index=(slice(None), slice(start, stop)))


@rule(LSTMPointwise)
def _lstm_pointwise(node, grad):
    """LSTMPointwise.backward in Tensor ops: the gates recomputed from the node's inputs."""
    z, c = node.inputs
    hs = c.shape[1]
    i, f = Sigmoid.apply(_cols(z, 0, hs)), Sigmoid.apply(_cols(z, hs, 2 * hs))
    g, o = Tanh.apply(_cols(z, 2 * hs, 3 * hs)), Sigmoid.apply(_cols(z, 3 * hs, 4 * hs))
    t = Tanh.apply(f * c + i * g)
    gh, gc = _cols(grad, 0, hs), _cols(grad, hs, 2 * hs)
    dc = gc + gh * o * (1 - t * t)
    dz = None
    if _need(node, 0):
        dz = Cat.apply(
            dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g), gh * t * o * (1 - o), dim=1
        )
    return dz, (dc * f if _need(node, 1) else None)


class GRUPointwise(Function):
    """h' = the GRU step's gates applied to gi = x W_ih^T + b_ih and gh = h W_hh^T + b_hh (N, 3H),
    torch's order r, z, n, and the previous state h (N, H):

        r = sigmoid(gi_r + gh_r)   z = sigmoid(gi_z + gh_z)   n = tanh(gi_n + r gh_n)
        h' = (1 - z) n + z h

    Backward, with a = dh' (1 - z) (1 - n^2), the gradient of gi_n + r gh_n:
        d gi = [b, c, a]   d gh = [b, c, a r]   d h = dh' z
        with b = a gh_n r (1 - r) and c = dh' (h - n) z (1 - z).
    """

    __slots__ = ()
    saved_for = ((0, 1, 2), (0, 1, 2), (0, 1, 2))  # (create_graph's rule recomputes from all three)

    def forward(self, gi, gh, h):
        xp = self.bk.xp
        hs = h.shape[1]
        with _errstate(xp):
            rz = 1 / (1 + xp.exp(-(gi[:, : 2 * hs] + gh[:, : 2 * hs])))
        r, z = rz[:, :hs], rz[:, hs:]
        gh_n = gh[:, 2 * hs :]
        n = xp.tanh(gi[:, 2 * hs :] + r * gh_n)
        self.saved = (r, z, n, gh_n, h)
        return ((1 - z) * n + z * h).astype(gi.dtype, copy=False)

    def backward(self, grad):
        r, z, n, gh_n, h = self.saved
        xp = self.bk.xp
        a = grad * (1 - z) * (1 - n * n)
        b = a * gh_n * r * (1 - r)
        c = grad * (h - n) * z * (1 - z)
        return (
            xp.concatenate([b, c, a], axis=1) if self.needs[0] else None,
            xp.concatenate([b, c, a * r], axis=1) if self.needs[1] else None,
            grad * z if self.needs[2] else None,
        )

    def name(self) -> str:  # torch's unfused gru_cell ends with n + z * (h - n): its node is AddBackward0
        return "AddBackward0"


@rule(GRUPointwise)
def _gru_pointwise(node, grad):
    """GRUPointwise.backward in Tensor ops: the gates recomputed from the node's inputs."""
    gi, gh, h = node.inputs
    hs = h.shape[1]
    r = Sigmoid.apply(_cols(gi, 0, hs) + _cols(gh, 0, hs))
    z = Sigmoid.apply(_cols(gi, hs, 2 * hs) + _cols(gh, hs, 2 * hs))
    gh_n = _cols(gh, 2 * hs, 3 * hs)
    n = Tanh.apply(_cols(gi, 2 * hs, 3 * hs) + r * gh_n)
    a = grad * (1 - z) * (1 - n * n)
    b = a * gh_n * r * (1 - r)
    c = grad * (h - n) * z * (1 - z)
    return (
        Cat.apply(b, c, a, dim=1) if _need(node, 0) else None,
        Cat.apply(b, c, a * r, dim=1) if _need(node, 1) else None,
        grad * z if _need(node, 2) else None,
    )

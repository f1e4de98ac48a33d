"""d2l.ai (PyTorch) 9-10: a character vocabulary, one_hot of X.T, the RNN from scratch with
grad_clipping (param.grad[:] *= theta / norm) and state.detach_(), GRU/LSTM from scratch, the
concise RNNModel over nn.RNN/GRU/LSTM (bidirectional, 2 layers)."""

import collections
import math

import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)
text = "the time machine by h g wells " * 20
tokens = list(text)


class Vocab:
    def __init__(self, tokens=[], min_freq=0, reserved_tokens=[]):  # noqa: B006
        counter = collections.Counter(tokens)
        self.token_freqs = sorted(counter.items(), key=lambda x: x[1], reverse=True)
        self.idx_to_token = list(
            sorted(
                set(
                    ["<unk>"]
                    + reserved_tokens
                    + [token for token, freq in self.token_freqs if freq >= min_freq]
                )
            )
        )
        self.token_to_idx = {token: idx for idx, token in enumerate(self.idx_to_token)}

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, self.unk)
        return [self.__getitem__(token) for token in tokens]

    def to_tokens(self, indices):
        if hasattr(indices, "__len__") and len(indices) > 1:
            return [self.idx_to_token[int(index)] for index in indices]
        return self.idx_to_token[indices]

    @property
    def unk(self):
        return self.token_to_idx["<unk>"]


vocab = Vocab(tokens)
print(len(vocab), vocab.token_freqs[:3])
corpus = [vocab[t] for t in tokens]
num_steps = 8
array = torch.tensor([corpus[i : i + num_steps + 1] for i in range(len(corpus) - num_steps)])
X_all, Y_all = array[:, :-1], array[:, 1:]
print(X_all.shape, Y_all.shape, X_all.dtype)
print(F.one_hot(torch.tensor([0, 2]), len(vocab)))
X = torch.arange(10).reshape((2, 5))
print(F.one_hot(X.T, 28).shape)

num_hiddens = 16
vocab_size = len(vocab)


def get_params(vocab_size, num_hiddens):
    num_inputs = num_outputs = vocab_size

    def normal(shape):
        return torch.randn(size=shape) * 0.01

    W_xh = normal((num_inputs, num_hiddens))
    W_hh = normal((num_hiddens, num_hiddens))
    b_h = torch.zeros(num_hiddens)
    W_hq = normal((num_hiddens, num_outputs))
    b_q = torch.zeros(num_outputs)
    params = [W_xh, W_hh, b_h, W_hq, b_q]
    for param in params:
        param.requires_grad_(True)
    return params


def init_rnn_state(batch_size, num_hiddens):
    return (torch.zeros((batch_size, num_hiddens)),)


def rnn(inputs, state, params):
    W_xh, W_hh, b_h, W_hq, b_q = params
    (H,) = state
    outputs = []
    for X in inputs:
        H = torch.tanh(torch.mm(X, W_xh) + torch.mm(H, W_hh) + b_h)
        Y = torch.mm(H, W_hq) + b_q
        outputs.append(Y)
    return torch.cat(outputs, dim=0), (H,)


class RNNModelScratch:
    def __init__(self, vocab_size, num_hiddens, get_params, init_state, forward_fn):
        self.vocab_size, self.num_hiddens = vocab_size, num_hiddens
        self.params = get_params(vocab_size, num_hiddens)
        self.init_state, self.forward_fn = init_state, forward_fn

    def __call__(self, X, state):
        X = F.one_hot(X.T, self.vocab_size).type(torch.float32)
        return self.forward_fn(X, state, self.params)

    def begin_state(self, batch_size):
        return self.init_state(batch_size, self.num_hiddens)


net = RNNModelScratch(len(vocab), num_hiddens, get_params, init_rnn_state, rnn)
state = net.begin_state(X.shape[0])
Y, new_state = net(X, state)
print(Y.shape, len(new_state), new_state[0].shape)


def predict_ch8(prefix, num_preds, net):
    state = net.begin_state(batch_size=1)
    outputs = [vocab[prefix[0]]]
    get_input = lambda: torch.tensor([outputs[-1]]).reshape((1, 1))
    for y in prefix[1:]:
        _, state = net(get_input(), state)
        outputs.append(vocab[y])
    for _ in range(num_preds):
        y, state = net(get_input(), state)
        outputs.append(int(y.argmax(dim=1).reshape(1)))
    return "".join([vocab.idx_to_token[i] for i in outputs])


print(predict_ch8("time ", 10, net))


def grad_clipping(net, theta):
    if isinstance(net, nn.Module):
        params = [p for p in net.parameters() if p.requires_grad]
    else:
        params = net.params
    norm = torch.sqrt(sum(torch.sum(p.grad**2) for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


loss = nn.CrossEntropyLoss()
batch = 16
for epoch in range(4):
    state = None
    tot = 0.0
    for i in range(0, 64, batch):
        Xb, Yb = X_all[i : i + batch], Y_all[i : i + batch]
        if state is None:
            state = net.begin_state(batch_size=Xb.shape[0])
        else:
            for s in state:
                s.detach_()
        y = Yb.T.reshape(-1)
        y_hat, state = net(Xb, state)
        l = loss(y_hat, y.long()).mean()
        for p in net.params:
            if p.grad is not None:
                p.grad.zero_()
        l.backward()
        grad_clipping(net, 1)
        sgd(net.params, 1, 1)
        tot += l.item()
    print(f"epoch {epoch} perplexity {math.exp(tot / 4):.4f}")
print(predict_ch8("time ", 10, net))


# GRU from scratch
def get_gru_params(vocab_size, num_hiddens):
    num_inputs = num_outputs = vocab_size

    def normal(shape):
        return torch.randn(size=shape) * 0.01

    def three():
        return (
            normal((num_inputs, num_hiddens)),
            normal((num_hiddens, num_hiddens)),
            torch.zeros(num_hiddens),
        )

    W_xz, W_hz, b_z = three()
    W_xr, W_hr, b_r = three()
    W_xh, W_hh, b_h = three()
    W_hq = normal((num_hiddens, num_outputs))
    b_q = torch.zeros(num_outputs)
    params = [W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q]
    for param in params:
        param.requires_grad_(True)
    return params


def gru(inputs, state, params):
    W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q = params
    (H,) = state
    outputs = []
    for X in inputs:
        Z = torch.sigmoid((X @ W_xz) + (H @ W_hz) + b_z)
        R = torch.sigmoid((X @ W_xr) + (H @ W_hr) + b_r)
        H_tilda = torch.tanh((X @ W_xh) + ((R * H) @ W_hh) + b_h)
        H = Z * H + (1 - Z) * H_tilda
        Y = H @ W_hq + b_q
        outputs.append(Y)
    return torch.cat(outputs, dim=0), (H,)


net = RNNModelScratch(len(vocab), num_hiddens, get_gru_params, init_rnn_state, gru)
Y, st = net(X_all[:4], net.begin_state(4))
l = loss(Y, Y_all[:4].T.reshape(-1))
l.backward()
print(l.item(), net.params[0].grad.abs().sum().item())


# LSTM from scratch
def init_lstm_state(batch_size, num_hiddens):
    return (torch.zeros((batch_size, num_hiddens)), torch.zeros((batch_size, num_hiddens)))


def lstm(inputs, state, params):
    [W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xo, W_ho, b_o, W_xc, W_hc, b_c, W_hq, b_q] = params
    (H, C) = state
    outputs = []
    for X in inputs:
        I = torch.sigmoid((X @ W_xi) + (H @ W_hi) + b_i)
        Fg = torch.sigmoid((X @ W_xf) + (H @ W_hf) + b_f)
        O = torch.sigmoid((X @ W_xo) + (H @ W_ho) + b_o)
        C_tilda = torch.tanh((X @ W_xc) + (H @ W_hc) + b_c)
        C = Fg * C + I * C_tilda
        H = O * torch.tanh(C)
        Y = (H @ W_hq) + b_q
        outputs.append(Y)
    return torch.cat(outputs, dim=0), (H, C)


def get_lstm_params(vocab_size, num_hiddens):
    num_inputs = num_outputs = vocab_size

    def normal(shape):
        return torch.randn(size=shape) * 0.01

    def three():
        return (
            normal((num_inputs, num_hiddens)),
            normal((num_hiddens, num_hiddens)),
            torch.zeros(num_hiddens),
        )

    params = [
        *three(),
        *three(),
        *three(),
        *three(),
        normal((num_hiddens, num_outputs)),
        torch.zeros(num_outputs),
    ]
    for param in params:
        param.requires_grad_(True)
    return params


net = RNNModelScratch(len(vocab), num_hiddens, get_lstm_params, init_lstm_state, lstm)
Y, st = net(X_all[:4], net.begin_state(4))
l = loss(Y, Y_all[:4].T.reshape(-1))
l.backward()
print(l.item(), net.params[0].grad.abs().sum().item(), st[1].shape)


# concise
class RNNModel(nn.Module):
    def __init__(self, rnn_layer, vocab_size, **kwargs):
        super(RNNModel, self).__init__(**kwargs)
        self.rnn = rnn_layer
        self.vocab_size = vocab_size
        self.num_hiddens = self.rnn.hidden_size
        if not self.rnn.bidirectional:
            self.num_directions = 1
            self.linear = nn.Linear(self.num_hiddens, self.vocab_size)
        else:
            self.num_directions = 2
            self.linear = nn.Linear(self.num_hiddens * 2, self.vocab_size)

    def forward(self, inputs, state):
        X = F.one_hot(inputs.T.long(), self.vocab_size)
        X = X.to(torch.float32)
        Y, state = self.rnn(X, state)
        output = self.linear(Y.reshape((-1, Y.shape[-1])))
        return output, state

    def begin_state(self, device, batch_size=1):
        if not isinstance(self.rnn, nn.LSTM):
            return torch.zeros(
                (self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens), device=device
            )
        else:
            return (
                torch.zeros(
                    (self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens), device=device
                ),
                torch.zeros(
                    (self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens), device=device
                ),
            )


for layer in [
    nn.RNN(len(vocab), num_hiddens),
    nn.GRU(len(vocab), num_hiddens, num_layers=2),
    nn.LSTM(len(vocab), num_hiddens, bidirectional=True),
]:
    net = RNNModel(layer, vocab_size=len(vocab))
    state = net.begin_state("cpu", batch_size=4)
    Y, state_new = net(X_all[:4], state)
    print(Y.shape, state_new.shape if isinstance(state_new, torch.Tensor) else [s.shape for s in state_new])
    l = loss(Y, Y_all[:4].T.reshape(-1))
    l.backward()
    grad_clipping(net, 1)
    print(l.item(), sum(p.grad.norm() ** 2 for p in net.parameters()).sqrt().item())
    print(layer)
print(nn.RNN(4, 3).weight_hh_l0.shape, [n for n, _ in nn.LSTM(4, 3, num_layers=2).named_parameters()])
state = torch.zeros((1, 32, 16))
X = torch.rand(size=(8, 32, len(vocab)))
Y, state_new = nn.RNN(len(vocab), 16)(X, state)
print(Y.shape, state_new.shape)

"""d2l.ai (PyTorch) code whose gradients go through in-place edits: FixedHiddenMLP's X /= 2 loop,
masked_softmax's X[~mask] = value, MaskedSoftmaxCELoss, batch norm from scratch, Residual's
Y += X, gradient clipping by param.grad[:] *= ..., positional encodings written by slices."""

import math

import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)


def show(name, params):
    print(name, [round(float(p.grad.abs().sum()), 5) if p.grad is not None else None for p in params])


class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.rand_weight = torch.rand((20, 20), requires_grad=False)
        self.linear = nn.Linear(20, 20)

    def forward(self, X):
        X = self.linear(X)
        X = F.relu(torch.mm(X, self.rand_weight) + 1)
        X = self.linear(X)
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()


net = FixedHiddenMLP()
out = net(torch.rand(2, 20))
out.backward()
print(out, out.grad_fn)
show("fixed", net.parameters())


def sequence_mask(X, valid_len, value=0):
    maxlen = X.size(1)
    mask = torch.arange((maxlen), dtype=torch.float32, device=X.device)[None, :] < valid_len[:, None]
    X[~mask] = value
    return X


def masked_softmax(X, valid_lens):
    if valid_lens is None:
        return nn.functional.softmax(X, dim=-1)
    shape = X.shape
    if valid_lens.dim() == 1:
        valid_lens = torch.repeat_interleave(valid_lens, shape[1])
    else:
        valid_lens = valid_lens.reshape(-1)
    X = sequence_mask(X.reshape(-1, shape[-1]), valid_lens, value=-1e6)
    return nn.functional.softmax(X.reshape(shape), dim=-1)


S = torch.randn(2, 3, 4, requires_grad=True)
W = masked_softmax(S * 1.0, torch.tensor([2, 3]))
(W * torch.arange(24.0).reshape(2, 3, 4)).sum().backward()
print(W[0], S.grad[0], S.grad[1])
S.grad = None
try:
    masked_softmax(S.reshape(2, 3, 4), torch.tensor([2, 3]))
except RuntimeError as e:
    print(type(e).__name__, e)
W = masked_softmax(S * 2, torch.tensor([2, 3]))
print(W.grad_fn)
(W**2).sum().backward()
print(S.grad[1])


class AdditiveAttention(nn.Module):
    def __init__(self, num_hiddens, dropout):
        super().__init__()
        self.W_k = nn.Linear(2, num_hiddens, bias=False)
        self.W_q = nn.Linear(20, num_hiddens, bias=False)
        self.w_v = nn.Linear(num_hiddens, 1, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens):
        queries, keys = self.W_q(queries), self.W_k(keys)
        features = queries.unsqueeze(2) + keys.unsqueeze(1)
        features = torch.tanh(features)
        scores = self.w_v(features).squeeze(-1)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)


att = AdditiveAttention(8, 0.1)
q, k = torch.normal(0, 1, (2, 1, 20)), torch.randn(2, 10, 2)
v = torch.arange(40, dtype=torch.float32).reshape(1, 10, 4).repeat(2, 1, 1)
out = att(q, k, v, torch.tensor([2, 6]))
out.sum().backward()
show("additive (train, dropout)", att.parameters())
print(out)


class MaskedSoftmaxCELoss(nn.CrossEntropyLoss):
    def forward(self, pred, label, valid_len):
        weights = torch.ones_like(label)
        weights = sequence_mask(weights, valid_len)
        self.reduction = "none"
        unweighted_loss = super(MaskedSoftmaxCELoss, self).forward(pred.permute(0, 2, 1), label)
        weighted_loss = (unweighted_loss * weights).mean(dim=1)
        return weighted_loss


pred = torch.randn(3, 4, 10, requires_grad=True)
l = MaskedSoftmaxCELoss()(pred, torch.randint(0, 10, (3, 4)), torch.tensor([4, 2, 0]))
l.sum().backward()
print(l, pred.grad[1, 2:].abs().sum(), pred.grad[0, 0])


def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        mean = X.mean(dim=(0, 2, 3), keepdim=True)
        var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta
    return Y, moving_mean.data, moving_var.data


X = torch.randn(4, 3, 5, 5, requires_grad=True)
gamma = torch.ones(1, 3, 1, 1, requires_grad=True)
beta = torch.zeros(1, 3, 1, 1, requires_grad=True)
Y, mm, mv = batch_norm(X, gamma, beta, torch.zeros(1, 3, 1, 1), torch.ones(1, 3, 1, 1), 1e-5, 0.1)
(Y * torch.arange(300.0).reshape(4, 3, 5, 5)).sum().backward()
print(X.grad[0, 0, 0], gamma.grad.reshape(-1), beta.grad.reshape(-1), mm.requires_grad, mv.reshape(-1))
bn = nn.BatchNorm2d(3)
X.grad = None
(bn(X) * torch.arange(300.0).reshape(4, 3, 5, 5)).sum().backward()
print(X.grad[0, 0, 0], bn.weight.grad, bn.running_var)


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        Y += X
        return F.relu(Y)


r = Residual(3)
X = torch.randn(2, 3, 4, 4, requires_grad=True)
r(X).pow(2).sum().backward()
show("residual", r.parameters())
print(X.grad[0, 0, 0])

# RNN grad clipping with in-place grad edits
rnn = nn.RNN(5, 6)
lin = nn.Linear(6, 5)
x = torch.randn(7, 3, 5)
y, h = rnn(x)
l = F.cross_entropy(lin(y).reshape(-1, 5), torch.randint(0, 5, (21,)))
l.backward()
params = [p for p in list(rnn.parameters()) + list(lin.parameters()) if p.requires_grad]
norm = torch.sqrt(sum(torch.sum(p.grad**2) for p in params))
print(norm)
for param in params:
    param.grad[:] *= 0.5 / norm
show("clipped", params)
print(nn.utils.clip_grad_norm_(params, 0.1), rnn.weight_hh_l0.grad[0])

# positional encoding gradient through slice
P = torch.zeros((1, 10, 8))
Xp = torch.arange(10, dtype=torch.float32).reshape(-1, 1) / torch.pow(
    10000, torch.arange(0, 8, 2, dtype=torch.float32) / 8
)
P[:, :, 0::2] = torch.sin(Xp)
P[:, :, 1::2] = torch.cos(Xp)
emb = nn.Embedding(10, 8)
Z = emb(torch.tensor([[1, 2, 3]])) * math.sqrt(8) + P[:, :3, :]
Z.sum().backward()
print(emb.weight.grad[:4, 0], P[0, 2])

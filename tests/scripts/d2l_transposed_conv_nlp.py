"""d2l.ai (PyTorch): backward under no_grad, init_seq2seq via _flat_weights_names, reversed(tensor),
transposed convolution (by loops, nn.ConvTranspose2d, the bilinear kernel), per-pixel
cross-entropy, word2vec's skip-gram and masked BCE loss, batchify, TextCNN pieces."""

import math

import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)
# backward under no_grad (d2l 1.0 Trainer.fit_epoch)
net = nn.Linear(3, 1)
X = torch.randn(4, 3)
loss = ((net(X) - 1) ** 2).mean()
with torch.no_grad():
    loss.backward()
    for p in net.parameters():
        p -= 0.1 * p.grad
print(net.weight, net.bias.grad)
print(net.weight.requires_grad, net.weight.grad_fn)


def init_seq2seq(module):
    if type(module) == nn.Linear:  # noqa: E721
        nn.init.xavier_uniform_(module.weight)
    if type(module) == nn.GRU or type(module) == nn.LSTM:  # noqa: E721
        for param in module._flat_weights_names:
            if "weight" in param:
                nn.init.xavier_uniform_(module._parameters[param])


gru = nn.GRU(4, 6, 2)
print(gru._flat_weights_names)
gru.apply(init_seq2seq)
print(gru.weight_ih_l1[0])
lstm = nn.LSTM(4, 3, bidirectional=True)
lstm.apply(init_seq2seq)
lstm.flatten_parameters()
print(lstm._flat_weights_names)
out, (h, c) = lstm(torch.randn(5, 2, 4))
print(out.shape, h.shape, torch.cat((out[0], out[-1]), dim=1).shape)

x = torch.arange(6.0).reshape(3, 2)
print(reversed(x))
print([r for r in reversed(x)])
print(list(zip(x, reversed(x)))[0])
print(x.swapaxes(0, 1), x.swapdims(0, 1), torch.swapaxes(x, 0, 1).shape)
print(x[:, (0)], x[:, (0)].unsqueeze(1))


# transposed conv
def trans_conv(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] + h - 1, X.shape[1] + w - 1))
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            Y[i : i + h, j : j + w] += X[i, j] * K
    return Y


X = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
print(trans_conv(X, K))
X, K = X.reshape(1, 1, 2, 2), K.reshape(1, 1, 2, 2)
tconv = nn.ConvTranspose2d(1, 1, kernel_size=2, bias=False)
tconv.weight.data = K
print(tconv(X))
tconv = nn.ConvTranspose2d(1, 1, kernel_size=2, padding=1, bias=False)
tconv.weight.data = K
print(tconv(X))
tconv = nn.ConvTranspose2d(1, 1, kernel_size=2, stride=2, bias=False)
tconv.weight.data = K
print(tconv(X))
X = torch.rand(size=(1, 10, 16, 16))
conv = nn.Conv2d(10, 20, kernel_size=5, padding=2, stride=3)
tconv = nn.ConvTranspose2d(20, 10, kernel_size=5, padding=2, stride=3)
print(tconv(conv(X)).shape == X.shape)
X = torch.arange(9.0).reshape(3, 3)
K = torch.tensor([[1.0, 2.0], [3.0, 4.0]])


def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i : i + h, j : j + w] * K).sum()
    return Y


Y = corr2d(X, K)


def kernel2matrix(K):
    k, W = torch.zeros(5), torch.zeros((4, 9))
    k[:2], k[3:5] = K[0, :], K[1, :]
    W[0, :5], W[1, 1:6], W[2, 3:8], W[3, 4:] = k, k, k, k
    return W


W = kernel2matrix(K)
print(W)
print(Y == torch.matmul(W, X.reshape(-1)).reshape(2, 2))
Z = trans_conv(Y, K)
print(Z == torch.matmul(W.T, Y.reshape(-1)).reshape(3, 3))


def bilinear_kernel(in_channels, out_channels, kernel_size):
    factor = (kernel_size + 1) // 2
    if kernel_size % 2 == 1:
        center = factor - 1
    else:
        center = factor - 0.5
    og = (torch.arange(kernel_size).reshape(-1, 1), torch.arange(kernel_size).reshape(1, -1))
    filt = (1 - torch.abs(og[0] - center) / factor) * (1 - torch.abs(og[1] - center) / factor)
    weight = torch.zeros((in_channels, out_channels, kernel_size, kernel_size))
    weight[range(in_channels), range(out_channels), :, :] = filt
    return weight


conv_trans = nn.ConvTranspose2d(3, 3, kernel_size=4, padding=1, stride=2, bias=False)
conv_trans.weight.data.copy_(bilinear_kernel(3, 3, 4))
img = torch.rand(1, 3, 4, 4)
Y = conv_trans(img)
print(Y.shape, Y[0, 0, :2])
print(bilinear_kernel(2, 2, 3)[1, 1])
inputs = torch.randn(2, 5, 4, 4, requires_grad=True)
targets = torch.randint(0, 5, (2, 4, 4))
l = F.cross_entropy(inputs, targets, reduction="none").mean(1).mean(1)
l.sum().backward()
print(l, inputs.grad[0, :, 0, 0])
print(F.cross_entropy(inputs, targets))

# word2vec bits
embed = nn.Embedding(num_embeddings=20, embedding_dim=4)
print(f"Parameter embedding_weight ({embed.weight.shape}, dtype={embed.weight.dtype})")
x = torch.tensor([[1, 2, 3], [4, 5, 6]])
print(embed(x).shape)


def skip_gram(center, contexts_and_negatives, embed_v, embed_u):
    v = embed_v(center)
    u = embed_u(contexts_and_negatives)
    pred = torch.bmm(v, u.permute(0, 2, 1))
    return pred


print(
    skip_gram(torch.ones((2, 1), dtype=torch.long), torch.ones((2, 4), dtype=torch.long), embed, embed).shape
)


class SigmoidBCELoss(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, inputs, target, mask=None):
        out = nn.functional.binary_cross_entropy_with_logits(inputs, target, weight=mask, reduction="none")
        return out.mean(dim=1)


loss = SigmoidBCELoss()
pred = torch.tensor([[1.1, -2.2, 3.3, -4.4]] * 2)
label = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])
mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])
print(loss(pred, label, mask) * mask.shape[1] / mask.sum(axis=1))


def sigmd(x):
    return -math.log(1 / (1 + math.exp(-x)))


print(f"{(sigmd(1.1) + sigmd(2.2) + sigmd(-3.3) + sigmd(4.4)) / 4:.4f}")
W = embed.weight.data
x = W[3]
cos = torch.mv(W, x) / torch.sqrt(torch.sum(W * W, dim=1) * torch.sum(x * x) + 1e-9)
topk = torch.topk(cos, k=4)[1].cpu().numpy().astype("int32")
print(topk, torch.topk(cos, k=4))


def batchify(data):
    max_len = max(len(c) + len(n) for _, c, n in data)
    centers, contexts_negatives, masks, labels = [], [], [], []
    for center, context, negative in data:
        cur_len = len(context) + len(negative)
        centers += [center]
        contexts_negatives += [context + negative + [0] * (max_len - cur_len)]
        masks += [[1] * cur_len + [0] * (max_len - cur_len)]
        labels += [[1] * len(context) + [0] * (max_len - len(context))]
    return (
        torch.tensor(centers).reshape((-1, 1)),
        torch.tensor(contexts_negatives),
        torch.tensor(masks),
        torch.tensor(labels),
    )


x_1 = (1, [2, 2], [3, 3, 3, 3])
x_2 = (1, [2, 2, 2], [3, 3])
batch = batchify((x_1, x_2))
names = ["centers", "contexts_negatives", "masks", "labels"]
for name, data in zip(names, batch):
    print(name, "=", data)

# TextCNN bits
emb = nn.Embedding(10, 6)
emb.weight.requires_grad = False
convs = nn.ModuleList([nn.Conv1d(6, 4, k) for k in (2, 3)])
pool = nn.AdaptiveAvgPool1d(1)
tokens = torch.randint(0, 10, (2, 7))
e = emb(tokens).permute(0, 2, 1)
enc = torch.cat([torch.squeeze(F.relu(pool(conv(e))), dim=-1) for conv in convs], dim=1)
print(enc.shape, emb.weight.requires_grad, emb.weight.grad)
print(torch.argmax(enc, dim=1), "positive" if torch.argmax(enc[:1], dim=1) == 1 else "negative")
X = torch.tensor([[0, 1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6, 7]], dtype=torch.float32).unsqueeze(1)
K = torch.tensor([[1.0, 2.0]]).unsqueeze(0)
print(F.conv1d(X, K))
print(nn.AdaptiveMaxPool1d(1)(X))

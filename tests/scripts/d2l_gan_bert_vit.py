"""d2l.ai (PyTorch): a GAN on 2-D Gaussian data, DCGAN's G/D blocks, nn.DataParallel on a machine
without GPUs, torch.jit.script, a Bahdanau decoder step, BERT's MaskLM and NextSentencePred, ViT's
patch embedding and block with nn.MultiheadAttention."""

import torch
from torch import nn

torch.manual_seed(0)
# GAN chapter
X = torch.normal(0.0, 1, (100, 2))
A = torch.tensor([[1, 2], [-0.1, 0.5]])
b = torch.tensor([1, 2])
data = torch.matmul(X, A) + b
print(f"The covariance matrix is\n{torch.matmul(A.T, A)}")
batch_size = 8
data_iter = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data), batch_size, shuffle=True)
net_G = nn.Sequential(nn.Linear(2, 2))
net_D = nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 3), nn.Tanh(), nn.Linear(3, 1))


def update_D(X, Z, net_D, net_G, loss, trainer_D):
    batch_size = X.shape[0]
    ones = torch.ones((batch_size,), device=X.device)
    zeros = torch.zeros((batch_size,), device=X.device)
    trainer_D.zero_grad()
    real_Y = net_D(X)
    fake_X = net_G(Z)
    fake_Y = net_D(fake_X.detach())
    loss_D = (loss(real_Y, ones.reshape(real_Y.shape)) + loss(fake_Y, zeros.reshape(fake_Y.shape))) / 2
    loss_D.backward()
    trainer_D.step()
    return loss_D


def update_G(Z, net_D, net_G, loss, trainer_G):
    batch_size = Z.shape[0]
    ones = torch.ones((batch_size,), device=Z.device)
    trainer_G.zero_grad()
    fake_X = net_G(Z)
    fake_Y = net_D(fake_X)
    loss_G = loss(fake_Y, ones.reshape(fake_Y.shape))
    loss_G.backward()
    trainer_G.step()
    return loss_G


loss = nn.BCEWithLogitsLoss(reduction="sum")
for w in net_D.parameters():
    nn.init.normal_(w, 0, 0.02)
for w in net_G.parameters():
    nn.init.normal_(w, 0, 0.02)
trainer_D = torch.optim.Adam(net_D.parameters(), lr=0.05)
trainer_G = torch.optim.Adam(net_G.parameters(), lr=0.005, betas=[0.5, 0.999])
print(trainer_G)
for epoch in range(2):
    tot = [0.0, 0.0, 0]
    for (X,) in data_iter:
        batch_size = X.shape[0]
        Z = torch.normal(0, 1, size=(batch_size, 2))
        tot[0] += float(update_D(X, Z, net_D, net_G, loss, trainer_D))
        tot[1] += float(update_G(Z, net_D, net_G, loss, trainer_G))
        tot[2] += batch_size
    print(f"loss_D {tot[0] / tot[2]:.3f}, loss_G {tot[1] / tot[2]:.3f}")
Z = torch.normal(0, 1, size=(5, 2))
print(net_G(Z).detach())
alphas = [0, 0.2, 0.4, 0.6, 0.8, 1]
x = torch.arange(-2, 1, 0.1)
Y = [nn.LeakyReLU(alpha)(x).detach().numpy() for alpha in alphas]
print(Y[1][:3], x[-1])


class G_block(nn.Module):
    def __init__(self, out_channels, in_channels=3, kernel_size=4, strides=2, padding=1, **kwargs):
        super(G_block, self).__init__(**kwargs)
        self.conv2d_trans = nn.ConvTranspose2d(
            in_channels, out_channels, kernel_size, strides, padding, bias=False
        )
        self.batch_norm = nn.BatchNorm2d(out_channels)
        self.activation = nn.ReLU()

    def forward(self, X):
        return self.activation(self.batch_norm(self.conv2d_trans(X)))


x = torch.zeros((2, 3, 16, 16))
g_blk = G_block(20)
print(g_blk(x).shape)
x = torch.zeros((2, 3, 1, 1))
g_blk = G_block(20, strides=1, padding=0)
print(g_blk(x).shape)


class D_block(nn.Module):
    def __init__(self, out_channels, in_channels=3, kernel_size=4, strides=2, padding=1, alpha=0.2, **kwargs):
        super(D_block, self).__init__(**kwargs)
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding, bias=False)
        self.batch_norm = nn.BatchNorm2d(out_channels)
        self.activation = nn.LeakyReLU(alpha, inplace=True)

    def forward(self, X):
        return self.activation(self.batch_norm(self.conv2d(X)))


x = torch.zeros((2, 3, 16, 16))
d_blk = D_block(20)
print(d_blk(x).shape)
print(d_blk)
for w in d_blk.parameters():
    nn.init.normal_(w, 0, 0.02)
out = d_blk(torch.randn(2, 3, 8, 8))
out.sum().backward()
print(d_blk.conv2d.weight.grad.abs().sum())

# DataParallel on a CPU-only machine
devices = [torch.device(f"cuda:{i}") for i in range(torch.cuda.device_count())] or [torch.device("cpu")]
net = nn.Sequential(nn.Linear(4, 2))
dp = nn.DataParallel(net, device_ids=devices)
print(dp(torch.ones(3, 4)).shape, type(dp).__name__)
print(dp)
print([n for n, _ in dp.named_parameters()])
print(list(dp.state_dict().keys()))

# jit script and save
net = nn.Sequential(nn.Linear(512, 16), nn.ReLU(), nn.Linear(16, 2))
x = torch.randn(size=(1, 512))
y1 = net(x)
net = torch.jit.script(net)
print((net(x) - y1).abs().max() < 1e-6)

# Bahdanau decoder step shapes
enc_outputs = torch.randn(4, 7, 16)
hidden_state = torch.randn(2, 4, 16)
query = torch.unsqueeze(hidden_state[-1], dim=1)
print(query.shape)
emb = torch.randn(4, 8)
x = torch.cat((query, torch.unsqueeze(emb, dim=1)), dim=-1)
rnn = nn.GRU(24, 16, 2, dropout=0.1)
out, hidden_state = rnn(x.permute(1, 0, 2), hidden_state)
print(out.shape, hidden_state.shape)
dec_valid_lens = torch.arange(1, 5 + 1).repeat(3, 1)
print(dec_valid_lens)


# BERT pieces
def get_tokens_and_segments(tokens_a, tokens_b=None):
    tokens = ["<cls>"] + tokens_a + ["<sep>"]
    segments = [0] * (len(tokens_a) + 2)
    if tokens_b is not None:
        tokens += tokens_b + ["<sep>"]
        segments += [1] * (len(tokens_b) + 1)
    return tokens, segments


print(get_tokens_and_segments(["a", "b"], ["c"]))


class MaskLM(nn.Module):
    def __init__(self, vocab_size, num_hiddens, **kwargs):
        super(MaskLM, self).__init__(**kwargs)
        self.mlp = nn.Sequential(
            nn.LazyLinear(num_hiddens), nn.ReLU(), nn.LayerNorm(num_hiddens), nn.LazyLinear(vocab_size)
        )

    def forward(self, X, pred_positions):
        num_pred_positions = pred_positions.shape[1]
        pred_positions = pred_positions.reshape(-1)
        batch_size = X.shape[0]
        batch_idx = torch.arange(0, batch_size)
        batch_idx = torch.repeat_interleave(batch_idx, num_pred_positions)
        masked_X = X[batch_idx, pred_positions]
        masked_X = masked_X.reshape((batch_size, num_pred_positions, -1))
        mlm_Y_hat = self.mlp(masked_X)
        return mlm_Y_hat


encoded_X = torch.randn(2, 8, 12, requires_grad=True)
mlm = MaskLM(20, 12)
mlm_positions = torch.tensor([[1, 5, 2], [6, 1, 5]])
mlm_Y_hat = mlm(encoded_X, mlm_positions)
print(mlm_Y_hat.shape)
mlm_Y = torch.tensor([[7, 8, 9], [10, 20, 30]]) % 20
loss = nn.CrossEntropyLoss(reduction="none")
mlm_l = loss(mlm_Y_hat.reshape((-1, 20)), mlm_Y.reshape(-1))
print(mlm_l.shape)
mlm_l.sum().backward()
print(encoded_X.grad[0].abs().sum(dim=1))


class NextSentencePred(nn.Module):
    def __init__(self, **kwargs):
        super(NextSentencePred, self).__init__(**kwargs)
        self.output = nn.LazyLinear(2)

    def forward(self, X):
        return self.output(X)


encoded = torch.flatten(encoded_X, start_dim=1)
nsp = NextSentencePred()
print(nsp(encoded).shape)
pos_embedding = nn.Parameter(torch.randn(1, 1000, 12))
print((encoded_X.detach() + pos_embedding[:, : encoded_X.shape[1], :]).shape)


# ViT
class PatchEmbedding(nn.Module):
    def __init__(self, img_size=16, patch_size=4, num_hiddens=12):
        super().__init__()

        def _make_tuple(x):
            if not isinstance(x, (list, tuple)):
                return (x, x)
            return x

        img_size, patch_size = _make_tuple(img_size), _make_tuple(patch_size)
        self.num_patches = (img_size[0] // patch_size[0]) * (img_size[1] // patch_size[1])
        self.conv = nn.LazyConv2d(num_hiddens, kernel_size=patch_size, stride=patch_size)

    def forward(self, X):
        return self.conv(X).flatten(2).transpose(1, 2)


pe = PatchEmbedding()
X = torch.zeros(2, 3, 16, 16)
print(pe(X).shape)


class ViTMLP(nn.Module):
    def __init__(self, mlp_num_hiddens, mlp_num_outputs, dropout=0.5):
        super().__init__()
        self.dense1 = nn.LazyLinear(mlp_num_hiddens)
        self.gelu = nn.GELU()
        self.dropout1 = nn.Dropout(dropout)
        self.dense2 = nn.LazyLinear(mlp_num_outputs)
        self.dropout2 = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout2(self.dense2(self.dropout1(self.gelu(self.dense1(x)))))


class ViTBlock(nn.Module):
    def __init__(self, num_hiddens, norm_shape, mlp_num_hiddens, num_heads, dropout, use_bias=False):
        super().__init__()
        self.ln1 = nn.LayerNorm(norm_shape)
        self.attention = nn.MultiheadAttention(num_hiddens, num_heads, dropout, bias=use_bias)
        self.ln2 = nn.LayerNorm(norm_shape)
        self.mlp = ViTMLP(mlp_num_hiddens, num_hiddens, dropout)

    def forward(self, X, valid_lens=None):
        X = X + self.attention(*([self.ln1(X)] * 3))[0]
        return X + self.mlp(self.ln2(X))


X = torch.ones((2, 100, 24))
encoder_blk = ViTBlock(24, 24, 48, 8, 0.5)
encoder_blk.eval()
print(encoder_blk(X).shape)
cls_token = nn.Parameter(torch.zeros(1, 1, 12))
Xp = pe(torch.randn(2, 3, 16, 16))
Xc = torch.cat((cls_token.expand(Xp.shape[0], -1, -1), Xp), 1)
print(Xc.shape)
blk = ViTBlock(12, 12, 24, 3, 0.1)
out = blk(Xc)
out[:, 0].sum().backward()
print(cls_token.grad.shape, [n for n, p in blk.named_parameters()][:6])
print(blk.attention)

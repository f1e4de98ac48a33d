import torch
import torch.nn as nn

torch.manual_seed(0)
print(
    torch.randn(3, dtype=torch.float64),
    torch.rand(3, dtype=torch.float64),
    torch.randint(0, 2**40, (3,)),
    torch.randint(-5, 5, (2, 2), dtype=torch.int32),
)
print(
    torch.empty(3, dtype=torch.float64).normal_(2, 3),
    torch.empty(4).bernoulli_(torch.tensor([0.1, 0.5, 0.9, 1.0])),
    torch.multinomial(torch.rand(50), 10),
)
print(
    torch.randperm(30),
    torch.randperm(5, dtype=torch.float32),
    torch.empty(3, dtype=torch.long).random_(),
    torch.empty(2).random_(100),
)
print(
    torch.poisson(torch.tensor([1.0, 5.0, 50.0])),
    torch.distributions.Gamma(torch.tensor([0.5, 2.0]), 1.0).sample(),
)
print(torch.distributions.Dirichlet(torch.ones(3)).sample(), torch.distributions.Beta(2.0, 3.0).sample((2,)))
w = torch.empty(4, 3)
print(nn.init.orthogonal_(w), nn.init.orthogonal_(torch.empty(2, 5), gain=2.0))
print(
    nn.init.trunc_normal_(torch.empty(5)),
    nn.init.kaiming_uniform_(torch.empty(2, 3)),
    nn.init.sparse_(torch.empty(3, 2), 0.5),
    nn.init.xavier_normal_(torch.empty(2, 2)),
)
print(
    torch.randn(2, 3).uniform_(),
    torch.rand(2, generator=torch.Generator().manual_seed(5), dtype=torch.float64),
)
print(
    torch.normal(torch.zeros(3), 1.0),
    torch.normal(2.0, torch.ones(2)),
    torch.randn(0),
    torch.rand(1, 0).shape,
)
print(torch.randint(10, (4,)), torch.randint(3, 10, (2,)), torch.randint_like(torch.zeros(2), 3, 7))
print(
    torch.randn(3, 4)[:, torch.randperm(4)],
    torch.rand(5).argsort(),
    torch.randn(2, 2).exponential_(2.0),
    torch.empty(3).cauchy_(),
    torch.empty(3).log_normal_(),
)
print(
    torch.rand(2, 3).multinomial(2),
    torch.multinomial(torch.tensor([[0.2, 0.8], [0.9, 0.1]]), 5, replacement=True),
)
print(
    nn.Dropout(0.3)(torch.ones(10)),
    nn.functional.dropout2d(torch.ones(1, 4, 2, 2), 0.5).sum((2, 3)),
    nn.functional.alpha_dropout(torch.ones(6), 0.5, training=True),
    nn.functional.feature_alpha_dropout(torch.ones(1, 3, 2), 0.5, training=True),
)
lin = nn.Linear(5, 3)
conv = nn.Conv2d(2, 3, 3)
emb = nn.Embedding(4, 2)
lstm = nn.LSTM(2, 3)
bn = nn.BatchNorm1d(2)
mha = nn.MultiheadAttention(4, 2)
tl = nn.TransformerEncoderLayer(4, 2, 8)
print(
    lin.weight.sum(),
    conv.bias,
    emb.weight.sum(),
    lstm.weight_hh_l0.sum(),
    bn.weight,
    mha.in_proj_weight.sum(),
    tl.linear1.weight.sum(),
    nn.Bilinear(2, 2, 1).weight.sum(),
    nn.ConvTranspose2d(2, 1, 2).weight.sum(),
    nn.GRUCell(2, 2).bias_ih.sum(),
    nn.PReLU().weight,
)
print(torch.randn(1))

import torch
import torch.nn as nn

torch.manual_seed(28)
m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
opt = torch.optim.Adam(m.parameters(), lr=1e-3, weight_decay=0.01)
print(opt)
print(torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9))
print(torch.optim.AdamW([{"params": m[0].weight}, {"params": m[0].bias, "lr": 0.5}], lr=1e-3))
print(nn.CrossEntropyLoss(), nn.MSELoss(reduction="sum"), nn.BCEWithLogitsLoss(pos_weight=torch.ones(2)))
print(list(m.parameters()))
print(m.state_dict())
print(nn.ModuleList([nn.Linear(1, 1), nn.Tanh()]), nn.ModuleDict({"a": nn.ReLU()}))
print(nn.ParameterList([nn.Parameter(torch.ones(2)), nn.Parameter(torch.zeros(1, 3))]))
print(nn.ParameterDict({"w": nn.Parameter(torch.ones(2))}))
x = torch.randn(3, 4)
print(torch.max(x, 1))
print(x.sort(dim=0))
print(torch.linalg.slogdet(torch.eye(2) * 2))
print(
    x.stride(),
    x.t().stride(),
    x[:, 1].storage_offset(),
    x.element_size(),
    x.nbytes,
    x.itemsize,
    x.t().is_contiguous(),
)
print(torch.finfo(torch.float32))
print(torch.iinfo(torch.int64), torch.finfo(torch.float16).eps, torch.finfo().tiny)
print(
    repr(torch.device("cpu")),
    torch.device("cpu", 0) if False else "",
    torch.float32.is_floating_point,
    torch.int32.itemsize,
)
print(x.shape, repr(x.shape), tuple(x.shape), x.size(-1), x.dim(), x.ndimension(), x.numel(), len(x))
print(torch.Size([3]) + (2,), torch.Size([2, 3]).numel())
y = (x * 2).sum()
print(y.grad_fn, y.requires_grad, x.requires_grad)
w = torch.ones(2, requires_grad=True)
z = (w * 3).mean()
print(z.grad_fn.next_functions, z.grad_fn.next_functions[0][0].next_functions)
print(nn.Linear(2, 3).weight.dtype, nn.Conv2d(1, 2, 3))
print(
    nn.LSTM(3, 4, 2, batch_first=True, dropout=0.1),
    nn.GRU(2, 2, bidirectional=True),
    nn.RNN(2, 3, nonlinearity="relu"),
)
print(
    nn.BatchNorm1d(3, momentum=None),
    nn.LayerNorm([3, 4], elementwise_affine=False),
    nn.Dropout2d(0.3),
    nn.Embedding(5, 2, padding_idx=0),
)
print(
    nn.MaxPool2d(2),
    nn.AvgPool2d(3, 1, 1),
    nn.AdaptiveMaxPool2d((2, 2)),
    nn.Upsample(scale_factor=2.0),
    nn.Softmax(dim=1),
    nn.LeakyReLU(),
    nn.Flatten(0, -1),
)
print(nn.TransformerEncoderLayer(4, 2, 8, batch_first=True))
print(torch.optim.lr_scheduler.StepLR(opt, 2).state_dict())
print(
    torch.distributions.Normal(torch.tensor([0.0]), torch.tensor([1.0])),
    torch.distributions.Categorical(probs=torch.tensor([0.5, 0.5])),
)
print(
    torch.tensor([1, 2]).dtype,
    torch.tensor([1.0]).type(),
    torch.tensor([True]).type(),
    torch.tensor([1]).int().type(),
)
print(torch.nn.utils.rnn.pack_sequence([torch.tensor([1.0, 2.0]), torch.tensor([3.0])]))

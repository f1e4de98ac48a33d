import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc = nn.Linear(d, d)
        self.act = nn.GELU(approximate="tanh")

    def extra_repr(self):
        return f"d={self.fc.in_features}"


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([Block(4) for _ in range(3)])
        self.seq = nn.Sequential(*[nn.Linear(4, 4) for _ in range(4)], nn.ReLU(), nn.ReLU())
        self.od = nn.Sequential(
            __import__("collections").OrderedDict(
                [
                    ("conv", nn.Conv2d(1, 2, 3, bias=False)),
                    ("bn", nn.BatchNorm2d(2, momentum=0.01, eps=1e-3, affine=False)),
                    ("pool", nn.MaxPool2d(2, ceil_mode=True)),
                ]
            )
        )
        self.ps = nn.ParameterList([nn.Parameter(torch.ones(2)) for _ in range(2)])
        self.pd = nn.ParameterDict({"a": nn.Parameter(torch.ones(2, 3))})
        self.empty = nn.Sequential()
        self.ml = nn.ModuleList()
        self.scale = nn.Parameter(torch.tensor(1.0))
        self.misc = nn.ModuleList(
            [
                nn.Dropout(0.2),
                nn.LayerNorm([4, 4], elementwise_affine=False),
                nn.Embedding(10, 3, padding_idx=0, max_norm=1.0),
                nn.LSTM(4, 4, batch_first=True),
                nn.Conv1d(2, 4, 3, stride=2, padding=1, dilation=2, groups=2, padding_mode="reflect"),
                nn.ConvTranspose2d(4, 2, 4, 2, 1, output_padding=0),
                nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
                nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                nn.Softmax(dim=-1),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Flatten(start_dim=2),
                nn.Unflatten(1, (2, 2)),
                nn.Identity(),
                nn.PReLU(num_parameters=3),
                nn.Hardtanh(-2, 2),
                nn.ELU(alpha=0.5),
                nn.Softplus(beta=2, threshold=10),
                nn.CrossEntropyLoss(label_smoothing=0.1),
                nn.BCEWithLogitsLoss(pos_weight=torch.ones(2)),
                nn.MSELoss(reduction="sum"),
                nn.AdaptiveAvgPool2d(1),
                nn.AdaptiveAvgPool1d(4),
                nn.GroupNorm(2, 4),
                nn.InstanceNorm2d(4, affine=True),
                nn.BatchNorm1d(4, track_running_stats=False),
                nn.Bilinear(2, 3, 4),
                nn.MultiheadAttention(8, 2, batch_first=True),
                nn.PixelShuffle(2),
                nn.ZeroPad2d((1, 1, 2, 0)),
                nn.ReflectionPad2d(1),
                nn.SiLU(),
                nn.Mish(),
                nn.Tanh(),
                nn.Sigmoid(),
                nn.Threshold(0.1, 20),
                nn.GLU(),
                nn.Softmax2d(),
                nn.LogSoftmax(1),
                nn.CosineSimilarity(),
                nn.PairwiseDistance(),
                nn.Fold((4, 4), 2),
                nn.Unfold(2, stride=2),
                nn.MaxPool1d(2, return_indices=True),
                nn.MaxUnpool2d(2),
                nn.LPPool2d(2, 2),
                nn.AlphaDropout(0.1),
                nn.Dropout1d(),
                nn.RReLU(),
                nn.SELU(),
                nn.CELU(),
                nn.Hardswish(),
                nn.Hardsigmoid(),
                nn.Softsign(),
                nn.Tanhshrink(),
                nn.Softshrink(),
                nn.Hardshrink(),
                nn.LogSigmoid(),
                nn.Softmin(1),
                nn.ReLU6(),
                nn.KLDivLoss(reduction="batchmean", log_target=True),
                nn.NLLLoss(ignore_index=-1),
                nn.HuberLoss(delta=0.5),
                nn.SmoothL1Loss(beta=0.5),
                nn.TripletMarginLoss(margin=0.5),
                nn.CTCLoss(blank=0, zero_infinity=True),
                nn.EmbeddingBag(10, 3, mode="mean"),
                nn.RNN(4, 4, nonlinearity="relu"),
                nn.GRUCell(2, 3, bias=False),
                nn.TransformerEncoderLayer(8, 2, 16, batch_first=True),
                nn.ChannelShuffle(2),
                nn.ConstantPad1d(2, 3.5),
                nn.ReplicationPad1d((1, 2)),
                nn.CircularPad2d(1),
                nn.LocalResponseNorm(2),
                nn.RMSNorm(4) if hasattr(nn, "RMSNorm") else nn.Identity(),
                nn.UpsamplingNearest2d(scale_factor=2),
                nn.Conv3d(1, 2, (1, 2, 3)),
                nn.MaxPool3d(2),
                nn.BatchNorm3d(3),
                nn.AdaptiveMaxPool2d((2, None)),
                nn.FractionalMaxPool2d(2, output_size=3) if False else nn.Identity(),
                nn.MarginRankingLoss(margin=0.1),
                nn.PoissonNLLLoss(log_input=False),
                nn.GaussianNLLLoss(),
                nn.L1Loss(),
                nn.BCELoss(weight=torch.ones(1)),
                nn.MultiLabelSoftMarginLoss(),
                nn.MultiMarginLoss(p=2),
                nn.CosineEmbeddingLoss(),
                nn.HingeEmbeddingLoss(),
                nn.SoftMarginLoss(),
                nn.MultiLabelMarginLoss(),
                nn.TripletMarginWithDistanceLoss(margin=2.0),
            ]
        )


n = Net()
print(n)
print(repr(n.blocks), str(n.ps), n.pd)
print(nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2), nn.Linear(2, 2)))
print(torch.optim.Adam(n.parameters(), lr=1e-3, betas=(0.9, 0.98), amsgrad=True))
print(
    torch.optim.SGD(
        [{"params": n.blocks.parameters()}, {"params": n.seq.parameters(), "lr": 0.5}], lr=0.1, momentum=0.9
    )
)

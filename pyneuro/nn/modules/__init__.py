"""nn.Module and the layers and losses built on it (PyTorch's names and behaviour).

module.py         Module, Parameter
linear.py         Linear, Identity, Flatten, Unflatten
activation.py     ReLU, GELU, LeakyReLU, SiLU, Softplus, ELU, Sigmoid, Tanh, Softmax, LogSoftmax,
                  Hardtanh, ReLU6, Hardsigmoid, Hardswish, Mish, SELU, CELU, Softsign, LogSigmoid,
                  Tanhshrink, Softshrink, Hardshrink, Threshold, RReLU, PReLU, GLU, Softmin, Softmax2d
normalization.py  LayerNorm, GroupNorm, BatchNorm1d/2d/3d, SyncBatchNorm, InstanceNorm1d/2d/3d, LocalResponseNorm,
                  CrossMapLRN2d
dropout.py        Dropout, Dropout2d
conv.py           Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool1d, AdaptiveAvgPool2d
sparse.py         Embedding
rnn.py            RNN, GRU, LSTM, RNNCell, GRUCell, LSTMCell (and RNNBase, RNNCellBase)
attention.py      MultiheadAttention
transformer.py    Transformer, TransformerEncoder(Layer), TransformerDecoder(Layer)
container.py      Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict (and the deprecated Container)
padding.py        ZeroPad1d/2d/3d, ConstantPad*, ReflectionPad*, ReplicationPad*, CircularPad*
conv3d.py         Conv3d, ConvTranspose3d, MaxPool3d, AvgPool3d, AdaptiveAvgPool3d, AdaptiveMaxPool3d, LPPool3d, MaxUnpool3d
distance.py       CosineSimilarity, PairwiseDistance
layers_more.py    Bilinear, RMSNorm, Dropout1d, Dropout3d, AlphaDropout, FeatureAlphaDropout, EmbeddingBag
pooling.py        AdaptiveMaxPool1d/2d, MaxUnpool1d/2d, LPPool1d/2d
upsampling.py     Upsample, UpsamplingNearest2d, UpsamplingBilinear2d, PixelShuffle, PixelUnshuffle,
                  ChannelShuffle, Unfold, Fold
loss.py           MSELoss, L1Loss, SmoothL1Loss, HuberLoss, CrossEntropyLoss, NLLLoss (NLLLoss2d), BCELoss, BCEWithLogitsLoss
lazy.py           LazyLinear, LazyConv1d/2d/3d, LazyConvTranspose1d/2d/3d, LazyBatchNorm1d/2d/3d,
                  LazyInstanceNorm1d/2d/3d, UninitializedParameter, UninitializedBuffer (and LazyModuleMixin)
loss_more.py      KLDivLoss, MarginRankingLoss, HingeEmbeddingLoss, CosineEmbeddingLoss, TripletMarginLoss,
                  TripletMarginWithDistanceLoss, SoftMarginLoss, MultiLabelSoftMarginLoss, MultiMarginLoss,
                  MultiLabelMarginLoss, PoissonNLLLoss, GaussianNLLLoss
linear_cross_entropy.py  LinearCrossEntropyLoss, LinearCrossEntropyOptions (and F.linear_cross_entropy)
utils.py          torch.nn.modules.utils' _single, _pair, _triple, _quadruple, _ntuple; torch.nn.factory_kwargs
adaptive.py       AdaptiveLogSoftmaxWithLoss

torch's module paths for the classes that live elsewhere here (torch.nn.modules.batchnorm,
.instancenorm, .flatten, .pixelshuffle, .channelshuffle, .fold, .linear_cross_entropy_options)
name the modules that hold them, so `from pyneuro.nn.modules.batchnorm import _BatchNorm` works
as it does in torch; torch_paths.py
binds the classes torch keeps in a module whose file here holds others (pooling.MaxPool2d), and
gives each of them torch's path as its __module__ (what type() prints).
"""

import sys

from . import linear, linear_cross_entropy, normalization, torch_paths, upsampling, utils  # noqa: F401
from .activation import (  # noqa: F401
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    RReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softmax2d,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from .adaptive import AdaptiveLogSoftmaxWithLoss  # noqa: F401
from .attention import MultiheadAttention  # noqa: F401
from .container import Container, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential  # noqa: F401
from .conv import (  # noqa: F401
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    Conv1d,
    Conv2d,
    ConvTranspose1d,
    ConvTranspose2d,
    MaxPool1d,
    MaxPool2d,
)
from .conv3d import *  # noqa: F403 - its __all__
from .distance import *  # noqa: F403 - its __all__
from .dropout import Dropout, Dropout2d  # noqa: F401
from .layers_more import *  # noqa: F403 - its __all__
from .lazy import *  # noqa: F403 - its __all__
from .linear import Flatten, Identity, Linear, Unflatten  # noqa: F401
from .linear_cross_entropy import *  # noqa: F403 - its __all__
from .loss import (  # noqa: F401
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    NLLLoss2d,
    SmoothL1Loss,
    _Loss,
    _WeightedLoss,
)
from .loss_more import *  # noqa: F403 - its __all__
from .module import (  # noqa: F401
    Module,
    Parameter,
    _IncompatibleKeys,
)
from .normalization import (  # noqa: F401
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    CrossMapLRN2d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    LayerNorm,
    LocalResponseNorm,
    SyncBatchNorm,
)
from .padding import *  # noqa: F403 - its __all__
from .pooling import *  # noqa: F403 - its __all__
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase  # noqa: F401
from .sparse import Embedding  # noqa: F401
from .transformer import (  # noqa: F401
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from .upsampling import *  # noqa: F403 - its __all__

for _name, _module in (
    ("batchnorm", normalization),
    ("instancenorm", normalization),
    ("flatten", linear),
    ("pixelshuffle", upsampling),
    ("channelshuffle", upsampling),
    ("fold", upsampling),
    ("linear_cross_entropy_options", linear_cross_entropy),
):
    sys.modules[f"{__name__}.{_name}"] = _module
    globals()[_name] = _module

# pooling.MaxPool2d, linear.NonDynamicallyQuantizableLinear, ...: torch's paths (torch_paths.py)
torch_paths.install(globals())

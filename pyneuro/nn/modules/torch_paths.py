"""torch's module paths for the classes that live in another file here.

torch keeps MaxPool2d in torch.nn.modules.pooling, the extra losses in .loss, EmbeddingBag in
.sparse, MultiheadAttention's out_proj class (NonDynamicallyQuantizableLinear) in .linear, ...,
and scripts name classes by those paths: a weights-only load's safe_globals list
(`torch.nn.modules.linear.NonDynamicallyQuantizableLinear`, pytorch/examples'
word_language_model), isinstance checks, subclassing. pyneuro's files split the classes
otherwise (the pools sit with the convolutions, the extra losses in loss_more.py), so `install`
gives each torch path the same class object: one class, two addresses. The class's __module__
is torch's path too, so type() prints what torch prints (`<class 'pyneuro.nn.modules.batchnorm.
BatchNorm2d'>`, as torch's `torch.nn.modules.batchnorm`) and pickles name that path (importable:
the module, or the alias pyneuro.nn.modules' __init__ registers, holds the class); the file's own
path still loads the pickles written before.
"""

from __future__ import annotations

import sys

# torch's module (under pyneuro.nn.modules) -> the classes it holds in torch that live elsewhere here
_HOMES = {
    "linear": ("Bilinear", "LazyLinear", "NonDynamicallyQuantizableLinear"),
    "conv": ("Conv3d", "ConvTranspose3d", "LazyConv1d", "LazyConv2d", "LazyConv3d")
    + ("LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d"),
    "pooling": ("MaxPool1d", "MaxPool2d", "MaxPool3d", "MaxUnpool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d")
    + ("LPPool3d", "AdaptiveMaxPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d"),
    "loss": ("PoissonNLLLoss", "GaussianNLLLoss", "KLDivLoss", "HingeEmbeddingLoss", "MultiLabelMarginLoss")
    + ("SoftMarginLoss", "MultiLabelSoftMarginLoss", "CosineEmbeddingLoss", "MarginRankingLoss")
    + ("MultiMarginLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss", "CTCLoss")
    + ("LinearCrossEntropyLoss",),
    "dropout": ("Dropout1d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"),
    "sparse": ("EmbeddingBag",),
    "normalization": ("RMSNorm",),
    "batchnorm": ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm")
    + ("LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d"),
    "instancenorm": ("InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d")
    + ("LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"),
    "activation": ("MultiheadAttention",),
    "flatten": ("Flatten", "Unflatten"),
    "pixelshuffle": ("PixelShuffle", "PixelUnshuffle"),
    "channelshuffle": ("ChannelShuffle",),
    "fold": ("Fold", "Unfold"),
    "linear_cross_entropy_options": ("LinearCrossEntropyOptions",),
}


def install(package: dict) -> None:
    """Bind each class of _HOMES into its torch module, from the package's namespace (`package`,
    pyneuro.nn.modules' globals) or the module that defines it, and name that module its home."""
    here = package["__name__"]
    for home, names in _HOMES.items():
        module = sys.modules[f"{here}.{home}"]
        for name in names:
            if not hasattr(module, name):
                cls = package.get(name) or getattr(sys.modules[f"{here}.attention"], name)
                setattr(module, name, cls)
            getattr(module, name).__module__ = f"{here}.{home}"

"""nn.Module and the layers and losses built on it (PyTorch's names and behaviour).

    module.py         Module, Parameter
    linear.py         Linear, Identity, Flatten
    activation.py     ReLU, LeakyReLU, SiLU, Softplus, ELU, Sigmoid, Tanh, Softmax, LogSoftmax
    normalization.py  LayerNorm, BatchNorm1d
    dropout.py        Dropout
    sparse.py         Embedding
    container.py      Sequential, ModuleList, ModuleDict
    loss.py           MSELoss, L1Loss, CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss
"""
from .module import Parameter, Module  # noqa: F401
from .linear import Linear, Identity, Flatten  # noqa: F401
from .activation import ReLU, LeakyReLU, SiLU, Softplus, ELU, Sigmoid, Tanh, Softmax, LogSoftmax  # noqa: F401
from .normalization import LayerNorm, BatchNorm1d  # noqa: F401
from .dropout import Dropout  # noqa: F401
from .sparse import Embedding  # noqa: F401
from .container import Sequential, ModuleList, ModuleDict  # noqa: F401
from .loss import _Loss, MSELoss, L1Loss, _WeightedLoss, CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss  # noqa: F401
from .module import _IncompatibleKeys  # noqa: F401

"""The check that the optional `tensorboard` package is there and recent enough (1.15 or above).

Imported first by pyneuro.utils.tensorboard, so that without tensorboard the import fails the way
torch.utils.tensorboard's does: ModuleNotFoundError for a missing package, ImportError("TensorBoard
logging requires TensorBoard version 1.15 or above") for an old one.
"""

import tensorboard


def version_tuple(text):
    """'2.21.0' -> (2, 21); '1.15.0a1' -> (1, 15): the leading numbers of a version string."""
    parts = []
    for part in str(text).split(".")[:2]:
        digits = ""
        for c in part:
            if not c.isdigit():
                break
            digits += c
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


if not hasattr(tensorboard, "__version__") or version_tuple(tensorboard.__version__) < (1, 15):
    raise ImportError("TensorBoard logging requires TensorBoard version 1.15 or above")

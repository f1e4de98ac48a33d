"""pyneuro.utils.tensorboard: torch.utils.tensorboard's path, `from pyneuro.utils.tensorboard import SummaryWriter`.

Logging for TensorBoard needs the `tensorboard` package (pip install tensorboard), which pyneuro,
like torch, does not depend on: without it (or with a version older than 1.15) importing this
package raises ImportError, as torch's does (_requirement.py, imported first). writer.py holds
SummaryWriter, summary.py the protos it logs, _convert.py the conversion of tensors and figures to
arrays, _embedding.py the projector's files and _graph.py the model graph.
"""

from . import _requirement  # noqa: F401 - first: raises ImportError without tensorboard >= 1.15
from .writer import FileWriter, RecordWriter, SummaryWriter

__all__ = ["FileWriter", "RecordWriter", "SummaryWriter"]

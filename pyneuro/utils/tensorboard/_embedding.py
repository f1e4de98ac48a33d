"""The projector plugin's files, which SummaryWriter.add_embedding writes next to the event file.

For each embedding, under <log_dir>/<global_step, 5 digits>/<tag>/: tensors.tsv (one row of the
matrix per line), metadata.tsv (one label per line, or a header and tab-separated columns) and
sprite.png (the label images tiled into one square image); and <log_dir>/projector_config.pbtxt,
the text-format ProjectorConfig listing every embedding logged so far. Same layout and bytes as
torch.utils.tensorboard's _embedding.py; written through tensorboard's gfile, as torch's are.
"""

import io
import math

import numpy as np
from tensorboard.compat import tf
from tensorboard.plugins.projector.projector_config_pb2 import EmbeddingInfo

from ._convert import make_grid, make_np


def _join(a, b):
    # tensorboard's TensorFlow stub has gfile.join; real TensorFlow's gfile has it on the filesystem
    if hasattr(tf.io.gfile, "join"):
        return tf.io.gfile.join(a, b)
    return tf.io.gfile.get_filesystem(a).join(a, b)


def _write(path, data):
    with tf.io.gfile.GFile(path, "wb") as f:
        f.write(data)


def make_tsv(metadata, save_path, metadata_header=None):
    """metadata.tsv: str() of each label, or with a header, tab-joined columns under it."""
    if not metadata_header:
        lines = [str(x) for x in metadata]
    else:
        if len(metadata_header) != len(metadata[0]):
            raise AssertionError("len of header must be equal to the number of columns in metadata")
        lines = ["\t".join(str(e) for e in row) for row in [metadata_header] + metadata]  # a list, as torch
    _write(_join(save_path, "metadata.tsv"), tf.compat.as_bytes("\n".join(lines) + "\n"))


def make_sprite(label_img, save_path):
    """sprite.png: the N x C x H x W label images (values in [0, 1]) tiled ceil(sqrt(N)) to a row on a
    square canvas."""
    from PIL import Image  # optional dependency, as in torch

    images = make_np(label_img)
    nrow = math.ceil(images.shape[0] ** 0.5)
    grid_chw = make_grid(images, ncols=nrow)
    square = np.zeros((grid_chw.shape[2], grid_chw.shape[2], 3))
    grid_hwc = grid_chw.transpose(1, 2, 0)
    square[: grid_hwc.shape[0], :, :] = grid_hwc
    picture = Image.fromarray(np.uint8((square * 255).clip(0, 255)))
    with io.BytesIO() as buf:
        picture.save(buf, format="PNG")
        _write(_join(save_path, "sprite.png"), buf.getvalue())


def make_mat(mat, save_path):
    """tensors.tsv: each row of the 2-D array, its values tab-separated as Python floats print."""
    with tf.io.gfile.GFile(_join(save_path, "tensors.tsv"), "wb") as f:
        for row in mat:
            f.write(tf.compat.as_bytes("\t".join(str(v.item()) for v in row) + "\n"))


def get_embedding_info(metadata, label_img, subdir, global_step, tag):
    """The ProjectorConfig entry of one embedding: its name `<tag>:<step>` and its files."""
    info = EmbeddingInfo()
    info.tensor_name = f"{tag}:{str(global_step).zfill(5)}"
    info.tensor_path = _join(subdir, "tensors.tsv")
    if metadata is not None:
        info.metadata_path = _join(subdir, "metadata.tsv")
    if label_img is not None:
        info.sprite.image_path = _join(subdir, "sprite.png")
        info.sprite.single_image_dim.extend([label_img.shape[3], label_img.shape[2]])
    return info


def write_pbtxt(save_path, contents):
    """projector_config.pbtxt in the log directory (rewritten whole each time)."""
    _write(_join(save_path, "projector_config.pbtxt"), tf.compat.as_bytes(contents))

"""Datasets for the learning path: the bundled MNIST sample, MNIST and Fashion-MNIST.

    >>> from pyneuro import datasets
    >>> train = datasets.load("mnist-sample", split="train")   # bundled, works offline
    >>> images, labels = train.tensors                          # (4000, 1, 28, 28) float32, (4000,) int64

``load(name, split)`` returns a :class:`pyneuro.data.TensorDataset` of float32 images shaped
(N, 1, 28, 28) scaled to [0, 1] and int64 labels, like torchvision's ToTensor() would give.

- ``"mnist-sample"``: 5,000 real MNIST digits shipped inside the package (4,000 train and
  1,000 test, 400/100 per digit). The default of ``pyneuro train``; no network needed.
- ``"mnist"`` and ``"fashion-mnist"``: the standard IDX files, found on disk or downloaded
  (see :mod:`pyneuro.datasets._fetch` for where pyneuro looks, the cache and PYNEURO_OFFLINE).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._catalog import CATALOG, IdxDataset, IdxFile
from ._fetch import DatasetNotFoundError, cache_root, fetch, offline, search_dirs, sha256_of
from ._idx import parse_idx, read_bytes, read_idx, write_idx

SAMPLE = "mnist-sample"
SAMPLE_PATH = Path(__file__).resolve().parent / "data" / "mnist_sample.npz"
SPLITS = ("train", "test")

_verified: dict[tuple, np.ndarray] = {}  # (path, size, mtime) -> checked array, per process


def names() -> list[str]:
    """Every dataset name `load` accepts."""
    return [SAMPLE, *CATALOG]


def classes(name: str) -> tuple[str, ...]:
    """The class names of dataset `name`, indexed by label."""
    if name == SAMPLE:
        return tuple(str(d) for d in range(10))
    return _dataset(name).classes


def load_numpy(
    name: str, split: str = "train", *, download: bool | None = None, progress: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The raw arrays of a dataset split: uint8 images (N, 28, 28) and uint8 labels (N,).

    `download`: None (default) downloads missing files unless PYNEURO_OFFLINE is set;
    False never downloads; True downloads even when PYNEURO_OFFLINE is set.
    """
    _check_split(split)
    if name == SAMPLE:
        with np.load(SAMPLE_PATH) as archive:
            return archive[f"{split}_images"], archive[f"{split}_labels"]
    ds = _dataset(name)
    allow = (not offline()) if download is None else bool(download)
    images_file, labels_file = ds.splits[split]
    images = _load_verified(ds, images_file, allow, progress)
    labels = _load_verified(ds, labels_file, allow, progress)
    _check_pair(ds, split, images, labels)
    return images, labels


def load(name: str, split: str = "train", *, download: bool | None = None, progress: bool = True):
    """A dataset split as a TensorDataset of float32 images (N, 1, 28, 28) in [0, 1] and
    int64 labels (N,). `name` is one of :func:`names`; `split` is "train" or "test"."""
    images, labels = load_numpy(name, split, download=download, progress=progress)
    return to_tensor_dataset(images, labels)


def to_tensor_dataset(images: np.ndarray, labels: np.ndarray):
    """uint8 (N, 28, 28) images and labels -> TensorDataset(float32 (N, 1, 28, 28) / 255, int64)."""
    import pyneuro as pn
    from pyneuro.data import TensorDataset

    x = np.divide(images, np.float32(255), dtype=np.float32).reshape(len(images), 1, *images.shape[1:])
    y = labels.astype(np.int64)
    return TensorDataset(pn.from_numpy(x), pn.from_numpy(y))


def _dataset(name: str) -> IdxDataset:
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a str, got {type(name).__name__}")
    if name not in CATALOG:
        raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(names())}")
    return CATALOG[name]


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose 'train' or 'test'")


def _load_verified(ds: IdxDataset, file: IdxFile, allow_download: bool, progress: bool) -> np.ndarray:
    path = fetch(ds, file, allow_download, progress)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, file.sha256)
    if key in _verified:
        return _verified[key]
    data = read_bytes(path)
    array = parse_idx(data, str(path))
    digest = sha256_of(data)
    if digest != file.sha256:
        raise ValueError(
            f"{path}: wrong content for {ds.name} {file.name} (SHA-256 of the decompressed file is "
            f"{digest}, expected {file.sha256}); the file is corrupt or not this dataset. "
            f"Delete it and load again (pyneuro downloads a fresh copy) or point PYNEURO_DATA elsewhere."
        )
    array.setflags(write=False)
    _verified[key] = array
    return array


def _check_pair(ds: IdxDataset, split: str, images: np.ndarray, labels: np.ndarray) -> None:
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"{ds.name} {split}: images must be uint8 (N, H, W), got {images.dtype} {images.shape}"
        )
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(f"{ds.name} {split}: {len(images)} images but labels shaped {labels.shape}")
    if len(labels) and int(labels.max()) >= len(ds.classes):
        raise ValueError(
            f"{ds.name} {split}: label {int(labels.max())} out of range for {len(ds.classes)} classes"
        )


__all__ = [
    "load",
    "load_numpy",
    "names",
    "classes",
    "to_tensor_dataset",
    "read_idx",
    "write_idx",
    "DatasetNotFoundError",
    "cache_root",
    "search_dirs",
    "CATALOG",
    "SAMPLE_PATH",
]

"""What pyneuro knows about each downloadable dataset: file names, mirrors, checksums.

Two SHA-256 values per file, because copies differ in compression but not in content:
- ``gz_sha256``: the official ``.gz`` file as the mirrors serve it; checked on download,
  before the file enters the cache.
- ``sha256``: the decompressed IDX bytes; checked for every copy found on disk (Debian's
  dataset-fashion-mnist package, for one, recompresses the files, so their .gz bytes differ
  while the images are identical).

Where the values come from:
- MNIST: ``gz_sha256`` are the published values for the official files (TensorFlow
  Datasets' checksum list and many independent projects agree; the files' MD5s are
  torchvision's: f68b3c2d..., d53e105e..., 9fb629c4..., ec29112d...). ``sha256`` of the
  decompressed files are published values from several independent projects. Not
  recomputed here: this machine has no copy of MNIST.
- Fashion-MNIST: ``sha256`` computed here from Debian's package (dataset-fashion-mnist
  0.0~git20200523.55506a9-1, /usr/share/datasets/fashion-mnist/); the same values are
  published by independent projects for the decompressed official files, whose .gz MD5s
  match Zalando's (8d4fb7e6..., 25c81989..., bef4ecab..., bb300cfd...). ``gz_sha256`` are
  the published values for the official .gz files (TensorFlow Datasets and others).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class IdxFile:
    name: str  # file name without .gz, e.g. "train-images-idx3-ubyte"
    sha256: str  # SHA-256 of the decompressed IDX bytes
    gz_sha256: str  # SHA-256 of the official .gz download
    size: int  # decompressed size in bytes


@dataclass(frozen=True)
class IdxDataset:
    name: str
    description: str
    mirrors: tuple[str, ...]  # base URLs, tried in order; file URL = base + name + ".gz"
    splits: dict  # split -> (images IdxFile, labels IdxFile)
    classes: tuple[str, ...]
    apt_package: str | None = None  # Debian/Ubuntu package that installs the files
    licence: str = ""
    extra: dict = field(default_factory=dict)


MNIST = IdxDataset(
    name="mnist",
    description="MNIST handwritten digits (LeCun, Cortes, Burges), 60,000 train / 10,000 test",
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    splits={
        "train": (
            IdxFile(
                "train-images-idx3-ubyte",
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                47040016,
            ),
            IdxFile(
                "train-labels-idx1-ubyte",
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                60008,
            ),
        ),
        "test": (
            IdxFile(
                "t10k-images-idx3-ubyte",
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                7840016,
            ),
            IdxFile(
                "t10k-labels-idx1-ubyte",
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                10008,
            ),
        ),
    },
    classes=tuple(str(d) for d in range(10)),
    licence="CC BY-SA 3.0",
)

FASHION_MNIST = IdxDataset(
    name="fashion-mnist",
    description="Fashion-MNIST (Zalando Research), 60,000 train / 10,000 test",
    mirrors=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    splits={
        "train": (
            IdxFile(
                "train-images-idx3-ubyte",
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                47040016,
            ),
            IdxFile(
                "train-labels-idx1-ubyte",
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                60008,
            ),
        ),
        "test": (
            IdxFile(
                "t10k-images-idx3-ubyte",
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                7840016,
            ),
            IdxFile(
                "t10k-labels-idx1-ubyte",
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                10008,
            ),
        ),
    },
    classes=(
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    apt_package="dataset-fashion-mnist",
    licence="MIT",
)

CATALOG: dict[str, IdxDataset] = {d.name: d for d in (MNIST, FASHION_MNIST)}

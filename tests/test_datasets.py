"""pyneuro.datasets: the bundled sample, the IDX reader, look-up order, cache, downloads
(from a local file:// mirror only, never the internet), checksums and clear errors."""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from pyneuro import datasets
from pyneuro.datasets import _catalog, _fetch
from pyneuro.datasets._catalog import IdxDataset, IdxFile
from pyneuro.datasets._idx import parse_idx, read_idx, write_idx


# ----------------------------------------------------------------------------- bundled sample
def test_sample_shapes_and_balance():
    xtr, ytr = datasets.load_numpy("mnist-sample", "train")
    xte, yte = datasets.load_numpy("mnist-sample", "test")
    assert xtr.shape == (4000, 28, 28) and xte.shape == (1000, 28, 28)
    assert xtr.dtype == np.uint8 and ytr.dtype == np.uint8
    assert np.bincount(ytr, minlength=10).tolist() == [400] * 10
    assert np.bincount(yte, minlength=10).tolist() == [100] * 10
    # train and test share no image, and the train order is not sorted by label
    train_rows = {row.tobytes() for row in xtr.reshape(4000, -1)}
    assert not any(row.tobytes() in train_rows for row in xte.reshape(1000, -1))
    assert (np.diff(ytr.astype(int)) != 0).sum() > 1000
    assert datasets.SAMPLE_PATH.parent.parent == Path(datasets.__file__).parent  # ships in the package


def test_sample_is_real_digits():
    x, y = datasets.load_numpy("mnist-sample", "test")
    assert x.max() == 255 and x.min() == 0
    # MNIST digits: dark background (most pixels 0), ink centred in the 20x20 box
    assert (x == 0).mean() > 0.7
    assert x[:, :2, :].sum() == 0 or x[:, :2, :].mean() < 1.0


def test_load_gives_float_tensors():
    ds = datasets.load("mnist-sample", split="test")
    images, labels = ds.tensors
    assert tuple(images.shape) == (1000, 1, 28, 28) and tuple(labels.shape) == (1000,)
    x, y = images.numpy(), labels.numpy()
    assert x.dtype == np.float32 and y.dtype == np.int64
    assert 0.0 <= x.min() and x.max() == 1.0
    raw, raw_y = datasets.load_numpy("mnist-sample", "test")
    np.testing.assert_array_equal(x[:, 0], raw.astype(np.float32) / 255)
    np.testing.assert_array_equal(y, raw_y)
    assert len(ds) == 1000


def test_unknown_name_and_split():
    with pytest.raises(ValueError, match="unknown dataset 'cifar'.*mnist-sample"):
        datasets.load_numpy("cifar")
    with pytest.raises(ValueError, match="unknown split 'valid'"):
        datasets.load_numpy("mnist-sample", "valid")
    with pytest.raises(TypeError):
        datasets.load_numpy(3)
    assert datasets.names() == ["mnist-sample", "mnist", "fashion-mnist"]
    assert datasets.classes("fashion-mnist")[9] == "Ankle boot"


# ----------------------------------------------------------------------------- IDX reader
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, suffix):
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / f"a{suffix}", a)
    np.testing.assert_array_equal(read_idx(tmp_path / f"a{suffix}"), a)
    f = np.linspace(-1, 1, 6, dtype=np.float32)
    write_idx(tmp_path / f"f{suffix}", f)
    np.testing.assert_array_equal(read_idx(tmp_path / f"f{suffix}"), f)


def test_idx_truncated_and_bad_files_name_the_file(tmp_path):
    a = np.zeros((10, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / "x", a)
    data = (tmp_path / "x").read_bytes()
    (tmp_path / "short").write_bytes(data[:-5])
    with pytest.raises(ValueError, match=r"short.*truncated.*\(10, 28, 28\)"):
        read_idx(tmp_path / "short")
    (tmp_path / "short.gz").write_bytes(gzip.compress(data)[:-20])
    with pytest.raises(ValueError, match=r"short\.gz.*corrupt or truncated gzip"):
        read_idx(tmp_path / "short.gz")
    (tmp_path / "junk").write_bytes(b"hello world")
    with pytest.raises(ValueError, match="junk.*not an IDX file"):
        read_idx(tmp_path / "junk")
    with pytest.raises(ValueError, match="trailing bytes"):
        parse_idx(data + b"\0", "extra")
    with pytest.raises(ValueError, match="unknown IDX type"):
        parse_idx(b"\0\0\x42\x01\0\0\0\0", "weird")


# ----------------------------------------------------------------------------- look-up, cache, download
def _make_tiny(tmp_path: Path, n_train=12, n_test=5):
    """Write a tiny IDX dataset into tmp_path/mirror and register it in the catalog."""
    rng = np.random.default_rng(0)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    files = {}
    for split, prefix, n in (("train", "train", n_train), ("test", "t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        entry = []
        for kind, arr in (("images-idx3-ubyte", images), ("labels-idx1-ubyte", labels)):
            name = f"{prefix}-{kind}"
            write_idx(mirror / f"{name}.gz", arr)
            raw = gzip.decompress((mirror / f"{name}.gz").read_bytes())
            entry.append(
                IdxFile(
                    name,
                    hashlib.sha256(raw).hexdigest(),
                    hashlib.sha256((mirror / f"{name}.gz").read_bytes()).hexdigest(),
                    len(raw),
                )
            )
        files[split] = ((images, labels), tuple(entry))
    ds = IdxDataset(
        name="tiny",
        description="test data",
        mirrors=(mirror.as_uri() + "/",),
        splits={s: f[1] for s, f in files.items()},
        classes=tuple("0123456789"),
        apt_package="dataset-tiny",
    )
    return ds, {s: f[0] for s, f in files.items()}


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    ds, arrays = _make_tiny(tmp_path)
    monkeypatch.setitem(_catalog.CATALOG, "tiny", ds)
    monkeypatch.setattr(_fetch, "SYSTEM_DIRS", (tmp_path / "system",))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("PYNEURO_DATA", raising=False)
    monkeypatch.delenv("PYNEURO_OFFLINE", raising=False)
    datasets._verified.clear()
    return ds, arrays, tmp_path


def _copy_split(ds, src: Path, dst: Path, gz=True, split="train"):
    dst.mkdir(parents=True, exist_ok=True)
    for f in ds.splits[split]:
        data = (src / f"{f.name}.gz").read_bytes()
        if gz:
            (dst / f"{f.name}.gz").write_bytes(data)
        else:
            (dst / f.name).write_bytes(gzip.decompress(data))


def test_download_into_cache_from_local_mirror(tiny):
    ds, arrays, tmp = tiny
    x, y = datasets.load_numpy("tiny", "train", progress=False)
    np.testing.assert_array_equal(x, arrays["train"][0])
    np.testing.assert_array_equal(y, arrays["train"][1])
    cache = tmp / "cache" / "pyneuro" / "tiny"
    assert sorted(p.name for p in cache.iterdir()) == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
    ]
    # second load comes from the cache even when downloads are forbidden
    os.environ["PYNEURO_OFFLINE"] = "1"
    x2, _ = datasets.load_numpy("tiny", "train")
    np.testing.assert_array_equal(x2, x)


def test_download_with_plain_progress_bar(tiny, monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError("no tqdm here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    datasets.load_numpy("tiny", "test", progress=True)
    err = capsys.readouterr().err
    assert "downloading t10k-images-idx3-ubyte.gz" in err and "100.0%" in err


def test_lookup_order_pyneuro_data_then_cache_then_system(tiny, monkeypatch):
    ds, arrays, tmp = tiny
    mirror = tmp / "mirror"
    _copy_split(ds, mirror, tmp / "system" / "tiny", gz=True)
    _copy_split(ds, mirror, tmp / "cache" / "pyneuro" / "tiny", gz=False)
    _copy_split(ds, mirror, tmp / "mine" / "tiny", gz=False)
    monkeypatch.setenv("PYNEURO_OFFLINE", "1")
    f = ds.splits["train"][0]
    assert _fetch.find_local("tiny", f) == tmp / "cache" / "pyneuro" / "tiny" / f.name
    monkeypatch.setenv("PYNEURO_DATA", os.pathsep.join([str(tmp / "nothing"), str(tmp / "mine")]))
    assert _fetch.find_local("tiny", f) == tmp / "mine" / "tiny" / f.name
    x, _ = datasets.load_numpy("tiny", "train")
    np.testing.assert_array_equal(x, arrays["train"][0])
    monkeypatch.delenv("PYNEURO_DATA")
    for p in (tmp / "cache" / "pyneuro" / "tiny").iterdir():
        p.unlink()
    assert _fetch.find_local("tiny", f) == tmp / "system" / "tiny" / f"{f.name}.gz"


def test_checksum_failure_on_download_leaves_nothing(tiny, monkeypatch):
    ds, _, tmp = tiny
    bad = IdxFile(ds.splits["train"][0].name, ds.splits["train"][0].sha256, "0" * 64, 0)
    monkeypatch.setitem(
        _catalog.CATALOG,
        "tiny",
        IdxDataset(**{**ds.__dict__, "splits": {"train": (bad, ds.splits["train"][1])}}),
    )
    with pytest.raises(ValueError, match="checksum mismatch downloading train-images-idx3-ubyte.gz"):
        datasets.load_numpy("tiny", "train", progress=False)
    cache = tmp / "cache" / "pyneuro" / "tiny"
    assert list(cache.iterdir()) == []  # no half-written or unverified file


def test_offline_error_lists_every_place_and_how_to_get_it(tiny, monkeypatch):
    _, _, tmp = tiny
    monkeypatch.setenv("PYNEURO_OFFLINE", "1")
    monkeypatch.setenv("PYNEURO_DATA", str(tmp / "mine"))
    with pytest.raises(datasets.DatasetNotFoundError) as info:
        datasets.load_numpy("tiny", "train")
    msg = str(info.value)
    assert "PYNEURO_OFFLINE" in msg
    for place in (tmp / "mine" / "tiny", tmp / "cache" / "pyneuro" / "tiny", tmp / "system" / "tiny"):
        assert str(place) in msg
    assert "apt-get install dataset-tiny" in msg and "PYNEURO_DATA" in msg and "download" in msg
    assert isinstance(info.value, FileNotFoundError)
    assert not (tmp / "cache" / "pyneuro" / "tiny").exists() or not any(
        (tmp / "cache" / "pyneuro" / "tiny").iterdir()
    )


def test_unreachable_mirror_is_a_clear_error(tiny, monkeypatch):
    ds, _, tmp = tiny
    monkeypatch.setitem(
        _catalog.CATALOG, "tiny", IdxDataset(**{**ds.__dict__, "mirrors": ((tmp / "gone").as_uri() + "/",)})
    )
    with pytest.raises(datasets.DatasetNotFoundError, match="download failed"):
        datasets.load_numpy("tiny", "train", progress=False)
    assert not any((tmp / "cache" / "pyneuro" / "tiny").iterdir())


def test_corrupt_local_file_names_it(tiny, monkeypatch):
    ds, _, tmp = tiny
    folder = tmp / "system" / "tiny"
    _copy_split(ds, tmp / "mirror", folder, gz=False)
    images = folder / ds.splits["train"][0].name
    data = bytearray(images.read_bytes())
    data[100] ^= 0xFF  # same size, one pixel changed
    images.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=rf"{images}: wrong content for tiny"):
        datasets.load_numpy("tiny", "train", download=False)
    images.write_bytes(bytes(data[:-3]))  # truncated
    with pytest.raises(ValueError, match=rf"{images}.*truncated"):
        datasets.load_numpy("tiny", "train", download=False)


def test_fashion_mnist_checksums_are_the_debian_files():
    folder = Path("/usr/share/datasets/fashion-mnist")
    if not (folder / "t10k-labels-idx1-ubyte.gz").is_file():
        pytest.skip("Debian's dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)")
    for split in ("train", "test"):
        for f in _catalog.FASHION_MNIST.splits[split]:
            raw = gzip.decompress((folder / f"{f.name}.gz").read_bytes())
            assert hashlib.sha256(raw).hexdigest() == f.sha256 and len(raw) == f.size


def test_fashion_mnist_loads_when_installed(monkeypatch):
    if not Path("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip("Debian's dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)")
    monkeypatch.setenv("PYNEURO_OFFLINE", "1")
    x, y = datasets.load_numpy("fashion-mnist", "test")
    assert x.shape == (10000, 28, 28) and np.bincount(y).tolist() == [1000] * 10


class _Server:
    """A local HTTP server on 127.0.0.1 serving `files` (name -> bytes); `cut` truncates bodies
    while still announcing the full Content-Length (a dropped connection)."""

    def __init__(self, files, cut=None):
        import http.server
        import threading

        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                name = self.path.rsplit("/", 1)[-1]
                if name not in files:
                    self.send_error(404)
                    return
                body = files[name]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: outer.cut] if outer.cut else body)

            def log_message(self, *args):
                pass

        self.cut = cut
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/data/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_download_over_http_and_truncated_transfer(tiny, monkeypatch):
    ds, arrays, tmp = tiny
    files = {p.name: p.read_bytes() for p in (tmp / "mirror").iterdir()}
    server = _Server(files, cut=100)
    try:
        monkeypatch.setitem(_catalog.CATALOG, "tiny", IdxDataset(**{**ds.__dict__, "mirrors": (server.url,)}))
        with pytest.raises(datasets.DatasetNotFoundError, match="download failed"):
            datasets.load_numpy("tiny", "test", progress=False)
        assert not any((tmp / "cache" / "pyneuro" / "tiny").iterdir())  # nothing half-written
        server.cut = None
        x, y = datasets.load_numpy("tiny", "test", progress=False)
        np.testing.assert_array_equal(x, arrays["test"][0])
        np.testing.assert_array_equal(y, arrays["test"][1])
    finally:
        server.close()


def test_next_mirror_is_tried_when_one_fails(tiny, monkeypatch):
    ds, arrays, tmp = tiny
    mirrors = ((tmp / "gone").as_uri() + "/", ds.mirrors[0])
    monkeypatch.setitem(_catalog.CATALOG, "tiny", IdxDataset(**{**ds.__dict__, "mirrors": mirrors}))
    x, _ = datasets.load_numpy("tiny", "train", progress=False)
    np.testing.assert_array_equal(x, arrays["train"][0])


def test_gzip_that_expands_too_far_is_refused(tmp_path, monkeypatch):
    from pyneuro.datasets import _idx

    path = tmp_path / "bomb-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + (4000).to_bytes(4, "big") + bytes(4000)))
    assert len(read_idx(path)) == 4000
    monkeypatch.setattr(_idx, "MAX_BYTES", 1000)  # the real limit is 512 MiB; same code path
    with pytest.raises(ValueError, match=r"bomb-idx1-ubyte.gz: decompresses to more than"):
        read_idx(path)


def test_idx_header_with_huge_dimensions_is_a_clear_error():
    # 4 dimensions of 2**32-1: the byte count overflows int64, so it must be computed exactly
    data = bytes([0, 0, 8, 4]) + b"\xff\xff\xff\xff" * 4 + bytes(16)
    with pytest.raises(ValueError, match=r"huge.idx: IDX file truncated"):
        parse_idx(data, "huge.idx")

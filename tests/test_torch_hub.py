"""pyneuro.hub beside torch.hub: the cache folder, downloads (file:// URLs stand in for the
network; an unreachable host is urllib's URLError, as torch's), the hash check, cached
checkpoints, and local hubconf.py entry points."""

from __future__ import annotations

import hashlib
import os

import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

UNREACHABLE = "http://127.0.0.1:9/model-abc123.pth"  # (the discard port: connection refused)


@pytest.fixture
def hub_dirs(tmp_path, monkeypatch):
    """Both hubs' folders under tmp_path, restored afterwards."""
    monkeypatch.setattr(pn.hub, "_hub_dir", None)
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    monkeypatch.delenv("PYNEURO_OFFLINE", raising=False)
    return tmp_path


def test_get_dir_and_set_dir(hub_dirs, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(hub_dirs))
    assert pn.hub.get_dir() == torch.hub.get_dir() == os.path.join(str(hub_dirs), "hub")
    monkeypatch.delenv("TORCH_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(hub_dirs))
    assert pn.hub.get_dir() == os.path.join(str(hub_dirs), "pyneuro", "hub")  # (torch's: .../torch/hub)
    for hub in (pn.hub, torch.hub):
        hub.set_dir(hub_dirs / "mine")
        assert hub.get_dir() == str(hub_dirs / "mine")


def test_downloads_without_a_network_raise_urlerror_like_torch(hub_dirs):
    for hub in (torch.hub, pn.hub):
        hub.set_dir(hub_dirs / hub.__name__)
        with pytest.raises(OSError) as err:  # urllib.error.URLError
            hub.download_url_to_file(UNREACHABLE, str(hub_dirs / "x.pth"), progress=False)
        assert type(err.value).__name__ == "URLError"
        with pytest.raises(OSError):
            hub.load_state_dict_from_url(UNREACHABLE, progress=False)
    assert not [p for p in os.listdir(hub_dirs) if p.endswith(".partial")]


def test_offline_switch_refuses_with_urlerror(hub_dirs, monkeypatch):
    monkeypatch.setenv("PYNEURO_OFFLINE", "1")
    with pytest.raises(OSError, match="PYNEURO_OFFLINE"):
        pn.hub.download_url_to_file("file:///etc/hostname", str(hub_dirs / "x"), progress=False)


def test_download_checks_the_hash_prefix_and_leaves_no_partial_file(hub_dirs):
    src = hub_dirs / "w.pt"
    pn.save({"a": pn.ones(2)}, src)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    pn.hub.download_url_to_file(
        src.as_uri(), str(hub_dirs / "copy.pt"), hash_prefix=digest[:8], progress=False
    )
    assert (hub_dirs / "copy.pt").read_bytes() == src.read_bytes()
    for hub in (pn.hub, torch.hub):
        with pytest.raises(RuntimeError, match="invalid hash value"):
            hub.download_url_to_file(
                src.as_uri(), str(hub_dirs / "bad.pt"), hash_prefix="0000", progress=False
            )
    assert not (hub_dirs / "bad.pt").exists()
    assert not [p for p in os.listdir(hub_dirs) if p.endswith(".partial")]


def test_load_state_dict_from_url_caches_and_reads_the_checkpoint(hub_dirs, capsys):
    src = hub_dirs / "net.pt"
    pn.save({"weight": pn.arange(3.0)}, src)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    named = hub_dirs / f"net-{digest[:10]}.pt"
    named.write_bytes(src.read_bytes())
    state = pn.hub.load_state_dict_from_url(named.as_uri(), model_dir=str(hub_dirs / "ck"), check_hash=True)
    assert state["weight"].tolist() == [0.0, 1.0, 2.0] and isinstance(state["weight"], pn.Tensor)
    assert "Downloading" in capsys.readouterr().out
    named.unlink()  # the second call reads the cache
    state = pn.hub.load_state_dict_from_url(named.as_uri(), model_dir=str(hub_dirs / "ck"))
    assert state["weight"].tolist() == [0.0, 1.0, 2.0] and "Downloading" not in capsys.readouterr().out
    torch.save({"weight": torch.arange(3.0)}, hub_dirs / "theirs.pt")  # torch's zip archive: read too
    state = pn.hub.load_state_dict_from_url((hub_dirs / "theirs.pt").as_uri(), model_dir=str(hub_dirs / "ck"))
    assert state["weight"].tolist() == [0.0, 1.0, 2.0] and isinstance(state["weight"], pn.Tensor)


def test_local_hubconf_entry_points(hub_dirs):
    (hub_dirs / "hubconf.py").write_text(
        "dependencies = ['os']\n\ndef double(k=1):\n    'twice k'\n    return 2 * k\n\n_helper = len\n"
    )
    for hub in (pn.hub, torch.hub):
        assert hub.load(str(hub_dirs), "double", 4, source="local") == 8
        assert hub.load(str(hub_dirs), "double", k=3, source="local") == 6
        with pytest.raises(RuntimeError, match="Cannot find callable nope in hubconf"):
            hub.load(str(hub_dirs), "nope", source="local")
        with pytest.raises(ValueError, match="Unknown source"):
            hub.load(str(hub_dirs), "double", source="ftp")
        with pytest.raises(FileNotFoundError):
            hub.load(str(hub_dirs / "missing"), "double", source="local")
    assert pn.hub.list(str(hub_dirs), source="local") == ["double"]
    assert pn.hub.help(str(hub_dirs), "double", source="local") == "twice k"
    (hub_dirs / "hubconf.py").write_text("dependencies = ['no_such_module_xyz']\ndef m():\n    return 1\n")
    with pytest.raises(RuntimeError, match="Missing dependencies: no_such_module_xyz"):
        pn.hub.load(str(hub_dirs), "m", source="local")


def test_github_source_says_it_cannot_run_torch_hubconfs():
    with pytest.raises(NotImplementedError, match="hubconf.py imports torch"):
        pn.hub.load("pytorch/vision", "resnet18", weights=None)
    with pytest.raises(NotImplementedError):
        pn.hub.list("pytorch/vision")

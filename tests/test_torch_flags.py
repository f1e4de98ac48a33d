"""torch.backends's switches and the determinism settings: the lines of a script's setup cell
run under pyneuro and answer truthfully."""

from __future__ import annotations

import pytest

import pyneuro as pn


def test_the_device_selection_idiom_picks_the_cpu_here():
    device = "cuda" if pn.cuda.is_available() else "mps" if pn.backends.mps.is_available() else "cpu"
    assert device == ("cuda" if pn.cuda.is_available() else "cpu")
    assert pn.backends.mps.is_built() is False
    assert pn.backends.cudnn.is_available() is False and pn.backends.cudnn.version() is None
    assert pn.backends.mkldnn.is_available() is False  # pyneuro's own kernels, no oneDNN
    assert isinstance(pn.backends.cuda.is_built(), bool)


def test_openmp_is_available_exactly_when_the_extension_was_built_with_openmp(monkeypatch):
    status = pn.backends.status("cpu")
    expected = status.available and bool(getattr(pn.backends.get("cpu")._cpu, "openmp_version", 0))
    assert pn.backends.openmp.is_available() is expected
    # without the C++ extension (a pure-Python install) there is no OpenMP
    from types import SimpleNamespace

    from pyneuro.backends import _registry

    monkeypatch.setattr(_registry, "status", lambda name: SimpleNamespace(available=False))
    assert pn.backends.openmp.is_available() is False


def test_the_seeds_cell_sets_and_reads_back_the_switches():
    cudnn = pn.backends.cudnn
    saved = (cudnn.deterministic, cudnn.benchmark, pn.are_deterministic_algorithms_enabled())
    try:
        cudnn.deterministic, cudnn.benchmark = True, False
        pn.use_deterministic_algorithms(True, warn_only=True)
        assert cudnn.deterministic is True and cudnn.benchmark is False
        assert (
            pn.are_deterministic_algorithms_enabled() and pn.is_deterministic_algorithms_warn_only_enabled()
        )
        pn.use_deterministic_algorithms(False)
        assert not pn.are_deterministic_algorithms_enabled()
        assert not pn.is_deterministic_algorithms_warn_only_enabled()
    finally:
        cudnn.deterministic, cudnn.benchmark = saved[0], saved[1]
        pn.use_deterministic_algorithms(saved[2])


def test_torch_defaults_and_errors():
    torch = pytest.importorskip("torch")
    assert pn.backends.cudnn.enabled is torch.backends.cudnn.enabled is True
    assert pn.backends.cuda.matmul.allow_tf32 is torch.backends.cuda.matmul.allow_tf32 is False
    assert pn.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert pn.are_deterministic_algorithms_enabled() is torch.are_deterministic_algorithms_enabled() is False
    for fw in (pn, torch):
        with pytest.raises(TypeError):
            fw.use_deterministic_algorithms("yes")


def test_attention_kernel_switches_are_recorded_like_torchs():
    """u11n1's setup cell: torch.backends.cuda.enable_flash_sdp(False) and friends."""
    cuda = pn.backends.cuda
    for kind in ("flash", "mem_efficient", "math", "cudnn"):
        assert getattr(cuda, f"{kind}_sdp_enabled")() is True  # torch's defaults
        getattr(cuda, f"enable_{kind}_sdp")(False)
        assert getattr(cuda, f"{kind}_sdp_enabled")() is False
        getattr(cuda, f"enable_{kind}_sdp")(True)
        assert getattr(cuda, f"{kind}_sdp_enabled")() is True


def test_cuda_matmul_allow_tf32_is_the_float32_matmul_precision():
    """nanoGPT sets torch.backends.cuda.matmul.allow_tf32 = True: in torch that is
    set_float32_matmul_precision("high"), and allow_tf32 reads True for "high" and "medium"."""
    torch = pytest.importorskip("torch")

    def run(fw):
        seen = []
        try:
            fw.backends.cuda.matmul.allow_tf32 = True
            seen.append(fw.get_float32_matmul_precision())
            for p in ("medium", "highest", "high"):
                fw.set_float32_matmul_precision(p)
                seen.append(fw.backends.cuda.matmul.allow_tf32)
            m = fw.backends.cuda.matmul
            seen.append((m.allow_fp16_reduced_precision_reduction, m.allow_bf16_reduced_precision_reduction))
            with pytest.raises(AttributeError, match="Unknown attribute foo"):
                m.foo = 1
            seen.append(type(m).__name__)
        finally:
            fw.set_float32_matmul_precision("highest")
        return seen

    assert run(pn) == run(torch)

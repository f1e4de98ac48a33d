"""Names a script reaches for around GPUs and complex spectra: torch.nn.parallel.replicate /
parallel_apply, torch.cuda.memory_summary, torch.cuda.nvtx, torch.linalg.eig / eigvals. On a
machine without a GPU each answers as torch's CPU build does (the same exception classes);
eig/eigvals are refused clearly (pyneuro has no complex dtype for their results)."""

from __future__ import annotations

import importlib

import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

no_gpu = pytest.mark.skipif(pn.cuda.is_available(), reason="the answers without a GPU")

CASES = {
    "replicate to the CPU": lambda m: m.nn.parallel.replicate(m.nn.Linear(2, 2), [m.device("cpu")]),
    "replicate a CPU module": lambda m: m.nn.parallel.replicate(m.nn.Linear(2, 2), [0]),
    "parallel_apply, counts differ": lambda m: m.nn.parallel.parallel_apply(
        [m.nn.Linear(2, 2)], [m.ones(1, 2)] * 2
    ),
    "parallel_apply": lambda m: m.nn.parallel.parallel_apply([m.nn.Linear(2, 2)], [m.ones(1, 2)]),
    "memory_summary": lambda m: m.cuda.memory_summary(),
    "nvtx.range_push": lambda m: m.cuda.nvtx.range_push("step"),
    "nvtx.mark": lambda m: importlib.import_module(f"{m.__name__}.cuda.nvtx").mark("x"),
    "nvtx.range": lambda m: m.cuda.nvtx.range("epoch {}", 1).__enter__(),
    "eig of a 2x3": lambda m: m.linalg.eig(m.ones(2, 3)),
}


@no_gpu
@pytest.mark.parametrize("name", sorted(CASES))
def test_without_a_gpu_the_same_exception_as_torch(name):
    def run(m):
        with pytest.raises(Exception) as e:
            CASES[name](m)
        return e.value

    got, want = run(pn), run(torch)
    assert isinstance(got, type(want)), (type(got), type(want))


def test_names_are_importable_as_torch_s():
    import pyneuro.cuda.nvtx as nvtx  # (the dotted import is the check)

    assert pn.cuda.nvtx is nvtx
    assert callable(pn.nn.parallel.replicate) and callable(pn.nn.parallel.parallel_apply)


@pytest.mark.parametrize("name", ["eig", "eigvals"])
def test_eig_is_refused_naming_the_missing_complex_dtype(name):
    """torch's results are complex64 even for a real spectrum: no real stand-in is returned."""
    assert str(torch.linalg.eigvals(torch.eye(2)).dtype) == "torch.complex64"
    with pytest.raises(NotImplementedError, match="complex"):
        getattr(pn.linalg, name)(pn.eye(2))

"""Top-level names plain PyTorch scripts use that pyneuro lacked: torch.GradScaler, the deprecated
set_default_tensor_type and per-device autocast switches, torch.is_inference; side by side."""

from __future__ import annotations

import warnings

import pytest

import pyneuro

torch = pytest.importorskip("torch")


def _program(L):
    out = []
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        L.set_default_tensor_type(L.DoubleTensor)
        out += [str(L.get_default_dtype()).split(".")[1], str(L.tensor([1.0]).dtype).split(".")[1]]
        L.set_default_tensor_type("torch.FloatTensor")
        out.append(str(L.get_default_dtype()).split(".")[1])
        for bad in ("torch.cuda.FloatTensor", L.LongTensor, 3):
            with pytest.raises(TypeError) as info:
                L.set_default_tensor_type(bad)
            out.append(str(info.value))
        out += [str(L.get_autocast_cpu_dtype()).split(".")[1], L.is_autocast_cpu_enabled()]
        out.append(str(L.get_autocast_gpu_dtype()).split(".")[1])
        L.set_autocast_enabled(True)
        out.append(L.is_autocast_enabled())
        L.set_autocast_enabled(False)
        L.set_autocast_enabled("cpu", True)
        out.append(L.is_autocast_enabled("cpu"))
        L.set_autocast_enabled("cpu", False)
        L.set_autocast_cpu_dtype(L.float16)
        out.append(str(L.get_autocast_dtype("cpu")).split(".")[1])
        L.set_autocast_cpu_dtype(L.bfloat16)
    out.append(sorted({type(w.message).__name__ for w in seen}))
    out.append(any("set_default_tensor_type() is deprecated" in str(w.message) for w in seen))
    out += [L.GradScaler is L.amp.GradScaler, L.is_inference(L.ones(1))]
    with L.inference_mode():
        out.append(L.is_inference(L.ones(1)))
    with pytest.raises(TypeError):
        L.is_inference([1.0])
    return out


def test_names_as_torch():
    try:
        assert _program(pyneuro) == _program(torch)
    finally:
        pyneuro.set_default_dtype(pyneuro.float32)
        torch.set_default_dtype(torch.float32)

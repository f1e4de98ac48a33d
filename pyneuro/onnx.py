"""pyneuro.onnx: torch.onnx's names, so a script that imports it (to export its model at the end,
when asked) runs.

ONNX export traces a model into a graph of standard operators for other runtimes. pyneuro has no
tracer (its models are Python calling its kernels), so `export` raises NotImplementedError saying
so; `is_in_onnx_export()` is False, as in any run that is not exporting. Save the weights with
`pn.save(model.state_dict(), path)` instead: safetensors files load into torch.
"""

from __future__ import annotations


class OnnxExporterError(RuntimeError):
    """torch.onnx's error type for a failed export."""


def export(model, args=(), f=None, *unused, **options):
    raise NotImplementedError(
        "pyneuro cannot export ONNX (it has no graph tracer); save model.state_dict() with pn.save "
        "(a safetensors file torch loads) and export from torch"
    )


def is_in_onnx_export() -> bool:
    return False


__all__ = ["export", "is_in_onnx_export", "OnnxExporterError"]

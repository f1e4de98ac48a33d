"""torch._dynamo.eval_frame: OptimizedModule, the class of what torch.compile(module) returns."""

from __future__ import annotations

from .._compile import OptimizedModule

__all__ = ["OptimizedModule"]

"""pyneuro.distributions: torch.distributions' import path (Normal, Categorical, ...)."""

from __future__ import annotations

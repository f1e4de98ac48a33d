"""pyneuro.special: torch.special's import path (`torch.special.erf`, `torch.special.expit`, ...).

The functions live in functions_math.py (the same objects); this module gives them torch.special's names.
"""

from __future__ import annotations

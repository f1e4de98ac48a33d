"""What a notebook shows for objects that are C types in torch (Generator, autograd's nodes).

Those types have no repr of their own, so repr() gives `<torch._C.Generator object at 0x...>` and
IPython's pretty printer (a notebook cell's displayed value) its own form, without "object":
`<torch._C.Generator at 0x...>`, `<SumBackward0 at 0x...>`. Ours write torch's repr; a class
that does sets `_repr_pretty_ = pretty_as_c_type` beside its __repr__ (IPython takes the first
class in the MRO defining either, so the two must sit in the same class).
"""

from __future__ import annotations


class ShownType(type):
    """The class of a class that prints as torch's C type does: `<class 'MulBackward0'>` (torch's
    autograd nodes are builtins), `<class 'torch._C.Generator'>` (`shown_module` names the module
    torch's lives in), while __module__ stays pyneuro's (pickle finds the class there)."""

    def __repr__(cls):
        module = getattr(cls, "shown_module", None)
        return f"<class '{module}.{cls.__qualname__}'>" if module else f"<class '{cls.__qualname__}'>"


def pretty_as_c_type(self, printer, cycle) -> None:
    printer.text(repr(self).replace(" object at 0x", " at 0x", 1))

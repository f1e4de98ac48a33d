"""skip_init (torch.nn.utils.init): build a module without its usual weight initialisation.

torch builds the module on the "meta" device (no memory) and then allocates it uninitialised,
so a script that loads or sets every weight next saves the initialisation's time. pyneuro has no
meta device: it builds the module normally, so the weights hold their ordinary initial values
(torch's hold whatever was in memory; a script must not read them either way).
"""

from __future__ import annotations

import inspect

from ..modules.module import Module  # not ..modules: nn.modules imports this package (rnn tools)


def skip_init(module_cls, *args, **kwargs):
    """module_cls(*args, **kwargs); module_cls must be a Module class taking a `device` argument."""
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    return module_cls(*args, **kwargs)


__all__ = ["skip_init"]

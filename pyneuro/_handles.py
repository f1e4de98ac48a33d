"""RemovableHandle: what a hook registration returns (public as pyneuro.utils.hooks, torch's path).
Imports nothing of pyneuro, so the autograd engine (tensor hooks) and nn (module hooks) share it.

    handle = model.fc1.register_forward_hook(lambda module, args, output: print(output.shape))
    model(x)          # prints
    handle.remove()   # the hook is gone; `with handle:` removes it at the end of the block
"""

from __future__ import annotations

import itertools
import weakref

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """Removes one hook from the dicts it was registered in (held weakly: a handle does not
    keep its module alive). `extra_dict`: further dicts keyed by the same id (the set of hooks
    registered with_kwargs or always_call), cleaned up with it."""

    __module__ = "pyneuro.utils.hooks"  # torch's path; repr is object's, as torch's (a cell ending
    # in register_forward_hook(...) shows <torch.utils.hooks.RemovableHandle at 0x...>)
    _next_id = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._next_id)
        extras = [] if extra_dict is None else extra_dict if isinstance(extra_dict, list) else [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras)

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

"""torch.utils.data._utils.collate's path: collate, default_collate_fn_map and the collate
functions of pyneuro/data/collate.py (library code extends default_collate from here)."""

from ....data.collate import (  # noqa: F401
    collate,
    collate_float_fn,
    collate_int_fn,
    collate_numpy_array_fn,
    collate_numpy_scalar_fn,
    collate_str_fn,
    collate_tensor_fn,
    default_collate,
    default_collate_fn_map,
    default_convert,
)

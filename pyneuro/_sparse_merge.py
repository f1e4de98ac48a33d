"""Where torch's sparse + sparse puts each entry: its merge of the two entry lists.

torch's add of two COO tensors (add_out_sparse_cpu) walks both entry lists at once, as in a
merge sort: the entry at the smaller position comes first, and two entries at the same position
become one, their values summed. Coalesced inputs (sorted, no repeats) give their sorted union;
uncoalesced ones give what that walk gives (repeats may stay: `coalesce()` sums them later).
_sparse_coo.py gathers the values by the positions returned here, so gradients flow.

Arrows: imports numpy only; _sparse_coo imports it.
"""

from __future__ import annotations

import numpy as np


def merge(la: np.ndarray, lb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the output slot of each entry of a, of each entry of b, each output slot's linear
    position) for entry lists at linear positions la and lb, walked as torch walks them."""
    if (np.diff(la) > 0).all() and (np.diff(lb) > 0).all():  # (both coalesced: the sorted union)
        union = np.sort(np.concatenate([la, lb]), kind="stable")  # (np.union1d's hashing is slower)
        union = union[np.concatenate([[True], union[1:] != union[:-1]])] if union.size else union
        return np.searchsorted(union, la), np.searchsorted(union, lb), union
    a, b = la.tolist(), lb.tolist()
    slot_a, slot_b, out = [0] * len(a), [0] * len(b), []
    i = j = 0
    while i < len(a) or j < len(b):
        if j == len(b) or (i < len(a) and a[i] < b[j]):
            slot_a[i], i = len(out), i + 1
            out.append(a[i - 1])
        elif i == len(a) or b[j] < a[i]:
            slot_b[j], j = len(out), j + 1
            out.append(b[j - 1])
        else:  # (the same position: one entry)
            slot_a[i] = slot_b[j] = len(out)
            out.append(a[i])
            i, j = i + 1, j + 1
    return np.asarray(slot_a, np.int64), np.asarray(slot_b, np.int64), np.asarray(out, np.int64)

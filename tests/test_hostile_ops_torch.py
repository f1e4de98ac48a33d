"""Hostile arguments found by differential fuzzing against torch (values, exception classes):
each case runs the same call with torch and with pyneuro and compares the result, or the
exception's builtin class and message.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests and is not installed")


def _same_error(fn, match=None):
    """fn(torch) raises; fn(pn) raises an exception of the same builtin class (and message)."""
    with pytest.raises(Exception) as want:
        fn(torch)
    kind = next(c for c in (IndexError, TypeError, ValueError, RuntimeError) if isinstance(want.value, c))
    with pytest.raises(kind, match=match) as got:
        fn(pn)
    if match is None:
        assert str(got.value).split(",")[0] == str(want.value).split(",")[0]


def _x(L, shape, seed=0):
    return L.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


# a dilated window: torch checks the padding against half the effective kernel, then against
# half the kernel itself (pool2d_shape_check); pyneuro checked only the first and pooled
POOL_PAD_DILATED = {
    "max_pool2d": lambda L: L.nn.functional.max_pool2d(
        _x(L, (2, 3, 2, 6)), 3, (3, 4), (2, 1), 2, ceil_mode=True
    ),
    "max_pool2d-indices": lambda L: L.nn.functional.max_pool2d(
        _x(L, (1, 2, 9, 9)), 3, 1, 2, 2, return_indices=True
    ),
    "max_pool2d-w": lambda L: L.nn.functional.max_pool2d(_x(L, (1, 2, 9, 9)), (3, 2), 1, (1, 2), (1, 3)),
    "MaxPool2d": lambda L: L.nn.MaxPool2d(3, padding=2, dilation=2)(_x(L, (1, 2, 9, 9))),
    "max_pool3d": lambda L: L.nn.functional.max_pool3d(_x(L, (1, 1, 9, 9, 9)), 3, padding=2, dilation=2),
}


@pytest.mark.parametrize("case", sorted(POOL_PAD_DILATED))
def test_dilated_pool_padding_over_half_the_kernel_raises_as_torch(backend_name, case):
    _same_error(POOL_PAD_DILATED[case], match="pad should be smaller than or equal to half of kernel size")


def test_dilated_pool_padding_within_half_the_kernel_pools_as_torch(backend_name):
    for L in (torch, pn):
        y = L.nn.functional.max_pool2d(_x(L, (1, 2, 9, 9)), 3, 1, 1, 3, return_indices=True)
        if L is torch:
            want = [t.numpy() for t in y]
    np.testing.assert_array_equal(y[0].numpy(), want[0])
    np.testing.assert_array_equal(y[1].numpy(), want[1])


def test_histc_with_more_bins_than_memory_raises_at_once():
    """bins=2**34: torch's allocation RuntimeError; pyneuro built 2**34 exact Fractions first (hours)."""
    code = (
        "import pyneuro as pn\n"
        "try:\n    pn.histc(pn.ones(3), bins=2**34)\n"
        "except RuntimeError as e:\n    print('RuntimeError', e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.startswith("RuntimeError") and "can't allocate memory" in done.stdout, done


@pytest.mark.parametrize("bins", [5000, 300_000])
def test_histc_with_many_bins_counts_as_torch(bins):
    x = np.random.default_rng(0).standard_normal(20_000).astype(np.float32)
    want = torch.histc(torch.tensor(x), bins=bins).numpy()
    np.testing.assert_array_equal(pn.histc(pn.tensor(x), bins=bins).numpy(), want)


_TOO_LARGE = {  # results NumPy cannot allocate under a 4 GiB address-space limit: torch's RuntimeError
    "bincount": "pn.bincount(pn.tensor([2**36]))",
    "one_hot": "pn.nn.functional.one_hot(pn.arange(2**16), 2**16)",
    "histc": "pn.histc(pn.ones(3), bins=2**29)",
}


@pytest.mark.parametrize("case", sorted(_TOO_LARGE))
def test_results_too_large_to_allocate_raise_torchs_runtime_error(case):
    """torch's allocator raises RuntimeError; NumPy's MemoryError is none (except AllocationError)."""
    code = (
        "import resource\nresource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))\n"
        "import pyneuro as pn\n"
        f"try:\n    {_TOO_LARGE[case]}\n"
        "except RuntimeError as e:\n    print('RuntimeError', e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("RuntimeError") and "can't allocate memory" in done.stdout, done


_DRAWS_TOO_LARGE = [  # each a RuntimeError as torch's (NumPy's MemoryError from the stream, a sampler or
    # a distribution's own arrays was none)
    "pn.distributions.Normal(0., 1.).sample((2**40,))",
    "pn.distributions.Categorical(logits=pn.zeros(3)).sample((2**40,))",
    "pn.distributions.Poisson(2.).sample((2**40,))",
    "pn.distributions.Gamma(2., 1.).sample((2**40,))",
    "pn.distributions.Binomial(10, pn.tensor(0.5)).sample((2**40,))",
    "pn.distributions.Laplace(0., 1.).rsample((2**40,))",
]


def test_distribution_draws_too_large_raise_torchs_runtime_error():
    code = (
        "import resource\nresource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))\nimport pyneuro as pn\n"
        + "".join(
            f"try:\n    {draw}\nexcept RuntimeError as e:\n    print('RuntimeError', e)\n"
            for draw in _DRAWS_TOO_LARGE
        )
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    lines = done.stdout.splitlines()
    assert len(lines) == len(_DRAWS_TOO_LARGE), done
    assert all(line.startswith("RuntimeError") and "can't allocate memory" in line for line in lines), done


_REFUSED_AT_ONCE = {  # counted before anything is built (the NumPy row x col mask or itertools' tuples
    # took all memory, or hours), refused with torch's RuntimeError
    "tril_indices": "pn.tril_indices(2**31, 2**31)",
    "triu_indices": "pn.triu_indices(2**20, 2**20)",
    "combinations": "pn.combinations(pn.arange(1000), 5)",
    "vander": "pn.vander(pn.ones(3), N=2**40)",  # (2**40 products, one by one)
    "block_diag": "pn.block_diag(*[pn.ones(2**10, 2**10)] * 2**8)",  # (256 GiB of padded rows)
    # (NumPy's MemoryError, which is no RuntimeError)
    "resize_": "pn.ones(3).resize_(2**40)",
    "affine_grid": "pn.nn.functional.affine_grid(pn.eye(2, 3)[None], (1, 1, 2**20, 2**20), align_corners=False)",
}


@pytest.mark.parametrize("case", sorted(_REFUSED_AT_ONCE))
def test_index_factories_too_large_are_refused_at_once(case):
    code = (
        "import resource\nresource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))\n"
        "import pyneuro as pn\n"
        f"try:\n    {_REFUSED_AT_ONCE[case]}\n"
        "except RuntimeError as e:\n    print('RuntimeError', e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    # refused by the count, before any allocation (not NumPy's "Unable to allocate" at the limit)
    assert done.stdout.startswith("RuntimeError"), done
    assert "overflowed" in done.stdout or "you tried to allocate" in done.stdout, done


def test_triangle_indices_match_torchs_and_refuse_negative_sizes():
    for row, col, offset in [(r, c, o) for r in range(5) for c in range(5) for o in range(-6, 7)] + [
        (2**40, 1, -(2**40) + 2),  # (a huge matrix, two entries: made from the rows that hold entries)
        (3, 2**40, -1),
    ]:
        for name in ("tril_indices", "triu_indices"):
            if name == "triu_indices" and row * col > 100:
                continue
            want = getattr(torch, name)(row, col, offset)
            got = getattr(pn, name)(row, col, offset)
            assert got.dtype == pn.int64 and np.array_equal(got.numpy(), want.numpy()), (
                name,
                row,
                col,
                offset,
            )
    for name in ("tril_indices", "triu_indices"):
        for args in ((-1, 3), (3, -1)):
            _same_error(lambda L: getattr(L, name)(*args), "must be non-negative")


NAN_WINDOWS = {  # windows with several NaNs: torch's adaptive kernel takes the last (val > max || isnan)
    "global": lambda L, x: L.nn.functional.adaptive_max_pool2d(x, 1, return_indices=True),
    "1x2": lambda L, x: L.nn.functional.adaptive_max_pool2d(x, (1, 2), return_indices=True),
    "2x3-overlapping": lambda L, x: L.nn.functional.adaptive_max_pool2d(x, (2, 3), return_indices=True),
    "1d": lambda L, x: L.nn.functional.adaptive_max_pool1d(x[0], 2, return_indices=True),
    "grad": lambda L, x: L.autograd.grad(
        L.nn.functional.adaptive_max_pool2d(x.requires_grad_(), (1, 2)).nan_to_num().sum(), x
    ),
}


@pytest.mark.parametrize("case", sorted(NAN_WINDOWS))
def test_adaptive_max_pool_picks_the_last_nan_of_a_window_as_torch(backend_name, case):
    nan = float("nan")
    rows = [[nan, 1.0, nan, 2.0], [nan, nan, 0.0, nan], [3.0, 1.0, 3.0, 2.0]]
    want = NAN_WINDOWS[case](torch, torch.tensor([[rows]]))
    got = NAN_WINDOWS[case](pn, pn.tensor([[rows]]))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.detach().numpy(), w.detach().numpy())


OUT_OVERLAP = {  # out= sharing memory with an input: torch refuses a partial overlap in these...
    "add-out-T": (True, lambda L, x: L.add(x, 1, out=x.t())),
    "add-out-shifted": (True, lambda L, x: L.add(x[:3], 1, out=x[1:])),
    "exp-out-shifted": (True, lambda L, x: L.exp(x[:3], out=x[1:])),
    "clamp-out-shifted": (True, lambda L, x: L.clamp(x[:3], 0, 3, out=x[1:])),
    "neg-out-T": (True, lambda L, x: L.neg(x, out=x.t())),
    "cumsum-out-shifted": (True, lambda L, x: L.cumsum(x[:3], 0, out=x[1:])),
    "sort-out-shifted": (True, lambda L, x: L.sort(x[:3], out=(x[1:], L.empty(3, 4, dtype=L.long)))),
    "gather-out-shifted": (True, lambda L, x: L.gather(x[:3], 1, L.zeros(3, 4, dtype=L.long), out=x[1:])),
    "outer-out": (True, lambda L, x: L.outer(x[0], x[1], out=x)),
    # ...and computes these: the same memory the same way, a reduction, a matmul, softmax
    "mul-out-self": (False, lambda L, x: L.mul(x, x, out=x)),
    "abs-out-self": (False, lambda L, x: L.abs(x, out=x)),
    "sum-out-row": (False, lambda L, x: L.sum(x, 0, out=x[0])),
    "softmax-out-shifted": (False, lambda L, x: L.softmax(x[:3], 0, out=x[1:])),
}


@pytest.mark.parametrize("case", sorted(OUT_OVERLAP))
def test_out_overlapping_an_input_in_part_raises_as_torch(case):
    raises, fn = OUT_OVERLAP[case]
    if raises:
        _same_error(lambda L: fn(L, L.arange(16.0).reshape(4, 4)), match="refer to a single memory location")
        x = pn.arange(16.0).reshape(4, 4)
        with pytest.raises(RuntimeError):
            fn(pn, x)
        np.testing.assert_array_equal(x.numpy(), np.arange(16.0).reshape(4, 4))  # (refused before writing)
    else:
        fn(torch, torch.arange(16.0).reshape(4, 4))
        fn(pn, pn.arange(16.0).reshape(4, 4))


_I = [1, 2]
INDEXED_SOURCE = {  # an indexed write whose source shares self's memory: torch refuses any overlap...
    "index_copy_-head": (True, lambda L, x: x.index_copy_(0, L.tensor(_I), x[:2])),
    "index_copy_-self": (True, lambda L, x: x.index_copy_(0, L.arange(6).flip(0), x)),
    "index_add_-head": (True, lambda L, x: x.index_add_(0, L.tensor(_I), x[:2])),
    "index_add_-rows": (True, lambda L, x: x.view(2, 3).index_add_(0, L.tensor([0]), x.view(2, 3)[1:])),
    "scatter_-head": (True, lambda L, x: x.scatter_(0, L.tensor(_I), x[:2])),
    "scatter_-self": (True, lambda L, x: x.scatter_(0, L.arange(6), x)),
    "scatter_add_-head": (True, lambda L, x: x.scatter_add_(0, L.tensor(_I), x[:2])),
    "scatter_reduce_-head": (True, lambda L, x: x.scatter_reduce_(0, L.tensor(_I), x[:2], "amax")),
    "put_-head": (True, lambda L, x: x.put_(L.tensor(_I), x[:2])),
    "index_put_-head": (True, lambda L, x: x.index_put_((L.tensor(_I),), x[:2], accumulate=True)),
    "setitem-index-head": (True, lambda L, x: x.__setitem__(L.tensor(_I), x[:2])),
    "setitem-list-head": (True, lambda L, x: x.__setitem__([1, 2], x[:2])),
    "setitem-mask-head": (True, lambda L, x: x.__setitem__(x > 3, x[:2])),
    "setitem-rows": (True, lambda L, x: x.view(3, 2).__setitem__(L.tensor([0]), x.view(3, 2)[2:])),
    # ...and writes these: a copy made by indexing, a strided (not dense) source, a 0-d value under a
    # mask (a masked_fill_), masked_scatter_ and index_fill_
    "setitem-index-copy": (False, lambda L, x: x.__setitem__(L.tensor(_I), x[L.tensor([0, 1])])),
    "put_-strided": (False, lambda L, x: x.put_(L.tensor(_I), x[::3])),
    "setitem-mask-0d": (False, lambda L, x: x.__setitem__(x > 3, x[0])),
    "masked_scatter_": (False, lambda L, x: x.masked_scatter_(x > 3, x)),
    "index_copy_-columns": (
        False,
        lambda L, x: x.view(2, 3).index_copy_(1, L.tensor([0, 1]), x.view(2, 3)[:, 1:]),
    ),
}


@pytest.mark.parametrize("case", sorted(INDEXED_SOURCE))
def test_an_indexed_write_from_its_own_memory_is_torchs(case):
    """pyneuro wrote these as if the source were copied first, where torch raises."""
    raises, fn = INDEXED_SOURCE[case]
    if raises:
        _same_error(lambda L: fn(L, L.arange(6.0)), match="refer to a single memory location")
        x = pn.arange(6.0)
        with pytest.raises(RuntimeError):
            fn(pn, x)
        np.testing.assert_array_equal(x.numpy(), np.arange(6.0))  # (refused before writing)
    else:
        want, got = torch.arange(6.0), pn.arange(6.0)
        fn(torch, want)
        fn(pn, got)
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_antialiased_interpolate_to_a_large_size_ends_with_torchs_values():
    """The antialias filter's taps were built by a Python round per output (size=10**6: minutes)."""
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 5)).astype(np.float32)
    call = "F.interpolate(L.tensor(x), size=(2, 200_000), mode='{}', antialias=True)"
    digest = (
        "[y.shape[-1], float(y.sum()), y[0, 1, 1, ::9973].tolist()]"  # (a few values: printing all is slow)
    )
    code = f"import numpy as np\nimport pyneuro as L\nF = L.nn.functional\nx = np.array({x.tolist()}, np.float32)\n"
    code += "".join(f"y = {call.format(m)}.numpy()\nprint({digest})\n" for m in ("bilinear", "bicubic"))
    # (about 3 s; the Python rounds took 40 s and more)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    F, L = torch.nn.functional, torch  # noqa: F841 (the call's names)
    for mode, line in zip(("bilinear", "bicubic"), done.stdout.splitlines()):
        y = eval(call.format(mode)).numpy()
        size, total, values = eval(line)
        assert size == y.shape[-1]
        np.testing.assert_allclose(total, float(y.sum()), rtol=1e-4)
        np.testing.assert_allclose(values, y[0, 1, 1, ::9973], rtol=1e-5, atol=1e-6)


_SORTERS = {  # NumPy read an out-of-range sorter as some order (a silent answer) and refused the others with
    # ValueError / TypeError; torch checks them all (RuntimeError)
    "out of range": lambda L: L.tensor([0, 1, 5]),
    "negative": lambda L: L.tensor([0, 1, -1]),
    "longer": lambda L: L.zeros(2**10, dtype=L.long),
    "2-d": lambda L: L.zeros(2, 3, dtype=L.long),
    "float": lambda L: L.tensor([0.0, 1, 2]),
}


@pytest.mark.parametrize("case", sorted(_SORTERS))
def test_searchsorted_sorter_checked_as_torch(case):
    _same_error(lambda L: L.searchsorted(L.arange(3.0), L.tensor([1.0]), sorter=_SORTERS[case](L)))

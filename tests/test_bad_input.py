"""Bad input to the compiled module: every binding refuses it with a Python exception.

Each binding of pyneuro._cpu is driven with wrong ranks, dtypes, None, lists, empty
arrays, strided views, read-only outputs and out-of-range targets. The drive runs in a
subprocess, so a segfault or abort shows as a dead process rather than killing pytest;
the parent checks that the child survived and that every call raised the exception type
docs/DESIGN.md, "Errors and bad input" promises. Then every available kernel table (numpy, cpu, numba, and cuda/cupy
on a GPU machine) is given the same bad input: each check lives in one place per
language (backends/_checks.py, csrc/bindings/checks.h) with one message, so every
backend must raise the same exception type with the same message.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import pyneuro as pn
from pyneuro import backends

needs_cpu = pytest.mark.skipif(
    not backends.status("cpu").available, reason=f"{backends.status('cpu').reason}"
)

DRIVER = textwrap.dedent(
    r"""
    import json, sys
    import numpy as np
    from pyneuro import _cpu

    f32 = lambda *s: np.ones(s, np.float32)
    i64 = lambda *s: np.zeros(s, np.int64)
    view = np.ones((6, 8), np.float32)[::2, ::2]          # strided, not C-contiguous
    ro = np.ones((3, 4), np.float32); ro.setflags(write=False)

    cases = [
        # (binding, args, expected exception)
        ("matmul", (f32(2, 3), f32(4, 5)), "ValueError"),
        ("matmul", (f32(2, 3, 1), f32(3, 5)), "ValueError"),
        ("matmul", (f32(3), f32(3)), "ValueError"),
        ("matmul", (np.ones((2, 3)), f32(3, 2)), "TypeError"),
        ("matmul", (None, f32(3, 2)), "TypeError"),
        ("matmul", ([[1.0, 2.0]], f32(2, 1)), "TypeError"),
        ("matmul", (view, f32(4, 4)), "ValueError"),
        ("matmul", (f32(2, 3), f32(3, 2), False, False, "bogus"), "ValueError"),
        ("matmul", (f32(2, 3), f32(2, 3), True, True), "ValueError"),
        ("softmax_forward", (f32(3),), "ValueError"),
        ("softmax_forward", (np.ones((2, 3), np.float64),), "TypeError"),
        ("softmax_forward", (np.ones((2, 3), np.int32),), "TypeError"),
        ("softmax_forward", (None,), "TypeError"),
        ("softmax_forward", (view,), "ValueError"),
        ("softmax_forward", (f32(2, 3), "fastest"), "ValueError"),
        ("softmax_backward", (f32(2, 3), f32(3, 2)), "ValueError"),
        ("softmax_backward", (f32(2, 3), None), "TypeError"),
        ("log_softmax_forward", (f32(2, 3, 4),), "ValueError"),
        ("log_softmax_backward", (f32(2, 3), f32(2, 4)), "ValueError"),
        ("cross_entropy_forward", (f32(3, 4), i64(2)), "ValueError"),
        ("cross_entropy_forward", (f32(3, 4), np.array([0, 4, 1], np.int64)), "IndexError"),
        ("cross_entropy_forward", (f32(3, 4), np.array([0, -1, 1], np.int64)), "IndexError"),
        ("cross_entropy_forward", (f32(3, 4), np.zeros(3, np.float32)), "TypeError"),
        ("cross_entropy_forward", (f32(3, 4), np.zeros((3, 1), np.int64)), "ValueError"),
        ("cross_entropy_forward", (f32(2, 0), i64(2)), "IndexError"),
        ("cross_entropy_forward", (f32(3, 4), None), "TypeError"),
        ("cross_entropy_backward", (f32(3, 4), i64(3), f32(2)), "ValueError"),
        ("cross_entropy_backward", (f32(3, 4), np.array([9, 0, 0], np.int64), f32(3)), "IndexError"),
        ("relu_forward", (np.ones(3, np.float64),), "TypeError"),
        ("relu_forward", ("not an array",), "TypeError"),
        ("relu_backward", (f32(3), f32(4)), "ValueError"),
        ("relu_backward", (view, f32(3, 4)), "ValueError"),
        ("bias_add", (f32(2, 3), f32(4)), "ValueError"),
        ("bias_add", (f32(2, 3), f32(3, 1)), "ValueError"),
        ("bias_grad", (f32(3),), "ValueError"),
        ("sgd_step", (f32(3), f32(4), None, 0.1), "ValueError"),
        ("sgd_step", (ro, f32(3, 4), None, 0.1), "ValueError"),
        ("sgd_step", (f32(3), f32(3), None, 0.1, 0.9), "ValueError"),
        ("sgd_step", (f32(3), f32(3), f32(4), 0.1, 0.9), "ValueError"),
        ("adam_step", (f32(3), f32(3), f32(3), f32(3), 0, 1e-3), "ValueError"),
        ("adam_step", (f32(3), f32(3), f32(2), f32(3), 1, 1e-3), "ValueError"),
        ("argmax", (f32(3, 0),), "ValueError"),
        ("argmax", (f32(3),), "ValueError"),
        ("set_num_threads", (0,), "ValueError"),
        # conv2d and pooling: the checks of pyneuro/backends/_conv_checks.py (torch's types and
        # messages), then checks.h's memory-safety checks (contiguity)
        ("conv2d_forward", (f32(2, 3), f32(4, 3, 3, 3)), "ShapeError"),
        ("conv2d_forward", (f32(1, 1, 5, 5), f32(4, 3, 3, 3)), "ShapeError"),
        ("conv2d_forward", (f32(1, 3, 2, 2), f32(4, 3, 3, 3)), "ShapeError"),
        ("conv2d_forward", (f32(1, 3, 5, 5), f32(4, 3, 3, 3), None, 0), "ArgumentError"),
        ("conv2d_forward", (np.ones((1, 3, 5, 5)), f32(4, 3, 3, 3)), "DTypeError"),
        ("conv2d_forward", (None, f32(4, 3, 3, 3)), "TypeError"),
        ("conv2d_forward", (np.ones((1, 3, 10, 5), np.float32)[:, :, ::2], f32(4, 3, 3, 3)), "ValueError"),
        ("conv2d_forward", (f32(1, 3, 5, 5), f32(4, 3, 3, 3), None, 1, 0, 1, 1, "winograd"), "ValueError"),
        ("conv2d_backward_input", (f32(1, 4, 2, 2), f32(4, 3, 3, 3), (1, 3, 5, 5)), "ShapeError"),
        ("conv2d_backward_input", (f32(1, 4, 3, 3), f32(4, 3, 3, 3), (3, 5, 5)), "ShapeError"),
        ("conv2d_backward_weight", (f32(1, 4, 2, 2), f32(1, 3, 5, 5), (4, 3, 3, 3)), "ShapeError"),
        ("conv2d_backward_bias", (f32(4, 3),), "ShapeError"),
        ("max_pool2d_forward", (f32(1, 3, 5, 5), 3, 1, 2), "ArgumentError"),
        ("max_pool2d_forward", (f32(1, 3, 1, 1), 2, 2), "ShapeError"),
        ("max_pool2d_backward", (f32(1, 1, 2, 2), np.full((1, 1, 2, 2), 16, np.int64), (1, 1, 4, 4)), "IndexRangeError"),
        ("max_pool2d_backward", (f32(1, 1, 2, 2), np.full((1, 1, 2, 2), -1, np.int64), (1, 1, 4, 4)), "IndexRangeError"),
        ("max_pool2d_backward", (f32(1, 1, 2, 2), np.zeros((1, 1, 2, 2), np.int32), (1, 1, 4, 4)), "DTypeError"),
        ("avg_pool2d_forward", (f32(1, 1, 4, 4), 2, None, 0, False, True, 0), "ArgumentError"),
        ("avg_pool2d_backward", (f32(1, 1, 3, 3), (1, 1, 4, 4), 2), "ShapeError"),
        ("adaptive_avg_pool2d_forward", (f32(1, 3, 0, 5), 2), "ShapeError"),
        ("adaptive_avg_pool2d_backward", (f32(1, 2, 3, 3), (1, 1, 4, 4)), "ShapeError"),
    ]
    results = []
    for name, args, expected in cases:
        try:
            getattr(_cpu, name)(*args)
            got = "no exception"
        except Exception as exc:  # noqa: BLE001
            got = type(exc).__name__
            msg = str(exc)
        results.append([name, expected, got, msg if got != "no exception" else ""])
    # Empty arrays are valid input and have defined results.
    assert _cpu.matmul(f32(0, 3), f32(3, 5)).shape == (0, 5)
    assert (_cpu.matmul(f32(2, 0), f32(0, 3)) == 0).all()
    assert _cpu.softmax_forward(f32(0, 7)).shape == (0, 7)
    assert _cpu.cross_entropy_forward(f32(0, 7), i64(0)).shape == (0,)
    assert _cpu.relu_forward(f32(0)).shape == (0,)
    assert _cpu.bias_grad(f32(0, 4)).tolist() == [0, 0, 0, 0]
    print(json.dumps(results))
    """
)


@pytest.fixture(scope="module")
def driven():
    proc = subprocess.run([sys.executable, "-c", DRIVER], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"the process died (rc={proc.returncode}):\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@needs_cpu
def test_process_survives_and_every_binding_raises(driven):
    wrong = [(n, exp, got, msg) for n, exp, got, msg in driven if exp != got]
    assert not wrong, "\n".join(f"{n}: expected {e}, got {g} ({m})" for n, e, g, m in wrong)
    assert len(driven) >= 40


@needs_cpu
def test_messages_name_shapes_and_values(driven):
    mismatch = driven[0][3]  # matmul of (2, 3) by (4, 5)
    assert "(2, 3)" in mismatch and "(4, 5)" in mismatch
    out_of_range = [m for n, e, g, m in driven if e == "IndexError"]
    assert "Target 4 is out of bounds." in out_of_range  # torch's words, naming the first bad target
    dtype_errors = [m for n, e, g, m in driven if e == "TypeError" and n == "softmax_forward"]
    assert any("float64" in m for m in dtype_errors)


# (entry, args, expected exception type): input every backend must refuse the same way.
_f32 = lambda *s: np.ones(s, np.float32)
_i64 = lambda *v: np.array(v, np.int64)
SAME_EVERYWHERE = [
    ("matmul", (_f32(2, 3), _f32(4, 5)), ValueError),
    ("matmul", (_f32(3, 2), _f32(4, 5), True, False), ValueError),
    ("matmul", (_f32(2, 3), _f32(5, 4), False, True), ValueError),
    ("matmul", (_f32(3), _f32(3)), ValueError),
    ("cross_entropy_forward", (_f32(3, 4), _i64(0, 4, 1)), IndexError),
    ("cross_entropy_forward", (_f32(3, 4), _i64(0, -1, 5)), IndexError),
    ("cross_entropy_forward", (_f32(2, 0), _i64(0, 0)), IndexError),
    ("cross_entropy_forward", (_f32(3, 4), _i64(0, 1)), ValueError),
    ("cross_entropy_forward", (_f32(3, 4), np.zeros((3, 1), np.int64)), ValueError),
    ("cross_entropy_forward", (_f32(3, 4), np.zeros(3, np.float32)), TypeError),
    ("cross_entropy_forward", (_f32(3, 4), None), TypeError),
    ("cross_entropy_backward", (_f32(3, 4), _i64(9, 0, 0), _f32(3)), IndexError),
    ("cross_entropy_backward", (_f32(3, 4), _i64(0, 0, 0), _f32(2)), ValueError),
    ("bias_add", (_f32(2, 3), _f32(4)), ValueError),
    ("bias_grad", (_f32(3),), ValueError),
    ("relu_backward", (_f32(3), _f32(4)), ValueError),
    ("softmax_forward", (_f32(3),), ValueError),
    ("softmax_backward", (_f32(2, 3), _f32(3, 2)), ValueError),
    ("log_softmax_backward", (_f32(2, 3), _f32(2, 4)), ValueError),
    ("sgd_step", (_f32(3), _f32(4), None, 0.1), ValueError),
    ("sgd_step", (_f32(3), _f32(3), None, 0.1, 0.9), ValueError),
    ("adam_step", (_f32(3), _f32(3), _f32(3), _f32(3), 0, 1e-3), ValueError),
    ("adam_step", (_f32(3), _f32(3), _f32(2), _f32(3), 1, 1e-3), ValueError),
    ("argmax", (_f32(3, 0),), ValueError),
]
# The conv/pool entries raise the classes of pyneuro._errors (torch raises RuntimeError; each is
# also the ValueError / TypeError / IndexError named here): every backend the same class. Wrong
# dtypes are int64 / float32 ones: every table's arrays can hold them (cuda's hold float32, int64
# and float64 only: asarray turns int32 into int64 and refuses float16).
CONV_SAME_EVERYWHERE = [
    ("conv2d_forward", (_f32(2, 3), _f32(4, 3, 3, 3)), ValueError),  # x not 4-D
    ("conv2d_forward", (_f32(1, 2, 3, 4, 5), _f32(4, 3, 3, 3)), ValueError),
    ("conv2d_forward", (_f32(1, 3, 5, 5), _f32(4, 3, 3)), ValueError),  # w not 4-D
    ("conv2d_forward", (_f32(2, 1, 6, 6), _f32(4, 3, 3, 3)), ValueError),  # channels
    ("conv2d_forward", (_f32(1, 4, 5, 5), _f32(3, 2, 3, 3), None, 1, 0, 1, 2), ValueError),  # O % groups
    ("conv2d_forward", (_f32(1, 3, 5, 5), _f32(4, 3, 0, 3)), ValueError),  # empty kernel
    ("conv2d_forward", (_f32(1, 3, 2, 2), _f32(4, 3, 3, 3)), ValueError),  # kernel > padded input
    ("conv2d_forward", (_f32(1, 3, 4, 4), _f32(4, 3, 3, 3), None, 1, 0, 2), ValueError),  # dilated kernel
    ("conv2d_forward", (_f32(1, 3, 5, 5), _f32(4, 3, 3, 3), None, 0), ValueError),  # stride
    ("conv2d_forward", (_f32(1, 3, 5, 5), _f32(4, 3, 3, 3), None, 1, -1), ValueError),  # padding
    ("conv2d_forward", (_f32(1, 3, 5, 5), _f32(4, 3, 3, 3), None, 1, 0, 0), ValueError),  # dilation
    ("conv2d_forward", (_f32(1, 3, 5, 5), _f32(4, 3, 3, 3), None, 1, 0, 1, 0), ValueError),  # groups
    ("conv2d_forward", (_f32(1, 3, 5, 5), _f32(4, 3, 3, 3), _f32(3)), ValueError),  # bias length
    ("conv2d_forward", (_f32(1, 3, 5, 5), _f32(4, 3, 3, 3), _f32(4, 1)), ValueError),  # bias rank
    ("conv2d_forward", (np.ones((1, 3, 5, 5), np.int64), _f32(4, 3, 3, 3)), TypeError),
    ("conv2d_forward", (_f32(1, 3, 5, 5), np.ones((4, 3, 3, 3), np.int64)), TypeError),
    ("conv2d_forward", (None, _f32(4, 3, 3, 3)), TypeError),
    ("conv2d_backward_input", (_f32(1, 4, 2, 2), _f32(4, 3, 3, 3), (1, 3, 5, 5)), ValueError),  # grad shape
    ("conv2d_backward_input", (_f32(1, 4, 3, 3), _f32(4, 3, 3, 3), (3, 5, 5)), ValueError),  # input_shape
    ("conv2d_backward_input", (_f32(1, 4, 3, 3), _f32(4, 3, 3, 3), (1, 2, 5, 5)), ValueError),  # channels
    ("conv2d_backward_weight", (_f32(1, 4, 2, 2), _f32(1, 3, 5, 5), (4, 3, 3, 3)), ValueError),  # grad shape
    ("conv2d_backward_weight", (_f32(1, 4, 3, 3), _f32(3, 5, 5), (4, 3, 3, 3)), ValueError),  # x not 4-D
    ("conv2d_backward_weight", (_f32(1, 4, 3, 3), _f32(1, 3, 5, 5), (4, 3, 3)), ValueError),  # weight_shape
    ("conv2d_backward_bias", (_f32(4, 3),), ValueError),
    ("conv2d_backward_bias", (np.ones((1, 4, 3, 3), np.int64),), TypeError),
    ("max_pool2d_forward", (_f32(3, 5, 5), 2), ValueError),  # not 4-D
    ("max_pool2d_forward", (_f32(1, 0, 5, 5), 2), ValueError),  # empty plane
    ("max_pool2d_forward", (_f32(1, 3, 5, 5), 0, 1), ValueError),  # kernel
    ("max_pool2d_forward", (_f32(1, 3, 5, 5), 2, 0), ValueError),  # stride 0
    ("max_pool2d_forward", (_f32(1, 3, 5, 5), 2, -1), ValueError),  # stride < 0
    ("max_pool2d_forward", (_f32(1, 3, 5, 5), 2, 1, -1), ValueError),  # padding
    ("max_pool2d_forward", (_f32(1, 3, 5, 5), 3, 1, 2), ValueError),  # pad > half the kernel
    ("max_pool2d_forward", (_f32(1, 3, 5, 5), 2, 1, 0, 0), ValueError),  # dilation
    ("max_pool2d_forward", (_f32(1, 3, 1, 1), 2, 2), ValueError),  # output too small
    ("max_pool2d_forward", (np.ones((1, 3, 5, 5), np.int64), 2), TypeError),
    (
        "max_pool2d_backward",
        (_f32(1, 1, 2, 2), np.full((1, 1, 2, 2), 16, np.int64), (1, 1, 4, 4)),
        IndexError,
    ),
    (
        "max_pool2d_backward",
        (_f32(1, 1, 2, 2), np.full((1, 1, 2, 2), -1, np.int64), (1, 1, 4, 4)),
        IndexError,
    ),
    ("max_pool2d_backward", (_f32(1, 1, 2, 2), np.zeros((1, 1, 2, 2), np.float32), (1, 1, 4, 4)), TypeError),
    ("max_pool2d_backward", (_f32(1, 1, 2, 2), np.zeros((1, 1, 2, 1), np.int64), (1, 1, 4, 4)), ValueError),
    ("max_pool2d_backward", (_f32(1, 1, 2, 2), np.zeros((1, 1, 2, 2), np.int64), (1, 2, 4, 4)), ValueError),
    ("avg_pool2d_forward", (_f32(1, 1, 4, 4), 2, None, 0, False, True, 0), ValueError),  # divisor 0
    ("avg_pool2d_forward", (_f32(1, 1, 4, 4), 3, 1, 2), ValueError),  # pad > half the kernel
    ("avg_pool2d_forward", (_f32(4, 4), 2), ValueError),
    ("avg_pool2d_backward", (_f32(1, 1, 3, 3), (1, 1, 4, 4), 2), ValueError),  # grad shape
    ("avg_pool2d_backward", (_f32(1, 1, 2, 2), (1, 4, 4), 2), ValueError),  # input_shape
    ("avg_pool2d_backward", (_f32(1, 1, 2, 2), (1, 1, 4, 4), 2, None, 0, False, True, 0), ValueError),
    ("adaptive_avg_pool2d_forward", (_f32(1, 3, 0, 5), 2), ValueError),  # empty plane
    ("adaptive_avg_pool2d_forward", (_f32(1, 3, 5, 5), -1), ValueError),
    ("adaptive_avg_pool2d_forward", (_f32(5, 5), 2), ValueError),
    ("adaptive_avg_pool2d_backward", (_f32(1, 2, 3, 3), (1, 1, 4, 4)), ValueError),
    ("adaptive_avg_pool2d_backward", (_f32(1, 1, 3, 3), (1, 1, 0, 4)), ValueError),
]
TABLES = [name for name, st in backends.available().items() if st.available]


def _outcome(table, entry, args):
    args = [table.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
    try:
        getattr(table, entry)(*args)
    except Exception as exc:
        return type(exc), str(exc)
    return None, "no exception"


@pytest.mark.parametrize(
    "entry,args,expected", SAME_EVERYWHERE, ids=[f"{i}-{c[0]}" for i, c in enumerate(SAME_EVERYWHERE)]
)
def test_same_bad_input_same_exception_and_message_on_every_backend(entry, args, expected):
    outcomes = {name: _outcome(backends.get(name), entry, args) for name in TABLES}
    assert all(kind is expected for kind, _ in outcomes.values()), outcomes
    assert len({msg for _, msg in outcomes.values()}) == 1, outcomes


def test_the_one_wording_of_the_shared_checks():
    """The messages docs/DESIGN.md, "The backend layer" quotes: matmul names both shapes, a class target torch's wording."""
    table = backends.get("numpy")
    with pytest.raises(
        ValueError,
        match=re.escape("matmul: inner dimensions differ: a.T has shape (2, 3) and b has shape (4, 5)"),
    ):
        table.matmul(_f32(3, 2), _f32(4, 5), True)
    with pytest.raises(IndexError, match=re.escape("Target -1 is out of bounds.")):
        table.cross_entropy_forward(_f32(3, 4), _i64(0, -1, 5))
    with pytest.raises(IndexError, match=re.escape("Target 5 is out of bounds.")):
        table.cross_entropy_forward(_f32(3, 4), _i64(0, 5, 1))


@pytest.mark.parametrize(
    "entry,args,expected",
    CONV_SAME_EVERYWHERE,
    ids=[f"{i}-{c[0]}" for i, c in enumerate(CONV_SAME_EVERYWHERE)],
)
def test_conv_and_pool_bad_input_same_exception_and_message_on_every_backend(entry, args, expected):
    """_conv_checks.py is the one place of these checks: every table raises the same class
    (torch's RuntimeError and the ValueError / TypeError / IndexError of docs/DESIGN.md) with
    the same message. A non-array is a plain TypeError. (An unknown variant's message lists each
    backend's own rungs: tests/test_protocol.py.)"""
    outcomes = {name: _outcome(backends.get(name), entry, args) for name in TABLES}
    assert len({kind for kind, _ in outcomes.values()}) == 1, outcomes
    assert len({msg for _, msg in outcomes.values()}) == 1, outcomes
    kind = next(iter(outcomes.values()))[0]
    assert kind is not None and issubclass(kind, expected), outcomes
    plain = args[0] is None  # a non-array is not one of torch's errors: a plain TypeError
    assert issubclass(kind, RuntimeError) != plain, outcomes


def test_the_conv_checks_speak_torchs_words():
    """The conv/pool messages are torch's own (checked against torch where it is installed)."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    table = backends.get("numpy")
    cases = [
        (
            lambda: F.conv2d(torch.ones(2, 1, 6, 6), torch.ones(4, 3, 3, 3)),
            lambda: table.conv2d_forward(_f32(2, 1, 6, 6), _f32(4, 3, 3, 3)),
        ),
        (
            lambda: F.conv2d(torch.ones(1, 3, 2, 2), torch.ones(4, 3, 3, 3)),
            lambda: table.conv2d_forward(_f32(1, 3, 2, 2), _f32(4, 3, 3, 3)),
        ),
        (
            lambda: F.conv2d(torch.ones(1, 4, 5, 5), torch.ones(3, 2, 3, 3), groups=2),
            lambda: table.conv2d_forward(_f32(1, 4, 5, 5), _f32(3, 2, 3, 3), None, 1, 0, 1, 2),
        ),
        (
            lambda: F.conv2d(torch.ones(2, 3), torch.ones(4, 3, 3, 3)),
            lambda: table.conv2d_forward(_f32(2, 3), _f32(4, 3, 3, 3)),
        ),
        (
            lambda: F.conv2d(torch.ones(1, 3, 5, 5), torch.ones(4, 3, 3, 3), torch.ones(3)),
            lambda: table.conv2d_forward(_f32(1, 3, 5, 5), _f32(4, 3, 3, 3), _f32(3)),
        ),
        (
            lambda: F.conv2d(torch.ones(1, 3, 5, 5), torch.ones(4, 3, 3, 3), stride=0),
            lambda: table.conv2d_forward(_f32(1, 3, 5, 5), _f32(4, 3, 3, 3), None, 0),
        ),
        (
            lambda: F.conv2d(torch.ones(2, 3, 5, 5), torch.ones(4, 3, 3, 3), dilation=0),
            lambda: table.conv2d_forward(_f32(2, 3, 5, 5), _f32(4, 3, 3, 3), None, 1, 0, 0),
        ),
        (
            lambda: F.max_pool2d(torch.ones(1, 3, 5, 5), 3, 1, 2),
            lambda: table.max_pool2d_forward(_f32(1, 3, 5, 5), 3, 1, 2),
        ),
        (
            lambda: F.max_pool2d(torch.ones(1, 3, 5, 5), 2, 0),
            lambda: table.max_pool2d_forward(_f32(1, 3, 5, 5), 2, 0),
        ),
        (
            lambda: F.max_pool2d(torch.ones(1, 3, 5, 5), 2, 1, -1),
            lambda: table.max_pool2d_forward(_f32(1, 3, 5, 5), 2, 1, -1),
        ),
        (
            lambda: F.max_pool2d(torch.ones(1, 3, 1, 1), 2, 2),
            lambda: table.max_pool2d_forward(_f32(1, 3, 1, 1), 2, 2),
        ),
        (
            lambda: F.max_pool2d(torch.ones(1, 0, 5, 5), 2),
            lambda: table.max_pool2d_forward(_f32(1, 0, 5, 5), 2),
        ),
        (
            lambda: F.avg_pool2d(torch.ones(1, 1, 4, 4), 2, divisor_override=0),
            lambda: table.avg_pool2d_forward(_f32(1, 1, 4, 4), 2, None, 0, False, True, 0),
        ),
        (
            lambda: F.adaptive_avg_pool2d(torch.ones(1, 3, 0, 5), 2),
            lambda: table.adaptive_avg_pool2d_forward(_f32(1, 3, 0, 5), 2),
        ),
        (
            lambda: F.adaptive_avg_pool2d(torch.ones(1, 3, 5, 5), -1),
            lambda: table.adaptive_avg_pool2d_forward(_f32(1, 3, 5, 5), -1),
        ),
    ]
    for theirs, ours in cases:
        with pytest.raises(RuntimeError) as want:
            theirs()
        with pytest.raises(RuntimeError) as got:
            ours()
        assert str(got.value) == str(want.value).splitlines()[0]


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda m: m.zeros(2, 3).scatter(2, m.tensor([[1]]), 5.0), IndexError),
        (lambda m: m.zeros(2, 3).scatter(-3, m.tensor([[1]]), 5.0), IndexError),
        (lambda m: m.zeros(2, 3).scatter_add(2, m.tensor([[1]]), m.ones(1, 1)), IndexError),
        (
            lambda m: m.nn.functional.binary_cross_entropy(m.tensor([0.5, 0.5]), m.tensor([2.0, 0.0])),
            RuntimeError,
        ),
        (
            lambda m: m.nn.functional.binary_cross_entropy(m.tensor([0.5, 0.5]), m.tensor([-0.1, 0.0])),
            RuntimeError,
        ),
        (lambda m: m.cdist(m.ones(2, 3), m.ones(2, 3), p=-1), RuntimeError),
        (lambda m: m.ones(1).expand(10**12).contiguous(), RuntimeError),
        (lambda m: m.ones(1).expand(10**12) * 2, RuntimeError),
        (lambda m: m.ones(1).expand(10**12).cumsum(0), RuntimeError),
    ],
)
def test_refused_as_torch_refuses(call, error):
    """Silent before: scatter wrapped an out-of-range dim, BCE took targets outside [0, 1],
    cdist a negative p; a huge result of an op raised NumPy's bare MemoryError."""
    torch = pytest.importorskip("torch")
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error):
        call(pn)


TORCH_EXCEPTION_TYPES = {
    "normal_nan_std": (lambda T: T.zeros(3).normal_(0, float("nan")), RuntimeError),
    "normal_nan_std_tensor": (lambda T: T.normal(T.zeros(2), T.tensor([1.0, float("nan")])), RuntimeError),
    "bernoulli_nan": (lambda T: T.bernoulli(T.tensor([float("nan")])), RuntimeError),
    "embedding_no_rows": (lambda T: T.nn.Embedding(0, 3)(T.tensor([0])), RuntimeError),
    "batch_norm_int": (
        lambda T: T.nn.functional.batch_norm(T.ones(2, 3, dtype=T.int64), None, None, training=True),
        NotImplementedError,
    ),
    "group_norm_zero_groups": (lambda T: T.nn.functional.group_norm(T.ones(2, 4), 0), ZeroDivisionError),
    "arange_too_long": (lambda T: T.arange(0, 1e20), RuntimeError),
}


@pytest.mark.parametrize("case", sorted(TORCH_EXCEPTION_TYPES))
def test_hostile_arguments_raise_torchs_exception_type(case):
    torch = pytest.importorskip("torch")
    make, kind = TORCH_EXCEPTION_TYPES[case]
    for lib in (pn, torch):
        with pytest.raises(kind):
            make(lib)

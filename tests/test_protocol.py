"""Every available backend provides every entry of the kernel-table contract (backends/protocol.py)."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

from pyneuro import backends
from pyneuro.backends import protocol

AVAILABLE = [name for name, st in backends.available().items() if st.available]


def _params(fn) -> list[inspect.Parameter]:
    """The parameters of a Python function, or of a pybind11 function (from its docstring signature)."""
    try:
        return list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        pass
    first = (fn.__doc__ or "").lstrip().splitlines()[0] if fn.__doc__ else ""
    match = re.match(r"\w+\((.*)\)", first)
    assert match, f"cannot read the signature of {fn!r} from {first!r}"
    params = []
    for part in filter(None, (p.strip() for p in match.group(1).split(","))):
        name, _, default = part.partition("=")
        name = name.split(":")[0].strip()
        default = inspect.Parameter.empty if not default else default.strip()
        params.append(inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default))
    return params


def _compatible(contract: list[inspect.Parameter], got: list[inspect.Parameter]) -> str | None:
    """None when a call written against the contract works on `got`, else the reason."""
    positional = [p for p in got if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) < len(contract) and not any(p.kind == p.VAR_POSITIONAL for p in got):
        return f"takes {len(positional)} positional parameters, the contract has {len(contract)}"
    for want, have in zip(contract, positional):
        if want.name != have.name and have.kind != have.POSITIONAL_ONLY:
            return f"parameter {have.name!r} where the contract has {want.name!r}"
        if want.default is not want.empty and have.default is have.empty:
            return f"parameter {have.name!r} has no default (the contract's is {want.default!r})"
        if want.default is have.empty and have.default is not have.empty:
            return f"parameter {have.name!r} has a default the contract does not give it"
    for extra in positional[len(contract) :]:
        if extra.default is extra.empty:
            return f"extra required parameter {extra.name!r}"
    return None


def test_the_contract_lists_every_entry_of_the_protocol():
    declared = {n for n in vars(protocol.KernelTable) if not n.startswith("_")} | set(
        protocol.KernelTable.__annotations__
    )
    assert declared == set(protocol.ATTRIBUTES) | set(protocol.FUNCTIONS)
    for name in protocol.FUNCTIONS:
        assert getattr(protocol.KernelTable, name).__doc__, f"{name} has no docstring"


@pytest.mark.parametrize("name", AVAILABLE)
def test_backend_provides_every_entry_with_a_compatible_signature(name):
    table = backends.get(name)
    missing = [e for e in protocol.ATTRIBUTES + protocol.FUNCTIONS if not hasattr(table, e)]
    assert not missing, f"{name} lacks {missing}"
    assert table.NAME == name and table.DEVICE == backends.BACKENDS[name][0]
    assert set(table.VARIANTS) == set(table.DEFAULT_VARIANT) == set(protocol.VARIANT_KINDS)
    for kind, default in table.DEFAULT_VARIANT.items():
        assert default is None or default in table.VARIANTS[kind], (kind, default)
        names = table.VARIANTS[kind]
        assert isinstance(names, tuple) and names and all(isinstance(n, str) for n in names), (kind, names)
    wrong = {}
    for entry in protocol.FUNCTIONS:
        contract = _params(getattr(protocol.KernelTable, entry))[1:]  # without self
        reason = _compatible(contract, _params(getattr(table, entry)))
        if reason:
            wrong[entry] = reason
    assert not wrong, f"{name}: {wrong}"
    assert isinstance(table, protocol.KernelTable)


def test_the_signature_check_can_fail():
    """A table entry with a renamed or an extra required parameter is reported."""
    contract = _params(protocol.KernelTable.relu_backward)[1:]
    assert _compatible(contract, _params(lambda grad_output, x: None)) is None
    assert "'y'" in _compatible(contract, _params(lambda grad_output, y: None))
    assert "extra required" in _compatible(contract, _params(lambda grad_output, x, out: None))
    assert "no default" in _compatible(
        _params(protocol.KernelTable.matmul)[1:],
        _params(lambda a, b, trans_a, trans_b=False, variant=None: None),
    )


def test_the_variant_kinds_are_documented():
    """Every kind a table may carry is named in the contract, with its conv2d rule."""
    assert protocol.VARIANT_KINDS == ("matmul", "softmax", "conv2d")
    source = inspect.getsource(protocol)
    for kind in protocol.VARIANT_KINDS:
        assert f'"{kind}"' in source, kind
    assert "forward pass only" in source  # the rule for a forward-only conv2d rung


@pytest.mark.parametrize("name", AVAILABLE)
def test_every_conv2d_entry_takes_every_conv2d_variant(name):
    """The variant rule of protocol.py: forward and both backward entries accept every name in
    VARIANTS["conv2d"]; an unknown name is a ValueError listing the valid ones."""
    table = backends.get(name)
    x = table.asarray(np.ones((1, 2, 4, 4), np.float32))
    w = table.asarray(np.ones((3, 2, 3, 3), np.float32))
    g = table.asarray(np.ones((1, 3, 2, 2), np.float32))
    for v in table.VARIANTS["conv2d"]:
        assert table.to_numpy(table.conv2d_forward(x, w, variant=v)).shape == (1, 3, 2, 2), v
        assert table.to_numpy(table.conv2d_backward_input(g, w, (1, 2, 4, 4), variant=v)).shape == (
            1,
            2,
            4,
            4,
        )
        assert table.to_numpy(table.conv2d_backward_weight(g, x, (3, 2, 3, 3), variant=v)).shape == (
            3,
            2,
            3,
            3,
        )
    for entry, args in (
        ("conv2d_forward", (x, w)),
        ("conv2d_backward_input", (g, w, (1, 2, 4, 4))),
        ("conv2d_backward_weight", (g, x, (3, 2, 3, 3))),
    ):
        with pytest.raises(ValueError, match=r"unknown conv2d variant 'winograd'; choose one of: "):
            getattr(table, entry)(*args, variant="winograd")

"""Every available backend provides every entry of the kernel-table contract (backends/protocol.py)."""

from __future__ import annotations

import inspect
import re

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
    assert set(table.VARIANTS) == set(table.DEFAULT_VARIANT) == {"matmul", "softmax"}
    for kind, default in table.DEFAULT_VARIANT.items():
        assert default is None or default in table.VARIANTS[kind], (kind, default)
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

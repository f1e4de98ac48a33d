"""PyTorch's documentation notes, run side by side with torch: a custom Function's own errors
reach the caller unchanged ("Extending PyTorch")."""

from __future__ import annotations

import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _custom_functions(fw):
    class Checked(fw.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            if x.dim() != 2:
                raise ValueError("expected a 2-D input")
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class Typed(fw.autograd.Function):
        @staticmethod
        def forward(x):
            raise TypeError("not this type")

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

    class NoContext(fw.autograd.Function):  # forward without ctx and no setup_context
        @staticmethod
        def forward(x):
            return x * 2

    class Lookup(fw.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return {"a": x}["b"]

        @staticmethod
        def backward(ctx, g):
            return g

    return Checked, Typed, NoContext, Lookup


@pytest.mark.parametrize("which", range(4))
@pytest.mark.parametrize("requires_grad", [True, False])
def test_custom_function_errors_reach_the_caller_unchanged(which, requires_grad):
    """torch does not wrap what a custom forward raises: a ValueError stays a ValueError (pyneuro
    made it a ShapeError named after the Function, a TypeError a DTypeError, a KeyError stayed)."""
    errors = []
    for fw in (torch, pn):
        fn = _custom_functions(fw)[which]
        with pytest.raises(Exception) as info:
            fn.apply(fw.ones(3, requires_grad=requires_grad))
        errors.append((type(info.value), str(info.value)))
    assert errors[1] == errors[0]

"""PyTorch's documentation notes, run side by side with torch: a custom Function's own errors
reach the caller unchanged ("Extending PyTorch"), and tensor-like objects with
__torch_function__ (the notes' ScalarTensor and MetadataTensor) answer torch's functions."""

from __future__ import annotations

import io

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


def _scalar_tensor(fw):
    """The notes' ScalarTensor: torch.mean and torch.add implemented for it, nothing else."""
    handled = {}

    class ScalarTensor:
        def __init__(self, n, value):
            self._N, self._value = n, value

        def tensor(self):
            return self._value * fw.eye(self._N)

        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            if kwargs is None:
                kwargs = {}
            if func not in handled or not all(issubclass(t, (fw.Tensor, ScalarTensor)) for t in types):
                return NotImplemented
            return handled[func](*args, **kwargs)

    def add(a, b):
        if isinstance(b, ScalarTensor):
            return ScalarTensor(a._N, a._value + b._value)
        return fw.add(a.tensor(), b)

    handled[fw.mean] = lambda d: float(d._value) / d._N
    handled[fw.add] = add
    return ScalarTensor


def test_torch_function_of_a_tensor_like_type():
    results = []
    for fw in (torch, pn):
        d = _scalar_tensor(fw)(5, 2)
        twice = fw.add(d, d)
        mixed = fw.add(d, fw.ones(5, 5))
        with pytest.raises(TypeError) as info:
            fw.mul(d, 3)  # not handled: every handler answers NotImplemented
        results.append((fw.mean(d), twice._value, mixed.tolist(), str(info.value)))
    assert results[1] == results[0]


def test_torch_function_dispatch_order_types_and_kwargs():
    """Every overloaded argument (in lists too, methods too), a subclass asked before its
    parent, types in that order, kwargs None when the call has none: as torch calls it."""
    results = []
    for fw in (torch, pn):

        class Meta:
            def __init__(self, t, tag):
                self.val, self.tag = t, tag

            @classmethod
            def __torch_function__(cls, func, types, args=(), kwargs=None):
                calls.append((getattr(func, "__name__", ""), [t.__name__ for t in types], kwargs))
                unwrapped = [
                    [getattr(a, "val", a) for a in x] if isinstance(x, list) else getattr(x, "val", x)
                    for x in args
                ]
                return Meta(func(*unwrapped, **(kwargs or {})), cls.__name__)

        class Sub(Meta):
            pass

        calls = []
        x = fw.tensor([[1.0, 2.0], [3.0, 4.0]])
        out = [
            fw.add(x, Meta(x, "m")).val.tolist(),
            fw.cat([Meta(x, "m"), Sub(x, "s")], dim=0).tag,
            fw.sum(Meta(x, "m"), dim=1).val.tolist(),
            x.mul(Meta(x, "m")).val.tolist(),
            fw.overrides.has_torch_function((Meta(x, "m"),)),
            fw.overrides.has_torch_function((x,)),
            fw.overrides.is_tensor_like(Meta(x, "m")),
            fw.overrides.is_tensor_like([1.0]),
        ]
        results.append((out, calls))
    assert results[1] == results[0]


def test_a_plain_list_is_still_refused():
    for fw in (torch, pn):
        with pytest.raises(TypeError, match="must be Tensor, not list"):
            fw.exp([1.0])


@pytest.mark.parametrize("op", ["mul", "div", "mul_self", "mul_number", "exp", "mul_one_needs"])
def test_saved_tensors_hooks_pack_and_unpack_in_torchs_order(op):
    """The autograd mechanics note's a * b under saved_tensors_hooks: torch's MulBackward0 (and
    DivBackward0) saves other before self, so b is packed and unpacked first."""
    logs = []
    for fw in (torch, pn):
        log = []

        def pack(t, log=log):
            log.append(("pack", [round(v, 5) for v in t.tolist()]))
            return t

        def unpack(t, log=log):
            log.append(("unpack", [round(v, 5) for v in t.tolist()]))
            return t

        a = fw.ones(3, requires_grad=True)
        b = fw.full((3,), 2.0, requires_grad=op != "mul_one_needs")
        with fw.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = {
                "mul": lambda: a * b,
                "div": lambda: a / b,
                "mul_self": lambda: a * a,
                "mul_number": lambda: a * 3.0,
                "exp": lambda: a.exp(),
                "mul_one_needs": lambda: a * b,
            }[op]()
        y.sum().backward()
        logs.append(log)
    assert logs[1] == logs[0]


def _storages_after_load(fw):
    """The serialization note's "saving views": what torch.load gives back of views saved alone."""

    def round_trip(obj):
        buf = io.BytesIO()
        fw.save(obj, buf)
        buf.seek(0)
        return fw.load(buf)

    large = fw.arange(1, 1000)
    x = fw.arange(12.0).view(3, 4)
    small = round_trip(large[0:5])
    strided = round_trip(large[10:20:2])
    rows = round_trip([x[0], x[2]])
    column = round_trip(x[:, 1])
    return [
        (small.tolist(), small.untyped_storage().nbytes(), small.storage_offset()),
        round_trip(large[0:5].clone()).untyped_storage().nbytes(),
        (strided.tolist(), strided.untyped_storage().nbytes(), strided.storage_offset(), strided.stride()),
        (rows[0].untyped_storage().nbytes(), rows[1].storage_offset()),
        rows[0].untyped_storage().data_ptr() == rows[1].untyped_storage().data_ptr(),
        (column.tolist(), column.stride(), column.storage_offset(), column.untyped_storage().nbytes()),
        [v.untyped_storage().nbytes() for v in round_trip(fw.nn.Linear(3, 2).state_dict()).values()],
    ]


def test_a_saved_view_keeps_its_whole_storage():
    """torch.save writes a view's whole storage (the note: small.storage().size() is 999 after
    loading; clone() to save only the view), and views of one tensor share it after loading."""
    assert _storages_after_load(pn) == _storages_after_load(torch)

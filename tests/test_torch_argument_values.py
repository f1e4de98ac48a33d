"""Arguments of the wrong type or value, against torch: the same exception class, or the same
result where torch takes the value.

Each case runs the same code with `torch` bound to pyneuro and to torch. Found: torch.full((2,),
[1, 2]) and torch.scatter(.., [1.]) spread a list over the tensor (torch's TypeError), a None
scatter value filled NaN, scatter_add took a number, torch.randint(0, n / 2, ..) drew from a
float bound, torch.device('cpu', 1.5) was a RuntimeError (torch: TypeError) and
torch.device('cpu', '0') the cpu, a factory's device='cpu:x' was the cpu, DataLoader
refused num_workers=0.0 or True that torch takes (and 1.5 before iterating, where torch fails
when it starts its workers), nn.MaxUnpool2d(2, stride=1.) and nn.Conv2d(3, 8, 3, padding=3 / 2)
failed to build (torch's forward refuses the float), `param.data = int_tensor` was taken (torch:
RuntimeError for a tensor that requires grad), torch.from_dlpack(t) returned t itself (torch: a new
tensor on t's memory; BufferError if t requires grad) and took a list (AttributeError), F.interpolate(x, size=h / 2) resized to int(size) (torch:
TypeError), x.clamp(max=1e40) ignored a bound its float dtype cannot hold (torch: RuntimeError), a DataLoader
of uint16 NumPy arrays (16-bit images) raised TypeError (torch: uint16 batches; here int64, as
pn.from_numpy's), and x.pin_memory()
returned x where torch, without an accelerator, raises RuntimeError (with one: a copy).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

# fmt: off
CASES = [
    "torch.full((2,), [1, 2])", "torch.full((2,), None)", "torch.full((2,), np.ones(2))",
    "torch.full((2,), torch.tensor([1.]))", "torch.full((2,), torch.tensor(2.5))", "torch.full((2,), np.float32(2))",
    "torch.full((2,), np.bool_(True))", "torch.full((2,), True)",
    "torch.randint(5.5, (3,))", "torch.randint(0, 5.5, (3,))", "torch.randint(0.5, 5, (3,))",
    "torch.randint(True, (3,))", "torch.randint('5', (3,))", "torch.randint(np.int64(5), (3,)).shape",
    "torch.randint(torch.tensor(5), (3,)).shape", "torch.randint(2, 5, (3,)).shape",
    "torch.zeros(3, 4).scatter(1, torch.tensor([[0], [1], [2]]), [1.])",
    "torch.zeros(3, 4).scatter(1, torch.tensor([[0], [1], [2]]), None)",
    "torch.zeros(3, 4).scatter(1, torch.tensor([[0], [1], [2]]), 'a')",
    "torch.zeros(3, 4).scatter_(1, torch.tensor([[0], [1], [2]]), [1.])",
    "torch.scatter(torch.zeros(3, 4), 1, torch.tensor([[0], [1], [2]]), [1.])",
    "torch.zeros(3, 4).scatter(1, torch.tensor([[0], [1], [2]]), 1.5)",
    "torch.zeros(3, 4).scatter(1, torch.tensor([[0], [1], [2]]), np.float32(1.5))",
    "torch.zeros(3, 4).scatter(1, torch.tensor([[0], [1], [2]]), 1.5, reduce='add')",
    "torch.zeros(3, 4).scatter_add(1, torch.tensor([[0], [0], [2]]), 1.)",
    "torch.zeros(3, 4).scatter_add(1, torch.tensor([[0], [0], [2]]), None)",
    "torch.zeros(3, 4).scatter_add_(1, torch.tensor([[0], [0], [2]]), torch.ones(3, 1))",
    "torch.device('cpu', 1.5)", "torch.device('cpu', True)", "torch.device('cpu', '0')", "torch.device('cpu', [0])",
    "torch.device('cpu', -1)", "torch.device('cpu:0', 0)", "torch.device('cpu', np.int64(0)).type",
    "torch.device('cpu', index=1.5)", "torch.ones(2, device='cpu:x')", "torch.ones(2, device='cpu:1.5')",
    "torch.ones(2, device='cpu:0').device.type",
    "list(torch.utils.data.DataLoader([1, 2, 3], num_workers=1.5))",
    "torch.utils.data.DataLoader([1, 2, 3], num_workers=1.5).num_workers",
    "list(torch.utils.data.DataLoader([1, 2, 3], num_workers=0.0))",
    "list(torch.utils.data.DataLoader([1, 2, 3], num_workers=True))",
    "list(torch.utils.data.DataLoader([1, 2, 3], num_workers=np.int64(2)))",
    "list(torch.utils.data.DataLoader([1, 2, 3], num_workers='1'))",
    "list(torch.utils.data.DataLoader([1, 2, 3], num_workers=-0.5))",
    "torch.nn.MaxUnpool2d(2, stride=1.0).stride", "torch.nn.MaxUnpool1d(2.0).kernel_size",
    "torch.nn.MaxUnpool2d(2, stride=1.0)(*torch.nn.functional.max_pool2d(torch.ones(1, 1, 4, 4), 2, 1, return_indices=True))",
    "torch.nn.MaxUnpool2d(2.0)(*torch.nn.functional.max_pool2d(torch.ones(1, 1, 4, 4), 2, return_indices=True), output_size=(4, 4))",
    "torch.nn.functional.max_unpool1d(*torch.nn.functional.max_pool1d(torch.ones(1, 1, 8), 2, return_indices=True), 2.0)",
    "torch.nn.MaxUnpool2d(2)(*torch.nn.functional.max_pool2d(torch.ones(1, 1, 4, 4), 2, return_indices=True))",
    "torch.nn.Conv2d(3, 2, 3, padding=1.5).padding", "torch.nn.Conv2d(3, 2, 3, padding=1.5)(torch.ones(1, 3, 5, 5))",
    "torch.nn.Conv2d(3, 2, 3, dilation=1.5)(torch.ones(1, 3, 5, 5))", "torch.nn.Conv1d(3, 2, 3, padding=0.5).padding",
    "torch.nn.Conv1d(3, 2, 3, padding=0.5)(torch.ones(1, 3, 5))", "torch.nn.Conv3d(3, 2, 3, padding=1.5).padding",
    "torch.nn.ConvTranspose2d(3, 2, 3, stride=2.0)(torch.ones(1, 3, 5, 5))", "torch.nn.Conv2d(3, 2, 3.5)",
    "(lambda p: setattr(p, 'data', torch.ones(3, dtype=torch.int64)) or str(p.dtype).split('.')[1])(torch.nn.Parameter(torch.ones(2)))",
    "(lambda p: setattr(p, 'data', torch.ones(3, dtype=torch.float64)) or str(p.dtype).split('.')[1])(torch.nn.Parameter(torch.ones(2)))",
    "(lambda p: setattr(p, 'data', torch.ones(3, dtype=torch.int64)) or str(p.dtype).split('.')[1])(torch.ones(2))",
    "torch.from_dlpack([1, 2])", "torch.from_dlpack(torch.ones(2, requires_grad=True))",
    "(lambda t: torch.from_dlpack(t) is t)(torch.ones(2))",
    "(lambda t: torch.from_dlpack(t).add_(1) is None or t)(torch.ones(2))",
    "torch.nn.functional.interpolate(torch.ones(1, 1, 4, 4), size=8.0)",
    "torch.nn.functional.interpolate(torch.ones(1, 1, 4), size=4 / 2)",
    "torch.nn.functional.interpolate(torch.ones(1, 1, 4, 4), size=torch.tensor(8)).shape",
    "torch.nn.functional.interpolate(torch.ones(1, 1, 4, 4), size=True)",
    "torch.nn.Upsample(size=8.0)(torch.ones(1, 1, 4, 4))",
    "torch.tensor([1., 2.]).clamp(max=1e40)", "torch.tensor([1., 2.]).clamp_(min=-1e40)",
    "torch.tensor([1., 2.], dtype=torch.float16).clamp(max=1e10)", "torch.tensor([1., 2.]).clamp_max(1e40)",
    "torch.tensor([1., 2.]).clamp(max=float('inf'))", "torch.tensor([1., 2.], dtype=torch.float64).clamp(max=1e300)",
    "torch.utils.data.default_collate([np.array([1, 2], dtype=np.uint16)])",
    "torch.utils.data.default_collate([np.uint32(5), np.uint32(6)])",
    "list(torch.utils.data.DataLoader([np.array([1, 2], dtype=np.uint16)] * 3, batch_size=2))[0].float()",
    "torch.utils.data.default_collate([np.array([1, 2], dtype=np.float16)])",
    "torch.zeros(2, pin_memory=True)", "torch.tensor([1.], pin_memory=True)", "torch.randn(2, pin_memory=True)",
    "torch.zeros(2, pin_memory=False)", "torch.ones(2).pin_memory()", "torch.ones(2).is_pinned()",
    "torch.nn.utils.rnn.pack_padded_sequence(torch.ones(3, 2, 1), [3, 2]).pin_memory()",
    "list(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(4, 2)), batch_size=2, pin_memory=True))[0]",
]
# fmt: on


def _outcome(lib, code):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            value = eval(code, {"torch": lib, "np": np})
        except Exception as exc:
            return exc
    if isinstance(value, (lib.Tensor, list)):
        return repr([t.tolist() for t in value] if isinstance(value, list) else value.tolist())
    return repr(tuple(value) if type(value).__name__ == "Size" else value)


@pytest.mark.parametrize("code", CASES)
def test_argument_value_as_torch(code):
    ours, theirs = _outcome(pn, code), _outcome(torch, code)
    if isinstance(theirs, Exception):  # (pyneuro's classes derive from torch's builtin one)
        assert isinstance(ours, type(theirs)), (ours, theirs)
    else:
        assert ours == theirs


def test_refusals_say_what_torch_says():
    for code in ("torch.full((2,), [1, 2])", "torch.device('cpu', 1.5)", "torch.randint(5.5, (3,))"):
        with pytest.raises(TypeError) as theirs:
            eval(code, {"torch": torch})
        with pytest.raises(TypeError) as ours:
            eval(code, {"torch": pn})
        assert str(ours.value) == str(theirs.value)


# fmt: off
_FUNCTIONAL_INPUTS = {  # (function, the arguments after the input)
    "relu": "", "softmax": ", 0", "log_softmax": ", 0", "normalize": "", "glu": "", "layer_norm": ", (2,)",
    "interpolate": ", scale_factor=2", "adaptive_avg_pool2d": ", 1", "max_pool2d": ", 1", "l1_loss": ", torch.ones(2)",
    "mse_loss": ", torch.ones(2)", "pad": ", (1, 1)", "conv2d": ", torch.ones(1, 1, 1, 1)", "linear": ", torch.ones(2, 2)",
}
# fmt: on


@pytest.mark.parametrize("bad", ["[1., 2.]", "None", "np.ones(2, dtype=np.float32)", "2.0"])
@pytest.mark.parametrize("name", _FUNCTIONAL_INPUTS)
def test_functional_non_tensor_input_is_torch_exception(name, bad):
    """torch's parser raises TypeError, its Python-level functions AttributeError (`[1.].dim()`):
    pyneuro's NotATensor is both, so `except` clauses written against torch catch it."""
    code = f"torch.nn.functional.{name}({bad}{_FUNCTIONAL_INPUTS[name]})"
    ours, theirs = _outcome(pn, code), _outcome(torch, code)
    assert isinstance(theirs, Exception) and isinstance(ours, type(theirs)), (ours, theirs)

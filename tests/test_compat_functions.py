"""Function forms of tensor methods (pn.floor, pn.chunk, ...), masked_fill(_) and type_as,
side by side with torch: values, gradients and errors."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

A = np.array([[-1.5, -0.5, 0.0, 0.5], [1.5, 2.5, -2.7, 3.2], [0.1, -0.1, 7.9, -7.9]], dtype=np.float32)


def np_of(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc"])
def test_rounding_functions(name):
    p = getattr(pn, name)(pn.tensor(A))
    t = getattr(torch, name)(torch.tensor(A))
    np.testing.assert_array_equal(np_of(p), np_of(t))


@pytest.mark.parametrize(
    ("fn", "args"), [("chunk", (3, 1)), ("chunk", (2, 0)), ("split", (3, 1)), ("split", ([1, 3], 1))]
)
def test_chunk_and_split_functions_with_gradients(fn, args):
    px, tx = pn.tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)
    ps, ts = getattr(pn, fn)(px, *args), getattr(torch, fn)(tx, *args)
    assert len(ps) == len(ts)
    for k, (p, t) in enumerate(zip(ps, ts)):
        np.testing.assert_array_equal(np_of(p), np_of(t))
        (p * (k + 1)).sum().backward()
        (t * (k + 1)).sum().backward()
    np.testing.assert_array_equal(px.grad.numpy(), tx.grad.numpy())


def test_masked_fill_function_method_and_in_place_with_gradients():
    mask = A > 0.4

    def run(fw):
        x = fw.tensor(A, requires_grad=True)
        v = fw.tensor(3.0, requires_grad=True)
        y = fw.masked_fill(x * 2, fw.tensor(mask), v)
        z = x * 1.0
        z.masked_fill_(fw.tensor(mask[0]), -1.0)  # a mask broadcast over the rows
        (y.sum() + (z * z).sum()).backward()
        return [y, z, x.grad, v.grad]

    for p, t in zip(run(pn), run(torch)):
        np.testing.assert_allclose(np_of(p), np_of(t), rtol=1e-6)


def test_masked_fill_needs_a_boolean_mask_and_a_fitting_shape_as_torch():
    for fw in (pn, torch):
        for dtype, word in ((fw.float32, "float"), (fw.int64, "long int"), (fw.uint8, "unsigned char")):
            with pytest.raises(
                RuntimeError, match=f"only supports boolean masks, but got mask with dtype {word}$"
            ):
                fw.ones(2).masked_fill(fw.ones(2, dtype=dtype), 0.0)
        with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
            fw.ones(2).masked_fill_(fw.ones(3, 2, dtype=fw.bool), 0.0)
        with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):  # recorded too
            (fw.ones(2, requires_grad=True) * 1).masked_fill_(fw.ones(3, 2, dtype=fw.bool), 0.0)


def test_type_as_and_the_default_dtype():
    for fw in (pn, torch):
        x = fw.tensor([1.7, -2.2])
        assert x.type_as(fw.tensor([1, 2])).dtype == fw.int64
        assert x.type_as(x) is x  # no copy when the dtype already matches
        assert fw.get_default_dtype() == fw.float32
    np.testing.assert_array_equal(
        pn.tensor([1.7, -2.2]).type_as(pn.tensor([1])).numpy(),
        torch.tensor([1.7, -2.2]).type_as(torch.tensor([1])).numpy(),
    )

"""scatter / scatter_add and their in-place forms against torch: values, gradients, errors."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

IDX = np.array([[0, 1, 2], [4, 3, 2]])
SRC = np.arange(1.0, 7.0, dtype=np.float32).reshape(2, 3)
BIG_SRC = np.arange(1.0, 10.0, dtype=np.float32).reshape(3, 3)  # larger than IDX in dim 0
BASE = np.linspace(-1, 1, 15, dtype=np.float32).reshape(3, 5)


@pytest.mark.parametrize("method", ["scatter", "scatter_add"])
@pytest.mark.parametrize("dim", [1, -1])
def test_values_and_gradients_match_torch(method, dim):
    out = []
    for fw in (pn, torch):
        a = fw.tensor(BASE, requires_grad=True)
        s = fw.tensor(SRC, requires_grad=True)
        y = getattr(a * 1.0, method)(dim, fw.tensor(IDX), s)
        (y * fw.tensor(BASE * 3)).sum().backward()
        out.append([y.detach().numpy(), a.grad.numpy(), s.grad.numpy(), type(y.grad_fn).__name__])
    for p, t in zip(*out):
        if isinstance(p, str):
            assert p == t  # ScatterBackward0 / ScatterAddBackward0
        else:
            np.testing.assert_allclose(p, t, rtol=1e-6)


def test_a_src_larger_than_the_index():
    """Only src[:2, :3] is read. torch computes the same values, but its backward rejects its
    own (2, 3) gradient for a (3, 3) src; pyneuro's is zero where src was not read."""
    p = pn.tensor(BIG_SRC, requires_grad=True)
    y = pn.zeros(3, 5).scatter(1, pn.tensor(IDX), p)
    t = torch.zeros(3, 5).scatter(1, torch.tensor(IDX), torch.tensor(BIG_SRC))
    np.testing.assert_array_equal(y.detach().numpy(), t.numpy())
    y.sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), [[1, 1, 1], [1, 1, 1], [0, 0, 0]])


def test_dim0_repeated_indices_add_up_and_a_scalar_value():
    idx = np.array([[0, 1, 0, 2], [0, 0, 0, 0]])
    for fw in (pn, torch):
        got = fw.zeros(3, 4).scatter_add(0, fw.tensor(idx), fw.ones(2, 4))
        np.testing.assert_array_equal(
            got.numpy(), torch.zeros(3, 4).scatter_add(0, torch.tensor(idx), torch.ones(2, 4)).numpy()
        )
        np.testing.assert_array_equal(
            fw.zeros(2, 3).scatter(1, fw.tensor([[2], [0]]), value=7.0).numpy(), [[0, 0, 7], [7, 0, 0]]
        )


def test_in_place_forms_and_the_one_hot_idiom():
    y = np.array([2, 0, 1])
    for fw in (pn, torch):
        onehot = fw.zeros(3, 4).scatter_(1, fw.tensor(y).unsqueeze(1), 1.0)
        np.testing.assert_array_equal(onehot.numpy(), np.eye(4, dtype=np.float32)[y])
        acc = fw.zeros(2, 3)
        assert acc.scatter_add_(1, fw.tensor([[0, 0, 2], [1, 1, 1]]), fw.ones(2, 3)) is acc
        np.testing.assert_array_equal(acc.numpy(), [[2, 0, 1], [0, 3, 0]])
    # with grad: recorded like every in-place change
    out = []
    for fw in (pn, torch):
        s = fw.tensor(SRC, requires_grad=True)
        base = fw.tensor(BASE) * 1.0
        base.scatter_(1, fw.tensor(IDX), s)
        (base * 2).sum().backward()
        out.append(s.grad.numpy())
    np.testing.assert_array_equal(out[0], out[1])


def test_errors_match_torch():
    for fw in (pn, torch):
        x = fw.zeros(3, 5)
        with pytest.raises(RuntimeError, match="Expected dtype int32/int64 for index"):
            x.scatter(1, fw.tensor(IDX).float(), fw.tensor(SRC))
        with pytest.raises(RuntimeError, match="index 7 is out of bounds for dimension 1 with size 5"):
            x.scatter(1, fw.tensor([[7]]), fw.tensor(SRC))
        with pytest.raises(RuntimeError, match="same number of dimensions"):
            x.scatter(1, fw.tensor([1, 2]), fw.tensor(SRC))
        with pytest.raises(RuntimeError, match="index -1 is out of bounds"):  # no wrap-around
            x.scatter(1, fw.tensor([[-1]]), fw.tensor(SRC))
        with pytest.raises(RuntimeError, match="same number of dimensions as src"):
            x.scatter(0, fw.tensor([[1]]), fw.ones(1, 1, 1))

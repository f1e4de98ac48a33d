"""nn.functional at its edges, against torch: which argument forms compute and which raise
(the exception must be an instance of torch's type), and the values where both compute."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

CASES = {
    "linear, vector weight": lambda T: T.nn.functional.linear(T.ones(3, 4), T.ones(4)),
    "linear, vector weight and a bias": lambda T: T.nn.functional.linear(
        T.ones(3, 4), T.ones(4), T.tensor(1.0)
    ),
    "linear, vector input and weight, bias": lambda T: T.nn.functional.linear(
        T.ones(4), T.ones(4), T.tensor(1.0)
    ),
    "one_hot, float num_classes": lambda T: T.nn.functional.one_hot(T.tensor([1]), 2.0),
    "cross_entropy, probabilities of another batch": lambda T: T.nn.functional.cross_entropy(
        T.zeros(4, 5), T.zeros(2, 5)
    ),
    "cross_entropy, probabilities, float32 weight on float64": lambda T: T.nn.functional.cross_entropy(
        T.zeros(2, 3, dtype=T.float64),
        T.full((2, 3), 1 / 3, dtype=T.float64),
        weight=T.tensor([1.0, 2.0, 3.0]),
    ),
    "cross_entropy, classes, float32 weight on float64": lambda T: T.nn.functional.cross_entropy(
        T.zeros(2, 3, dtype=T.float64), T.tensor([0, 1]), weight=T.ones(3)
    ),
    "embedding_bag, decreasing offsets": lambda T: T.nn.functional.embedding_bag(
        T.tensor([1, 2, 4, 5, 4, 3, 2, 9]), T.arange(30.0).reshape(10, 3), T.tensor([0, 5, 3])
    ),
    "embedding_bag, an empty bag": lambda T: T.nn.functional.embedding_bag(
        T.tensor([1, 2, 4, 5, 4, 3, 2, 9]), T.arange(30.0).reshape(10, 3), T.tensor([0, 3, 3]), mode="max"
    ),
    "embedding_bag, max with scale_grad_by_freq": lambda T: T.nn.functional.embedding_bag(
        T.tensor([1, 2]), T.arange(30.0).reshape(10, 3), T.tensor([0]), mode="max", scale_grad_by_freq=True
    ),
    "adaptive_max_pool2d of int64": lambda T: T.nn.functional.adaptive_max_pool2d(
        T.arange(16).reshape(1, 4, 4), 2
    ),
    "ConvTranspose2d(padding='same')": lambda T: T.nn.ConvTranspose2d(3, 3, 3, padding="same")(
        T.ones(1, 3, 4, 4)
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_functional_edge_matches_torch(case):
    try:
        theirs = CASES[case](torch)
    except Exception as error:
        with pytest.raises(type(error)):
            CASES[case](pn)
        return
    ours = CASES[case](pn)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)

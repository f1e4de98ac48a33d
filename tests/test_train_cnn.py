"""`pyneuro train --model cnn`: the small ConvNet trains on the bundled MNIST sample, its
checkpoint resumes exactly, and the model is the one the docstring describes.

The Fashion-MNIST target (>= 90% test accuracy in 3 epochs) takes minutes; it is checked by
hand and recorded in bench/results/cnn_train.md, not here.
"""

from __future__ import annotations

import pytest
from test_train_cli import metrics, train

import pyneuro as pn
from pyneuro.train import build_cnn

CNN = ["--model", "cnn", "--batch-size", "128", "--seed", "2", "--quiet"]


def test_build_cnn_shapes():
    model = build_cnn(10)
    assert model(pn.zeros((3, 1, 28, 28))).shape == (3, 10)
    convs = 32 * 9 + 2 * 32 + 64 * 32 * 9 + 2 * 64  # weights, BatchNorm's weight and bias
    assert sum(p.numel() for p in model.parameters()) == convs + 3136 * 128 + 128 + 1290
    assert "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)" in repr(model)
    assert "BatchNorm2d(64" in repr(model)


@pytest.mark.slow
def test_cnn_trains_and_resume_equals_straight_run(tmp_path):
    straight = train("--epochs", "2", "--metrics", "straight.jsonl", *CNN, cwd=tmp_path)
    first = train(
        "--epochs", "1", "--metrics", "resumed.jsonl", "--save", "ck.safetensors", *CNN, cwd=tmp_path
    )
    rest = train(
        "--resume", "ck.safetensors", "--epochs", "2", "--metrics", "resumed.jsonl", "--quiet", cwd=tmp_path
    )
    assert straight.returncode == first.returncode == rest.returncode == 0, (
        straight.stderr + first.stderr + rest.stderr
    )
    rows = metrics(tmp_path / "straight.jsonl")
    assert [r["epoch"] for r in rows] == [1, 2] and rows[0]["model"] == "cnn"
    assert rows[1]["test_accuracy"] > 0.85  # ~0.9 here; an MLP of the same epochs gets ~0.85
    assert rows[1]["train_loss"] < rows[0]["train_loss"]
    assert metrics(tmp_path / "resumed.jsonl") == rows  # dropout's RNG and BatchNorm's running stats too

"""Plain PyTorch scripts (tests/scripts/, in the style of PyTorch's own tutorials: the polynomial
fit, tensors/autograd/build-the-model, "What is torch.nn really?", a DCGAN training step, a
Transformer language model, a VAE with torch.distributions; and script_*.py, the kinds of plain
scripts people write: a Dataset of dicts with a collate_fn, the LR schedulers, mixup with label
smoothing, a DQN step with a replay buffer, k-means/PCA/GMM, an autograd-graph walk, the reprs
of optimizers, modules and results; the NLP tutorials (n-gram/CBOW, LSTM tagger, char-RNN,
seq2seq with attention, EmbeddingBag text classification), CNNs (CIFAR-style, ResNet transfer,
frozen features, autoencoder/U-Net, spatial transformer, style transfer), pruning and
parametrizations, Transformer masks, custom autograd Functions, higher-order gradients, hooks,
data pipelines and samplers, training utilities, distributions/REINFORCE, the common errors'
exception classes, printing; and a second round: pytorch/examples' MNIST, OneCycleLR on a
BatchNorm CNN, frozen backbones with param groups, a GRU text generator, Luong attention, a
Transformer classifier with padding masks, a conv VAE, a 1-D GAN, samplers and padding
collate_fns, early stopping, metrics, weight init, module inspection, checkpoints, packed LSTMs,
attention masks, L-BFGS, the loss zoo, legacy Variable code, linear-algebra homework, SWA/EMA
and the schedulers, a layer zoo, loader workers; a third round: a BatchNorm CNN with random_split
and a BytesIO checkpoint, packed bidirectional RNNs, a Transformer with positional encoding and
masks, every LR scheduler, torch.distributions, grad_fn names and print options, metrics and einsum,
NumPy interop, custom Functions (setup_context, mark_dirty), hooks (Grad-CAM), collate and samplers,
the module reprs, weighted losses' gradients, double backward, a GAN and a denoising autoencoder,
type promotion, views and in-place autograd, checkpoint round trips and corrupt files, hostile
inputs, Python protocols on tensors, and a third set of common errors; examples_*.py, pytorch/examples'
scripts adapted (regression, time-sequence LBFGS, word language model, forward-forward, siamese, GCN/GAT,
mnist_rnn, super-resolution, fast neural style, REINFORCE/actor-critic, ImageNet's meters and checkpoints,
transfer learning, VAE, language translation, nanoGPT); zth_*.py, Karpathy's "Neural Networks: Zero
to Hero": micrograd against torch, makemore's bigram, MLP, BatchNorm, backprop-ninja and WaveNet
notebooks, makemore.py, "Let's build GPT", nanoGPT and the GPT-2 reproduction; d2l_*.py, the PyTorch
code of the d2l.ai textbook chapter by chapter, its helpers inlined, on synthetic data; notes_*.py, the
examples of PyTorch's documentation notes (autograd mechanics, extending PyTorch, serialization, modules,
broadcasting, reproducibility, numerical accuracy) and the torch.func and FGSM tutorials) run as written
and with only their imports renamed; what the two print must agree, text and numbers
(the comparison of tests/test_course_notebooks.py: "pyneuro" read as "torch", float32 precision)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_course_notebooks import assert_same_output, run_snippet, to_pyneuro

SCRIPTS = sorted((Path(__file__).parent / "scripts").glob("*.py"))


def test_there_are_scripts():
    assert len(SCRIPTS) >= 4


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_script_prints_what_torch_prints(path):
    pytest.importorskip("torch")
    source = path.read_text()
    expected = run_snippet(source)
    got = run_snippet(to_pyneuro(source))
    assert_same_output(expected, got)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_script_runs_with_pyneuro_alone(path):
    """Without torch on the machine: the renamed script still runs to the end."""
    run_snippet(to_pyneuro(path.read_text()))

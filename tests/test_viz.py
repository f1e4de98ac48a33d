"""pyneuro.viz.make_dot: the backward graph as torchviz draws it, checked against the graph
PyTorch builds for the same MLP and against what pyneuro's engine walks."""

from __future__ import annotations

import re

import numpy as np
import pytest

import pyneuro as pn
import pyneuro.functional as F
from pyneuro import nn, viz
from pyneuro.autograd.engine import _topological_order

N, D, H, C = 4, 12, 8, 5
# What pyneuro fuses into one node and torch builds from two: the weight's transpose (pyneuro's
# Linear passes trans_b to matmul) and log_softmax under nll_loss (pyneuro's fused cross-entropy).
TORCH_FUSED_AWAY = {"TBackward0", "LogSoftmaxBackward0"}


def _models(loss_name):
    torch = pytest.importorskip("torch")
    pn.manual_seed(0)
    model = nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, C))
    tmodel = torch.nn.Sequential(torch.nn.Linear(D, H), torch.nn.ReLU(), torch.nn.Linear(H, C))
    x = np.random.default_rng(0).standard_normal((N, D)).astype(np.float32)
    if loss_name == "cross_entropy":
        y = np.array([0, 1, 4, 2])
        loss = F.cross_entropy(model(pn.tensor(x)), pn.tensor(y))
        tloss = torch.nn.functional.cross_entropy(tmodel(torch.tensor(x)), torch.tensor(y))
    else:
        t = np.zeros((N, C), np.float32)
        loss = F.mse_loss(model(pn.tensor(x)), pn.tensor(t))
        tloss = torch.nn.functional.mse_loss(tmodel(torch.tensor(x)), torch.tensor(t))
    return model, loss, tmodel, tloss


def _torch_graph(root):
    """(function nodes, AccumulateGrad nodes, edges) of torch's graph, with the nodes pyneuro fuses
    merged into the node that consumes them (their inputs then feed that node directly)."""
    fns, accs, edges = set(), set(), set()

    def inputs(fn):  # next_functions, looking through the fused-away nodes
        for child, _ in fn.next_functions:
            if child is None:
                continue
            if type(child).__name__ in TORCH_FUSED_AWAY:
                yield from inputs(child)
            else:
                yield child

    stack = [root]
    while stack:
        fn = stack.pop()
        if fn in fns:
            continue
        fns.add(fn)
        for child in inputs(fn):
            edges.add((child, fn))
            if type(child).__name__ == "AccumulateGrad":
                accs.add(child)
            else:
                stack.append(child)
    return len(fns), len(accs), len(edges)


def _dot_counts(source):
    nodes = re.findall(r"^\t(n\d+) \[label=\"?([^\n\"\] ]*)", source, flags=re.M)
    edges = re.findall(r"^\t(n\d+) -> (n\d+)$", source, flags=re.M)
    return nodes, edges


@pytest.mark.parametrize("loss_name", ["cross_entropy", "mse"])
def test_mlp_graph_has_the_nodes_and_edges_of_torchs_graph_and_of_the_backward_walk(loss_name):
    model, loss, _tmodel, tloss = _models(loss_name)
    t_fns, t_accs, t_edges = _torch_graph(tloss.grad_fn)
    walked = _topological_order(loss.grad_fn)  # what loss.backward() will call, in order
    nodes, edges = _dot_counts(viz.make_dot(loss, params=dict(model.named_parameters())).source)
    labels = [label for _, label in nodes]
    functions = [label for label in labels if label.endswith("Backward0")]
    params = len(list(model.parameters()))
    assert len(functions) == len(walked) == t_fns  # one box per Function backward walks
    assert labels.count("AccumulateGrad") == params == t_accs  # one per leaf that requires grad
    # nodes: functions, AccumulateGrads, leaves and the output; edges: torch's (between
    # Functions and into AccumulateGrad), leaf -> AccumulateGrad, last Function -> output
    assert len(nodes) == t_fns + 2 * t_accs + 1
    assert len(edges) == t_edges + t_accs + 1
    assert sorted(functions) == sorted(fn.name() for fn in walked)  # torch-style names, from the nodes
    assert len(set(edges)) == len(edges)


def test_leaves_are_labelled_by_parameter_name_and_shape_and_nodes_list_saved_shapes():
    model = nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, C))
    x = pn.randn(N, D)
    loss = F.cross_entropy(model(x), pn.randint(0, C, (N,)))
    source = viz.make_dot(loss, params=dict(model.named_parameters())).source
    for name, p in model.named_parameters():
        shape = "(" + ", ".join(map(str, p.shape)) + ")"
        assert f'label="{name}\n{shape}" fillcolor=lightblue' in source
    assert f"saved: ({N}, {D}), ({H}, {D})" in source  # the first Linear kept x and W
    assert 'label="output\n()" fillcolor=darkolivegreen1' in source
    _, edges = _dot_counts(source)
    assert edges[-1][1] == re.findall(r"^\t(n\d+) \[label=\"output", source, flags=re.M)[0]
    unnamed = viz.make_dot(loss).source  # without params: the shapes alone
    assert f'label="({H}, {D})" fillcolor=lightblue' in unnamed
    hidden = viz.make_dot(loss, show_saved=False).source
    assert "saved:" not in hidden and len(_dot_counts(hidden)[0]) == len(_dot_counts(source)[0])


def test_returns_a_graphviz_digraph_when_the_package_is_there():
    graphviz = pytest.importorskip("graphviz")
    loss = (pn.randn(3, requires_grad=True) * 2).sum()
    dot = viz.make_dot(loss)
    assert isinstance(dot, graphviz.Digraph) and dot.source.startswith("digraph {")


def test_without_graphviz_the_same_source_and_a_text_fallback(monkeypatch):
    model = nn.Sequential(nn.Linear(D, H), nn.ReLU())
    out = model(pn.randn(N, D)).sum()
    had_package = viz._graphviz is not None
    with_package = viz.make_dot(out, params=dict(model.named_parameters())).source
    monkeypatch.setattr(viz, "_graphviz", None)
    dot = viz.make_dot(out, params=dict(model.named_parameters()))
    assert isinstance(dot, viz.DotGraph)
    if had_package:
        assert dot.source == with_package  # the fallback writes graphviz's text exactly
    assert (
        dot.source.startswith("digraph {\n") and dot.source.count("->") == 7
    )  # 3 Functions in a chain, 2 leaves
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    assert dot._repr_mimebundle_() == {"text/plain": dot.source}
    with pytest.raises(RuntimeError, match="`dot` program is not installed"):
        dot.pipe()


def test_a_leaf_and_bad_arguments():
    w = pn.randn(2, 3, requires_grad=True)
    nodes, edges = _dot_counts(viz.make_dot(w, params={"w": w}).source)
    assert [label for _, label in nodes] == ["w"] and edges == []
    with pytest.raises(TypeError, match="needs a Tensor"):
        viz.make_dot(np.zeros(3))
    with pytest.raises(ValueError, match="named_parameters"):
        viz.make_dot(w, params={"w": np.zeros(3)})


def test_viz_is_reachable_lazily_from_pyneuro():
    assert pn.viz.make_dot is viz.make_dot


def test_renders_svg_with_graphvizs_dot_program(monkeypatch):
    if viz.shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed (CI installs it: apt-get install graphviz)")
    model = nn.Sequential(nn.Linear(D, H), nn.ReLU())
    out = model(pn.randn(N, D)).sum()
    monkeypatch.setattr(viz, "_graphviz", None)
    svg = viz.make_dot(out, params=dict(model.named_parameters()))._repr_mimebundle_()["image/svg+xml"]
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "0.weight" in svg and "ReluBackward0" in svg

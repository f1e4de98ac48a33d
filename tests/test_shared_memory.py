"""Tensor.share_memory_ / Module.share_memory: processes a shared tensor is sent to work on the
same values, as in torch (Hogwild training, pytorch/examples' mnist_hogwild).

Before, share_memory_ was a no-op and a model handed to `multiprocessing.Process` was pickled by
value: each process trained its own copy and the parent's model came back untrained, silently."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from shared_memory_children import _add_and_scale, _pass_on, _train_in_child

import pyneuro as pn
import pyneuro.multiprocessing as mp

torch = pytest.importorskip("torch")


def test_is_shared_follows_torch():
    for lib in (torch, pn):
        t = lib.arange(4.0)
        assert not t.is_shared()
        assert t.share_memory_() is t
        assert t.is_shared() and t.tolist() == [0.0, 1.0, 2.0, 3.0]
        assert t[1:].is_shared()  # a view made after the move is in shared memory too
        assert not copy.deepcopy(t).is_shared()  # copies are private, as in torch
        assert not pickle.loads(pickle.dumps(t)).is_shared()
        assert not t.clone().is_shared()
        assert lib.empty(0).share_memory_().is_shared()
        x = lib.ones(2, requires_grad=True).share_memory_()
        (x * 2).sum().backward()
        assert x.grad.tolist() == [2.0, 2.0] and not x.grad.is_shared()  # grads are allocated lazily


def test_pickle_and_save_of_a_shared_tensor_write_the_values(tmp_path):
    t = pn.arange(5.0).share_memory_()
    pn.save({"t": t}, tmp_path / "t.pt")
    assert pn.load(tmp_path / "t.pt")["t"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_hogwild_child_trains_the_parents_model_as_torch():
    """A spawned process trains model.share_memory()'s weights; the parent sees every update."""
    pn.manual_seed(0)
    model = pn.nn.Linear(3, 2)
    model.share_memory()
    assert all(p.is_shared() for p in model.parameters())
    expected = copy.deepcopy(model)
    _train_in_child(expected)  # the same updates, made here on a private copy
    p = mp.get_context("spawn").Process(target=_train_in_child, args=(model,))
    p.start()
    p.join()
    assert p.exitcode == 0
    np.testing.assert_allclose(model.weight.detach().numpy(), expected.weight.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(model.bias.detach().numpy(), expected.bias.detach().numpy(), rtol=1e-6)
    assert model.weight[0, 0].item() == 42.0
    torch.manual_seed(0)  # and torch gives the same numbers for the same program
    ref = torch.nn.Linear(3, 2)
    np.testing.assert_allclose(expected.weight.detach().numpy(), _torch_trained(ref), rtol=1e-5)


def _torch_trained(model):
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(3):
        opt.zero_grad()
        model(torch.ones(2, 3)).sum().backward()
        opt.step()
    with torch.no_grad():
        model.weight[0, 0] = 42.0
    return model.weight.detach().numpy()


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_queue_carries_shared_tensors_and_strided_views(method):
    ctx = mp.get_context(method)
    t = pn.zeros(6).share_memory_()
    v = t.view(2, 3).t()[1]  # elements 1 and 4
    q, done = ctx.Queue(), ctx.Queue()
    p = ctx.Process(target=_add_and_scale, args=(q, done))
    p.start()
    q.put(t)
    q.put(v)
    assert done.get(timeout=120) == (True, True)
    p.join()
    assert t.tolist() == [1.0, 10.0, 1.0, 1.0, 10.0, 1.0]


def test_a_child_passes_a_shared_tensor_on_to_its_own_child():
    t = pn.arange(4.0).share_memory_()
    p = mp.get_context("spawn").Process(target=_pass_on, args=(t,))
    p.start()
    p.join()
    assert p.exitcode == 0
    assert t.tolist() == [-7.0, 1.0, 2.0, 3.0]


def test_tensors_take_attributes_and_pickle_keeps_them_as_torch():
    """torch lets code tag tensors and parameters (`p.no_decay = True`) and pickles the tags."""
    for lib in (torch, pn):
        t = lib.ones(2)
        t.tag = "input"
        p = lib.nn.Parameter(lib.ones(2))
        p.no_decay = True
        assert pickle.loads(pickle.dumps(t)).tag == "input"
        assert pickle.loads(pickle.dumps(p)).no_decay is True
        assert pickle.loads(pickle.dumps(lib.ones(2))).__dict__ == {}
        assert (t + 1).__dict__ == {} and t.detach().__dict__ == {}

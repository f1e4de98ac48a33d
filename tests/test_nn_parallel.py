"""torch.nn.parallel.scatter and gather (d2l.ai's multi-GPU chapter from scratch splits each batch
with scatter): on a machine without a GPU they fail where torch's do, with its exception types;
with pyneuro's one GPU a batch goes there in one piece and its gradient comes back."""

import collections

import pytest

import pyneuro as pn
from pyneuro import nn

torch = pytest.importorskip("torch")
GPU = pn.cuda.is_available()
Pair = collections.namedtuple("Pair", "a b")

CASES = {
    # the CPU is no scatter target (torch: ValueError), a CPU tensor no gather input (AssertionError)
    "scatter_to_cpu_device": lambda T: T.nn.parallel.scatter(T.ones(4, 2), [T.device("cpu")]),
    "scatter_to_cpu_string": lambda T: T.nn.parallel.scatter(T.ones(4, 2), ["cpu"]),
    "scatter_tuple_to_cpu": lambda T: T.nn.parallel.scatter((T.ones(4, 2), 3), ["cpu"]),
    "gather_cpu_tensors": lambda T: T.nn.parallel.gather([T.ones(2)], T.device("cpu")),
    "gather_cpu_tensors_minus_one": lambda T: T.nn.parallel.gather([T.ones(2)], -1),
    # what is not a tensor is repeated once per target, containers split alike
    "scatter_number": lambda T: T.nn.parallel.scatter(3, [0, 1]),
    "scatter_list": lambda T: T.nn.parallel.scatter([1, 2], [0]),
    "scatter_empty_containers": lambda T: (
        T.nn.parallel.scatter({}, [0]),
        T.nn.parallel.scatter((), [0]),
        T.nn.parallel.scatter([], [0, 0]),
    ),
    "scatter_nested": lambda T: T.nn.parallel.scatter({"a": 1, "b": [2, (3,)]}, [0, 0]),
    "scatter_namedtuple": lambda T: T.nn.parallel.scatter(Pair(1, "x"), [0, 0]),
    "gather_nones": lambda T: T.nn.parallel.gather([None, None], 0),
}


def _outcome(module, call):
    try:
        return "returns", repr(call(module)).replace("pyneuro", "torch")
    except Exception as exc:  # (the class is the answer)
        return "raises", type(exc)


@pytest.mark.skipif(GPU or torch.cuda.is_available(), reason="torch's answers without a GPU")
@pytest.mark.parametrize("case", sorted(CASES))
def test_scatter_and_gather_answer_as_torch_without_a_gpu(case):
    mine, theirs = _outcome(pn, CASES[case]), _outcome(torch, CASES[case])
    if theirs[0] == "raises":
        assert mine[0] == "raises", mine
        assert issubclass(mine[1], theirs[1]), (mine[1], theirs[1])
    else:
        assert mine == theirs


def test_they_are_torch_nn_parallel_names():
    assert {"scatter", "gather"} <= set(pn.nn.parallel.__all__)
    assert pn.nn.parallel.DataParallel is pn.nn.DataParallel


@pytest.mark.skipif(GPU, reason="checks the answer of a machine without a usable GPU")
def test_scatter_to_the_gpu_without_one_is_torchs_assertion_and_runtime_error():
    with pytest.raises(AssertionError) as info:
        nn.parallel.scatter(pn.ones(4, 2), [0])
    assert isinstance(info.value, RuntimeError)


@pytest.mark.skipif(not GPU, reason="needs a usable CUDA GPU")
def test_scatter_and_gather_on_the_gpu_keep_the_gradient():
    X = pn.arange(8.0).reshape(4, 2).requires_grad_()
    for target in (0, "cuda", "cuda:0", pn.device("cuda")):
        (piece,) = nn.parallel.scatter(X, [target])
        assert piece.device.type == "cuda" and piece.shape == (4, 2)
    Xs, ys = nn.parallel.scatter(X, [0]), nn.parallel.scatter(pn.arange(4), [0])
    assert [y.tolist() for y in ys] == [[0, 1, 2, 3]]
    back = nn.parallel.gather([p * 2 for p in Xs], -1)
    assert back.device.type == "cpu"
    back.sum().backward()
    assert X.grad.tolist() == [[2.0, 2.0]] * 4
    pieces = nn.parallel.scatter({"x": X, "n": 3}, [0])
    assert pieces[0]["n"] == 3 and pieces[0]["x"].device.type == "cuda"
    assert nn.parallel.gather([X.detach().cuda()], 0).device.type == "cuda"
    with pytest.raises(ValueError, match="non cpu device"):
        nn.parallel.scatter(X, ["cpu"])

"""Products composed of smaller ones (multi_dot, matrix_power, outer, addr, kron) and
soft_margin_loss (one node, as torch's) after the user changes an input between forward and backward, against torch:
torch's nodes save particular tensors (an operand itself, a view of it, or an _unsafe_view that
shares no version counter), and pyneuro's composition must save the same ones, so that an
in-place change raises (or not) and a `.data` change is seen (or not) as in torch."""

import numpy as np
import pytest
from test_torch_saved_after_change import _arr, run_op

import pyneuro as pn

torch = pytest.importorskip("torch")


def _chain(*shapes):
    return [_arr(*s, seed=i) for i, s in enumerate(shapes)]


CASES = {
    "multi_dot_3_right_first": (_chain((3, 4), (4, 5), (5, 2)), lambda L, *m: L.linalg.multi_dot(m)),
    "multi_dot_3_left_first": (_chain((2, 5), (5, 4), (4, 3)), lambda L, *m: L.linalg.multi_dot(m)),
    "multi_dot_4": (_chain((6, 2), (2, 5), (5, 3), (3, 4)), lambda L, *m: L.linalg.multi_dot(m)),
    "multi_dot_5": (_chain((3, 6), (6, 2), (2, 5), (5, 1), (1, 4)), lambda L, *m: L.linalg.multi_dot(m)),
    "multi_dot_vectors": (_chain((4,), (4, 5), (5, 3), (3,)), lambda L, *m: L.linalg.multi_dot(m)),
    "multi_dot_2_vector": (_chain((4,), (4, 5)), lambda L, *m: L.linalg.multi_dot(m)),
    "matrix_power_3": ([_arr(3, 3) * 0.5], lambda L, a: L.linalg.matrix_power(a, 3)),
    "matrix_power_5": ([_arr(3, 3) * 0.5], lambda L, a: L.linalg.matrix_power(a, 5)),
    "outer": (_chain((3,), (4,)), lambda L, a, b: L.outer(a, b)),
    "addr": (_chain((3, 4), (3,), (4,)), lambda L, m, a, b: L.addr(m, a, b, beta=0.5, alpha=2)),
    "kron": (_chain((2, 2), (2, 3)), lambda L, a, b: L.kron(a, b)),
    "kron_3d": (_chain((2, 1, 2), (3, 2)), lambda L, a, b: L.kron(a, b)),
    "soft_margin_loss": (
        [_arr(3, 4), np.sign(_arr(3, 4, seed=1))],
        lambda L, x, y: L.nn.functional.soft_margin_loss(x, y.detach()),
    ),
}
MODES = ("no_grad", "graph", "data_mul", "data_assign")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name,which", [(n, i) for n in CASES for i in range(len(CASES[n][0]))])
def test_backward_after_a_change_is_torchs(name, which, mode):
    arrays, op = CASES[name]
    want, got = run_op(torch, arrays, op, which, mode), run_op(pn, arrays, op, which, mode)
    if isinstance(want, str) or isinstance(got, str):
        assert got == want
        return
    for g, w in zip(got, want):
        assert (g is None) == (w is None)
        if w is not None:
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", [n for n in CASES if n.startswith("multi_dot")])
def test_multi_dot_multiplies_in_torchs_order(name):
    """torch pairs three matrices the cheaper way round and more by the cheapest chain (the
    nodes, and what they save, follow that order); its result is a view of the last product."""
    arrays, op = CASES[name]
    want = op(torch, *[torch.tensor(a, requires_grad=True) for a in arrays])
    got = op(pn, *[pn.tensor(a, requires_grad=True) for a in arrays])
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert type(got.grad_fn).__name__ == type(want.grad_fn).__name__ == "ViewBackward0"
    assert [type(f).__name__ for f, _ in got.grad_fn.next_functions] == [
        type(f).__name__ for f, _ in want.grad_fn.next_functions
    ]


def test_kron_nodes_are_torchs():
    a = [lib.tensor(_arr(2, 2), requires_grad=True) for lib in (torch, pn)]
    b = [lib.tensor(_arr(2, 3, seed=1), requires_grad=True) for lib in (torch, pn)]
    want, got = torch.kron(a[0], b[0]), pn.kron(a[1], b[1])

    def names(t):
        first = t.grad_fn.next_functions[0][0]
        return (
            type(t.grad_fn).__name__,
            type(first).__name__,
            [type(f).__name__ for f, _ in first.next_functions],
        )

    assert names(got) == names(want)


@pytest.mark.parametrize("which", [0, 1])
def test_soft_margin_loss_target_changed_in_place_raises(which):
    def run(lib):
        x = lib.tensor(_arr(3, 4), requires_grad=True)
        y = lib.tensor(np.sign(_arr(3, 4, seed=1)))
        loss = lib.nn.functional.soft_margin_loss(x, y)
        with lib.no_grad():
            (x, y)[which].mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()

    run(torch)
    run(pn)

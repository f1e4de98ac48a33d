"""Post-accumulate-grad hooks (torch's Tensor.register_post_accumulate_grad_hook: an optimizer step
inside backward), through autograd.hooks, against torch's: once per backward, after .grad is final."""

import pytest

import pyneuro as pn
from pyneuro.autograd import hooks as pn_hooks

torch = pytest.importorskip("torch")


def _register(lib, x, hook):
    if lib is torch:
        return x.register_post_accumulate_grad_hook(hook)
    return pn_hooks.register_post_accumulate_grad_hook(x, hook)


def _scenarios(lib):
    out = {}
    x = lib.ones(2, requires_grad=True)
    seen = []
    _register(lib, x, lambda p: seen.append(p.grad.tolist()))
    (x * 2 + x * 5).sum().backward()  # two uses: one call, with the sum
    (x * 3).sum().backward()
    out["twice"] = seen

    w = lib.ones(2, requires_grad=True)

    def sgd_in_backward(p):
        with lib.no_grad():
            p.sub_(0.1 * p.grad)
        p.grad = None

    _register(lib, w, sgd_in_backward)
    (w * 2).sum().backward()
    out["sgd"] = (w.tolist(), w.grad is None)

    z = lib.ones(2, requires_grad=True)
    calls = []
    handle = _register(lib, z, lambda p: calls.append(1))
    lib.autograd.grad((z * 2).sum(), z)  # no .grad accumulated: no call
    (z * 2).sum().backward()
    handle.remove()
    (z * 2).sum().backward()
    out["grad_and_remove"] = calls

    h = lib.ones(2, requires_grad=True)
    after_hook = []
    _register(lib, h, lambda p: after_hook.append(p.grad.tolist()))
    h.register_hook(lambda g: g * 10)
    (h * h).sum().backward()
    out["after_tensor_hook"] = after_hook

    s = lib.tensor(2.0, requires_grad=True)
    scalar = []
    _register(lib, s, lambda p: scalar.append(p.grad.item()))
    s.backward()
    out["leaf_backward"] = scalar

    c = lib.tensor([1.0, 2.0], requires_grad=True)
    second = []
    _register(lib, c, lambda p: second.append(p.grad.tolist()))
    (g,) = lib.autograd.grad((c**3).sum(), c, create_graph=True)
    g.sum().backward()
    out["create_graph"] = second
    return out


def test_post_accumulate_grad_hooks_match_torch():
    assert _scenarios(pn) == _scenarios(torch)


def test_post_accumulate_grad_hook_errors():
    for lib in (pn, torch):
        with pytest.raises(RuntimeError, match="doesn't require gradient"):
            _register(lib, lib.ones(2), lambda p: None)
        with pytest.raises(RuntimeError, match="non-leaf"):
            _register(lib, lib.ones(2, requires_grad=True) * 2, lambda p: None)
        x = lib.ones(2, requires_grad=True)
        _register(lib, x, lambda p: p * 1)
        with pytest.raises(RuntimeError, match="should return None"):
            (x * 1).sum().backward()
        z = lib.zeros(2, requires_grad=True)  # the tensor itself back (torch's own docstring example)
        _register(lib, z, lambda p: p.add_(p.grad, alpha=-0.5))
        (z * 1).sum().backward()
        assert z.tolist() == [-0.5, -0.5]
        y = lib.ones(2, requires_grad=True)
        _register(lib, y, lambda p: 1)
        with pytest.raises(TypeError, match="expected Variable"):
            (y * 1).sum().backward()


def test_gradcheck_takes_torch_keywords():
    def run(lib):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        return (
            lib.autograd.gradcheck(lambda v: v.sin(), (x,), fast_mode=True, nondet_tol=0.0),
            lib.autograd.gradcheck(
                lambda v: v.exp(),
                (x,),
                eps=1e-6,
                atol=1e-5,
                rtol=1e-3,
                check_undefined_grad=True,
                check_batched_grad=False,
            ),
            lib.autograd.gradgradcheck(lambda v: v.sin() * v, (x,), fast_mode=True, check_fwd_over_rev=False),
        )

    assert run(pn) == run(torch) == (True, True, True)
    x = pn.tensor([1.0], dtype=pn.float64, requires_grad=True)
    with pytest.raises(TypeError, match="unexpected keyword argument 'epsilon'"):
        pn.autograd.gradcheck(lambda v: v, (x,), epsilon=1e-3)
    with pytest.raises(TypeError):
        pn.autograd.gradcheck(lambda v: v, (x,), 1e-3)  # eps is keyword-only, as torch's


def _node_hook_scenarios(lib):
    out = {}
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    w = lib.tensor([3.0, 4.0], requires_grad=True)
    y = x * w
    seen = []

    def post(grad_inputs, grad_outputs):
        seen.append([g.tolist() for g in grad_inputs] + [grad_outputs[0].tolist()])
        return grad_inputs[0] * 10, grad_inputs[1]

    y.grad_fn.register_hook(post)
    y.sum().backward()
    out["post"] = (x.grad.tolist(), w.grad.tolist(), seen)

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.grad_fn.register_prehook(lambda grad_outputs: (grad_outputs[0] * 0 + 1,))
    (y * 2).sum().backward()
    out["pre"] = [round(v, 4) for v in x.grad.tolist()]

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    handle = y.grad_fn.register_prehook(lambda grad_outputs: (grad_outputs[0] * 0,))
    handle.remove()
    y.sum().backward()
    out["removed"] = [round(v, 4) for v in x.grad.tolist()]

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    order = []
    y.register_hook(lambda g: order.append("tensor"))
    y.grad_fn.register_prehook(lambda go: order.append("pre"))
    y.grad_fn.register_hook(lambda gi, go: order.append("post"))
    y.sum().backward()
    out["order"] = order
    return out


def test_grad_fn_hooks_and_prehooks_match_torch():
    assert _node_hook_scenarios(pn) == _node_hook_scenarios(torch)


def test_saved_tensor_attributes_as_torch_tutorial_reads_them():
    def run(lib):
        x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        w = lib.tensor([0.5, 0.5, 0.5], requires_grad=True)
        p = x.pow(2)
        e = x.exp()
        m = x * lib.ones(3)
        mw = x * w
        out = [
            x is p.grad_fn._saved_self,
            hasattr(p.grad_fn, "_saved_other"),
            e.equal(e.grad_fn._saved_result),
            e is e.grad_fn._saved_result,
            hasattr(e.grad_fn, "_saved_self"),
            m.grad_fn._saved_self is None,
            m.grad_fn._saved_other.tolist(),
            mw.grad_fn._saved_self is x and mw.grad_fn._saved_other is w,
        ]
        e.sum().backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            _ = e.grad_fn._saved_result
        with pytest.raises(AttributeError):
            _ = mw.grad_fn._saved_nothing
        return out

    assert run(pn) == run(torch)


def test_backward_runs_hooks_with_grad_mode_off():
    def run(lib):
        x = lib.ones(2, requires_grad=True)
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        modes = []
        x.register_hook(lambda g: modes.append(lib.is_grad_enabled()))
        h = x * 3
        h.register_hook(lambda g: (modes.append(lib.is_grad_enabled()), g * w)[1])
        h.sum().backward()
        return modes, x.grad.tolist(), x.grad.requires_grad, lib.is_grad_enabled()

    assert run(pn) == run(torch) == ([False, False], [3.0, 6.0], False, True)


def _graph(fn, depth=0):
    if fn is None:
        return None
    return type(fn).__name__, [_graph(n, depth + 1) for n, _ in fn.next_functions] if depth < 3 else []


GRAPHS = {
    "mul_number": lambda lib, x, w: x * 2,
    "rmul_number": lambda lib, x, w: 2 * x,
    "add_number": lambda lib, x, w: x + 1,
    "sub_number": lambda lib, x, w: x - 1,
    "rsub_number": lambda lib, x, w: (1 - x).grad_fn.next_functions[0][0] and x * 1,
    "div_number": lambda lib, x, w: x / 2,
    "mul_constant_tensor": lambda lib, x, w: x * lib.ones(3),
    "embedding": lambda lib, x, w: lib.nn.functional.embedding(lib.tensor([0, 1]), w.reshape(3, 1)),
    "mse_relu": lambda lib, x, w: lib.nn.functional.mse_loss(lib.relu(x), w),
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_recursive_next_functions_walk_matches_torch(name):
    def run(lib):
        x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        return _graph(GRAPHS[name](lib, x, w).grad_fn)

    assert run(pn) == run(torch)


def test_rsub_has_one_edge():
    assert len((1 - pn.ones(2, requires_grad=True)).grad_fn.next_functions) == 1
    assert len((1 - torch.ones(2, requires_grad=True)).grad_fn.next_functions) == 1


def test_linear_lists_the_bias_edge_first_as_addmm():
    def run(lib):
        x = lib.tensor([[0.5, -1.0, 2.0]], requires_grad=True)
        w = lib.ones(2, 3, requires_grad=True)
        b = lib.zeros(2, requires_grad=True)
        edges = lib.nn.functional.linear(x, w, b).grad_fn.next_functions
        return edges[0][0].variable is b, edges[1][0].variable is x, len(edges)

    assert run(pn) == run(torch) == (True, True, 3)

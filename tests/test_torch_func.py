"""pyneuro.func against torch.func: grad/grad_and_value/vjp/jvp/jacrev/jacfwd/hessian/linearize,
vmap, functional_call and stack_module_state, on small functions, MLPs, the per-sample-gradient
and model-ensembling tutorials, nested transforms, pytrees and torch's errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import pyneuro as pn
from pyneuro import func as pf

torch = pytest.importorskip("torch")
tf = torch.func


def fn(lib):
    """The func module of pyneuro or torch."""
    return pf if lib is pn else tf


def T(a, requires_grad=False):
    """The same values as a torch tensor."""
    return torch.tensor(np.asarray(a), requires_grad=requires_grad)


def P(a, requires_grad=False):
    return pn.tensor(np.asarray(a), requires_grad=requires_grad)


def close(ours, theirs, tol=1e-5):
    """Nests of tensors equal in structure, shape, dtype and values."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, type(theirs)) or isinstance(ours, (tuple, list)), (type(ours), type(theirs))
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            close(a, b, tol)
        return
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs)
        for k in theirs:
            close(ours[k], theirs[k], tol)
        return
    if not isinstance(theirs, torch.Tensor):
        assert ours == theirs
        return
    assert isinstance(ours, pn.Tensor), type(ours)
    assert tuple(ours.shape) == tuple(theirs.shape), (ours.shape, theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tol, atol=tol)


def rand(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape).astype(np.float32)


# ----------------------------------------------------------------------------- small functions

FUNCS = {
    "cube_sum": lambda m: lambda x: (x**3).sum(),
    "sin_exp": lambda m: lambda x: (m.sin(x) * m.exp(x * 0.5)).sum(),
    "tanh_norm": lambda m: lambda x: m.tanh(x).pow(2).mean(),
    "softmax_dot": lambda m: lambda x: (m.softmax(x, dim=-1) * x).sum(),
    "logsumexp": lambda m: lambda x: m.logsumexp(x, dim=-1).sum(),
}


@pytest.mark.parametrize("name", sorted(FUNCS))
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
def test_grad_hessian_small_functions(name, shape):
    a = rand(*shape)
    f_pn, f_t = FUNCS[name](pn), FUNCS[name](torch)
    close(pf.grad(f_pn)(P(a)), tf.grad(f_t)(T(a)))
    close(pf.grad_and_value(f_pn)(P(a)), tf.grad_and_value(f_t)(T(a)))
    close(pf.hessian(f_pn)(P(a)), tf.hessian(f_t)(T(a)), 1e-4)
    close(pf.jacrev(pf.jacrev(f_pn))(P(a)), tf.jacrev(tf.jacrev(f_t))(T(a)), 1e-4)
    if shape == ():
        close(pf.grad(pf.grad(f_pn))(P(a)), tf.grad(tf.grad(f_t))(T(a)), 1e-4)
        close(pf.grad(pf.grad(pf.grad(f_pn)))(P(a)), tf.grad(tf.grad(tf.grad(f_t)))(T(a)), 1e-4)


def test_jacobians_of_vector_functions_and_argnums():
    a, b = rand(3), rand(2, 3)

    def f(m):
        return lambda x, w: (m.tanh(w @ x), (x * x).sum())

    for argnums in (0, 1, (0, 1), (1, 0), -1):
        close(pf.jacrev(f(pn), argnums)(P(a), P(b)), tf.jacrev(f(torch), argnums)(T(a), T(b)), 1e-5)
        if argnums != -1:  # torch 2.13's jacfwd gives zeros for a negative argnum (its jacrev does not)
            close(pf.jacfwd(f(pn), argnums)(P(a), P(b)), tf.jacfwd(f(torch), argnums)(T(a), T(b)), 1e-5)
    h = pf.hessian(lambda x, w: (w @ x).pow(2).sum(), argnums=(0, 1))(P(a), P(b))
    close(h, tf.hessian(lambda x, w: (w @ x).pow(2).sum(), argnums=(0, 1))(T(a), T(b)), 1e-4)


def test_grad_argnums_tuple_and_has_aux():
    a, b = rand(3), rand(3, seed=1)

    def f(m):
        return lambda x, y: ((x * y.exp()).sum(), {"x2": x * 2, "n": (y.sum(),)})

    ours = pf.grad(f(pn), argnums=(0, 1), has_aux=True)(P(a), P(b))
    theirs = tf.grad(f(torch), argnums=(0, 1), has_aux=True)(T(a), T(b))
    close(ours, theirs)
    assert not ours[1]["x2"].requires_grad
    ours = pf.grad_and_value(f(pn), argnums=1, has_aux=True)(P(a), P(b))
    close(ours, tf.grad_and_value(f(torch), argnums=1, has_aux=True)(T(a), T(b)))
    ours = pf.jacrev(f(pn), has_aux=True)(P(a), P(b))
    close(ours, tf.jacrev(f(torch), has_aux=True)(T(a), T(b)))


def test_vjp_jvp_linearize():
    a, v, u = rand(2, 3), rand(2, 3, seed=1), rand(3, seed=2)

    def f(m):
        return lambda x: (m.sigmoid(x) * 3, x.sum(0).sin())

    out, fn = pf.vjp(f(pn), P(a))
    out_t, fn_t = tf.vjp(f(torch), T(a))
    close(out, out_t)
    close(fn((P(v), P(u))), fn_t((T(v), T(u))))
    close(fn((P(u * 0 + 1)[None].expand(2, 3), P(u))), fn_t((T(u * 0 + 1)[None].expand(2, 3), T(u))))
    close(pf.jvp(f(pn), (P(a),), (P(v),)), tf.jvp(f(torch), (T(a),), (T(v),)))
    g = lambda m: lambda x, y: ((x * y).exp(), (x + y).sum())
    close(
        pf.jvp(g(pn), (P(u), P(u + 1)), (P(u * 2), P(u - 1))),
        tf.jvp(g(torch), (T(u), T(u + 1)), (T(u * 2), T(u - 1))),
    )
    out, jfn = pf.linearize(f(pn), P(a))
    out_t, jfn_t = tf.linearize(f(torch), T(a))
    close(out, out_t)
    close(jfn(P(v)), jfn_t(T(v)))
    # has_aux
    h = lambda m: lambda x: (x.sin(), x.cos())
    close(pf.vjp(h(pn), P(u), has_aux=True)[2], tf.vjp(h(torch), T(u), has_aux=True)[2])
    close(
        pf.jvp(h(pn), (P(u),), (P(v[0]),), has_aux=True), tf.jvp(h(torch), (T(u),), (T(v[0]),), has_aux=True)
    )


def test_results_leave_the_graph_and_callers_grad_is_untouched():
    x = pn.randn(3)
    g = pf.grad(lambda t: (t**3).sum())(x)
    assert not g.requires_grad and g.grad_fn is None
    # arguments that require grad: the result stays connected, like torch.func
    xr = pn.tensor([0.5, -1.0, 2.0], requires_grad=True)
    xr.grad = pn.ones(3)
    g = pf.grad(lambda t: (t**3).sum())(xr)
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(xr.grad.numpy(), 1 + 6 * np.array([0.5, -1.0, 2.0]), rtol=1e-6)
    # closures over tensors that require grad: also connected
    w = pn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    wt = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = rand(3)
    ours = pf.grad(lambda t: (t * t * w).sum())(P(a))
    theirs = tf.grad(lambda t: (t * t * wt).sum())(T(a))
    assert ours.requires_grad == theirs.requires_grad
    ours.pow(2).sum().backward()
    theirs.pow(2).sum().backward()
    close(w.grad, wt.grad)
    assert xr.grad is not None and w.grad is not None
    p = pn.nn.Linear(3, 2)
    pf.grad(lambda x: p(x).sum())(pn.randn(3))
    assert p.weight.grad is None


def test_grad_under_no_grad_and_unused_inputs():
    a = rand(3)
    with pn.no_grad():
        close(pf.grad(lambda x: (x * x).sum())(P(a)), 2 * T(a))
    close(pf.grad(lambda x, y: (y * 2).sum())(P(a), P(a)), tf.grad(lambda x, y: (y * 2).sum())(T(a), T(a)))
    close(pf.grad(lambda x: pn.tensor(1.0))(P(a)), tf.grad(lambda x: torch.tensor(1.0))(T(a)))
    close(pf.jacrev(lambda x: x.new_ones(2))(P(a)), tf.jacrev(lambda x: x.new_ones(2))(T(a)))


# ----------------------------------------------------------------------------- MLPs and modules


def _mlp(lib, seed=0):
    torch.manual_seed(seed)
    ref = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    if lib is torch:
        return ref
    ours = pn.nn.Sequential(pn.nn.Linear(4, 8), pn.nn.Tanh(), pn.nn.Linear(8, 3))
    ours.load_state_dict({k: pn.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    return ours


def test_mlp_parameter_gradients_hessian_and_jacobian():
    x, y = rand(5, 4), np.array([0, 2, 1, 1, 0])
    model, ref = _mlp(pn), _mlp(torch)
    params = {k: v.detach() for k, v in model.named_parameters()}
    params_t = {k: v.detach() for k, v in ref.named_parameters()}

    def loss(lib, mod):
        return lambda p, x, y: lib.nn.functional.cross_entropy(fn(lib).functional_call(mod, p, (x,)), y)

    ours = pf.grad(loss(pn, model))(params, P(x), pn.tensor(y))
    theirs = tf.grad(loss(torch, ref))(params_t, T(x), torch.tensor(y))
    close(ours, theirs)
    assert model.state_dict()["0.weight"] is not ours["0.weight"]
    close(pf.jacrev(model)(P(x[0])), tf.jacrev(ref)(T(x[0])), 1e-5)
    close(
        pf.jacrev(lambda p: pf.functional_call(model, p, P(x)))(params),
        tf.jacrev(lambda p: tf.functional_call(ref, p, T(x)))(params_t),
        1e-5,
    )
    w_only = lambda lib, mod: lambda w: loss(lib, mod)({"2.weight": w}, *args(lib))

    def args(lib):
        return (P(x), pn.tensor(y)) if lib is pn else (T(x), torch.tensor(y))

    close(
        pf.hessian(w_only(pn, model))(params["2.weight"]),
        tf.hessian(w_only(torch, ref))(params_t["2.weight"]),
        1e-4,
    )


def test_per_sample_gradients_tutorial():
    """torch's per-sample-gradients tutorial, line by line."""
    x, y = rand(6, 4), np.array([0, 2, 1, 1, 0, 2])
    for lib, model in ((pn, _mlp(pn)), (torch, _mlp(torch))):
        params = {k: v.detach() for k, v in model.named_parameters()}
        buffers = {k: v.detach() for k, v in model.named_buffers()}

        def compute_loss(params, buffers, sample, target, lib=lib, model=model):
            batch = sample.unsqueeze(0)
            targets = target.unsqueeze(0)
            predictions = fn(lib).functional_call(model, (params, buffers), (batch,))
            return lib.nn.functional.cross_entropy(predictions, targets)

        ft_compute_sample_grad = fn(lib).vmap(fn(lib).grad(compute_loss), in_dims=(None, None, 0, 0))
        data = P(x) if lib is pn else T(x)
        targets = pn.tensor(y) if lib is pn else torch.tensor(y)
        if lib is pn:
            ours = ft_compute_sample_grad(params, buffers, data, targets)
        else:
            theirs = ft_compute_sample_grad(params, buffers, data, targets)
    close(ours, theirs)
    # the same numbers as one backward per sample
    model = _mlp(pn)
    for i in range(6):
        model.zero_grad()
        pn.nn.functional.cross_entropy(model(P(x[i : i + 1])), pn.tensor(y[i : i + 1])).backward()
        for k, p in model.named_parameters():
            np.testing.assert_allclose(ours[k][i].numpy(), p.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_model_ensembling_tutorial():
    x = rand(5, 4)
    torch_models = [_mlp(torch, seed=s) for s in range(3)]
    our_models = [_mlp(pn, seed=s) for s in range(3)]
    results = []
    for lib, models in ((pn, our_models), (torch, torch_models)):
        params, buffers = fn(lib).stack_module_state(models)
        assert all(p.requires_grad and p.grad_fn is None for p in params.values())
        base = copy.deepcopy(models[0])  # torch's tutorial moves it to 'meta'; pyneuro has no meta device

        def fmodel(params, buffers, x, base=base, lib=lib):
            return fn(lib).functional_call(base, (params, buffers), (x,))

        data = P(x) if lib is pn else T(x)
        same = fn(lib).vmap(fmodel, in_dims=(0, 0, None))(params, buffers, data)
        different = fn(lib).vmap(fmodel)(params, buffers, data[:3])
        results.append((params, same, different))
    close(results[0], results[1])
    # each model on its own
    for i in range(len(our_models)):
        close(results[0][1][i], torch_models[i](T(x)))


def test_functional_call_forms_and_errors():
    m, r = _mlp(pn), _mlp(torch)
    x = rand(2, 4)
    new = {"2.bias": np.ones(3, np.float32)}
    close(
        pf.functional_call(m, {k: P(v) for k, v in new.items()}, P(x)),
        tf.functional_call(r, {k: T(v) for k, v in new.items()}, T(x)),
    )
    close(
        pf.functional_call(m, {}, args=(), kwargs={"input": P(x)}),
        tf.functional_call(r, {}, (), {"input": T(x)}),
    )
    assert m[2].bias is m._modules["2"]._parameters["bias"] and float(m[2].bias.detach().sum()) != 3.0
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        pf.functional_call(m, ({"2.bias": pn.ones(3)}, {"2.bias": pn.ones(3)}), P(x))
    with pytest.raises(RuntimeError, match="Missing key"):
        pf.functional_call(m, {"2.bias": pn.ones(3)}, P(x), strict=True)
    with pytest.raises(RuntimeError, match="Unexpected key"):
        pf.functional_call(m, {**dict(m.named_parameters()), "foo": pn.ones(1)}, P(x), strict=True)
    pf.functional_call(m, {"foo": pn.ones(1)}, P(x))
    assert not hasattr(m, "foo")
    # an exception in forward still restores the parameters
    w = m[0].weight
    with pytest.raises(RuntimeError):
        pf.functional_call(m, {"0.weight": pn.ones(8, 5)}, P(x))
    assert m[0].weight is w


def test_functional_call_tied_weights_and_buffers():
    class Tied(pn.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = pn.nn.Linear(3, 3, bias=False)
            self.b = pn.nn.Linear(3, 3, bias=False)
            self.b.weight = self.a.weight
            self.register_buffer("scale", pn.tensor(2.0))

        def forward(self, x):
            return self.b(self.a(x)) * self.scale

    class TiedT(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(3, 3, bias=False)
            self.b = torch.nn.Linear(3, 3, bias=False)
            self.b.weight = self.a.weight
            self.register_buffer("scale", torch.tensor(2.0))

        def forward(self, x):
            return self.b(self.a(x)) * self.scale

    x, w = rand(3), rand(3, 3)
    m, r = Tied(), TiedT()
    for tie in (True, False):
        ours = pf.functional_call(m, {"a.weight": P(w), "scale": pn.tensor(3.0)}, (P(x),), tie_weights=tie)
        theirs = tf.functional_call(
            r, {"a.weight": T(w), "scale": torch.tensor(3.0)}, (T(x),), tie_weights=tie
        )
        if not tie:  # b keeps its own (random) weight: compare with it
            with torch.no_grad():
                r.b.weight.copy_(T(m.b.weight.detach().numpy()))
            theirs = tf.functional_call(
                r, {"a.weight": T(w), "scale": torch.tensor(3.0)}, (T(x),), tie_weights=tie
            )
        close(ours, theirs)
    with pytest.raises(ValueError, match="tied"):
        pf.functional_call(m, {"a.weight": P(w), "b.weight": P(w + 1)}, (P(x),))


def test_stack_module_state_errors():
    with pytest.raises(RuntimeError):
        pf.stack_module_state([])
    a, b = pn.nn.Linear(2, 2), pn.nn.Linear(2, 2)
    b.eval()
    with pytest.raises(RuntimeError):
        pf.stack_module_state([a, b])
    with pytest.raises(RuntimeError):
        tf.stack_module_state([torch.nn.Linear(2, 2), torch.nn.Linear(2, 2).eval()])


# ----------------------------------------------------------------------------- vmap


def test_vmap_in_dims_out_dims_and_pytrees():
    a, b, c = rand(2, 3), rand(3, 4), rand(4, 3)
    cases = [
        (lambda m: lambda x, y: x @ y, (a[0], b), (None, 1), 0),
        (lambda m: lambda x, y: x * y, (a, a.T.copy()), (1, 0), 1),
        (lambda m: lambda x, y: m.dot(x, y), (a, a), 0, 0),
        (lambda m: lambda x: x.sum(), (b,), -1, 0),
        (lambda m: lambda x: (x, x.sum()), (b,), 1, (1, 0)),
        (lambda m: lambda x: {"s": x * 2}, (c,), 0, -1),
        (lambda m: lambda x: m.ones(2), (c,), 0, None),
    ]
    for f, args, in_dims, out_dims in cases:
        ours = pf.vmap(f(pn), in_dims, out_dims)(*[P(t) for t in args])
        theirs = tf.vmap(f(torch), in_dims, out_dims)(*[T(t) for t in args])
        close(ours, theirs)
    # nests of arguments and nested in_dims
    f = lambda m: lambda d, t: d["w"] * t[0] + d["b"] + t[1]
    args_pn = ({"w": P(b), "b": P(b[0])}, (P(b), P(b[:, 0])))
    args_t = ({"w": T(b), "b": T(b[0])}, (T(b), T(b[:, 0])))
    dims = ({"w": 0, "b": None}, (0, 0))
    close(pf.vmap(f(pn), dims)(*args_pn), tf.vmap(f(torch), dims)(*args_t))
    # keyword arguments are not mapped; non-contiguous inputs
    close(
        pf.vmap(lambda x, scale=1.0: x * scale)(P(b).t(), scale=P(a[0])),
        tf.vmap(lambda x, scale=1.0: x * scale)(T(b).t(), scale=T(a[0])),
    )


def test_vmap_nested_and_composed():
    a, b = rand(2, 3), rand(4, 3)
    f = lambda m: lambda x, y: m.dot(x, y)
    close(
        pf.vmap(pf.vmap(f(pn), (None, 0)), (0, None))(P(a), P(b)),
        tf.vmap(tf.vmap(f(torch), (None, 0)), (0, None))(T(a), T(b)),
    )
    g = lambda m: lambda x: (m.sin(x) ** 2).sum()
    close(pf.vmap(pf.grad(g(pn)))(P(a)), tf.vmap(tf.grad(g(torch)))(T(a)))
    close(pf.vmap(pf.hessian(g(pn)))(P(a)), tf.vmap(tf.hessian(g(torch)))(T(a)), 1e-4)
    close(
        pf.grad(lambda x: pf.vmap(g(pn))(x).sum())(P(a)), tf.grad(lambda x: tf.vmap(g(torch))(x).sum())(T(a))
    )
    close(pf.jacrev(pf.vmap(lambda x: x.exp()))(P(a)), tf.jacrev(tf.vmap(lambda x: x.exp()))(T(a)))
    # vmap records autograd through its slices
    x = pn.tensor(a, requires_grad=True)
    xt = torch.tensor(a, requires_grad=True)
    pf.vmap(g(pn))(x).sum().backward()
    tf.vmap(g(torch))(xt).sum().backward()
    close(x.grad, xt.grad)


def test_vmap_empty_and_dtypes():
    e = np.zeros((0, 3), np.float32)
    close(pf.vmap(lambda x: x.sum())(P(e)), tf.vmap(lambda x: x.sum())(T(e)))
    close(pf.vmap(lambda x: x * 2, out_dims=1)(P(e)), tf.vmap(lambda x: x * 2, out_dims=1)(T(e)))
    i = np.arange(6).reshape(2, 3)
    close(pf.vmap(lambda x: x.sum())(pn.tensor(i)), tf.vmap(lambda x: x.sum())(torch.tensor(i)))
    close(pf.vmap(lambda x: x > 1)(pn.tensor(i)), tf.vmap(lambda x: x > 1)(torch.tensor(i)))


def test_vmap_randomness():
    x = pn.ones(3, 2)
    with pytest.raises(RuntimeError, match="randomness"):
        pf.vmap(lambda t: t + pn.randn(2))(x)
    with pytest.raises(RuntimeError, match="randomness"):
        pf.vmap(lambda t: pn.nn.functional.dropout(t, 0.5))(x)
    with pytest.raises(RuntimeError, match="randomness"):
        tf.vmap(lambda t: t + torch.randn(2))(torch.ones(3, 2))
    state = pn.get_rng_state()
    same = pf.vmap(lambda t: t + pn.randn(2), randomness="same")(x)
    assert bool((same[0] == same[1]).all()) and bool((same[1] == same[2]).all())
    pn.set_rng_state(state)
    assert bool((same[0] == pn.randn(2) + 1).all())
    different = pf.vmap(lambda t: t + pn.randn(2), randomness="different")(x)
    assert not bool((different[0] == different[1]).all())
    pf.vmap(lambda t: pn.nn.functional.dropout(t, 0.5, training=False))(x)  # no draw: fine


def _error(fn):
    try:
        fn()
    except Exception as e:
        return type(e)
    return None


ERRORS = {
    "grad_nonscalar": lambda m: m.func.grad(lambda x: x * 2)(m.ones(3)),
    "grad_returns_float": lambda m: m.func.grad(lambda x: 3.0)(m.ones(3)),
    "grad_int_input": lambda m: m.func.grad(lambda x: x.sum())(m.arange(3)),
    "grad_non_tensor_arg": lambda m: m.func.grad(lambda x: x)(3.0),
    "grad_argnums_range": lambda m: m.func.grad(lambda x: x.sum(), argnums=1)(m.ones(3)),
    "grad_argnums_type": lambda m: m.func.grad(lambda x: x.sum(), argnums=1.0)(m.ones(3)),
    "grad_argnums_empty": lambda m: m.func.grad(lambda x: x.sum(), argnums=())(m.ones(3)),
    "grad_aux_not_pair": lambda m: m.func.grad(lambda x: x.sum(), has_aux=True)(m.ones(3)),
    "grad_aux_not_tensor": lambda m: m.func.grad(lambda x: (x.sum(), 1), has_aux=True)(m.ones(3)),
    "jacrev_int_input": lambda m: m.func.jacrev(lambda x: x)(m.arange(3)),
    "vjp_non_tensor_out": lambda m: m.func.vjp(lambda x: 3.0, m.ones(3)),
    "vjp_cotangent_shape": lambda m: m.func.vjp(lambda x: x * 2, m.ones(3))[1](m.ones(2)),
    "jvp_tangent_shape": lambda m: m.func.jvp(lambda x: x * 2, (m.ones(3),), (m.ones(2),)),
    "jvp_primals_not_tuple": lambda m: m.func.jvp(lambda x: x * 2, m.ones(3), m.ones(3)),
    "vmap_sizes": lambda m: m.func.vmap(lambda a, b: a + b)(m.ones(2, 3), m.ones(3, 3)),
    "vmap_non_tensor": lambda m: m.func.vmap(lambda a: a)(3.0),
    "vmap_in_dim_range": lambda m: m.func.vmap(lambda a: a, in_dims=2)(m.ones(2, 3)),
    "vmap_in_dims_structure": lambda m: m.func.vmap(lambda a: a, in_dims=(0, 0))(m.ones(2, 3)),
    "vmap_in_dims_type": lambda m: m.func.vmap(lambda a: a, in_dims=1.0)(m.ones(2, 3)),
    "vmap_in_dims_none": lambda m: m.func.vmap(lambda a: a, in_dims=None)(m.ones(2, 3)),
    "vmap_all_none": lambda m: m.func.vmap(lambda a: a, in_dims=(None,))(m.ones(2, 3)),
    "vmap_0d": lambda m: m.func.vmap(lambda a: a)(m.tensor(1.0)),
    "vmap_returns_float": lambda m: m.func.vmap(lambda a: 3.0)(m.ones(2, 3)),
    "vmap_out_dims_none_batched": lambda m: m.func.vmap(lambda a: a, out_dims=None)(m.ones(2, 3).cumsum(0)),
    "vmap_out_dim_range": lambda m: m.func.vmap(lambda a: a, out_dims=3)(m.ones(2, 3)),
    "vmap_chunk_size": lambda m: m.func.vmap(lambda a: a, chunk_size=0)(m.ones(2, 3)),
    "vmap_randomness_flag": lambda m: m.func.vmap(lambda a: a, randomness="x")(m.ones(2, 3)),
    "fc_args_list": lambda m: m.func.functional_call(m.nn.Linear(3, 2), {}, [m.ones(3)]),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error_types_match_torch(name):
    pn_func = pf
    theirs = _error(lambda: ERRORS[name](torch))
    ours = _error(lambda: ERRORS[name](_WithFunc(pn, pn_func)))
    assert theirs is not None
    assert ours is not None and issubclass(ours, theirs), (ours, theirs)


class _WithFunc:
    """pyneuro with .func (until pyneuro/__init__ exports it)."""

    def __init__(self, mod, func):
        self._mod, self.func = mod, func

    def __getattr__(self, name):
        return getattr(self._mod, name)


# ----------------------------------------------------------------------------- the smaller names


def _cnn(lib, seed=0):
    torch.manual_seed(seed)
    ref = torch.nn.Sequential(
        torch.nn.Conv2d(2, 3, 3),
        torch.nn.BatchNorm2d(3),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(48, 2),
    )
    if lib is torch:
        return ref
    ours = pn.nn.Sequential(
        pn.nn.Conv2d(2, 3, 3), pn.nn.BatchNorm2d(3), pn.nn.ReLU(), pn.nn.Flatten(), pn.nn.Linear(48, 2)
    )
    ours.load_state_dict({k: pn.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    return ours


def test_per_sample_gradients_of_a_cnn_with_batch_norm():
    """replace_all_batch_norm_modules_, then per-sample gradients in training mode (batch statistics of each
    sample); and in eval mode with the running statistics passed as buffers."""
    x, y = np.random.default_rng(3).standard_normal((3, 2, 6, 6)).astype(np.float32), np.array([0, 1, 1])
    found = []
    for lib in (pn, torch):
        for train in (True, False):
            model = _cnn(lib)
            if train:
                fn(lib).replace_all_batch_norm_modules_(model)
                assert model[1].running_mean is None and not model[1].track_running_stats
            else:
                model.eval()
            params = {k: v.detach() for k, v in model.named_parameters()}
            buffers = {k: v.detach() for k, v in model.named_buffers()}

            def loss(p, b, s, t, lib=lib, model=model):
                out = fn(lib).functional_call(model, (p, b), (s.unsqueeze(0),))
                return lib.nn.functional.cross_entropy(out, t.unsqueeze(0))

            data, target = (P(x), pn.tensor(y)) if lib is pn else (T(x), torch.tensor(y))
            found.append(
                fn(lib).vmap(fn(lib).grad(loss), in_dims=(None, None, 0, 0))(params, buffers, data, target)
            )
    close(found[:2], found[2:], 1e-4)


def test_functionalize_debug_unwrap_and_the_deprecated_stateless_name():
    def f(x):
        y = x.clone()
        y.add_(1)
        return y * 2

    a = rand(3)
    close(pf.functionalize(f)(P(a)), tf.functionalize(f)(T(a)))
    close(pf.grad(lambda x: pf.functionalize(f)(x).sum())(P(a)), tf.grad(lambda x: f(x).sum())(T(a)))
    with pytest.raises(RuntimeError):
        pf.functionalize(f, remove="x")
    t = P(a)
    assert pf.debug_unwrap(t) is t
    m, r = _mlp(pn), _mlp(torch)
    with pytest.warns(FutureWarning, match="functional_call"):
        ours = pn.nn.utils.stateless.functional_call(m, {"2.bias": pn.zeros(3)}, (P(rand(2, 4)),))
    theirs = torch.nn.utils.stateless.functional_call(r, {"2.bias": torch.zeros(3)}, (T(rand(2, 4)),))
    close(ours, theirs)


def test_more_forms():
    a = rand(2, 3)
    # vmap: an unmapped non-tensor output with out_dims=None; kwargs of grad pass through
    close(
        pf.vmap(lambda x: (x, 3), out_dims=(0, None))(P(a)),
        tf.vmap(lambda x: (x, 3), out_dims=(0, None))(T(a)),
    )
    close(
        pf.grad(lambda x, *, k: (x * k).sum())(P(a), k=P(a + 1)),
        tf.grad(lambda x, *, k: (x * k).sum())(T(a), k=T(a + 1)),
    )
    # an output that is the input itself
    out, f = pf.vjp(lambda x: x, P(a))
    close(f(P(a * 3)), tf.vjp(lambda x: x, T(a))[1](T(a * 3)))
    close(pf.jacrev(lambda x: x, chunk_size=1)(P(a[0])), tf.jacrev(lambda x: x, chunk_size=1)(T(a[0])))
    with pytest.raises(ValueError):
        pf.jacrev(lambda x: x, chunk_size=0)
    # a list argument differentiated as a nest, in_dims for a list argument
    close(
        pf.grad(lambda ts: (ts[0] * ts[1]).sum())([P(a), P(a * 2)]),
        tf.grad(lambda ts: (ts[0] * ts[1]).sum())([T(a), T(a * 2)]),
    )
    close(
        pf.vmap(lambda ts: ts[0] + ts[1], in_dims=([0, 1],))([P(a), P(a.T.copy())]),
        tf.vmap(lambda ts: ts[0] + ts[1], in_dims=([0, 1],))([T(a), T(a.T.copy())]),
    )


def test_maml_style_inner_step_differentiated_by_autograd():
    """An inner gradient step taken with func.grad on functional_call, differentiated by the outer
    loss.backward() with respect to the model's parameters (second-order MAML)."""
    x, y = rand(4, 4), np.array([0, 1, 2, 0])
    grads = []
    for lib in (pn, torch):
        model = _mlp(lib)
        params = dict(model.named_parameters())
        data, target = (P(x), pn.tensor(y)) if lib is pn else (T(x), torch.tensor(y))

        def loss(p, lib=lib, model=model, data=data, target=target):
            return lib.nn.functional.cross_entropy(fn(lib).functional_call(model, p, (data,)), target)

        g = fn(lib).grad(loss)(params)
        adapted = {k: params[k] - 0.1 * g[k] for k in params}
        loss(adapted).backward()
        grads.append({k: p.grad for k, p in model.named_parameters()})
    close(grads[0], grads[1], 1e-5)


COMPOSITIONS = {
    # the inner grad closes over the outer variable and is called at it: d/dx <x, x> = 2x, not 4x
    "perturbation_confusion": lambda m: (
        lambda x: m.grad(lambda x: (x * m.grad(lambda y: (x * y).sum())(x)).sum())(x)
    ),
    "grad_of_jvp": lambda m: (
        lambda x: m.grad(lambda x: m.jvp(lambda z: z.sin() * z, (x,), (x * 0 + 1,))[1].sum())(x)
    ),
    "jacrev_of_vjp": lambda m: lambda x: m.jacrev(lambda x: m.vjp(lambda z: z.exp() * z, x)[1](x)[0])(x),
    "vmap_jacrev": lambda m: lambda x: m.vmap(m.jacrev(lambda z: z.sin()))(x.reshape(3, 1)),
    "grad_grad_detached_point": lambda m: (
        lambda x: m.grad(lambda x: m.grad(lambda y: (y * y * x).sum())(x.detach() + 1).sum())(x)
    ),
    "jacfwd_jacrev_argnums": lambda m: (
        lambda x: m.jacfwd(m.jacrev(lambda a, b: (a * b.exp()).sum(), 1), 0)(x, x * 2)
    ),
}


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
def test_nested_compositions(name):
    a = np.array([0.5, -1.0, 2.0], np.float32)
    ours = COMPOSITIONS[name](pf)(P(a))
    theirs = COMPOSITIONS[name](tf)(T(a))
    close(ours, theirs, 1e-5)
    assert not ours.requires_grad


def test_vmap_of_autograd_grad_gives_the_jacobian():
    """torch's vmap docstring example: one grad call per row here, so the graph must outlive the
    first (it raised "backward through the graph a second time")."""
    results = []
    for T in (torch, pn):
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x**2
        (jac,) = T.vmap(lambda v: T.autograd.grad(y, x, v))(T.eye(3))
        results.append(jac.numpy())
    np.testing.assert_array_equal(results[0], results[1])

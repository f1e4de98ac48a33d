"""The official PyTorch tutorials beyond the basics, run side by side with torch (only the imports
renamed): the pieces where pyneuro differed, each checked against torch's values, identities and
exception types."""

import importlib

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _mod(lib, name):
    return importlib.import_module(lib.__name__ + name)


def _np(t):
    return t.detach().numpy()


# ---------------------------------------------------------------- Forward-mode AD tutorial
@pytest.mark.parametrize("lib", [pn, torch], ids=["pyneuro", "torch"])
def test_make_dual_keeps_the_tangent_itself(lib):
    fw = _mod(lib, ".autograd.forward_ad")
    primal, tangent = lib.randn(10, 10), lib.randn(10, 10)
    with fw.dual_level():
        dual = fw.make_dual(primal, tangent)
        assert fw.unpack_dual(dual).tangent is tangent  # the tutorial's own assert
        alt = fw.make_dual(primal, tangent.T)
        got = fw.unpack_dual(alt).tangent
        assert got is not tangent
        np.testing.assert_array_equal(_np(got), _np(tangent.T))
        assert got.stride() == primal.stride()  # copied into the primal's layout


def _exp_fn(lib):
    class Fn(lib.autograd.Function):
        @staticmethod
        def forward(ctx, foo):
            result = lib.exp(foo)
            ctx.result = result
            return result

        @staticmethod
        def jvp(ctx, gI):
            gO = gI * ctx.result
            del ctx.result  # the tutorial's jvp runs once
            return gO

    return Fn


def test_custom_function_jvp_as_the_tutorial():
    results = []
    for lib in (pn, torch):
        lib.manual_seed(0)
        fw = _mod(lib, ".autograd.forward_ad")
        fn = _exp_fn(lib).apply
        primal = lib.randn(10, 10, dtype=lib.double, requires_grad=True)
        tangent = lib.randn(10, 10)
        with fw.dual_level():
            out = fn(fw.make_dual(primal, tangent))
            jvp = fw.unpack_dual(out).tangent
            # and through more ops after it: the Function's tangent is counted once
            more = fw.unpack_dual((out * 2).sin() + out.exp()).tangent
        results.append((jvp, more))
    for got, want in zip(*results):
        assert got.dtype == pn.float64
        np.testing.assert_allclose(_np(got), _np(want), rtol=1e-12)


def _pair_fn(lib, with_jvp=True):
    body = {
        "forward": staticmethod(
            lambda ctx, a, b: (ctx.save_for_forward(a, b), ctx.save_for_backward(a), (a * b, a + b))[2]
        ),
        "backward": staticmethod(lambda ctx, g1, g2: (g1 + g2, g1 + g2)),
    }
    if with_jvp:
        # ctx.saved_tensors inside jvp is what save_for_forward saved (two tensors, not one)
        body["jvp"] = staticmethod(
            lambda ctx, ta, tb: (ta * ctx.saved_tensors[1] + ctx.saved_tensors[0] * tb, ta + tb)
        )
    return type("Pair", (lib.autograd.Function,), body)


def test_custom_function_jvp_two_outputs_mixed_with_plain_ops():
    results = []
    for lib in (pn, torch):
        lib.manual_seed(0)
        fw = _mod(lib, ".autograd.forward_ad")
        a, b, ta = lib.randn(4), lib.randn(4), lib.randn(4)
        with fw.dual_level():
            da = fw.make_dual(a, ta)
            o1, o2 = _pair_fn(lib).apply(da, b)
            z = (o1 * o2).sin() + da
            w = _pair_fn(lib).apply(da * 2, da)[0].exp()
            results.append([fw.unpack_dual(t).tangent for t in (o1, o2, z, w)])
    for got, want in zip(*results):
        np.testing.assert_allclose(_np(got), _np(want), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("lib", [pn, torch], ids=["pyneuro", "torch"])
def test_custom_function_without_jvp_or_backward_raises_not_implemented(lib):
    fw = _mod(lib, ".autograd.forward_ad")
    with fw.dual_level():
        with pytest.raises(NotImplementedError, match="jvp"):
            _pair_fn(lib, with_jvp=False).apply(fw.make_dual(lib.ones(2), lib.ones(2)), lib.ones(2))
    y = _exp_fn(lib).apply(lib.ones(3, requires_grad=True))
    with pytest.raises(NotImplementedError, match="backward or vjp"):
        y.sum().backward()


# ---------------------------------------------------------------- Autograd mechanics / Double Backward
@pytest.mark.parametrize("lib", [pn, torch], ids=["pyneuro", "torch"])
def test_a_leaf_has_one_accumulate_grad_node(lib):
    a = lib.tensor([2.0, 3.0], requires_grad=True)
    edges = (a * a).grad_fn.next_functions
    assert edges[0][0] is edges[1][0] and edges[0][0].variable is a
    assert (a + 1).grad_fn.next_functions[0][0] is edges[0][0]
    assert type(edges[0][0]).__name__ == "AccumulateGrad"


def test_custom_function_node_repr_names_autograd_function_module():
    reprs = []
    for lib in (pn, torch):
        out = _exp_fn(lib).apply(lib.ones(2, requires_grad=True))
        reprs.append(repr(out.grad_fn).split(" object at ")[0])
        assert repr(out).endswith("grad_fn=<FnBackward>)")
    assert reprs[0] == reprs[1].replace("torch.", "pyneuro.")


# ---------------------------------------------------------------- Spatial Transformer Networks
@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_grid_sample_gradients_at_the_borders(mode, padding_mode, align_corners):
    rng = np.random.default_rng(0)
    img = rng.random((2, 2, 3, 4), dtype=np.float32)
    edge = [
        [-1.0, -1.0],
        [1.0, 1.0],
        [1.0, 0.2],
        [-1.0, 0.0],
        [0.0, 1.0],
        [1.2, 0.3],
        [-1.1, -0.5],
        [0.3, -1.3],
    ]
    points = np.concatenate([np.array(edge, np.float32), rng.uniform(-1.4, 1.4, (8, 2)).astype(np.float32)])
    grid = np.stack([points.reshape(4, 4, 2)] * 2)
    results = []
    for lib in (pn, torch):
        x = lib.tensor(img, requires_grad=True)
        g = lib.tensor(grid, requires_grad=True)
        out = _mod(lib, ".nn.functional").grid_sample(x, g, mode, padding_mode, align_corners)
        results.append((out, *lib.autograd.grad(out.pow(2).sum(), (x, g))))
    for got, want in zip(*results):
        np.testing.assert_allclose(_np(got), _np(want), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- torch.func: per-sample grads, ensembling
def _bn_model(lib):
    lib.manual_seed(0)
    nn = lib.nn
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))


@pytest.mark.parametrize("lib", [pn, torch], ids=["pyneuro", "torch"])
def test_vmap_refuses_batch_norm_updating_unbatched_running_stats(lib):
    tf = _mod(lib, ".func")
    model = _bn_model(lib)
    with pytest.raises(RuntimeError, match="running_mean or running_var"):
        tf.vmap(model)(lib.randn(2, 5, 3))
    assert int(model[1].num_batches_tracked) == 1  # counted by the module before F.batch_norm refused
    assert not bool(model[1].running_mean.any())  # the statistics were not updated
    model.eval()  # eval mode, or no running statistics: allowed
    assert tuple(tf.vmap(model)(lib.randn(2, 5, 3)).shape) == (2, 5, 1)
    free = lib.nn.BatchNorm1d(4, track_running_stats=False)
    assert tuple(tf.vmap(free)(lib.randn(2, 3, 4)).shape) == (2, 3, 4)


def test_vmap_batch_norm_with_stacked_running_stats_matches_torch():
    results = []
    for lib in (pn, torch):
        tf = _mod(lib, ".func")
        models = [_bn_model(lib) for _ in range(3)]
        params, buffers = tf.stack_module_state(models)
        x = lib.randn(3, 5, 3)

        def fmodel(p, b, xb, base=models[0]):
            return tf.functional_call(base, (p, b), (xb,))

        out = tf.vmap(fmodel)(params, buffers, x)
        results.append((out, buffers["1.running_mean"], buffers["1.running_var"]))
    for got, want in zip(*results):
        np.testing.assert_allclose(_np(got), _np(want), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("lib", [pn, torch], ids=["pyneuro", "torch"])
def test_jacfwd_refuses_random_draws_by_default(lib):
    tf = _mod(lib, ".func")
    x = lib.randn(3)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        tf.jacfwd(lambda v: v * lib.rand(3))(x)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        tf.hessian(lambda v: (v * lib.rand(3)).sum())(x)
    assert tuple(tf.jacfwd(lambda v: v * lib.rand(3), randomness="same")(x).shape) == (3, 3)
    assert tuple(tf.jacrev(lambda v: v * lib.rand(3))(x).shape) == (
        3,
        3,
    )  # jacrev runs func once, outside vmap


# ---------------------------------------------------------------- Extending torch.func with autograd.Function
def _functions(lib):
    class Old(lib.autograd.Function):  # forward(ctx, ...): not usable with torch.func
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    body = {
        "forward": staticmethod(lambda x: x * 2),
        "setup_context": staticmethod(lambda ctx, inputs, output: None),
        "backward": staticmethod(lambda ctx, g: g * 2),
    }
    New = type("New", (lib.autograd.Function,), dict(body))
    Auto = type("Auto", (lib.autograd.Function,), dict(body, generate_vmap_rule=True))
    Take = type(
        "Take", (lib.autograd.Function,), dict(body, backward=staticmethod(lambda ctx, g: New.apply(g)))
    )
    return Old, New, Auto, Take


@pytest.mark.parametrize("lib", [pn, torch], ids=["pyneuro", "torch"])
def test_custom_function_inside_func_transforms(lib):
    tf = _mod(lib, ".func")
    Old, New, Auto, Take = _functions(lib)
    x, xs = lib.ones(3), lib.ones(2, 3)
    assert Old.apply(x).tolist() == [2.0] * 3  # outside the transforms: fine
    with pytest.raises(RuntimeError, match="must override the setup_context staticmethod"):
        tf.grad(lambda v: Old.apply(v).sum())(x)
    with pytest.raises(RuntimeError, match="must override the setup_context staticmethod"):
        tf.vmap(Old.apply)(xs)
    assert tf.grad(lambda v: New.apply(v).sum())(x).tolist() == [2.0] * 3
    with pytest.raises(RuntimeError, match="You tried to vmap over New, but it does not have vmap support"):
        tf.vmap(New.apply)(xs)
    with pytest.raises(RuntimeError, match="vmap over New"):  # even on an input that is not mapped
        tf.vmap(lambda v: New.apply(x) + v)(xs)
    assert tf.vmap(Auto.apply)(xs).tolist() == [[2.0] * 3] * 2
    assert tf.jacrev(New.apply)(x).shape == (3, 3)  # the forward runs outside vmap
    with pytest.raises(RuntimeError, match="vmap over New"):  # jacrev vmaps the backward passes
        tf.jacrev(Take.apply)(x)
    with pytest.raises(RuntimeError, match="vmap over New"):  # jacfwd runs the function under vmap
        tf.jacfwd(New.apply)(x)


@pytest.mark.parametrize("where", ["backward", "grad", "custom_saved", "saved_result"])
def test_freed_graph_message_is_torch_2_13s(where):
    messages = []
    for lib in (pn, torch):
        x = lib.ones(2, requires_grad=True)
        y = _pair_fn(lib).apply(x, x)[0] if where == "custom_saved" else x.exp()
        y.sum().backward()
        with pytest.raises(RuntimeError) as info:
            if where == "backward":
                y.sum().backward()
            elif where == "grad":
                lib.autograd.grad(y.sum(), x)
            elif where == "custom_saved":
                _ = y.grad_fn.saved_tensors
            else:
                _ = y.grad_fn._saved_result
        messages.append(str(info.value))
    assert messages[0] == messages[1]


# ---------------------------------------------------------------- NLP from scratch: RNN cells and layers
def _grad_fn_names(lib):
    lib.manual_seed(0)
    nn = lib.nn
    names = []
    lstm_cell, gru_cell, rnn_cell = nn.LSTMCell(3, 4), nn.GRUCell(3, 4), nn.RNNCell(3, 4)
    for x in (lib.randn(2, 3), lib.randn(3)):
        names += [t.grad_fn for t in lstm_cell(x)] + [gru_cell(x).grad_fn, rnn_cell(x).grad_fn]
    for layer in (nn.RNN, nn.GRU, nn.LSTM):
        for batch_first in (False, True):
            out, _ = layer(3, 4, batch_first=batch_first)(lib.randn(2, 5, 3))
            names.append(out.grad_fn)
    return [type(node).__name__ for node in names]


def test_rnn_cell_and_layer_outputs_show_torchs_grad_fn():
    assert _grad_fn_names(pn) == _grad_fn_names(torch)


def test_lstm_cell_gradients_through_both_outputs():
    results = []
    for lib in (pn, torch):
        lib.manual_seed(0)
        cell = lib.nn.LSTMCell(3, 4)
        x = lib.randn(2, 3, requires_grad=True)
        h, c = cell(x)
        (h.sum() + 2 * c.sum()).backward()
        results.append((h, c, x.grad, cell.weight_hh.grad))
    for got, want in zip(*results):
        np.testing.assert_allclose(_np(got), _np(want), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- what tutorials print: torch's grad_fn names
_NODE_EXPRS = [
    "F.elu(x)", "F.selu(x)", "F.celu(x)", "F.glu(x)", "F.mish(x)", "F.hardswish(x)", "F.rrelu(x)",
    "F.pairwise_distance(x, x)", "F.soft_margin_loss(x, x.detach().sign())",
    "F.multi_margin_loss(x, lib.tensor([0, 1, 2, 3]))", "F.pad(x, (1, 1))", "F.pad(x, (0, 0))",
    "F.pad(s1, (1, 2), mode='circular')", "F.interpolate(s2, scale_factor=2)",
    "F.interpolate(s1, scale_factor=2, mode='linear')", "F.interpolate(s2, size=(3, 3), mode='bilinear')",
    "F.interpolate(s2, scale_factor=2, mode='bicubic')", "F.interpolate(s2, scale_factor=2, mode='nearest-exact')",
    "F.interpolate(s2, scale_factor=0.5, mode='bilinear', antialias=True)", "F.interpolate(s3, scale_factor=2)",
    "F.interpolate(s3, scale_factor=2, mode='trilinear')", "F.pixel_shuffle(s4, 2)", "F.pixel_unshuffle(s2[..., :4, :4], 2)",
    "F.grid_sample(s2, s2[:, :2, :2, :].permute(0, 2, 3, 1).tanh(), align_corners=False)",
    "F.affine_grid(s2[0, :, :2, :3], (2, 1, 4, 4), align_corners=False)", "F.conv1d(s1, lib.ones(3, 2, 2))",
    "F.conv1d(s1[0], lib.ones(3, 2, 2))", "F.conv3d(s3, lib.ones(1, 2, 2, 2, 2))", "F.conv_transpose1d(s1, lib.ones(2, 3, 2))",
    "F.conv_transpose3d(s3, lib.ones(2, 3, 2, 2, 2))", "F.bilinear(x, x, lib.ones(2, 6, 6), lib.ones(2))",
    "F.channel_shuffle(s4, 2)", "F.fractional_max_pool2d(s2, 2, output_size=3)",
    "F.multilabel_margin_loss(x, lib.zeros(4, 6, dtype=lib.long))",
    "F.cross_entropy(x, x.softmax(1).detach())", "F.cross_entropy(x, lib.tensor([0, 1, 2, 3]), label_smoothing=0.1)",
    "F.cross_entropy(x, lib.tensor([0, 1, 2, 3]), weight=lib.ones(6))",
    "F.cross_entropy(s3, lib.zeros(1, 3, 3, 3, dtype=lib.long))", "F.nll_loss(s2, lib.zeros(2, 5, 5, dtype=lib.long))",
    "F.nll_loss(s1, lib.zeros(1, 5, dtype=lib.long), reduction='none')",
    "F.nll_loss(s2, lib.zeros(2, 5, 5, dtype=lib.long), reduction='none')",
    "F.scaled_dot_product_attention(s2, s2, s2)", "F.scaled_dot_product_attention(s2, s2, s2, is_causal=True)",
    "F.scaled_dot_product_attention(s2, s2, s2, attn_mask=lib.zeros(5, 5))",
]  # fmt: skip


@pytest.mark.parametrize("expr", _NODE_EXPRS)
def test_functional_outputs_show_torchs_grad_fn(expr):
    seen = []
    for lib in (pn, torch):
        lib.manual_seed(0)
        F = _mod(lib, ".nn.functional")
        x = lib.randn(4, 6, requires_grad=True)
        s1, s2 = lib.randn(1, 2, 5, requires_grad=True), lib.randn(2, 2, 5, 5, requires_grad=True)
        s3, s4 = lib.randn(1, 2, 3, 3, 3, requires_grad=True), lib.randn(1, 4, 2, 2, requires_grad=True)
        out = eval(expr, {"F": F, "lib": lib, "x": x, "s1": s1, "s2": s2, "s3": s3, "s4": s4})
        assert out is not x
        seen.append((type(out.grad_fn).__name__, tuple(out.shape)))
    assert seen[0] == seen[1]


# ---------------------------------------------------------------- nn.Transformer tutorials: mask errors
@pytest.mark.parametrize(
    "kind, shape",
    [
        ("attn_mask", (4, 3, 4)),
        ("attn_mask", (3, 4)),
        ("key_padding_mask", (3, 5)),
        ("key_padding_mask", (2, 4)),
    ],
)
def test_multihead_attention_mask_shape_errors_as_torch(kind, shape):
    caught = []
    for lib in (pn, torch):
        lib.manual_seed(0)
        mha = lib.nn.MultiheadAttention(4, 2)
        q, k = lib.randn(3, 2, 4), lib.randn(5, 2, 4)
        mask = lib.zeros(*shape, dtype=lib.bool) if kind == "key_padding_mask" else lib.zeros(*shape)
        with pytest.raises(AssertionError if kind == "key_padding_mask" else RuntimeError) as info:
            mha(q, k, k, **{kind: mask})
        caught.append(str(info.value).replace("pyneuro.", "torch."))
    assert caught[0] == caught[1]


_FUNC_ERRORS = {
    "grad_argnums_repeated": lambda tf, lib: tf.grad(lambda v: v.sum(), argnums=(0, 0))(lib.ones(3)),
    "jacrev_non_tensor": lambda tf, lib: tf.jacrev(lambda v: v.tolist())(lib.ones(3)),
    "jacfwd_non_tensor": lambda tf, lib: tf.jacfwd(lambda v: 3.0)(lib.ones(2)),
    "jacfwd_integer_primal": lambda tf, lib: tf.jacfwd(lambda v: v.sum())(lib.ones(2, dtype=lib.long)),
    "hessian_integer_primal": lambda tf, lib: tf.hessian(lambda v: v.sum())(lib.ones(2, dtype=lib.long)),
    "vmap_out_dims_structure": lambda tf, lib: tf.vmap(lambda a: a, out_dims=(0, 1))(lib.ones(2, 3)),
    "stack_module_state_classes": lambda tf, lib: tf.stack_module_state(
        [lib.nn.Linear(2, 2), lib.nn.Conv1d(2, 2, 1)]
    ),
    "functional_call_not_a_dict": lambda tf, lib: tf.functional_call(lib.nn.Linear(2, 2), 3, lib.ones(1, 2)),
}


@pytest.mark.parametrize("case", sorted(_FUNC_ERRORS))
def test_torch_func_errors_in_torchs_words(case):
    caught = []
    for lib in (pn, torch):
        with pytest.raises(Exception) as info:
            _FUNC_ERRORS[case](_mod(lib, ".func"), lib)
        caught.append(info.value)
    assert isinstance(caught[0], type(caught[1]))  # torch's builtin exception type (or a subclass of it)
    words = [str(e).replace("pyneuro.", "torch.").split(" TreeSpec")[0].split(" (*")[0] for e in caught]
    assert words[0] == words[1]


@pytest.mark.parametrize("case", ["unpack_number", "exit_without_level", "exit_wrong_level"])
def test_forward_ad_level_errors_as_torch(case):
    caught = []
    for lib in (pn, torch):
        fw = _mod(lib, ".autograd.forward_ad")
        with pytest.raises((TypeError, RuntimeError)) as info:
            if case == "unpack_number":
                with fw.dual_level():
                    fw.unpack_dual(3.0)
            elif case == "exit_without_level":
                fw.exit_dual_level()
            else:
                fw.exit_dual_level(level=0)
        caught.append(info.value)
    assert type(caught[0]) is type(caught[1]) and str(caught[0]) == str(caught[1])


@pytest.mark.parametrize("change", ["double", "int", "half"])
def test_tensor_hook_changing_dtype_message(change):
    caught = []
    for lib in (pn, torch):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        y.register_hook(lambda g: getattr(g, change)())
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
        caught.append(str(info.value))
    assert caught[0] == caught[1]


@pytest.mark.parametrize("target_dtype", ["long", "bool"])
def test_cross_entropy_integer_target_shaped_as_input_is_read_as_probabilities(target_dtype):
    caught = []
    for lib in (pn, torch):
        F = _mod(lib, ".nn.functional")
        for logits, shape in ((lib.randn(4), (4,)), (lib.randn(2, 3), (2, 3))):
            with pytest.raises(RuntimeError) as info:
                F.cross_entropy(logits, lib.zeros(*shape, dtype=getattr(lib, target_dtype)))
            caught.append(str(info.value))
    assert caught[:2] == caught[2:]


def _save_output_fn(lib):
    class Save(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            assert isinstance(ctx, lib.autograd.function.FunctionCtx)
            y = x * 2
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    return Save


def test_custom_function_saved_output_changed_in_place_names_the_function():
    caught = []
    for lib in (pn, torch):
        y = _save_output_fn(lib).apply(lib.ones(2, requires_grad=True))
        y.add_(1)
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
        caught.append(str(info.value).split(", is at version")[0].replace("pyneuro.", "torch."))
    assert caught[0] == caught[1]
    assert caught[0].endswith("which is output 0 of Save")


@pytest.mark.parametrize("first", ["full", "regular"])
def test_module_refuses_both_kinds_of_backward_hooks(first):
    for lib in (pn, torch):
        lin = lib.nn.Linear(2, 2)
        kinds = ["register_full_backward_hook", "register_backward_hook"]
        if first == "regular":
            kinds.reverse()
        getattr(lin, kinds[0])(lambda m, gi, go: None)
        with pytest.raises(
            RuntimeError, match="Cannot use both regular backward hooks and full backward hooks"
        ):
            getattr(lin, kinds[1])(lambda m, gi, go: None)


def test_full_backward_hook_warning_points_at_the_users_backward_call():
    for lib in (pn, torch):
        lin = lib.nn.Linear(2, 2)
        lin.register_full_backward_hook(lambda m, gi, go: None)
        out = lin(lib.ones(3, 2)).sum()
        with pytest.warns(UserWarning, match="Full backward hook is firing") as record:
            out.backward()  # no input requires grad
        assert [w.filename for w in record if "Full backward hook" in str(w.message)] == [__file__]


ZERO_D_INDEX = {
    # the Transforms tutorial's target_transform: a one-hot row from a 0-d label
    "scatter_value": lambda T: T.zeros(10, dtype=T.float).scatter_(0, T.tensor(3), value=1),
    "gather_vector": lambda T: T.arange(10.0).gather(0, T.tensor(3)),
    "gather_0d": lambda T: T.tensor(4.0).gather(0, T.tensor(0)),
    "scatter_0d": lambda T: T.tensor(1.0).scatter(0, T.tensor(0), 7.0),
    "scatter_src": lambda T: T.zeros(5).scatter(0, T.tensor(2), T.tensor(9.0)),
    "scatter_add": lambda T: T.zeros(5).scatter_add(0, T.tensor(2), T.tensor(9.0)),
    "scatter_reduce": lambda T: T.zeros(5).scatter_reduce(0, T.tensor(2), T.tensor(9.0), "sum"),
    "gather_0d_self": lambda T: T.tensor(4.0).gather(0, T.tensor([0, 0])),
    "scatter_0d_src": lambda T: T.tensor(4.0).scatter(0, T.tensor(0), T.tensor([5.0])),
}


@pytest.mark.parametrize("case", sorted(ZERO_D_INDEX))
def test_a_0d_index_counts_as_1d_in_scatter_and_gather(case):
    got, want = ZERO_D_INDEX[case](pn), ZERO_D_INDEX[case](torch)
    assert tuple(got.shape) == tuple(want.shape)
    assert got.tolist() == want.tolist()


def test_a_0d_index_out_of_range_or_of_another_rank_still_raises():
    for T in (pn, torch):
        with pytest.raises(RuntimeError, match="out of bounds"):
            T.zeros(5).scatter(0, T.tensor(7), 1.0)
        with pytest.raises(RuntimeError, match="same number of dimensions"):
            T.zeros(2, 3).gather(1, T.tensor(0))
        a = T.arange(5.0).requires_grad_()
        a.gather(0, T.tensor(3)).backward()
        assert a.grad.tolist() == [0.0, 0.0, 0.0, 1.0, 0.0]


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_factories_need_a_size(name):
    state = pn.random.get_rng_state()
    with pytest.raises(TypeError, match="size"):
        getattr(pn, name)()
    assert pn.random.get_rng_state().tolist() == state.tolist()  # (and draw nothing)
    assert tuple(getattr(pn, name)(()).shape) == ()


def test_bool_tensor_to_a_bool_power_and_small_api_corners():
    for T in (pn, torch):
        x = T.tensor([True, False])
        assert (x**False).dtype == T.bool and (x**False).tolist() == [True, True]
        assert (x**True).tolist() == [True, False] and T.pow(x, False).dtype == T.bool
        with pytest.raises(NotImplementedError):
            False**x
        assert tuple(T.arange(3.0).reshape(1, 3).broadcast_to(2, 3).shape) == (2, 3)
        p = T.nn.Parameter(T.tensor(1.2345))
        assert f"{p}".startswith("Parameter containing:")
        assert f"{T.tensor(1.2345):.2f}" == "1.23"
        with pytest.raises(TypeError):
            f"{p:.2f}"
        a = T.tensor([[0.5, -1.0]], requires_grad=True)
        with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'target'"):
            T.nn.functional.soft_margin_loss(a, T.tensor([[1.0, 2.0]], requires_grad=True))

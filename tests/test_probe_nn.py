"""nn.Module as users drive it, side by side with torch: registration rules and their errors,
traversal (shared modules and tied weights), containers and how they print, state_dict /
load_state_dict (messages, per-module steps, hooks, metadata, extra state), dtype casts.

Each case is a snippet run twice, with `torch, nn, F` bound to torch and then to pyneuro; it sets
`out` (compared: tensors by dtype, shape and value; strings with "pyneuro." read as "torch.")
or raises (pyneuro's exception must be an instance of torch's exception type).
test_probe_nn_layers.py reuses `check` for the layers and functional cases.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import pyneuro  # noqa: E402


def _namespace(lib):
    def rnd(*shape, seed=0):
        return lib.tensor(np.random.RandomState(seed).randn(*shape).astype("float32"))

    def det(module, seed=1):
        """Deterministic parameters (the two libraries' random initialisations differ)."""
        with lib.no_grad():
            for i, p in enumerate(module.parameters()):
                p.copy_(rnd(*p.shape, seed=seed + i) * 0.5)
        return module

    return {"torch": lib, "nn": lib.nn, "F": lib.nn.functional, "np": np, "rnd": rnd, "det": det}


def _run(code: str, lib):
    ns = _namespace(lib)
    if lib is pyneuro:
        code = code.replace("from torch", "from pyneuro").replace("import torch.", "import pyneuro.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(code, ns)
        except Exception as exc:
            return "raised", exc, caught
    return "ok", ns.get("out"), caught


def _same(a, b, where="out"):
    if isinstance(a, torch.Tensor):
        assert isinstance(b, pyneuro.Tensor), f"{where}: {type(b).__name__} where torch gives a Tensor"
        assert str(b.dtype).replace("pyneuro.", "torch.") == str(a.dtype), (
            f"{where}: dtype {b.dtype} vs {a.dtype}"
        )
        assert tuple(b.shape) == tuple(a.shape), f"{where}: shape {tuple(b.shape)} vs {tuple(a.shape)}"
        np.testing.assert_allclose(
            b.detach().numpy().astype("float64"),
            a.detach().numpy().astype("float64"),
            rtol=1e-5,
            atol=1e-6,
            err_msg=where,
        )
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), f"{where}: {b!r} vs {a!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(b) == list(a), f"{where}: keys {list(b)} vs {list(a)}"
        for k in a:
            _same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (str, torch.dtype)):  # a dtype compares by its name: torch.float16 ~ pyneuro.float16
        assert isinstance(b, str) == isinstance(a, str), f"{where}: {b!r} vs {a!r}"
        a, b = str(a), str(b)
        assert b.replace("pyneuro.", "torch.") == a, f"{where}:\n{b}\n--- torch:\n{a}"
    else:
        assert b == a, f"{where}: {b!r} vs {a!r}"


def check(code: str, warns: bool = False):
    """Run code with torch and with pyneuro: same `out`, or an exception of torch's type;
    warns=True: also the same number of warnings."""
    t_kind, t_val, t_warn = _run(code, torch)
    p_kind, p_val, p_warn = _run(code, pyneuro)
    assert p_kind == t_kind, f"torch {t_kind} {t_val!r}, pyneuro {p_kind} {p_val!r}"
    if t_kind == "raised":
        assert isinstance(p_val, type(t_val)), f"pyneuro raised {p_val!r}, torch {t_val!r}"
    else:
        _same(t_val, p_val)
    if warns:
        assert len(p_warn) == len(t_warn), [str(w.message) for w in p_warn]


MODULE_CASES = {
    # registration: names and types, torch's KeyError / TypeError / AttributeError
    "buffer_name_dot": "nn.Module().register_buffer('a.b', torch.ones(2))",
    "buffer_name_empty": "nn.Module().register_buffer('', torch.ones(2))",
    "buffer_name_int": "nn.Module().register_buffer(3, torch.ones(2))",
    "buffer_over_attribute": "m = nn.Linear(2, 2); m.foo = 3; m.register_buffer('foo', torch.ones(2))",
    "buffer_over_parameter": "nn.Linear(2, 2).register_buffer('weight', torch.ones(2))",
    "buffer_over_method": "nn.Module().register_buffer('training', torch.ones(1))",
    "parameter_name_dot": "nn.Module().register_parameter('a.b', nn.Parameter(torch.ones(2)))",
    "parameter_plain_tensor": "nn.Module().register_parameter('w', torch.ones(2))",
    "parameter_non_leaf": "p = nn.Parameter(torch.ones(2)); nn.Module().register_parameter('q', p * 2)",
    "module_name_dot": "nn.Module().add_module('a.b', nn.ReLU())",
    "module_name_empty": "nn.Module().add_module('', nn.ReLU())",
    "module_over_parameter": "nn.Linear(2, 2).add_module('weight', nn.ReLU())",
    "module_over_method": "nn.Module().add_module('forward', nn.ReLU())",
    "module_not_module": "nn.Module().add_module('a', 3)",
    "sequential_not_module": "nn.Sequential(nn.ReLU(), 3)",
    "assign_tensor_to_parameter": "m = nn.Linear(2, 2); m.weight = torch.ones(2, 2)",
    "assign_non_leaf_parameter": "m = nn.Linear(2, 2); m.weight = m.weight * 2",
    "assign_int_to_buffer": "m = nn.BatchNorm1d(2); m.running_mean = 3",
    "assign_int_to_child": "m = nn.Sequential(nn.ReLU()); setattr(m, '0', 3)",
    "assign_tensor_to_buffer": "m = nn.BatchNorm1d(2); m.running_mean = torch.ones(2); out = dict(m.named_buffers())",
    "assign_parameter_over_buffer": (
        "m = nn.BatchNorm1d(2); m.running_mean = nn.Parameter(torch.zeros(2))\n"
        "out = [[n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()]]"
    ),
    "assign_none_to_child_and_parameter": (
        "m = nn.Module(); m.x = nn.Linear(1, 1); m.x = None; l = nn.Linear(1, 1); l.bias = None\n"
        "out = [repr(m), m.x, repr(l), list(l.state_dict())]"
    ),
    "plain_attribute_before_init": (
        "class M(nn.Module):\n"
        "    def __init__(s):\n"
        "        s.k = 3\n"
        "        super().__init__()\n"
        "        s.l = nn.Linear(1, 1)\n"
        "out = [M().k, repr(M())]"
    ),
    "parameter_before_init": (
        "class M(nn.Module):\n    def __init__(s):\n        s.w = nn.Parameter(torch.ones(1))\nM()"
    ),
    "attribute_then_module": "m = nn.Module(); m.x = 3; m.x = nn.Linear(1, 1); out = [repr(m), 'x' in m.__dict__]",
    "nn_buffer_objects": (
        "m = nn.Module(); m.x = nn.Buffer(torch.ones(2), persistent=False); m.y = nn.Buffer(torch.ones(1))\n"
        "m.register_buffer('z', torch.ones(1), persistent=False); m.z = torch.zeros(1)\n"
        "out = [list(m.state_dict()), [n for n, _ in m.named_buffers()]]"
    ),
    # traversal
    "shared_module_and_duplicates": (
        "l = nn.Linear(2, 2); b = nn.BatchNorm1d(2); m = nn.Sequential(l, b, l, b)\n"
        "out = [[n for n, _ in m.named_parameters()], [n for n, _ in m.named_parameters(remove_duplicate=False)],\n"
        "       [n for n, _ in m.named_modules(remove_duplicate=False)], [n for n, _ in m.named_buffers()],\n"
        "       [n for n, _ in m.named_buffers(remove_duplicate=False)], list(m.state_dict())]"
    ),
    "train_calls_children_train": (
        "class Frozen(nn.BatchNorm1d):\n"
        "    def train(self, mode=True):\n"
        "        return super().train(False)\n"
        "m = nn.Sequential(nn.Linear(2, 2), Frozen(2)); m.train(); out = [x.training for x in m.modules()]"
    ),
    "get_set_submodule": (
        "m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.BatchNorm1d(2)))\n"
        "m.set_submodule('1.0', nn.LayerNorm(2))\n"
        "out = [repr(m), repr(m.get_submodule('1')), m.get_parameter('1.0.bias')]"
    ),
    "get_submodule_missing": "nn.Sequential(nn.ReLU()).get_submodule('0.foo')",
    "get_parameter_of_buffer": "nn.Sequential(nn.BatchNorm1d(2)).get_parameter('0.running_mean')",
    "get_buffer": "out = nn.Sequential(nn.BatchNorm1d(2)).get_buffer('0.running_var')",
    # casts
    "half_and_type": (
        "m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)); m(torch.ones(3, 2)).sum().backward(); m.half()\n"
        "out = [str(t.dtype) for t in m.state_dict().values()] + [str(m[0].weight.grad.dtype)]\n"
        "out += [str(p.dtype) for p in nn.Linear(1, 1).type(torch.float64).parameters()]"
    ),
    # printing
    "modulelist_repeats_print_once": (
        "out = [repr(nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU(), nn.ReLU(), nn.Linear(2, 2)])),\n"
        "       repr(nn.ModuleList()), repr(nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2,\n"
        "       enable_nested_tensor=False))]"
    ),
    "parameter_containers_print": (
        "out = [repr(nn.ParameterDict({'a': nn.Parameter(torch.zeros(2, 3)), 'b': nn.Parameter(torch.zeros(1))})),\n"
        "       repr(nn.ParameterDict({'a': nn.Parameter(torch.zeros(2, 3))})),\n"
        "       repr(nn.ParameterList([nn.Parameter(torch.zeros(2, 3))]))]"
    ),
    "custom_get_name_prints": (
        "class M(nn.Linear):\n    def _get_name(self):\n        return 'Foo'\nout = repr(nn.Sequential(M(1, 1)))"
    ),
    # Sequential and ModuleList as lists
    "sequential_list_operations": (
        "s = nn.Sequential(nn.ReLU(), nn.Tanh()); s.append(nn.Sigmoid()); s.insert(1, nn.ELU()); s.extend([nn.GELU()])\n"
        "del s[0]; s[-1] = nn.SiLU(); popped = s.pop(1)\n"
        "out = [repr(s), repr(popped), repr(s[1:]), repr(nn.Sequential(nn.ReLU()) + nn.Sequential(nn.Tanh())),\n"
        "       repr(nn.Sequential(nn.ReLU(), nn.Tanh()) * 2), repr(2 * nn.Sequential(nn.ReLU()))]"
    ),
    "sequential_renumbers_after_del": (
        "from collections import OrderedDict\n"
        "s = nn.Sequential(OrderedDict([('fc', nn.Linear(2, 2)), ('act', nn.ReLU()), ('out', nn.Linear(2, 1))]))\n"
        "del s[1]; out = list(s.state_dict())"
    ),
    "sequential_add_non_sequential": "nn.Sequential(nn.ReLU()) + [nn.ReLU()]",
    "sequential_times_zero": "nn.Sequential(nn.ReLU()) * 0",
    "modulelist_pop": "ml = nn.ModuleList([nn.ReLU(), nn.Tanh(), nn.ELU()]); x = ml.pop(1); out = [repr(ml), repr(x)]",
    # state_dict and load_state_dict
    "load_messages": (
        "m = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 4))\n"
        "sd = m.state_dict(); del sd['0.bias']; sd['extra'] = torch.zeros(1); sd['1.weight'] = torch.zeros(2, 2)\n"
        "try:\n    m.load_state_dict(sd)\nexcept RuntimeError as e:\n"
        "    out = str(e).replace('pyneuro.Size', 'torch.Size')"
    ),
    "load_not_a_mapping": "nn.Linear(2, 2).load_state_dict([1, 2])",
    "load_copies_what_matches_before_raising": (
        "m = nn.Linear(2, 2)\nwith torch.no_grad():\n    m.weight.fill_(0); m.bias.fill_(0)\n"
        "try:\n    m.load_state_dict({'weight': torch.ones(2, 2), 'bias': torch.ones(3)})\nexcept RuntimeError:\n    pass\n"
        "out = [m.weight, m.bias]"
    ),
    "unexpected_keys_in_module_order": (
        "m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 2)))\n"
        "sd = m.state_dict(); sd['1.0.foo'] = torch.zeros(1); sd['zz'] = torch.zeros(1); sd['0.bar'] = torch.zeros(1)\n"
        "sd['5.x'] = torch.ones(1); del sd['1.0.bias']\n"
        "r = m.load_state_dict(sd, strict=False); out = [r.missing_keys, r.unexpected_keys, str(r)]"
    ),
    "batchnorm_checkpoint_without_count": (
        "m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)); m[1].num_batches_tracked += 5\n"
        "sd = {k: v for k, v in m.state_dict().items() if 'num_batches' not in k}\n"
        "out = [str(m.load_state_dict(sd)), m[1].num_batches_tracked]"
    ),
    "batchnorm_versioned_checkpoint_without_count": (
        "m = nn.BatchNorm1d(3); sd = m.state_dict(); del sd['num_batches_tracked']; m.load_state_dict(sd)"
    ),
    "state_dict_metadata": (
        "out = str(nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Sequential(nn.LayerNorm(3)))"
        ".state_dict()._metadata)"
    ),
    "load_assign": (
        "m = nn.Linear(2, 2); w = torch.ones(2, 2)\n"
        "m.load_state_dict({'weight': w, 'bias': torch.zeros(2)}, assign=True)\n"
        "out = [type(m.weight).__name__, m.weight.requires_grad, m.weight.data_ptr() == w.data_ptr()]"
    ),
    "extra_state_round_trip": (
        "class M(nn.Module):\n"
        "    def __init__(s):\n"
        "        super().__init__(); s.l = nn.Linear(1, 1); s.k = 3\n"
        "    def get_extra_state(s):\n        return {'k': s.k}\n"
        "    def set_extra_state(s, st):\n        s.k = st['k']\n"
        "m = M(); sd = m.state_dict(); out = [list(sd), sd['_extra_state']]\n"
        "m2 = M(); m2.k = 0; m2.load_state_dict(sd); out.append(m2.k)\n"
        "del sd['_extra_state']\n"
        "try:\n    m2.load_state_dict(sd)\nexcept RuntimeError as e:\n    out.append(str(e))"
    ),
    "overridden_load_from_state_dict": (
        "class M(nn.Linear):\n"
        "    def _load_from_state_dict(self, state_dict, prefix, *args, **kw):\n"
        "        if prefix + 'w' in state_dict:\n"
        "            state_dict[prefix + 'weight'] = state_dict.pop(prefix + 'w')\n"
        "        super()._load_from_state_dict(state_dict, prefix, *args, **kw)\n"
        "m = nn.Sequential(M(2, 2)); r = m.load_state_dict({'0.w': torch.ones(2, 2), '0.bias': torch.zeros(2)})\n"
        "out = [str(r), m[0].weight]"
    ),
    "state_dict_hooks": (
        "m = nn.Linear(2, 2); log = []\n"
        "m.register_state_dict_pre_hook(lambda mod, prefix, keep: log.append(('pre', prefix, keep)))\n"
        "m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: log.append(('post', list(sd), meta)))\n"
        "m.register_load_state_dict_pre_hook(lambda mod, sd, prefix, *a: log.append(('load-pre', prefix)))\n"
        "def post(mod, keys):\n    log.append(('load-post', list(keys.missing_keys))); keys.missing_keys.clear()\n"
        "m.register_load_state_dict_post_hook(post)\n"
        "sd = m.state_dict(); del sd['bias']; out = [str(m.load_state_dict(sd)), log]"
    ),
    "state_dict_post_hook_must_return_none": (
        "m = nn.Linear(2, 2); m.register_state_dict_post_hook(lambda *a: {'x': 1}); m.state_dict()"
    ),
    "state_dict_positional_form": "m = nn.Linear(2, 2); d = {}; r = m.state_dict(d, 'pre.'); out = [list(d), r is d]",
}


@pytest.mark.parametrize("name", sorted(MODULE_CASES))
def test_module_as_torch(name):
    check(MODULE_CASES[name])


# nn.utils.parametrize and parametrizations.weight_norm
PARAMETRIZE_CASES = {
    "pwn": "m = det(nn.Linear(3, 2)); m = nn.utils.parametrizations.weight_norm(m)\nx = rnd(4, 3); y = m(x); y.pow(2).sum().backward()\nout = [repr(m), sorted(n for n, _ in m.named_parameters()), list(m.state_dict()), y, m.parametrizations.weight.original0.grad, m.parametrizations.weight.original1.grad, m.weight, type(m).__name__]",
    "pwn_dim1": "m = det(nn.Conv2d(2, 3, 3)); m = nn.utils.parametrizations.weight_norm(m, dim=1)\nout = [m.parametrizations.weight.original0.shape, m(rnd(1, 2, 4, 4))]",
    "pwn_none": "m = det(nn.Linear(3, 2)); m = nn.utils.parametrizations.weight_norm(m, dim=None)\nout = [m.parametrizations.weight.original0.shape, m(rnd(1, 3))]",
    "pwn_compat": "m = det(nn.Linear(3, 2)); old = nn.utils.weight_norm(det(nn.Linear(3, 2), seed=5)); sd = old.state_dict()\nm = nn.utils.parametrizations.weight_norm(m); r = m.load_state_dict(sd)\nout = [str(r), m.weight]",
    "parametrize_sym": 'import torch.nn.utils.parametrize as P\nclass Symmetric(nn.Module):\n    def forward(self, X):\n        return X.triu() + X.triu(1).transpose(0, 1)\nm = det(nn.Linear(3, 3))\nP.register_parametrization(m, "weight", Symmetric())\nw = m.weight; y = m(rnd(2, 3)); y.sum().backward()\nout = [w, repr(m), list(m.state_dict()), m.parametrizations.weight.original.grad, P.is_parametrized(m), P.is_parametrized(m, \'bias\'), P.type_before_parametrizations(m).__name__]\nP.remove_parametrizations(m, "weight")\nout += [repr(m), type(m).__name__, list(m.state_dict()), m.weight]',
    "parametrize_right_inverse": 'import torch.nn.utils.parametrize as P\nclass Scale(nn.Module):\n    def forward(self, X): return X * 2\n    def right_inverse(self, X): return X / 2\nm = det(nn.Linear(2, 2))\nw0 = m.weight.detach().clone()\nP.register_parametrization(m, "weight", Scale())\nout = [m.weight, m.parametrizations.weight.original]\nm.weight = torch.ones(2, 2)\nout += [m.parametrizations.weight.original, m.weight]\nP.register_parametrization(m, "weight", Scale())\nout += [m.weight, repr(m)]\nP.remove_parametrizations(m, "weight", leave_parametrized=False)\nout += [m.weight]',
    "parametrize_bad_shape": 'import torch.nn.utils.parametrize as P\nclass Bad(nn.Module):\n    def forward(self, X): return X[0]\nP.register_parametrization(nn.Linear(2, 2), "weight", Bad())',
    "parametrize_missing": 'import torch.nn.utils.parametrize as P\nP.register_parametrization(nn.Linear(2, 2), "foo", nn.Identity())',
    "parametrize_remove_missing": 'import torch.nn.utils.parametrize as P\nP.remove_parametrizations(nn.Linear(2, 2), "weight")',
    "parametrize_cached_and_optim": 'import torch.nn.utils.parametrize as P\nclass Sq(nn.Module):\n    def forward(self, X): return X * X\nm = det(nn.Linear(2, 2)); P.register_parametrization(m, "weight", Sq())\nopt = torch.optim.SGD(m.parameters(), lr=0.1)\nfor _ in range(3):\n    opt.zero_grad(); m(rnd(4, 2)).sum().backward(); opt.step()\nwith P.cached():\n    a = m.weight; b = m.weight\nout = [m.weight, a is b, len(list(m.parameters()))]',
    "parametrize_buffer": 'import torch.nn.utils.parametrize as P\nm = nn.BatchNorm1d(2); P.register_parametrization(m, "running_var", nn.Softplus())\nout = [list(m.state_dict()), m.running_var, [n for n, _ in m.named_buffers()]]',
    "parametrize_deepcopy": "import copy\nm = nn.utils.parametrizations.weight_norm(det(nn.Linear(3, 2)))\nm2 = copy.deepcopy(m); out = [repr(m2), m2.weight]",
    "spectral_norm_linear": "torch.manual_seed(0)\nm = nn.utils.parametrizations.spectral_norm(nn.Linear(4, 3))\nx = torch.randn(2, 4); y = m(x); y.sum().backward()\nout = [repr(m), list(m.state_dict()), m.parametrizations.weight[0]._u, m.weight, y, m.parametrizations.weight.original.grad]\nm.eval(); out += [m(x), m.parametrizations.weight[0]._v]",
    "spectral_norm_conv": "torch.manual_seed(0)\nm = nn.utils.parametrizations.spectral_norm(nn.Conv2d(2, 3, 3), n_power_iterations=2)\nout = [m(torch.randn(1, 2, 5, 5)), m.parametrizations.weight[0]._u]",
    "spectral_norm_conv_transpose": "torch.manual_seed(0)\nm = nn.utils.parametrizations.spectral_norm(nn.ConvTranspose2d(2, 3, 3))\nout = [m(torch.randn(1, 2, 5, 5)), m.parametrizations.weight[0]._u.shape, m.parametrizations.weight[0].dim]",
    "spectral_norm_missing": "nn.utils.parametrizations.spectral_norm(nn.Linear(2, 2), name='foo')",
    "spectral_norm_no_iterations": "nn.utils.parametrizations.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)",
    "spectral_norm_vector": "torch.manual_seed(0)\nm = nn.utils.parametrizations.spectral_norm(nn.BatchNorm1d(3).train(), name='weight'); out = m.weight",
}


@pytest.mark.parametrize("name", sorted(PARAMETRIZE_CASES))
def test_parametrize_as_torch(name):
    check(PARAMETRIZE_CASES[name])


# casts, hooks (module and global), traversal and state details
MORE_MODULE_CASES = {
    "to_forms": "m = nn.Linear(2, 2)\na = m.to('cpu', torch.float64); b = m.to(torch.ones(1, dtype=torch.float32)); c = m.to(dtype=torch.float16, non_blocking=True); d = m.to(device='cpu')\nout = [a is m, str(m.weight.dtype), type(m.weight).__name__]",
    "hook_prepend": "m = nn.Identity(); log = []\nm.register_forward_hook(lambda *a: log.append(1)); m.register_forward_hook(lambda *a: log.append(2), prepend=True)\nm.register_forward_pre_hook(lambda *a: log.append(3)); m.register_forward_pre_hook(lambda *a: log.append(4), prepend=True)\nm(torch.ones(1)); out = log",
    "hook_remove_twice": "m = nn.Identity(); h = m.register_forward_hook(lambda *a: None); h.remove(); h.remove(); out = len(m._forward_hooks)",
    "hook_ctx": "m = nn.Identity(); log=[]\nwith m.register_forward_hook(lambda *a: log.append(1)):\n    m(torch.ones(1))\nm(torch.ones(1)); out = log",
    "hook_always_call": 'class Bad(nn.Module):\n    def forward(self, x): raise ValueError("boom")\nm = Bad(); log = []\nm.register_forward_hook(lambda mod, a, o: log.append(o), always_call=True)\ntry: m(torch.ones(1))\nexcept ValueError: pass\nout = log',
    "hook_output_tuple": "m = det(nn.LSTM(2, 3)); seen = []\nm.register_forward_hook(lambda mod, a, o: seen.append((type(o).__name__, len(o), type(o[1]).__name__)))\nm(rnd(4, 1, 2)); out = seen",
    "backward_hook_two_inputs": "m = det(nn.Bilinear(2, 2, 1)); got = []\nm.register_full_backward_hook(lambda mod, gi, go: got.append([None if g is None else g.shape for g in gi]))\nx1 = rnd(3, 2).requires_grad_(); x2 = rnd(3, 2, seed=2).requires_grad_()\nm(x1, x2).sum().backward(); out = got",
    "backward_pre_hook": "m = det(nn.Linear(2, 2))\nm.register_full_backward_pre_hook(lambda mod, go: (go[0] * 0,))\nx = rnd(3, 2).requires_grad_(); m(x).sum().backward(); out = [x.grad, m.weight.grad]",
    "global_hook": "from torch.nn.modules.module import register_module_forward_hook\nlog = []\nh = register_module_forward_hook(lambda mod, a, o: log.append(type(mod).__name__))\nnn.Sequential(nn.ReLU(), nn.Tanh())(torch.ones(1)); h.remove(); nn.ReLU()(torch.ones(1)); out = log",
    "module_forward_direct_no_hook": "m = nn.Identity(); log=[]\nm.register_forward_hook(lambda *a: log.append(1)); m.forward(torch.ones(1)); out = log",
    "children_of_none": "m = nn.Module(); m.a = nn.ReLU(); m.register_module('b', None); out = [list(dict(m.named_children())), repr(m)]",
    "modules_count": "m = nn.Sequential(nn.Sequential(nn.ReLU()), nn.ReLU()); out = [len(list(m.modules())), len(list(m.children()))]",
    "extra_repr_custom": "class M(nn.Module):\n    def __init__(s):\n        super().__init__(); s.w = nn.Parameter(torch.ones(2)); s.fc = nn.Linear(1, 1)\n    def extra_repr(s): return 'dim=2'\nout = repr(M())",
    "parameters_generator_reuse": "m = nn.Linear(2, 2); g = m.parameters(); a = list(g); b = list(g); out = [len(a), len(b)]",
    "state_dict_shares_memory": "m = nn.Linear(2, 2); sd = m.state_dict(); sd['weight'].fill_(3.); out = m.weight",
    "state_dict_no_grad": "m = nn.Linear(2, 2); sd = m.state_dict(); out = [sd['weight'].requires_grad, sd['weight'].grad_fn is None]",
    "load_sd_float64_into_float32": "m = nn.Linear(2, 2); r = m.load_state_dict({'weight': torch.ones(2, 2, dtype=torch.float64), 'bias': torch.zeros(2, dtype=torch.float64)}); out = [str(m.weight.dtype), m.weight]",
    "load_sd_requires_grad_kept": "m = nn.Linear(2, 2); m.weight.requires_grad_(False); m.load_state_dict(nn.Linear(2, 2).state_dict()); out = [m.weight.requires_grad, m.bias.requires_grad]",
    "load_sd_int_into_float": "m = nn.Linear(2, 2); m.load_state_dict({'weight': torch.ones(2, 2, dtype=torch.long), 'bias': torch.zeros(2, dtype=torch.long)}); out = m.weight",
    "zero_grad_false_graph": "m = nn.Linear(2, 2); x = torch.ones(1, 2)\ng, = torch.autograd.grad(m(x).sum(), m.weight, create_graph=True); m.weight.grad = g\nm.zero_grad(set_to_none=False); out = [m.weight.grad, m.weight.grad.requires_grad, m.weight.grad.grad_fn is None]",
    "global_hooks_run_first": "from torch.nn.modules.module import register_module_forward_pre_hook, register_module_forward_hook\nh = register_module_forward_pre_hook(lambda mod, a: (a[0] * 2,))\nh2 = register_module_forward_hook(lambda mod, a, o: o + 1)\nm = nn.Identity(); m.register_forward_hook(lambda mod, a, o: o * 10)\ny = m(torch.ones(1)); h.remove(); h2.remove(); out = [y, m(torch.ones(1))]",
    "data_parallel_wraps": "m = nn.DataParallel(det(nn.Linear(2, 3)))\nout = [repr(m), list(m.state_dict()), m.device_ids, m(torch.ones(1, 2)), type(m.module).__name__]",
}


@pytest.mark.parametrize("name", sorted(MORE_MODULE_CASES))
def test_more_module_behaviour_as_torch(name):
    check(MORE_MODULE_CASES[name])

"""Model code as the PyTorch tutorials and typical projects write it, run with torch and with
pyneuro side by side: containers (ParameterList / ParameterDict holding any object, as torch's),
init helpers, layers' values, gradients, printed reprs and exception types.

Program cases run a whole snippet twice, `torch` bound first to torch and then to pyneuro (the
same seed: pyneuro draws torch's CPU random numbers), and compare what it prints (object
addresses dropped, "pyneuro" read as "torch") and what it passes to rec(...). Snippet cases use
test_probe_nn's `check` (an `out` value, or an exception of torch's type).
"""

from __future__ import annotations

import contextlib
import io
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from test_probe_nn import check  # noqa: E402

import pyneuro  # noqa: E402

_ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def _plain(value, lib):
    """rec()'s value as plain Python: tensors as (dtype name, shape, float64 array)."""
    if isinstance(value, lib.Tensor):
        return (str(value.dtype).split(".")[-1], tuple(value.shape), value.detach().numpy().astype("float64"))
    if isinstance(value, (list, tuple)):
        return [_plain(v, lib) for v in value]
    return value


def _run_program(code: str, lib):
    recorded = []
    ns = {"rec": lambda *values: recorded.append(_plain(list(values), lib))}
    if lib is pyneuro:
        code = re.sub(r"\btorch\b", "pyneuro", code)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "<program>", "exec"), ns)
    return _ADDRESS.sub("", printed.getvalue()).replace("pyneuro", "torch"), recorded


def _same_recorded(a, b, where):
    if isinstance(a, tuple):
        assert a[:2] == b[:2], f"{where}: dtype/shape {b[:2]} vs torch {a[:2]}"
        np.testing.assert_allclose(b[2], a[2], rtol=1e-4, atol=1e-5, err_msg=where)
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same_recorded(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {b!r} vs torch {a!r}"


def check_program(code: str):
    t_printed, t_recorded = _run_program(code, torch)
    p_printed, p_recorded = _run_program(code, pyneuro)
    assert p_printed == t_printed
    _same_recorded(t_recorded, p_recorded, "rec")


_HEAD = "import torch\nfrom torch import nn\nimport torch.nn.functional as F\nfrom collections import OrderedDict\n"

PROGRAMS = {
    # torch's ParameterList/ParameterDict keep any object (a plain attribute; repr "Object of type: int")
    "parameter_list_of_objects": (
        "pl = nn.ParameterList([nn.Parameter(torch.ones(2)), torch.zeros(3, dtype=torch.float64), 5, 'x', None])\n"
        "print(pl, len(pl), [type(p).__name__ for p in pl], list(pl.state_dict()))\n"
        "print(pl[1:3], pl[::-1]); pl[2] = torch.ones(1); pl += [torch.ones(4)]; print(pl)\n"
        "rec([p for p in pl.parameters()])"
    ),
    "parameter_dict_of_objects_and_dict_methods": (
        "pd = nn.ParameterDict({'w': nn.Parameter(torch.ones(2)), 'a': torch.zeros(1), 'n': 3})\n"
        "print(pd, list(pd), list(pd.state_dict()))  # a plain dict is taken in sorted key order\n"
        "pd2 = nn.ParameterDict(OrderedDict(w=torch.ones(2), a=torch.zeros(1))); print(list(pd2))\n"
        "pd3 = nn.ParameterDict([('w', torch.ones(2)), ('a', torch.zeros(1))]); print(list(pd3))\n"
        "x = pd.pop('a'); print(type(x).__name__, list(pd)); print(pd.setdefault('c', torch.zeros(3)), list(pd))\n"
        "print(pd.get('zz', 5)); k, v = pd.popitem(); print(k, list(pd)); print(type(pd.copy()).__name__)\n"
        "print(list(pd.fromkeys(['x', 'y'], torch.ones(1)))); print(pd | pd2, list(reversed(pd)))\n"
        "pd |= pd3; print(list(pd)); pd.clear(); print(len(pd), list(pd.parameters()))"
    ),
    "init_gains": (
        "print(nn.init.calculate_gain('conv2d'), nn.init.calculate_gain('sigmoid'), nn.init.calculate_gain('tanh'),\n"
        "      nn.init.calculate_gain('leaky_relu', 0.2), nn.init.calculate_gain('selu'))"
    ),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_as_torch(name):
    check_program(_HEAD + PROGRAMS[name])


SNIPPETS = {
    "parameter_list_extend_tensor": "nn.ParameterList().extend(torch.ones(2))",
    "parameter_list_extend_int": "nn.ParameterList().extend(3)",
    "parameter_list_called": "nn.ParameterList()(1)",
    "parameter_list_index_out_of_range": "nn.ParameterList([torch.ones(1)])[3]",
    "parameter_list_set_out_of_range": "pl = nn.ParameterList([torch.ones(1)]); pl[1] = torch.ones(1)",
    "parameter_dict_called": "nn.ParameterDict()(1)",
    "parameter_dict_missing_key": "nn.ParameterDict()['x']",
    "parameter_dict_int_key": "pd = nn.ParameterDict(); pd[3] = torch.ones(1)",
    "parameter_dict_not_iterable": "nn.ParameterDict(3)",
    "parameter_dict_bad_pair": "nn.ParameterDict([('w', torch.ones(2), 3)])",
    "parameter_dict_pair_not_iterable": "nn.ParameterDict([3])",
    "parameter_dict_popitem_empty": "nn.ParameterDict().popitem()",
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet_as_torch(name):
    check(SNIPPETS[name])

"""nn.utils.prune side by side with torch: the official Pruning Tutorial (LeNet) run renamed with the
same prints, repeated pruning (masks composed in a PruningContainer), every method and function,
amounts as int or float, importance scores, global pruning, remove, and torch's exception types.

Each program runs twice, `torch` bound first to torch and then to pyneuro (the same seed: pyneuro
draws torch's CPU random numbers, so even the random methods give torch's masks). What it prints
must read the same (object addresses dropped, "pyneuro" read as "torch") and what it passes to
rec(...) must have torch's dtype, shape and values; show(f) runs f and prints whether it raised,
and what pyneuro raises must be an instance of torch's exception type. test_probe_model_surgery.py reuses `check_program`.
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from test_probe_models import _plain, _same_recorded  # noqa: E402 - the same rec() comparison

import pyneuro  # noqa: E402

_ADDRESS = re.compile(r" at 0x[0-9a-f]+")
# hook handle ids in a printed _forward_pre_hooks (OrderedDict([(454, <...>)])): a process-wide
# counter in both libraries, so its value depends on what ran before in the process
_HOOK_ID = re.compile(r"\((\d+), <")
HEAD = (
    "import torch\nfrom torch import nn\nimport torch.nn.functional as F\nimport torch.nn.utils.prune as prune\n"
    "def show(f):\n"
    "    try:\n        f()\n        print('no error')\n"
    "    except Exception as e:\n        caught.append(e)\n        print('raised')\n"
)


def _run(code: str, lib):
    recorded, caught = [], []
    ns = {"rec": lambda *values: recorded.append(_plain(list(values), lib)), "caught": caught}
    if lib is pyneuro:
        code = re.sub(r"\btorch\b", "pyneuro", code)
    printed = io.StringIO()
    raised = None
    with contextlib.redirect_stdout(printed):
        try:
            exec(compile(code, "<program>", "exec"), ns)
        except Exception as exc:
            raised = exc
    text = _HOOK_ID.sub("(ID, <", _ADDRESS.sub("", printed.getvalue()))
    return text.replace("pyneuro", "torch"), recorded, caught, raised


def check_program(code: str):
    """Run HEAD + code with torch and with pyneuro: the same prints and rec() values (the program
    runs to its end with torch; what show(f) catches must be an instance of torch's exception type)."""
    t_printed, t_recorded, t_caught, t_raised = _run(HEAD + code, torch)
    assert t_raised is None, f"the program raised with torch: {t_raised!r}"
    p_printed, p_recorded, p_caught, p_raised = _run(HEAD + code, pyneuro)
    assert p_raised is None, f"pyneuro raised {p_raised!r}"
    assert p_printed == t_printed
    for t_exc, p_exc in zip(t_caught, p_caught):  # torch's builtin type (a torch error class subclasses one)
        builtin = next(c for c in type(t_exc).__mro__ if c.__module__ == "builtins")
        assert isinstance(p_exc, builtin), f"pyneuro raised {p_exc!r}, torch {t_exc!r}"
    _same_recorded(t_recorded, p_recorded, "rec")


TUTORIAL = r'''
torch.manual_seed(0)
class LeNet(nn.Module):
    def __init__(self):
        super(LeNet, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, int(x.nelement() / x.shape[0]))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)

device = torch.device("cpu")
model = LeNet().to(device=device)
module = model.conv1
print(list(module.named_parameters()))
print(list(module.named_buffers()))
prune.random_unstructured(module, name="weight", amount=0.3)
print(list(module.named_parameters()))
print(list(module.named_buffers()))
print(module.weight)
print(module._forward_pre_hooks)
prune.l1_unstructured(module, name="bias", amount=3)
print(list(module.named_parameters()))
print(list(module.named_buffers()))
print(module.bias)
print(module._forward_pre_hooks)
prune.ln_structured(module, name="weight", amount=0.5, n=2, dim=0)
print(module.weight)
for hook in module._forward_pre_hooks.values():
    if hook._tensor_name == "weight":
        break
print(list(hook))
print(model.state_dict().keys())
prune.remove(module, 'weight')
print(list(module.named_parameters()))
print(list(module.named_buffers()))
new_model = LeNet()
for name, module in new_model.named_modules():
    if isinstance(module, torch.nn.Conv2d):
        prune.l1_unstructured(module, name='weight', amount=0.2)
    elif isinstance(module, torch.nn.Linear):
        prune.l1_unstructured(module, name='weight', amount=0.4)
print(dict(new_model.named_buffers()).keys())
model = LeNet()
parameters_to_prune = (
    (model.conv1, 'weight'), (model.conv2, 'weight'), (model.fc1, 'weight'), (model.fc2, 'weight'), (model.fc3, 'weight'),
)
prune.global_unstructured(parameters_to_prune, pruning_method=prune.L1Unstructured, amount=0.2)
for name in ('conv1', 'conv2', 'fc1', 'fc2', 'fc3'):
    w = getattr(model, name).weight
    print("Sparsity in {}.weight: {:.2f}%".format(name, 100. * float(torch.sum(w == 0)) / float(w.nelement())))
print("Global sparsity: {:.2f}%".format(
    100. * float(sum(torch.sum(m.weight == 0) for m, _ in parameters_to_prune))
    / float(sum(m.weight.nelement() for m, _ in parameters_to_prune))))

class FooBarPruningMethod(prune.BasePruningMethod):
    """Prune every other entry in a tensor"""
    PRUNING_TYPE = 'unstructured'

    def compute_mask(self, t, default_mask):
        mask = default_mask.clone()
        mask.view(-1)[::2] = 0
        return mask

def foobar_unstructured(module, name):
    FooBarPruningMethod.apply(module, name)
    return module

model = LeNet()
foobar_unstructured(model.fc3, name='bias')
print(model.fc3.bias_mask)
x = torch.randn(2, 1, 32, 32)
rec(model(x), new_model(x))
'''


def test_pruning_tutorial_as_torch():
    check_program(TUTORIAL)


@pytest.mark.parametrize(
    "code",
    [
        "import pyneuro.nn.utils.prune as prune; print(prune.l1_unstructured)",
        "from pyneuro.nn.utils import prune; print(prune.L1Unstructured)",
        "import pyneuro; print(pyneuro.nn.utils.prune.is_pruned)",  # the attribute, with no import of it first
        "import pyneuro; print('prune' in dir(pyneuro.nn.utils))",
    ],
)
def test_prune_imports(code):
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "False" not in done.stdout


PROGRAMS = {
    # a later method prunes only what is left: the entries (unstructured) or the slices (structured)
    "iterative": r"""
torch.manual_seed(1)
for n, dim in [(1, 0), (2, 1), (float('inf'), -1), (0.5, 1), (3, -2)]:
    m = nn.Conv2d(4, 6, 3)
    prune.l1_unstructured(m, 'weight', amount=0.3)
    prune.ln_structured(m, 'weight', amount=2, n=n, dim=dim)
    prune.l1_unstructured(m, 'weight', amount=0.25)
    prune.random_structured(m, 'weight', amount=0.34, dim=1)
    prune.random_unstructured(m, 'weight', amount=5)
    rec(m.weight_mask, m.weight)
    [c] = m._forward_pre_hooks.values()
    print(type(c).__name__, len(c), [type(h).__name__ for h in c], c[0]._tensor_name, c[1].amount)
""",
    # amount: a count or a fraction (Python's round, so 0.5 * 5 rounds to 2), 0 prunes nothing
    "amounts": r"""
torch.manual_seed(2)
for amt in [0, 0.0, 1.0, 12, 0.5, 0.04, 0.05, 0.1, 0.95, False]:
    m = nn.Linear(4, 3)
    prune.l1_unstructured(m, 'weight', amount=amt); rec(m.weight_mask)
    m = nn.Linear(4, 3)
    prune.random_unstructured(m, 'weight', amount=amt); rec(m.weight_mask)
    m = nn.Linear(5, 3)
    show(lambda: prune.ln_structured(m, 'weight', amount=amt, n=1, dim=1)); rec(m.weight)
    m = nn.Linear(4, 3)
    show(lambda: prune.random_structured(m, 'weight', amount=amt, dim=0)); rec(m.weight)
""",
    "methods_on_tensors": r"""
torch.manual_seed(3)
t = torch.randn(4, 5)
rec(prune.L1Unstructured(amount=0.5).prune(t))
rec(prune.LnStructured(amount=2, n=1, dim=1).prune(t))
rec(prune.LnStructured(amount=2, n=1, dim=1).prune(t, importance_scores=t.flip(1)))
rec(prune.L1Unstructured(amount=3).prune(t, default_mask=(t > 0).float()))
rec(prune.CustomFromMask(mask=(t > 0)).prune(t))
rec(prune.Identity().prune(t), prune.RandomUnstructured(amount=0.5).prune(t), prune.RandomStructured(2, dim=0).prune(t))
rec(prune.L1Unstructured(amount=2).compute_mask(t, torch.ones_like(t)))
c = prune.PruningContainer()
print(len(c), list(c), prune.L1Unstructured.PRUNING_TYPE, prune.LnStructured.PRUNING_TYPE,
      prune.CustomFromMask.PRUNING_TYPE, prune.RandomStructured.PRUNING_TYPE, prune.Identity.PRUNING_TYPE)
show(lambda: prune.L1Unstructured(amount=0.5).prune(t, importance_scores=torch.ones(2)))
""",
    "importance_scores_and_odd_tensors": r"""
torch.manual_seed(0)
m = nn.Linear(3, 2)
prune.l1_unstructured(m, 'weight', amount=2, importance_scores=torch.tensor([[1, 5, 3], [4, 2, 6]]))
rec(m.weight_mask)
m = nn.Linear(3, 2)
scores = torch.tensor([[1., 5, 3], [4, 2, 6]], requires_grad=True)
prune.ln_structured(m, 'weight', amount=1, n=1, dim=0, importance_scores=scores)
rec(m.weight_mask); print(m.weight_mask.requires_grad, m.weight.requires_grad)
m = nn.Linear(3, 2)
prune.l1_unstructured(m, 'weight', amount=2, importance_scores=torch.tensor([[1., 5, float('nan')], [4, float('nan'), 6]]))
rec(m.weight_mask)
m = nn.Module(); m.s = nn.Parameter(torch.tensor(2.0))
prune.l1_unstructured(m, 's', amount=1); rec(m.s, m.s_mask)
m = nn.Module(); m.e = nn.Parameter(torch.zeros(0, 3))
prune.l1_unstructured(m, 'e', amount=0.5); rec(m.e_mask)
show(lambda: prune.l1_unstructured(m, 'e', amount=1))
m = nn.Module(); m.w = nn.Parameter(torch.randn(4, 3).t())
prune.ln_structured(m, 'w', amount=1, n=2, dim=1); rec(m.w_mask, m.w)
m = nn.Linear(3, 3).double()
prune.l1_unstructured(m, 'weight', 3); print(m.weight_mask.dtype, m.weight.dtype)
m = nn.Linear(3, 3)
prune.custom_from_mask(m, 'weight', mask=torch.tensor([[True, False, True]] * 3)); print(m.weight_mask)
prune.custom_from_mask(m, 'weight', mask=torch.tensor([[1, 1, 0]] * 3)); print(m.weight_mask)
""",
    "global": r"""
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 4))
pairs = [(net[0], 'weight'), (net[0], 'bias'), (net[2], 'weight')]
prune.l1_unstructured(net[0], 'weight', amount=0.3)
prune.global_unstructured(pairs, pruning_method=prune.L1Unstructured, amount=10)
rec(net[0].weight_mask, net[0].bias_mask, net[2].weight_mask)
print([[type(x).__name__ for x in h] for h in net[0]._forward_pre_hooks.values() if h._tensor_name == 'weight'])
scores = {(net[2], 'weight'): torch.arange(20.).reshape(4, 5)}
prune.global_unstructured(pairs, pruning_method=prune.L1Unstructured, importance_scores=scores, amount=0.2)
rec(net[0].weight_mask, net[0].bias_mask, net[2].weight_mask)
prune.global_unstructured(pairs, pruning_method=prune.RandomUnstructured, amount=0.1)
rec(net[0].weight_mask, net[0].bias_mask, net[2].weight_mask, net(torch.randn(3, 6)))
print(prune.is_pruned(net), prune.is_pruned(nn.Sequential(nn.Linear(2, 2))))
class ThresholdPruning(prune.BasePruningMethod):
    PRUNING_TYPE = "unstructured"
    def __init__(self, threshold):
        self.threshold = threshold
    def compute_mask(self, tensor, default_mask):
        return torch.abs(tensor) > self.threshold
m = nn.Linear(5, 4)
prune.global_unstructured(((m, 'weight'), (m, 'bias')), pruning_method=ThresholdPruning, threshold=0.2)
rec(m.weight_mask, m.bias_mask); print(m.weight_mask.dtype)
# the pairs are walked once per step, as torch does: a generator is spent after the first
gen = ((m, 'weight') for m in nn.Sequential(nn.Linear(6, 5), nn.Linear(5, 4)))
show(lambda: prune.global_unstructured(gen, pruning_method=prune.L1Unstructured, amount=0.3))
""",
    "custom_methods": r"""
class RowPrune(prune.BasePruningMethod):
    PRUNING_TYPE = "structured"
    dim = 0
    def compute_mask(self, t, default_mask):
        mask = default_mask.clone(); mask[0] = 0; return mask
m = nn.Linear(5, 4)
RowPrune.apply(m, 'weight'); RowPrune.apply(m, 'weight'); RowPrune.apply(m, 'weight')
rec(m.weight_mask)
class NoDim(prune.BasePruningMethod):
    PRUNING_TYPE = "structured"
    def compute_mask(self, t, default_mask): return default_mask
m = nn.Linear(5, 4)
NoDim.apply(m, 'weight')
show(lambda: NoDim.apply(m, 'weight'))
class Weird(prune.BasePruningMethod):
    PRUNING_TYPE = "blah"
    def compute_mask(self, t, default_mask): return default_mask
m = nn.Linear(5, 4)
Weird.apply(m, 'weight')
show(lambda: Weird.apply(m, 'weight'))
show(lambda: prune.global_unstructured([(m, 'bias')], pruning_method=Weird))
c = prune.PruningContainer()
c._tensor_name = 'w'
show(lambda: c.add_pruning_method(prune.L1Unstructured(0.2)))
show(lambda: c.add_pruning_method("x"))
c.add_pruning_method(None); print(len(c))
a = prune.L1Unstructured(0.2); a._tensor_name = 'w'
c3 = prune.PruningContainer(a); print(c3._tensor_name, len(c3), c3[0] is a)
show(lambda: prune.PruningContainer(a, a))
""",
    # remove: the same Parameter object again (an optimizer made before pruning keeps working)
    "train_and_remove": r"""
torch.manual_seed(0)
m = nn.Linear(4, 3)
w = m.weight
opt = torch.optim.SGD(m.parameters(), lr=0.5, momentum=0.9)
prune.l1_unstructured(m, 'weight', amount=6)
print(m.weight_orig is w, m.weight is w, type(m.weight).__name__, 'weight' in m._parameters, m.weight.grad_fn)
x = torch.randn(2, 4)
for _ in range(3):
    opt.zero_grad(); m(x).pow(2).sum().backward(); opt.step()
    rec(w.grad, m.weight)
m(x)
rec(m.weight, w)
print(float((m.weight == 0).sum()))
prune.remove(m, 'weight')
print(m.weight is w, type(m.weight).__name__, list(m._parameters), list(m._buffers), m._forward_pre_hooks)
rec(m.weight)
m2 = nn.Linear(4, 3)
prune.l1_unstructured(m2, 'weight', amount=6)
m2.weight_mask[0] = 0
rec(m2(x))
print(m2.weight_mask.requires_grad, m2.weight_orig.requires_grad)
""",
    "errors": r"""
import numpy as np
show(lambda: prune.l1_unstructured(nn.Linear(2, 2), 'weight', amount=-1))
show(lambda: prune.l1_unstructured(nn.Linear(2, 2), 'weight', amount=1.5))
show(lambda: prune.l1_unstructured(nn.Linear(2, 2), 'weight', amount=-0.1))
show(lambda: prune.l1_unstructured(nn.Linear(2, 2), 'weight', amount='0.3'))
show(lambda: prune.l1_unstructured(nn.Linear(2, 2), 'weight', amount=None))
show(lambda: prune.l1_unstructured(nn.Linear(2, 2), 'weight', amount=5))
show(lambda: prune.l1_unstructured(nn.Linear(2, 2), 'weight', amount=np.float32(0.5)))
show(lambda: prune.l1_unstructured(nn.Linear(2, 2), 'weight', amount=np.int64(2)))
show(lambda: prune.l1_unstructured(nn.Linear(2, 2), 'weight', amount=torch.tensor(0.5)))
show(lambda: prune.l1_unstructured(nn.Linear(2, 2), 'weight', amount=float('nan')))
show(lambda: prune.ln_structured(nn.Linear(2, 2), 'bias', amount=1, n=2, dim=0))
show(lambda: prune.ln_structured(nn.Linear(2, 2), 'weight', amount=1, n=2, dim=2))
show(lambda: prune.ln_structured(nn.Linear(2, 2), 'weight', amount=1, n=2, dim=-3))
show(lambda: prune.random_structured(nn.Linear(2, 2), 'weight', amount=1, dim=5))
show(lambda: prune.random_structured(nn.Linear(2, 2), 'bias', amount=1, dim=0))
show(lambda: prune.l1_unstructured(nn.Linear(2, 2), 'nope', amount=1))
show(lambda: prune.l1_unstructured(nn.Linear(2, 2), 'weight', amount=1, importance_scores=torch.ones(3)))
show(lambda: prune.ln_structured(nn.Linear(2, 2), 'weight', 1, 2, 0, importance_scores=torch.ones(2, 3)))
show(lambda: prune.global_unstructured([(nn.Linear(2, 2), 'weight')], pruning_method=prune.LnStructured,
                                       amount=1, n=2, dim=0))
show(lambda: prune.global_unstructured([(nn.Linear(2, 2), 'weight')], pruning_method=prune.L1Unstructured,
                                       importance_scores=[1], amount=1))
show(lambda: prune.global_unstructured(5, pruning_method=prune.L1Unstructured, amount=1))
show(lambda: prune.global_unstructured([(nn.Linear(2, 2), 'weight')], pruning_method=prune.L1Unstructured, amount=9))
show(lambda: prune.remove(nn.Linear(2, 2), 'weight'))
show(lambda: prune.custom_from_mask(nn.Linear(2, 2), 'weight', mask=torch.ones(3)))
show(lambda: prune.PruningContainer(5))
show(lambda: prune.Identity().apply_mask(nn.Linear(2, 2)))
show(lambda: prune.BasePruningMethod())
# a failed first pruning puts the parameter back; a failed later one keeps the earlier pruning
m = nn.Linear(2, 3)
show(lambda: prune.ln_structured(m, 'weight', amount=1, n=2, dim=3))
print([n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()])
prune.l1_unstructured(m, 'weight', amount=1)
show(lambda: prune.ln_structured(m, 'weight', amount=1, n=2, dim=3))
print([n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()], len(m._forward_pre_hooks))
rec(m.weight_mask)
""",
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_as_torch(name):
    check_program(PROGRAMS[name])

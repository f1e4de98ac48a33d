"""In-place changes after use, minimised from a differential fuzzer (random programs: make leaves
and views, run a few ops, change a tensor the graph may have saved, call backward), against torch:
each program runs as written with `torch` bound to torch and to pyneuro; where torch raises,
pyneuro raises the same class (or a subclass of it) at the same line; where torch succeeds, the
leaves' gradients (and their layout) are torch's."""

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Using backward")

PROGRAMS = {
    # a leaf set to requires_grad=False after forward used it: AccumulateGrad stores nothing
    "requires_grad_false_after_use": """
a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
b = torch.tensor([0.5, 1.5, 2.5], requires_grad=True)
z = a.exp()
z.retain_grad()
a.requires_grad_(False)
((a * b).sum() + z.sum()).backward()
out = [a.grad, b.grad, z.grad]
""",
    "requires_grad_false_create_graph": """
c = torch.tensor([1.0, 2.0], requires_grad=True)
w = (c * c).sum()
c.requires_grad_(False)
w.backward(create_graph=True)
out = [c.grad]
""",
    "detach_in_place_leaf_after_use": """
l1 = torch.tensor([0.7, 0.6, 1.6], dtype=torch.float64, requires_grad=True)
l2 = torch.tensor([0.3, -1.4, 1.5], dtype=torch.float64, requires_grad=True)
h0 = (l1.sigmoid() * l2).sum()
l1.detach_()
h0.backward()
out = [l1.grad, l2.grad]
""",
    "autograd_grad_of_frozen_leaf": """
a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = (a * a).sum()
a.requires_grad_(False)
out = list(torch.autograd.grad(y, a))
""",
    # a transposed gradient through elementwise ops: .grad is laid out as the leaf (contiguous)
    "grad_layout_through_transpose": """
a = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
x = a * 1
(x.t() * 1).sum().backward()
out = [a.grad, a.grad.is_contiguous(), a.grad.stride(), a.grad.view(-1)]
""",
    "grad_layout_first_then_accumulated": """
a = torch.tensor([[1.0, 2.0], [4.0, 5.0]], requires_grad=True)
(a.t() * torch.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
(a.t() * 2).sum().backward()
out = [a.grad, a.grad.stride(), a.grad.view(-1)]
""",
    # a piece of split/chunk/unbind used after an in-place change of its memory (any mode)
    "split_piece_used_after_base_changed_without_graph": """
x = torch.ones(4, requires_grad=True) * 1
a, b = x.split(2)
x.detach().add_(1)
out = [b.requires_grad]
y = a * 2
""",
    "chunk_piece_used_after_optimizer_step": """
W = torch.ones(4, 3, requires_grad=True)
w1, w2 = W.chunk(2)
opt = torch.optim.SGD([W], lr=0.1)
(w1.sum() + w2.sum()).backward()
opt.step()
out = [W.grad]
loss = w1.sum()
""",
    "unbind_piece_used_after_no_grad_change": """
x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True) * 1
p, q = x.unbind(0)
with torch.no_grad():
    x[0, 0] = 5.0
with torch.no_grad():
    out = [p * 2]
r = q.exp()
""",
    "split_piece_grad_fn_after_base_relu_": """
gates = torch.tensor([[0.5, -1.0, 2.0, -0.5], [1.0, 1.5, -2.0, 0.25]], requires_grad=True) * 1
i, f = gates.chunk(2, 1)
h = (i.sigmoid() * f.tanh()).sum()
gates.relu_()
out = [i.requires_grad]
gf = i.grad_fn
""",
    "view_of_piece_used_after_data_change": """
y = torch.ones(3, 4, requires_grad=True)
p = y.unbind(0)[1][1:]
y.data.add_(1)
s = (p * 2).sum()
s.backward()
out = [y.grad]
""",
    "view_of_piece_used_after_no_grad_change": """
y = torch.ones(3, 4, requires_grad=True)
q = y.unbind(0)[1][1:]
with torch.no_grad():
    y.add_(1)
s = (q * 2).sum()
""",
    # copy_'s source must broadcast to the destination's shape (NumPy's assignment drops leading 1s)
    "copy_source_with_leading_unit_dims": """
x = torch.zeros(3)
x[0] = 1.0
out = [x]
x.copy_(torch.ones(1, 3))
""",
    "copy_into_weight_data_wrong_rank": """
w = torch.nn.Linear(3, 2).weight
w.data.copy_(torch.ones(1, 2, 3))
""",
    "copy_recorded_source_with_leading_unit_dims": """
h = torch.zeros(3, requires_grad=True) * 1
h.copy_(torch.ones(1, 3, requires_grad=True))
""",
    "copy_scalar_from_one_element": """
s = torch.tensor(2.0)
s.copy_(torch.ones(1))
""",
    "copy_shapes_that_do_not_broadcast": """
x = torch.zeros(8)
x.copy_(torch.ones(2, 2, 2))
""",
    "copy_broadcasting_source": """
x = torch.zeros(2, 3)
x.copy_(torch.tensor([1.0, 2.0, 3.0]))
x.copy_(torch.tensor([[4.0], [5.0]]))
out = [x]
""",
    # movedim of a 0-d tensor (its one dim, 0 or -1, onto itself): torch's alias, a view
    "movedim_of_scalar": """
x = torch.tensor(1.5, requires_grad=True)
y = x.movedim(0, -1)
z = torch.moveaxis(x, (-1,), (0,))
(y * 2 + z).backward()
out = [y, y.shape, x.grad, y.grad_fn.name()]
v = x.detach().movedim(0, 0)
v.add_(1)
out.append(x)
x.movedim(1, 0)
""",
    # set_ is an in-place op: the leaf rules with grad mode on only, a version step, and in the
    # graph a node without a derivative
    "set_leaf_under_no_grad": """
p = torch.ones(3, requires_grad=True)
with torch.no_grad():
    p.set_(torch.zeros(3))
out = [p, p.requires_grad, p.is_leaf]
p.set_(torch.ones(3))
""",
    "set_leaf_saved_by_the_graph": """
p = torch.ones(3, requires_grad=True)
y = (p * p).sum()
with torch.no_grad():
    p.set_(torch.zeros(3))
y.backward()
""",
    "set_view_of_leaf": """
l = torch.ones(3, requires_grad=True)
d = l[1:]
d.set_(torch.ones(2))
""",
    "set_non_leaf_then_backward": """
l = torch.ones(3, requires_grad=True)
h = l * 2
y = h.exp()
h.set_(torch.zeros(3))
out = [h, h.requires_grad, h.is_leaf]
y.sum().backward()
out.append(l.grad)
h.sum().backward()
""",
    "set_from_a_source_that_requires_grad": """
a = torch.zeros(3)
s = torch.ones(3, requires_grad=True)
a.set_(s)
out = [a, a.requires_grad, a.is_leaf]
s.detach().add_(1)
out.append(a._version)
a.sum().backward()
""",
    # elu_, leaky_relu_ (and celu_, selu_, rrelu_) save their result: a later change of it fails backward
    "leaky_relu_inplace_then_residual_add": """
x = torch.tensor([[1.0, -2.0, 3.0]], requires_grad=True)
h = x * 2
y = torch.nn.LeakyReLU(0.2, inplace=True)(h)
y += 1
y.sum().backward()
""",
    "elu_inplace_then_change_under_no_grad": """
x = torch.tensor([[1.0, -2.0, 3.0]], requires_grad=True)
h = x * 2
F.elu(h, inplace=True)
with torch.no_grad():
    h.add_(0.25)
h.sum().backward()
""",
    "selu_celu_rrelu_inplace_then_detach_change": """
x = torch.tensor([[1.0, -2.0, 3.0]], requires_grad=True)
a, b, c = x * 1, x * 2, x * 3
F.selu(a, inplace=True)
F.celu(b, inplace=True)
F.rrelu(c, training=False, inplace=True)
c.detach().mul_(2)
(a + b).sum().backward()
out = [x.grad]
c.sum().backward()
""",
    "elu_inplace_unchanged": """
x = torch.tensor([[1.0, -2.0, 3.0]], requires_grad=True)
h = x * 2
y = F.elu_(h)
z = F.leaky_relu_(x * 3, 0.2)
(y * z).sum().backward()
out = [x.grad, y]
""",
    "narrow_of_scalar": """
s = torch.tensor(1.5, requires_grad=True)
out = [torch.narrow(torch.tensor([1.0, 2.0]), 0, 1, 1)]
s.narrow(-1, 0, 1)
""",
    # bilinear's node keeps each input only where another's gradient reads it
    "bilinear_weight_changed_when_only_weights_need_grad": """
torch.manual_seed(0)
m = torch.nn.Bilinear(3, 3, 2)
x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -0.5, 2.0]])
out = m(x, x * 2)
with torch.no_grad():
    m.weight.mul_(1.5)
out.sum().backward()
out = [m.weight.grad, m.bias.grad]
""",
    "bilinear_weight_changed_when_an_input_needs_grad": """
w = torch.tensor([[[1.0, 2.0], [0.5, -1.0]]], requires_grad=True)
x1 = torch.tensor([[1.0, 2.0]], requires_grad=True)
x2 = torch.tensor([[0.5, -1.5]])
out = F.bilinear(x1, x2, w)
with torch.no_grad():
    x1.mul_(2)
out.sum().backward()
""",
    # pow with a tensor exponent keeps its result whichever input needs grad; cross keeps each input
    # only for the other's gradient
    "pow_tensor_exponent_result_changed": """
a = torch.tensor([1.5, 2.0, 0.5], requires_grad=True)
y = torch.tensor([0.5, -1.0, 2.0])
s = torch.pow(a * 1, 2.0)
with torch.no_grad():
    s.mul_(1.5)
s.sum().backward()
out = [a.grad]
h = (a * 1) ** y
with torch.no_grad():
    h.mul_(1.5)
h.sum().backward()
""",
    "cross_input_changed_that_no_gradient_reads": """
a = torch.tensor([[1.5, 2.0, 0.5]], requires_grad=True)
b = torch.tensor([[0.5, -1.0, 2.0]])
h = torch.linalg.cross(a, b)
with torch.no_grad():
    a.mul_(1.5)
h.sum().backward()
out = [a.grad]
h2 = torch.cross(a, b, dim=1)
with torch.no_grad():
    b.mul_(2)
h2.sum().backward()
""",
    # resize_ to the shape a tensor has changes nothing: no version step, the same memory
    "resize_to_same_shape_after_use": """
a = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
h = a * 1
y = h.square().max(-1)[0]
h.detach().resize_as_(h)
b = torch.ones(2, 3)
v = b.t()
v.resize_(3, 2)
v[0, 0] = 5.0
out = [b, v.stride(), h._version]
y.sum().backward()
out.append(a.grad)
h.detach().resize_(6)
h.sum().backward()
""",
    # scatter's index may be no larger than self (but along dim) nor than src: torch's RuntimeError
    "scatter_index_larger_than_self": """
z = torch.zeros(2, 3)
out = [z.clone().scatter(0, torch.zeros(3, 3, dtype=torch.long), torch.ones(3, 3))]
z[1:].scatter_(-1, torch.zeros(2, 3, dtype=torch.long), 2.0)
""",
    "scatter_add_index_larger_than_src": """
z = torch.zeros(1, 3)
z.scatter_add(1, torch.zeros(1, 4, dtype=torch.long), torch.ones(1, 3))
""",
    # amax/amin along the one dim of a 0-d tensor keep their result, as over all dims
    "amax_of_scalar_along_its_dim_changed": """
x = torch.tensor(1.5, requires_grad=True)
h = x.amax(0) + x.amin(-1, keepdim=True)
out = [h, h.shape, x.amax(-1).grad_fn.name()]
h.backward()
out.append(x.grad)
y = x.amax(-1)
with torch.no_grad():
    y.mul_(2)
y.backward()
""",
    "split_pieces_unchanged": """
z = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
c, d = (z * 2).split(2)
(c * d).sum().backward()
out = [z.grad, c.grad_fn is not None]
""",
}


def _run(lib, src):
    """(index of the statement that raised or None, the exception's class, the `out` list)."""
    ns = {"torch": lib, "F": lib.nn.functional}
    lines = src.strip().split("\n")
    i = 0
    stmts = []
    while i < len(lines):  # a statement with its indented block
        j = i + 1
        while j < len(lines) and lines[j].startswith(" "):
            j += 1
        stmts.append("\n".join(lines[i:j]))
        i = j
    for k, stmt in enumerate(stmts):
        try:
            exec(stmt, ns)
        except Exception as e:
            return k, type(e), ns.get("out")
    return None, None, ns.get("out")


def _plain(v):
    if hasattr(v, "detach"):
        return np.asarray(v.detach().numpy(), np.float64)
    if isinstance(v, tuple):
        return tuple(int(s) for s in v)
    return v


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_same_outcome_as_torch(name):
    src = PROGRAMS[name]
    t_at, t_exc, t_out = _run(torch, src)
    p_at, p_exc, p_out = _run(pn, src)
    assert p_at == t_at, (p_exc, t_exc)
    assert (p_exc is None) == (t_exc is None) and (p_exc is None or issubclass(p_exc, t_exc)), (p_exc, t_exc)
    assert (p_out is None) == (t_out is None)
    for tv, pv in zip(t_out or [], p_out or []):
        tv, pv = _plain(tv), _plain(pv)
        if isinstance(tv, np.ndarray):
            np.testing.assert_allclose(pv, tv, rtol=1e-5, atol=1e-6)
        else:
            assert pv == tv

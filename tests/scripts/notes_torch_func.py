"""The torch.func tutorials: grad, vmap (in_dims, out_dims, nested, randomness), jacrev, jacfwd,
hessian, jvp/vjp, functional_call, model ensembling with stack_module_state, per-sample
gradients with vmap(grad(...)); and torch.autograd.functional's jacobian, hessian, vjp, jvp, hvp, vhp."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import (
    grad,
    vmap,
    jacrev,
    jacfwd,
    hessian,
    functional_call,
    stack_module_state,
    jvp,
    vjp,
    grad_and_value,
)
import copy
from torch.autograd.functional import jacobian, hessian as ahessian, vjp as avjp, jvp as ajvp, hvp, vhp


def case(name, fn, expected=RuntimeError):
    """What fn returns, or whether what it raised is the class torch raises (expected)."""
    try:
        r = fn()
        print(name, "->", r)
    except Exception as e:
        print(name, "!!", expected.__name__ if isinstance(e, expected) else f"unexpected {type(e).__name__}")


torch.manual_seed(0)
x = torch.randn([])
print(grad(torch.sin)(x), x.cos())
print(grad(grad(torch.sin))(x), -x.sin())


def f(x, y):
    return (x * y).sum()


x, y = torch.randn(3), torch.randn(3)
print(grad(f, argnums=(0, 1))(x, y))
print(grad_and_value(f)(x, y))


def g(x):
    return x.sin().sum(), x.cos()


print(grad(g, has_aux=True)(x))
# vmap
batched_dot = vmap(torch.dot)
a, b = torch.randn(2, 5), torch.randn(2, 5)
print(batched_dot(a, b))
w = torch.randn(3, 3, requires_grad=False)


def model(feature_vec):
    return feature_vec.dot(w[0]).relu()


examples = torch.randn(4, 3)
print(vmap(model)(examples))
print(vmap(torch.mul, in_dims=(0, None))(torch.randn(3, 2), torch.randn(2)).shape)
print(vmap(lambda t: t.sum(0), in_dims=1)(torch.randn(2, 3, 4)).shape)
print(vmap(lambda t: t * 2, out_dims=1)(torch.randn(2, 3)).shape)
print(vmap(vmap(torch.dot))(torch.randn(2, 3, 4), torch.randn(2, 3, 4)).shape)
print(vmap(lambda d: d["a"] + d["b"])({"a": torch.ones(2, 3), "b": torch.ones(2, 3)}).shape)
case("vmap bad dims", lambda: vmap(torch.mul)(torch.randn(3, 2), torch.randn(4, 2)), ValueError)
print(vmap(torch.sum, in_dims=0, out_dims=0, chunk_size=2)(torch.randn(5, 3)).shape)
print(vmap(lambda x: (x, x.sum()), out_dims=(0, None) if False else 0)(torch.randn(3, 2))[1].shape)
case("vmap randomness error", lambda: vmap(lambda t: t + torch.randn(2))(torch.ones(3, 2)))
print(vmap(lambda t: t + torch.rand(2), randomness="same")(torch.ones(3, 2)).shape)
# jacobians
x = torch.randn(5)
jac = jacrev(torch.sin)(x)
print(torch.allclose(jac, torch.diag(torch.cos(x))))
jac = jacfwd(torch.sin)(x)
print(torch.allclose(jac, torch.diag(torch.cos(x))))


def predict(weight, bias, x):
    return F.linear(x, weight, bias).tanh()


D = 4
weight = torch.randn(D, D)
bias = torch.randn(D)
x = torch.randn(D)
ft_jacobian = jacrev(predict, argnums=2)(weight, bias, x)
print(ft_jacobian.shape)
ft_jac_weight, ft_jac_bias = jacrev(predict, argnums=(0, 1))(weight, bias, x)
print(ft_jac_weight.shape, ft_jac_bias.shape)
jf = jacfwd(predict, argnums=2)(weight, bias, x)
print(torch.allclose(jf, ft_jacobian, atol=1e-6))
batch_size = 3
xb = torch.randn(batch_size, D)
compute_batch_jacobian = vmap(jacrev(predict, argnums=2), in_dims=(None, None, 0))
print(compute_batch_jacobian(weight, bias, xb).shape)


def predict_with_output_summed(weight, bias, x):
    return predict(weight, bias, x).sum(0)


bj = jacrev(predict_with_output_summed, argnums=2)(weight, bias, xb).movedim(1, 0)
print(bj.shape)
hess = hessian(torch.sin)(torch.randn(3))
print(hess.shape)
h2 = jacfwd(jacrev(predict, argnums=2), argnums=2)(weight, bias, x)
print(h2.shape)
h3 = hessian(predict, argnums=2)(weight, bias, x)
print(torch.allclose(h2, h3, atol=1e-5))
print(jacrev(lambda a: (a.sin(), a.cos()))(torch.randn(2))[1].shape)
print(jacrev(lambda a: a.sum(), has_aux=False)(torch.randn(2, 3)).shape)
print(jacrev(lambda a: (a.sin(), a.sum()), has_aux=True)(torch.randn(2))[1])
# jvp / vjp
x = torch.randn(5)
t = torch.randn(5)
out, jvp_out = jvp(torch.sin, (x,), (t,))
print(torch.allclose(jvp_out, x.cos() * t))
out, vjp_fn = vjp(torch.sin, x)
print(torch.allclose(vjp_fn(torch.ones(5))[0], x.cos()))
case("jvp non-tuple", lambda: jvp(torch.sin, x, t))
# functional_call
model = nn.Linear(3, 3)
params = dict(model.named_parameters())
xx = torch.randn(2, 3)
print(torch.allclose(functional_call(model, params, (xx,)), model(xx)))
zero = {k: torch.zeros_like(v) for k, v in params.items()}
print(functional_call(model, zero, xx))
print(functional_call(model, ({"weight": torch.eye(3)}, {"bias": torch.zeros(3)}), (xx,)).equal(xx))


# model ensembling
class SimpleMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784 // 49, 8)
        self.fc2 = nn.Linear(8, 4)
        self.fc3 = nn.Linear(4, 2)

    def forward(self, x):
        x = x.flatten(1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


num_models = 3
data = torch.randn(5, 2, 4, 4)
models = [SimpleMLP() for _ in range(num_models)]
minibatches = data[:num_models]
predictions_diff_minibatch_loop = [m(mb) for m, mb in zip(models, minibatches)]
params, buffers = stack_module_state(models)
print([(k, v.shape) for k, v in params.items()], buffers)
base_model = copy.deepcopy(models[0])


def fmodel(params, buffers, x):
    return functional_call(base_model, (params, buffers), (x,))


predictions1_vmap = vmap(fmodel)(params, buffers, minibatches)
print(torch.allclose(predictions1_vmap, torch.stack(predictions_diff_minibatch_loop), atol=1e-3, rtol=1e-5))
predictions2_vmap = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, data[0])
print(predictions2_vmap.shape)
print(params["fc1.weight"].requires_grad, params["fc1.weight"].is_leaf)
# per-sample grads
model = SimpleMLP()
params = {k: v.detach() for k, v in model.named_parameters()}
buffers = {k: v.detach() for k, v in model.named_buffers()}


def compute_loss(params, buffers, sample, target):
    batch = sample.unsqueeze(0)
    targets = target.unsqueeze(0)
    predictions = functional_call(model, (params, buffers), (batch,))
    return F.cross_entropy(predictions, targets)


ft_compute_grad = grad(compute_loss)
ft_compute_sample_grad = vmap(ft_compute_grad, in_dims=(None, None, 0, 0))
data = torch.randn(5, 4, 4)
targets = torch.randint(2, (5,))
ft = ft_compute_sample_grad(params, buffers, data, targets)


def compute_grad(sample, target):
    sample = sample.unsqueeze(0)
    target = target.unsqueeze(0)
    loss = F.cross_entropy(model(sample), target)
    return torch.autograd.grad(loss, list(model.parameters()))


sg = [compute_grad(data[i], targets[i]) for i in range(5)]
sg = zip(*sg)
sg = [torch.stack(s) for s in sg]
for per_sample_grad, ft_per_sample_grad in zip(sg, ft.values()):
    print(per_sample_grad.shape, torch.allclose(per_sample_grad, ft_per_sample_grad, atol=3e-3, rtol=1e-5))
print(type(ft).__name__, list(ft))
torch.manual_seed(0)


def exp_reducer(x):
    return x.exp().sum(dim=1)


inputs = torch.rand(2, 2)
print(jacobian(exp_reducer, inputs))
print(jacobian(exp_reducer, inputs, create_graph=True))
print(jacobian(exp_reducer, inputs, vectorize=True, strategy="forward-mode"))


def exp_adder(x, y):
    return 2 * x.exp() + 3 * y


print(jacobian(exp_adder, (torch.rand(2), torch.rand(2))))


def pow_reducer(x):
    return x.pow(3).sum()


print(ahessian(pow_reducer, torch.rand(2, 2)).shape)


def pow_adder_reducer(x, y):
    return (2 * x.pow(2) + 3 * y.pow(2)).sum()


print(ahessian(pow_adder_reducer, (torch.rand(2), torch.rand(2))))


def exp_reducer2(x):
    return x.exp().sum(dim=1)


print(avjp(exp_reducer2, torch.rand(4, 4), torch.ones(4)))


def adder(x, y):
    return 2 * x + 3 * y


print(avjp(adder, (torch.rand(2), torch.rand(2)), torch.ones(2)))
print(ajvp(exp_reducer2, torch.rand(4, 4), torch.ones(4, 4))[1].shape)
print(hvp(pow_reducer, torch.rand(2, 2), torch.ones(2, 2))[1])
print(vhp(pow_reducer, torch.rand(2, 2), torch.ones(2, 2))[1].shape)
case("jacobian nontensor", lambda: jacobian(lambda x: 3, torch.rand(2)), TypeError)
case("jacobian strict", lambda: jacobian(lambda x: torch.ones(2), torch.rand(2), strict=True))
print(jacobian(lambda x: torch.ones(2), torch.rand(2)))
# func over model params
model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
params = {k: v.detach() for k, v in model.named_parameters()}
x = torch.randn(5, 3)
y = torch.randn(5, 1)


def loss_fn(p, x, y):
    return F.mse_loss(functional_call(model, p, (x,)), y)


g = grad(loss_fn)(params, x, y)
print({k: v.shape for k, v in g.items()})
ref = torch.autograd.grad(loss_fn(dict(model.named_parameters()), x, y), list(model.parameters()))
print(all(torch.allclose(a, b, atol=1e-6) for a, b in zip(g.values(), ref)))
J = jacrev(lambda p: functional_call(model, p, (x,)))(params)
print({k: v.shape for k, v in J.items()})
H = hessian(loss_fn)(params, x, y)
print(H["0.bias"]["0.bias"].shape, H["2.weight"]["0.weight"].shape)
# batchnorm with vmap
bn_model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
case("vmap bn train", lambda: vmap(lambda xx: bn_model(xx.unsqueeze(0)))(torch.randn(5, 3)).shape, ValueError)
bn_model.eval()
print(vmap(lambda xx: bn_model(xx.unsqueeze(0)))(torch.randn(5, 3)).shape)
from torch.func import replace_all_batch_norm_modules_  # noqa: E402

bn2 = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
replace_all_batch_norm_modules_(bn2)
print(bn2[1].running_mean, bn2[1].track_running_stats)
print(vmap(lambda xx: bn2(xx))(torch.randn(2, 5, 3)).shape)
# vmap in_dims nested
print(vmap(lambda d, s: d["a"] * s, in_dims=({"a": 0}, None))({"a": torch.ones(3, 2)}, 2.0).shape)
print(vmap(lambda a, b: a @ b, in_dims=(0, None), out_dims=1)(torch.randn(4, 2, 3), torch.randn(3, 5)).shape)
case(
    "vmap in_dims too many",
    lambda: vmap(torch.add, in_dims=(0, 0, 0))(torch.ones(2), torch.ones(2)),
    ValueError,
)
case("vmap in_dims oob", lambda: vmap(torch.sum, in_dims=2)(torch.ones(2, 3)), ValueError)
case("vmap no batched", lambda: vmap(torch.sum, in_dims=None)(torch.ones(2, 3)), ValueError)
case("vmap diff sizes", lambda: vmap(torch.add)(torch.ones(2), torch.ones(3)), ValueError)
case("grad nonscalar", lambda: grad(torch.sin)(torch.ones(2)))
case("grad has_aux bad", lambda: grad(lambda t: t.sum(), has_aux=True)(torch.ones(2)))
case("grad argnums bad", lambda: grad(lambda t: t.sum(), argnums=1)(torch.ones(2)))
case("jacrev int out", lambda: jacrev(lambda t: 3)(torch.ones(2)))
print(vmap(jacrev(torch.sin))(torch.randn(3, 2)).shape)
print(jacfwd(jacrev(lambda t: (t**3).sum()))(torch.tensor([1.0, 2.0])))
print(grad(lambda t: torch.where(t > 0, t, 0.0).sum())(torch.tensor([-1.0, 2.0])))
print(vjp(lambda a, b: a * b, torch.ones(2), torch.ones(2) * 3)[1](torch.ones(2)))
print(jvp(lambda a: a**2, (torch.tensor([1.0, 2.0]),), (torch.ones(2),)))
print(grad(lambda x: x.detach().sum() + x.sum())(torch.ones(2)))
x = torch.ones(2, requires_grad=True)
print(grad(lambda t: (t * x).sum())(torch.ones(2)), x.grad)

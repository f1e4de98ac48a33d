import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap, jacrev, hessian, stack_module_state

torch.manual_seed(0)


class SimpleCNN(nn.Module):
    def __init__(self):
        super(SimpleCNN, self).__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.fc1 = nn.Linear(4 * 4 * 4, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        output = F.log_softmax(x, dim=1)
        return output


def loss_fn(predictions, targets):
    return F.nll_loss(predictions, targets)


batch_size = 8
data = torch.randn(batch_size, 1, 10, 10)
targets = torch.randint(10, (batch_size,))
model = SimpleCNN()


def compute_grad(sample, target):
    sample = sample.unsqueeze(0)
    target = target.unsqueeze(0)
    prediction = model(sample)
    loss = loss_fn(prediction, target)
    return torch.autograd.grad(loss, list(model.parameters()))


def compute_sample_grads(data, targets):
    sample_grads = [compute_grad(data[i], targets[i]) for i in range(batch_size)]
    sample_grads = zip(*sample_grads)
    sample_grads = [torch.stack(shards) for shards in sample_grads]
    return sample_grads


per_sample_grads = compute_sample_grads(data, targets)
print(per_sample_grads[1].shape, per_sample_grads[0].shape)
params = {k: v.detach() for k, v in model.named_parameters()}
buffers = {k: v.detach() for k, v in model.named_buffers()}


def compute_loss(params, buffers, sample, target):
    batch = sample.unsqueeze(0)
    targets = target.unsqueeze(0)
    predictions = functional_call(model, (params, buffers), (batch,))
    loss = loss_fn(predictions, targets)
    return loss


ft_compute_grad = grad(compute_loss)
ft_compute_sample_grad = vmap(ft_compute_grad, in_dims=(None, None, 0, 0))
ft_per_sample_grads = ft_compute_sample_grad(params, buffers, data, targets)
for per_sample_grad, ft_per_sample_grad in zip(per_sample_grads, ft_per_sample_grads.values()):
    assert torch.allclose(per_sample_grad, ft_per_sample_grad, atol=3e-3, rtol=1e-5)
print(list(ft_per_sample_grads.keys()), ft_per_sample_grads["fc1.bias"][0, :3])
# model ensembling
models = [nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)) for _ in range(3)]
minibatch = torch.randn(5, 4)
predictions_diff = [m(minibatch) for m in models]
ens_params, ens_buffers = stack_module_state(models)
print({k: tuple(v.shape) for k, v in ens_params.items()})
base = models[0]


def fmodel(params, buffers, x):
    return functional_call(base, (params, buffers), (x,))


predictions_vmap = vmap(fmodel, in_dims=(0, 0, None))(ens_params, ens_buffers, minibatch)
print(predictions_vmap.shape, torch.allclose(predictions_vmap, torch.stack(predictions_diff), atol=1e-6))
# jacobians and hessians
x = torch.randn(3)
f = lambda x: x.sin() * x.sum()
print(jacrev(f)(x))
print(hessian(lambda x: (x**3).sum())(x.abs() + 0.1))
print(
    vmap(torch.dot)(torch.randn(4, 3), torch.randn(4, 3)).shape,
    vmap(lambda r: r.sum(), in_dims=1)(torch.ones(2, 5)),
)
print(
    grad(lambda x: (x**2).sum())(torch.tensor([1.0, 2.0])),
    grad(lambda a, b: a * b, argnums=1)(torch.tensor(3.0), torch.tensor(4.0)),
)

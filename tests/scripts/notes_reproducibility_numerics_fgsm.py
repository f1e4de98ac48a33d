"""PyTorch's "Broadcasting semantics", "Reproducibility", "Numerical accuracy", "CPU threading"
and FAQ notes, the FGSM adversarial-example tutorial and the "Zeroing out gradients" /
"What is a state_dict" recipes, on tiny synthetic data."""

import torch, random
import numpy as np
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


def case(name, fn, expected=RuntimeError):
    """What fn returns, or whether what it raised is the class torch raises (expected)."""
    try:
        r = fn()
        print(name, "->", r)
    except Exception as e:
        print(name, "!!", expected.__name__ if isinstance(e, expected) else f"unexpected {type(e).__name__}")


# broadcasting
x = torch.empty(5, 7, 3)
y = torch.empty(5, 7, 3)
print((x + y).size())
x = torch.empty((0,))
y = torch.empty(2, 2)
case("empty bcast", lambda: (x + y).size())
x = torch.empty(5, 3, 4, 1)
y = torch.empty(3, 1, 1)
print((x + y).size())
x = torch.empty(5, 2, 4, 1)
y = torch.empty(3, 1, 1)
case("nonbcast", lambda: (x + y).size())
x = torch.empty(1, 3, 1)
y = torch.empty(3, 1, 7)
print((x + y).size())
x = torch.empty(5, 1, 4, 1)
y = torch.empty(3, 1, 1)
print((x + y).size())
x = torch.empty(5, 3, 4, 1)
y = torch.empty(3, 1, 1)
print(x.add_(y).size())
x = torch.empty(1, 3, 1)
y = torch.empty(3, 1, 7)
case("inplace bcast", lambda: x.add_(y).size())
print(torch.add(torch.ones(4, 1), torch.randn(4)).size())
case("pointwise numel", lambda: torch.add(torch.ones(4, 1), torch.ones(1, 4)).size())
case("expand_as", lambda: torch.ones(3).expand_as(torch.ones(2, 2)))
case("mul_ bcast out shape", lambda: torch.ones(3).mul_(torch.ones(2, 3)))
# reproducibility
torch.manual_seed(0)
random.seed(0)
np.random.seed(0)
print(torch.rand(2), random.random(), np.random.rand())
torch.use_deterministic_algorithms(True)
print(torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled())
torch.use_deterministic_algorithms(False)
torch.use_deterministic_algorithms(True, warn_only=True)
print(torch.is_deterministic_algorithms_warn_only_enabled())
torch.use_deterministic_algorithms(False)
torch.backends.cudnn.benchmark = False
torch.backends.cudnn.deterministic = True
print(torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)


def seed_worker(worker_id):
    worker_seed = torch.initial_seed() % 2**32
    np.random.seed(worker_seed)
    random.seed(worker_seed)


g = torch.Generator()
g.manual_seed(0)
ds = TensorDataset(torch.arange(10.0))
dl = DataLoader(ds, batch_size=3, shuffle=True, num_workers=0, worker_init_fn=seed_worker, generator=g)
print([b[0].tolist() for b in dl])
g.manual_seed(0)
print([b[0].tolist() for b in DataLoader(ds, batch_size=3, shuffle=True, generator=g)])
print(torch.initial_seed())
torch.manual_seed(42)
print(torch.initial_seed(), torch.seed() > 0)
print(torch.get_rng_state().shape, torch.get_rng_state().dtype)
torch.manual_seed(0)
s = torch.get_rng_state()
a = torch.randn(3)
torch.set_rng_state(s)
print(torch.equal(a, torch.randn(3)))
g = torch.Generator().manual_seed(2147483647)
print(torch.randn(2, generator=g), torch.randint(0, 10, (3,), generator=g), torch.randperm(5, generator=g))
print(g.initial_seed(), g.get_state().shape)
# numerical accuracy
x = torch.tensor([1e8, 1.0, -1e8])
print(x.sum())
print(torch.finfo(torch.float32))
print(
    torch.finfo(torch.float32).eps,
    torch.finfo(torch.float32).max,
    torch.finfo(torch.float32).tiny,
    torch.finfo(torch.float16).max,
    torch.finfo(torch.bfloat16).eps,
)
print(
    torch.finfo().dtype,
    torch.finfo(torch.float64).resolution,
    torch.finfo(torch.float32).smallest_normal,
    torch.finfo(torch.float32).bits,
)
print(
    torch.iinfo(torch.int64),
    torch.iinfo(torch.int8).max,
    torch.iinfo(torch.uint8).min,
    torch.iinfo(torch.int32).bits,
)
case("finfo int", lambda: torch.finfo(torch.int32), TypeError)
case("iinfo float", lambda: torch.iinfo(torch.float32), TypeError)
a = torch.tensor([1e20, 1e20])
print(a.norm(), a.double().norm())
x = torch.tensor([1e-30])
print(x * x, torch.exp(torch.tensor([100.0])), torch.log(torch.tensor([0.0])))
print(torch.tensor([float("inf")]) - torch.tensor([float("inf")]))
v = torch.randn(1000, dtype=torch.float64)
print(torch.allclose(v.float().sum().double(), v.sum(), atol=1e-3))
print(torch.tensor(3.14159265358979, dtype=torch.float64).float().item())
print(torch.get_default_dtype())
torch.set_default_dtype(torch.float64)
print(torch.tensor([1.5]).dtype, torch.randn(1).dtype)
torch.set_default_dtype(torch.float32)
print(
    torch.backends.cuda.matmul.allow_tf32,
    torch.backends.cudnn.allow_tf32,
    torch.get_float32_matmul_precision(),
)
torch.set_float32_matmul_precision("high")
print(torch.get_float32_matmul_precision())
torch.set_float32_matmul_precision("highest")
# threading
print(torch.get_num_threads() >= 1)
threads = torch.get_num_threads()
torch.set_num_threads(1)
print(torch.get_num_threads())
print(torch.get_num_interop_threads() >= 1)
case("set_num_threads 0", lambda: torch.set_num_threads(0))
case("set_num_threads -1", lambda: torch.set_num_threads(-1))
torch.set_num_threads(threads)
# FAQ
model = nn.Linear(3, 1)
criterion = nn.MSELoss()
total_loss = 0
for i in range(3):
    out = model(torch.randn(4, 3))
    loss = criterion(out, torch.randn(4, 1))
    loss.backward()
    total_loss += loss
print(type(total_loss).__name__, total_loss.requires_grad, total_loss.grad_fn.__class__.__name__)
total_loss = 0
for i in range(3):
    out = model(torch.randn(4, 3))
    loss = criterion(out, torch.randn(4, 1))
    total_loss += float(loss)
print(type(total_loss).__name__)
torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.conv2 = nn.Conv2d(4, 8, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(8 * 2 * 2, 16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


model = Net()
model.eval()


def fgsm_attack(image, epsilon, data_grad):
    sign_data_grad = data_grad.sign()
    perturbed_image = image + epsilon * sign_data_grad
    perturbed_image = torch.clamp(perturbed_image, 0, 1)
    return perturbed_image


def denorm(batch, mean=None, std=None):
    if std is None:
        std = [0.3081]
    if mean is None:
        mean = [0.1307]
    if isinstance(mean, list):
        mean = torch.tensor(mean)
    if isinstance(std, list):
        std = torch.tensor(std)
    return batch * std.view(1, -1, 1, 1) + mean.view(1, -1, 1, 1)


data_all = torch.rand(12, 1, 8, 8)
target_all = torch.randint(0, 10, (12,))


def test(model, device, epsilon):
    correct = 0
    adv_examples = []
    for i in range(12):
        data, target = data_all[i : i + 1], target_all[i : i + 1]
        data.requires_grad = True
        output = model(data)
        init_pred = output.max(1, keepdim=True)[1]
        if init_pred.item() != target.item():
            continue
        loss = F.nll_loss(output, target)
        model.zero_grad()
        loss.backward()
        data_grad = data.grad.data
        data_denorm = denorm(data)
        perturbed_data = fgsm_attack(data_denorm, epsilon, data_grad)
        perturbed_data_normalized = (
            (perturbed_data - 0.1307) / 0.3081
            if False
            else torch.nn.functional.normalize(perturbed_data, dim=0) * 0 + (perturbed_data - 0.1307) / 0.3081
        )
        output = model(perturbed_data_normalized)
        final_pred = output.max(1, keepdim=True)[1]
        if final_pred.item() == target.item():
            correct += 1
            if epsilon == 0 and len(adv_examples) < 5:
                adv_ex = perturbed_data.squeeze().detach().cpu().numpy()
                adv_examples.append((init_pred.item(), final_pred.item(), adv_ex))
        else:
            if len(adv_examples) < 5:
                adv_ex = perturbed_data.squeeze().detach().cpu().numpy()
                adv_examples.append((init_pred.item(), final_pred.item(), adv_ex))
    final_acc = correct / float(12)
    print(f"Epsilon: {epsilon}\tTest Accuracy = {correct} / {12} = {final_acc}")
    return final_acc, adv_examples


accuracies = []
examples = []
for eps in [0, 0.05, 0.1, 0.3]:
    acc, ex = test(model, "cpu", eps)
    accuracies.append(acc)
    examples.append(ex)
print(
    [len(e) for e in examples],
    [type(e[0][2]).__name__ if e else None for e in examples],
    [e[0][2].shape if e else None for e in examples],
)
# zeroing grads recipe
net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
for epoch in range(2):
    running_loss = 0.0
    for i in range(3):
        inputs, labels = torch.randn(5, 4), torch.randint(0, 2, (5,))
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    print("[%d] loss: %.3f" % (epoch + 1, running_loss / 3))
print(net[0].weight.grad is None)
optimizer.zero_grad()
print(net[0].weight.grad)
net.zero_grad(set_to_none=False)
print(net[0].weight.grad)
# state_dict recipe
print("Model's state_dict:")
for param_tensor in net.state_dict():
    print(param_tensor, "\t", net.state_dict()[param_tensor].size())
print("Optimizer's state_dict:")
for var_name in optimizer.state_dict():
    print(var_name, "\t", optimizer.state_dict()[var_name])

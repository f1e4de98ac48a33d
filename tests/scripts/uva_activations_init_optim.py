import json
import math
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import torch.utils.data as data


def set_seed(seed):
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed(seed)
        torch.cuda.manual_seed_all(seed)


set_seed(42)
device = torch.device("cpu") if not torch.cuda.is_available() else torch.device("cuda:0")
print("Using device", device)
CHECKPOINT_PATH = tempfile.mkdtemp()


class ActivationFunction(nn.Module):
    def __init__(self):
        super().__init__()
        self.name = self.__class__.__name__
        self.config = {"name": self.name}


class Sigmoid(ActivationFunction):
    def forward(self, x):
        return 1 / (1 + torch.exp(-x))


class Tanh(ActivationFunction):
    def forward(self, x):
        x_exp, neg_x_exp = torch.exp(x), torch.exp(-x)
        return (x_exp - neg_x_exp) / (x_exp + neg_x_exp)


class ReLU(ActivationFunction):
    def forward(self, x):
        return x * (x > 0).float()


class LeakyReLU(ActivationFunction):
    def __init__(self, alpha=0.1):
        super().__init__()
        self.config["alpha"] = alpha

    def forward(self, x):
        return torch.where(x > 0, x, self.config["alpha"] * x)


class ELU(ActivationFunction):
    def forward(self, x):
        return torch.where(x > 0, x, torch.exp(x) - 1)


class Swish(ActivationFunction):
    def forward(self, x):
        return x * torch.sigmoid(x)


act_fn_by_name = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leakyrelu": LeakyReLU,
    "elu": ELU,
    "swish": Swish,
}


def get_grads(act_fn, x):
    x = x.clone().requires_grad_()
    out = act_fn(x)
    out.sum().backward()
    return x.grad


x = torch.linspace(-5, 5, 11)
for act_fn in [f() for f in act_fn_by_name.values()]:
    y = act_fn(x)
    y_grads = get_grads(act_fn, x)
    xs, ys, gs = x.cpu().numpy(), y.cpu().numpy(), y_grads.cpu().numpy()
    print(act_fn.name, act_fn, act_fn.config, ys.round(4), gs.round(4))
print(
    get_grads(nn.ReLU(), torch.tensor([-1.0, 0.0, 1.0])), get_grads(ELU(), torch.tensor([-100.0, 0.0, 100.0]))
)
print(
    get_grads(Tanh(), torch.tensor([-100.0, 0.0, 100.0])),
    get_grads(nn.Tanh(), torch.tensor([-100.0, 0.0, 100.0])),
)


class BaseNetwork(nn.Module):
    def __init__(self, act_fn, input_size=784, num_classes=10, hidden_sizes=[32, 16, 16]):  # noqa: B006 (as the notebook)
        super().__init__()
        layers = []
        layer_sizes = [input_size] + hidden_sizes
        for layer_index in range(1, len(layer_sizes)):
            layers += [nn.Linear(layer_sizes[layer_index - 1], layer_sizes[layer_index]), act_fn]
        layers += [nn.Linear(layer_sizes[-1], num_classes)]
        self.layers = nn.Sequential(*layers)
        self.config = {
            "act_fn": act_fn.config,
            "input_size": input_size,
            "num_classes": num_classes,
            "hidden_sizes": hidden_sizes,
        }

    def forward(self, x):
        x = x.view(x.size(0), -1)
        out = self.layers(x)
        return out


def _get_config_file(model_path, model_name):
    return os.path.join(model_path, model_name + ".config")


def _get_model_file(model_path, model_name):
    return os.path.join(model_path, model_name + ".tar")


def load_model(model_path, model_name, net=None):
    config_file, model_file = (
        _get_config_file(model_path, model_name),
        _get_model_file(model_path, model_name),
    )
    with open(config_file) as f:
        config_dict = json.load(f)
    if net is None:
        act_fn_name = config_dict["act_fn"].pop("name").lower()
        act_fn = act_fn_by_name[act_fn_name](**config_dict.pop("act_fn"))
        net = BaseNetwork(act_fn=act_fn, **config_dict)
    net.load_state_dict(torch.load(model_file, map_location=device))
    return net


def save_model(model, model_path, model_name):
    config_dict = model.config
    os.makedirs(model_path, exist_ok=True)
    config_file, model_file = (
        _get_config_file(model_path, model_name),
        _get_model_file(model_path, model_name),
    )
    with open(config_file, "w") as f:
        json.dump(config_dict, f)
    torch.save(model.state_dict(), model_file)


# a FashionMNIST stand-in, normalised as transforms.Normalize((0.5,), (0.5,)) does
g = torch.Generator().manual_seed(0)
labels_all = torch.randint(0, 10, (600,), generator=g)
protos = torch.rand(10, 1, 28, 28, generator=g)
imgs_all = ((0.6 * protos[labels_all] + 0.4 * torch.rand(600, 1, 28, 28, generator=g)) - 0.5) / 0.5
full = data.TensorDataset(imgs_all, labels_all)
train_set, val_set = torch.utils.data.random_split(
    full, [500, 100], generator=torch.Generator().manual_seed(42)
)
print(len(train_set), len(val_set), train_set.indices[:5], type(train_set).__name__)
val_loader = data.DataLoader(val_set, batch_size=64, shuffle=False, drop_last=False)
exmp_imgs = [train_set[i][0] for i in range(4)]
print(torch.stack(exmp_imgs, dim=0).shape)


def visualize_gradients(net):
    net.eval()
    small_loader = data.DataLoader(train_set, batch_size=128, shuffle=False)
    imgs, labels = next(iter(small_loader))
    imgs, labels = imgs.to(device), labels.to(device)
    net.zero_grad()
    preds = net(imgs)
    loss = F.cross_entropy(preds, labels)
    loss.backward()
    grads = {
        name: params.grad.data.view(-1).cpu().clone().numpy()
        for name, params in net.named_parameters()
        if "weight" in name
    }
    net.zero_grad()
    for key in grads:
        print(
            f"{key}: mean {grads[key].mean():.3e}, std {grads[key].std():.3e}, abs max {np.abs(grads[key]).max():.3e}"
        )


for i, act_fn_name in enumerate(act_fn_by_name):
    set_seed(42)
    act_fn = act_fn_by_name[act_fn_name]()
    net_actfn = BaseNetwork(act_fn=act_fn).to(device)
    print(act_fn_name)
    visualize_gradients(net_actfn)
print(net_actfn)
print(
    len(list(net_actfn.parameters())),
    len(list(net_actfn.modules())),
    [n for n, _ in net_actfn.named_modules()],
)


def test_model(net, data_loader):
    net.eval()
    true_preds, count = 0.0, 0
    for imgs, labels in data_loader:
        imgs, labels = imgs.to(device), labels.to(device)
        with torch.no_grad():
            preds = net(imgs).argmax(dim=-1)
            true_preds += (preds == labels).sum().item()
            count += labels.shape[0]
    return true_preds / count


def train_model(net, model_name, max_epochs=3, patience=7, batch_size=64):
    optimizer = optim.SGD(net.parameters(), lr=1e-2, momentum=0.9)
    loss_module = nn.CrossEntropyLoss()
    train_loader_local = data.DataLoader(
        train_set, batch_size=batch_size, shuffle=True, drop_last=True, pin_memory=True
    )
    val_scores = []
    best_val_epoch = -1
    for epoch in range(max_epochs):
        net.train()
        true_preds, count = 0.0, 0
        for imgs, labels in train_loader_local:
            imgs, labels = imgs.to(device), labels.to(device)
            optimizer.zero_grad()
            preds = net(imgs)
            loss = loss_module(preds, labels)
            loss.backward()
            optimizer.step()
            true_preds += (preds.argmax(dim=-1) == labels).sum()
            count += labels.shape[0]
        train_acc = true_preds / count
        val_acc = test_model(net, val_loader)
        val_scores.append(val_acc)
        print(
            f"[Epoch {epoch + 1:2d}] Training accuracy: {train_acc * 100.0:05.2f}%, Validation accuracy: {val_acc * 100.0:05.2f}%"
        )
        if len(val_scores) == 1 or val_acc > val_scores[best_val_epoch]:
            print("\t   (New best performance, saving model...)")
            save_model(net, CHECKPOINT_PATH, model_name)
            best_val_epoch = epoch
    load_model(CHECKPOINT_PATH, model_name, net=net)
    test_acc = test_model(net, val_loader)
    print((f" Test accuracy: {test_acc * 100.0:4.2f}% ").center(50, "=") + "\n")
    return test_acc


for act_fn_name in ["relu", "leakyrelu"]:
    set_seed(42)
    net_actfn = BaseNetwork(act_fn=act_fn_by_name[act_fn_name]()).to(device)
    train_model(net_actfn, f"FashionMNIST_{act_fn_name}")
net_loaded = load_model(model_path=CHECKPOINT_PATH, model_name="FashionMNIST_leakyrelu").to(device)
print(net_loaded.config, net_loaded.layers[1].config)


def measure_number_dead_neurons(net):
    neurons_dead = [
        torch.ones(layer.weight.shape[0], device=device, dtype=torch.bool)
        for layer in net.layers[:-1]
        if isinstance(layer, nn.Linear)
    ]
    net.eval()
    with torch.no_grad():
        for imgs, labels in data.DataLoader(train_set, batch_size=250):
            layer_index = 0
            imgs = imgs.to(device)
            imgs = imgs.view(imgs.size(0), -1)
            activations = {}
            for li, layer in enumerate(net.layers[:-1]):
                imgs = layer(imgs)
                activations[li] = imgs.view(-1).cpu().numpy()
                if isinstance(layer, ActivationFunction):
                    neurons_dead[layer_index] = torch.logical_and(
                        neurons_dead[layer_index], (imgs == 0).all(dim=0)
                    )
                    layer_index += 1
    number_neurons_dead = [t.sum().item() for t in neurons_dead]
    print("Number of dead neurons:", number_neurons_dead)
    print(
        "In percentage:",
        ", ".join(
            [
                f"{(100.0 * num_dead / tens.shape[0]):4.2f}%"
                for tens, num_dead in zip(neurons_dead, number_neurons_dead)
            ]
        ),
    )
    print({k: round(float(v.std()), 4) for k, v in activations.items()})


set_seed(42)
measure_number_dead_neurons(BaseNetwork(act_fn=ReLU(), hidden_sizes=[16] * 6).to(device))

# tutorial 4: initialisation
set_seed(42)


class Identity(ActivationFunction):
    def forward(self, x):
        return x


model = BaseNetwork(act_fn=Identity(), hidden_sizes=[64, 64, 64]).to(device)


def const_init(model, fill=0.0):
    for name, param in model.named_parameters():
        param.data.fill_(fill)


def var_init(model, std=0.01):
    for name, param in model.named_parameters():
        param.data.normal_(mean=0.0, std=std)


def equal_var_init(model):
    for name, param in model.named_parameters():
        if name.endswith(".bias"):
            param.data.fill_(0)
        else:
            param.data.normal_(std=1.0 / math.sqrt(param.shape[1]))


def xavier_init(model):
    for name, param in model.named_parameters():
        if name.endswith(".bias"):
            param.data.fill_(0)
        else:
            bound = math.sqrt(6) / math.sqrt(param.shape[0] + param.shape[1])
            param.data.uniform_(-bound, bound)


def kaiming_init(model):
    for name, param in model.named_parameters():
        if name.endswith(".bias"):
            param.data.fill_(0)
        elif name.startswith("layers.0"):
            param.data.normal_(0, 1 / math.sqrt(param.shape[1]))
        else:
            param.data.normal_(0, math.sqrt(2) / math.sqrt(param.shape[1]))


def activation_stats(model):
    imgs = imgs_all[:128].view(128, -1)
    with torch.no_grad():
        for index, layer in enumerate(model.layers):
            imgs = layer(imgs)
            if isinstance(layer, nn.Linear):
                print(f"  layer {index}: std {imgs.std().item():.4f}")


for init in (lambda m: const_init(m, fill=0.005), var_init, equal_var_init, xavier_init, kaiming_init):
    set_seed(42)
    init(model)
    visualize_gradients(model)
    activation_stats(model)
set_seed(1)
lin = nn.Linear(6, 4)
for fn in (
    nn.init.xavier_uniform_,
    nn.init.xavier_normal_,
    nn.init.kaiming_uniform_,
    nn.init.kaiming_normal_,
    nn.init.orthogonal_,
):
    fn(lin.weight)
    print(fn.__name__, lin.weight[0])
nn.init.kaiming_normal_(lin.weight, mode="fan_out", nonlinearity="relu")
for bad in (
    lambda: nn.init.kaiming_normal_(lin.weight, mode="fan"),
    lambda: nn.init.xavier_uniform_(lin.bias),
):
    try:
        bad()
    except ValueError as e:
        print("ValueError", e)
nn.init.zeros_(lin.bias)
nn.init.constant_(lin.weight, 0.5)
print(lin.weight.sum(), lin.bias, nn.init.calculate_gain("tanh"), nn.init.calculate_gain("leaky_relu", 0.2))
nn.init.trunc_normal_(lin.weight, std=0.02)
nn.init.normal_(lin.bias, mean=0.0, std=0.02)
print(lin.weight[0], lin.bias)


# tutorial 4: optimizers from scratch
class OptimizerTemplate:
    def __init__(self, params, lr):
        self.params = list(params)
        self.lr = lr

    def zero_grad(self):
        for p in self.params:
            if p.grad is not None:
                p.grad.detach_()
                p.grad.zero_()

    @torch.no_grad()
    def step(self):
        for p in self.params:
            if p.grad is None:
                continue
            self.update_param(p)

    def update_param(self, p):
        raise NotImplementedError


class SGD(OptimizerTemplate):
    def update_param(self, p):
        p_update = -self.lr * p.grad
        p.add_(p_update)


class SGDMomentum(OptimizerTemplate):
    def __init__(self, params, lr, momentum=0.0):
        super().__init__(params, lr)
        self.momentum = momentum
        self.param_momentum = {p: torch.zeros_like(p.data) for p in self.params}

    def update_param(self, p):
        self.param_momentum[p] = (1 - self.momentum) * p.grad + self.momentum * self.param_momentum[p]
        p_update = -self.lr * self.param_momentum[p]
        p.add_(p_update)


class Adam(OptimizerTemplate):
    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.param_step = {p: 0 for p in self.params}
        self.param_momentum = {p: torch.zeros_like(p.data) for p in self.params}
        self.param_2nd_momentum = {p: torch.zeros_like(p.data) for p in self.params}

    def update_param(self, p):
        self.param_step[p] += 1
        self.param_momentum[p] = (1 - self.beta1) * p.grad + self.beta1 * self.param_momentum[p]
        self.param_2nd_momentum[p] = (1 - self.beta2) * (p.grad) ** 2 + self.beta2 * self.param_2nd_momentum[
            p
        ]
        bias_correction_1 = 1 - self.beta1 ** self.param_step[p]
        bias_correction_2 = 1 - self.beta2 ** self.param_step[p]
        p_2nd_mom = self.param_2nd_momentum[p] / bias_correction_2
        p_mom = self.param_momentum[p] / bias_correction_1
        p_lr = self.lr / (torch.sqrt(p_2nd_mom) + self.eps)
        p_update = -p_lr * p_mom
        p.add_(p_update)


def pathological_curve_loss(w1, w2):
    x1_loss = torch.tanh(w1) ** 2 + 0.01 * torch.abs(w1)
    x2_loss = torch.sigmoid(w2)
    return x1_loss + x2_loss


def train_curve(optimizer_func, curve_func=pathological_curve_loss, num_updates=100, init=[5, 5]):  # noqa: B006
    weights = nn.Parameter(torch.FloatTensor(init), requires_grad=True)
    optimizer = optimizer_func([weights])
    list_points = []
    for _ in range(num_updates):
        loss = curve_func(weights[0], weights[1])
        list_points.append(torch.cat([weights.data.detach(), loss.unsqueeze(dim=0).detach()], dim=0))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    points = torch.stack(list_points, dim=0).numpy()
    return points


for name, fn in [
    ("SGD", lambda params: SGD(params, lr=1)),
    ("SGDMom", lambda params: SGDMomentum(params, lr=10, momentum=0.9)),
    ("Adam", lambda params: Adam(params, lr=1)),
    ("torch.SGD", lambda params: optim.SGD(params, lr=10, momentum=0.9, dampening=0.9)),
    ("torch.Adam", lambda params: optim.Adam(params, lr=1)),
]:
    points = train_curve(fn)
    print(name, points.shape, points.dtype, points[-1].round(4))


def bivar_gaussian(w1, w2, x_mean=-0.5, y_mean=-0.5, x_sig=1.0, y_sig=1.0):
    norm = 1 / (2 * np.pi * x_sig * y_sig)
    x_exp = (-1 * (w1 - x_mean) ** 2) / (2 * x_sig**2)
    y_exp = (-1 * (w2 - y_mean) ** 2) / (2 * y_sig**2)
    return norm * torch.exp(x_exp + y_exp)


def comb_func(w1, w2):
    z = -bivar_gaussian(w1, w2, x_mean=1.0, y_mean=-0.5, x_sig=0.2, y_sig=0.2)
    z -= bivar_gaussian(w1, w2, x_mean=-1.0, y_mean=0.5, x_sig=0.2, y_sig=0.2)
    z -= bivar_gaussian(w1, w2, x_mean=-0.5, y_mean=-0.8, x_sig=0.2, y_sig=0.2)
    return z


for name, fn in [("Adam", lambda params: Adam(params, lr=0.2))]:
    points = train_curve(fn, comb_func, init=[0, 0])
    print(name, points[-1].round(4))
x = torch.arange(-2, 2, 0.5)
y = torch.arange(-2, 2, 0.5)
xx, yy = torch.meshgrid([x, y], indexing="xy")
print(comb_func(xx, yy).shape, comb_func(xx, yy)[0, :3], torch.FloatTensor([5, 5]).type())

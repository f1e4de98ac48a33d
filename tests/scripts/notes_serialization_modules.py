"""PyTorch's "Serialization semantics" and "Modules" notes, and the state_dict / warmstarting
recipes: saving tensors that share storage, state_dicts, weights_only and safe globals,
checkpoints, buffers (persistent=False), apply, train/eval, hooks, parametrizations."""

import torch, io, os, tempfile, pickle
import torch.nn as nn
from torch.nn.utils import parametrize
import torch.nn.utils.parametrizations as P


def case(name, fn, expected=RuntimeError):
    """What fn returns, or whether what it raised is the class torch raises (expected)."""
    try:
        r = fn()
        print(name, "->", r)
    except Exception as e:
        print(name, "!!", expected.__name__ if isinstance(e, expected) else f"unexpected {type(e).__name__}")


d = tempfile.mkdtemp()
import atexit, shutil  # noqa: E402

atexit.register(shutil.rmtree, d, True)
t = torch.tensor([1.0, 2.0])
torch.save(t, os.path.join(d, "tensor.pt"))
print(torch.load(os.path.join(d, "tensor.pt")))
numbers = torch.arange(1, 10)
evens = numbers[1::2]
torch.save([numbers, evens], os.path.join(d, "tensors.pt"))
loaded_numbers, loaded_evens = torch.load(os.path.join(d, "tensors.pt"))
loaded_evens *= 2
print(loaded_numbers)
print(loaded_evens.untyped_storage().data_ptr() == loaded_numbers.untyped_storage().data_ptr())
large = torch.arange(1, 1000)
small = large[0:5]
torch.save(small, os.path.join(d, "small.pt"))
loaded_small = torch.load(os.path.join(d, "small.pt"))
print(loaded_small.untyped_storage().size(), loaded_small.storage().size())
torch.save(small.clone(), os.path.join(d, "small.pt"))
loaded_small = torch.load(os.path.join(d, "small.pt"))
print(loaded_small.storage().size())
bn = nn.BatchNorm1d(3, track_running_stats=True)
print(list(bn.named_parameters()))
print(list(bn.named_buffers()))
print(bn.state_dict())
torch.save(bn.state_dict(), os.path.join(d, "bn.pt"))
bn_state_dict = torch.load(os.path.join(d, "bn.pt"))
new_bn = nn.BatchNorm1d(3, track_running_stats=True)
print(new_bn.load_state_dict(bn_state_dict))


class MyModule(nn.Module):
    def __init__(self):
        super().__init__()
        self.l0 = nn.Linear(4, 2)
        self.l1 = nn.Linear(2, 1)

    def forward(self, input):
        return self.l1(self.l0(input))


m = MyModule()
print(m.state_dict().keys())
torch.save(m.state_dict(), os.path.join(d, "mymodule.pt"))
m_state_dict = torch.load(os.path.join(d, "mymodule.pt"))
new_m = MyModule()
print(new_m.load_state_dict(m_state_dict))


# weights_only
class Foo:
    def __init__(self):
        self.x = 1


torch.save({"foo": Foo()}, os.path.join(d, "foo.pt"))
case("weights_only default", lambda: torch.load(os.path.join(d, "foo.pt")), pickle.UnpicklingError)
case(
    "weights_only False",
    lambda: type(torch.load(os.path.join(d, "foo.pt"), weights_only=False)["foo"]).__name__,
)
torch.serialization.add_safe_globals([Foo])
case("safe globals", lambda: torch.load(os.path.join(d, "foo.pt"))["foo"].x)
print(Foo in torch.serialization.get_safe_globals())
torch.serialization.clear_safe_globals()
with torch.serialization.safe_globals([Foo]):
    case("ctx safe globals", lambda: torch.load(os.path.join(d, "foo.pt"))["foo"].x)
case("after ctx", lambda: torch.load(os.path.join(d, "foo.pt")), pickle.UnpicklingError)
print(torch.serialization.get_unsafe_globals_in_checkpoint(os.path.join(d, "foo.pt")))
# shared storage among tensors, views
base = torch.arange(6.0)
view = base.view(2, 3)
buf = io.BytesIO()
torch.save({"a": base, "b": view}, buf)
buf.seek(0)
r = torch.load(buf)
r["a"][0] = 100
print(r["b"])


# state_dict with persistent=False buffer
class B(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.zeros(2))
        self.register_buffer("tmp", torch.ones(2), persistent=False)
        self.register_buffer("none", None)
        self.p = nn.Parameter(torch.ones(1))


b = B()
print(b.state_dict())
print([n for n, _ in b.named_buffers()])
print(b.load_state_dict({"mean": torch.ones(2), "p": torch.zeros(1)}))
case("strict missing", lambda: b.load_state_dict({"mean": torch.ones(2)}))
print(b.load_state_dict({"mean": torch.ones(2), "extra": torch.ones(1)}, strict=False))
case("size mismatch", lambda: b.load_state_dict({"mean": torch.ones(3), "p": torch.zeros(1)}))
# save/load mmap, map_location
torch.save(m.state_dict(), os.path.join(d, "m.pt"))
sd = torch.load(os.path.join(d, "m.pt"), mmap=True, weights_only=True)
print(sorted(sd))
sd = torch.load(os.path.join(d, "m.pt"), map_location="cpu")
print(sd["l0.bias"].device)
sd = torch.load(os.path.join(d, "m.pt"), map_location=torch.device("cpu"))
print(sd["l0.bias"].device)
sd = torch.load(os.path.join(d, "m.pt"), map_location=lambda storage, loc: storage)
print(sd["l0.bias"].device)
# load_state_dict assign
new_m = MyModule()
print(new_m.load_state_dict(torch.load(os.path.join(d, "m.pt")), assign=True))
# whole model save
torch.save(m, os.path.join(d, "whole.pt"))
case("whole model default", lambda: torch.load(os.path.join(d, "whole.pt")), pickle.UnpicklingError)
print(type(torch.load(os.path.join(d, "whole.pt"), weights_only=False)).__name__)
# checkpoint general
model = MyModule()
optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
model(torch.randn(3, 4)).sum().backward()
optimizer.step()
torch.save(
    {
        "epoch": 5,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
        "loss": 0.5,
    },
    os.path.join(d, "ck.pt"),
)
ck = torch.load(os.path.join(d, "ck.pt"), weights_only=True)
model2 = MyModule()
opt2 = torch.optim.SGD(model2.parameters(), lr=0.1)
model2.load_state_dict(ck["model_state_dict"])
opt2.load_state_dict(ck["optimizer_state_dict"])
print(
    ck["epoch"],
    ck["loss"],
    opt2.param_groups[0]["lr"],
    opt2.param_groups[0]["momentum"],
    list(opt2.state_dict()["state"].keys()),
)
print(opt2.state_dict()["param_groups"])


# warmstart: load partial
class NetB(nn.Module):
    def __init__(self):
        super().__init__()
        self.l0 = nn.Linear(4, 2)
        self.l2 = nn.Linear(2, 3)


netB = NetB()
print(netB.load_state_dict(model.state_dict(), strict=False))
# pickle protocol, _use_new_zipfile_serialization
torch.save(t, os.path.join(d, "old.pt"), _use_new_zipfile_serialization=False)
print(torch.load(os.path.join(d, "old.pt")))
torch.save(t, os.path.join(d, "p2.pt"), pickle_protocol=2)
print(torch.load(os.path.join(d, "p2.pt")))
case("load missing", lambda: torch.load(os.path.join(d, "nope.pt")), FileNotFoundError)
open(os.path.join(d, "bad.pt"), "wb").write(b"garbage")
import pickle  # noqa: E402

for wo in (True, False):
    try:
        torch.load(os.path.join(d, "bad.pt"), weights_only=wo)
    except Exception as e:
        print("load garbage", wo, isinstance(e, pickle.UnpicklingError))
torch.manual_seed(0)

torch.manual_seed(0)


class MyLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_features, out_features))
        self.bias = nn.Parameter(torch.randn(out_features))

    def forward(self, input):
        return (input @ self.weight) + self.bias


m = MyLinear(4, 3)
sample_input = torch.randn(4)
print(m(sample_input))
for parameter in m.named_parameters():
    print(parameter)
net = nn.Sequential(MyLinear(4, 3), nn.ReLU(), MyLinear(3, 1))
print(net(sample_input))


class DynamicNet(nn.Module):
    def __init__(self, num_layers):
        super().__init__()
        self.linears = nn.ModuleList([MyLinear(4, 4) for _ in range(num_layers)])
        self.activations = nn.ModuleDict({"relu": nn.ReLU(), "lrelu": nn.LeakyReLU()})
        self.final = MyLinear(4, 1)

    def forward(self, x, act):
        for linear in self.linears:
            x = linear(x)
        x = self.activations[act](x)
        return self.final(x)


dynamic_net = DynamicNet(3)
print(dynamic_net(sample_input, "relu"))
for parameter in dynamic_net.named_parameters():
    print(parameter[0], parameter[1].shape)
print(dynamic_net)
print([n for n, _ in dynamic_net.named_modules()])
print(list(dynamic_net.named_children())[0][0])


# apply
@torch.no_grad()
def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_normal_(m.weight)
        m.bias.fill_(0.0)


net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
print(net.apply(init_weights) is net)
print(net[0].bias)
m = nn.Linear(5, 3, bias=False)


class RunningMean(nn.Module):
    def __init__(self, num_features, momentum=0.9):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("mean", torch.zeros(num_features))

    def forward(self, x):
        self.mean = self.momentum * self.mean + (1.0 - self.momentum) * x
        return self.mean


m = RunningMean(4)
for _ in range(10):
    input = torch.randn(4)
    m(input)
print(m)
print(m.state_dict())
m.register_buffer("unserialized_thing", torch.randn(5), persistent=False)
print(sorted(m.state_dict()))
m.to(torch.float64)
print(m.mean.dtype, m.unserialized_thing.dtype)
print(list(m.named_buffers())[0][0])


# train/eval
class ModalModule(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        if self.training:
            return x
        else:
            return -x


m = ModalModule()
x = torch.randn(4)
print(f"training mode output: {m(x)}")
m.eval()
print(f"evaluation mode output: {m(x)}")
print(m.training, m.train().training, m.train(False).training, m.requires_grad_(False) is m)
# device/dtype
m = nn.Linear(5, 3, device="cpu", dtype=torch.float64)
print(m.weight.dtype)
case("to_empty", lambda: nn.Linear(2, 2).to_empty(device="cpu").weight.shape)
# hooks
torch.manual_seed(1)
m = nn.Linear(3, 3)
x = torch.randn(2, 3, requires_grad=True)


def forward_pre_hook(m, inputs):
    input = inputs[0]
    return input + 1.0


forward_pre_hook_handle = m.register_forward_pre_hook(forward_pre_hook)


def forward_hook(m, inputs, output):
    return output + inputs[0]


forward_hook_handle = m.register_forward_hook(forward_hook)


def backward_hook(m, grad_inputs, grad_outputs):
    new_grad_inputs = [torch.ones_like(gi) * 42.0 for gi in grad_inputs]
    return new_grad_inputs


backward_hook_handle = m.register_full_backward_hook(backward_hook)
output = m(x)
print(output)
output.backward(torch.ones_like(output))
print(x.grad)
forward_pre_hook_handle.remove()
forward_hook_handle.remove()
backward_hook_handle.remove()
x.grad = None
output = m(x)
output.backward(torch.ones_like(output))
print(x.grad)
h = m.register_forward_hook(lambda mod, args, kwargs, out: out * 0, with_kwargs=True)
print(m(x).abs().sum())
h.remove()
h = m.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] * 0,), kwargs), with_kwargs=True)
print(m(x).equal(m.bias.expand(2, 3)))
h.remove()
h = m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 2,))
x.grad = None
m(x).sum().backward()
print(x.grad)
h.remove()
h = m.register_forward_hook(lambda mod, i, o: print("always", mod.__class__.__name__), always_call=True)
m(x)
h.remove()
sd_hook = m.register_state_dict_post_hook if hasattr(m, "register_state_dict_post_hook") else None
m.register_load_state_dict_post_hook(
    lambda mod, keys: print("loaded", keys.missing_keys, keys.unexpected_keys)
)
print(m.load_state_dict(m.state_dict()))
global_hook = nn.modules.module.register_module_forward_hook(
    lambda mod, i, o: print("global", type(mod).__name__)
)
m(x)
global_hook.remove()


# parametrizations
class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)


layer = nn.Linear(3, 3)
parametrize.register_parametrization(layer, "weight", Symmetric())
A = layer.weight
print(torch.dist(A, A.T))
print(layer)
print(sorted(layer.state_dict()))
print(
    layer.parametrizations.weight.original.shape,
    parametrize.is_parametrized(layer),
    parametrize.is_parametrized(layer, "bias"),
)


class Skew(nn.Module):
    def forward(self, X):
        A = X.triu(1)
        return A - A.transpose(-1, -2)


class MatrixExponential(nn.Module):
    def forward(self, X):
        return torch.matrix_exp(X)


layer_orthogonal = nn.Linear(3, 3)
parametrize.register_parametrization(layer_orthogonal, "weight", Skew())
parametrize.register_parametrization(layer_orthogonal, "weight", MatrixExponential())
X = layer_orthogonal.weight
print(torch.dist(X.T @ X, torch.eye(3)) < 1e-5)
with parametrize.cached():
    print(layer.weight is layer.weight)
print(layer.weight is layer.weight)


class NoisyParametrization(nn.Module):
    def forward(self, X):
        return X

    def right_inverse(self, A):
        return A + 1.0


layer2 = nn.Linear(2, 2)
parametrize.register_parametrization(layer2, "weight", NoisyParametrization())
layer2.weight = torch.zeros(2, 2)
print(layer2.parametrizations.weight.original)
parametrize.remove_parametrizations(layer2, "weight", leave_parametrized=True)
print(type(layer2.weight).__name__, layer2)
lo = P.orthogonal(nn.Linear(3, 3))
Q = lo.weight
print(torch.dist(Q.T @ Q, torch.eye(3)) < 1e-5)
sn = P.spectral_norm(nn.Linear(3, 3))
print(torch.linalg.matrix_norm(sn.weight, 2) <= 1.01)
wn = P.weight_norm(nn.Linear(3, 2))
print(sorted(wn.state_dict()))
case(
    "bad param shape",
    lambda: parametrize.register_parametrization(
        nn.Linear(2, 2), "weight", type("B", (nn.Module,), {"forward": lambda s, X: X[0]})()
    ),
    ValueError,
)
opt = torch.optim.SGD(layer.parameters(), lr=0.1)
layer(torch.randn(2, 3)).sum().backward()
opt.step()
print(torch.dist(layer.weight, layer.weight.T))

"""PyTorch's "Extending PyTorch" note: custom Functions with setup_context, needs_input_grad,
once_differentiable, mark_non_differentiable, set_materialize_grads, mark_dirty, gradcheck and
gradgradcheck, wrong gradients' errors, a custom Function's own errors, a custom Module, and
__torch_function__ on tensor-like types (ScalarTensor, MetadataTensor)."""

import torch
from torch.autograd import Function, gradcheck, gradgradcheck
from torch.autograd.function import once_differentiable
import torch.nn as nn


def case(name, fn, expected=RuntimeError):
    """What fn returns, or whether what it raised is the class torch raises (expected)."""
    try:
        r = fn()
        print(name, "->", r)
    except Exception as e:
        print(name, "!!", expected.__name__ if isinstance(e, expected) else f"unexpected {type(e).__name__}")


class LinearFunction(Function):
    @staticmethod
    def forward(input, weight, bias):
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, weight, bias = inputs
        ctx.save_for_backward(input, weight, bias)

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


linear = LinearFunction.apply
input = (
    torch.randn(4, 5, dtype=torch.double, requires_grad=True),
    torch.randn(3, 5, dtype=torch.double, requires_grad=True),
)
print(gradcheck(linear, input + (None,), eps=1e-6, atol=1e-4))
seen = []


class Needs(LinearFunction):
    @staticmethod
    def backward(ctx, grad_output):
        seen.append(ctx.needs_input_grad)
        return LinearFunction.backward(ctx, grad_output)


Needs.apply(
    torch.randn(2, 3, requires_grad=True), torch.randn(4, 3), torch.randn(4, requires_grad=True)
).sum().backward()
print(seen)
torch.manual_seed(0)
x = torch.randn(3, 4, requires_grad=True)
w = torch.randn(2, 4)
b = torch.randn(2, requires_grad=True)
out = linear(x, w, b)
print(out.grad_fn.__class__.__name__ if out.grad_fn else None)
out.sum().backward()
print(x.grad, b.grad)


class MulConstant(Function):
    @staticmethod
    def forward(tensor, constant):
        return tensor * constant

    @staticmethod
    def setup_context(ctx, inputs, output):
        tensor, constant = inputs
        ctx.constant = constant

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.constant, None


x = torch.ones(3, requires_grad=True)
MulConstant.apply(x, 5.0).sum().backward()
print(x.grad)


class MyCube(Function):
    @staticmethod
    def forward(x):
        result = x**3
        dx = 3 * x**2
        return result, dx

    @staticmethod
    def setup_context(ctx, inputs, output):
        (x,) = inputs
        result, dx = output
        ctx.save_for_backward(x, dx)

    @staticmethod
    def backward(ctx, grad_output, grad_dx):
        x, dx = ctx.saved_tensors
        result = grad_output * dx + grad_dx * 6 * x
        return result


def my_cube(x):
    result, dx = MyCube.apply(x)
    return result


x = torch.tensor([1.0, 2.0], dtype=torch.double, requires_grad=True)
print(gradcheck(my_cube, (x,)), gradgradcheck(my_cube, (x,)))


class Sort(Function):
    @staticmethod
    def forward(ctx, x):
        out, idx = x.sort()
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(x, idx)
        return out, idx

    @staticmethod
    @once_differentiable
    def backward(ctx, g1, g2):
        x, idx = ctx.saved_tensors
        grad_input = torch.zeros_like(x)
        grad_input.index_add_(0, idx, g1)
        return grad_input


x = torch.tensor([3.0, 1.0, 2.0], requires_grad=True)
o, i = Sort.apply(x)
print(o.requires_grad, i.requires_grad, i.dtype)
(o * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
print(x.grad)
x = torch.tensor([3.0, 1.0, 2.0], requires_grad=True)
o, i = Sort.apply(x)
(g,) = torch.autograd.grad((o**2).sum(), x, create_graph=True)
print(g.requires_grad)
case("once_diff double", lambda: g.sum().backward())


# set_materialize_grads
class SimpleFunc(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(x)
        return x.clone(), x.clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, g1, g2):
        (x,) = ctx.saved_tensors
        print("g2 is None", g2 is None)
        grad_input = torch.zeros_like(x)
        if g1 is not None:
            grad_input += g1
        if g2 is not None:
            grad_input += g2
        return grad_input


a = torch.tensor(1.0, requires_grad=True)
b, _ = SimpleFunc.apply(a)
b.backward()
print(a.grad)


# mark_dirty
class Inplace(Function):
    @staticmethod
    def forward(ctx, x):
        x.mul_(2)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g * 2


a = torch.tensor([1.0, 2.0], requires_grad=True)
case("dirty leaf", lambda: Inplace.apply(a))
b = a.clone()
c = Inplace.apply(b)
c.sum().backward()
print(a.grad, c.grad_fn.__class__.__name__)


# wrong number of grads
class Bad(Function):
    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, g):
        return g


case("bad ngrads", lambda: Bad.apply(torch.ones(2, requires_grad=True), torch.ones(2)).sum().backward())


class BadShape(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g.sum()


case("bad shape", lambda: BadShape.apply(torch.ones(2, requires_grad=True)).sum().backward())


class BadShape2(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return torch.ones(3)


case("bad shape2", lambda: BadShape2.apply(torch.ones(2, requires_grad=True)).sum().backward())


# gradcheck failure
def bad(x):
    return BadG.apply(x)


class BadG(Function):
    @staticmethod
    def forward(ctx, x):
        return x**2

    @staticmethod
    def backward(ctx, g):
        return g * 3


xx = torch.randn(3, dtype=torch.double, requires_grad=True)
case("gradcheck fail", lambda: gradcheck(bad, (xx,)))
print(gradcheck(bad, (xx,), raise_exception=False))
print(gradcheck(torch.sin, (torch.randn(3, dtype=torch.double, requires_grad=True),), fast_mode=True))


# custom module
class MyLinear(nn.Module):
    def __init__(self, input_features, output_features, bias=True):
        super().__init__()
        self.input_features = input_features
        self.output_features = output_features
        self.weight = nn.Parameter(torch.empty(output_features, input_features))
        if bias:
            self.bias = nn.Parameter(torch.empty(output_features))
        else:
            self.register_parameter("bias", None)
        self.weight.data.uniform_(-0.1, 0.1)
        if self.bias is not None:
            self.bias.data.uniform_(-0.1, 0.1)

    def forward(self, input):
        return LinearFunction.apply(input, self.weight, self.bias)

    def extra_repr(self):
        return f"input_features={self.input_features}, output_features={self.output_features}, bias={self.bias is not None}"


torch.manual_seed(0)
m = MyLinear(3, 2)
print(m)
print(m(torch.randn(2, 3)))
m2 = MyLinear(3, 2, bias=False)
print(m2, m2.bias, list(dict(m2.named_parameters())))


# ctx.saved_tensors after free
class S(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2


t = torch.ones(2, requires_grad=True)
o = S.apply(t)
o.sum().backward()
case("saved freed", lambda: o.sum().backward())


# save non-input/output tensor via save_for_backward in setup_context style
class NoSetup(Function):
    @staticmethod
    def forward(x):
        return x * 2


case("no setup_context", lambda: NoSetup.apply(torch.ones(2, requires_grad=True)), TypeError)


# a custom Function's own errors
class F1(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        if x.dim() != 2:
            raise ValueError("expected 2-D input")
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


class F2(torch.autograd.Function):
    @staticmethod
    def forward(x):
        raise TypeError("nope")

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass


class F3(torch.autograd.Function):
    @staticmethod
    def forward(x):
        return x * 2


for F, a in [
    (F1, torch.ones(3, requires_grad=True)),
    (F1, torch.ones(3)),
    (F2, torch.ones(3)),
    (F3, torch.ones(3, requires_grad=True)),
    (F3, torch.ones(3)),
]:
    try:
        F.apply(a)
        print("ok")
    except Exception as e:
        print(type(e).__name__, e)
# __torch_function__ on tensor-like types
HANDLED_FUNCTIONS = {}


class ScalarTensor:
    def __init__(self, N, value):
        self._N = N
        self._value = value

    def __repr__(self):
        return f"ScalarTensor(N={self._N}, value={self._value})"

    def tensor(self):
        return self._value * torch.eye(self._N)

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if kwargs is None:
            kwargs = {}
        if func not in HANDLED_FUNCTIONS or not all(
            issubclass(t, (torch.Tensor, ScalarTensor)) for t in types
        ):
            return NotImplemented
        return HANDLED_FUNCTIONS[func](*args, **kwargs)


import functools  # noqa: E402  (as the note imports it, beside its use)


def implements(torch_function):
    def decorator(func):
        functools.update_wrapper(func, torch_function)
        HANDLED_FUNCTIONS[torch_function] = func
        return func

    return decorator


@implements(torch.mean)
def mean(input):
    return float(input._value) / input._N


d = ScalarTensor(5, 2)
print(d, d.tensor()[0])
print(torch.mean(d))


def ensure_tensor(data):
    if isinstance(data, ScalarTensor):
        return data.tensor()
    return torch.as_tensor(data)


@implements(torch.add)
def add(input, other):
    try:
        if input._N == other._N:
            return ScalarTensor(input._N, input._value + other._value)
        else:
            raise ValueError("Shape mismatch!")
    except AttributeError:
        return torch.add(ensure_tensor(input), ensure_tensor(other))


print(torch.add(d, d))
print(torch.add(d, torch.ones(5, 5))[0])
case("unhandled", lambda: torch.mul(d, 3), TypeError)


class MetadataTensor:
    def __init__(self, data, metadata=None, **kwargs):
        self._t = torch.as_tensor(data, **kwargs)
        self._metadata = metadata

    def __repr__(self):
        return f"Metadata:\n{self._metadata}\n\ndata:\n{self._t}"

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if kwargs is None:
            kwargs = {}
        metadatas = tuple(a._metadata for a in args if hasattr(a, "_metadata"))
        args = [getattr(a, "_t", a) for a in args]
        assert len(metadatas) > 0
        ret = func(*args, **kwargs)
        return MetadataTensor(ret, metadata=metadatas[0])


metadata = {"owner": "Ministry of Silly Walks"}
m = MetadataTensor([[1, 2], [3, 4]], metadata=metadata)
t = torch.tensor([[1, 2], [1, 2]])
print(torch.add(t, m))
print(torch.mul(t, m))
print(torch.overrides.has_torch_function((d,)), torch.overrides.is_tensor_like(d))

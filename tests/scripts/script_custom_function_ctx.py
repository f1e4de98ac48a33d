import torch
from torch.autograd import Function

torch.manual_seed(0)


class Clamp(Function):
    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return x.clamp(lo, hi)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ((x >= ctx.lo) & (x <= ctx.hi)).float(), None, None


class Mul2(Function):
    @staticmethod
    def forward(x, y):
        return x * y, x + y

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, y = inputs
        ctx.save_for_backward(x, y)

    @staticmethod
    def backward(ctx, g1, g2):
        x, y = ctx.saved_tensors
        return g1 * y + g2, g1 * x + g2


class Sort(Function):
    @staticmethod
    def forward(ctx, x):
        v, i = x.sort()
        ctx.mark_non_differentiable(i)
        ctx.save_for_backward(i)
        return v, i

    @staticmethod
    def backward(ctx, gv, gi):
        (i,) = ctx.saved_tensors
        out = torch.zeros_like(gv)
        out.scatter_(0, i, gv)
        return out


class AddOneInplace(Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(1)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g


class NoMat(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x.clone(), x.clone()

    @staticmethod
    def backward(ctx, g1, g2):
        print("g2 is None", g2 is None)
        return g1


x = torch.randn(5, requires_grad=True)
y = Clamp.apply(x, -0.5, 0.5)
y.sum().backward()
print(y, x.grad, y.grad_fn.__class__.__name__)
a = torch.randn(3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
p, s = Mul2.apply(a, b)
(p.sum() + 2 * s.sum()).backward()
print(a.grad, b.grad)
x.grad = None
v, i = Sort.apply(x)
print(i.requires_grad, v.requires_grad)
(v * torch.arange(5.0)).sum().backward()
print(x.grad)
z = x.detach().clone().requires_grad_()
w = z * 1
out = AddOneInplace.apply(w)
print(out is w, w.grad_fn.__class__.__name__)
out.sum().backward()
print(z.grad)
o1, o2 = NoMat.apply(x)
x.grad = None
o1.sum().backward()
print(x.grad)
dbl = torch.randn(4, dtype=torch.double, requires_grad=True)
print(torch.autograd.gradcheck(lambda t: Clamp.apply(t, -0.5, 0.5), (dbl,)))


class Sq(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**2

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g


print(
    torch.autograd.gradcheck(Sq.apply, (dbl,), eps=1e-6, atol=1e-4),
    torch.autograd.gradgradcheck(Sq.apply, (dbl,)),
)
xx = torch.tensor([1.0, 2.0], requires_grad=True)
yy = Sq.apply(xx)
(g,) = torch.autograd.grad(yy.sum(), xx, create_graph=True)
print(g, g.requires_grad)
g.sum().backward()
print(xx.grad)
from torch.autograd.functional import hessian, hvp, jacobian, jvp, vjp  # noqa: E402

f = lambda t: torch.stack([t[0] ** 2 * t[1], t[1].sin()])
print(jacobian(f, torch.tensor([1.0, 2.0])), hessian(lambda t: (t**3).sum(), torch.tensor([1.0, 2.0])))
print(
    vjp(f, torch.tensor([1.0, 2.0]), torch.ones(2)),
    jvp(f, torch.tensor([1.0, 2.0]), torch.ones(2)),
    hvp(lambda t: (t**3).sum(), torch.tensor([1.0, 2.0]), torch.ones(2)),
)
print(jacobian(lambda a, b: a * b, (torch.ones(2), torch.arange(2.0))))
u = torch.tensor(2.0, requires_grad=True)
ga, gb = torch.autograd.grad(u**2, [u, torch.ones(1, requires_grad=True)], allow_unused=True)
print(ga, gb)
ga, gb = torch.autograd.grad(
    u**2, [u, torch.ones(1, requires_grad=True)], allow_unused=True, materialize_grads=True
)
print(ga, gb)
try:
    torch.autograd.grad(u**2, [u, torch.ones(1, requires_grad=True)])
except RuntimeError:
    print("unused RuntimeError")
h = u * 3
h.retain_grad()
(h**2).backward(retain_graph=True)
print(h.grad, u.grad, h.is_leaf, u.is_leaf, h.requires_grad)
(h**2).backward()
print(u.grad)
m = torch.ones(2, 2, requires_grad=True)
(m * 2).backward(gradient=torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
print(m.grad)
m.grad.zero_()
print(m.grad)
try:
    from torch.func import grad, vmap, jacrev

    print(grad(lambda t: (t**2).sum())(torch.tensor([1.0, 3.0])))
    print(vmap(lambda r: r.dot(r))(torch.arange(6.0).view(3, 2)))
    print(jacrev(lambda t: t.exp())(torch.zeros(2)))
except Exception as e:
    print("func", type(e))
with torch.autograd.set_detect_anomaly(True):
    q = torch.tensor([-1.0], requires_grad=True)
    try:
        torch.sqrt(q).sum().backward()
        print(q.grad)
    except RuntimeError as e:
        print("anomaly", e)

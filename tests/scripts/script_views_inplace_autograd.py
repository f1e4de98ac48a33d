import torch

torch.manual_seed(0)
EXPECT = {
    "expand_inplace": RuntimeError,
    "exp_view_inplace": RuntimeError,
    "sigmoid_view_add": RuntimeError,
    "detach_modify": RuntimeError,
    "nograd_inplace_leaf": RuntimeError,
    "out_grad": RuntimeError,
}


def tryit(name, fn):
    try:
        r = fn()
        print(name, "OK", r)
    except Exception as e:
        expected = EXPECT.get(name)
        print(
            name,
            "raised",
            expected.__name__ if expected else repr(e),
            expected is not None and isinstance(e, expected),
        )


x = torch.arange(12.0).view(3, 4)
y = x.view(-1)
y[0] = 100
t = x.t()
t[1, 0] = -1
s = x[1]
s += 10
n = x.narrow(1, 2, 2)
n.zero_()
u = x.unsqueeze(0)
u[0, 2, 0] = 7
d = x.diagonal()
d.fill_(3)
print(x)
r = x.reshape(12)
r[1] = 55
print(x[0, 1], x.flatten()._base is None if hasattr(x, "_base") else None)
c = x[[0, 1]]
c[0, 0] = 999
print(x[0, 0])
xx = torch.ones(3)
ex = xx.expand(2, 3)
tryit("expand_inplace", lambda: ex.add_(1))
tryit("expand_inplace_fill", lambda: (ex.fill_(2), xx)[1])
w = torch.randn(3, requires_grad=True)


def f1():
    h = w * 2
    h[0] = 0
    h.sum().backward()
    return w.grad


tryit("setitem_nonleaf", f1)
w.grad = None


def f2():
    h = w.exp()
    h[1:] *= 2
    h.sum().backward()
    return w.grad


tryit("exp_view_inplace", f2)
w.grad = None


def f3():
    h = w.clone()
    v = h[:2]
    v.mul_(3)
    h.sum().backward()
    return w.grad, h.grad_fn.__class__.__name__


tryit("view_mul", f3)
w.grad = None


def f4():
    h = w * 1
    h.relu_()
    h.sum().backward()
    return w.grad


tryit("relu_", f4)
w.grad = None


def f5():
    h = w.sigmoid()
    h2 = h.view(3)
    h2.add_(1)
    h.sum().backward()
    return w.grad


tryit("sigmoid_view_add", f5)


def f6():
    h = w.tanh()
    v = h.detach()
    v.zero_()
    h.sum().backward()
    return w.grad


tryit("detach_modify", f6)
w.grad = None


def f7():
    a = w * 2
    b = a.t() if a.dim() == 2 else a.unsqueeze(1)
    b.masked_fill_(b > 0, 0)
    a.sum().backward()
    return w.grad


tryit("masked_fill_view", f7)


def f8():
    lin = torch.nn.Linear(2, 2)
    out = lin(torch.ones(1, 2))
    with torch.no_grad():
        lin.weight.mul_(0)
    out.sum().backward()
    return lin.weight.grad


tryit("weight_mod_after_fwd", f8)


def f9():
    a = torch.ones(2, requires_grad=True)
    b = a * a
    a.data.mul_(5)
    b.sum().backward()
    return a.grad


tryit("data_mod", f9)


def f10():
    a = torch.ones(2, requires_grad=True)
    b = a**2
    with torch.no_grad():
        a += 1
    b.sum().backward()
    return a.grad


tryit("nograd_inplace_leaf", f10)


def f11():
    a = torch.ones(2, 2, requires_grad=True)
    b = a.clone()
    b.t_()
    b[0, 1] = 5
    (b * b).sum().backward()
    return a.grad


tryit("t_inplace", f11)


def f12():
    z = torch.zeros(3, 2)
    a = torch.randn(2, requires_grad=True)
    z[1] = a
    z[2] = a * 2
    z.sum().backward()
    return a.grad, z.requires_grad, z.grad_fn.__class__.__name__


tryit("assign_into_zeros", f12)


def f13():
    a = torch.randn(4, requires_grad=True)
    out = torch.empty(4)
    torch.mul(a, 2, out=out)
    return out


tryit("out_grad", f13)


def f14():
    a = torch.zeros(4)
    torch.add(torch.ones(4), 1, out=a[:2])
    return a


def f15():
    a = torch.zeros(2)
    r = torch.add(torch.ones(3), 1, out=a)
    return a, r is a


tryit("out_resize", f15)
print(torch.ones(2, 3).T.shape, torch.ones(2, 3, 4).mT.shape, torch.ones(2, 3).mT.shape)
q = torch.arange(6.0)
q.resize_(2, 3)
print(q, q.squeeze_().shape, q.unsqueeze_(0).shape, q.transpose_(0, 2).shape)
p = torch.arange(4.0)
p2 = p
p += 1
print(p2)
p = p + 1
print(p2)
print(torch.arange(6).view(2, 3).contiguous().data_ptr() == torch.arange(6).data_ptr() or True)
a = torch.arange(6.0).view(2, 3)
print(
    a.storage_offset(),
    a[1].storage_offset(),
    a[:, 1].stride(),
    a.t().stride(),
    a.unfold(1, 2, 1),
    a.as_strided((2, 2), (1, 2)),
)
print(
    a.view(torch.int32).shape if False else "",
    a.is_set_to(a),
    a.untyped_storage().nbytes() if hasattr(a, "untyped_storage") else 24,
)

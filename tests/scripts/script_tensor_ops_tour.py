import torch

torch.manual_seed(0)
x = torch.arange(24).reshape(2, 3, 4)
print(x[:, 1], x[..., -1], x[0, :, ::2], x[[0, 1], [2, 0]], x[x % 5 == 0])
print(x.transpose(0, 2).shape, x.permute(2, 0, 1).contiguous().view(4, -1)[:, :3])
print(x.flip(-1)[0, 0], x.roll(1, dims=2)[0, 0], torch.rot90(x[0], 1, (0, 1)))
a = torch.randn(3, 4)
b = torch.randn(4, 5)
print(
    torch.einsum("ij,jk->ik", a, b).allclose(a @ b),
    torch.einsum("ii->", torch.eye(3)),
    torch.einsum("bij,bjk->bik", a[None], b[None]).shape,
)
print(torch.einsum("i,j->ij", torch.arange(3.0), torch.arange(2.0)))
idx = torch.tensor([[0, 2], [1, 0], [3, 3]])
print(a.gather(1, idx))
t = torch.zeros(3, 5)
print(t.scatter_(1, torch.tensor([[0], [4], [2]]), 1.0))
print(torch.zeros(5).scatter_add_(0, torch.tensor([0, 1, 0, 3]), torch.tensor([1.0, 2.0, 3.0, 4.0])))
print(torch.zeros(5).index_add_(0, torch.tensor([0, 4, 0]), torch.tensor([1.0, 2.0, 3.0])))
print(
    torch.zeros(4).scatter_reduce(
        0, torch.tensor([0, 0, 2, 2]), torch.tensor([1.0, 5.0, 2.0, 3.0]), reduce="amax", include_self=False
    )
)
print(a.masked_fill(a > 0, 0.0), torch.masked_select(a, a > 1))
print(torch.where(a > 0, a, torch.zeros_like(a)).sum(), torch.where(a > 1))
print(
    a.clamp(min=-0.5, max=0.5)[0],
    a.clamp_min(0).sum(),
    a.abs().argmax(),
    a.argmax(dim=1),
    a.argmin(1, keepdim=True),
)
print(
    torch.cat([a, a], 1).shape,
    torch.stack([a, a], 2).shape,
    torch.hstack([a, a]).shape,
    torch.vstack([a, a]).shape,
)
print(
    torch.chunk(torch.arange(10), 3), torch.split(torch.arange(10), [3, 7]), torch.arange(10).tensor_split(3)
)
print(torch.unbind(torch.eye(2)), torch.arange(6).view(2, 3).unsqueeze(0).expand(2, 2, 3).shape)
print(torch.tril(torch.ones(3, 3)), torch.triu(torch.ones(3, 3), diagonal=1).bool())
print(
    torch.diag(torch.tensor([1.0, 2.0])),
    torch.diagonal(torch.arange(9).view(3, 3)),
    torch.trace(torch.arange(9.0).view(3, 3)),
)
print(
    torch.cumsum(torch.arange(5), 0),
    torch.cumprod(torch.tensor([1.0, 2.0, 3.0]), 0),
    torch.cummax(torch.tensor([1, 3, 2]), 0),
)
print(torch.sort(torch.tensor([3, 1, 2]), descending=True), torch.argsort(torch.tensor([3.0, 1.0, 2.0])))
print(
    torch.unique(torch.tensor([3, 1, 3, 2, 1]), return_counts=True),
    torch.unique(torch.tensor([1, 1, 2, 1]), return_inverse=True),
)
print(torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 3, 1])), torch.bincount(torch.tensor([0, 2, 2, 5])))
print(
    torch.histc(torch.tensor([1.0, 2.0, 1.0, 4.0]), bins=4, min=0, max=4),
    torch.bucketize(torch.tensor([0.5, 2.5]), torch.tensor([1.0, 2.0, 3.0])),
)
print(
    torch.searchsorted(torch.tensor([1, 3, 5, 7]), torch.tensor([3, 6])),
    torch.kthvalue(torch.tensor([3.0, 1.0, 2.0]), 2),
)
print(
    torch.median(torch.tensor([1.0, 4.0, 2.0, 3.0])),
    torch.mode(torch.tensor([1, 2, 2, 3])),
    torch.quantile(torch.arange(5.0), 0.3),
)
print(a.std(), a.var(dim=0, unbiased=False), a.std(dim=1, correction=0), torch.var_mean(a, dim=1))
print(
    torch.logsumexp(a, 1),
    torch.prod(torch.tensor([1.0, 2.0, 3.0])),
    a.norm(),
    a.norm(p=1, dim=1),
    torch.linalg.vector_norm(a, ord=float("inf")),
)
print(
    torch.allclose(torch.linalg.inv(torch.eye(2) * 2), torch.eye(2) / 2),
    torch.linalg.det(torch.tensor([[1.0, 2.0], [3.0, 4.0]])),
)
print(torch.linalg.solve(torch.tensor([[3.0, 1.0], [1.0, 2.0]]), torch.tensor([9.0, 8.0])))
print(
    torch.outer(torch.arange(3.0), torch.arange(2.0)),
    torch.cross(torch.tensor([1.0, 0, 0]), torch.tensor([0.0, 1, 0]), dim=0),
)
print(
    torch.meshgrid(torch.arange(2), torch.arange(3), indexing="ij"),
    torch.cartesian_prod(torch.arange(2), torch.arange(2)),
)
print(
    torch.combinations(torch.arange(4), r=2),
    torch.tensor([[1, 2], [3, 4]]).repeat(1, 2),
    torch.arange(3).repeat_interleave(2),
)
print(torch.nn.functional.one_hot(torch.tensor([0, 2, 1]), num_classes=4), torch.eye(3)[torch.tensor([2, 0])])
print(
    torch.isclose(torch.tensor([1.0, 1.1]), torch.tensor([1.0, 1.0])),
    torch.isnan(torch.tensor([float("nan"), 1.0])).any(),
)
print(
    torch.nan_to_num(torch.tensor([float("nan"), float("inf"), -1.0]), nan=0.0, posinf=9.0),
    torch.nansum(torch.tensor([1.0, float("nan")])),
)
print(
    torch.div(torch.tensor([7, -7]), 2, rounding_mode="floor"),
    torch.tensor([7, -7]) // 2,
    torch.tensor([7, -7]) % 3,
    torch.fmod(torch.tensor([7.0, -7.0]), 3),
)
print(
    torch.tensor([1, 2]) / 2,
    (torch.tensor([1, 2]) * 1.5).dtype,
    torch.tensor([True]) + 1,
    torch.tensor([1], dtype=torch.uint8) - 2,
)
print(
    torch.lerp(torch.zeros(2), torch.ones(2), 0.3),
    torch.addcmul(torch.zeros(2), torch.ones(2), torch.full((2,), 2.0), value=0.5),
)
print(
    torch.signbit(torch.tensor([-0.0, 1.0])),
    torch.sign(torch.tensor([-2.0, 0.0, 3.0])),
    torch.heaviside(torch.tensor([-1.0, 0.0, 2.0]), torch.tensor(0.5)),
)
print(
    torch.tensor([[1, 2], [3, 4]]).T @ torch.tensor([[1], [1]]),
    torch.mv(torch.ones(2, 3), torch.arange(3.0)),
    torch.dot(torch.ones(3), torch.arange(3.0)),
)
print(
    torch.baddbmm(torch.zeros(1, 2, 2), torch.ones(1, 2, 3), torch.ones(1, 3, 2)),
    torch.addmm(torch.ones(2), torch.eye(2), torch.eye(2), beta=0.5, alpha=2),
)
print(
    torch.count_nonzero(torch.tensor([[0, 1], [2, 0]]), dim=0),
    torch.tensor([[0, 1], [2, 0]]).nonzero(as_tuple=True),
)
print(
    torch.flatten(x, 0, 1).shape,
    x.unflatten(2, (2, 2)).shape,
    x.movedim(0, -1).shape,
    x.squeeze().shape,
    torch.atleast_2d(torch.tensor(1.0)),
)

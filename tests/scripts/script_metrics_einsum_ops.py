import torch
import torch.nn.functional as F

torch.manual_seed(0)
a = torch.randn(3, 4)
b = torch.randn(4, 5)
v = torch.randn(4)
print(
    torch.einsum("ij,jk->ik", a, b).sum(),
    torch.einsum("ij,jk", a, b).shape,
    torch.einsum("i,i->", v, v),
    torch.einsum("i,j->ij", v, v).shape,
)
m = torch.randn(4, 4)
print(
    torch.einsum("ii->i", m), torch.einsum("ii", m), torch.einsum("ij->ji", a).shape, torch.einsum("ij->", a)
)
q = torch.randn(2, 3, 5, 4)
k = torch.randn(2, 3, 6, 4)
print(
    torch.einsum("bhqd,bhkd->bhqk", q, k).shape,
    torch.einsum("...qd,...kd->...qk", q, k).shape,
    torch.einsum("b h q d, b h k d -> b h q k", q, k).shape,
)
print(
    torch.einsum(a, [0, 1], b, [1, 2], [0, 2]).shape,
    torch.einsum("bij,bjk->bik", torch.randn(2, 3, 4), torch.randn(2, 4, 5)).shape,
)
print(torch.einsum("i,i,i->", v, v, v), torch.einsum("ij,ij->i", a, a), torch.einsum("...i,...i->...", a, a))
print(torch.einsum("bn,anm,bm->ba", torch.randn(2, 3), torch.randn(4, 3, 5), torch.randn(2, 5)).shape)
t = torch.tensor([3, 1, 2, 3, 3, 1, 0])
print(
    torch.unique(t),
    torch.unique(t, return_counts=True),
    torch.unique(t, return_inverse=True),
    torch.unique(t, sorted=True, return_inverse=True, return_counts=True),
)
print(
    t.unique(dim=0),
    torch.unique(torch.tensor([[1, 2], [1, 2], [0, 1]]), dim=0, return_counts=True),
    torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 1]), return_counts=True),
)
print(
    torch.bincount(t),
    torch.bincount(t, minlength=6),
    torch.bincount(t, weights=torch.ones(7) * 0.5),
    torch.bincount(torch.tensor([], dtype=torch.long)),
)
print(F.one_hot(t), F.one_hot(t, num_classes=5).dtype, F.one_hot(torch.tensor([[0, 1], [2, 0]]), 3).shape)
x = torch.tensor([[1.0, 5.0, 5.0, 2.0], [3.0, 3.0, 0.0, 3.0]])
print(
    x.argmax(),
    x.argmax(1),
    x.argmin(dim=1, keepdim=True),
    x.max(dim=1),
    x.min(0).indices,
    torch.max(x, 1, keepdim=True)[1],
)
print(x.topk(2), x.topk(2, largest=False), x.topk(1, dim=0), torch.topk(x, 3, sorted=True).indices)
print(
    x.sort(),
    x.sort(descending=True, stable=True),
    torch.sort(x, dim=0),
    x.argsort(dim=1, descending=True),
    torch.argsort(x.flatten(), stable=True),
)
print(
    torch.where(x > 2),
    torch.where(x > 2, x, 0),
    torch.where(x > 2, 1.0, 0.0),
    torch.where(x > 2, 1, 0).dtype,
    torch.where(x > 2, x, torch.tensor(0.0)),
    x.where(x > 2, -1),
)
print(
    torch.nonzero(x > 2),
    (x > 2).nonzero(as_tuple=True),
    torch.argwhere(x > 4),
    torch.count_nonzero(x),
    torch.count_nonzero(x, dim=1),
)
print(
    x.median(),
    x.median(dim=1),
    x.mode(dim=1),
    x.kthvalue(2, dim=1),
    torch.quantile(x, 0.5),
    torch.quantile(x, torch.tensor([0.25, 0.75]), dim=1),
    x.nanmedian(),
)
print(
    torch.histc(x, bins=4, min=0, max=5),
    torch.bucketize(torch.tensor([0.5, 3.0, 6.0]), torch.tensor([1.0, 3.0, 5.0])),
    torch.searchsorted(torch.tensor([1, 3, 5]), torch.tensor([3, 6]), right=True),
)
print(
    x.cumsum(1),
    x.cumprod(0),
    torch.cummax(x, dim=1),
    torch.logcumsumexp(x, 0),
    x.diff(dim=1),
    torch.tensor([1, 2, 3]).cumsum(0).dtype,
)
print(
    torch.isin(t, torch.tensor([1, 3])),
    torch.any(x > 4, dim=1),
    torch.all(x > 0),
    x.eq(3).sum(1),
    torch.eq(x, x).all().item(),
    torch.equal(x, x.clone()),
)
print(
    torch.allclose(x, x + 1e-9),
    torch.isclose(x, x + 1e-3, atol=1e-2),
    torch.maximum(x, torch.tensor(2.0)),
    torch.clip(x, 1, 4),
    x.sign(),
    x.trunc(),
    x.frac(),
)
print(
    torch.gather(x, 1, torch.tensor([[0], [2]])),
    x.scatter(1, torch.tensor([[0], [1]]), -1.0),
    torch.zeros(3).scatter_add_(0, torch.tensor([0, 0, 2]), torch.ones(3)),
    x.index_select(1, torch.tensor([0, 3])),
)
print(
    torch.zeros(5).index_add_(0, torch.tensor([0, 2, 0]), torch.tensor([1.0, 2.0, 3.0])),
    torch.zeros(3).scatter_reduce(
        0, torch.tensor([0, 0, 1]), torch.tensor([2.0, 5.0, 1.0]), reduce="amax", include_self=False
    ),
)
print(
    x.masked_select(x > 2),
    x[x > 2],
    x[[0, 1], [1, 2]],
    x[:, [True, False, True, False]],
    x[..., -1],
    x[None, :, None].shape,
    x.flip(1),
    torch.roll(x, 1, 1),
    x.rot90(),
)
print(
    torch.tril(x),
    torch.triu(x, diagonal=1),
    torch.diag(torch.tensor([1, 2])),
    torch.diagonal(x),
    torch.diag_embed(torch.ones(2, 2)).shape,
    torch.block_diag(torch.ones(1, 1), torch.ones(2, 2)),
)
print(
    torch.chunk(torch.arange(7), 3),
    torch.split(torch.arange(7), [2, 5]),
    torch.arange(7).split(3),
    torch.tensor_split(torch.arange(7), 3),
    torch.arange(6).view(2, 3).unbind(1),
)
print(
    torch.meshgrid(torch.arange(2), torch.arange(3), indexing="ij"),
    torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4])),
    torch.combinations(torch.tensor([1, 2, 3])),
)
print(
    torch.cdist(a, a).shape,
    torch.cdist(a, a)[0, 1],
    F.pairwise_distance(a, a + 1),
    F.cosine_similarity(a, a.flip(0)),
    F.normalize(a, dim=1).norm(dim=1),
    torch.norm(a),
    a.norm(p=1, dim=0),
    torch.linalg.norm(a, ord="fro"),
    torch.linalg.vector_norm(a, ord=float("inf")),
)
print(
    torch.outer(v, v).shape,
    torch.kron(torch.eye(2), torch.ones(2, 2)),
    torch.cross(torch.tensor([1.0, 0, 0]), torch.tensor([0.0, 1, 0]), dim=0),
    torch.dot(v, v),
    torch.mv(a, v),
    torch.bmm(q[0], k[0].transpose(-1, -2)).shape,
)
print(
    torch.tensordot(a, b, dims=1).shape,
    torch.tensordot(a, a, dims=([0, 1], [0, 1])),
    torch.matmul(v, b).shape,
    (a @ v).shape,
    torch.addmm(torch.zeros(3, 5), a, b).shape,
    torch.baddbmm(torch.zeros(3, 5, 6), q[0], k[0].transpose(1, 2)).shape,
)
print(
    torch.logsumexp(x, dim=1),
    torch.softmax(x, 0),
    F.softmax(x, dim=-1).sum(-1),
    F.gumbel_softmax(x, tau=1.0, hard=True).sum(-1),
    torch.sigmoid(x).round(decimals=2),
)
print(
    torch.std_mean(x, dim=1),
    torch.var_mean(x, 0, unbiased=False),
    x.std(1, correction=0),
    torch.aminmax(x),
    x.amax(dim=(0, 1)),
    x.nansum(),
    x.sum((0, 1)),
    x.mean(-1, keepdim=True),
)

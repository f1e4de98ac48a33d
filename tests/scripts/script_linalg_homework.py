import torch

torch.manual_seed(0)
n, d = 50, 3
X = torch.randn(n, d)
true_w = torch.tensor([2.0, -1.0, 0.5])
y = X @ true_w + 0.1 * torch.randn(n)
Xb = torch.cat([X, torch.ones(n, 1)], dim=1)
w_normal = torch.inverse(Xb.T @ Xb) @ Xb.T @ y
w_solve = torch.linalg.solve(Xb.T @ Xb, Xb.T @ y)
w_lstsq = torch.linalg.lstsq(Xb, y.unsqueeze(1)).solution.squeeze()
w_pinv = torch.linalg.pinv(Xb) @ y
print(w_normal, torch.allclose(w_normal, w_solve, atol=1e-4), torch.allclose(w_lstsq, w_pinv, atol=1e-4))
lam = 0.1
w_ridge = torch.linalg.solve(Xb.T @ Xb + lam * torch.eye(d + 1), Xb.T @ y)
print(w_ridge)
C = torch.cov(X.T)
print(C, torch.corrcoef(X.T)[0])
evals, evecs = torch.linalg.eigh(C)
print(evals, evecs[:, -1].abs())
U, S, Vh = torch.linalg.svd(X - X.mean(0), full_matrices=False)
print(S, U.shape, Vh.shape)
print(torch.allclose((S**2 / (n - 1)).flip(0), evals, atol=1e-5))
Q, R = torch.linalg.qr(Xb)
print(R.diag().abs(), torch.dist(Q @ R, Xb) < 1e-4)
L = torch.linalg.cholesky(C)
print(L, torch.det(C), torch.logdet(C), torch.linalg.slogdet(C))
print(
    torch.linalg.norm(X, dim=1)[:3],
    torch.linalg.norm(X),
    torch.linalg.matrix_norm(C, "fro"),
    torch.linalg.cond(C),
)
print(
    torch.linalg.matrix_rank(Xb),
    torch.trace(C),
    torch.allclose(torch.linalg.inv(C) @ C, torch.eye(3), atol=1e-5),
)
print(torch.cdist(X[:3], X[3:6]), torch.cdist(X[:2], X[:2], p=1))
print(torch.quantile(y, torch.tensor([0.25, 0.5, 0.75])), torch.median(y), y.kthvalue(5))
print(torch.nanmean(torch.tensor([1.0, float("nan"), 3.0])), torch.nansum(torch.tensor([float("nan"), 2.0])))
ts = torch.arange(10.0)
print(ts.unfold(0, 4, 2))
print(
    torch.diff(ts**2), torch.trapezoid(ts**2), torch.cumsum(ts, 0)[-1], torch.cumprod(torch.arange(1.0, 6), 0)
)
print(
    torch.searchsorted(torch.tensor([1, 3, 5, 7]), torch.tensor([0, 3, 6, 9])),
    torch.searchsorted(torch.tensor([1, 3, 5]), torch.tensor([3]), right=True),
)
print(
    torch.tril_indices(3, 3),
    torch.combinations(torch.arange(4), r=2),
    torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4])),
)
img = torch.arange(16.0).view(1, 1, 4, 4)
cols = torch.nn.functional.unfold(img, kernel_size=2, stride=2)
print(cols, torch.nn.functional.fold(cols, output_size=(4, 4), kernel_size=2, stride=2).equal(img))
k = torch.tensor([[1.0, 0.0], [0.0, -1.0]])
conv_manual = (cols.transpose(1, 2) @ k.flatten()).view(1, 1, 2, 2)
print(conv_manual, torch.nn.functional.conv2d(img, k.view(1, 1, 2, 2), stride=2))
print(
    torch.einsum("ij,jk->ik", X[:2], X[:3].T), torch.einsum("ii", C), torch.einsum("bi,bi->b", X[:3], X[:3])
)
print(
    torch.outer(true_w, true_w),
    torch.kron(torch.eye(2), torch.ones(2, 2)),
    torch.block_diag(torch.ones(1, 1), 2 * torch.ones(2, 2)),
)
print(torch.linalg.matrix_power(C, 3)[0], torch.matrix_exp(torch.zeros(2, 2)), torch.linalg.eigvalsh(C))
print(
    torch.tensordot(X[:2], X[:2], dims=([1], [1])),
    torch.linalg.vecdot(X[:2], X[:2]),
    torch.linalg.cross(X[:1], X[1:2]),
)
print(
    torch.histogram(y, bins=4),
    torch.bincount(torch.tensor([0, 2, 2, 3]), weights=torch.tensor([0.5, 1.0, 1.0, 2.0])),
)
print(
    torch.std(y, unbiased=False), torch.var(y, correction=0), y.std(), torch.var_mean(y, 0), torch.aminmax(y)
)
print(
    torch.logsumexp(X, 1)[:3],
    torch.special.expit(torch.tensor([0.0])),
    torch.special.logit(torch.tensor([0.25])),
)
print(
    torch.round(torch.tensor([0.5, 1.5, 2.5, -0.5])),
    torch.round(torch.tensor([1.2345]), decimals=2),
    torch.floor_divide(torch.tensor([-7, 7]), 2),
    torch.tensor([-7, 7]) % 3,
    torch.fmod(torch.tensor([-7.0, 7.0]), 3),
)

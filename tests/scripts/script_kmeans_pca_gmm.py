import torch

torch.manual_seed(36)
X = torch.cat(
    [torch.randn(30, 2) + torch.tensor([3.0, 3.0]), torch.randn(30, 2) - 2, torch.randn(30, 2) * 0.5]
)
k = 3
C = X[torch.randperm(len(X))[:k]].clone()
for it in range(10):
    d = torch.cdist(X, C)
    lbl = d.argmin(1)
    newC = torch.stack([X[lbl == j].mean(0) for j in range(k)])
    shift = (newC - C).norm()
    C = newC
    if shift < 1e-4:
        break
print(it, C, torch.bincount(lbl))
inertia = ((X - C[lbl]) ** 2).sum()
print(inertia)
d2 = ((X.unsqueeze(1) - C.unsqueeze(0)) ** 2).sum(-1)
print(torch.allclose(d2.sqrt(), torch.cdist(X, C), atol=1e-5))
# PCA
Xc = X - X.mean(0)
U, S, V = torch.pca_lowrank(Xc, q=2, center=False)
print(S, (Xc @ V[:, :1]).shape)
cov = Xc.T @ Xc / (len(X) - 1)
evals, evecs = torch.linalg.eigh(cov)
print(evals)
# GMM E-step
mus = C
var = torch.ones(k)
log_p = -0.5 * d2 / var - torch.log(2 * torch.pi * var)
resp = torch.softmax(log_p, dim=1)
print(resp[:3], resp.sum(0))
print(
    torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(torch.ones(k) / k),
        torch.distributions.Independent(torch.distributions.Normal(C, torch.ones(k, 2)), 1),
    ).log_prob(X[:3])
)

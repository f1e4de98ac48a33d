"""d2l.ai (PyTorch) appendix "Mathematics for Deep Learning": geometry, inverses, determinants,
einsum, eigenvalues of symmetric matrices, calculus, random variables, statistics, information
theory (entropy, KL with nansum), NLLLoss and naive Bayes."""

import math

import numpy as np
import torch
from torch.nn import NLLLoss

torch.manual_seed(0)
torch.pi = torch.acos(torch.zeros(1)).item() * 2
print(torch.pi)


def angle(v, w):
    return torch.acos(v.dot(w) / (torch.norm(v) * torch.norm(w)))


print(angle(torch.tensor([0, 1, 2], dtype=torch.float32), torch.tensor([2.0, 3, 4])))
M = torch.tensor([[1, 2], [1, 4]], dtype=torch.float32)
M_inv = torch.tensor([[2, -1], [-0.5, 0.5]])
print(M_inv @ M)
print(torch.det(torch.tensor([[1, -1], [2, 3]], dtype=torch.float32)))
a = torch.tensor([1, 2])
B = torch.tensor([[2, 3], [3, 4]])
print(torch.einsum("i,ij->j", a, B))
print(torch.einsum("ijk,il,j->kl", torch.ones(2, 3, 4), torch.ones(2, 5), torch.ones(3)).shape)
print(torch.linalg.inv(M))
A = torch.tensor([[1.0, 0.1, 0.1, 0.1], [0.1, 3.0, 0.2, 0.3], [0.1, 0.2, 5.0, 0.5], [0.1, 0.3, 0.5, 9.0]])
print(torch.linalg.eigh(A).eigenvalues)
k = 5
A = torch.randn(k, k, dtype=torch.float64)
v_in = torch.randn(k, 1, dtype=torch.float64)
norm_list = [torch.norm(v_in).item()]
for i in range(1, 100):
    v_in = A @ v_in
    norm_list.append(torch.norm(v_in).item())
print(norm_list[-1] > 0, len(norm_list))
norm_ratio_list = []
for i in range(1, 100):
    norm_ratio_list.append(norm_list[i] / norm_list[i - 1])
print(round(norm_ratio_list[-1], 4))
eigs = torch.linalg.svdvals(A).tolist()
norm_eigs = [torch.abs(torch.tensor(x)) for x in eigs]
norm_eigs.sort()
print(f"largest eigenvalue norm: {norm_eigs[-1]:.4f}")
A /= norm_eigs[-1]
print(A.dtype)


# calculus
def f(x):
    return torch.log(x)


for h in 10.0 ** np.arange(-1, -5, -1):
    print(f"h={h:.5f} => {(f(torch.tensor(1.0 + h)) - f(torch.tensor(1.0))) / h:.5f}")

x = torch.arange(-2.0, 2.0, 0.5)
print(x, torch.exp(-(x**2)))
epsilon = 0.05
a, b = 0, 2
x = torch.arange(a, b, epsilon)
f = x / (1 + x**2)
approx = torch.sum(epsilon * f)
true = torch.log(torch.tensor([5.0])) / 2
print(f"approximation: {approx}, truth: {true}")
x = torch.arange(-2, 2, 0.5, dtype=torch.float64)
print(x.dtype, x[-1])


# random variables
def phi(x):
    return (1.0 + torch.erf((x - 0) / (1 * torch.sqrt(torch.tensor(2.0))))) / 2.0


print(phi(torch.tensor([0.0, 1.0])))
mu, sigma = 0, 1
x = torch.arange(-3, 3, 0.5)
p = 1 / math.sqrt(2 * torch.pi * sigma**2) * torch.exp(-((x - mu) ** 2) / (2 * sigma**2))
print(p)
print(torch.tensor([1, 2, 3]).sqrt() if False else torch.sqrt(torch.tensor([1.0, 2, 3])))
n = 10
x = torch.tensor([sum(np.random.RandomState(0).rand(n) < 0.3) for _ in range(2)])
print(x)
print(torch.distributions.binomial.Binomial(n, 0.2).sample((3,)))
print(torch.distributions.Poisson(torch.tensor([5.0])).sample((3,)).shape)
p = torch.tensor([0.1, 0.2, 0.3, 0.4])
print(torch.distributions.Categorical(probs=p).entropy())


# statistics
def stat_bias(true_theta, est_theta):
    return torch.mean(est_theta) - true_theta


def mse(data, true_theta):
    return torch.mean(torch.square(data - true_theta))


theta_true = 1
sigma = 4
sample_len = 10000
samples = torch.normal(theta_true, sigma, size=(sample_len, 1))
theta_est = torch.mean(samples)
print(theta_est, mse(samples, theta_true), stat_bias(theta_true, theta_est))
print(torch.var(samples), torch.var(samples, unbiased=False), torch.std(samples))


# information theory
def self_information(p):
    return -torch.log2(torch.tensor(p)).item()


print(self_information(1 / 64))


def nansum(x):
    return x[~torch.isnan(x)].sum()


def entropy(p):
    entropy = -p * torch.log2(p)
    out = nansum(entropy)
    return out


print(entropy(torch.tensor([0.1, 0.5, 0.1, 0.3])))
print(entropy(torch.tensor([0.0, 0.5, 0.5])))


def joint_entropy(p_xy):
    joint_ent = -p_xy * torch.log2(p_xy)
    out = nansum(joint_ent)
    return out


print(joint_entropy(torch.tensor([[0.1, 0.5], [0.1, 0.3]])))


def conditional_entropy(p_xy, p_x):
    p_y_given_x = p_xy / p_x
    cond_ent = -p_xy * torch.log2(p_y_given_x)
    out = nansum(cond_ent)
    return out


print(conditional_entropy(torch.tensor([[0.1, 0.5], [0.2, 0.3]]), torch.tensor([0.2, 0.8])))


def mutual_information(p_xy, p_x, p_y):
    p = p_xy / (p_x * p_y)
    mutual = p_xy * torch.log2(p)
    out = nansum(mutual)
    return out


print(
    mutual_information(
        torch.tensor([[0.1, 0.5], [0.1, 0.3]]), torch.tensor([0.2, 0.8]), torch.tensor([[0.75, 0.25]])
    )
)


def kl_divergence(p, q):
    kl = p * torch.log2(p / q)
    out = nansum(kl)
    return out.abs().item()


tensor_len = 10000
p = torch.normal(0, 1, (tensor_len,))
q1 = torch.normal(-1, 1, (tensor_len,))
q2 = torch.normal(1, 1, (tensor_len,))
p = torch.sort(p)[0]
q1 = torch.sort(q1)[0]
q2 = torch.sort(q2)[0]
kl_pq1 = kl_divergence(p, q1)
kl_pq2 = kl_divergence(p, q2)
similar_percentage = abs(kl_pq1 - kl_pq2) / ((kl_pq1 + kl_pq2) / 2) * 100
print(round(kl_pq1, 2), round(kl_pq2, 2), round(similar_percentage, 2))


def cross_entropy(y_hat, y):
    ce = -torch.log(y_hat[range(len(y_hat)), y])
    return ce.mean()


labels = torch.tensor([0, 2])
preds = torch.tensor([[0.3, 0.6, 0.1], [0.2, 0.3, 0.5]])
print(cross_entropy(preds, labels))
nll_loss = NLLLoss()
loss = nll_loss(torch.log(preds), labels)
print(loss)
print(torch.tensor([0.1, float("nan")]).nansum(), torch.nansum(torch.tensor([float("nan")])))
# naive bayes style
X = torch.randint(0, 2, (20, 4)).float()
Y = torch.randint(0, 3, (20,))
P_y = torch.zeros(3)
for y in range(3):
    P_y[y] = (Y == y).sum()
P_y = P_y / P_y.sum()
print(P_y)
n_x = torch.zeros((3, 4))
for y in range(3):
    n_x[y] = torch.tensor(X.numpy()[Y.numpy() == y].sum(axis=0))
P_xy = (n_x + 1) / (P_y.reshape(3, 1) * 20 + 2).type(torch.float32)
print(P_xy)
log_P_xy = torch.log(P_xy)
log_P_xy_neg = torch.log(1 - P_xy)
log_P_y = torch.log(P_y)


def bayes_pred_stable(x):
    x = x.unsqueeze(0)
    p_xy = log_P_xy * x + log_P_xy_neg * (1 - x)
    p_xy = p_xy.reshape(3, -1).sum(axis=1)
    return p_xy + log_P_y


py = bayes_pred_stable(X[0])
print(py, py.argmax(dim=0) == Y[0], int(py.argmax(dim=0)))

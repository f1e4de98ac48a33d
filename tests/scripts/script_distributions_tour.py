import torch
import torch.distributions as D
from torch.distributions import Normal, Categorical, kl_divergence

torch.manual_seed(0)
n = Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0]))
print(n)
print(
    n.sample(),
    n.sample((3,)).shape,
    n.rsample((2, 1)).shape,
    n.log_prob(torch.tensor([0.5, 0.5])),
    n.entropy(),
    n.mean,
    n.stddev,
    n.variance,
)
print(n.cdf(torch.tensor(0.0)), n.icdf(torch.tensor([0.5, 0.9])), n.batch_shape, n.event_shape)
c = Categorical(logits=torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))
print(c, c.probs, c.sample(), c.sample((4,)), c.log_prob(torch.tensor([2, 0])), c.entropy(), c.logits)
c2 = Categorical(probs=torch.tensor([0.2, 0.3, 0.5]))
print(kl_divergence(c2, Categorical(probs=torch.tensor([1 / 3] * 3))), c2.enumerate_support(), c2.param_shape)
b = D.Bernoulli(probs=torch.tensor([0.3, 0.9]))
print(b.sample((3,)), b.log_prob(torch.tensor([1.0, 0.0])), b.entropy())
b2 = D.Bernoulli(logits=torch.tensor([0.0, 2.0]))
print(b2.probs, b2.mean)
mvn = D.MultivariateNormal(torch.zeros(2), covariance_matrix=torch.tensor([[2.0, 0.5], [0.5, 1.0]]))
s = mvn.sample((3,))
print(s, mvn.log_prob(s), mvn.entropy(), mvn.scale_tril)
print(D.MultivariateNormal(torch.zeros(2), scale_tril=torch.eye(2)).rsample().shape)
ind = D.Independent(Normal(torch.zeros(3, 2), torch.ones(3, 2)), 1)
print(ind, ind.batch_shape, ind.event_shape, ind.log_prob(torch.zeros(3, 2)))
print(kl_divergence(Normal(0.0, 1.0), Normal(1.0, 2.0)))
print(kl_divergence(Normal(torch.zeros(2), torch.ones(2)), Normal(torch.ones(2), torch.ones(2))))
beta = D.Beta(torch.tensor([2.0]), torch.tensor([3.0]))
print(beta.mean, beta.log_prob(torch.tensor([0.3])), beta.sample().shape, beta.entropy())
dr = D.Dirichlet(torch.tensor([1.0, 2.0, 3.0]))
print(dr.mean, dr.log_prob(torch.tensor([0.2, 0.3, 0.5])), dr.sample().sum())
g = D.Gamma(torch.tensor(2.0), torch.tensor(3.0))
print(g.mean, g.variance, g.log_prob(torch.tensor(1.0)))
u = D.Uniform(torch.tensor([0.0]), torch.tensor([2.0]))
print(u.sample((2,)), u.log_prob(torch.tensor([1.0])), u.entropy())
p = D.Poisson(torch.tensor([3.0]))
print(p.log_prob(torch.tensor([2.0])), p.sample((4,)).shape)
e = D.Exponential(torch.tensor([2.0]))
print(e.log_prob(torch.tensor([1.0])), e.mean, e.rsample().shape)
lp = D.Laplace(0.0, 1.0)
print(lp.log_prob(torch.tensor(0.5)), lp.cdf(torch.tensor(0.0)))
bin_ = D.Binomial(10, torch.tensor([0.3]))
print(bin_.log_prob(torch.tensor([3.0])), bin_.mean)
mn = D.Multinomial(5, torch.tensor([0.2, 0.3, 0.5]))
print(mn.log_prob(torch.tensor([1.0, 1.0, 3.0])), mn.sample().sum())
oh = D.OneHotCategorical(probs=torch.tensor([0.2, 0.8]))
print(oh.sample().shape, oh.log_prob(torch.tensor([0.0, 1.0])))
ln = D.LogNormal(0.0, 1.0)
print(ln.log_prob(torch.tensor(1.0)), ln.mean)
mix = D.MixtureSameFamily(
    Categorical(torch.tensor([0.3, 0.7])), Normal(torch.tensor([-1.0, 1.0]), torch.tensor([0.5, 0.5]))
)
print(mix.log_prob(torch.tensor([0.0, 1.0])), mix.mean, mix.sample((5,)).shape)
loc = torch.tensor(0.5, requires_grad=True)
scale = torch.tensor(1.5, requires_grad=True)
z = Normal(loc, scale).rsample((100,))
(z**2).mean().backward()
print(loc.grad, scale.grad)
t = D.TransformedDistribution(Normal(0.0, 1.0), [D.transforms.ExpTransform()])
print(t.log_prob(torch.tensor(2.0)))
print(D.Normal(0, 1).log_prob(torch.tensor(3.0)))
try:
    Normal(torch.tensor([0.0]), torch.tensor([-1.0]))
except ValueError:
    print("ValueError")
try:
    Categorical(probs=torch.tensor([0.5, 0.5])).log_prob(torch.tensor(3))
except ValueError:
    print("ValueError2")
print(D.Categorical(torch.tensor([0.1, 0.9])).probs)

import torch
import torch.distributions as D
from torch.distributions.transforms import TanhTransform, AffineTransform

torch.manual_seed(0)
mu = torch.zeros(2, 3, requires_grad=True)
ls = torch.zeros(2, 3, requires_grad=True)
base = D.Normal(mu, ls.exp())
sq = D.TransformedDistribution(base, [TanhTransform(cache_size=1), AffineTransform(loc=1.0, scale=2.0)])
a = sq.rsample()
lp = sq.log_prob(a).sum(-1)
lp.mean().backward()
print(a, lp, mu.grad, ls.grad)
for d in [
    D.Gumbel(0.0, 1.0),
    D.StudentT(3.0),
    D.Cauchy(0.0, 1.0),
    D.HalfNormal(1.0),
    D.HalfCauchy(1.0),
    D.Weibull(1.0, 2.0),
    D.Pareto(1.0, 2.0),
    D.VonMises(0.0, 1.0),
    D.ContinuousBernoulli(probs=0.3),
    D.Geometric(probs=0.3),
    D.NegativeBinomial(3, probs=0.4),
    D.Kumaraswamy(2.0, 3.0),
    D.LogisticNormal(torch.zeros(2), torch.ones(2)),
    D.Chi2(3.0),
    D.FisherSnedecor(3.0, 5.0),
    D.InverseGamma(2.0, 1.0) if hasattr(D, "InverseGamma") else D.Gamma(2.0, 1.0),
]:
    try:
        s = d.sample((3,))
        print(type(d).__name__, s.shape, d.log_prob(s).shape, d.batch_shape, d.event_shape, d.support)
    except Exception as e:
        print(type(d).__name__, "EXC", type(e).__name__)
print(
    D.Gumbel(0.0, 1.0).log_prob(torch.tensor(0.5)),
    D.StudentT(3.0).log_prob(torch.tensor(0.5)),
    D.Cauchy(0.0, 1.0).cdf(torch.tensor(1.0)),
    D.HalfNormal(1.0).log_prob(torch.tensor(0.5)),
    D.Weibull(1.0, 2.0).mean,
    D.VonMises(0.0, 1.0).log_prob(torch.tensor(0.5)),
    D.Geometric(probs=0.3).log_prob(torch.tensor(2.0)),
    D.NegativeBinomial(3, probs=0.4).log_prob(torch.tensor(2.0)),
    D.Chi2(3.0).log_prob(torch.tensor(1.0)),
)
r = D.RelaxedOneHotCategorical(torch.tensor(0.5), logits=torch.tensor([1.0, 2.0, 0.5]))
print(r.rsample().sum(), D.RelaxedBernoulli(torch.tensor(0.5), probs=torch.tensor([0.3])).rsample().shape)
lr = D.LowRankMultivariateNormal(torch.zeros(3), torch.ones(3, 1), torch.ones(3))
print(lr.log_prob(torch.ones(3)), lr.covariance_matrix)
m1 = D.MultivariateNormal(torch.zeros(2), torch.eye(2))
m2 = D.MultivariateNormal(torch.ones(2), 2 * torch.eye(2))
print(
    D.kl_divergence(m1, m2),
    D.kl_divergence(D.Beta(2.0, 3.0), D.Beta(1.0, 1.0)),
    D.kl_divergence(D.Dirichlet(torch.ones(3)), D.Dirichlet(torch.tensor([1.0, 2.0, 3.0]))),
    D.kl_divergence(D.Gamma(2.0, 1.0), D.Gamma(3.0, 2.0)),
    D.kl_divergence(D.Bernoulli(0.3), D.Bernoulli(0.5)),
    D.kl_divergence(
        D.Independent(D.Normal(torch.zeros(3), 1.0), 1), D.Independent(D.Normal(torch.ones(3), 1.0), 1)
    ),
)
e = D.Normal(torch.zeros(3), 1.0).expand((2, 3))
print(e.batch_shape, e.sample().shape, D.Categorical(logits=torch.zeros(2, 4)).expand((3, 2)).sample().shape)
print(
    D.Normal(0.0, 1.0).arg_constraints,
    D.Categorical(probs=torch.tensor([0.5, 0.5])).support,
    D.constraints.positive.check(torch.tensor([-1.0, 1.0])),
)
try:
    D.Normal(0.0, 1.0, validate_args=True).log_prob(torch.tensor([1.0, float("nan")]))
    print("no err")
except ValueError:
    print("VE")
try:
    D.Bernoulli(probs=0.5).log_prob(torch.tensor(0.5))
except ValueError:
    print("VE2")
print(D.Bernoulli(probs=0.5, validate_args=False).log_prob(torch.tensor(0.5)))
c = D.Categorical(logits=torch.tensor([[0.1, 0.2, 0.7], [1.0, 1.0, 1.0]]))
acts = c.sample()
print(
    acts,
    c.log_prob(acts),
    c.entropy().mean(),
    c.mode if hasattr(c, "mode") else None,
    c.perplexity() if hasattr(c, "perplexity") else "",
)
print(
    D.Normal(torch.tensor([1.0]), torch.tensor([2.0])).mode,
    D.Beta(2.0, 3.0).mode,
    D.Poisson(3.5).mode,
    D.Gamma(3.0, 2.0).mode,
)

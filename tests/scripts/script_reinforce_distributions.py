import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import (
    Categorical,
    Normal,
    Bernoulli,
    Independent,
    MultivariateNormal,
    kl_divergence,
    Uniform,
)

torch.manual_seed(0)


class Policy(nn.Module):
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(4, 32)
        self.dropout = nn.Dropout(p=0.6)
        self.affine2 = nn.Linear(32, 2)
        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


policy = Policy()
optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)
eps = torch.finfo(torch.float32).eps
gamma = 0.99


def select_action(state):
    state = state.float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    return action.item()


def finish_episode():
    R = 0
    policy_loss = []
    returns = []
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]
    return policy_loss.item()


for episode in range(3):
    state = torch.randn(4)
    actions = []
    for t in range(10):
        action = select_action(state)
        actions.append(action)
        state = state + 0.1 * (action - 0.5)
        policy.rewards.append(1.0 if action == int(state[0] > 0) else 0.0)
    print(episode, actions, round(finish_episode(), 4))
logits = torch.tensor([[1.0, 2.0, 0.5], [0.0, 0.0, 0.0]])
c = Categorical(logits=logits)
print(c.probs, c.entropy(), c.log_prob(torch.tensor([1, 2])), c.sample((2,)).shape)
n = Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.5]))
s = n.rsample()
print(s.requires_grad, n.log_prob(torch.tensor([0.5, 0.5])), n.entropy(), n.mean, n.stddev, n.variance)
print(n.cdf(torch.tensor([0.0, 1.0])), n.icdf(torch.tensor([0.5, 0.975])))
mu = torch.zeros(2, requires_grad=True)
log_std = torch.zeros(2, requires_grad=True)
dist = Normal(mu, log_std.exp())
a = dist.rsample((5,))
lp = dist.log_prob(a).sum(-1)
(-lp.mean()).backward()
print(mu.grad.shape, log_std.grad)
print(
    kl_divergence(Normal(0.0, 1.0), Normal(1.0, 2.0)), kl_divergence(c, Categorical(probs=torch.ones(3) / 3))
)
b = Bernoulli(probs=torch.tensor([0.3, 0.9]))
print(b.sample(), b.log_prob(torch.tensor([1.0, 0.0])), b.entropy())
ind = Independent(Normal(torch.zeros(3), torch.ones(3)), 1)
print(ind.batch_shape, ind.event_shape, ind.log_prob(torch.zeros(3)))
mvn = MultivariateNormal(torch.zeros(2), covariance_matrix=torch.tensor([[1.0, 0.5], [0.5, 2.0]]))
print(mvn.log_prob(torch.tensor([0.5, -0.5])), mvn.sample((3,)).shape, mvn.entropy())
u = Uniform(0.0, 2.0)
print(u.sample((3,)), u.log_prob(torch.tensor(1.0)))
print(Categorical(probs=torch.tensor([0.2, 0.8])))
print(Normal(torch.zeros(2), torch.ones(2)))

"""pytorch/examples reinforcement_learning: reinforce.py and actor_critic.py on a tiny hand-written environment (Categorical, normalised returns, smooth_l1_loss)."""

import numpy as np
from itertools import count
from collections import namedtuple
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical


class ToyEnv:
    """A 4-d state that drifts with the action; the episode ends when |x0| > 1 or after 25 steps."""

    def __init__(self):
        self.rng = np.random.RandomState(0)

    def reset(self, seed=None):
        if seed is not None:
            self.rng = np.random.RandomState(seed)
        self.t = 0
        self.s = self.rng.uniform(-0.05, 0.05, size=4)
        return self.s.copy(), {}

    def step(self, action):
        self.t += 1
        self.s = self.s + np.array([0.1 * (action - 0.5), 0.05, -0.02, 0.01]) + self.rng.normal(0, 0.05, 4)
        terminated = bool(abs(self.s[0]) > 1.0)
        truncated = self.t >= 25
        return self.s.copy(), 1.0, terminated, truncated, {}


gamma = 0.99
env = ToyEnv()
env.reset(seed=543)
torch.manual_seed(543)


class Policy(nn.Module):
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(4, 16)
        self.dropout = nn.Dropout(p=0.6)
        self.affine2 = nn.Linear(16, 2)
        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


policy = Policy()
optimizer = optim.Adam(policy.parameters(), lr=1e-2)
eps = np.finfo(np.float32).eps.item()
print(eps, type(eps))


def select_action(state):
    state = torch.from_numpy(state).float().unsqueeze(0)
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
    return returns, policy_loss


running_reward = 10
for i_episode in count(1):
    state, _ = env.reset()
    ep_reward = 0
    for t in range(1, 10000):
        action = select_action(state)
        state, reward, terminated, truncated, _ = env.step(action)
        policy.rewards.append(reward)
        ep_reward += reward
        if terminated or truncated:
            break
    running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
    returns, pl = finish_episode()
    if i_episode % 2 == 0:
        print(
            f"Episode {i_episode}\tLast reward: {ep_reward:.2f}\tAverage reward: {running_reward:.2f}\tloss {pl.item():.4f}"
        )
    if i_episode >= 6:
        print(returns.dtype, returns[:3])
        break

# actor-critic
torch.manual_seed(543)
SavedAction = namedtuple("SavedAction", ["log_prob", "value"])


class ACPolicy(nn.Module):
    def __init__(self):
        super(ACPolicy, self).__init__()
        self.affine1 = nn.Linear(4, 16)
        self.action_head = nn.Linear(16, 2)
        self.value_head = nn.Linear(16, 1)
        self.saved_actions = []
        self.rewards = []

    def forward(self, x):
        x = F.relu(self.affine1(x))
        action_prob = F.softmax(self.action_head(x), dim=-1)
        state_values = self.value_head(x)
        return action_prob, state_values


model = ACPolicy()
optimizer = optim.Adam(model.parameters(), lr=3e-2)


def ac_select_action(state):
    state = torch.from_numpy(state).float()
    probs, state_value = model(state)
    m = Categorical(probs)
    action = m.sample()
    model.saved_actions.append(SavedAction(m.log_prob(action), state_value))
    return action.item()


def ac_finish_episode():
    R = 0
    saved_actions = model.saved_actions
    policy_losses = []
    value_losses = []
    returns = []
    for r in model.rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for (log_prob, value), R in zip(saved_actions, returns):
        advantage = R - value.item()
        policy_losses.append(-log_prob * advantage)
        value_losses.append(F.smooth_l1_loss(value, torch.tensor([R])))
    optimizer.zero_grad()
    loss = torch.stack(policy_losses).sum() + torch.stack(value_losses).sum()
    loss.backward()
    optimizer.step()
    del model.rewards[:]
    del model.saved_actions[:]
    return loss, policy_losses[0], value_losses[0]


running_reward = 10
env.reset(seed=1)
for i_episode in count(1):
    state, _ = env.reset()
    ep_reward = 0
    for t in range(1, 10000):
        action = ac_select_action(state)
        state, reward, terminated, truncated, _ = env.step(action)
        model.rewards.append(reward)
        ep_reward += reward
        if terminated or truncated:
            break
    running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
    loss, p0, v0 = ac_finish_episode()
    if i_episode % 2 == 0:
        print(
            f"Episode {i_episode}\tLast reward: {ep_reward:.2f}\tAverage reward: {running_reward:.2f}\tloss {loss.item():.4f}"
        )
    if i_episode >= 6:
        print(p0, v0, p0.shape, v0.shape)
        break
R = torch.tensor(0.5)
print(
    torch.tensor([R]),
    torch.tensor([R]).dtype,
    torch.tensor([np.float64(0.5)]).dtype,
    torch.tensor(np.float32(2.0) * 3).dtype,
)
print(torch.tensor([1.0, 2.0]).std(), torch.tensor([1.0]).std(), torch.tensor([3.0]).std(unbiased=False))
m = Categorical(torch.tensor([0.2, 0.8]))
print(m, m.entropy(), m.sample((3,)), m.probs, m.logits)
m2 = Categorical(logits=torch.tensor([[0.0, 1.0], [2.0, 0.0]]))
a = m2.sample()
print(a, m2.log_prob(a), m2.batch_shape, m2.event_shape)

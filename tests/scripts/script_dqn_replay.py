import torch
import torch.nn as nn
import torch.nn.functional as F
import random, copy
from collections import deque, namedtuple
import numpy as np

random.seed(0)
np.random.seed(0)
torch.manual_seed(32)
Transition = namedtuple("Transition", ("state", "action", "next_state", "reward", "done"))
mem = deque(maxlen=100)
for _ in range(50):
    s = np.random.randn(4).astype(np.float32)
    mem.append(
        Transition(
            s,
            random.randrange(2),
            np.random.randn(4).astype(np.float32),
            random.random(),
            random.random() < 0.1,
        )
    )
policy = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 2))
target = copy.deepcopy(policy)
target.eval()
opt = torch.optim.AdamW(policy.parameters(), lr=1e-3, amsgrad=True)
for step in range(5):
    batch = Transition(*zip(*random.sample(mem, 16)))
    s = torch.tensor(np.array(batch.state))
    a = torch.tensor(batch.action).unsqueeze(1)
    ns = torch.from_numpy(np.stack(batch.next_state))
    r = torch.tensor(batch.reward, dtype=torch.float32)
    d = torch.tensor(batch.done, dtype=torch.float32)
    q = policy(s).gather(1, a)
    with torch.no_grad():
        nq = target(ns).max(1)[0]
    exp = r + 0.99 * nq * (1 - d)
    loss = F.smooth_l1_loss(q, exp.unsqueeze(1))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_value_(policy.parameters(), 100)
    opt.step()
    tsd, psd = target.state_dict(), policy.state_dict()
    for k in psd:
        tsd[k] = psd[k] * 0.005 + tsd[k] * (1 - 0.005)
    target.load_state_dict(tsd)
    print(step, round(loss.item(), 6), q.shape, a.dtype, s.dtype, ns.dtype)
with torch.no_grad():
    for tp, pp in zip(target.parameters(), policy.parameters()):
        tp.mul_(0.9).add_(pp, alpha=0.1)
    print(policy(torch.zeros(1, 4)).max(1).indices.view(1, 1), target(torch.zeros(4)).argmax().item())
eps = 0.1
st = torch.zeros(1, 4)
act = (
    policy(st).max(1)[1].view(1, 1)
    if random.random() > eps
    else torch.tensor([[random.randrange(2)]], dtype=torch.long)
)
print(act, F.huber_loss(torch.tensor([0.0, 3.0]), torch.tensor([0.5, 0.0]), delta=2.0))
ema = torch.optim.swa_utils.AveragedModel(policy)
ema.update_parameters(policy)
print(ema.n_averaged, type(ema.module).__name__)
buf = nn.Module()
buf.register_buffer("mask", torch.ones(2), persistent=False)
buf.register_buffer("keep", torch.zeros(1))
print(buf.state_dict().keys(), [n for n, _ in buf.named_buffers()])
policy.requires_grad_(False)
print(any(p.requires_grad for p in policy.parameters()))
policy.zero_grad()
print([p.grad for p in policy.parameters()][:1])
dp = nn.DataParallel(nn.Linear(2, 2))
print(list(dp.state_dict().keys()), dp(torch.ones(1, 2)).shape)

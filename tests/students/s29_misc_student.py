import torch
from torch import nn
import numpy as np
torch.manual_seed(0)
x = torch.randn(5)
x.mean(), x.std(), x.var()
x.max().item(), x.argmax().item(), x.min(0)
len(x.shape), x.shape == torch.Size([5]), x.shape == [5], x.shape == (5,)
x.view(-1, 1).shape, x[:, None].shape, x.reshape(5, 1).T.shape
x.sort()
x.sort().values[:2]
torch.sort(x, descending=True)[1]
x.clone().sort_()
sorted(x.tolist())[:2]
x > 0
(x > 0).sum()
(x > 0).sum().item()
x[x > 0].mean()
x.masked_fill(x < 0, 0)
torch.clamp(x, min=0) == torch.relu(x)
torch.equal(torch.clamp(x, min=0), torch.relu(x))
(torch.clamp(x, min=0) == torch.relu(x)).all()
if (x > 0).any(): print('some positive')
if x > 0: print('x positive')
if x[0] > 0: print('first positive')
bool(x[0] > 0)
bool(x > 0)
while x.sum() > 100: pass
assert x.shape == (5,)
assert x.sum() != 0
x.tolist() == x.numpy().tolist()
torch.tensor(3) + 2.5
torch.tensor(3) / 2
torch.tensor(3) // 2
torch.tensor([3]) * True
torch.tensor(7) % 3
-torch.tensor(7) // 2
divmod(7, torch.tensor(2))
2 ** torch.tensor([1, 2, 3])
2.0 ** torch.tensor([1, 2, 3])
torch.tensor([1, 2, 3]) ** -1
torch.tensor([1, 2, 3]) ** 0.5
torch.tensor([1, 2, 3]).pow(2).sum()
torch.tensor([1, 2]) / torch.tensor([0, 0])
torch.tensor([1, 2]) // torch.tensor([0, 0])
torch.tensor([1., 2.]) // 0
torch.log(torch.tensor([-1.0, 0.0]))
torch.sqrt(torch.tensor(-1.0))
torch.tensor(1) == 1, torch.tensor(1.0) == 1, torch.tensor([1.0]) == 1.0
x.abs().max() < 10
max(x.tolist()) == x.max()
int(x.argmax()) in range(5)
range(5)[x.argmax()]
[10, 20, 30][torch.tensor(1)]
{0: 'a'}[torch.tensor(0).item()]
{0: 'a'}[torch.tensor(0)]
'abc'[torch.tensor(1)]
np.zeros(3)[torch.tensor(1)]
np.zeros(3)[torch.tensor([0, 1])]
torch.zeros(3)[np.int64(1)]
torch.zeros(3)[np.array([0, 1])]
torch.zeros(3)[[True, False, True]]
torch.zeros(3)[1.0]
torch.zeros(3)[torch.tensor(1.0)]
torch.zeros(3)[torch.tensor([0.0, 1.0])]

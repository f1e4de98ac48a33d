import torch
from torch import nn
import torch.nn.functional as F
torch.manual_seed(0)
emb = nn.Embedding(10, 4)
ids = torch.tensor([1, 2, 3])
print(emb(ids).shape, emb.weight.shape)
emb(torch.tensor([1.0, 2.0]))
emb(torch.tensor([10]))
emb(torch.tensor([-1]))
emb(torch.tensor([1, 2], dtype=torch.int32)).shape
emb([1, 2])
emb(3)
emb(torch.tensor(3)).shape
a, b = emb.weight[1], emb.weight[2]
F.cosine_similarity(a, b)
F.cosine_similarity(a, b, dim=0)
F.cosine_similarity(a[None], emb.weight).shape
torch.cosine_similarity(a.unsqueeze(0), b.unsqueeze(0))
(a @ b) / (a.norm() * b.norm())
a.dot(b) / (torch.linalg.norm(a) * torch.linalg.norm(b))
sims = emb.weight @ a
sims.topk(3)
sims.topk(3).indices.tolist()
torch.topk(sims, k=20)
sims.argsort(descending=True)[:3]
sims.sort(descending=True)
F.normalize(emb.weight, dim=1).norm(dim=1)
vals, idx = torch.topk(sims.detach(), 3)
print(vals, idx)
for i in idx: print(int(i), i.item(), f"{vals[0]:.2f}")
nn.Embedding(10, 4, padding_idx=0)(torch.tensor([0, 1])).sum(1)
emb.weight.requires_grad_(False)
emb.weight[0] = 0
emb.weight.data[0] = 0
print(emb.weight[0])
F.one_hot(torch.tensor([0, 2]), 3)
F.one_hot(torch.tensor([0, 2]))
F.one_hot(torch.tensor([0.0, 2.0]), 3)
F.one_hot(torch.tensor([0, 3]), 3)
F.one_hot(torch.tensor([0, 2]), 3).float() @ emb.weight[:3]

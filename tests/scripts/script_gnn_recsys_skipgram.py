import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
# --- a two-layer GCN with message passing via index_add_ ---
num_nodes = 8
edge_index = torch.tensor([[0, 1, 1, 2, 3, 4, 5, 6, 6, 7], [1, 0, 2, 1, 4, 3, 6, 5, 7, 6]])
edge_index = torch.cat([edge_index, torch.arange(num_nodes).repeat(2, 1)], dim=1)
deg = torch.zeros(num_nodes).index_add_(0, edge_index[1], torch.ones(edge_index.size(1)))
norm = deg[edge_index[0]].rsqrt() * deg[edge_index[1]].rsqrt()
print(deg, norm[:4])
features = torch.randn(num_nodes, 5)
labels = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2])


class GCNLayer(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.lin = nn.Linear(i, o, bias=False)
        self.bias = nn.Parameter(torch.zeros(o))

    def forward(self, x, edge_index, norm):
        x = self.lin(x)
        src, dst = edge_index
        msg = x[src] * norm.unsqueeze(-1)
        out = torch.zeros_like(x).index_add_(0, dst, msg)
        return out + self.bias


class GCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = GCNLayer(5, 16)
        self.c2 = GCNLayer(16, 3)

    def forward(self, x, ei, nrm):
        x = F.dropout(F.relu(self.c1(x, ei, nrm)), p=0.5, training=self.training)
        return self.c2(x, ei, nrm)


gcn = GCN()
opt = torch.optim.Adam(gcn.parameters(), lr=0.01, weight_decay=5e-4)
train_mask = torch.tensor([True, False, True, True, False, True, False, True])
for epoch in range(20):
    gcn.train()
    opt.zero_grad()
    out = gcn(features, edge_index, norm)
    loss = F.cross_entropy(out[train_mask], labels[train_mask])
    loss.backward()
    opt.step()
gcn.eval()
pred = gcn(features, edge_index, norm).argmax(dim=1)
print(
    f"loss {loss.item():.4f} acc {int((pred[~train_mask] == labels[~train_mask]).sum()) / int((~train_mask).sum()):.4f}"
)
agg = torch.zeros(num_nodes, 5).scatter_reduce(
    0, edge_index[1].unsqueeze(-1).expand(-1, 5), features[edge_index[0]], reduce="mean", include_self=False
)
print(agg[0])
# --- matrix factorisation recommender ---
n_users, n_items = 10, 12
users = torch.randint(0, n_users, (64,))
items = torch.randint(0, n_items, (64,))
ratings = (torch.rand(64) * 4 + 1).round()


class MF(nn.Module):
    def __init__(self, dim=4):
        super().__init__()
        self.u = nn.Embedding(n_users, dim)
        self.i = nn.Embedding(n_items, dim)
        self.ub = nn.Embedding(n_users, 1)
        self.ib = nn.Embedding(n_items, 1)
        nn.init.normal_(self.u.weight, std=0.1)
        nn.init.normal_(self.i.weight, std=0.1)

    def forward(self, u, i):
        return (self.u(u) * self.i(i)).sum(1) + self.ub(u).squeeze(1) + self.ib(i).squeeze(1) + 3.0


mf = MF()
emb_opt = torch.optim.Adam(list(mf.u.parameters()) + list(mf.i.parameters()), lr=0.05)
dense_opt = torch.optim.SGD(list(mf.ub.parameters()) + list(mf.ib.parameters()), lr=0.05)
for epoch in range(10):
    emb_opt.zero_grad()
    dense_opt.zero_grad()
    loss = F.mse_loss(mf(users, items), ratings)
    loss.backward()
    emb_opt.step()
    dense_opt.step()
print(f"rmse {loss.sqrt().item():.4f}", mf.u.weight.grad.is_sparse, mf.u.weight.grad.abs().sum(1).gt(0).sum())
with torch.no_grad():
    scores = mf(torch.zeros(n_items, dtype=torch.long), torch.arange(n_items))
    print(scores.topk(3).indices)
# --- skip-gram with negative sampling ---
corpus = "the quick brown fox jumps over the lazy dog the fox".split()
vocab = sorted(set(corpus))
w2i = {w: i for i, w in enumerate(vocab)}
ids = torch.tensor([w2i[w] for w in corpus])
pairs = torch.tensor(
    [[ids[i], ids[j]] for i in range(len(ids)) for j in range(max(0, i - 2), min(len(ids), i + 3)) if i != j]
)
counts = torch.bincount(ids, minlength=len(vocab)).float()
noise = counts.pow(0.75)
noise = noise / noise.sum()
emb_in = nn.Embedding(len(vocab), 6)
emb_out = nn.Embedding(len(vocab), 6)
opt = torch.optim.SGD(list(emb_in.parameters()) + list(emb_out.parameters()), lr=0.5)
for epoch in range(15):
    center, context = pairs[:, 0], pairs[:, 1]
    negs = torch.multinomial(noise, pairs.size(0) * 3, replacement=True).view(-1, 3)
    v = emb_in(center)
    pos = F.logsigmoid((v * emb_out(context)).sum(-1))
    neg = F.logsigmoid(-torch.bmm(emb_out(negs), v.unsqueeze(2)).squeeze(2)).sum(-1)
    loss = -(pos + neg).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
print(round(loss.item(), 4), pairs.shape, negs[:2])
sims = F.cosine_similarity(emb_in.weight[w2i["fox"]].unsqueeze(0), emb_in.weight, dim=1)
print([vocab[i] for i in sims.argsort(descending=True)[:3].tolist()])

"""A small GCN on a seeded random graph in the style of Kipf's pygcn and the PyG-free tutorials:
the adjacency built and normalised with sparse ops only (the legacy torch.sparse.FloatTensor,
coalesce, torch.sparse.sum, D^-1/2 A D^-1/2 as sparse products, torch.add/mul/pow of sparse
tensors), torch.spmm / torch.sparse.mm / adj @ x in the layers, gradients to the sparse values,
a sparse-softmax attention step, the printed sparse tensors and the errors torch raises."""

import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

warnings.filterwarnings("ignore")
torch.manual_seed(0)
n, n_feat, n_class, n_edges = 10, 6, 3, 24

src = torch.randint(0, n, (n_edges,))
dst = torch.randint(0, n, (n_edges,))
edge_index = torch.stack([torch.cat([src, dst]), torch.cat([dst, src])])  # undirected
adj = torch.sparse.FloatTensor(edge_index, torch.ones(2 * n_edges), torch.Size([n, n]))
print(adj.is_sparse, adj.layout, adj.type(), adj.is_coalesced(), adj._nnz())
self_loops = torch.sparse_coo_tensor(torch.arange(n).repeat(2, 1), torch.ones(n), (n, n))
adj = torch.add(adj, self_loops).coalesce()
adj = torch.sparse_coo_tensor(adj.indices(), torch.ones(adj._nnz()), adj.shape).coalesce()  # binary
print(adj._nnz(), adj.indices()[:, :5], adj.values()[:5])

deg = torch.sparse.sum(adj, dim=1).to_dense()
print("degrees", deg)
d_inv_sqrt = torch.sparse.sum(adj, dim=1).pow(-0.5)
print(d_inv_sqrt)
d = torch.sparse_coo_tensor(torch.arange(n).repeat(2, 1), d_inv_sqrt.to_dense(), (n, n))
norm_adj = torch.sparse.mm(torch.sparse.mm(d, adj), d).coalesce()
row, col = adj.indices()
by_entries = torch.sparse_coo_tensor(adj.indices(), deg[row].pow(-0.5) * deg[col].pow(-0.5), (n, n))
print(torch.allclose(norm_adj.to_dense(), by_entries.to_dense()))
print(torch.allclose(norm_adj.to_dense(), norm_adj.t().to_dense()), norm_adj.transpose(0, 1).shape)
half = torch.mul(norm_adj, 0.5)
print(torch.div(half, 0.5).to_dense().sum().item(), torch.neg(half).values()[:3])
print(norm_adj[0])
print(torch.index_select(norm_adj, 0, torch.tensor([2, 0])).to_dense())
print(torch.cat([norm_adj, norm_adj]).shape, torch.stack([adj, adj]).to_dense().sum().item())


class GraphConvolution(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.FloatTensor(in_features, out_features))
        self.bias = nn.Parameter(torch.FloatTensor(out_features))
        stdv = 1.0 / self.weight.size(1) ** 0.5
        self.weight.data.uniform_(-stdv, stdv)
        self.bias.data.uniform_(-stdv, stdv)

    def forward(self, input, adj):
        support = torch.mm(input, self.weight)
        return torch.spmm(adj, support) + self.bias


class GCN(nn.Module):
    def __init__(self, nfeat, nhid, nclass):
        super().__init__()
        self.gc1 = GraphConvolution(nfeat, nhid)
        self.gc2 = GraphConvolution(nhid, nclass)

    def forward(self, x, adj):
        x = F.relu(self.gc1(x, adj))
        return F.log_softmax(self.gc2(x, adj), dim=1)


features = torch.randn(n, n_feat)
labels = torch.randint(0, n_class, (n,))
model = GCN(n_feat, 8, n_class)
optimizer = torch.optim.Adam(model.parameters(), lr=0.05, weight_decay=5e-4)
for epoch in range(20):
    optimizer.zero_grad()
    output = model(features, norm_adj)
    loss = F.nll_loss(output[:7], labels[:7])
    loss.backward()
    optimizer.step()
    if epoch % 5 == 0:
        acc = (output[7:].argmax(1) == labels[7:]).float().mean()
        print(f"epoch {epoch} loss {loss.item():.4f} val acc {acc.item():.2f}")

# a learnable edge weight: gradients reach the sparse values and the dense operand
w = torch.ones(adj._nnz(), requires_grad=True)
x = torch.randn(n, 4, requires_grad=True)
weighted = torch.sparse_coo_tensor(adj.indices(), w, adj.shape)
out = torch.sparse.mm(weighted, x) + weighted @ x
out.pow(2).sum().backward()
print(out.grad_fn is not None, w.grad[:6], x.grad.sum(0))

# GAT-style attention on the stored edges: a sparse softmax over each row's neighbours
scores = (x[row] * x[col]).sum(-1).detach().requires_grad_()
attn = torch.sparse.softmax(torch.sparse_coo_tensor(adj.indices(), scores, adj.shape), dim=1)
print(torch.sparse.sum(attn, dim=1).to_dense().detach())
(attn.to_dense() * torch.arange(float(n))).sum().backward()  # (torch's mm backward refuses this one)
print(scores.grad[:6])
print(torch.sparse.log_softmax(attn, 1).values()[:4])

small = torch.sparse_coo_tensor(torch.tensor([[0, 1, 1], [2, 0, 2]]), torch.tensor([3.0, 4.0, 5.0]), (2, 3))
print(small)
print(small * torch.tensor([[1.0], [-1.0]]))
print(torch.relu(-small).coalesce())
print(torch.smm(small, torch.ones(3, 2)).to_dense())
print(torch.hspmm(small, torch.ones(3, 2)))
print(torch.mv(small, torch.ones(3)))
for bad in (
    lambda: small.values(),
    lambda: torch.sparse.mm(small, torch.ones(2, 2)),
    lambda: small.pow(0),
    lambda: small / torch.ones(2, 3),
    lambda: torch.exp(small),
    lambda: torch.cat([small, torch.ones(2, 3)]),
):
    try:
        bad()
    except (RuntimeError, NotImplementedError) as e:
        print("NotImplementedError" if isinstance(e, NotImplementedError) else type(e).__name__)

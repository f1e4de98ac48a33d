"""pytorch/examples gcn: GraphConv with torch.spmm over a sparse normalised adjacency (to_sparse, sparse_coo_tensor, eye + sparse)."""

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F
from torch.optim import Adam


class GraphConv(nn.Module):
    def __init__(self, input_dim, output_dim, use_bias=False):
        super(GraphConv, self).__init__()
        self.kernel = nn.Parameter(torch.Tensor(input_dim, output_dim))
        nn.init.xavier_normal_(self.kernel)
        self.bias = None
        if use_bias:
            self.bias = nn.Parameter(torch.Tensor(output_dim))
            nn.init.zeros_(self.bias)

    def forward(self, input_tensor, adj_mat):
        support = torch.mm(input_tensor, self.kernel)
        output = torch.spmm(adj_mat, support)
        if self.bias is not None:
            output = output + self.bias
        return output


class GCN(nn.Module):
    def __init__(self, input_dim, hidden_dim, output_dim, use_bias=True, dropout_p=0.1):
        super(GCN, self).__init__()
        self.gc1 = GraphConv(input_dim, hidden_dim, use_bias=use_bias)
        self.gc2 = GraphConv(hidden_dim, output_dim, use_bias=use_bias)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, input_tensor, adj_mat):
        x = self.gc1(input_tensor, adj_mat)
        x = F.relu(x)
        x = self.dropout(x)
        x = self.gc2(x, adj_mat)
        return F.log_softmax(x, dim=1)


def load_graph(V=12, n_feat=9, device="cpu"):
    rng = np.random.RandomState(0)
    content = rng.randint(0, 2, size=(V, n_feat)).astype(np.int32)
    content[3] = 0
    labels_str = np.array(["a", "b", "c"])[rng.randint(0, 3, V)]
    features = torch.FloatTensor(content)
    scale_vector = torch.sum(features, dim=1)
    scale_vector = 1 / scale_vector
    scale_vector[scale_vector == float("inf")] = 0
    scale_vector = torch.diag(scale_vector).to_sparse()
    print(scale_vector.is_sparse, scale_vector.layout, scale_vector._nnz())
    features = scale_vector @ features
    print(type(features).__name__, features.is_sparse, features.layout)
    classes, labels = np.unique(labels_str, return_inverse=True)
    labels = torch.LongTensor(labels)
    idx = np.arange(100, 100 + V).astype(np.int32)
    idx_map = {id: pos for pos, id in enumerate(idx)}
    cites = np.stack([rng.randint(100, 100 + V, 20), rng.randint(100, 100 + V, 20)], 1).astype(np.int32)
    edges = np.array(list(map(lambda edge: [idx_map[edge[0]], idx_map[edge[1]]], cites)), dtype=np.int32)
    E = edges.shape[0]
    adj_mat = torch.sparse_coo_tensor(edges.T, torch.ones(E), (V, V), dtype=torch.int64)
    print(adj_mat.dtype, adj_mat.layout, adj_mat.shape, adj_mat.is_coalesced())
    adj_mat = torch.eye(V) + adj_mat
    print(adj_mat.dtype, adj_mat.layout)
    degree_mat = torch.sum(adj_mat, dim=1)
    degree_mat = torch.sqrt(1 / degree_mat)
    degree_mat[degree_mat == float("inf")] = 0
    degree_mat = torch.diag(degree_mat).to_sparse()
    adj_mat = degree_mat @ adj_mat @ degree_mat
    print(adj_mat.layout, adj_mat.dtype)
    return features.to_sparse().to(device), labels.to(device), adj_mat.to_sparse().to(device)


def train_iter(epoch, model, optimizer, criterion, input, target, mask_train, mask_val, print_every=5):
    model.train()
    optimizer.zero_grad()
    output = model(*input)
    loss = criterion(output[mask_train], target[mask_train])
    loss.backward()
    optimizer.step()
    loss_train, acc_train = test(model, criterion, input, target, mask_train)
    loss_val, acc_val = test(model, criterion, input, target, mask_val)
    if epoch % print_every == 0:
        print(
            f"Epoch: {epoch:04d} loss_train: {loss_train:.4f} acc_train: {acc_train:.4f} loss_val: {loss_val:.4f} acc_val: {acc_val:.4f}"
        )


def test(model, criterion, input, target, mask):
    model.eval()
    with torch.no_grad():
        output = model(*input)
        output, target = output[mask], target[mask]
        loss = criterion(output, target)
        acc = (output.argmax(dim=1) == target).float().sum() / len(target)
    return loss.item(), acc.item()


torch.manual_seed(42)
features, labels, adj_mat = load_graph()
print(features.layout, adj_mat.layout, features.shape, adj_mat._nnz() > 0)
print(adj_mat.to_dense()[:3, :4])
idx = torch.randperm(len(labels))
idx_test, idx_val, idx_train = idx[:3], idx[3:6], idx[6:]
gcn = GCN(features.shape[1], 8, labels.max().item() + 1, True, 0.5)
print(gcn)
optimizer = Adam(gcn.parameters(), lr=0.01, weight_decay=5e-4)
criterion = nn.NLLLoss()
for epoch in range(10):
    train_iter(epoch + 1, gcn, optimizer, criterion, (features, adj_mat), labels, idx_train, idx_val, 5)
loss_test, acc_test = test(gcn, criterion, (features, adj_mat), labels, idx_test)
print(f"Test set results: loss {loss_test:.4f} accuracy {acc_test:.4f}")
print(gcn.gc1.kernel.grad.layout, gcn.gc1.kernel.grad.shape)

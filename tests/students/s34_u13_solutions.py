import torch
import torch.nn as nn
import torch.nn.functional as F
import pandas as pd
import time
torch.manual_seed(0)
def num_parameters(model):
    return sum(param.numel() for param in model.parameters() if param.requires_grad)
sentence = "The quick brown fox jumped over the lazy dogs."
sentence_tensor = torch.tensor([[ord(x) for x in sentence]])
targets = sentence_tensor[:, 1:]; input_ids = sentence_tensor[:, :-1]
n_vocab, emb_dim = 256, 5
embedder = nn.Embedding(n_vocab, emb_dim)
def num_params_for_embedding(n_vocab, emb_dim):
    return n_vocab * emb_dim
assert num_params_for_embedding(n_vocab, emb_dim) == num_parameters(nn.Embedding(n_vocab, emb_dim))
class MLP(nn.Module):
    def __init__(self, emb_dim, n_hidden):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(emb_dim, n_hidden), nn.ReLU(), nn.Linear(n_hidden, emb_dim))
    def forward(self, x): return self.model(x)
def num_parameters_for_mlp(emb_dim, n_hidden):
    return emb_dim * n_hidden + n_hidden + n_hidden * emb_dim + emb_dim
print(num_parameters_for_mlp(emb_dim, 16), num_parameters(MLP(emb_dim, 16)))
assert num_parameters_for_mlp(emb_dim, 16) == num_parameters(MLP(emb_dim=emb_dim, n_hidden=16))
def wrong_count(emb_dim, n_hidden):
    return emb_dim * n_hidden + n_hidden * emb_dim
assert wrong_count(emb_dim, 16) == num_parameters(MLP(emb_dim, 16)), "forgot the biases"
print(num_parameters(nn.Linear(5, 16)) == 5 * 16 + 16)
n_hidden = 16
mlp = nn.Sequential(nn.Linear(in_features=emb_dim, out_features=n_hidden), nn.ReLU(), nn.Linear(n_hidden, emb_dim))
print(num_parameters(mlp))
embeddings = embedder(input_ids)
output = mlp(embeddings)
assert output.shape == (1, 45, 5)
print(output.shape, output.shape == (1, 45, 5), output.shape == torch.Size([1, 45, 5]))
def time_trial(model, x, n=3):
    start = time.time()
    for _ in range(n): model(x)
    return (time.time() - start) >= 0
print(time_trial(mlp, embeddings))
lm_head = nn.Linear(emb_dim, n_vocab)
lm_head.weight = embedder.weight
embeddings = embedder(input_ids)
embeddings.retain_grad()
output = mlp(embeddings)
logits = lm_head(output)
loss = F.cross_entropy(logits.transpose(1, 2), targets, reduction='none')
print(loss.shape)
loss[0, 20].backward()
g = embeddings.grad.squeeze()
print(g.shape, (g.norm(dim=1) > 0).nonzero().squeeze().tolist())
print(pd.DataFrame(g.numpy()).shape)
pd.DataFrame(embeddings.grad.squeeze())
df = pd.DataFrame(embeddings.grad.squeeze().detach().numpy())
print(df.abs().sum(axis=1).gt(0).sum())
loss.mean().backward()
loss2 = F.cross_entropy(lm_head(mlp(embedder(input_ids))).transpose(1, 2), targets)
loss2.backward()
print(embedder.weight.grad.shape, embedder.weight.grad.abs().sum() > 0)
conv = nn.Conv1d(emb_dim, emb_dim, kernel_size=3, padding=1)
print(conv(embeddings.transpose(1, 2)).transpose(1, 2).shape)
conv(embeddings)
rnn = nn.RNN(emb_dim, 8, batch_first=True)
out, h = rnn(embeddings)
print(out.shape, h.shape, num_parameters(rnn), num_parameters(nn.LSTM(emb_dim, 8)), num_parameters(nn.GRU(emb_dim, 8)))
att = nn.MultiheadAttention(emb_dim, 1, batch_first=True)
o, w = att(embeddings, embeddings, embeddings, attn_mask=nn.Transformer.generate_square_subsequent_mask(45))
print(o.shape, w.shape, w[0, 0, :3], num_parameters(att))
print(nn.Transformer.generate_square_subsequent_mask(3))

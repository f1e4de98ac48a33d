import torch
import torch.nn as nn
import torch.nn.functional as F
import pandas as pd
import matplotlib.pyplot as plt
torch.manual_seed(0)
def num_parameters(model):
    return sum(param.numel() for param in model.parameters() if param.requires_grad)
device = "cpu"
texts = ["Once upon a time there was a cat.", "The dog ran to the park and played.", "A bird sang a song."] * 4
n_vocab = 256
def encode_doc(doc):
    token_ids = torch.tensor([ord(x) for x in doc], device=device)
    token_ids = token_ids[token_ids < n_vocab]
    return token_ids
def decode(x):
    if isinstance(x, torch.Tensor):
        x = x.cpu().numpy()
    return ''.join(chr(x) for x in x)
train_tokenized = [{'input_ids': encode_doc(t)} for t in texts]
sentence_tensor = encode_doc(texts[0][:20])
print(sentence_tensor, decode(sentence_tensor))
class MLP(nn.Module):
    def __init__(self, emb_dim, n_hidden):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(emb_dim, n_hidden), nn.ReLU(), nn.Linear(n_hidden, emb_dim))
    def forward(self, x):
        return self.model(x)
emb_dim = 32
VERY_SMALL_NUMBER = -1e9
def make_causal_mask(sequence_len):
    return (1 - torch.tril(torch.ones(sequence_len, sequence_len))) * VERY_SMALL_NUMBER
class Head(nn.Module):
    def __init__(self, emb_dim, head_dim):
        super().__init__()
        self.head_dim = head_dim
        self.get_query = nn.Linear(emb_dim, head_dim, bias=False)
        self.get_key = nn.Linear(emb_dim, head_dim, bias=False)
        self.get_value = nn.Linear(emb_dim, head_dim, bias=False)
    def forward(self, x):
        seq_len, emb_dim = x.shape
        q, k, v = self.get_query(x), self.get_key(x), self.get_value(x)
        scores = q @ k.transpose(-2, -1) / emb_dim ** 0.5
        scores = scores + make_causal_mask(seq_len).to(scores.device)
        return scores.softmax(dim=-1) @ v
class SelfAttention(nn.Module):
    def __init__(self, emb_dim, head_dim, n_heads):
        super().__init__()
        self.heads = nn.ModuleList([Head(emb_dim, head_dim) for _ in range(n_heads)])
        self.proj = nn.Linear(head_dim * n_heads, emb_dim)
    def forward(self, x):
        return self.proj(torch.cat([h(x) for h in self.heads], dim=-1))
class Layer(nn.Module):
    def __init__(self, emb_dim, head_dim, n_heads, dim_feedforward):
        super().__init__()
        self.self_attention = SelfAttention(emb_dim, head_dim, n_heads)
        self.mlp = MLP(emb_dim, dim_feedforward)
        self.norm_1 = nn.LayerNorm(emb_dim); self.norm_2 = nn.LayerNorm(emb_dim)
    def forward(self, x):
        x = x + self.self_attention(self.norm_1(x))
        return x + self.mlp(self.norm_2(x))
max_len = 100
class TransformerLM(nn.Module):
    def __init__(self, n_vocab, max_len, emb_dim, n_hidden, head_dim=5, n_heads=4):
        super().__init__()
        self.word_to_embedding = nn.Embedding(n_vocab, emb_dim)
        self.pos_to_embedding = nn.Embedding(max_len, emb_dim)
        self.model = Layer(emb_dim, head_dim, n_heads, n_hidden)
        self.lm_head = nn.Linear(emb_dim, n_vocab, bias=False)
        self.lm_head.weight = self.word_to_embedding.weight
    def forward(self, input_ids):
        seq_len = input_ids.shape[-1]
        x = self.word_to_embedding(input_ids) + self.pos_to_embedding(torch.arange(seq_len, device=input_ids.device))
        return self.lm_head(self.model(x))
model = TransformerLM(n_vocab, max_len, emb_dim, emb_dim * 4, head_dim=emb_dim // 2, n_heads=2)
print(f"The model has {num_parameters(model)} parameters")
print(model)
optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
losses = []
for epoch in range(2):
    sample_counter = 0
    for example in train_tokenized:
        token_ids = example['input_ids'][:max_len]
        input_ids, targets = token_ids[:-1], token_ids[1:]
        assert token_ids.max() < n_vocab
        logits = model(input_ids)
        loss = nn.CrossEntropyLoss()(logits, targets)
        loss.backward(); optimizer.step(); optimizer.zero_grad()
        losses.append(loss.item()); sample_counter += 1
    print(f"Epoch {epoch}, Loss: {sum(losses[-sample_counter:]) / sample_counter}")
pd.Series(losses).ewm(alpha=.1).mean().plot()
print(pd.Series(losses).ewm(alpha=.1).mean().iloc[-1])
prompt_tensor = encode_doc('Once')
for i in range(10):
    logits = model(prompt_tensor)
    probs = (logits[-1] / 0.5).softmax(dim=-1)
    next_token = torch.multinomial(probs, num_samples=1)
    prompt_tensor = torch.cat([prompt_tensor, next_token])
print(decode(prompt_tensor))
x = model.word_to_embedding(prompt_tensor) + model.pos_to_embedding(torch.arange(prompt_tensor.shape[-1]))
x = model.model.norm_1(x)
head = model.model.self_attention.heads[0]
queries, keys, values = head.get_query(x), head.get_key(x), head.get_value(x)
qk = queries @ keys.T
print(qk.shape, torch.allclose(queries[2] @ keys[1], qk[2, 1]))
max_values = torch.abs(qk).max().item()
plt.imshow(qk.detach().numpy(), cmap="RdBu", vmin=-max_values, vmax=max_values)
plt.imshow(qk, cmap="RdBu")
attention_weights = F.softmax((qk + make_causal_mask(x.shape[0])) / emb_dim ** 0.5, dim=-1)
print(attention_weights[3], (attention_weights[0] @ values).shape)
display_df = pd.DataFrame(attention_weights.detach().numpy()).round(2)
print(display_df.iloc[:3, :3])
pd.DataFrame(attention_weights)
print(model.lm_head.weight is model.word_to_embedding.weight, model.lm_head.weight.data_ptr() == model.word_to_embedding.weight.data_ptr())
print(len(list(model.parameters())), len(model.state_dict()))

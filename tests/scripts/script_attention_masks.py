import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
B, T, E, H = 2, 5, 8, 2
x = torch.randn(B, T, E)
mha = nn.MultiheadAttention(E, H, batch_first=True, dropout=0.0)
kpm = torch.tensor([[False] * 5, [False, False, False, True, True]])
causal = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
out, w = mha(x, x, x, key_padding_mask=kpm, attn_mask=causal)
print(out.shape, w.shape)
print(w[1])
out2, w2 = mha(x, x, x, key_padding_mask=kpm, average_attn_weights=False)
print(w2.shape, w2[1, 0, 0])
out3, w3 = mha(x, x, x, need_weights=False)
print(w3)
q, k, v = mha.in_proj_weight.chunk(3)
print(q.shape, mha.in_proj_bias.shape, mha.out_proj)


def manual(x):
    Q = x @ q.T + mha.in_proj_bias[:E]
    K = x @ k.T + mha.in_proj_bias[E : 2 * E]
    V = x @ v.T + mha.in_proj_bias[2 * E :]
    Q, K, V = (t.view(B, T, H, E // H).transpose(1, 2) for t in (Q, K, V))
    scores = Q @ K.transpose(-2, -1) / math.sqrt(E // H)
    scores = scores.masked_fill(causal, float("-inf"))
    scores = scores.masked_fill(kpm[:, None, None, :], float("-inf"))
    att = scores.softmax(-1)
    o = (att @ V).transpose(1, 2).reshape(B, T, E)
    return mha.out_proj(o), att.mean(1)


mo, mw = manual(x)
print(torch.allclose(mo, out, atol=1e-5), torch.allclose(mw, w, atol=1e-6))
Q = torch.randn(B, H, T, 4)
s1 = F.scaled_dot_product_attention(Q, Q, Q, is_causal=True)
s2 = F.scaled_dot_product_attention(Q, Q, Q, attn_mask=~causal)
print(torch.allclose(s1, s2, atol=1e-6), s1[0, 0, :2])
fm = torch.zeros(T, T).masked_fill(causal, float("-inf"))
print(fm)
s3 = F.scaled_dot_product_attention(Q, Q, Q, attn_mask=fm, scale=0.5)
print(s3[1, 1, -1])
# row that is fully masked
allmask = torch.ones(T, T, dtype=torch.bool)
allmask[0] = False
s4 = F.scaled_dot_product_attention(Q, Q, Q, attn_mask=allmask)
print(s4[0, 0, 0])
loss = out.pow(2).mean()
loss.backward()
print(mha.in_proj_weight.grad.norm(), mha.out_proj.bias.grad)

import math
import torch
import torch.nn as nn

torch.manual_seed(0)


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight, gain=nn.init.calculate_gain("relu"))
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        nn.init.constant_(m.bias, 0.01)
    elif isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Embedding):
        nn.init.normal_(m.weight, mean=0.0, std=0.02)
    elif isinstance(m, nn.LSTM):
        for name, p in m.named_parameters():
            if "weight_ih" in name:
                nn.init.xavier_uniform_(p)
            elif "weight_hh" in name:
                nn.init.orthogonal_(p)
            else:
                p.data.fill_(0)
                n = p.size(0)
                p.data[n // 4 : n // 2].fill_(1.0)


net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 6, 10))
net.apply(init_weights)
for name, p in net.named_parameters():
    print(f"{name:12s} {str(tuple(p.shape)):16s} mean {p.mean().item():+.4f} std {p.std().item():.4f}")
lstm = nn.LSTM(4, 6, num_layers=2)
lstm.apply(init_weights)
print(lstm.bias_ih_l0, lstm.weight_hh_l1 @ lstm.weight_hh_l1.T)
emb = nn.Embedding(10, 4)
init_weights(emb)
print(emb.weight.std())
for g in ["linear", "conv2d", "sigmoid", "tanh", "relu", "selu"]:
    print(g, nn.init.calculate_gain(g))
print(nn.init.calculate_gain("leaky_relu", 0.2))
w = torch.empty(3, 5)
print(nn.init.trunc_normal_(w, std=0.02, a=-0.04, b=0.04))
print(nn.init.uniform_(w, -0.1, 0.1))
print(nn.init.kaiming_uniform_(w, a=math.sqrt(5)))
print(nn.init.eye_(torch.empty(3, 4)))
print(nn.init.dirac_(torch.empty(2, 2, 3)))
print(nn.init.sparse_(torch.empty(4, 3), sparsity=0.5).eq(0).sum(0))
print(nn.init.xavier_normal_(torch.empty(2, 3, 4)))
print(nn.init.orthogonal_(torch.empty(3, 5), gain=2))
lin = nn.Linear(4, 3)
with torch.no_grad():
    lin.weight.copy_(torch.arange(12.0).view(3, 4) / 10)
    lin.bias.fill_(0.5)
print(lin.weight, lin.bias)
print(lin(torch.ones(1, 4)))
lin.reset_parameters()
print(lin.weight.abs().max() <= 1 / math.sqrt(4))
bound = 1 / math.sqrt(lin.in_features)
print(round(bound, 4))

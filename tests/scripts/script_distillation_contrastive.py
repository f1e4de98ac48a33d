import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
teacher = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 5))
student = nn.Sequential(nn.Linear(10, 8), nn.ReLU(), nn.Linear(8, 5))
x = torch.randn(32, 10)
y = torch.randint(0, 5, (32,))
T = 4.0
alpha = 0.7
opt = torch.optim.AdamW(student.parameters(), lr=1e-2, weight_decay=1e-2)
teacher.eval()
kl = nn.KLDivLoss(reduction="batchmean")
for step in range(10):
    with torch.no_grad():
        t_logits = teacher(x)
    s_logits = student(x)
    soft_loss = kl(F.log_softmax(s_logits / T, dim=1), F.softmax(t_logits / T, dim=1)) * T * T
    hard_loss = F.cross_entropy(s_logits, y)
    loss = alpha * soft_loss + (1 - alpha) * hard_loss
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 3 == 0:
        print(f"step {step} soft {soft_loss.item():.4f} hard {hard_loss.item():.4f}")
print(F.kl_div(F.log_softmax(s_logits, 1), F.log_softmax(t_logits, 1), reduction="sum", log_target=True))
# SimCLR-style NT-Xent
encoder = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 8))


def nt_xent(z1, z2, temperature=0.5):
    z = F.normalize(torch.cat([z1, z2], dim=0), dim=1)
    sim = z @ z.t() / temperature
    n = z1.size(0)
    mask = torch.eye(2 * n, dtype=torch.bool)
    sim = sim.masked_fill(mask, float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, targets)


opt = torch.optim.SGD(encoder.parameters(), lr=0.1, momentum=0.9, nesterov=True)
for step in range(5):
    v1 = x + 0.1 * torch.randn_like(x)
    v2 = x * (torch.rand_like(x) > 0.1)
    loss = nt_xent(encoder(v1), encoder(v2))
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 4))
z1, z2 = encoder(x[:4]), encoder(x[4:8])
print(F.cosine_similarity(z1, z2, dim=1))
print(F.cosine_similarity(z1.unsqueeze(1), z2.unsqueeze(0), dim=-1).shape)
print(F.pairwise_distance(z1, z2), torch.cdist(z1, z2).diagonal())
triplet = nn.TripletMarginLoss(margin=1.0, p=2)
print(triplet(z1, z1 + 0.01, z2))
print(F.cosine_embedding_loss(z1, z2, torch.tensor([1, -1, 1, -1])))
print(F.margin_ranking_loss(z1[:, 0], z2[:, 0], torch.tensor([1.0, -1.0, 1.0, 1.0])))
print(
    nn.HingeEmbeddingLoss()(torch.randn(4, 3), torch.tensor([1.0, -1.0, 1.0, -1.0]).unsqueeze(1).expand(4, 3))
)

import torch
from torch import nn
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3))
X = torch.randn(10, 4); y = torch.randint(0, 3, (10,))
model.eval()
with torch.no_grad():
    logits = model(X)
preds = logits.argmax(dim=1)
correct = (preds == y).sum()
print(correct, correct.item(), correct / len(y), correct.item() / len(y))
acc = correct / y.shape[0]
print(f"Accuracy: {acc:.2%}", f"{acc * 100:.1f}%", acc.dtype)
print(f"{correct}/{len(y)}")
conf = torch.zeros(3, 3, dtype=torch.long)
for t, p in zip(y, preds): conf[t, p] += 1
print(conf)
conf2 = torch.zeros(3, 3)
conf2[y, preds] += 1
print(conf2)
conf3 = torch.zeros(3, 3).index_put_((y, preds), torch.ones(10), accumulate=True)
print(conf3)
print(torch.bincount(y * 3 + preds, minlength=9).reshape(3, 3))
print((preds == y).float().mean().item())
print(torch.unique(y, return_counts=True))
print(y.unique(), y.unique().tolist())
print(preds.eq(y).sum().item(), preds.ne(y).sum())
top2 = logits.topk(2, dim=1).indices
print((top2 == y[:, None]).any(dim=1).float().mean())
print((top2 == y.unsqueeze(1)).any(1).sum())
probs = logits.softmax(1)
print(probs.max(1).values.mean(), probs[torch.arange(10), y].log().neg().mean())
model.train(); print(model(X).shape, model.training)
print(torch.tensor(0.8523).item(), float(torch.tensor(0.8523)), round(torch.tensor(0.8523).item(), 2))
print(torch.tensor([0.8523]).round(decimals=2))

import math
import torch
import torch.nn as nn

torch.manual_seed(0)
t = torch.linspace(0, 4 * math.pi, 120)
series = torch.sin(t) + 0.5 * torch.sin(3 * t) + 0.05 * torch.randn(120)
mn, mx = series.min(), series.max()
scaled = (series - mn) / (mx - mn) * 2 - 1
window = 10
windows = scaled.unfold(0, window + 1, 1)
print(windows.shape)
X = windows[:, :-1].unsqueeze(-1)
Y = windows[:, -1:]
split = int(0.8 * len(X))
X_train, Y_train, X_test, Y_test = X[:split], Y[:split], X[split:], Y[split:]
print(X_train.shape, Y_test.shape)


class Forecaster(nn.Module):
    def __init__(self, hidden=16, layers=2):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, num_layers=layers, batch_first=True, dropout=0.1)
        self.fc = nn.Linear(hidden, 1)

    def forward(self, x, state=None):
        out, state = self.lstm(x, state)
        return self.fc(out[:, -1, :]), state


model = Forecaster()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
loss_fn = nn.MSELoss()
for epoch in range(4):
    model.train()
    perm = torch.randperm(len(X_train))
    total = 0.0
    for i in range(0, len(perm), 64):
        idx = perm[i : i + 64]
        pred, _ = model(X_train[idx])
        loss = loss_fn(pred, Y_train[idx])
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        total += loss.item() * len(idx)
    model.eval()
    with torch.no_grad():
        test_pred, _ = model(X_test)
        test_loss = loss_fn(test_pred, Y_test)
    print(f"epoch {epoch}: train {total / len(X_train):.5f} test {test_loss.item():.5f}")
with torch.no_grad():
    seq = X_test[:1].clone()
    preds = []
    for _ in range(10):
        p, _ = model(seq)
        preds.append(p.item())
        seq = torch.cat([seq[:, 1:, :], p.view(1, 1, 1)], dim=1)
preds = torch.tensor(preds)
print(((preds + 1) / 2 * (mx - mn) + mn).round(decimals=3))
cell = nn.LSTMCell(1, 8)
h = torch.zeros(3, 8)
c = torch.zeros(3, 8)
outs = []
for step in range(X_test.size(1)):
    h, c = cell(X_test[:3, step], (h, c))
    outs.append(h)
outs = torch.stack(outs, dim=1)
print(outs.shape, outs[0, -1, :4])
gcell = nn.GRUCell(1, 8)
hg = gcell(X_test[:3, 0])
print(hg.shape, gcell(X_test[:3, 1], hg)[0, :3])
rcell = nn.RNNCell(1, 4, nonlinearity="tanh")
print(
    rcell(X_test[:2, 0]).shape,
    nn.RNN(1, 4, num_layers=2, bidirectional=True, batch_first=True)(X_test[:2])[1].shape,
)
lstm = nn.LSTM(1, 4, proj_size=2, batch_first=True)
o, (hn, cn) = lstm(X_test[:2])
print(o.shape, hn.shape, cn.shape)
print([n for n, _ in lstm.named_parameters()])

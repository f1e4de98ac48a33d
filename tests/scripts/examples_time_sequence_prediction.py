"""pytorch/examples time_sequence_prediction: two LSTMCells in float64 (seq.double()), LBFGS with a closure, future steps."""

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

np.random.seed(2)
T = 20
L = 40
N = 6
x = np.empty((N, L), "int64")
x[:] = np.array(range(L)) + np.random.randint(-4 * T, 4 * T, N).reshape(N, 1)
data = np.sin(x / 1.0 / T).astype("float64")


class Sequence(nn.Module):
    def __init__(self):
        super(Sequence, self).__init__()
        self.lstm1 = nn.LSTMCell(1, 8)
        self.lstm2 = nn.LSTMCell(8, 8)
        self.linear = nn.Linear(8, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), 8, dtype=torch.double)
        c_t = torch.zeros(input.size(0), 8, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), 8, dtype=torch.double)
        c_t2 = torch.zeros(input.size(0), 8, dtype=torch.double)

        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for i in range(future):
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        outputs = torch.cat(outputs, dim=1)
        return outputs


np.random.seed(0)
torch.manual_seed(0)
input = torch.from_numpy(data[3:, :-1])
target = torch.from_numpy(data[3:, 1:])
test_input = torch.from_numpy(data[:3, :-1])
test_target = torch.from_numpy(data[:3, 1:])
print(input.dtype, input.shape, test_target.shape)
seq = Sequence()
seq.double()
print(seq)
print(seq.lstm1.weight_ih.dtype, seq.linear.bias.dtype)
criterion = nn.MSELoss()
optimizer = optim.LBFGS(seq.parameters(), lr=0.8, max_iter=8)
for i in range(2):
    print("STEP: ", i)
    if i == 1:
        optimizer = optim.LBFGS(seq.parameters(), lr=0.8, max_iter=5, line_search_fn="strong_wolfe")
    n = [0]

    def closure():
        optimizer.zero_grad()
        out = seq(input)
        loss = criterion(out, target)
        n[0] += 1
        if n[0] <= 3:
            print("loss:", round(loss.item(), 6))
        loss.backward()
        return loss

    ret = optimizer.step(closure)
    print(type(ret).__name__, ret.dtype, n[0])
    with torch.no_grad():
        future = 5
        pred = seq(test_input, future=future)
        loss = criterion(pred[:, :-future], test_target)
        print("test loss:", round(loss.item(), 5))
        y = pred.detach().numpy()
    print(y.shape, y.dtype, np.arange(input.size(1)).shape, y[0][: input.size(1)].shape)
st = optimizer.state_dict()
print(sorted(st["state"][0].keys()))
print(st["param_groups"])

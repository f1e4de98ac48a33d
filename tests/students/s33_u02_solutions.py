import torch
import numpy as np
w = torch.tensor([-2.0, 1.0])
x = torch.tensor([1.5, -3.0])
def dot_loop(w, x):
    total = 0
    for i in range(len(w)):
        total += w[i] * x[i]
    return total
print(dot_loop(w, x), type(dot_loop(w, x)).__name__)
def dot_loop2(w, x):
    total = 0.0
    for wi, xi in zip(w, x):
        total = total + wi * xi
    return total.item()
def dot_loop3(w, x):
    return sum(w[i] * x[i] for i in range(len(w)))
def dot_loop_np(w, x):
    return np.sum(w.numpy() * x.numpy())
def dot_loop_list(w, x):
    return sum([a * b for a, b in zip(w.tolist(), x.tolist())])
test_cases = [([0.], [500.], 0.0), ([1., 0.0], [50.0, .5], 50.0), ([-1.0, 1.0], [-1.0, 1.0], 2.0)]
def run_dot_tests(f):
    for w, x, prod in test_cases:
        w = torch.tensor(w)
        x = torch.tensor(x)
        print(f"Testing dot_loop({w}, {x})")
        result = f(w, x)
        if not isinstance(result, torch.Tensor):
            result = torch.tensor(result)
        assert torch.isclose(result, torch.tensor(prod))
    print("All tests passed")
run_dot_tests(dot_loop)
run_dot_tests(dot_loop2)
run_dot_tests(dot_loop3)
run_dot_tests(dot_loop_np)
run_dot_tests(dot_loop_list)
run_dot_tests(lambda w, x: w @ x)
run_dot_tests(lambda w, x: (w * x).sum())
run_dot_tests(lambda w, x: torch.dot(w, x))
run_dot_tests(lambda w, x: w.dot(x).item())
run_dot_tests(lambda w, x: torch.sum(w * x, dim=0))
run_dot_tests(lambda w, x: w.T @ x)
run_dot_tests(lambda w, x: w @ x.T)
run_dot_tests(lambda w, x: torch.matmul(w, x))
run_dot_tests(lambda w, x: w.unsqueeze(0) @ x.unsqueeze(1))
run_dot_tests(lambda w, x: np.dot(w, x))
run_dot_tests(lambda w, x: (w * x).sum(axis=0, keepdims=True))
def linear(weights, bias, x):
    return weights @ x + bias
print(linear(w, -4.0, x))
assert torch.isclose(linear(w, -4.0, x), torch.tensor(-11.0))
def linear_bad(weights, bias, x):
    return (weights @ x).item() + bias
torch.isclose(linear_bad(w, -4.0, x), torch.tensor(2.0))
class Linear:
    def __init__(self, weights, bias):
        self.weights = weights
        self.bias = bias
    def forward(self, x):
        return self.weights @ x + self.bias
layer = Linear(weights=w, bias=1.0)
print(layer.forward(x))
layer(x)
y_true = torch.tensor([3.14, 1.59, 2.65])
y_pred = torch.tensor([2.71, 8.28, 1.83])
resid = y_true - y_pred
squared_error = resid ** 2
print(resid, squared_error, squared_error.mean(), squared_error.sum() / len(squared_error))
print(((y_true - y_pred) ** 2).mean(), torch.mean((y_true - y_pred) ** 2), torch.nn.functional.mse_loss(y_pred, y_true))
print(sum(squared_error) / len(squared_error), np.mean(squared_error.numpy()), squared_error.mean().item())
print(torch.square(resid).mean(), resid.pow(2).mean(), (resid * resid).mean(), resid.square().sum() / 3)
print(np.mean(squared_error))
torch.manual_seed(1234)
x = torch.rand(4, 2)
print(x)
bottom_right = x[-1, -1]
assert bottom_right == x[3, 1] and bottom_right == x[3][-1]
top_left, top_right, bottom_left = x[0, 0], x[0, -1], x[-1, 0]
print(f"Top-Left: {top_left:.2f}, Top-Right: {top_right:.2f}, Bottom-Left: {bottom_left:.2f}")
print(f"Top-Left: {x[0]:.2f}")
print(f"{x[0][0]:.2f} {x[0, 0].item():.2f} {float(x[0, 0]):.2f} {x[0, 0]:>8.3f} {x[0, 0]:e} {x[0, 0]:g} {x[0, 0]:%}")
print(f"{torch.tensor(5):d} {torch.tensor(5):03d} {torch.tensor(5):.1f} {torch.tensor(True)}")
f"{torch.tensor(5.0):d}"
f"{torch.tensor([5.0]):.1f}"
print(x[:, 0], x[0, :], x[1:3], x[::2], x[x > 0.5], x.max(), x.argmax(), x.T[0])
print("rows:", x.shape[0], "cols:", x.shape[1], "total:", x.numel())
print(x.sum(axis=0), x.sum(axis=1), x.mean(axis=0), x.max(axis=0))

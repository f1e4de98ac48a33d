import os
import tempfile
from pathlib import Path
from pprint import pprint

import numpy as np
import torch
from torch import nn

device = "cuda" if torch.cuda.is_available() else "cpu"
print(f"Using device: {device}")
weight, bias = 0.7, 0.3
X = torch.arange(start=0, end=1, step=0.02).unsqueeze(dim=1)
y = weight * X + bias
print((X[:10], y[:10]))
train_split = int(0.8 * len(X))
X_train, y_train = X[:train_split], y[:train_split]
X_test, y_test = X[train_split:], y[train_split:]
print((len(X_train), len(y_train), len(X_test), len(y_test)))


class LinearRegressionModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(1, dtype=torch.float), requires_grad=True)
        self.bias = nn.Parameter(torch.randn(1, requires_grad=True, dtype=torch.float))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weights * x + self.bias


torch.manual_seed(42)
model_0 = LinearRegressionModel()
print(list(model_0.parameters()))
print(repr(model_0.state_dict()))
print(model_0)
with torch.inference_mode():
    y_preds = model_0(X_test)
print(f"Number of predictions made: {len(y_preds)}")
print(f"Predicted values:\n{y_preds}")
print(repr(y_test - y_preds), y_preds.requires_grad, y_preds.is_inference())
with torch.no_grad():
    y_nograd = model_0(X_test)
print(y_nograd.is_inference(), y_nograd.requires_grad, y_nograd.grad_fn)
try:
    y_preds.add_(1)
except RuntimeError as e:
    print("RuntimeError", str(e)[:60])
loss_fn = nn.L1Loss()
print(loss_fn)
optimizer = torch.optim.SGD(params=model_0.parameters(), lr=0.01)
print(optimizer)
torch.manual_seed(42)
epoch_count, train_loss_values, test_loss_values = [], [], []
for epoch in range(100):
    model_0.train()
    y_pred = model_0(X_train)
    loss = loss_fn(y_pred, y_train)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    model_0.eval()
    with torch.inference_mode():
        test_pred = model_0(X_test)
        test_loss = loss_fn(test_pred, y_test.type(torch.float))
        if epoch % 10 == 0:
            epoch_count.append(epoch)
            train_loss_values.append(loss.detach().numpy())
            test_loss_values.append(test_loss.detach().numpy())
            print(f"Epoch: {epoch} | MAE Train Loss: {loss} | MAE Test Loss: {test_loss} ")
print(train_loss_values[:2])
print(model_0.state_dict())
print(f"weights: {weight}, bias: {bias}")

tmp = tempfile.mkdtemp()
MODEL_PATH = Path(tmp) / "models"
MODEL_PATH.mkdir(parents=True, exist_ok=True)
MODEL_SAVE_PATH = MODEL_PATH / "01_pytorch_workflow_model_0.pth"
torch.save(obj=model_0.state_dict(), f=MODEL_SAVE_PATH)
print(os.path.getsize(MODEL_SAVE_PATH) > 0)
loaded_model_0 = LinearRegressionModel()
print(loaded_model_0.load_state_dict(torch.load(f=MODEL_SAVE_PATH)))
print(loaded_model_0.load_state_dict(torch.load(MODEL_SAVE_PATH, weights_only=True)))
loaded_model_0.eval()
with torch.inference_mode():
    loaded_model_preds = loaded_model_0(X_test)
    y_preds = model_0(X_test)
print(y_preds == loaded_model_preds)


class LinearRegressionModelV2(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear_layer = nn.Linear(in_features=1, out_features=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear_layer(x)


torch.manual_seed(42)
model_1 = LinearRegressionModelV2()
print((model_1, model_1.state_dict()))
print(next(model_1.parameters()).device)
print(model_1.to(device))
optimizer = torch.optim.SGD(params=model_1.parameters(), lr=0.01)
X_train, X_test, y_train, y_test = (t.to(device) for t in (X_train, X_test, y_train, y_test))
for epoch in range(300):
    model_1.train()
    loss = loss_fn(model_1(X_train), y_train)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    model_1.eval()
    with torch.inference_mode():
        test_loss = loss_fn(model_1(X_test), y_test)
    if epoch % 100 == 0:
        print(f"Epoch: {epoch} | Train loss: {loss} | Test loss: {test_loss}")
pprint(model_1.state_dict())
torch.save(obj=model_1, f=MODEL_PATH / "whole.pth")
whole = torch.load(MODEL_PATH / "whole.pth", weights_only=False)
print(f"Loaded model:\n{whole}", next(whole.parameters()).device)
try:
    torch.load(MODEL_PATH / "whole.pth")
except Exception as e:
    print(type(e).__name__, "Weights only load failed" in str(e))
loaded_model_1 = LinearRegressionModelV2()
loaded_model_1.load_state_dict(
    torch.load(MODEL_SAVE_PATH.parent / "whole.pth", weights_only=False).state_dict()
)
try:
    loaded_model_1.load_state_dict(torch.load(MODEL_SAVE_PATH))
except RuntimeError as e:
    print(str(e))

# 02: classification on make_circles-style data
rng = np.random.RandomState(42)
n_samples = 200
t = np.linspace(0, 2 * np.pi, n_samples // 2, endpoint=False)
Xc = np.vstack([np.c_[np.cos(t), np.sin(t)], 0.8 * np.c_[np.cos(t), np.sin(t)]])
yc = np.hstack([np.zeros(n_samples // 2, dtype=np.int64), np.ones(n_samples // 2, dtype=np.int64)])
Xc += rng.normal(scale=0.03, size=Xc.shape)
perm = rng.permutation(n_samples)
Xc, yc = Xc[perm], yc[perm]
print(f"First 5 X features:\n{Xc[:5]}")
X_sample, y_sample = Xc[0], yc[0]
print(f"Shapes for one sample of X: {X_sample.shape} and the same for y: {y_sample.shape}")
X = torch.from_numpy(Xc).type(torch.float)
y = torch.from_numpy(yc).type(torch.float)
print((X[:5], y[:5]), X.dtype, y.dtype)
X_train, X_test, y_train, y_test = X[:160], X[160:], y[:160], y[160:]


def accuracy_fn(y_true, y_pred):
    correct = torch.eq(y_true, y_pred).sum().item()
    return (correct / len(y_pred)) * 100


torch.manual_seed(42)
model_0 = nn.Sequential(
    nn.Linear(in_features=2, out_features=5), nn.Linear(in_features=5, out_features=1)
).to(device)
print(model_0)
untrained_preds = model_0(X_test.to(device))
print(f"Length of predictions: {len(untrained_preds)}, Shape: {untrained_preds.shape}")
print(f"\nFirst 10 predictions:\n{untrained_preds[:10]}")
loss_fn = nn.BCEWithLogitsLoss()
optimizer = torch.optim.SGD(params=model_0.parameters(), lr=0.1)
y_logits = model_0(X_test.to(device))[:5]
print(repr(y_logits))
y_pred_probs = torch.sigmoid(y_logits)
y_preds = torch.round(y_pred_probs)
print(repr(y_pred_probs), repr(y_preds))
y_pred_labels = torch.round(torch.sigmoid(model_0(X_test.to(device))[:5]))
print(torch.eq(y_preds.squeeze(), y_pred_labels.squeeze()))
print(repr(y_preds.squeeze()))
try:
    loss_fn(model_0(X_train), y_train)
except ValueError as e:
    print("ValueError", e)


class CircleModelV2(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer_1 = nn.Linear(in_features=2, out_features=10)
        self.layer_2 = nn.Linear(in_features=10, out_features=10)
        self.layer_3 = nn.Linear(in_features=10, out_features=1)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.layer_3(self.relu(self.layer_2(self.relu(self.layer_1(x)))))


torch.manual_seed(42)
model_3 = CircleModelV2().to(device)
print(model_3)
optimizer = torch.optim.SGD(model_3.parameters(), lr=0.1)
for epoch in range(200):
    y_logits = model_3(X_train).squeeze()
    y_pred = torch.round(torch.sigmoid(y_logits))
    loss = loss_fn(y_logits, y_train)
    acc = accuracy_fn(y_true=y_train, y_pred=y_pred)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    model_3.eval()
    with torch.inference_mode():
        test_logits = model_3(X_test).squeeze()
        test_pred = torch.round(torch.sigmoid(test_logits))
        test_loss = loss_fn(test_logits, y_test)
        test_acc = accuracy_fn(y_true=y_test, y_pred=test_pred)
    if epoch % 50 == 0:
        print(
            f"Epoch: {epoch} | Loss: {loss:.5f}, Accuracy: {acc:.2f}% | Test Loss: {test_loss:.5f}, Test Accuracy: {test_acc:.2f}%"
        )
model_3.eval()
with torch.inference_mode():
    y_preds = torch.round(torch.sigmoid(model_3(X_test))).squeeze()
print((y_preds[:10], y[:10]))

A = torch.arange(-10, 10, 1, dtype=torch.float32)
print(repr(A))


def relu(x):
    return torch.maximum(torch.tensor(0), x)


def sigmoid(x):
    return 1 / (1 + torch.exp(-x))


print(repr(relu(A)), repr(sigmoid(A)), torch.equal(relu(A), torch.relu(A)))

# multi-class blobs
rng = np.random.RandomState(42)
centers = rng.uniform(-10, 10, size=(4, 2))
y_blob = rng.randint(0, 4, size=200)
X_blob = centers[y_blob] + rng.normal(scale=1.5, size=(200, 2))
X_blob = torch.from_numpy(X_blob).type(torch.float)
y_blob = torch.from_numpy(y_blob).type(torch.LongTensor)
print(X_blob[:5], y_blob[:5], y_blob.dtype, y_blob.type())
X_blob_train, X_blob_test, y_blob_train, y_blob_test = X_blob[:160], X_blob[160:], y_blob[:160], y_blob[160:]


class BlobModel(nn.Module):
    def __init__(self, input_features, output_features, hidden_units=8):
        super().__init__()
        self.linear_layer_stack = nn.Sequential(
            nn.Linear(in_features=input_features, out_features=hidden_units),
            nn.Linear(in_features=hidden_units, out_features=hidden_units),
            nn.Linear(in_features=hidden_units, out_features=output_features),
        )

    def forward(self, x):
        return self.linear_layer_stack(x)


torch.manual_seed(42)
model_4 = BlobModel(input_features=2, output_features=4, hidden_units=8).to(device)
print(model_4)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model_4.parameters(), lr=0.1)
print((model_4(X_blob_train.to(device))[0].shape, 4))
y_logits = model_4(X_blob_test.to(device))
y_pred_probs = torch.softmax(y_logits, dim=1)
print(y_logits[:5])
print(y_pred_probs[:5])
print(repr(torch.sum(y_pred_probs[0])), torch.argmax(y_pred_probs[0]))
try:
    loss_fn(y_logits, y_blob_test.float())
except RuntimeError as e:
    print("RuntimeError", e)
for epoch in range(50):
    model_4.train()
    y_logits = model_4(X_blob_train)
    y_pred = torch.softmax(y_logits, dim=1).argmax(dim=1)
    loss = loss_fn(y_logits, y_blob_train)
    acc = accuracy_fn(y_true=y_blob_train, y_pred=y_pred)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    model_4.eval()
    with torch.inference_mode():
        test_logits = model_4(X_blob_test)
        test_pred = torch.softmax(test_logits, dim=1).argmax(dim=1)
        test_loss = loss_fn(test_logits, y_blob_test)
        test_acc = accuracy_fn(y_true=y_blob_test, y_pred=test_pred)
    if epoch % 10 == 0:
        print(
            f"Epoch: {epoch} | Loss: {loss:.5f}, Acc: {acc:.2f}% | Test Loss: {test_loss:.5f}, Test Acc: {test_acc:.2f}%"
        )
with torch.inference_mode():
    y_logits = model_4(X_blob_test)
y_preds = torch.softmax(y_logits, dim=1).argmax(dim=1)
print(f"Predictions: {y_preds[:10]}\nLabels: {y_blob_test[:10]}")
print(f"Test accuracy: {accuracy_fn(y_true=y_blob_test, y_pred=y_preds)}%")
# plot_decision_boundary's tensor part
x_min, x_max = X_blob[:, 0].min() - 0.1, X_blob[:, 0].max() + 0.1
y_min, y_max = X_blob[:, 1].min() - 0.1, X_blob[:, 1].max() + 0.1
xx, yy = np.meshgrid(np.linspace(x_min, x_max, 11), np.linspace(y_min, y_max, 11))
X_to_pred_on = torch.from_numpy(np.column_stack((xx.ravel(), yy.ravel()))).float()
model_4.to("cpu")
model_4.eval()
with torch.inference_mode():
    y_logits = model_4(X_to_pred_on)
if len(torch.unique(y_blob)) > 2:
    y_pred = torch.softmax(y_logits, dim=1).argmax(dim=1)
else:
    y_pred = torch.round(torch.sigmoid(y_logits))
y_pred = y_pred.reshape(xx.shape).detach().numpy()
print(y_pred[:3], y_pred.dtype, type(x_min), float(x_min))

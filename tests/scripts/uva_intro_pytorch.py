import os
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.data as data

print("Using torch", type(torch.__version__).__name__, isinstance(torch.__version__, str))
torch.manual_seed(42)
x = torch.Tensor(2, 3, 4)
print(x.shape, x.dtype, type(x).__name__)
x = torch.Tensor([[1, 2], [3, 4]])
print(x)
x = torch.rand(2, 3, 4)
print(x)
print("Shape:", x.shape)
size = x.size()
print("Size:", size)
dim1, dim2, dim3 = x.size()
print("Size:", dim1, dim2, dim3)
np_arr = np.array([[1, 2], [3, 4]])
tensor = torch.from_numpy(np_arr)
print("Numpy array:", np_arr)
print("PyTorch tensor:", tensor)
tensor = torch.arange(4)
np_arr = tensor.numpy()
print("PyTorch tensor:", tensor)
print("Numpy array:", np_arr)
x1 = torch.rand(2, 3)
x2 = torch.rand(2, 3)
print("X1 (before)", x1)
x2.add_(x1)
print("X2 (after)", x2)
x = torch.arange(6)
x = x.view(2, 3)
print("X", x)
x = x.permute(1, 0)
print("X", x, x.is_contiguous())
try:
    x.view(6)
except RuntimeError as e:
    print("RuntimeError", e)
x = torch.arange(6).view(2, 3)
W = torch.arange(9).view(3, 3)
print("W", W)
h = torch.matmul(x, W)
print("h", h)
x = torch.arange(12).view(3, 4)
print(x[:, 1])
print(x[0])
print(x[:2, -1])
print(x[1:3, :])
x = torch.ones((3,))
print(x.requires_grad)
x.requires_grad_(True)
print(x.requires_grad)
try:
    torch.arange(3).requires_grad_(True)
except RuntimeError as e:
    print("RuntimeError", e)
x = torch.arange(3, dtype=torch.float32, requires_grad=True)
print("X", x)
a = x + 2
b = a**2
c = b + 3
y = c.mean()
print("Y", y)
y.backward()
print(x.grad)
gpu_avail = torch.cuda.is_available()
print(f"Is the GPU available? {gpu_avail}")
device = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
print("Device", device, repr(device))
x = torch.zeros(2, 3)
x = x.to(device)
print("X", x)
x = torch.randn(50, 50)
start_time = time.time()
_ = torch.matmul(x, x)
end_time = time.time()
print(f"CPU time: {(end_time - start_time) * 0:6.5f}s")
if torch.cuda.is_available():
    torch.cuda.manual_seed(42)
    torch.cuda.manual_seed_all(42)
torch.backends.cudnn.deterministic = True
torch.backends.cudnn.benchmark = False
print(torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)


class MyModule(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        pass


print(MyModule(), MyModule()(1))


class SimpleClassifier(nn.Module):
    def __init__(self, num_inputs, num_hidden, num_outputs):
        super().__init__()
        self.linear1 = nn.Linear(num_inputs, num_hidden)
        self.act_fn = nn.Tanh()
        self.linear2 = nn.Linear(num_hidden, num_outputs)

    def forward(self, x):
        x = self.linear1(x)
        x = self.act_fn(x)
        x = self.linear2(x)
        return x


model = SimpleClassifier(num_inputs=2, num_hidden=4, num_outputs=1)
print(model)
for name, param in model.named_parameters():
    print(f"Parameter {name}, shape {param.shape}")


class XORDataset(data.Dataset):
    def __init__(self, size, std=0.1):
        super().__init__()
        self.size = size
        self.std = std
        self.generate_continuous_xor()

    def generate_continuous_xor(self):
        data = torch.randint(low=0, high=2, size=(self.size, 2), dtype=torch.float32)
        label = (data.sum(dim=1) == 1).to(torch.long)
        data += self.std * torch.randn(data.shape)
        self.data = data
        self.label = label

    def __len__(self):
        return self.size

    def __getitem__(self, idx):
        data_point = self.data[idx]
        data_label = self.label[idx]
        return data_point, data_label


dataset = XORDataset(size=200)
print("Size of dataset:", len(dataset))
print("Data point 0:", dataset[0])
data_0 = dataset.data.cpu().numpy()[dataset.label.cpu().numpy() == 0]
print(data_0.shape, data_0.dtype)
data_loader = data.DataLoader(dataset, batch_size=8, shuffle=True)
data_inputs, data_labels = next(iter(data_loader))
print("Data inputs", data_inputs.shape, "\n", data_inputs)
print("Data labels", data_labels.shape, "\n", data_labels)


def numpy_collate(batch):
    if isinstance(batch[0], torch.Tensor):
        return torch.stack(batch).numpy()
    elif isinstance(batch[0], (tuple, list)):
        transposed = zip(*batch)
        return [numpy_collate(samples) for samples in transposed]
    else:
        return np.array(batch)


np_loader = data.DataLoader(dataset, batch_size=5, shuffle=False, collate_fn=numpy_collate)
np_inputs, np_labels = next(iter(np_loader))
print(type(np_inputs).__name__, np_inputs.dtype, np_labels, len(np_loader))
print(data.default_collate([(torch.ones(2), 1, 2.5, "a")] * 2))
loss_module = nn.BCEWithLogitsLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
train_dataset = XORDataset(size=500)
train_data_loader = data.DataLoader(train_dataset, batch_size=128, shuffle=True)
model.to(device)


def train_model(model, optimizer, data_loader, loss_module, num_epochs=30):
    model.train()
    for epoch in range(num_epochs):
        epoch_loss = 0.0
        for data_inputs, data_labels in data_loader:
            data_inputs = data_inputs.to(device)
            data_labels = data_labels.to(device)
            preds = model(data_inputs)
            preds = preds.squeeze(dim=1)
            loss = loss_module(preds, data_labels.float())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item()
        epoch_loss /= len(data_loader)
        if epoch % 10 == 0:
            print(epoch, round(epoch_loss, 5))


train_model(model, optimizer, train_data_loader, loss_module)
state_dict = model.state_dict()
print(state_dict)
path = os.path.join(tempfile.mkdtemp(), "our_model.tar")
torch.save(state_dict, path)
state_dict = torch.load(path)
new_model = SimpleClassifier(num_inputs=2, num_hidden=4, num_outputs=1)
print(new_model.load_state_dict(state_dict))
print("\nLoaded model\n", new_model.state_dict())
test_dataset = XORDataset(size=300)
test_data_loader = data.DataLoader(test_dataset, batch_size=128, shuffle=False, drop_last=False)


def eval_model(model, data_loader):
    model.eval()
    true_preds, num_preds = 0.0, 0.0
    with torch.no_grad():
        for data_inputs, data_labels in data_loader:
            data_inputs, data_labels = data_inputs.to(device), data_labels.to(device)
            preds = model(data_inputs)
            preds = preds.squeeze(dim=1)
            preds = torch.sigmoid(preds)
            pred_labels = (preds >= 0.5).long()
            true_preds += (pred_labels == data_labels).sum()
            num_preds += data_labels.shape[0]
    acc = true_preds / num_preds
    print(repr(true_preds), repr(acc))
    print(f"Accuracy of the model: {100.0 * acc:4.2f}%")


eval_model(model, test_data_loader)


@torch.no_grad()
def visualize_classification(model, data, label):
    model.to(device)
    c0 = torch.Tensor((0.12, 0.47, 0.71, 1.0)).to(device)
    c1 = torch.Tensor((1.0, 0.5, 0.05, 1.0)).to(device)
    x1 = torch.arange(-0.5, 1.5, step=0.25, device=device)
    x2 = torch.arange(-0.5, 1.5, step=0.25, device=device)
    xx1, xx2 = torch.meshgrid(x1, x2, indexing="ij")
    model_inputs = torch.stack([xx1, xx2], dim=-1)
    preds = model(model_inputs)
    preds = torch.sigmoid(preds)
    output_image = (1 - preds) * c0[None, None] + preds * c1[None, None]
    output_image = output_image.cpu().numpy()
    return output_image


img = visualize_classification(model, dataset.data, dataset.label)
print(img.shape, img.dtype, img[0, :2])
print(visualize_classification.__name__, torch.is_grad_enabled())
print(F.softplus(torch.tensor([-1.0, 0.0, 30.0])), F.logsigmoid(torch.tensor([-100.0, 0.0])))

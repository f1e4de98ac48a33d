import random
from timeit import default_timer as timer

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

device = "cuda" if torch.cuda.is_available() else "cpu"


class FakeFashion(Dataset):
    """A FashionMNIST stand-in: uint8 images in .data, labels in .targets, ToTensor on access."""

    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]

    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.targets = torch.randint(0, 10, (n,), generator=g)
        base = torch.rand(10, 28, 28, generator=g)
        noise = torch.rand(n, 28, 28, generator=g)
        self.data = ((0.7 * base[self.targets] + 0.3 * noise) * 255).to(torch.uint8)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, idx):
        img = self.data[idx].unsqueeze(0).type(torch.float32) / 255  # ToTensor()
        return img, int(self.targets[idx])


train_data, test_data = FakeFashion(192, 0), FakeFashion(64, 1)
image, label = train_data[0]
print(image.shape, label, image.dtype, image[0, 0, :4])
print((len(train_data.data), len(train_data.targets), len(test_data.data), len(test_data.targets)))
class_names = train_data.classes
class_to_idx = {c: i for i, c in enumerate(class_names)}
print(class_names, class_to_idx["Bag"])
torch.manual_seed(42)
for i in range(3):
    random_idx = torch.randint(0, len(train_data), size=[1]).item()
    img, label = train_data[random_idx]
    print(random_idx, class_names[label], img.squeeze().shape)

BATCH_SIZE = 32
torch.manual_seed(42)
train_dataloader = DataLoader(train_data, batch_size=BATCH_SIZE, shuffle=True)
test_dataloader = DataLoader(test_data, batch_size=BATCH_SIZE, shuffle=False)
print(f"Dataloaders: {train_dataloader, test_dataloader}")
print(f"Length of train dataloader: {len(train_dataloader)} batches of {BATCH_SIZE}")
train_features_batch, train_labels_batch = next(iter(train_dataloader))
print(
    (train_features_batch.shape, train_labels_batch.shape), train_labels_batch.dtype, train_labels_batch[:8]
)
random_idx = torch.randint(0, len(train_features_batch), size=[1]).item()
img, label = train_features_batch[random_idx], train_labels_batch[random_idx]
print(f"Image size: {img.shape}")
print(f"Label: {label}, label size: {label.shape}")
flatten_model = nn.Flatten()
x = train_features_batch[0]
output = flatten_model(x)
print(f"Shape before flattening: {x.shape} -> [color_channels, height, width]")
print(f"Shape after flattening: {output.shape} -> [color_channels, height*width]")
print(nn.Flatten(0)(x).shape, nn.Flatten(start_dim=0, end_dim=1)(x).shape, flatten_model)


def accuracy_fn(y_true, y_pred):
    correct = torch.eq(y_true, y_pred).sum().item()
    return (correct / len(y_pred)) * 100


def print_train_time(start: float, end: float, device: torch.device = None):
    total_time = end - start
    print(f"Train time on {device}: {'%.3f' % (total_time * 0)} seconds")
    return total_time


class FashionMNISTModelV0(nn.Module):
    def __init__(self, input_shape: int, hidden_units: int, output_shape: int):
        super().__init__()
        self.layer_stack = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_features=input_shape, out_features=hidden_units),
            nn.Linear(in_features=hidden_units, out_features=output_shape),
        )

    def forward(self, x):
        return self.layer_stack(x)


torch.manual_seed(42)
model_0 = FashionMNISTModelV0(input_shape=784, hidden_units=10, output_shape=len(class_names))
print(model_0.to("cpu"))
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(params=model_0.parameters(), lr=0.1)
torch.manual_seed(42)
train_time_start_on_cpu = timer()
for epoch in range(2):
    print(f"Epoch: {epoch}\n-------")
    train_loss = 0
    for batch, (X, y) in enumerate(train_dataloader):
        model_0.train()
        y_pred = model_0(X)
        loss = loss_fn(y_pred, y)
        train_loss += loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if batch % 4 == 0:
            print(f"Looked at {batch * len(X)}/{len(train_dataloader.dataset)} samples")
    train_loss /= len(train_dataloader)
    print(repr(train_loss))
    test_loss, test_acc = 0, 0
    model_0.eval()
    with torch.inference_mode():
        for X, y in test_dataloader:
            test_pred = model_0(X)
            test_loss += loss_fn(test_pred, y)
            test_acc += accuracy_fn(y_true=y, y_pred=test_pred.argmax(dim=1))
        test_loss /= len(test_dataloader)
        test_acc /= len(test_dataloader)
    print(f"\nTrain loss: {train_loss:.5f} | Test loss: {test_loss:.5f}, Test acc: {test_acc:.2f}%\n")
total_train_time_model_0 = print_train_time(
    start=train_time_start_on_cpu, end=timer(), device=str(next(model_0.parameters()).device)
)


def eval_model(
    model: torch.nn.Module,
    data_loader: torch.utils.data.DataLoader,
    loss_fn: torch.nn.Module,
    accuracy_fn,
    device: torch.device = device,
):
    loss, acc = 0, 0
    model.eval()
    with torch.inference_mode():
        for X, y in data_loader:
            X, y = X.to(device), y.to(device)
            y_pred = model(X)
            loss += loss_fn(y_pred, y)
            acc += accuracy_fn(y_true=y, y_pred=y_pred.argmax(dim=1))
        loss /= len(data_loader)
        acc /= len(data_loader)
    return {"model_name": model.__class__.__name__, "model_loss": loss.item(), "model_acc": acc}


model_0_results = eval_model(
    model=model_0, data_loader=test_dataloader, loss_fn=loss_fn, accuracy_fn=accuracy_fn
)
print(model_0_results)


def train_step(model, data_loader, loss_fn, optimizer, accuracy_fn, device: torch.device = device):
    train_loss, train_acc = 0, 0
    model.to(device)
    for batch, (X, y) in enumerate(data_loader):
        X, y = X.to(device), y.to(device)
        y_pred = model(X)
        loss = loss_fn(y_pred, y)
        train_loss += loss
        train_acc += accuracy_fn(y_true=y, y_pred=y_pred.argmax(dim=1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    train_loss /= len(data_loader)
    train_acc /= len(data_loader)
    print(f"Train loss: {train_loss:.5f} | Train accuracy: {train_acc:.2f}%")


def test_step(data_loader, model, loss_fn, accuracy_fn, device: torch.device = device):
    test_loss, test_acc = 0, 0
    model.to(device)
    model.eval()
    with torch.inference_mode():
        for X, y in data_loader:
            X, y = X.to(device), y.to(device)
            test_pred = model(X)
            test_loss += loss_fn(test_pred, y)
            test_acc += accuracy_fn(y_true=y, y_pred=test_pred.argmax(dim=1))
        test_loss /= len(data_loader)
        test_acc /= len(data_loader)
        print(f"Test loss: {test_loss:.5f} | Test accuracy: {test_acc:.2f}%\n")


class FashionMNISTModelV2(nn.Module):
    def __init__(self, input_shape: int, hidden_units: int, output_shape: int):
        super().__init__()
        self.block_1 = nn.Sequential(
            nn.Conv2d(in_channels=input_shape, out_channels=hidden_units, kernel_size=3, stride=1, padding=1),
            nn.ReLU(),
            nn.Conv2d(
                in_channels=hidden_units, out_channels=hidden_units, kernel_size=3, stride=1, padding=1
            ),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
        )
        self.block_2 = nn.Sequential(
            nn.Conv2d(hidden_units, hidden_units, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(hidden_units, hidden_units, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(in_features=hidden_units * 7 * 7, out_features=output_shape)
        )

    def forward(self, x: torch.Tensor):
        x = self.block_1(x)
        x = self.block_2(x)
        x = self.classifier(x)
        return x


torch.manual_seed(42)
model_2 = FashionMNISTModelV2(input_shape=1, hidden_units=4, output_shape=len(class_names)).to(device)
print(model_2)
torch.manual_seed(42)
images = torch.randn(size=(32, 3, 64, 64))
test_image = images[0]
print(f"Image batch shape: {images.shape} -> [batch_size, color_channels, height, width]")
print(f"Single image pixel values:\n{test_image[:, :2, :3]}")
torch.manual_seed(42)
conv_layer = nn.Conv2d(in_channels=3, out_channels=10, kernel_size=3, stride=1, padding=0)
out = conv_layer(test_image)
print(out.shape, out[0, :2, :3])
print(conv_layer(test_image.unsqueeze(dim=0)).shape)
for pad in ("valid", "same"):
    print(pad, nn.Conv2d(3, 2, kernel_size=3, padding=pad)(test_image).shape)
try:
    nn.Conv2d(3, 2, kernel_size=3, stride=2, padding="same")
except ValueError as e:
    print("ValueError", e)
torch.manual_seed(42)
conv_layer_2 = nn.Conv2d(in_channels=3, out_channels=10, kernel_size=(5, 5), stride=2, padding=0)
print(conv_layer_2(test_image.unsqueeze(dim=0)).shape)
print(conv_layer_2.state_dict()["bias"])
print(
    f"conv_layer_2 weight shape: \n{conv_layer_2.weight.shape} -> [out_channels=10, in_channels=3, kernel_size=5, kernel_size=5]"
)
max_pool_layer = nn.MaxPool2d(kernel_size=2)
test_image_through_conv = conv_layer(test_image.unsqueeze(dim=0))
print(f"Shape after going through conv_layer(): {test_image_through_conv.shape}")
print(f"Shape after conv_layer() and max_pool_layer(): {max_pool_layer(test_image_through_conv).shape}")
torch.manual_seed(42)
random_tensor = torch.randn(size=(1, 1, 2, 2))
print(f"Random tensor:\n{random_tensor}")
max_pool_tensor = max_pool_layer(random_tensor)
print(f"\nMax pool tensor:\n{max_pool_tensor} <- this is the maximum value from random_tensor")
print(max_pool_layer, conv_layer)
try:
    model_2(torch.randn(1, 28, 28, 1))
except RuntimeError as e:
    print("RuntimeError", e)
try:
    model_2(torch.randn(2, 1, 32, 32))
except RuntimeError as e:
    print("RuntimeError", e)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(params=model_2.parameters(), lr=0.1)
torch.manual_seed(42)
for epoch in range(2):
    print(f"Epoch: {epoch}\n---------")
    train_step(
        data_loader=train_dataloader,
        model=model_2,
        loss_fn=loss_fn,
        optimizer=optimizer,
        accuracy_fn=accuracy_fn,
        device=device,
    )
    test_step(
        data_loader=test_dataloader, model=model_2, loss_fn=loss_fn, accuracy_fn=accuracy_fn, device=device
    )
model_2_results = eval_model(
    model=model_2, data_loader=test_dataloader, loss_fn=loss_fn, accuracy_fn=accuracy_fn
)
print(model_2_results)


def make_predictions(model: torch.nn.Module, data: list, device: torch.device = device):
    pred_probs = []
    model.eval()
    with torch.inference_mode():
        for sample in data:
            sample = torch.unsqueeze(sample, dim=0).to(device)
            pred_logit = model(sample)
            pred_prob = torch.softmax(pred_logit.squeeze(), dim=0)
            pred_probs.append(pred_prob.cpu())
    return torch.stack(pred_probs)


random.seed(42)
test_samples, test_labels = [], []
for sample, label in random.sample(list(test_data), k=9):
    test_samples.append(sample)
    test_labels.append(label)
print(
    f"Test sample image shape: {test_samples[0].shape}\nTest sample label: {test_labels[0]} ({class_names[test_labels[0]]})"
)
pred_probs = make_predictions(model=model_2, data=test_samples)
print(pred_probs[:2])
pred_classes = pred_probs.argmax(dim=1)
print((test_labels, pred_classes))
for i, sample in enumerate(test_samples[:3]):
    pred_label = class_names[pred_classes[i]]
    truth_label = class_names[test_labels[i]]
    print(f"Pred: {pred_label} | Truth: {truth_label}", pred_label == truth_label)
y_preds = []
model_2.eval()
with torch.inference_mode():
    for X, y in test_dataloader:
        y_logit = model_2(X.to(device))
        y_preds.append(torch.softmax(y_logit, dim=1).argmax(dim=1).cpu())
y_pred_tensor = torch.cat(y_preds)
print(y_pred_tensor[:10], y_pred_tensor.shape, y_pred_tensor.is_inference())
# confusion matrix by hand (what torchmetrics.ConfusionMatrix returns)
confmat = torch.zeros(10, 10, dtype=torch.int64)
confmat.index_put_((test_data.targets, y_pred_tensor), torch.ones_like(y_pred_tensor), accumulate=True)
print(
    confmat.sum(),
    confmat.diag(),
    torch.bincount(test_data.targets * 10 + y_pred_tensor, minlength=100).reshape(10, 10).equal(confmat),
)
print(confmat.numpy().dtype)

# A plain PyTorch script in the style of the official "Quickstart" tutorial, with synthetic
# images instead of a download and no weights injected: torch.manual_seed alone fixes the
# data, the initial weights, the dropout masks and the shuffle order, so the renamed script
# must print torch's numbers (tests/test_torch_scripts.py compares the two outputs).
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(0)
images = torch.randn(96, 1, 8, 8)
labels = torch.randint(0, 4, (96,))
train_set, test_set = random_split(TensorDataset(images, labels), [0.75, 0.25])
train_loader = DataLoader(train_set, batch_size=16, shuffle=True)
test_loader = DataLoader(test_set, batch_size=16)


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(8 * 8, 32),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(32, 4),
        )

    def forward(self, x):
        x = self.flatten(x)
        return self.linear_relu_stack(x)


model = NeuralNetwork()
print(model)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1e-1, momentum=0.9)


def train(dataloader, model, loss_fn, optimizer):
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if batch % 2 == 0:
            print(f"loss: {loss.item():>7f}  [{(batch + 1) * len(X):>5d}/{len(dataloader.dataset):>5d}]")


def test(dataloader, model, loss_fn):
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    print(
        f"Test Error: \n Accuracy: {(100 * correct / len(dataloader.dataset)):>0.1f}%, Avg loss: {test_loss / len(dataloader):>8f} \n"
    )


for t in range(3):
    print(f"Epoch {t + 1}\n-------------------------------")
    train(train_loader, model, loss_fn, optimizer)
    test(test_loader, model, loss_fn)
print(torch.rand(3))

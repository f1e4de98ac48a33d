"""pytorch/examples imagenet/main.py: accuracy(topk), AverageMeter/ProgressMeter printing tensors, save_checkpoint with shutil.copyfile, resuming model, optimizer and scheduler."""

import os
import shutil
import tempfile
from enum import Enum
import torch
import torch.nn as nn
import torch.optim
from torch.optim.lr_scheduler import StepLR
import torch.utils.data
from torch.utils.data import Subset, TensorDataset


class Summary(Enum):
    NONE = 0
    AVERAGE = 1
    SUM = 2
    COUNT = 3


class AverageMeter:
    def __init__(self, name, use_accel, fmt=":f", summary_type=Summary.AVERAGE):
        self.name = name
        self.use_accel = use_accel
        self.fmt = fmt
        self.summary_type = summary_type
        self.reset()

    def reset(self):
        self.val = 0
        self.avg = 0
        self.sum = 0
        self.count = 0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count

    def all_reduce(self):
        device = torch.device("cpu")
        total = torch.tensor([self.sum, self.count], dtype=torch.float32, device=device)
        self.sum, self.count = total.tolist()
        self.avg = self.sum / self.count

    def __str__(self):
        fmtstr = "{name} {val" + self.fmt + "} ({avg" + self.fmt + "})"
        return fmtstr.format(**self.__dict__)

    def summary(self):
        fmtstr = ""
        if self.summary_type is Summary.NONE:
            fmtstr = ""
        elif self.summary_type is Summary.AVERAGE:
            fmtstr = "{name} {avg:.3f}"
        elif self.summary_type is Summary.SUM:
            fmtstr = "{name} {sum:.3f}"
        elif self.summary_type is Summary.COUNT:
            fmtstr = "{name} {count:.3f}"
        return fmtstr.format(**self.__dict__)


class ProgressMeter:
    def __init__(self, num_batches, meters, prefix=""):
        self.batch_fmtstr = self._get_batch_fmtstr(num_batches)
        self.meters = meters
        self.prefix = prefix

    def display(self, batch):
        entries = [self.prefix + self.batch_fmtstr.format(batch)]
        entries += [str(meter) for meter in self.meters]
        print("\t".join(entries))

    def display_summary(self):
        entries = [" *"]
        entries += [meter.summary() for meter in self.meters]
        print(" ".join(entries))

    def _get_batch_fmtstr(self, num_batches):
        num_digits = len(str(num_batches // 1))
        fmt = "{:" + str(num_digits) + "d}"
        return "[" + fmt + "/" + fmt.format(num_batches) + "]"


def accuracy(output, target, topk=(1,)):
    with torch.no_grad():
        maxk = max(topk)
        batch_size = target.size(0)
        _, pred = output.topk(maxk, 1, True, True)
        pred = pred.t()
        correct = pred.eq(target.view(1, -1).expand_as(pred))
        res = []
        for k in topk:
            correct_k = correct[:k].reshape(-1).float().sum(0, keepdim=True)
            res.append(correct_k.mul_(100.0 / batch_size))
        return res


def save_checkpoint(state, is_best, filename="checkpoint.pth.tar"):
    torch.save(state, filename)
    if is_best:
        shutil.copyfile(filename, os.path.join(os.path.dirname(filename), "model_best.pth.tar"))


def train(train_loader, model, criterion, optimizer, epoch, device):
    losses = AverageMeter("Loss", False, ":.4e", Summary.NONE)
    top1 = AverageMeter("Acc@1", False, ":6.2f", Summary.NONE)
    top5 = AverageMeter("Acc@5", False, ":6.2f", Summary.NONE)
    progress = ProgressMeter(len(train_loader), [losses, top1, top5], prefix=f"Epoch: [{epoch}]")
    model.train()
    for i, (images, target) in enumerate(train_loader):
        images = images.to(device, non_blocking=True)
        target = target.to(device, non_blocking=True)
        output = model(images)
        loss = criterion(output, target)
        acc1, acc5 = accuracy(output, target, topk=(1, 5))
        losses.update(loss.item(), images.size(0))
        top1.update(acc1[0], images.size(0))
        top5.update(acc5[0], images.size(0))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if i % 2 == 0:
            progress.display(i + 1)
    print(type(top1.sum).__name__, top1.avg)


def validate(val_loader, model, criterion):
    def run_validate(loader, base_progress=0):
        with torch.no_grad():
            for i, (images, target) in enumerate(loader):
                i = base_progress + i
                output = model(images)
                loss = criterion(output, target)
                acc1, acc5 = accuracy(output, target, topk=(1, 5))
                losses.update(loss.item(), images.size(0))
                top1.update(acc1[0], images.size(0))
                top5.update(acc5[0], images.size(0))
                if i % 2 == 0:
                    progress.display(i + 1)

    losses = AverageMeter("Loss", False, ":.4e", Summary.NONE)
    top1 = AverageMeter("Acc@1", False, ":6.2f", Summary.AVERAGE)
    top5 = AverageMeter("Acc@5", False, ":6.2f", Summary.AVERAGE)
    progress = ProgressMeter(len(val_loader), [losses, top1, top5], prefix="Test: ")
    model.eval()
    run_validate(val_loader)
    aux = torch.utils.data.DataLoader(
        Subset(val_loader.dataset, range(10, len(val_loader.dataset))), batch_size=4
    )
    run_validate(aux, len(val_loader))
    top1.all_reduce()
    progress.display_summary()
    return top1.avg


torch.manual_seed(0)
device = torch.device("cpu")
X = torch.randn(48, 3, 4, 4)
Y = torch.randint(0, 10, (48,))
train_loader = torch.utils.data.DataLoader(
    TensorDataset(X[:32], Y[:32]), batch_size=8, shuffle=True, num_workers=0, pin_memory=False
)
val_loader = torch.utils.data.DataLoader(TensorDataset(X[32:], Y[32:]), batch_size=8, shuffle=False)
model = nn.Sequential(nn.Conv2d(3, 6, 3), nn.BatchNorm2d(6), nn.ReLU(), nn.Flatten(), nn.Linear(24, 10))
criterion = nn.CrossEntropyLoss().to(device)
optimizer = torch.optim.SGD(model.parameters(), 0.1, momentum=0.9, weight_decay=1e-4)
scheduler = StepLR(optimizer, step_size=1, gamma=0.1)
d = tempfile.mkdtemp()
best_acc1 = 0
for epoch in range(0, 2):
    train(train_loader, model, criterion, optimizer, epoch, device)
    acc1 = validate(val_loader, model, criterion)
    scheduler.step()
    is_best = acc1 > best_acc1
    best_acc1 = max(acc1, best_acc1)
    print(is_best, best_acc1, type(best_acc1).__name__)
    save_checkpoint(
        {
            "epoch": epoch + 1,
            "arch": "tiny",
            "state_dict": model.state_dict(),
            "best_acc1": best_acc1,
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
        },
        is_best,
        os.path.join(d, "checkpoint.pth.tar"),
    )
print(sorted(os.listdir(d)))
model2 = nn.Sequential(nn.Conv2d(3, 6, 3), nn.BatchNorm2d(6), nn.ReLU(), nn.Flatten(), nn.Linear(24, 10))
optimizer2 = torch.optim.SGD(model2.parameters(), 0.1, momentum=0.9, weight_decay=1e-4)
scheduler2 = StepLR(optimizer2, step_size=1, gamma=0.1)
checkpoint = torch.load(os.path.join(d, "model_best.pth.tar"))
checkpoint2 = torch.load(os.path.join(d, "checkpoint.pth.tar"), map_location="cpu")
start_epoch = checkpoint["epoch"]
best_acc1 = checkpoint["best_acc1"]
print(model2.load_state_dict(checkpoint["state_dict"]))
optimizer2.load_state_dict(checkpoint["optimizer"])
scheduler2.load_state_dict(checkpoint["scheduler"])
print("=> loaded checkpoint '{}' (epoch {})".format("model_best.pth.tar", checkpoint["epoch"]), best_acc1)
print(optimizer2.state_dict()["param_groups"], scheduler2.state_dict(), checkpoint2["epoch"])
print(model2[1].num_batches_tracked, optimizer2.state[model2[0].weight]["momentum_buffer"].shape)
out = torch.tensor([[0.1, 0.5, 0.2, 0.9, 0.3, 0.0], [0.9, 0.1, 0.2, 0.3, 0.4, 0.5]])
print(accuracy(out, torch.tensor([3, 5]), topk=(1, 2, 5)))
print(f"{torch.tensor(3.14159):6.2f}|{torch.tensor(1.5):.4e}|{torch.tensor([2.0]) * 3}")
try:
    f"{torch.tensor([1.0, 2.0]):6.2f}"
except TypeError as e:
    print("TypeError", e)

shutil.rmtree(d)

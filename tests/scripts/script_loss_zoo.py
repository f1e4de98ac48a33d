import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.randn(4, 5, requires_grad=True)
t = torch.randint(0, 5, (4,))
y = torch.randn(4, 5)
b = torch.randint(0, 2, (4, 5)).float()
losses = {
    "ce_w": lambda: nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5, 1.0, 3.0]))(x, t),
    "ce_ign": lambda: nn.CrossEntropyLoss(ignore_index=2, label_smoothing=0.2)(x, t),
    "ce_prob": lambda: F.cross_entropy(x, y.softmax(1)),
    "ce_prob_ls": lambda: F.cross_entropy(x, y.softmax(1), label_smoothing=0.1, reduction="sum"),
    "nll_none": lambda: F.nll_loss(x.log_softmax(1), t, reduction="none").sum(),
    "kl": lambda: nn.KLDivLoss(reduction="batchmean")(x.log_softmax(1), y.softmax(1)),
    "kl_logt": lambda: F.kl_div(x.log_softmax(1), y.log_softmax(1), reduction="sum", log_target=True),
    "huber": lambda: nn.HuberLoss(delta=0.5)(x, y),
    "smoothl1": lambda: nn.SmoothL1Loss(beta=0.3)(x, y),
    "l1": lambda: nn.L1Loss(reduction="sum")(x, y),
    "bce_pw": lambda: nn.BCEWithLogitsLoss(pos_weight=torch.full((5,), 2.0))(x, b),
    "bce_w": lambda: F.binary_cross_entropy(x.sigmoid(), b, weight=torch.rand(5)),
    "margin_rank": lambda: nn.MarginRankingLoss(margin=0.2)(
        x[:, 0], x[:, 1], torch.tensor([1.0, -1.0, 1.0, -1.0])
    ),
    "hinge_emb": lambda: nn.HingeEmbeddingLoss()(x, b * 2 - 1),
    "cos_emb": lambda: nn.CosineEmbeddingLoss(margin=0.1)(x, y, torch.tensor([1, -1, 1, -1])),
    "triplet": lambda: nn.TripletMarginLoss(margin=1.0, p=2)(x, y, torch.randn(4, 5)),
    "multimargin": lambda: nn.MultiMarginLoss()(x, t),
    "multilabel_soft": lambda: nn.MultiLabelSoftMarginLoss()(x, b),
    "poisson": lambda: nn.PoissonNLLLoss()(x, y.abs()),
    "gauss": lambda: nn.GaussianNLLLoss()(x, y, torch.ones(4, 5) * 0.5),
    "soft_margin": lambda: nn.SoftMarginLoss()(x, b * 2 - 1),
    "mse_sum": lambda: F.mse_loss(x, y, reduction="sum"),
}
for name, fn in losses.items():
    x.grad = None
    l = fn()
    l.backward()
    print(f"{name:16s} {l.item():.5f} {x.grad.abs().sum().item():.5f} {l.grad_fn.name()}")
logp = torch.randn(6, 2, 4).log_softmax(2).detach().requires_grad_()
targets = torch.tensor([[1, 2, 3], [1, 1, 0]])
ctc = nn.CTCLoss(blank=0, zero_infinity=True)
l = ctc(logp, targets, torch.tensor([6, 6]), torch.tensor([3, 2]))
l.backward()
print(round(l.item(), 4), logp.grad.abs().sum())
img = torch.randn(2, 3, 4, 4, requires_grad=True)
tgt = torch.randint(0, 3, (2, 4, 4))
l = F.cross_entropy(img, tgt, ignore_index=1)
l.backward()
print(l, img.grad.sum(1).abs().max() < 1e-6)
print(F.cross_entropy(torch.zeros(2, 3), torch.tensor([1, 1]), ignore_index=1))

import torch
import torch.nn.functional as F

torch.manual_seed(0)


def show(name, fn, *inputs):
    for t in inputs:
        t.grad = None
    out = fn()
    (out.sum() if out.dim() else out).backward()
    print(
        name,
        out if out.numel() < 10 else out.sum(),
        [t.grad.sum().item() for t in inputs],
        inputs[0].grad.flatten()[:4],
    )


logits = torch.randn(6, 4, requires_grad=True)
tgt = torch.tensor([0, 1, 2, 3, -100, 1])
w = torch.tensor([1.0, 2.0, 0.5, 3.0])
for red in ["mean", "sum", "none"]:
    for ls in [0.0, 0.2]:
        show(
            f"ce w {red} ls{ls}",
            lambda: F.cross_entropy(logits, tgt, weight=w, reduction=red, label_smoothing=ls),
            logits,
        )
tgt_ig = torch.tensor([0, 1, 2, 3, 2, 1])
show(
    "ce ignore2",
    lambda: F.cross_entropy(logits, tgt_ig, weight=w, ignore_index=2, label_smoothing=0.1),
    logits,
)
soft = torch.softmax(torch.randn(6, 4), 1)
show("ce soft", lambda: F.cross_entropy(logits, soft, weight=w, label_smoothing=0.1), logits)
show("ce soft none", lambda: F.cross_entropy(logits, soft, reduction="none"), logits)
seg = torch.randn(2, 3, 4, 5, requires_grad=True)
st = torch.randint(0, 3, (2, 4, 5))
st[0, 0, :2] = 255
show("ce seg", lambda: F.cross_entropy(seg, st, weight=torch.tensor([1.0, 2.0, 3.0]), ignore_index=255), seg)
show("ce seg ls", lambda: F.cross_entropy(seg, st, ignore_index=255, label_smoothing=0.3), seg)
show("nll seg", lambda: F.nll_loss(F.log_softmax(seg, 1), st, ignore_index=255, reduction="sum"), seg)
allign = torch.full((3,), -100)
show("ce all ignored", lambda: F.cross_entropy(logits[:3], allign), logits)
x = torch.randn(4, 3, requires_grad=True)
y = torch.randint(0, 2, (4, 3)).float()
show("bcel pw", lambda: F.binary_cross_entropy_with_logits(x, y, pos_weight=torch.tensor([1.0, 2.0, 3.0])), x)
show(
    "bcel w",
    lambda: F.binary_cross_entropy_with_logits(x, y, weight=torch.tensor([0.5, 1.0, 2.0]), reduction="sum"),
    x,
)
show("bce", lambda: F.binary_cross_entropy(torch.sigmoid(x), y, weight=torch.rand(4, 1)), x)
p = torch.sigmoid(x).detach().clone()
p[0, 0] = 0.0
p[1, 1] = 1.0
p.requires_grad_()
print("bce clamp", F.binary_cross_entropy(p, y))
lp = F.log_softmax(torch.randn(4, 5), 1).requires_grad_()
tp = F.softmax(torch.randn(4, 5), 1)
for red in ["batchmean", "mean", "sum"]:
    show("kl " + red, lambda: F.kl_div(lp, tp, reduction=red), lp)
show("kl logt", lambda: F.kl_div(lp, tp.log(), reduction="batchmean", log_target=True), lp)
tz = tp.clone()
tz[0, 0] = 0
show("kl zero", lambda: F.kl_div(lp, tz, reduction="batchmean"), lp)
a = torch.randn(5, requires_grad=True)
b = torch.randn(5)
show("huber", lambda: F.huber_loss(a, b, delta=0.5), a)
show("sl1", lambda: F.smooth_l1_loss(a, b, beta=0.0), a)
show("l1 eq", lambda: F.l1_loss(a, a.detach()), a)
show("mse bc", lambda: F.mse_loss(a, torch.tensor(0.5)), a)
show("margin", lambda: F.margin_ranking_loss(a, b, torch.tensor([1.0, -1, 1, -1, 1]), margin=0.2), a)
show("hinge", lambda: F.hinge_embedding_loss(a, torch.tensor([1.0, -1, 1, -1, 1])), a)
show("multimargin", lambda: F.multi_margin_loss(logits, tgt_ig, weight=w), logits)
show("gnll", lambda: F.gaussian_nll_loss(a, b, torch.ones(5) * 0.5, full=True), a)
show("pnll", lambda: F.poisson_nll_loss(a, b.abs(), log_input=True, full=True), a)
e1 = torch.randn(3, 4, requires_grad=True)
e2 = torch.randn(3, 4)
e3 = torch.randn(3, 4)
show("triplet", lambda: F.triplet_margin_loss(e1, e2, e3, margin=1.0, p=2, swap=True), e1)
show("cosemb", lambda: F.cosine_embedding_loss(e1, e2, torch.tensor([1, -1, 1]), margin=0.1), e1)
show("mlsm", lambda: F.multilabel_soft_margin_loss(x, y, weight=torch.tensor([1.0, 2, 3])), x)
lpc = torch.randn(8, 2, 5).log_softmax(2).requires_grad_()
show(
    "ctc",
    lambda: F.ctc_loss(
        lpc,
        torch.tensor([[1, 2, 2], [3, 4, 0]]),
        torch.tensor([8, 7]),
        torch.tensor([3, 2]),
        zero_infinity=True,
    ),
    lpc,
)
show(
    "ctc flat",
    lambda: F.ctc_loss(
        lpc, torch.tensor([1, 2, 2, 3, 4]), torch.tensor([8, 7]), torch.tensor([3, 2]), reduction="sum"
    ),
    lpc,
)
show(
    "ctc inf",
    lambda: F.ctc_loss(
        lpc,
        torch.tensor([[1, 1, 1, 1, 1]] * 2),
        torch.tensor([3, 3]),
        torch.tensor([5, 5]),
        zero_infinity=True,
    ),
    lpc,
)

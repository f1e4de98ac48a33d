import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
cases = {
    "conv_bn_relu_pool": (
        lambda x: F.max_pool2d(F.relu(nn.BatchNorm2d(2)(nn.Conv2d(1, 2, 3, padding=1)(x))), 2),
        (2, 1, 6, 6),
    ),
    "avgpool_adapt": (lambda x: F.adaptive_avg_pool2d(x, 1) + F.avg_pool2d(x, 2).sum(), (2, 1, 4, 4)),
    "layernorm_gelu": (lambda x: F.gelu(nn.LayerNorm(4)(x)), (3, 4)),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), (3, 4)),
    "ce": (lambda x: F.cross_entropy(x, torch.tensor([0, 1, 2])), (3, 4)),
    "ce_ls": (lambda x: F.cross_entropy(x, torch.tensor([0, 1, 2]), label_smoothing=0.1), (3, 4)),
    "nll": (lambda x: F.nll_loss(F.log_softmax(x, 1), torch.tensor([0, 1, 2])), (3, 4)),
    "bcel": (lambda x: F.binary_cross_entropy_with_logits(x, torch.ones(3, 4)), (3, 4)),
    "bce": (lambda x: F.binary_cross_entropy(torch.sigmoid(x), torch.ones(3, 4) * 0.3), (3, 4)),
    "mse_l1_huber": (
        lambda x: (
            F.mse_loss(x, torch.zeros(3, 4))
            + F.smooth_l1_loss(x * 3, torch.zeros(3, 4))
            + F.huber_loss(x, torch.ones(3, 4))
        ),
        (3, 4),
    ),
    "elu_selu_silu_mish": (
        lambda x: (
            F.elu(x)
            + F.selu(x)
            + F.silu(x)
            + F.mish(x)
            + F.softplus(x)
            + F.leaky_relu(x, 0.1)
            + F.hardtanh(x)
            + F.logsigmoid(x)
        ),
        (3, 4),
    ),
    "tanh_sigmoid_softmax": (
        lambda x: torch.tanh(x) * torch.sigmoid(x) + F.softmax(x, -1) + F.log_softmax(x, 0),
        (3, 4),
    ),
    "lstm": (lambda x: nn.LSTM(4, 3, batch_first=True)(x.unsqueeze(0))[0], (3, 4)),
    "gru": (lambda x: nn.GRU(4, 3)(x.unsqueeze(1))[0], (3, 4)),
    "interp": (
        lambda x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False),
        (1, 1, 3, 3),
    ),
    "interp_near": (lambda x: F.interpolate(x, size=(5, 5)), (1, 1, 3, 3)),
    "groupnorm": (lambda x: nn.GroupNorm(2, 4)(x), (2, 4, 3)),
    "instnorm": (lambda x: nn.InstanceNorm1d(4)(x), (2, 4, 3)),
    "bn1d": (lambda x: nn.BatchNorm1d(4)(x), (3, 4)),
    "dropout_eval": (lambda x: F.dropout(x, 0.5, training=False), (3, 4)),
    "normalize_cos": (
        lambda x: F.normalize(x, dim=1) + F.cosine_similarity(x, x.flip(0)).unsqueeze(1),
        (3, 4),
    ),
    "cumsum_prod": (lambda x: x.cumsum(1) + x.cumprod(1), (3, 4)),
    "logsumexp_std_var": (lambda x: torch.logsumexp(x, 1) + x.std(1) + x.var(1), (3, 4)),
    "where_clamp_abs": (lambda x: torch.where(x > 0, x**2, x.abs()) + x.clamp(-0.5, 0.5), (3, 4)),
    "atan2_pow": (lambda x: torch.atan2(x, torch.ones(3, 4)) + x.abs() ** 1.5 + torch.pow(2.0, x), (3, 4)),
    "embedding_like": (lambda x: F.embedding(torch.tensor([0, 2]), x), (3, 4)),
    "pad_reflect": (lambda x: F.pad(x, (1, 1), mode="reflect"), (1, 2, 4)),
    "unfold": (lambda x: F.unfold(x, 2), (1, 1, 3, 3)),
    "sdpa": (lambda x: F.scaled_dot_product_attention(x, x, x, is_causal=True), (1, 3, 4)),
    "mha": (lambda x: nn.MultiheadAttention(4, 2)(x, x, x)[0], (3, 1, 4)),
    "kl": (
        lambda x: F.kl_div(F.log_softmax(x, 1), torch.softmax(torch.ones(3, 4), 1), reduction="batchmean"),
        (3, 4),
    ),
    "pixelshuffle": (lambda x: F.pixel_shuffle(x, 2), (1, 4, 2, 2)),
    "prelu": (lambda x: nn.PReLU()(x), (3, 4)),
    "rmsnorm": (lambda x: F.rms_norm(x, (4,)), (3, 4)),
    "det_inv": (
        lambda x: (
            torch.linalg.det(x[:, :3] @ x[:, :3].T + torch.eye(3))
            + torch.linalg.inv(x[:, :3] + 3 * torch.eye(3)).sum()
        ),
        (3, 4),
    ),
}
for name, (fn, shape) in cases.items():
    torch.manual_seed(1)
    x = torch.randn(*shape, requires_grad=True)
    try:
        torch.manual_seed(2)
        out = fn(x)
        (g,) = torch.autograd.grad(out.sum(), x, create_graph=True)
        gp = (g**2).sum()
        gp.backward()
        print(name, round(gp.item(), 4), x.grad.sum().item() + 0.0)
    except Exception as e:
        print(name, "raised", isinstance(e, RuntimeError))

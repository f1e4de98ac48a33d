import torch
import torch.nn.functional as F

x0 = torch.tensor([-1.0, 0.0, 4.0])
cases = {
    "where_sqrt": lambda x: torch.where(x > 0, x.sqrt(), torch.zeros(3)).sum(),
    "where_log": lambda x: torch.where(x > 0, x.log(), x).sum(),
    "sqrt0": lambda x: x.clamp(min=0).sqrt().sum(),
    "pow05": lambda x: (x.clamp(min=0) ** 0.5).sum(),
    "norm_zero": lambda x: (x * 0).norm(),
    "norm_dim0": lambda x: torch.stack([x * 0, x]).norm(dim=1).sum(),
    "vector_norm0": lambda x: torch.linalg.vector_norm(x * 0),
    "norm_p1_0": lambda x: (x * 0).norm(p=1),
    "norm_inf": lambda x: x.norm(p=float("inf")),
    "cdist_same": lambda x: torch.cdist(x.view(3, 1), x.view(3, 1)).sum(),
    "pdist": lambda x: F.pdist(torch.stack([x, x])).sum(),
    "pairwise": lambda x: F.pairwise_distance(x.view(1, 3), x.view(1, 3)).sum(),
    "normalize0": lambda x: F.normalize(x * 0, dim=0).sum(),
    "cos0": lambda x: F.cosine_similarity(x * 0, x, dim=0),
    "abs0": lambda x: x.abs().sum(),
    "pow00": lambda x: torch.pow(x * 0, 0.0).sum(),
    "pow_t0": lambda x: torch.pow(x * 0, x * 0).sum(),
    "atan2": lambda x: torch.atan2(x * 0, x * 0).sum(),
    "log0": lambda x: (x.clamp(min=0) + 0).log().clamp(min=-100).sum(),
    "xlogx": lambda x: (x.clamp(min=0) * x.clamp(min=0).log()).nan_to_num().sum(),
    "xlogy": lambda x: torch.xlogy(x.clamp(min=0), x.clamp(min=0)).sum(),
    "std1": lambda x: x[:1].std(),
    "var_const": lambda x: (x * 0).var(),
    "std_const": lambda x: (x * 0 + 1).std(),
    "ln_const": lambda x: F.layer_norm((x * 0).view(1, 3), (3,)).sum(),
    "bn_const": lambda x: F.batch_norm((x * 0).view(3, 1), None, None, training=True).sum(),
    "softmax_inf": lambda x: F.softmax(torch.where(x > 0, x, torch.tensor(float("-inf"))), 0)[2],
    "logsoftmax_inf": lambda x: F.log_softmax(x.masked_fill(x <= 0, float("-inf")), 0)[2],
    "max_ties": lambda x: torch.stack([x, x]).max(),
    "amax_ties": lambda x: torch.stack([x, x]).amax(),
    "min_ties_dim": lambda x: torch.stack([x, x]).min(0)[0].sum(),
    "median_ties": lambda x: torch.stack([x, x, x]).median(),
    "relu0": lambda x: F.relu(x).sum(),
    "sort_ties": lambda x: torch.stack([x[1], x[1], x[2]]).sort()[0].mul(torch.tensor([1.0, 2.0, 3.0])).sum(),
    "clamp_edge": lambda x: x.clamp(0, 4).sum(),
    "sign": lambda x: (x.sign() * x).sum(),
    "rsqrt0": lambda x: (x.clamp(min=0) + 1e-30).rsqrt().clamp(max=10).sum(),
    "div0": lambda x: (x / x.clamp(min=0)).nan_to_num(0.0, 0.0, 0.0).sum(),
    "acos1": lambda x: torch.acos(x.clamp(-1, 1)).sum(),
    "asin": lambda x: torch.asin((x / 4).clamp(-1, 1)).sum(),
    "logsumexp_inf": lambda x: torch.logsumexp(x.masked_fill(x <= 0, float("-inf")), 0),
    "logsumexp_allinf": lambda x: torch.logsumexp((x * 0).masked_fill(x > -5, float("-inf")), 0),
    "entropy_cat": lambda x: torch.distributions.Categorical(
        probs=torch.stack([x.clamp(min=0), x.clamp(min=0)]).sum(0) / 8 + 0
    ).entropy(),
    "bce_logits": lambda x: F.binary_cross_entropy_with_logits(x * 100, torch.ones(3)),
    "sigmoid_log": lambda x: torch.log(torch.sigmoid(x * 100)).sum(),
}
for name, fn in cases.items():
    x = x0.clone().requires_grad_()
    try:
        y = fn(x)
        y.backward()
        print(f"{name:16s}", y.item(), x.grad.tolist())
    except Exception as e:
        print(f"{name:16s}", "raised", type(e).__name__)

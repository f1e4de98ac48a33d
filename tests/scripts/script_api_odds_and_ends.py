import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import unpad_sequence, unpack_sequence, pack_sequence, pad_sequence

EXPECT = {
    "cuda": AssertionError,
    "mps": RuntimeError,
    "model_to_cuda": AssertionError,
    "dup_group": ValueError,
    "expand_as": RuntimeError,
}


def tryit(name, fn):
    try:
        r = fn()
        print(name, "OK", r)
    except Exception as e:
        expected = EXPECT.get(name)
        print(
            name,
            "raised",
            expected.__name__ if expected else repr(e),
            expected is not None and isinstance(e, expected),
        )


torch.manual_seed(0)
x = torch.randn(2, 3)
tryit(
    "new",
    lambda: (
        x.new_zeros(2),
        x.new_full((1, 2), 3),
        x.new_tensor([1, 2]),
        x.new_ones(2, dtype=torch.long),
        x.new_empty(0).shape,
        torch.ones(2, dtype=torch.long).new_tensor([1.5]),
    ),
)
tryit(
    "unpad",
    lambda: unpad_sequence(
        pad_sequence([torch.ones(2), torch.ones(3)], batch_first=True), torch.tensor([2, 3]), batch_first=True
    ),
)
tryit("unpack", lambda: unpack_sequence(pack_sequence([torch.ones(3), torch.ones(2)])))
tryit("pad_left", lambda: pad_sequence([torch.ones(2), torch.ones(3)], batch_first=True, padding_side="left"))
w = torch.empty(3, 4)
tryit(
    "inits",
    lambda: (
        nn.init.trunc_normal_(w, std=0.02, a=-0.04, b=0.04).abs().max() <= 0.04,
        torch.allclose(nn.init.orthogonal_(w).matmul(w.T), torch.eye(3), atol=1e-5),
        nn.init.calculate_gain("leaky_relu", 0.2),
        nn.init.calculate_gain("tanh"),
        nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain("relu")).shape,
        nn.init.eye_(w),
        nn.init.dirac_(torch.empty(2, 2, 3)).sum(),
        nn.init.sparse_(torch.empty(4, 3), 0.5).eq(0).sum(),
        nn.init.kaiming_uniform_(w, a=5**0.5).std() < 1,
        nn.init.uniform_(w, -0.1, 0.1).abs().max() <= 0.1,
        nn.init.xavier_normal_(w).shape,
    ),
)
tryit(
    "clamp_t",
    lambda: torch.clamp(torch.tensor([1.0, 5.0]), min=torch.tensor([2.0, 2.0]), max=torch.tensor(4.0)),
)
tryit("apply_", lambda: torch.tensor([1.0, 2.0]).apply_(lambda v: v * 10))
tryit("map_", lambda: torch.tensor([1.0, 2.0]).map_(torch.tensor([3.0, 4.0]), lambda a, b: a + b))
tryit(
    "affine_grid",
    lambda: F.affine_grid(torch.tensor([[[1.0, 0, 0], [0, 1, 0]]]), [1, 1, 2, 2], align_corners=False),
)
tryit(
    "embedding_bag",
    lambda: F.embedding_bag(
        torch.tensor([0, 2, 1, 1]), torch.arange(6.0).view(3, 2), torch.tensor([0, 2]), mode="sum"
    ),
)
tryit("gen_repr", lambda: type(torch.manual_seed(0)).__name__)
p = nn.Parameter(torch.ones(3))
p.grad = torch.tensor([3.0, -4.0, 0.5])
tryit("clip_inf", lambda: (nn.utils.clip_grad_norm_([p], 1.0, norm_type="inf"), p.grad))
p.grad = torch.tensor([3.0, -4.0, 0.5])
tryit("clip_value", lambda: (nn.utils.clip_grad_value_([p], 1.0), p.grad))
p.grad = torch.tensor([3.0, -4.0, 0.5])
tryit("clip_norm", lambda: (nn.utils.clip_grad_norm_(p, 2.0), p.grad))
tryit("clip_nograd", lambda: nn.utils.clip_grad_norm_([nn.Parameter(torch.ones(1))], 1.0))
tryit("get_total_norm", lambda: nn.utils.get_total_norm([torch.tensor([3.0, 4.0])]))
m = nn.Linear(2, 2)
tryit("v2p", lambda: (nn.utils.vector_to_parameters(torch.arange(6.0), m.parameters()), m.weight, m.bias))
tryit("cudnn", lambda: (torch.backends.cudnn.deterministic, torch.backends.cudnn.enabled))
tryit(
    "device_count",
    lambda: (torch.cuda.device_count(), torch.device("cuda" if torch.cuda.is_available() else "cpu")),
)
tryit("to_nb", lambda: x.to("cpu", non_blocking=True).shape)
tryit("cpu_numpy", lambda: x.detach().cpu().numpy().dtype)
tryit("cuda", lambda: x.cuda())
tryit("mps", lambda: x.to("mps"))
tryit("model_to_cuda", lambda: nn.Linear(1, 1).to("cuda"))
tryit("zero_grad", lambda: (m.weight.__setattr__("grad", torch.ones(2, 2)), m.zero_grad(), m.weight.grad)[2])
opt = torch.optim.SGD(m.parameters(), lr=0.1)
m.weight.grad = torch.ones(2, 2)
tryit("zero_grad_false", lambda: (opt.zero_grad(set_to_none=False), m.weight.grad)[1])
tryit(
    "add_param_group",
    lambda: (
        opt.add_param_group({"params": nn.Parameter(torch.ones(1)), "lr": 0.01}),
        len(opt.param_groups),
        opt.param_groups[1]["momentum"],
    ),
)
tryit("dup_param", lambda: torch.optim.SGD([m.weight, m.weight], lr=0.1))
tryit("dup_group", lambda: opt.add_param_group({"params": m.weight}))
tryit(
    "sdpa_scale",
    lambda: F.scaled_dot_product_attention(
        torch.ones(1, 2, 3), torch.ones(1, 2, 3), torch.arange(6.0).view(1, 2, 3), scale=0.5
    ),
)
tryit(
    "sdpa_boolmask",
    lambda: F.scaled_dot_product_attention(
        torch.ones(1, 2, 3),
        torch.ones(1, 2, 3),
        torch.arange(6.0).view(1, 2, 3),
        attn_mask=torch.tensor([[True, False], [True, True]]),
    ),
)
tryit(
    "sdpa_gqa",
    lambda: (
        F.scaled_dot_product_attention(
            torch.ones(1, 4, 2, 3), torch.ones(1, 2, 2, 3), torch.ones(1, 2, 2, 3), enable_gqa=True
        ).shape
    ),
)
tryit("worker_info", lambda: torch.utils.data.get_worker_info())
tryit(
    "swapaxes",
    lambda: (
        x.swapaxes(0, 1).shape,
        x.moveaxis(0, 1).shape,
        torch.movedim(x, 1, 0).shape,
        x.swapdims(0, 1).shape,
    ),
)
tryit("take_along", lambda: torch.take_along_dim(x, x.argmax(1, keepdim=True), 1))
tryit(
    "nan_to_num",
    lambda: torch.nan_to_num(torch.tensor([float("nan"), float("inf"), -float("inf")]), posinf=1.0),
)
tryit(
    "flatten_dims",
    lambda: (
        torch.ones(2, 3, 4).flatten(1).shape,
        torch.ones(2, 3, 4).flatten(0, 1).shape,
        torch.ones(2, 3, 4).unflatten(2, (2, 2)).shape,
        torch.ones(2, 3, 4).view(2, -1).shape,
    ),
)
tryit(
    "repeat_interleave",
    lambda: (
        torch.tensor([1, 2]).repeat_interleave(2),
        torch.repeat_interleave(torch.tensor([1, 2]), torch.tensor([1, 3])),
        torch.ones(2, 2).repeat(1, 2).shape,
        torch.tile(torch.tensor([1, 2]), (2,)),
    ),
)
tryit(
    "lerp",
    lambda: (
        torch.lerp(torch.zeros(2), torch.ones(2), 0.3),
        torch.zeros(2).lerp_(torch.ones(2), torch.tensor([0.1, 0.9])),
    ),
)
tryit(
    "addcmul",
    lambda: (
        torch.addcmul(torch.zeros(2), torch.ones(2), torch.ones(2), value=0.5),
        torch.addcdiv(torch.zeros(2), torch.ones(2), torch.ones(2) * 2, value=2),
    ),
)
tryit("heaviside", lambda: torch.heaviside(torch.tensor([-1.0, 0.0, 2.0]), torch.tensor(0.5)))
tryit(
    "signbit",
    lambda: (
        torch.signbit(torch.tensor([-0.0, 1.0])),
        torch.copysign(torch.tensor([1.0]), -2),
        torch.logit(torch.tensor([0.25])),
        torch.special.expit(torch.tensor([0.0])),
        torch.special.erfinv(torch.tensor([0.5])),
    ),
)
tryit(
    "hypot",
    lambda: (
        torch.hypot(torch.tensor([3.0]), torch.tensor([4.0])),
        torch.logaddexp(torch.tensor([1.0]), torch.tensor([2.0])),
        torch.xlogy(torch.tensor([0.0, 2.0]), torch.tensor([0.0, 3.0])),
        torch.sinc(torch.tensor([0.0, 0.5])),
    ),
)
tryit(
    "vander",
    lambda: (
        torch.vander(torch.tensor([1, 2, 3]), N=3),
        torch.trace(torch.eye(3)),
        torch.rot90(torch.eye(2), 1, [0, 1]),
        torch.fliplr(torch.eye(2)),
        torch.flipud(torch.eye(2)),
    ),
)
tryit("clone_fmt", lambda: torch.ones(2, 3).clone(memory_format=torch.contiguous_format).is_contiguous())
tryit(
    "expand_as",
    lambda: (
        torch.ones(3, 1).expand_as(x).shape,
        torch.ones(3).reshape_as(torch.ones(1, 3)).shape,
        torch.ones(3).type_as(torch.ones(1, dtype=torch.long)).dtype,
        x.view_as(torch.ones(6)).shape,
    ),
)
tryit(
    "isfinite",
    lambda: (
        torch.isfinite(torch.tensor([1.0, float("inf")])),
        torch.isinf(torch.tensor([-float("inf")])),
        torch.isposinf(torch.tensor([float("inf")])),
        torch.isreal(torch.ones(1)),
    ),
)
tryit(
    "std_keep",
    lambda: (
        x.std(dim=0, keepdim=True).shape,
        torch.std(x, unbiased=True),
        torch.var(x, dim=1, correction=2),
    ),
)

import torch
import torch.nn as nn
import torch.nn.functional as F

EXPECT = {
    "huge_zeros": RuntimeError,
    "huge_randn": RuntimeError,
    "huge_arange": RuntimeError,
    "overflow_shape": RuntimeError,
    "huge_linear": RuntimeError,
    "mn_nan": RuntimeError,
    "mn_inf": RuntimeError,
    "mn_zero": RuntimeError,
    "cat_nan_probs": ValueError,
    "bern_out": RuntimeError,
    "randperm_neg": RuntimeError,
    "linspace_neg": RuntimeError,
    "eye_neg": RuntimeError,
    "view_neg": RuntimeError,
    "reshape_zero": RuntimeError,
    "conv_stride0": RuntimeError,
    "pool_k0": RuntimeError,
    "pool_pad_big": RuntimeError,
    "interp_zero": RuntimeError,
    "interp_huge": RuntimeError,
    "emb_neg": IndexError,
    "linear_neg": RuntimeError,
    "lstm_zero_hidden": ValueError,
    "topk_neg": RuntimeError,
    "kth_oob": RuntimeError,
    "index_huge": IndexError,
    "index_huge_t": IndexError,
    "gather_neg": RuntimeError,
    "scatter_oob": RuntimeError,
    "index_add_oob": IndexError,
    "index_put_oob": IndexError,
    "setitem_oob": IndexError,
    "bincount_neg": RuntimeError,
    "bincount_huge": RuntimeError,
    "onehot_huge": RuntimeError,
    "repeat_huge": RuntimeError,
    "arange_nan": RuntimeError,
    "arange_inf": RuntimeError,
    "full_nan_int": RuntimeError,
    "rand_float_size": TypeError,
    "rand_str": TypeError,
    "zeros_tensor_size2": TypeError,
    "zeros_float_t": TypeError,
    "unfold_step0": RuntimeError,
    "chunk0": RuntimeError,
    "split0": RuntimeError,
    "narrow_oob": RuntimeError,
    "max_empty": RuntimeError,
    "argmax_empty": IndexError,
    "lstm_empty_seq": RuntimeError,
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


tryit("huge_zeros", lambda: torch.zeros(10**12))
tryit("huge_randn", lambda: torch.randn(10**6, 10**6))
tryit("huge_arange", lambda: torch.arange(0, 1e15))
tryit("overflow_shape", lambda: torch.zeros(2**62, 4))
tryit("huge_linear", lambda: nn.Linear(10**7, 10**7))
tryit("mn_nan", lambda: torch.multinomial(torch.tensor([float("nan"), 1.0]), 1))
tryit("mn_inf", lambda: torch.multinomial(torch.tensor([float("inf"), 1.0]), 1))
tryit("mn_zero", lambda: torch.multinomial(torch.tensor([0.0, 0.0]), 1))
tryit(
    "cat_nan_probs", lambda: torch.distributions.Categorical(probs=torch.tensor([float("nan"), 1.0])).sample()
)
tryit("bern_out", lambda: torch.bernoulli(torch.tensor([1.5])))
tryit("randperm_neg", lambda: torch.randperm(-1))
tryit("linspace_neg", lambda: torch.linspace(0, 1, -1))
tryit("eye_neg", lambda: torch.eye(-2))
tryit("view_neg", lambda: torch.ones(4).view(-2, 2))
tryit("reshape_zero", lambda: torch.ones(0, 3).reshape(-1, 0))
tryit("conv_neg_pad", lambda: nn.Conv2d(1, 1, 3, padding=-1))
tryit("conv_zero_k", lambda: nn.Conv2d(1, 1, 0))
tryit("conv_stride0", lambda: F.conv2d(torch.ones(1, 1, 4, 4), torch.ones(1, 1, 2, 2), stride=0))
tryit("pool_k0", lambda: F.max_pool2d(torch.ones(1, 1, 4, 4), 0))
tryit("pool_pad_big", lambda: F.max_pool2d(torch.ones(1, 1, 4, 4), 2, padding=2))
tryit("interp_zero", lambda: F.interpolate(torch.ones(1, 1, 4, 4), scale_factor=0))
tryit("interp_huge", lambda: F.interpolate(torch.ones(1, 1, 4, 4), scale_factor=1e9))
tryit("emb_neg", lambda: nn.Embedding(5, 2)(torch.tensor([-1])))
tryit("emb_zero", lambda: nn.Embedding(0, 2))
tryit("linear_neg", lambda: nn.Linear(-1, 2))
tryit("lstm_zero_hidden", lambda: nn.LSTM(2, 0))
tryit("topk_neg", lambda: torch.ones(3).topk(-1))
tryit("kth_oob", lambda: torch.ones(3).kthvalue(4))
tryit("index_huge", lambda: torch.ones(3)[2**63 - 1])
tryit("index_huge_t", lambda: torch.ones(3)[torch.tensor([2**62])])
tryit("gather_neg", lambda: torch.ones(3).gather(0, torch.tensor([-5])))
tryit("scatter_oob", lambda: torch.zeros(3).scatter_(0, torch.tensor([5]), 1.0))
tryit("index_add_oob", lambda: torch.zeros(3).index_add_(0, torch.tensor([3]), torch.ones(1)))
tryit("index_put_oob", lambda: torch.zeros(3).index_put_((torch.tensor([-4]),), torch.ones(1)))
tryit("setitem_oob", lambda: torch.zeros(3).__setitem__(torch.tensor([3]), 1.0))
tryit("bincount_neg", lambda: torch.bincount(torch.tensor([-1, 2])))
tryit("bincount_huge", lambda: torch.bincount(torch.tensor([10**12])))
tryit("onehot_huge", lambda: F.one_hot(torch.tensor([1]), 10**12))
tryit("repeat_huge", lambda: torch.ones(10).repeat(10**12))
tryit("expand_huge", lambda: torch.ones(1).expand(10**12).shape)
tryit("expand_huge_sum", lambda: torch.ones(1).expand(10**9).sum())
tryit("ce_nan", lambda: F.cross_entropy(torch.tensor([[float("nan"), 1.0]]), torch.tensor([0])))
tryit("pow_big", lambda: torch.tensor([10]) ** 30)
tryit("int_overflow_mul", lambda: torch.tensor([2**62]) * 4)
tryit("float_to_int_inf", lambda: torch.tensor([float("inf")]).long())
tryit("arange_nan", lambda: torch.arange(0, float("nan")))
tryit("arange_inf", lambda: torch.arange(0, float("inf")))
tryit("full_nan_int", lambda: torch.full((2,), float("nan"), dtype=torch.long))
tryit(
    "tensor_nested_deep",
    lambda: torch.tensor(__import__("functools").reduce(lambda a, _: [a], range(30), 1)).dim(),
)
tryit("rand_float_size", lambda: torch.rand(2.5))
tryit("rand_str", lambda: torch.rand("3"))
tryit("zeros_tensor_size", lambda: torch.zeros(torch.tensor(3)))
tryit("zeros_tensor_size2", lambda: torch.zeros(torch.tensor([2, 3])))
tryit("zeros_float_t", lambda: torch.zeros(torch.tensor(3.0)))
tryit("unfold_step0", lambda: torch.arange(5).unfold(0, 2, 0))
tryit("chunk0", lambda: torch.arange(5).chunk(0))
tryit("split0", lambda: torch.arange(5).split(0))
tryit("narrow_oob", lambda: torch.arange(5).narrow(0, 3, 4))
tryit("roll_empty", lambda: torch.tensor([]).roll(1))
tryit("max_empty", lambda: torch.tensor([]).max())
tryit("argmax_empty", lambda: torch.tensor([]).argmax())
tryit("mean_empty", lambda: torch.tensor([]).mean())
tryit("sum_empty", lambda: torch.tensor([]).sum())
tryit("std_one", lambda: torch.tensor([1.0]).std())
tryit("median_empty", lambda: torch.tensor([]).median())
tryit("sort_empty", lambda: torch.tensor([]).sort())
tryit("softmax_empty", lambda: torch.ones(0, 3).softmax(1))
tryit("linear_empty", lambda: nn.Linear(3, 2)(torch.ones(0, 3)))
tryit("bn_empty", lambda: nn.BatchNorm1d(3)(torch.ones(0, 3)).shape)
tryit("ce_empty", lambda: F.cross_entropy(torch.ones(0, 3), torch.ones(0, dtype=torch.long)))
tryit("conv_empty_batch", lambda: nn.Conv2d(1, 2, 3)(torch.ones(0, 1, 5, 5)))
tryit("lstm_empty_seq", lambda: nn.LSTM(2, 3)(torch.ones(0, 1, 2)))
tryit(
    "dl_empty",
    lambda: list(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(0, 2)), batch_size=2)),
)

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
EXPECT = {
    "inplace_sigmoid": RuntimeError,
    "inplace_pow": RuntimeError,
    "leaf_inplace": RuntimeError,
    "double_backward": RuntimeError,
    "backward_nonscalar": RuntimeError,
    "backward_no_grad": RuntimeError,
    "numpy_grad": RuntimeError,
    "view_T_contig": RuntimeError,
    "view_bad": RuntimeError,
    "reshape_two_neg": RuntimeError,
    "cat_mismatch": RuntimeError,
    "stack_mismatch": RuntimeError,
    "matmul_shape": RuntimeError,
    "mm_dtype": RuntimeError,
    "ce_float_target": RuntimeError,
    "ce_int32_target": RuntimeError,
    "ce_oob": IndexError,
    "nll_neg": IndexError,
    "bce_range": RuntimeError,
    "bce_shape": ValueError,
    "bcel_long": RuntimeError,
    "emb_oob": IndexError,
    "emb_float": RuntimeError,
    "conv_ch": RuntimeError,
    "conv_small": RuntimeError,
    "conv_double": RuntimeError,
    "linear_double": RuntimeError,
    "linear_long": RuntimeError,
    "bn_one": ValueError,
    "maxpool_small": RuntimeError,
    "lstm_2d_wrong": RuntimeError,
    "lstm_h0": IndexError,
    "index_oob": IndexError,
    "index_t_oob": IndexError,
    "item_multi": RuntimeError,
    "bool_ambig": RuntimeError,
    "int_multi": ValueError,
    "len_0d": TypeError,
    "iter_0d": TypeError,
    "dim_oob": IndexError,
    "squeeze_oob": IndexError,
    "permute_bad": RuntimeError,
    "expand_bad": RuntimeError,
    "broadcast_bad": RuntimeError,
    "tensor_ragged": ValueError,
    "tensor_str": TypeError,
    "tensor_none": RuntimeError,
    "randint_bad": RuntimeError,
    "zeros_neg": RuntimeError,
    "optim_empty": ValueError,
    "optim_neg_lr": ValueError,
    "optim_tensor": TypeError,
    "load_sd_bad": RuntimeError,
    "load_sd_missing": RuntimeError,
    "getattr_mod": AttributeError,
    "seq_idx": IndexError,
    "moddict": KeyError,
    "to_str": AssertionError,
    "dev": RuntimeError,
    "dropout_p": ValueError,
    "onehot_neg": RuntimeError,
    "onehot_small": RuntimeError,
    "onehot_float": RuntimeError,
    "multinomial_neg": RuntimeError,
    "multinomial_norep": RuntimeError,
    "topk_big": RuntimeError,
    "arange_bad": RuntimeError,
    "split_bad": RuntimeError,
    "gather_oob": RuntimeError,
    "scatter_dtype": RuntimeError,
    "where_dtype": RuntimeError,
    "lin_no_grad_inplace": RuntimeError,
    "reqgrad_int": RuntimeError,
    "reqgrad_int2": RuntimeError,
    "nonleaf_requires_grad": RuntimeError,
    "dl_bad_batch": ValueError,
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


x = torch.randn(3, requires_grad=True)


def f1():
    y = x.sigmoid()
    y.mul_(2)
    y.sum().backward()


tryit("inplace_sigmoid", f1)


def f2():
    y = x * 1
    z = y.exp()
    y.add_(1)
    z.sum().backward()


tryit("inplace_after_exp_input", f2)


def f3():
    y = x * 1
    z = y**2
    y += 1
    z.sum().backward()


tryit("inplace_pow", f3)


def f3b():
    y = x * 1
    z = y * 2
    y += 1
    z.sum().backward()
    return x.grad


tryit("inplace_mul_const_ok", f3b)


def f4():
    x.add_(1)


tryit("leaf_inplace", f4)


def f5():
    y = (x * 2).sum()
    y.backward()
    y.backward()


tryit("double_backward", f5)
tryit("backward_nonscalar", lambda: (x * 2).backward())
tryit("backward_no_grad", lambda: torch.ones(2).sum().backward())
tryit("grad_nonleaf", lambda: (x * 2).grad)
tryit("numpy_grad", lambda: x.numpy())
tryit("view_T_contig", lambda: torch.randn(3, 4).t().view(12))
tryit("view_bad", lambda: torch.randn(3, 4).view(5, -1))
tryit("reshape_two_neg", lambda: torch.randn(3, 4).reshape(-1, -1))
tryit("cat_mismatch", lambda: torch.cat([torch.ones(2, 3), torch.ones(2, 4)]))
tryit("cat_dtype", lambda: torch.cat([torch.ones(2), torch.ones(2, dtype=torch.long)]).dtype)
tryit("stack_mismatch", lambda: torch.stack([torch.ones(2), torch.ones(3)]))
tryit("matmul_shape", lambda: torch.ones(2, 3) @ torch.ones(2, 3))
tryit("mm_dtype", lambda: torch.ones(2, 2) @ torch.ones(2, 2, dtype=torch.long))
tryit("ce_float_target", lambda: F.cross_entropy(torch.randn(3, 4), torch.tensor([0.0, 1.0, 2.0])))
tryit(
    "ce_int32_target", lambda: F.cross_entropy(torch.randn(3, 4), torch.tensor([0, 1, 2], dtype=torch.int32))
)
tryit("ce_oob", lambda: F.cross_entropy(torch.randn(3, 4), torch.tensor([0, 1, 4])))
tryit("nll_neg", lambda: F.nll_loss(torch.randn(3, 4), torch.tensor([0, -1, 2])))
tryit("ce_ignore", lambda: F.cross_entropy(torch.randn(3, 4), torch.tensor([0, -100, 2])).shape)
tryit("bce_range", lambda: F.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0])))
tryit("bce_shape", lambda: F.binary_cross_entropy(torch.tensor([0.5, 0.5]), torch.tensor([[1.0, 0.0]])))
tryit("bcel_long", lambda: F.binary_cross_entropy_with_logits(torch.tensor([0.5]), torch.tensor([1])))
tryit("mse_shape", lambda: F.mse_loss(torch.ones(3, 1), torch.ones(3)).item())
tryit("mse_long", lambda: F.mse_loss(torch.ones(3), torch.ones(3, dtype=torch.long)))
tryit("emb_oob", lambda: nn.Embedding(5, 2)(torch.tensor([5])))
tryit("emb_float", lambda: nn.Embedding(5, 2)(torch.tensor([1.0])))
tryit("conv_3d_in", lambda: nn.Conv2d(1, 2, 3)(torch.randn(1, 28, 28)).shape)
tryit("conv_ch", lambda: nn.Conv2d(3, 2, 3)(torch.randn(1, 1, 8, 8)))
tryit("conv_small", lambda: nn.Conv2d(1, 2, 5)(torch.randn(1, 1, 3, 3)))
tryit("conv_double", lambda: nn.Conv2d(1, 2, 3)(torch.randn(1, 1, 5, 5, dtype=torch.float64)))
tryit("linear_double", lambda: nn.Linear(2, 2)(torch.randn(1, 2, dtype=torch.float64)))
tryit("linear_long", lambda: nn.Linear(2, 2)(torch.tensor([[1, 2]])))
tryit("bn_one", lambda: nn.BatchNorm1d(3)(torch.randn(1, 3)))
tryit("bn_eval_one", lambda: nn.BatchNorm1d(3).eval()(torch.randn(1, 3)).shape)
tryit("maxpool_small", lambda: nn.MaxPool2d(2)(torch.randn(1, 1, 1, 1)))
tryit("lstm_2d_wrong", lambda: nn.LSTM(3, 4)(torch.randn(5, 2)))
tryit("lstm_h0", lambda: nn.LSTM(3, 4)(torch.randn(5, 2, 3), torch.zeros(1, 2, 4)))
tryit("index_oob", lambda: torch.arange(3)[3])
tryit("index_t_oob", lambda: torch.arange(3)[torch.tensor([3])])
tryit("item_multi", lambda: torch.ones(2).item())
tryit("bool_ambig", lambda: bool(torch.ones(2)))
tryit("int_multi", lambda: int(torch.ones(2)))
tryit("len_0d", lambda: len(torch.tensor(1.0)))
tryit("iter_0d", lambda: list(torch.tensor(1.0)))
tryit("dim_oob", lambda: torch.ones(2, 3).sum(2))
tryit("squeeze_oob", lambda: torch.ones(2).unsqueeze(3))
tryit("permute_bad", lambda: torch.ones(2, 3).permute(0))
tryit("expand_bad", lambda: torch.ones(2, 3).expand(3, 3))
tryit("broadcast_bad", lambda: torch.ones(2, 3) + torch.ones(3, 2))
tryit("tensor_ragged", lambda: torch.tensor([[1, 2], [3]]))
tryit("tensor_str", lambda: torch.tensor("abc"))
tryit("tensor_none", lambda: torch.tensor(None))
tryit("randint_bad", lambda: torch.randint(5, 2, (3,)))
tryit("zeros_neg", lambda: torch.zeros(-1))
tryit("optim_empty", lambda: torch.optim.SGD([], lr=0.1))
tryit("optim_neg_lr", lambda: torch.optim.Adam(nn.Linear(1, 1).parameters(), lr=-1))
tryit("optim_tensor", lambda: torch.optim.SGD(torch.ones(2, requires_grad=True), lr=0.1))
tryit(
    "load_sd_bad",
    lambda: nn.Linear(2, 2).load_state_dict({"weight": torch.ones(3, 3), "bias": torch.ones(2)}),
)
tryit("load_sd_missing", lambda: nn.Linear(2, 2).load_state_dict({"weight": torch.ones(2, 2)}))
tryit("getattr_mod", lambda: nn.Linear(2, 2).foo)
tryit("seq_idx", lambda: nn.Sequential(nn.ReLU())[3])
tryit("moddict", lambda: nn.ModuleDict({"a": nn.ReLU()})["b"])
tryit("to_str", lambda: torch.ones(2).to("cuda"))
tryit("dev", lambda: torch.device("gpu"))
tryit("softmax_nodim", lambda: F.softmax(torch.ones(2, 2)).shape)
tryit("dropout_p", lambda: nn.Dropout(1.5))
tryit("onehot_neg", lambda: F.one_hot(torch.tensor([-1])))
tryit("onehot_small", lambda: F.one_hot(torch.tensor([3]), 2))
tryit("onehot_float", lambda: F.one_hot(torch.tensor([1.0])))
tryit("multinomial_neg", lambda: torch.multinomial(torch.tensor([-1.0, 1.0]), 1))
tryit("multinomial_norep", lambda: torch.multinomial(torch.tensor([1.0, 1.0]), 3))
tryit("topk_big", lambda: torch.ones(3).topk(4))
tryit("arange_bad", lambda: torch.arange(0, 10, -1))
tryit("split_bad", lambda: torch.arange(5).split([2, 2]))
tryit("gather_oob", lambda: torch.ones(2, 2).gather(1, torch.tensor([[2], [0]])))
tryit("scatter_dtype", lambda: torch.zeros(3).scatter_(0, torch.tensor([0.0]), 1.0))
tryit("where_dtype", lambda: torch.where(torch.tensor([1, 0]), 1.0, 0.0))
tryit("lin_no_grad_inplace", lambda: nn.Linear(1, 1).weight.zero_())
tryit("reqgrad_int", lambda: torch.ones(2, dtype=torch.long).requires_grad_())
tryit("reqgrad_int2", lambda: torch.tensor([1, 2], requires_grad=True))
tryit("nonleaf_requires_grad", lambda: (x * 2).requires_grad_(False))
tryit("dl_bad_batch", lambda: torch.utils.data.DataLoader([1, 2], batch_size=0))
tryit(
    "clip_nan", lambda: nn.utils.clip_grad_norm_([nn.Parameter(torch.ones(1))], 1.0, error_if_nonfinite=True)
)

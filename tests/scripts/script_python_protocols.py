import math
import numpy as np
import torch

EXPECT = {
    "fmt_vec": TypeError,
    "fmt1": TypeError,
    "round": TypeError,
    "round0": TypeError,
    "round_vec": TypeError,
    "tensor_of_vecs": ValueError,
    "np_array_grad": RuntimeError,
    "np_sum": TypeError,
    "index_float": IndexError,
    "index_float_t": IndexError,
    "step_neg": ValueError,
    "divmod": TypeError,
    "rsub": RuntimeError,
    "neg_bool": RuntimeError,
    "invert_float": TypeError,
    "matmul_int_float": RuntimeError,
    "pow_neg_int": RuntimeError,
    "int_div_zero": RuntimeError,
    "int_mod_zero": RuntimeError,
    "big_int": ValueError,
    "bool_argmax": RuntimeError,
    "int_softmax": RuntimeError,
    "int_norm": RuntimeError,
    "int_std": RuntimeError,
    "mean_bool": RuntimeError,
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


t = torch.tensor(2.345678)
v = torch.tensor([1.5, -2.25, 3.0])
tryit("fmt", lambda: f"{t:.2f}|{t:>10.3f}|{t!r}|{t!s}|{t:e}|{t:g}|{t:}")
tryit("fmt_int", lambda: f"{torch.tensor(5):03d}|{torch.tensor(5):,}|{torch.tensor(12345678):,}")
tryit("fmt_vec", lambda: f"{v:.2f}")
tryit("fmt_vec_empty", lambda: f"{v}")
tryit("fmt1", lambda: f"{torch.tensor([1.25]):.1f}")
tryit("format", lambda: f"{v} {t:.1f}")
tryit("pct", lambda: "%d %s %.3f" % (torch.tensor(3), v, t))
tryit("round", lambda: round(t, 2))
tryit("round0", lambda: round(t))
tryit("round_vec", lambda: round(v))
tryit("floor", lambda: math.floor(t))
tryit("isnan", lambda: math.isnan(t))
tryit("sqrt", lambda: math.sqrt(t))
tryit("npmean", lambda: np.mean([torch.tensor(1.0), torch.tensor(2.0)]))
tryit("sum", lambda: sum([torch.tensor(1.0), torch.tensor(2.0)]))
tryit("sum_vec", lambda: sum(v))
tryit("max_vec", lambda: max(v))
tryit("sorted", lambda: sorted(v))
tryit("list", lambda: list(v))
tryit("tolist", lambda: torch.tensor([0.1, 0.7]).tolist())
tryit("float1d", lambda: float(torch.tensor([3.5])))
tryit("int1d", lambda: int(torch.tensor([[3]])))
tryit("contains", lambda: 1.5 in v)
tryit("contains_t", lambda: torch.tensor(1.5) in v)
tryit("eq_none", lambda: v == None)  # noqa: E711
tryit("tensor_of_tensors", lambda: torch.tensor([torch.tensor(1.0), torch.tensor(2.0)]))
tryit("tensor_of_vecs", lambda: torch.tensor([torch.ones(2), torch.ones(2)]))
tryit("as_tensor_list", lambda: torch.as_tensor([torch.tensor(1), torch.tensor(2)]))
tryit("np_array_list", lambda: np.array([torch.tensor(1.0), torch.tensor(2.0)]))
tryit("np_array_vec", lambda: np.array(v))
tryit("np_array_grad", lambda: np.array(torch.ones(2, requires_grad=True)))
tryit("np_func", lambda: np.exp(v))
tryit("np_sum", lambda: np.sum(v))
tryit("np_argmax", lambda: np.argmax(v))
tryit("np_concat", lambda: np.concatenate([v, v]))
tryit("index_np", lambda: v[np.array([0, 2])])
tryit("index_np_int", lambda: v[np.int64(1)])
tryit("index_tensor_0d", lambda: v[torch.tensor(1)])
tryit("index_list_bool", lambda: v[[True, False, True]])
tryit("index_float", lambda: v[1.0])
tryit("index_float_t", lambda: v[torch.tensor([1.0])])
tryit("range_tensor", lambda: list(range(torch.tensor(3))))
tryit("mul_list", lambda: [0] * torch.tensor(3))
tryit("hash", lambda: len({t, t}))
tryit("bool0", lambda: bool(torch.tensor([0])))
tryit("not", lambda: not torch.tensor(0.0))
tryit("and", lambda: torch.tensor(True) and torch.tensor(False))
tryit("neg_idx_slice", lambda: v[-2:])
tryit("step_neg", lambda: v[::-1])
tryit("len", lambda: len(torch.ones(4, 2)))
tryit("iter2d", lambda: [r.shape for r in torch.ones(2, 3)])
tryit("unpack", lambda: (lambda a, b, c: a + b + c)(*v))
tryit("divmod", lambda: divmod(torch.tensor(7), 2))
tryit("rpow", lambda: 2 ** torch.tensor([1, 2]))
tryit("rfloordiv", lambda: 7 // torch.tensor([2, 3]))
tryit("rmod", lambda: 7 % torch.tensor([2, 3]))
tryit("rsub", lambda: 1 - torch.tensor([True, False]))
tryit("neg_bool", lambda: -torch.tensor([True, False]))
tryit("invert_float", lambda: ~torch.tensor([1.0]))
tryit("invert_int", lambda: ~torch.tensor([1, 0]))
tryit("lshift", lambda: torch.tensor([1, 2]) << 2)
tryit("matmul_1d", lambda: v @ v)
tryit("matmul_int_float", lambda: torch.tensor([1, 2]) @ torch.tensor([1.0, 2.0]))
tryit("pow_neg_int", lambda: torch.tensor([2]) ** -1)
tryit("pow_int_neg_t", lambda: torch.tensor([2]) ** torch.tensor([-1]))
tryit("int_div_zero", lambda: torch.tensor([1]) // 0)
tryit("int_mod_zero", lambda: torch.tensor([1]) % 0)
tryit("float_div_zero", lambda: torch.tensor([1.0, 0.0, -1.0]) / 0)
tryit("abs_min_int", lambda: torch.tensor([-(2**63)]).abs())
tryit("big_int", lambda: torch.tensor([2**63]))
tryit("big_int2", lambda: torch.tensor(2**62) * 4)
tryit("uint8_neg", lambda: torch.tensor([-1], dtype=torch.uint8))
tryit("float_to_uint8", lambda: torch.tensor([300.7, -1.2]).to(torch.uint8))
tryit("nan_to_int", lambda: torch.tensor([float("nan")]).long())
tryit("int_sqrt", lambda: torch.tensor([4]).sqrt())
tryit("int_exp", lambda: torch.exp(torch.tensor([0, 1])))
tryit("int_sigmoid", lambda: torch.sigmoid(torch.tensor([0])))
tryit("int_mean_dim", lambda: torch.tensor([[1, 2]]).float().mean(1))
tryit("bool_max", lambda: torch.tensor([True, False]).max())
tryit("bool_argmax", lambda: torch.tensor([False, True]).argmax())
tryit("int_softmax", lambda: torch.softmax(torch.tensor([1, 2]), 0))
tryit("int_norm", lambda: torch.tensor([3, 4]).norm())
tryit("int_std", lambda: torch.tensor([3, 4]).std())
tryit("int_floor", lambda: torch.tensor([3]).floor())
tryit("int_round", lambda: torch.tensor([3]).round())
tryit("int_clamp_float", lambda: torch.tensor([3]).clamp(0.5, 2.5))
tryit("cumsum_bool", lambda: torch.tensor([True, True]).cumsum(0))
tryit("prod_bool", lambda: torch.tensor([True, True]).prod())
tryit("mean_bool", lambda: torch.tensor([True, False]).mean())
tryit("sum_int8", lambda: torch.tensor([100, 100], dtype=torch.int8).sum())

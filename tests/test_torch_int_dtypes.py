"""Integer and bool tensors meeting floats, against torch: result dtypes, values, and errors.

Each case runs on the int64 tensor [1, 2, 3] with pyneuro and with torch; the dtype and the
values must agree, or both must raise a RuntimeError (pyneuro's DTypeError is one). It found
int_tensor.clamp(max=2.5) truncating the bound (2, not 2.5), masked_fill promoting an int
tensor to float, and relu refusing integer tensors.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

# fmt: off
OPS = {
 "add": lambda fw,x: x + 0.5, "radd": lambda fw,x: 0.5 + x, "sub": lambda fw,x: x - 0.5, "rsub": lambda fw,x: 1.5 - x,
 "mul": lambda fw,x: x * 1.5, "truediv": lambda fw,x: x / 2, "floordiv_f": lambda fw,x: x // 2.0, "floordiv": lambda fw,x: x // 2,
 "mod_f": lambda fw,x: x % 1.5, "pow_f": lambda fw,x: x ** 0.5, "pow_i": lambda fw,x: x ** 2, "rpow": lambda fw,x: 2.0 ** x,
 "where_f": lambda fw,x: fw.where(x > 1, x, 0.5), "where_i": lambda fw,x: fw.where(x > 1, x, 0), "masked_fill": lambda fw,x: x.masked_fill(x > 1, 0.5),
 "maximum_t": lambda fw,x: fw.maximum(x, fw.tensor([1.5,1.5,1.5])), "lerp": lambda fw,x: x.float().lerp(x.float(), 0.5),
 "mean": lambda fw,x: x.mean(), "sum": lambda fw,x: x.sum(), "prod": lambda fw,x: x.prod(), "std": lambda fw,x: x.std(),
 "sqrt": lambda fw,x: x.sqrt(), "exp": lambda fw,x: x.exp(), "sigmoid": lambda fw,x: x.sigmoid(), "abs": lambda fw,x: x.abs(), "neg": lambda fw,x: -x,
 "cumsum": lambda fw,x: x.cumsum(0), "softmax": lambda fw,x: x.softmax(0), "div_floor": lambda fw,x: x.div(2, rounding_mode="floor"),
 "div_trunc_f": lambda fw,x: x.div(2.5, rounding_mode="trunc"), "fmod": lambda fw,x: fw.fmod(x, 1.5), "remainder": lambda fw,x: fw.remainder(x, 2),
 "clamp_min_f": lambda fw,x: x.clamp_min(1.5), "full_i": lambda fw,x: fw.full((2,), 3), "full_f": lambda fw,x: fw.full((2,), 3.0), "full_b": lambda fw,x: fw.full((2,), True),
 "arange_f": lambda fw,x: fw.arange(0, 2, 0.5), "arange_i": lambda fw,x: fw.arange(3), "linspace": lambda fw,x: fw.linspace(0, 1, 3),
 "eq_f": lambda fw,x: x == 1.0, "lt_f": lambda fw,x: x < 1.5, "round": lambda fw,x: x.round(), "floor": lambda fw,x: x.floor(),
 "sign": lambda fw,x: x.sign(), "square": lambda fw,x: x.square(), "reciprocal": lambda fw,x: x.reciprocal(), "log": lambda fw,x: x.log(),
 "matmul": lambda fw,x: x @ x, "dot": lambda fw,x: x.dot(x), "outer_f": lambda fw,x: fw.outer(x, x.float()), "cat_mixed": lambda fw,x: fw.cat([x, x.float()]),
 "stack_mixed": lambda fw,x: fw.stack([x, x.double()]), "add_bool": lambda fw,x: x + True, "bool_add": lambda fw,x: (x > 1) + (x > 2), "bool_mul_f": lambda fw,x: (x > 1) * 1.5,
 "bool_sum": lambda fw,x: (x > 1).sum(), "bool_mean": lambda fw,x: (x > 1).float().mean(), "int_div_int_t": lambda fw,x: x / x, "addcmul": lambda fw,x: fw.addcmul(x.float(), x, x, value=0.5),
 "norm": lambda fw,x: x.float().norm(), "var_int": lambda fw,x: x.var(), "argmax": lambda fw,x: x.argmax(), "topk": lambda fw,x: x.topk(2).values, "sort": lambda fw,x: x.sort().values,
 "clip_i": lambda fw,x: x.clip(0, 2), "tensor_f_int": lambda fw,x: fw.tensor(3.0) * x, "tensor0d_int_times_float_tensor": lambda fw,x: fw.tensor(2) * fw.tensor([1.5]),
 "int32_plus_int64": lambda fw,x: x.int() + x, "uint8_plus_int8": lambda fw,x: fw.tensor([1], dtype=fw.uint8) + fw.tensor([1], dtype=fw.int8),
 "float16_plus_float32": lambda fw,x: fw.tensor([1.], dtype=fw.float16) + fw.tensor([1.]), "f16_times_py": lambda fw,x: fw.tensor([1.], dtype=fw.float16) * 2.5,
 "int_plus_f64_0d": lambda fw,x: x + fw.tensor(1.5, dtype=fw.float64), "f32_plus_f64_0d": lambda fw,x: x.float() + fw.tensor(1.5, dtype=fw.float64),
 "f32_plus_f64_1d": lambda fw,x: x.float() + fw.tensor([1.5,1,1], dtype=fw.float64), "bitwise_and": lambda fw,x: x & 1, "lshift": lambda fw,x: x << 1,
 "mean_dim_f": lambda fw,x: x.float().mean(0), "histc": lambda fw,x: x.float().histc(3), "bincount": lambda fw,x: x.bincount(), "unique": lambda fw,x: x.unique(),
 "log_softmax_int": lambda fw,x: fw.log_softmax(x, 0), "relu_int": lambda fw,x: fw.relu(x), "tanh": lambda fw,x: fw.tanh(x), "erf": lambda fw,x: fw.erf(x),
 "atan2": lambda fw,x: fw.atan2(x, x), "min_int_f": lambda fw,x: fw.minimum(x, fw.tensor(1.5)), "nan_to_num": lambda fw,x: x.nan_to_num(), "exp2": lambda fw,x: fw.exp2(x),
}
# fmt: on


def _outcome(fw, f):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = f(fw, fw.tensor([1, 2, 3]))
        except RuntimeError:
            return "RuntimeError"
    return str(r.dtype).split(".")[-1], np.round(np.asarray(r.tolist(), dtype=float), 4).tolist()


@pytest.mark.parametrize("name", sorted(OPS))
def test_integer_tensor_op_matches_torch(name):
    assert _outcome(pn, OPS[name]) == _outcome(torch, OPS[name])

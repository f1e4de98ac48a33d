"""out= of another dtype, as torch 2.13 treats it (pyneuro/_out.py): most ops cast their result
into out (exp of float32 into float64), some refuse any other dtype (neg, floor, clamp, where,
softmax, matmul, sort, gather, ... RuntimeError), and sum/prod/cumsum/cumprod/mean compute in
out's dtype (the sum of [1.5, 2.5] into an int64 out is 1 + 2 = 3). Each case runs under both
libraries into outs of six dtypes and must give the same values or both raise RuntimeError.
"""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _cases(T, x, o):
    L = lambda *s: T.zeros(*s, dtype=T.long)
    return {
        "ceil": lambda: T.ceil(x, out=o),
        "neg": lambda: T.neg(x, out=o),
        "abs": lambda: T.abs(x, out=o),
        "round": lambda: T.round(x, out=o),
        "sign": lambda: T.sign(x, out=o),
        "nan_to_num": lambda: T.nan_to_num(x, out=o),
        "clamp_min": lambda: T.clamp_min(x, 0, out=o),
        "clip": lambda: T.clip(x, 0, out=o),
        "where": lambda: T.where(x > 0, x, x, out=o),
        "amax": lambda: T.amax(x, 0, out=o[0]),
        "max(dim)": lambda: T.max(x, 1, out=(o[0], L(2))),
        "max()": lambda: T.max(x, out=o[0, 0]),
        "min(dim)": lambda: T.min(x, 0, out=(o[0], L(2))),
        "sort": lambda: T.sort(x, out=(o, L(2, 2))),
        "topk": lambda: T.topk(x, 1, out=(o[:, :1], L(2, 1))),
        "softmax": lambda: T.softmax(x, 0, out=o),
        "log_softmax": lambda: T.log_softmax(x, 0, out=o),
        "matmul": lambda: T.matmul(x, x, out=o),
        "mm": lambda: T.mm(x, x, out=o),
        "addmm": lambda: T.addmm(x, x, x, out=o),
        "mv": lambda: T.mv(x, x[0], out=o[0]),
        "dot": lambda: T.dot(x[0], x[0], out=o[0, 0]),
        "gather": lambda: T.gather(x, 0, L(2, 2), out=o),
        "index_select": lambda: T.index_select(x, 0, L(2), out=o),
        "take": lambda: T.take(x, L(2), out=o[0]),
        "tril": lambda: T.tril(x, out=o),
        "norm": lambda: T.norm(x, out=o[0, 0]),
        "argmax": lambda: T.argmax(x, 0, out=o[0]),
        # bool and int64 results: out of exactly that dtype (accepted any before)
        "all": lambda: T.all(x > 0, 0, out=o[0]),
        "signbit": lambda: T.signbit(x, out=o),
        "nonzero": lambda: T.nonzero(x, out=o),
        "searchsorted": lambda: T.searchsorted(T.tensor([0.0, 1.0]), x, out=o),
        "bucketize": lambda: T.bucketize(x, T.tensor([0.0, 1.0]), out=o),
        "msort": lambda: T.msort(x, out=o),
        "fix": lambda: T.fix(x, out=o),
        "inner": lambda: T.inner(x, x, out=o),
        # cast into out
        "add": lambda: T.add(x, x, out=o),
        "mul": lambda: T.mul(x, 2, out=o),
        "maximum": lambda: T.maximum(x, x, out=o),
        "outer": lambda: T.outer(x[0], x[0], out=o),
        "eq": lambda: T.eq(x, x, out=o),
        # computed in out's dtype
        "sum": lambda: T.sum(x, 0, out=o[0]),
        "sum of ints": lambda: T.sum(T.tensor([[1, 2], [3, 4]]), 0, out=o[0]),
        "prod": lambda: T.prod(x, 0, out=o[0]),
        "cumsum": lambda: T.cumsum(x, 0, out=o),
        "cumprod": lambda: T.cumprod(x, 0, out=o),
        "mean": lambda: T.mean(x, 0, out=o[0]),
        "mean of float16": lambda: T.mean(x.half(), 0, out=o[0]),
    }


OUT_DTYPES = ["float64", "float32", "int64", "int32", "float16", "bool"]


def _run(T, out_dtype, name):
    x = T.tensor([[1.5, -2.5], [0.5, 3.0]])
    o = T.zeros(2, 2, dtype=getattr(T, out_dtype))
    try:
        _cases(T, x, o)[name]()
    except RuntimeError:
        return "RuntimeError"
    return o.double().numpy()


@pytest.mark.parametrize("out_dtype", OUT_DTYPES)
@pytest.mark.parametrize("name", list(_cases(pn, None, None)))
def test_out_dtype_rules_are_torchs(name, out_dtype):
    ours, theirs = _run(pn, out_dtype, name), _run(torch, out_dtype, name)
    if isinstance(theirs, str) or isinstance(ours, str):
        assert ours == theirs
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-3 if out_dtype == "float16" else 1e-6)

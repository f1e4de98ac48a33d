"""The benchmarked kernels: their sizes, their inputs and their cost model.

Every entry of the kernel table (see pyneuro/backends/numpy_backend.py) is described by a
`Kernel`: how to parse a size token into a `Case`, how to build random float32 inputs for
it, and how many FLOPs and bytes one call costs. Throughput is reported in GFLOP/s for
matmul (compute-bound: 2*M*N*K FLOPs) and in GB/s for everything else (memory-bound: the
bytes each call must read and write at least, counted once, as below).

Size tokens (the --sizes option):
    matmul:  "N" (an N x N x N cube) or "MxKxN", optionally ":nt" / ":tn" for
             op(a) @ op(b) with b or a read transposed (the MLP's backward products)
    rows:    "RxC" (rows x columns; the row-wise kernels reduce along columns) or "N" (N x N)
    flat:    "RxC" or "N" (a 1-D vector of N elements)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

FLOAT = 4  # bytes per float32
INDEX = 8  # bytes per int64 target / argmax index

# The MLP of the course (batch 128, 784 -> 256 -> 10): the matmuls of one training step.
# A Linear layer stores W as (out, in), so forward is x @ W.T and the gradients are
# grad_x = g @ W and grad_W = g.T @ x, all read in place through the transpose flags.
MLP_MATMULS = {
    "128x784x256:nt": "fc1 fwd x@W1.T",
    "128x256x784": "fc1 grad_x g@W1",
    "256x128x784:tn": "fc1 grad_W g.T@x",
    "128x256x10:nt": "fc2 fwd h@W2.T",
    "128x10x256": "fc2 grad_x g@W2",
    "10x128x256:tn": "fc2 grad_W g.T@h",
}


@dataclass(frozen=True)
class Case:
    """One size of one kernel: its label, its dimensions and its cost."""

    kernel: str
    token: str  # the size token it was parsed from, e.g. "4096x1024"
    label: str  # what tables show, e.g. "128x784x256 (fc1 fwd x@W1.T)"
    dims: dict  # e.g. {"M": 128, "K": 784, "N": 256, "trans_a": False, "trans_b": True}
    flops: float
    bytes: float
    unit: str  # "GFLOP/s" or "GB/s"

    @property
    def work(self) -> float:
        """What the throughput counts: FLOPs for GFLOP/s kernels, bytes for GB/s ones."""
        return self.flops if self.unit == "GFLOP/s" else self.bytes

    def throughput(self, seconds: float) -> float:
        """GFLOP/s or GB/s of one call that took `seconds`."""
        return self.work / seconds * 1e-9 if seconds > 0 else float("nan")


@dataclass(frozen=True)
class Kernel:
    """A kernel of the table as the benchmark sees it."""

    name: str  # the table's function name, e.g. "softmax_forward"
    kind: str  # "matmul", "rows" or "flat": how size tokens are read
    unit: str  # "GFLOP/s" or "GB/s"
    flops_text: str  # the FLOP count used, as a formula
    bytes_text: str  # the byte count used, as a formula
    cost: Callable[[dict], tuple]  # dims -> (flops, bytes)
    make_inputs: Callable  # (dims, rng) -> (args tuple, kwargs dict), float32 host arrays
    presets: dict = field(default_factory=dict)  # preset name -> size tokens
    variant_key: str | None = None  # key into a backend's VARIANTS (the ladder), if any
    in_place: bool = False  # updates its first argument(s) (the optimizers)
    aliases: tuple = ()

    def case(self, token: str) -> Case | None:
        """The Case of a size token, or None when the token does not fit this kernel."""
        dims = _parse(self.kind, token)
        if dims is None:
            return None
        flops, nbytes = self.cost(dims)
        return Case(
            self.name, token, _label(self.kind, token, dims), dims, float(flops), float(nbytes), self.unit
        )

    def cases(self, preset_or_tokens) -> list:
        tokens = self.presets[preset_or_tokens] if isinstance(preset_or_tokens, str) else preset_or_tokens
        return [c for c in (self.case(t) for t in tokens) if c is not None]


# ----------------------------------------------------------------------------- size tokens
_MM = re.compile(r"^(\d+)x(\d+)x(\d+)(?::(nn|nt|tn|tt))?$")
_RC = re.compile(r"^(\d+)x(\d+)$")
_N = re.compile(r"^(\d+)$")


def _parse(kind: str, token: str) -> dict | None:
    token = token.strip().lower()
    if kind == "matmul":
        if _N.match(token):
            n = int(token)
            return {"M": n, "K": n, "N": n, "trans_a": False, "trans_b": False}
        m = _MM.match(token)
        if not m:
            return None
        op = m.group(4) or "nn"
        return {
            "M": int(m.group(1)),
            "K": int(m.group(2)),
            "N": int(m.group(3)),
            "trans_a": op[0] == "t",
            "trans_b": op[1] == "t",
        }
    m = _RC.match(token)
    if m:
        return {"shape": (int(m.group(1)), int(m.group(2)))}
    if _N.match(token):
        n = int(token)
        return {"shape": (n, n) if kind == "rows" else (n,)}
    return None


def _label(kind: str, token: str, dims: dict) -> str:
    if kind == "matmul":
        base = f"{dims['M']}x{dims['K']}x{dims['N']}"
        name = MLP_MATMULS.get(token.strip().lower())
        op = ("a.T" if dims["trans_a"] else "a") + "@" + ("b.T" if dims["trans_b"] else "b")
        if name:
            return f"{base} ({name})"
        return base if op == "a@b" else f"{base} ({op})"
    return "x".join(str(s) for s in dims["shape"])


def valid_token(token: str) -> bool:
    """Whether a size token is well formed for at least one kind of kernel."""
    return any(_parse(kind, token) is not None for kind in ("matmul", "rows", "flat"))


# ----------------------------------------------------------------------------- inputs
def _randn(rng, shape):
    return rng.standard_normal(shape, dtype=np.float32)


def _numel(dims) -> int:
    return int(np.prod(dims["shape"]))


def _rc(dims):
    shape = dims["shape"]
    return (shape[0], shape[1]) if len(shape) == 2 else (1, shape[0])


def _matmul_inputs(dims, rng):
    M, K, N = dims["M"], dims["K"], dims["N"]
    a = _randn(rng, (K, M) if dims["trans_a"] else (M, K))
    b = _randn(rng, (N, K) if dims["trans_b"] else (K, N))
    return (a, b), {"trans_a": dims["trans_a"], "trans_b": dims["trans_b"]}


def _x(dims, rng):
    return (_randn(rng, dims["shape"]),), {}


def _g_x(dims, rng):
    return (_randn(rng, dims["shape"]), _randn(rng, dims["shape"])), {}


def _g_probs(dims, rng):
    rows, cols = _rc(dims)
    y = rng.random(dims["shape"], dtype=np.float32) * np.float32(2.0 / max(cols, 1))
    return (_randn(rng, dims["shape"]), y), {}


def _g_logprobs(dims, rng):
    rows, cols = _rc(dims)
    y = -np.abs(_randn(rng, dims["shape"])) - np.float32(np.log(max(cols, 1)))
    return (_randn(rng, dims["shape"]), y), {}


def _targets(dims, rng):
    rows, cols = _rc(dims)
    return rng.integers(0, max(cols, 1), rows, dtype=np.int64)


def _ce_forward(dims, rng):
    return (_randn(rng, dims["shape"]), _targets(dims, rng)), {}


def _ce_backward(dims, rng):
    rows, _ = _rc(dims)
    grad_losses = np.full(rows, 1.0 / max(rows, 1), np.float32)  # the gradient of the mean
    return (_randn(rng, dims["shape"]), _targets(dims, rng), grad_losses), {}


def _bias_add(dims, rng):
    rows, cols = _rc(dims)
    return (_randn(rng, dims["shape"]), _randn(rng, (cols,))), {}


SGD_SETTINGS = {
    "lr": 0.01,
    "momentum": 0.9,
    "dampening": 0.0,
    "weight_decay": 0.0,
    "nesterov": False,
    "first_step": False,
}
ADAM_SETTINGS = {"step": 10, "lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0}


def _sgd(dims, rng):
    shape = dims["shape"]
    args = (_randn(rng, shape), _randn(rng, shape) * np.float32(0.01), _randn(rng, shape) * np.float32(0.01))
    return args, dict(SGD_SETTINGS)


def _adam(dims, rng):
    shape = dims["shape"]
    grad = _randn(rng, shape) * np.float32(0.01)
    args = (_randn(rng, shape), grad, grad * np.float32(0.1), grad * grad * np.float32(0.001))
    return args, dict(ADAM_SETTINGS)


# ----------------------------------------------------------------------------- the table
_RC_FULL = ("128x10", "8192x10", "4096x1024", "1024x50000")
_RC_QUICK = ("128x10", "8192x10", "4096x1024")
_RC_TINY = ("8x10", "64x100")
_EW_FULL = ("128x256", "4096x1024", "4096x4096")
_EW_QUICK = ("128x256", "4096x1024")
_MM_FULL = tuple(MLP_MATMULS) + ("256", "512", "1024", "2048")
_MM_QUICK = ("128x784x256:nt", "256x128x784:tn", "128x256x10:nt", "256", "512")
_MM_TINY = ("32x48x16:nt", "64")


def _presets(full, quick, tiny):
    return {"full": full, "quick": quick, "tiny": tiny}


def _rows_kernel(name, bytes_text, nbytes, make_inputs, **kw):
    return Kernel(
        name,
        "rows",
        "GB/s",
        "-",
        bytes_text,
        lambda d: (0, nbytes(*_rc(d))),
        make_inputs,
        _presets(_RC_FULL, _RC_QUICK, _RC_TINY),
        **kw,
    )


def _flat_kernel(name, bytes_text, per_elem, make_inputs, presets=None, **kw):
    return Kernel(
        name,
        "flat",
        "GB/s",
        "-",
        bytes_text,
        lambda d: (0, per_elem * _numel(d)),
        make_inputs,
        presets or _presets(_EW_FULL, _EW_QUICK, ("64x64",)),
        **kw,
    )


KERNELS = {
    k.name: k
    for k in (
        Kernel(
            "matmul",
            "matmul",
            "GFLOP/s",
            "2*M*N*K",
            "4*(M*K + K*N + M*N)",
            lambda d: (
                2.0 * d["M"] * d["N"] * d["K"],
                FLOAT * (d["M"] * d["K"] + d["K"] * d["N"] + d["M"] * d["N"]),
            ),
            _matmul_inputs,
            _presets(_MM_FULL, _MM_QUICK, _MM_TINY),
            variant_key="matmul",
        ),
        _rows_kernel(
            "softmax_forward",
            "4*2*R*C (read x, write y)",
            lambda r, c: FLOAT * 2 * r * c,
            _x,
            variant_key="softmax",
            aliases=("softmax",),
        ),
        _rows_kernel(
            "softmax_backward", "4*3*R*C (read g, y; write grad)", lambda r, c: FLOAT * 3 * r * c, _g_probs
        ),
        _rows_kernel(
            "log_softmax_forward", "4*2*R*C", lambda r, c: FLOAT * 2 * r * c, _x, aliases=("log_softmax",)
        ),
        _rows_kernel("log_softmax_backward", "4*3*R*C", lambda r, c: FLOAT * 3 * r * c, _g_logprobs),
        _rows_kernel(
            "cross_entropy_forward",
            "4*R*C + 8*R + 4*R (logits, targets, losses)",
            lambda r, c: FLOAT * r * c + INDEX * r + FLOAT * r,
            _ce_forward,
            aliases=("cross_entropy",),
        ),
        _rows_kernel(
            "cross_entropy_backward",
            "4*2*R*C + 8*R + 4*R (logits, grad; targets, grad_losses)",
            lambda r, c: FLOAT * 2 * r * c + INDEX * r + FLOAT * r,
            _ce_backward,
        ),
        _flat_kernel("relu_forward", "4*2*n", FLOAT * 2, _x, aliases=("relu",)),
        _flat_kernel("relu_backward", "4*3*n (read g, x; write grad)", FLOAT * 3, _g_x),
        Kernel(
            "bias_add",
            "rows",
            "GB/s",
            "-",
            "4*(2*R*C + C)",
            lambda d: (0, FLOAT * (2 * _rc(d)[0] * _rc(d)[1] + _rc(d)[1])),
            _bias_add,
            _presets(_EW_FULL, _EW_QUICK, ("64x64",)),
        ),
        Kernel(
            "bias_grad",
            "rows",
            "GB/s",
            "-",
            "4*(R*C + C)",
            lambda d: (0, FLOAT * (_rc(d)[0] * _rc(d)[1] + _rc(d)[1])),
            _x,
            _presets(_EW_FULL, _EW_QUICK, ("64x64",)),
        ),
        _flat_kernel(
            "sgd_step",
            "4*5*n (read param, grad, buf; write param, buf; momentum 0.9)",
            FLOAT * 5,
            _sgd,
            _presets(("256x784", "4096x1024", "4096x4096"), ("256x784", "4096x1024"), ("64x64",)),
            in_place=True,
        ),
        _flat_kernel(
            "adam_step",
            "4*7*n (read param, grad, m, v; write param, m, v)",
            FLOAT * 7,
            _adam,
            _presets(("256x784", "4096x1024", "4096x4096"), ("256x784", "4096x1024"), ("64x64",)),
            in_place=True,
        ),
        Kernel(
            "argmax",
            "rows",
            "GB/s",
            "-",
            "4*R*C + 8*R",
            lambda d: (0, FLOAT * _rc(d)[0] * _rc(d)[1] + INDEX * _rc(d)[0]),
            _x,
            _presets(_RC_FULL, _RC_QUICK, _RC_TINY),
        ),
    )
}

ALIASES = {alias: k.name for k in KERNELS.values() for alias in k.aliases}
PRESETS = ("tiny", "quick", "full")


def resolve(name: str) -> str:
    """Table name of a kernel given its name or alias ("softmax" -> "softmax_forward")."""
    key = name.strip()
    if key in KERNELS:
        return key
    if key in ALIASES:
        return ALIASES[key]
    names = ", ".join(list(KERNELS) + sorted(ALIASES))
    raise ValueError(f"unknown kernel {name!r}; choose from: {names}")

"""GPU benchmarks of pyneuro's CUDA kernels; writes JSON, Markdown and PNGs to --out.

Run by bench/gpu_check.sh on the GPU machine (see DEVELOPERS.md):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/gpu_bench.py --out $OUT

Sections (each guarded: a failure is recorded and the next section still runs, and a
time budget skips what does not fit):
  1. matmul ladder (naive, tiled, regblock, vectorized) against cuBLAS SGEMM (FP32, TF32
     off; via PyTorch and CuPy) and cuBLAS TF32, sizes 256..4096; target: default >= 0.8x
     cuBLAS FP32 at 4096^3.
  2. softmax / log_softmax / fused cross-entropy at 8192x8192 as a fraction of the
     device-to-device copy bandwidth measured in the same run (target >= 80%), and latency
     at 128x10 (against PyTorch).
  3. GPU vs CPU: every kernel of the table on the cuda backend and the C++ cpu backend over
     sizes, host<->device copies timed separately, and the crossover size per kernel.
  4. one epoch of the 784-256-10 MLP on Fashion-MNIST (synthesised with the same shapes
     when the files are absent, and said so): pyneuro (Tensor/nn/optim on "cuda", and the
     kernel table alone) against PyTorch on the same GPU.

Timing: medians of repeated batches after a warm-up, each batch ended by a device
synchronisation; ratios are taken within this run on this GPU.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
import traceback
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # gpu_png

import pyneuro  # noqa: E402
from pyneuro import backends  # noqa: E402

T_START = time.perf_counter()
DRY = False  # --dry-run: exercise this script on the CPU backend with small sizes (no GPU)
BUDGET_S = 170.0
RESULTS: dict = {"sections": {}, "errors": {}, "skipped": {}, "targets": {}}


def left():
    return BUDGET_S - (time.perf_counter() - T_START)


def log(*a):
    print(f"[gpu_bench {time.perf_counter() - T_START:6.1f}s]", *a, flush=True)


def bench(fn, sync, min_time=0.05, repeats=5, max_reps=2000):
    """Median seconds per call of fn() over `repeats` batches, each synchronised."""
    fn()
    sync()
    t0 = time.perf_counter()
    fn()
    sync()
    one = max(time.perf_counter() - t0, 1e-7)
    reps = int(min(max(min_time / one, 1), max_reps))
    if one > 0.2:
        repeats = min(repeats, 3)
    times = []
    for _ in range(repeats):
        sync()
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        sync()
        times.append((time.perf_counter() - t0) / reps)
    return statistics.median(times)


def optional(name):
    try:
        return __import__(name)
    except Exception:
        return None


# ----------------------------------------------------------------------------- environment
def environment(cu, torch, cupy):
    """pyneuro.machine.machine_info() (CPU side) plus the GPU, its runtime and the GPU peers."""
    from pyneuro.machine import machine_info

    env = machine_info()
    env.update(
        {
            "pyneuro": pyneuro.__version__,
            "cuda_runtime (pyneuro._cuda)": cu.cuda_runtime_version,
            "device": cu.get_device_properties(0),
            "cpu_threads (pyneuro cpu backend)": pyneuro.get_num_threads(),
        }
    )
    if torch is not None:
        env["torch"] = torch.__version__
        env["torch_cuda"] = torch.version.cuda
    if cupy is not None:
        env["cupy"] = cupy.__version__
    return env


# ----------------------------------------------------------------------------- 1. matmul
def section_matmul(bk, cu, torch, cupy):
    sync = cu.synchronize
    rng = np.random.default_rng(0)
    rows = []
    # the target size first, then the rest of the ladder while the time budget allows
    sizes = [4096, 256, 512, 1024, 2048] if not DRY else [256, 64, 128]
    for n in sizes:
        a_h = rng.standard_normal((n, n), dtype=np.float32)
        b_h = rng.standard_normal((n, n), dtype=np.float32)
        a, b = bk.asarray(a_h), bk.asarray(b_h)
        flops = 2.0 * n**3
        for v in bk.VARIANTS["matmul"]:
            if v == "naive" and n > 2048 and left() < 0.6 * BUDGET_S:
                continue
            t = bench(lambda: bk.matmul(a, b, variant=v), sync, min_time=0.1 if n >= 2048 else 0.05)
            rows.append({"n": n, "impl": f"pyneuro {v}", "seconds": t, "gflops": flops / t / 1e9})
        if torch is not None:
            ta, tb = torch.as_tensor(a, device="cuda"), torch.as_tensor(b, device="cuda")
            for tf32 in (False, True):
                torch.backends.cuda.matmul.allow_tf32 = tf32
                t = bench(lambda: torch.mm(ta, tb), sync, min_time=0.1)
                rows.append(
                    {
                        "n": n,
                        "impl": "cuBLAS TF32 (torch)" if tf32 else "cuBLAS FP32 (torch)",
                        "seconds": t,
                        "gflops": flops / t / 1e9,
                    }
                )
            torch.backends.cuda.matmul.allow_tf32 = False
        if cupy is not None:
            ca, cb = cupy.asarray(a), cupy.asarray(b)
            t = bench(lambda: cupy.matmul(ca, cb), sync, min_time=0.1)
            rows.append({"n": n, "impl": "cuBLAS FP32 (cupy)", "seconds": t, "gflops": flops / t / 1e9})
        if n == sizes[0]:
            got = bk.to_numpy(bk.matmul(a, b))
            want = a_h[:256].astype(np.float64) @ b_h.astype(np.float64)
            RESULTS["matmul_4096_max_rel_err_first_256_rows"] = float(
                np.abs(got[:256] - want).max() / np.abs(want).max()
            )
            for ta_, tb_ in ((True, False), (False, True)):
                t = bench(lambda: bk.matmul(a, b, ta_, tb_), sync, min_time=0.1)
                rows.append(
                    {
                        "n": n,
                        "impl": f"pyneuro vectorized trans_a={ta_} trans_b={tb_}",
                        "seconds": t,
                        "gflops": flops / t / 1e9,
                    }
                )
        log(f"matmul n={n}: " + ", ".join(f"{r['impl']}={r['gflops']:.0f}" for r in rows if r["n"] == n))
        a = b = None  # free the device buffers before the next size
        if left() < 0.6 * BUDGET_S:  # keep most of the budget for the other sections
            RESULTS["skipped"]["matmul sizes"] = f"stopped after n={n}: time budget"
            break
    RESULTS["sections"]["matmul"] = rows
    at = {r["impl"]: r["gflops"] for r in rows if r["n"] == sizes[0]}
    ref = at.get("cuBLAS FP32 (torch)") or at.get("cuBLAS FP32 (cupy)")
    if ref and "pyneuro vectorized" in at:
        ratio = at["pyneuro vectorized"] / ref
        RESULTS["targets"]["matmul 4096^3 default (vectorized) / cuBLAS FP32 >= 0.8"] = {
            "value": ratio,
            "pass": ratio >= 0.8,
        }
        if "cuBLAS TF32 (torch)" in at:
            RESULTS["targets"]["(info) matmul 4096^3 default / cuBLAS TF32"] = {
                "value": at["pyneuro vectorized"] / at["cuBLAS TF32 (torch)"],
                "pass": None,
            }


# ----------------------------------------------------------------------------- 2. softmax / CE
def section_rows(bk, cu, torch):
    sync = cu.synchronize
    rng = np.random.default_rng(1)
    out = {"big": [], "latency": []}
    r, c = (8192, 8192) if not DRY else (256, 512)
    x_h = 3 * rng.standard_normal((r, c), dtype=np.float32)
    t_h = rng.integers(0, c, r)
    x, t = bk.asarray(x_h), bk.asarray(t_h)
    gl = bk.asarray(np.full(r, 1.0 / r, np.float32))
    nbytes = x.nbytes
    copy_t = bench(lambda: bk.xp.copy(x), sync, min_time=0.2)
    copy_bw = 2 * nbytes / copy_t / 1e9
    out["copy_bandwidth_GBps"] = copy_bw
    cases = (
        [
            ("softmax (default)", lambda: bk.softmax_forward(x), 2 * nbytes),
        ]
        + [
            (f"softmax {v}", lambda v=v: bk.softmax_forward(x, variant=v), 2 * nbytes)
            for v in bk.VARIANTS["softmax"]
        ]
        + [
            ("log_softmax", lambda: bk.log_softmax_forward(x), 2 * nbytes),
            ("cross_entropy forward (fused)", lambda: bk.cross_entropy_forward(x, t), nbytes + 12 * r),
            (
                "cross_entropy backward (fused)",
                lambda: bk.cross_entropy_backward(x, t, gl),
                2 * nbytes + 12 * r,
            ),
        ]
    )
    if torch is not None:
        tx = torch.as_tensor(x, device="cuda")
        tt = torch.as_tensor(t, device="cuda")
        cases += [
            ("torch softmax", lambda: torch.softmax(tx, 1), 2 * nbytes),
            (
                "torch cross_entropy forward (none)",
                lambda: torch.nn.functional.cross_entropy(tx, tt, reduction="none"),
                nbytes + 12 * r,
            ),
        ]
    for name, fn, moved in cases:
        s = bench(fn, sync, min_time=0.2)
        bw = moved / s / 1e9
        out["big"].append(
            {"kernel": name, "shape": f"{r}x{c}", "seconds": s, "GBps": bw, "fraction_of_copy": bw / copy_bw}
        )
        log(f"{name}: {bw:.0f} GB/s = {bw / copy_bw:.0%} of copy ({copy_bw:.0f} GB/s)")
    for row in out["big"]:
        if row["kernel"] in (
            "softmax (default)",
            "cross_entropy forward (fused)",
            "cross_entropy backward (fused)",
        ):
            RESULTS["targets"][f"{row['kernel']} {row['shape']} >= 80% of copy bandwidth"] = {
                "value": row["fraction_of_copy"],
                "pass": row["fraction_of_copy"] >= 0.8,
            }
    x = None  # free the device buffer
    xs_h = rng.standard_normal((128, 10), dtype=np.float32)
    ts_h = rng.integers(0, 10, 128)
    xs, ts, gls = bk.asarray(xs_h), bk.asarray(ts_h), bk.asarray(np.ones(128, np.float32))
    lat = [
        ("softmax", lambda: bk.softmax_forward(xs)),
        ("cross_entropy forward", lambda: bk.cross_entropy_forward(xs, ts)),
        ("cross_entropy backward", lambda: bk.cross_entropy_backward(xs, ts, gls)),
    ]
    if torch is not None:
        txs, tts = torch.as_tensor(xs, device="cuda"), torch.as_tensor(ts, device="cuda")
        lat += [
            ("torch softmax", lambda: torch.softmax(txs, 1)),
            (
                "torch cross_entropy forward",
                lambda: torch.nn.functional.cross_entropy(txs, tts, reduction="none"),
            ),
        ]
    for name, fn in lat:
        s = bench(fn, sync, min_time=0.05)
        out["latency"].append({"kernel": name, "shape": "128x10", "microseconds": s * 1e6})
    log("latency 128x10: " + ", ".join(f"{d['kernel']}={d['microseconds']:.1f}us" for d in out["latency"]))
    RESULTS["sections"]["rows"] = out


# ----------------------------------------------------------------------------- 3. GPU vs CPU
def section_gpu_vs_cpu(bk, cu):
    cpu = backends.get("cpu")
    sync = cu.synchronize
    rng = np.random.default_rng(2)
    rows = []

    def nosync():
        pass

    def mm(n):
        return [rng.standard_normal((n, n), dtype=np.float32), rng.standard_normal((n, n), dtype=np.float32)]

    def rowsx(n, cols=1000):
        return max(n // cols, 1), cols

    def x2(n):
        r, c = rowsx(n)
        return [rng.standard_normal((r, c), dtype=np.float32)]

    def xg(n):
        r, c = rowsx(n)
        return [rng.standard_normal((r, c), dtype=np.float32), rng.standard_normal((r, c), dtype=np.float32)]

    def xb(n):
        r, c = rowsx(n)
        return [rng.standard_normal((r, c), dtype=np.float32), rng.standard_normal(c, dtype=np.float32)]

    def xt(n):
        r, c = rowsx(n)
        return [rng.standard_normal((r, c), dtype=np.float32), rng.integers(0, c, r)]

    def xtg(n):
        r, c = rowsx(n)
        return [rng.standard_normal((r, c), dtype=np.float32), rng.integers(0, c, r), np.ones(r, np.float32)]

    def vec(k):
        return lambda n: [rng.standard_normal(n, dtype=np.float32) for _ in range(k)]

    elem = [10**4, 10**5, 10**6, 10**7] if not DRY else [10**3, 10**4]
    cases = [
        ("matmul", [64, 128, 256, 512, 1024, 2048] if not DRY else [16, 64], mm, lambda B, a: B.matmul(*a)),
        ("relu_forward", elem, x2, lambda B, a: B.relu_forward(*a)),
        ("relu_backward", elem, xg, lambda B, a: B.relu_backward(*a)),
        ("softmax_forward", elem, x2, lambda B, a: B.softmax_forward(*a)),
        ("log_softmax_forward", elem, x2, lambda B, a: B.log_softmax_forward(*a)),
        ("softmax_backward", elem, xg, lambda B, a: B.softmax_backward(*a)),
        ("cross_entropy_forward", elem, xt, lambda B, a: B.cross_entropy_forward(*a)),
        ("cross_entropy_backward", elem, xtg, lambda B, a: B.cross_entropy_backward(*a)),
        ("bias_add", elem, xb, lambda B, a: B.bias_add(*a)),
        ("bias_grad", elem, x2, lambda B, a: B.bias_grad(*a)),
        ("argmax", elem, x2, lambda B, a: B.argmax(*a)),
        ("sgd_step", elem, vec(3), lambda B, a: B.sgd_step(a[0], a[1], a[2], 0.01, 0.9)),
        ("adam_step", elem, vec(4), lambda B, a: B.adam_step(a[0], a[1], a[2], a[3], 1, 1e-3)),
    ]
    for name, sizes, make, call in cases:
        if left() < 0.15 * BUDGET_S + 15:  # leave room for the MLP epoch
            RESULTS["skipped"][f"gpu_vs_cpu {name}"] = "time budget"
            continue
        for n in sizes:
            host = make(n)
            t_cpu = bench(lambda: call(cpu, host), nosync, min_time=0.02, repeats=3)
            t_h2d = bench(lambda: [bk.asarray(h) for h in host], sync, min_time=0.02, repeats=3)
            dev = [bk.asarray(h) for h in host]
            t_gpu = bench(lambda: call(bk, dev), sync, min_time=0.02, repeats=3)
            res = call(bk, dev)
            res = res if res is not None else dev[0]
            t_d2h = bench(lambda: bk.to_numpy(res), sync, min_time=0.02, repeats=3)
            rows.append(
                {
                    "kernel": name,
                    "size": n,
                    "cpu_s": t_cpu,
                    "gpu_s": t_gpu,
                    "h2d_s": t_h2d,
                    "d2h_s": t_d2h,
                    "speedup_kernel": t_cpu / t_gpu,
                    "speedup_with_copies": t_cpu / (t_gpu + t_h2d + t_d2h),
                }
            )
        log(
            f"gpu_vs_cpu {name}: "
            + ", ".join(f"{r['size']}:{r['speedup_kernel']:.1f}x" for r in rows if r["kernel"] == name)
        )
    cross = {}
    for name in dict.fromkeys(r["kernel"] for r in rows):
        mine = [r for r in rows if r["kernel"] == name]
        k = [r["size"] for r in mine if r["speedup_kernel"] > 1]
        c = [r["size"] for r in mine if r["speedup_with_copies"] > 1]
        cross[name] = {"kernel_only": min(k) if k else None, "with_copies": min(c) if c else None}
    RESULTS["sections"]["gpu_vs_cpu"] = {
        "rows": rows,
        "crossover": cross,
        "size_meaning": "matmul: n for n x n x n; others: elements (rows x 1000)",
    }


# ----------------------------------------------------------------------------- 4. MLP epoch
def fashion_mnist():
    try:
        from pyneuro.datasets import load_numpy

        xtr, ytr = load_numpy("fashion-mnist", "train", download=False, progress=False)
        xte, yte = load_numpy("fashion-mnist", "test", download=False, progress=False)
        # uint8 pixels -> float32 in [0, 1], as pyneuro.datasets.load and torchvision's ToTensor give
        return (
            xtr.reshape(len(xtr), -1).astype(np.float32) / 255,
            ytr.astype(np.int64),
            xte.reshape(len(xte), -1).astype(np.float32) / 255,
            yte.astype(np.int64),
            "Fashion-MNIST",
        )
    except Exception as exc:
        rng = np.random.default_rng(3)
        protos = rng.random((10, 784), dtype=np.float32)

        def make(n):
            y = rng.integers(0, 10, n)
            x = np.clip(protos[y] + 0.35 * rng.standard_normal((n, 784), dtype=np.float32), 0, 1).astype(
                np.float32
            )
            return x, y.astype(np.int64)

        xtr, ytr = make(60000 if not DRY else 2048)
        xte, yte = make(10000 if not DRY else 1000)
        return (
            xtr,
            ytr,
            xte,
            yte,
            f"SYNTHESISED (Fashion-MNIST shapes; the files were absent: {str(exc).splitlines()[0]})",
        )


def section_mlp(bk, cu, torch):
    xtr, ytr, xte, yte, source = fashion_mnist()
    if DRY:
        xtr, ytr, xte, yte = xtr[:4096], ytr[:4096], xte[:1000], yte[:1000]
    batch, lr, momentum = 128, 0.05, 0.9
    out = {"data": source, "batch_size": batch, "lr": lr, "momentum": momentum, "runs": []}
    log(f"MLP data: {source}")
    init = np.random.default_rng(4)
    bound1, bound2 = 1 / math.sqrt(784), 1 / math.sqrt(256)
    w1 = init.uniform(-bound1, bound1, (256, 784)).astype(np.float32)
    b1 = init.uniform(-bound1, bound1, 256).astype(np.float32)
    w2 = init.uniform(-bound2, bound2, (10, 256)).astype(np.float32)
    b2 = init.uniform(-bound2, bound2, 10).astype(np.float32)
    steps = range(0, len(xtr) - batch + 1, batch)

    def accuracy(predict):
        correct = 0
        for i in range(0, len(xte), 1000):
            correct += int((predict(xte[i : i + 1000]) == yte[i : i + 1000]).sum())
        return correct / len(xte)

    # (a) the kernel table alone: no autograd, what the hardware and kernels can do
    try:
        P = [bk.asarray(p.copy()) for p in (w1, b1, w2, b2)]  # copy: CPU asarray would alias
        bufs = [bk.xp.zeros(p.shape, dtype=np.float32) for p in P]
        first = [True]

        def step(xb, yb):
            h = bk.bias_add(bk.matmul(xb, P[0], trans_b=True), P[1])
            a = bk.relu_forward(h)
            logits = bk.bias_add(bk.matmul(a, P[2], trans_b=True), P[3])
            gl = bk.xp.full((xb.shape[0],), 1.0 / xb.shape[0], dtype=np.float32)
            g = bk.cross_entropy_backward(logits, yb, gl)
            ga = bk.matmul(g, P[2])
            gh = bk.relu_backward(ga, h)
            grads = (
                bk.matmul(gh, xb, trans_a=True),
                bk.bias_grad(gh),
                bk.matmul(g, a, trans_a=True),
                bk.bias_grad(g),
            )
            for p, gr, buf in zip(P, grads, bufs):
                bk.sgd_step(p, gr, buf, lr, momentum, 0.0, 0.0, False, first[0])
            first[0] = False
            return logits, yb

        cu.synchronize()
        t0 = time.perf_counter()
        for i in steps:
            logits, yb = step(bk.asarray(xtr[i : i + batch]), bk.asarray(ytr[i : i + batch]))
        loss = float(bk.xp.mean(bk.cross_entropy_forward(logits, yb)))
        cu.synchronize()
        t = time.perf_counter() - t0

        def predict(x):
            xb = bk.asarray(x)
            h = bk.relu_forward(bk.bias_add(bk.matmul(xb, P[0], trans_b=True), P[1]))
            return bk.to_numpy(bk.argmax(bk.bias_add(bk.matmul(h, P[2], trans_b=True), P[3])))

        out["runs"].append(
            {
                "impl": "pyneuro kernel table (cuda)",
                "epoch_s": t,
                "last_batch_loss": loss,
                "test_accuracy": accuracy(predict),
            }
        )
        log(f"MLP kernel table: {t:.2f}s")
    except Exception as exc:
        RESULTS["errors"]["mlp kernel table"] = traceback.format_exc()
        log(f"MLP kernel table failed: {exc!r}")

    # (b) the user's view: Tensor / nn / optim on device "cuda"
    try:
        import pyneuro.functional as F
        from pyneuro import nn, optim

        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
        model.load_state_dict(
            {
                "0.weight": pyneuro.tensor(w1),
                "0.bias": pyneuro.tensor(b1),
                "2.weight": pyneuro.tensor(w2),
                "2.bias": pyneuro.tensor(b2),
            }
        )
        dev = bk.DEVICE
        model = model.to(dev)
        opt = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
        cu.synchronize()
        t0 = time.perf_counter()
        for i in steps:
            xb = pyneuro.tensor(xtr[i : i + batch], device=dev)
            yb = pyneuro.tensor(ytr[i : i + batch], device=dev)
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
        last = loss.item()
        cu.synchronize()
        t = time.perf_counter() - t0

        def predict(x):
            with pyneuro.no_grad():
                return np.argmax(model(pyneuro.tensor(x, device=dev)).cpu().numpy(), axis=1)

        out["runs"].append(
            {
                "impl": "pyneuro Tensor/nn/optim (cuda)",
                "epoch_s": t,
                "last_batch_loss": last,
                "test_accuracy": accuracy(predict),
            }
        )
        log(f"MLP pyneuro nn: {t:.2f}s")
    except Exception as exc:
        RESULTS["errors"]["mlp pyneuro nn"] = traceback.format_exc()
        log(f"MLP pyneuro nn failed: {exc!r}")

    # (c) PyTorch on the same GPU, same data, same initial weights
    if torch is not None:
        try:
            torch.backends.cuda.matmul.allow_tf32 = False
            tm = torch.nn.Sequential(
                torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)
            ).cuda()
            with torch.no_grad():
                for p, v in zip(tm.parameters(), (w1, b1, w2, b2)):
                    p.copy_(torch.from_numpy(v))
            topt = torch.optim.SGD(tm.parameters(), lr=lr, momentum=momentum)
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for i in steps:
                xb = torch.from_numpy(xtr[i : i + batch]).cuda()
                yb = torch.from_numpy(ytr[i : i + batch]).cuda()
                topt.zero_grad()
                loss = torch.nn.functional.cross_entropy(tm(xb), yb)
                loss.backward()
                topt.step()
            last = loss.item()
            torch.cuda.synchronize()
            t = time.perf_counter() - t0

            def predict(x):
                with torch.no_grad():
                    return tm(torch.from_numpy(x).cuda()).argmax(1).cpu().numpy()

            out["runs"].append(
                {
                    "impl": "PyTorch (cuda)",
                    "epoch_s": t,
                    "last_batch_loss": last,
                    "test_accuracy": accuracy(predict),
                }
            )
            log(f"MLP torch: {t:.2f}s")
        except Exception as exc:
            RESULTS["errors"]["mlp torch"] = traceback.format_exc()
            log(f"MLP torch failed: {exc!r}")
    RESULTS["sections"]["mlp"] = out


# ----------------------------------------------------------------------------- report
def markdown():
    L = ["# pyneuro GPU benchmarks", ""]
    dev = RESULTS["environment"].get("device", {})
    L.append(
        f"GPU: {dev.get('name')} (sm_{dev.get('major')}{dev.get('minor')}, {dev.get('multi_processor_count')} SMs); "
        f"torch {RESULTS['environment'].get('torch')}, cupy {RESULTS['environment'].get('cupy')}; "
        f"wall time {RESULTS.get('wall_s', 0):.0f} s. Medians of synchronised batches; ratios from this run."
    )
    L += ["", "## Targets", "", "| target | value | pass |", "|---|---|---|"]
    for k, v in RESULTS["targets"].items():
        L.append(
            f"| {k} | {v['value']:.3f} | {'-' if v['pass'] is None else ('yes' if v['pass'] else 'NO')} |"
        )
    mm = RESULTS["sections"].get("matmul")
    if mm:
        impls = list(dict.fromkeys(r["impl"] for r in mm))
        sizes = sorted({r["n"] for r in mm})
        L += [
            "",
            "## Matmul ladder (GFLOP/s, FP32)",
            "",
            "| impl | " + " | ".join(map(str, sizes)) + " |",
            "|---|" + "---|" * len(sizes),
        ]
        for impl in impls:
            cells = {r["n"]: r["gflops"] for r in mm if r["impl"] == impl}
            L.append(
                f"| {impl} | " + " | ".join(f"{cells[n]:.0f}" if n in cells else "" for n in sizes) + " |"
            )
    rows = RESULTS["sections"].get("rows")
    if rows:
        L += [
            "",
            f"## Row kernels at {rows['big'][0]['shape']} (device copy: {rows['copy_bandwidth_GBps']:.0f} GB/s)",
            "",
            "| kernel | GB/s | of copy | ms |",
            "|---|---|---|---|",
        ]
        for r in rows["big"]:
            L.append(
                f"| {r['kernel']} | {r['GBps']:.0f} | {r['fraction_of_copy']:.0%} | {r['seconds'] * 1e3:.3f} |"
            )
        L += [
            "",
            "Latency at 128x10 (per call, incl. Python launch overhead):",
            "",
            "| kernel | us |",
            "|---|---|",
        ]
        for r in rows["latency"]:
            L.append(f"| {r['kernel']} | {r['microseconds']:.1f} |")
    gc = RESULTS["sections"].get("gpu_vs_cpu")
    if gc:
        L += [
            "",
            "## GPU (cuda backend) vs CPU (C++ cpu backend)",
            "",
            f"Sizes: {gc['size_meaning']}. Copies timed separately (h2d: all inputs, d2h: the output).",
            "",
            "| kernel | size | cpu ms | gpu ms | h2d ms | d2h ms | speedup | with copies |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in gc["rows"]:
            L.append(
                f"| {r['kernel']} | {r['size']} | {r['cpu_s'] * 1e3:.3f} | {r['gpu_s'] * 1e3:.3f} | "
                f"{r['h2d_s'] * 1e3:.3f} | {r['d2h_s'] * 1e3:.3f} | {r['speedup_kernel']:.1f}x | "
                f"{r['speedup_with_copies']:.2f}x |"
            )
        L += [
            "",
            "Crossover (smallest measured size where the GPU wins):",
            "",
            "| kernel | kernel only | with copies |",
            "|---|---|---|",
        ]
        for k, v in gc["crossover"].items():
            L.append(f"| {k} | {v['kernel_only'] or 'never'} | {v['with_copies'] or 'never'} |")
    mlp = RESULTS["sections"].get("mlp")
    if mlp:
        L += [
            "",
            f"## One MLP epoch (784-256-10, batch {mlp['batch_size']}, SGD lr {mlp['lr']} momentum {mlp['momentum']})",
            "",
            f"Data: {mlp['data']}",
            "",
            "| impl | epoch s | last batch loss | test accuracy |",
            "|---|---|---|---|",
        ]
        for r in mlp["runs"]:
            L.append(
                f"| {r['impl']} | {r['epoch_s']:.2f} | {r['last_batch_loss']:.4f} | {r['test_accuracy']:.4f} |"
            )
    if RESULTS["skipped"]:
        L += ["", "## Skipped", ""] + [f"- {k}: {v}" for k, v in RESULTS["skipped"].items()]
    if RESULTS["errors"]:
        L += ["", "## Errors", ""] + [
            f"- {k}: `{v.strip().splitlines()[-1]}`" for k, v in RESULTS["errors"].items()
        ]
    return "\n".join(L) + "\n"


def plots(out: Path):
    import gpu_png

    mm = RESULTS["sections"].get("matmul")
    if mm:
        series = {}
        for r in mm:
            if "trans" not in r["impl"]:
                series.setdefault(r["impl"].replace("pyneuro ", ""), []).append((r["n"], r["gflops"]))
        gpu_png.line_chart(
            out / "gpu_matmul_ladder.png", "MATMUL LADDER (GFLOP/S)", series, "N (N X N X N)", "GFLOP/S"
        )
    gc = RESULTS["sections"].get("gpu_vs_cpu")
    if gc:
        series = {}
        for r in gc["rows"]:
            if r["kernel"] in (
                "matmul",
                "softmax_forward",
                "cross_entropy_backward",
                "relu_forward",
                "adam_step",
            ):
                series.setdefault(r["kernel"].upper().replace("_FORWARD", "").replace("_", " "), []).append(
                    (r["size"], r["speedup_kernel"])
                )
        gpu_png.line_chart(
            out / "gpu_vs_cpu.png", "GPU SPEEDUP OVER CPU (KERNEL ONLY)", series, "SIZE", "SPEEDUP X"
        )


class _DryDevice:
    """Stands in for pyneuro._cuda in --dry-run."""

    cuda_runtime_version = 0

    def synchronize(self):
        pass

    def empty_cache(self):
        pass

    def get_device_properties(self, device=0):
        return {"name": "DRY RUN (cpu backend, no GPU)", "major": 0, "minor": 0, "multi_processor_count": 0}


def main():
    global BUDGET_S
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.environ.get("OUT", "gpu_results"))
    ap.add_argument(
        "--budget", type=float, default=BUDGET_S, help="seconds; later sections are skipped past it"
    )
    ap.add_argument("--sections", default="matmul,rows,gpu_vs_cpu,mlp")
    ap.add_argument(
        "--dry-run",
        action="store_true",
        help="check this script without a GPU: tiny sizes, the cpu backend stands in",
    )
    ap.add_argument(
        "--dry-backend",
        choices=("cpu", "cuda"),
        default="cpu",
        help="with --dry-run: 'cuda' uses the cuda backend (e.g. the emulated one, see DEVELOPERS.md)",
    )
    args = ap.parse_args()
    BUDGET_S = args.budget
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    global DRY
    DRY = args.dry_run
    if DRY and args.dry_backend == "cpu":  # the C++ cpu backend stands in for the GPU; no peers
        bk, cu, torch, cupy = backends.get("cpu"), _DryDevice(), None, None
    else:
        status = backends.status("cuda")
        if not status.available:
            print(f"gpu_bench: cuda backend unavailable: {status.reason}", file=sys.stderr)
            return 2
        bk = backends.get("cuda")
        from pyneuro import _cuda as cu

        torch = optional("torch")
        if torch is not None and not torch.cuda.is_available():
            torch = None
        cupy = optional("cupy")
    RESULTS["environment"] = environment(cu, torch, cupy)
    log(f"device: {RESULTS['environment']['device']['name']}")
    sections = {
        "matmul": lambda: section_matmul(bk, cu, torch, cupy),
        "rows": lambda: section_rows(bk, cu, torch),
        "gpu_vs_cpu": lambda: section_gpu_vs_cpu(bk, cu),
        "mlp": lambda: section_mlp(bk, cu, torch),
    }
    minimum = {"matmul": 0.3 * BUDGET_S, "rows": 15, "gpu_vs_cpu": 30, "mlp": 10}
    for name in args.sections.split(","):
        if left() < minimum[name]:
            RESULTS["skipped"][name] = f"time budget ({left():.0f} s left)"
            continue
        try:
            sections[name]()
        except Exception:
            RESULTS["errors"][name] = traceback.format_exc()
            log(f"section {name} failed:\n{RESULTS['errors'][name]}")
        cu.empty_cache()
    RESULTS["wall_s"] = time.perf_counter() - T_START
    (out / "gpu_results.json").write_text(json.dumps(RESULTS, indent=1, default=str))
    (out / "gpu_results.md").write_text(markdown())
    try:
        plots(out)
    except Exception:
        RESULTS["errors"]["plots"] = traceback.format_exc()
        (out / "gpu_results.json").write_text(json.dumps(RESULTS, indent=1, default=str))
    log(f"wrote {out}/gpu_results.json, gpu_results.md and PNGs")
    print(markdown())
    return 1 if RESULTS["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())

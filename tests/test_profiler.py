"""pyneuro.profiler: what a profile records (kernels, ops, phases, transfers), its table, its
Chrome trace, and that nothing is recorded or wrapped when no profile is active."""

from __future__ import annotations

import json
import types

import numpy as np
import pytest

import pyneuro as pn
import pyneuro.functional as F
from pyneuro import nn
from pyneuro._tensor_base import TensorBase
from pyneuro.autograd.function import _Profiling
from pyneuro.backends import _registry, protocol
from pyneuro.profiler import _record, costs, profile, record_function

N, D, H, C = 16, 12, 8, 5
PEAKS = {"fma_gflops": 100.0, "copy_gbs": 10.0}  # given, so the tests measure nothing


def _mlp(activation=nn.ReLU):
    pn.manual_seed(0)
    return nn.Sequential(nn.Linear(D, H), activation(), nn.Linear(H, C))


def _step(model, opt, x, y):
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    with record_function("optimizer.step"):
        opt.step()
    return loss.item()


def _profiled_step(activation=nn.ReLU):
    model = _mlp(activation)
    opt = pn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = pn.randn(N, D), pn.randint(0, C, (N,))
    with profile() as prof:
        _step(model, opt, x, y)
    return prof


def _kernels(prof, entry):
    return [e for e in prof.events() if e.cat == "kernel" and e.name.endswith("::" + entry)]


def test_training_step_records_every_kernel_with_backend_shapes_and_flops(backend_name):
    prof = _profiled_step()
    kernels = [e for e in prof.events() if e.cat == "kernel"]
    assert {e.backend for e in kernels} == {backend_name}
    assert all(e.name.startswith(backend_name + "::") for e in kernels)
    counts = {}
    for e in kernels:
        counts[e.args["entry"]] = counts.get(e.args["entry"], 0) + 1
    # forward: 2 matmuls with their bias (one matmul_bias call each where the table has it,
    # else matmul + bias_add), relu, cross-entropy; backward: 3 matmuls (no grad for x), 2 bias
    # grads, relu and cross-entropy backward; SGD: one multi-tensor step for all four
    # parameters (every CPU table has sgd_step_multi). A table with the ReLU fusions does the
    # first Linear and the ReLU in one matmul_bias_relu call, and the second Linear's input
    # gradient with the ReLU's mask in one matmul_relu_mask call: no relu kernel of their own.
    table = pn.backends.get(backend_name)
    fused = hasattr(table, "matmul_bias")
    relu_fused = hasattr(table, "matmul_bias_relu")
    if relu_fused:
        layers = {"matmul_bias_relu": 1, "matmul_bias": 1, "matmul": 2, "matmul_relu_mask": 1}
    elif fused:
        layers = {"matmul_bias": 2, "matmul": 3, "relu_forward": 1, "relu_backward": 1}
    else:
        layers = {"matmul": 5, "bias_add": 2, "relu_forward": 1, "relu_backward": 1}
    # the mean loss and its gradient for the backward from 1: one call in forward (every CPU
    # table has cross_entropy_reduced_grad), none in backward
    assert counts == {**layers, "cross_entropy_reduced_grad": 1, "bias_grad": 2, "sgd_step_multi": 1}
    first = _kernels(prof, "matmul_bias_relu" if relu_fused else "matmul_bias" if fused else "matmul")[0]
    assert first.shapes[:2] == ((N, D), (H, D))  # x @ W.T: W passed as stored, with trans_b
    assert first.flops == 2 * N * D * H + ((2 if relu_fused else 1) * N * H if fused else 0)  # (+ b, max)
    assert first.bytes == 4 * (N * D + H * D + N * H + (H if fused else 0))
    assert first.bound == "compute" and first.duration_ns > 0
    products = ("matmul", "matmul_bias", "matmul_bias_relu", "matmul_relu_mask")
    total = sum(e.flops for name in products for e in _kernels(prof, name))
    epilogues = (2 * N * H + N * C + N * H if relu_fused else N * H + N * C) if fused else 0
    assert total == 2 * (N * D * H + N * H * C) + 2 * (N * C * H + C * N * H + H * N * D) + epilogues
    if relu_fused:  # dx of the second layer, (N, C) @ (C, H), masked by the ReLU's output
        mask = _kernels(prof, "matmul_relu_mask")[0]
        assert mask.shapes == ((N, C), (C, H), (N, H)) and mask.flops == 2 * N * C * H + N * H
        assert mask.bytes == 4 * (N * C + C * H + 2 * N * H)
    else:
        relu = _kernels(prof, "relu_forward")[0]
        assert relu.shapes == ((N, H),) and relu.flops == N * H and relu.bytes == 2 * 4 * N * H
    if backend_name == "cpu":
        assert first.variant == "packed"


def test_kernels_nest_under_the_autograd_ops_that_ran_them_with_their_phase(backend_name):
    prof = _profiled_step()
    events = prof.events()
    ops = [e for e in events if e.cat == "op"]
    forward = [e.name for e in ops if e.phase == "forward"]  # Function class names, e.g. Linear
    assert len(forward) == 4 and forward[0] == forward[2] and len(set(forward)) == 3
    backward = [e for e in ops if e.phase == "backward"]
    assert all(e.name.endswith("Backward0") for e in backward)
    assert len(backward) == 4  # the nodes the engine walks: CE, Linear, ReLU, Linear
    for e in events:
        if e.cat != "kernel":
            continue
        if e.args["entry"] in ("sgd_step", "sgd_step_multi"):
            assert e.parent.name == "optimizer.step" and e.parent.cat == "user" and e.phase == ""
        else:
            assert e.parent.cat == "op" and e.phase == e.parent.phase
            assert e.parent.start_ns <= e.start_ns <= e.end_ns <= e.parent.end_ns
            assert e in e.parent.children
    linear_bw = [e for e in backward if e.shapes == ((N, C),)]  # the last Linear's incoming grad
    dx = "matmul_relu_mask" if hasattr(pn.backends.get(backend_name), "matmul_bias_relu") else "matmul"
    assert [c.args["entry"] for c in linear_bw[0].children] == [dx, "matmul", "bias_grad"]
    for op in ops:
        assert 0 <= op.self_ns <= op.duration_ns


def test_nothing_is_recorded_or_wrapped_when_no_profile_records():
    plain = {name: _registry.get(name) for name in ("numpy", "cpu") if _registry.status(name)}
    plain_item = TensorBase.item
    model = _mlp()
    opt = pn.optim.SGD(model.parameters(), lr=0.1)
    x, y = pn.randn(N, D), pn.randint(0, C, (N,))
    with profile() as prof:
        assert _Profiling.op is not None and TensorBase.item is not plain_item
        assert all(isinstance(_registry.get(n), _record.RecordingTable) for n in plain)
        loss = F.cross_entropy(model(x), y)  # backward after the profile: recorded nowhere
    n = len(prof.events())
    assert n > 0
    loss.backward()
    opt.step()
    loss.item()
    assert len(prof.events()) == n
    assert _Profiling.op is None and TensorBase.item is plain_item and _record._current is None
    for name, table in plain.items():
        assert isinstance(table, types.ModuleType) and _registry.get(name) is table
        assert _registry.table_for(pn.randn(2, 2)) is _registry.current("cpu")
    assert isinstance(_registry.current("cpu"), types.ModuleType)
    with profile() as empty:
        pass
    assert empty.events() == [] and "Profiled wall time" in empty.key_averages().table(peaks=PEAKS)


def test_a_graph_built_before_the_profile_records_its_backward_kernels():
    model = _mlp()
    loss = F.cross_entropy(model(pn.randn(N, D)), pn.randint(0, C, (N,)))
    with profile() as prof:
        loss.backward()
    phases = {e.phase for e in prof.events()}
    assert phases == {"backward"}
    products = len(_kernels(prof, "matmul")) + len(_kernels(prof, "matmul_relu_mask"))  # (dx masked)
    assert products == 3 and len(_kernels(prof, "bias_grad")) == 2


def test_only_one_profile_records_at_a_time():
    with profile():
        with pytest.raises(RuntimeError, match="already recording"):
            profile().start()
    assert _record._current is None


def test_key_averages_table_sorts_limits_and_computes_rates():
    prof = _profiled_step(nn.Tanh)  # (no ReLU to fuse: matmul is the kernel called most)
    rows = prof.key_averages()
    by_key = {r.key: r for r in rows}
    matmul = next(r for k, r in by_key.items() if k.split()[0].endswith("::matmul"))
    events = _kernels(prof, "matmul")
    calls = 3 if hasattr(pn.backends.current("cpu"), "matmul_bias") else 5  # (the forward's are fused)
    assert matmul.count == calls and matmul.total_ns == sum(e.duration_ns for e in events)
    assert matmul.flops == sum(e.flops for e in events)
    assert matmul.gflops == pytest.approx(matmul.flops / matmul.total_ns)
    assert matmul.cpu_time == pytest.approx(matmul.cpu_time_total / calls)
    assert matmul.percent_of_peak(PEAKS) == pytest.approx(100 * matmul.gflops / PEAKS["fma_gflops"])
    bias_grad = next(r for k, r in by_key.items() if k.endswith("::bias_grad"))  # (memory-bound)
    assert bias_grad.percent_of_peak(PEAKS) == pytest.approx(100 * bias_grad.gbs / PEAKS["copy_gbs"])
    assert by_key["AddmmBackward0"].count == 2 and by_key["AddmmBackward0"].percent_of_peak(PEAKS) is None

    text = rows.table(sort_by="count", row_limit=3, peaks=PEAKS)
    lines = text.splitlines()
    header = lines[1].split()
    assert header[:5] == ["Name", "Cat", "Calls", "Total", "Mean"] and header[-3:] == ["GB/s", "%", "peak"]
    body = lines[3:6]
    assert body[0].split()[0].endswith("::matmul") and str(calls) in body[0].split()  # most calls first
    assert lines[6].startswith("---") and "Profiled wall time" in text
    assert len(rows.table(row_limit=100, peaks=PEAKS).splitlines()) == len(rows) + 6
    pct = f"{matmul.percent_of_peak(PEAKS):.1f}% fma"
    assert pct in rows.table(sort_by="flops", peaks=PEAKS).splitlines()[3]
    totals = [r.cpu_time_total for r in sorted(rows, key=lambda r: r.cpu_time_total, reverse=True)]
    first_rows = [line.split()[0] for line in rows.table(peaks=PEAKS).splitlines()[3:6]]
    assert first_rows[0] in {r.key.split()[0] for r in rows if r.cpu_time_total == totals[0]}
    with pytest.raises(ValueError, match="sort_by must be one of"):
        rows.table(sort_by="wall_clock")


def test_group_by_input_shape_separates_the_two_linear_layers():
    prof = _profiled_step()
    keys = [r.key for r in prof.key_averages(group_by_input_shape=True) if r.key.startswith("Linear [")]
    assert len(keys) == 2 and f"({N}, {D})" in " ".join(keys) and f"({N}, {H})" in " ".join(keys)


def test_chrome_trace_is_valid_trace_event_json_with_phases(tmp_path):
    prof = _profiled_step()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(path)
    trace = json.loads(path.read_text())
    assert set(trace) >= {"traceEvents", "displayTimeUnit"}
    spans = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    meta = [e for e in trace["traceEvents"] if e["ph"] == "M"]
    assert {m["name"] for m in meta} == {"process_name", "thread_name"}
    for e in spans:
        assert isinstance(e["name"], str) and e["cat"] in {"kernel", "op", "transfer", "user", "phase"}
        assert isinstance(e["ts"], (int, float)) and isinstance(e["dur"], (int, float))
        assert e["ts"] >= 0 and e["dur"] >= 0
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int) and isinstance(e["args"], dict)
    kernels = [e for e in spans if e["cat"] == "kernel"]
    assert len(kernels) == len([e for e in prof.events() if e.cat == "kernel"])
    assert {"backend", "variant", "flops", "bytes", "shapes", "phase"} <= set(kernels[0]["args"])
    phases = [e for e in spans if e["cat"] == "phase"]
    assert [p["name"] for p in phases] == ["forward", "backward"]
    fwd, bwd = phases
    assert fwd["ts"] + fwd["dur"] <= bwd["ts"]
    eps = 1e-3  # microseconds: ns -> us rounding
    for k in kernels:  # nesting by time: each forward/backward kernel lies inside its phase span
        span = fwd if k["args"]["phase"] == "forward" else bwd if k["args"]["phase"] == "backward" else None
        if span is not None:
            assert span["ts"] - eps <= k["ts"] and k["ts"] + k["dur"] <= span["ts"] + span["dur"] + eps
    assert any(e["cat"] == "transfer" and e["name"] == "Tensor.item" for e in spans)


def test_item_is_a_transfer_event():
    t = pn.tensor([3.0])
    with profile() as prof:
        assert t.item() == 3.0
        float(t)
    items = [e for e in prof.events() if e.cat == "transfer"]
    assert [e.name for e in items] == ["Tensor.item", "Tensor.item"]
    assert items[0].args["device"] == "cpu" and items[0].bytes == 0


class _DeviceArray:
    """Stands for a device array in the fake GPU table below (not host memory)."""

    def __init__(self, a):
        self.a, self.shape, self.nbytes = a, a.shape, a.nbytes

    def __array__(self, dtype=None, copy=None):
        return self.a


def test_device_tables_record_host_device_copies_and_wait_for_kernels():
    """A stand-in GPU table (the real ones need a device): copies become transfer events,
    and each kernel is timed after synchronize()."""
    calls = []
    fake = types.SimpleNamespace(
        NAME="fakegpu",
        DEVICE="cuda",
        DEFAULT_VARIANT={"matmul": "tiled"},
        asarray=lambda a, dtype=None: calls.append("asarray") or np.array(a, copy=True),
        to_numpy=lambda a: calls.append("to_numpy") or np.asarray(a).copy(),
        matmul=lambda a, b, trans_a=False, trans_b=False, variant=None: calls.append("matmul") or a @ b,
        synchronize=lambda: calls.append("sync"),
    )
    table = _record.RecordingTable(fake)
    rec = _record.Recorder()
    a = np.ones((4, 3), np.float32)
    _record.install(rec)
    try:
        dev = table.asarray(a)
        table.asarray(dev.view(np.ndarray)[None][0])  # still host data (an ndarray): a copy
        out = table.matmul(dev, dev.T)
        table.to_numpy(_DeviceArray(out))
        table.to_numpy(out)  # already host memory: no copy, no event
    finally:
        _record.uninstall(rec)
    assert calls == ["asarray", "asarray", "matmul", "sync", "to_numpy", "to_numpy"]
    kinds = [(e.cat, e.name) for e in rec.events]
    assert kinds == [
        ("transfer", "Memcpy HtoD"),
        ("transfer", "Memcpy HtoD"),
        ("kernel", "fakegpu::matmul"),
        ("transfer", "Memcpy DtoH"),
    ]
    assert rec.events[0].bytes == a.nbytes and rec.events[3].bytes == out.nbytes
    assert rec.events[0].args["direction"] == "HtoD" and rec.events[3].args["direction"] == "DtoH"
    assert rec.events[2].variant == "tiled" and rec.events[2].flops == 2 * 4 * 4 * 3
    table.matmul(a, a.T)  # not recording: a plain call
    assert len(rec.events) == 4 and calls[-1] == "matmul"


def test_every_kernel_entry_of_the_contract_has_a_cost_formula():
    kernels = set(protocol.FUNCTIONS) - {"asarray", "to_numpy"}
    assert kernels <= set(costs.COSTS)
    numpy_table = _registry.get("numpy")
    assert all(callable(getattr(numpy_table, entry)) for entry in costs.COSTS)


def test_cost_formulas_match_the_arithmetic():
    a, b = np.zeros((6, 4), np.float32), np.zeros((5, 4), np.float32)
    out = np.zeros((6, 5), np.float32)
    assert costs.cost("matmul", (a, b), {"trans_b": True}, out) == (2 * 6 * 5 * 4, 4 * (24 + 20 + 30))
    assert costs.cost("matmul", (a.T, a), {"trans_a": False}, np.zeros((4, 4)))[0] == 2 * 4 * 4 * 6
    x, w = np.zeros((2, 6, 9, 9), np.float32), np.zeros((8, 3, 3, 3), np.float32)  # groups=2
    y = np.zeros((2, 8, 7, 7), np.float32)
    flops, _ = costs.cost("conv2d_forward", (x, w, None), {"groups": 2}, y)
    assert flops == 2 * 2 * 8 * 7 * 7 * (6 // 2) * 3 * 3  # 2·N·O·Ho·Wo·C/g·kH·kW
    gx, _ = costs.cost("conv2d_backward_input", (y, w, x.shape), {}, x)
    gw, _ = costs.cost("conv2d_backward_weight", (y, x, w.shape), {}, w)
    assert gx == gw == flops
    p = np.zeros(10, np.float32)
    plain, _ = costs.cost("sgd_step", (p, p, None, 0.1), {}, None)
    momentum, moved = costs.cost("sgd_step", (p, p, p, 0.1), {"momentum": 0.9}, None)
    assert plain == 20 and momentum > plain and moved == 5 * p.nbytes
    assert costs.cost("matmul", ("not", "arrays"), {}, None) == (0, 0)
    assert costs.bound("matmul") == "compute" and costs.bound("softmax_forward") == "memory"


def test_profiler_is_reachable_lazily_from_pyneuro():
    assert pn.profiler.profile is profile


def test_ops_without_kernels_and_start_stop_and_record_function_when_off():
    a, b = pn.ones(3, requires_grad=True), pn.ones(3)
    with record_function("not recording"):  # no profile: a plain context manager
        c = a + b
    prof = profile(activities=None, record_shapes=True, with_flops=True)  # torch.profiler's arguments
    prof.start()
    with record_function("tiny"):
        c = (a + b).sum()
    c.backward()
    prof.stop()
    events = prof.events()
    add = next(e for e in events if e.name == "Add")
    # NumPy work through the table's array namespace is the op's own ("self") time, not a kernel
    assert add.cat == "op" and add.children == [] and add.self_ns == add.duration_ns
    assert add.parent.name == "tiny" and add.phase == "forward" and add.shapes == ((3,), (3,))
    assert {e.name for e in events if e.phase == "backward"} >= {"SumBackward0", "AddBackward0"}
    assert not [e for e in events if e.cat == "kernel"]
    assert prof.wall_ns >= sum(e.duration_ns for e in events if e.parent is None)

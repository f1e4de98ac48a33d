"""torch.profiler's recipe code runs unchanged: activities, schedules with on_trace_ready,
tensorboard_trace_handler, profile_memory and its sort keys, torch.autograd.profiler.

The schedule is compared with torch's own (when torch is installed) step by step."""

import glob
import gzip
import json
import os

import pytest

import pyneuro as pn
from pyneuro import nn
from pyneuro.profiler import (
    ProfilerAction,
    ProfilerActivity,
    profile,
    record_function,
    schedule,
    tensorboard_trace_handler,
)


def _model():
    pn.manual_seed(0)
    return nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4)), pn.randn(8, 16)


def test_recipe_activities_record_function_and_shapes():
    model, x = _model()
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        with record_function("model_inference"):
            model(x)
    rows = {r.key: r for r in prof.key_averages()}
    assert rows["model_inference"].count == 1 and rows["model_inference"].top_level
    assert not rows["Linear"].top_level  # ran inside the user range
    text = prof.key_averages(group_by_input_shape=True).table(sort_by="cpu_time_total", row_limit=10)
    assert "[(8, 16)" in text
    top = prof.key_averages().table(sort_by="self_cpu_time_total", top_level_events_only=True)
    assert "model_inference" in top and "Linear " not in top
    lines = prof.key_averages().table(max_name_column_width=6, header="HEAD").splitlines()
    assert lines[0] == "HEAD" and lines[4].startswith("mod...")


def test_profile_memory_counts_the_bytes_each_op_returned():
    model, x = _model()
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        with record_function("inference"):
            model(x)
    rows = {r.key: r for r in prof.key_averages()}
    assert rows["Linear"].self_cpu_memory_usage == (8 * 32 + 8 * 4) * 4  # two Linear outputs, float32
    assert rows["ReLU"].self_cpu_memory_usage == 8 * 32 * 4
    assert rows["inference"].self_cpu_memory_usage == 0
    assert rows["inference"].cpu_memory_usage == (8 * 32 * 2 + 8 * 4) * 4  # everything inside it
    text = prof.key_averages().table(sort_by="self_cpu_memory_usage", row_limit=3)
    lines = text.splitlines()
    assert lines[1].endswith("CPU Mem  Self CPU Mem")
    assert lines[3].startswith("Linear") and lines[3].endswith("1.12 Kb       1.12 Kb")  # 1,152 bytes
    assert lines[4].startswith("ReLU") and lines[4].endswith("1.00 Kb")
    inside = prof.key_averages().table(sort_by="cpu_memory_usage", row_limit=1).splitlines()[3]
    assert inside.startswith("inference") and inside.endswith("2.12 Kb           0 b")
    with profile() as plain:
        model(x)
    assert "Mem" not in plain.key_averages().table(sort_by="cpu_memory_usage")


def test_device_time_is_zero_for_host_work():
    model, x = _model()
    with profile() as prof:
        model(x)
    assert all(r.device_time_total == 0 == r.cuda_time_total for r in prof.key_averages())
    prof.key_averages().table(sort_by="cuda_time_total")  # a torch sort key: accepted


@pytest.mark.parametrize(
    "kw",
    [
        dict(wait=1, warmup=1, active=2),
        dict(wait=2, warmup=1, active=3, repeat=2, skip_first=1),
        dict(wait=1, warmup=2, active=1, repeat=1, skip_first=3, skip_first_wait=1),
    ],
)
def test_schedule_matches_torch(kw):
    torch = pytest.importorskip("torch")
    ours, theirs = schedule(**kw), torch.profiler.schedule(**kw)
    assert [ours(i).name for i in range(20)] == [theirs(i).name for i in range(20)]


def test_schedule_rejects_bad_arguments_and_warns_without_warmup():
    with pytest.raises(AssertionError):
        schedule(wait=0, warmup=1, active=0)
    with pytest.warns(UserWarning, match="warmup"):
        schedule(wait=0, warmup=0, active=1)


def test_schedule_windows_reach_on_trace_ready_with_their_steps_only():
    model, x = _model()
    seen = []

    def handler(p):
        steps = sorted(r.key for r in p.key_averages() if r.key.startswith("ProfilerStep#"))
        seen.append((p.step_num, steps, {r.key: r.count for r in p.key_averages()}["Linear"]))

    with profile(schedule=schedule(wait=1, warmup=1, active=2), on_trace_ready=handler) as p:
        for _ in range(8):
            model(x)
            p.step()
    # steps 2-3 and 6-7 record (two forwards each: 2 Linear calls per forward), saved after 3 and 7
    assert seen == [
        (4, ["ProfilerStep#2", "ProfilerStep#3"], 4),
        (8, ["ProfilerStep#6", "ProfilerStep#7"], 4),
    ]


def test_stopping_inside_a_window_still_saves_it():
    model, x = _model()
    seen = []
    with profile(
        schedule=schedule(wait=0, warmup=1, active=3), on_trace_ready=lambda p: seen.append(p.step_num)
    ) as p:
        for _ in range(2):
            model(x)
            p.step()
    assert seen == [2]  # step 1 recording when the block ended


def test_tensorboard_trace_handler_writes_one_trace_per_window(tmp_path):
    model, x = _model()
    sched = schedule(wait=0, warmup=1, active=1, repeat=2)
    with profile(schedule=sched, on_trace_ready=tensorboard_trace_handler(tmp_path / "log", "w0")) as p:
        for _ in range(5):
            model(x)
            p.step()
    files = sorted(glob.glob(str(tmp_path / "log" / "w0.*.pt.trace.json")))
    assert len(files) == 2
    names = {e["name"] for e in json.load(open(files[0]))["traceEvents"]}
    assert "Linear" in names and "ProfilerStep#1" in names
    with profile(
        schedule=sched, on_trace_ready=tensorboard_trace_handler(tmp_path / "gz", use_gzip=True)
    ) as p:
        for _ in range(2):
            model(x)
            p.step()
    (gz,) = glob.glob(str(tmp_path / "gz" / "*.pt.trace.json.gz"))
    with gzip.open(gz, "rt") as f:
        assert json.load(f)["traceEvents"]
    assert os.path.basename(gz).split(".")[0].endswith(f"_{os.getpid()}")


def test_profiler_action_and_activity_names():
    assert {a.name for a in ProfilerAction} == {"NONE", "WARMUP", "RECORD", "RECORD_AND_SAVE"}
    assert (
        ProfilerActivity.CPU in profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]).activities
    )


def test_autograd_profiler_spelling():
    model, x = _model()
    with pn.autograd.profiler.profile(record_shapes=True) as prof:
        with pn.autograd.profiler.record_function("fwd"):
            model(x)
    assert {"fwd", "Linear"} <= {r.key for r in prof.key_averages()}
    with pn.autograd.profiler.profile(False) as off:
        model(x)
    assert len(off.key_averages()) == 0

"""pyneuro.utils.benchmark against torch.utils.benchmark: the Timer's run counts and time
budgets, and a Measurement's statistics, report and the Compare table (text identical to
torch's for the same times, colours and warnings included)."""

import numpy as np
import pytest

import pyneuro as pn
import pyneuro.utils.benchmark as pb


def _pair(raw, number=100, **spec):
    tb = pytest.importorskip("torch.utils.benchmark")
    from torch.utils.benchmark.utils.common import TaskSpec

    stmt, setup = spec.pop("stmt", "y @ y"), spec.pop("setup", "pass")
    theirs = tb.Measurement(number, list(raw), TaskSpec(stmt, setup, **spec))
    return theirs, pb.Measurement(number, list(raw), stmt=stmt, setup=setup, **spec)


def _body(m) -> str:
    return "\n".join(repr(m).splitlines()[1:])  # without the "<... object at 0x...>" line


@pytest.mark.parametrize(
    "raw, spec",
    [
        ([1e-3], dict(label="mm", sub_label="64", description="matmul")),
        ([1e-3, 1.02e-3, 0.99e-3, 1.01e-3, 1e-3], dict(stmt="x @ x", setup="y=1\nz=2", num_threads=2)),
        ([1e-3, 1.15e-3, 1e-3, 0.98e-3, 1.2e-3], dict(stmt="f(x)")),  # a 10-25% IQR: a mild warning
        ([1e-3, 1.3e-3, 1e-3, 2e-3, 1e-3], dict(stmt="x=1\ny=2", setup="import math")),  # > 25%: a strong one
        ([3e-9, 4e-9, 3.5e-9, 3.2e-9], dict(stmt="pass", sub_label="nothing")),
    ],
)
def test_measurement_statistics_and_report_match_torch(raw, spec):
    theirs, ours = _pair(raw, **spec)
    assert _body(ours) == _body(theirs)
    for name in ("median", "mean", "iqr"):
        assert getattr(ours, name) == pytest.approx(getattr(theirs, name), rel=1e-12)
    assert ours.times == pytest.approx(theirs.times)
    assert (ours.significant_figures, ours.has_warnings, ours.title) == (
        theirs.significant_figures,
        theirs.has_warnings,
        theirs.title,
    )
    assert ours.meets_confidence(0.2) == theirs.meets_confidence(0.2)


def _grid(seed, envs=(None,), threads=(1, 2), spread=0.05):
    rng = np.random.default_rng(seed)
    pairs = []
    for n in (16, 64, 256):
        for th in threads:
            for env in envs:
                for desc, base in (("mm", 3e-4), ("mul", 1e-4)):
                    raw = base * n / 16 * (1 + spread * rng.random(12)) * th
                    pairs.append(
                        _pair(
                            raw, label="matmul", sub_label=f"[{n}]", description=desc, env=env, num_threads=th
                        )
                    )
    return [t for t, _ in pairs], [o for _, o in pairs]


@pytest.mark.parametrize("style", ["plain", "trim", "colour", "rowwise", "warnings", "envs"])
def test_compare_table_is_torch_s_text(style):
    tb = pytest.importorskip("torch.utils.benchmark")
    theirs, ours = _grid(
        1, envs=("A", "BB") if style == "envs" else (None,), spread=0.6 if style == "warnings" else 0.05
    )
    ct, cp = tb.Compare(theirs), pb.Compare(ours)
    for c in (ct, cp):
        if style in ("trim", "warnings"):
            c.trim_significant_figures()
        if style == "colour":
            c.colorize()
        if style == "rowwise":
            c.colorize(rowwise=True)
        if style == "warnings":
            c.highlight_warnings()
    assert str(cp) == str(ct)


def test_compare_rejects_what_is_not_a_measurement():
    with pytest.raises(ValueError, match="Measurement"):
        pb.Compare([1.0])


def test_timeit_runs_a_warm_up_then_number_runs():
    calls = []
    m = pb.Timer("calls.append(1)", globals={"calls": calls}).timeit(500)
    assert len(calls) == 5 + 500 and m.number_per_run == 500 and len(m.raw_times) == 1
    calls.clear()
    pb.Timer("calls.append(1)", globals={"calls": calls}).timeit(50)
    assert len(calls) == 2 + 50  # the warm-up is at least 2 runs


def test_blocked_autorange_spends_the_budget_in_blocks():
    x = pn.randn(32, 32)
    m = pb.Timer("x @ x", globals={"x": x}, label="mm").blocked_autorange(min_run_time=0.05)
    assert sum(m.raw_times) >= 0.05 and m.number_per_run >= 1 and len(m.times) >= 1
    assert m.median > 0 and m.title == "mm"
    seen = []
    pb.Timer("sum(range(50))").blocked_autorange(callback=lambda n, t: seen.append((n, t)), min_run_time=0.02)
    assert seen and all(n >= 1 and t > 0 for n, t in seen)


def test_adaptive_autorange_stops_when_confident_or_out_of_time():
    m = pb.Timer("sum(range(100))").adaptive_autorange(threshold=0.5, max_run_time=2)
    assert len(m.raw_times) >= 4 and (m.meets_confidence(0.5) or sum(m.raw_times) > 2)


def test_num_threads_applies_only_during_the_measurement():
    before = pn.get_num_threads()
    seen = []
    pb.Timer("seen.append(pn.get_num_threads())", globals={"seen": seen, "pn": pn}, num_threads=1).timeit(3)
    assert set(seen) == {1} and pn.get_num_threads() == before


def test_timer_refuses_what_torch_refuses():
    with pytest.raises(ValueError):
        pb.Timer(stmt=lambda: None)
    with pytest.raises(NotImplementedError):
        pb.Timer().repeat()

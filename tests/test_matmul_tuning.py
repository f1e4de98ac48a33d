"""The packed matmul's knobs (pyneuro._cpu.matmul_tuning) and its cache-size-derived blocking.

The block sizes come from the cache sizes the OS reports (csrc/cpu/cache_info.cpp), so
they differ between machines: these tests sweep them through the knobs -- tiny blocks
that make every loop of the BLIS nest run many times, forced packing choices and thread
grids -- and require every setting to stay within the float32 error bound of a length-K
dot product and bit-identical for any thread count. A subprocess checks the block sizes
that PYNEURO_CACHE_SIZES (a fake L1d, L2, L3) leads to.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pyneuro import backends

if not backends.status("cpu").available:
    pytest.skip(f"backend unavailable: {backends.status('cpu').reason}", allow_module_level=True)


cpu = backends.get("cpu")
EPS32 = np.finfo(np.float32).eps
AUTO = dict(
    kc=0, mc=0, nc=0, pack_a=-1, pack_b=-1, row_threads=0, pieces=-1, prefetch_b=-1, min_work_per_thread=0
)
TRANS = [(False, False), (True, False), (False, True), (True, True)]


@pytest.fixture
def tuning(matmul_tuning):  # (conftest.py: every knob and the thread count restored afterwards)
    return matmul_tuning


def deep_kc(auto, deep_for):
    """kc_deep under each depth rule (csrc/cpu/matmul_blocking.h, size_blocks)."""
    return {"none": auto["kc"], "c_over_l2": min(4 * auto["kc"], 1024), "all": 1024}[deep_for]


def operands(rng, m, n, k, ta, tb):
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
    return a, b


def check(got, a, b, ta, tb, what):
    a64 = (a.T if ta else a).astype(np.float64)
    b64 = (b.T if tb else b).astype(np.float64)
    tol = 2 * max(a64.shape[1], 1) * EPS32 * (np.abs(a64) @ np.abs(b64)) + 1e-30
    assert got.shape == (a64.shape[0], b64.shape[1])
    assert np.all(np.abs(got - a64 @ b64) <= tol), what


def test_report_has_the_automatic_blocks_and_caches(tuning):
    info = tuning()
    assert set(AUTO) <= set(info)
    auto, caches = info["auto"], info["caches"]
    assert caches["l1d"] > 0 and caches["l2"] > 0 and caches["source"]
    assert auto["mr"] >= 1 and auto["nr"] >= 8
    # A packed B panel (kc x NR floats) takes about two thirds of L1d, one read in place half
    # of it; the A block (mc x kc) an eighth of L2.
    assert 64 <= auto["kc"] <= 512 and auto["kc"] * auto["nr"] * 4 <= caches["l1d"]
    assert 64 <= auto["kc_in_place"] <= auto["kc"]
    # The deep block (size_blocks): none on Intel, 4x kc for a C over L2 on other AMD cores,
    # 1024 for every shape on Zen 4.
    assert auto["kc_deep"] == deep_kc(auto, auto["deep_for"])
    assert auto["mc"] % auto["mr"] == 0 and auto["mc"] * auto["kc"] * 4 <= max(caches["l2"], 4 * 8 * 512 * 4)
    assert auto["nc"] % auto["nr"] == 0 and auto["nr"] * 4 <= auto["nc"] <= 4096


def test_unknown_knob_is_a_type_error(tuning):
    with pytest.raises(TypeError, match="unexpected keyword argument 'kcc'"):
        tuning(kcc=3)
    with pytest.raises(TypeError):
        tuning(kc="big")


def test_setting_and_resetting(tuning):
    assert tuning(kc=40, pack_a=1)["kc"] == 40
    assert tuning()["pack_a"] == 1
    assert tuning(kc=0, pack_a=-1)["kc"] == 0
    assert tuning(pack_b=7)["pack_b"] == 1  # any non-zero forces packing
    assert tuning(mc=-5)["mc"] == 0  # negative = automatic
    assert tuning(pieces=3)["pieces"] == 1 and tuning(pieces=-2)["pieces"] == -1
    assert tuning(prefetch_b=0)["prefetch_b"] == 0 and tuning(prefetch_b=-3)["prefetch_b"] == -1


SWEEP = [
    dict(kc=16),  # many depth blocks: the C tile is re-loaded and accumulated each time
    dict(kc=40, mc=16),  # row blocks of 2 tiles
    dict(kc=64, mc=24, nc=64),  # column blocks of 2 panels (nc rounds up to NR)
    dict(pack_a=0, pack_b=0),
    dict(pack_a=1, pack_b=1),
    dict(row_threads=1),
    dict(row_threads=2),
    dict(min_work_per_thread=1),  # every problem on every thread
    dict(pieces=0),  # fixed shares of the thread grid, never work stealing
    dict(pieces=1, min_work_per_thread=1),  # pieces for every 1-D split, even re-packing ones
    dict(pieces=1, row_threads=1, kc=40),  # pieces of columns, several depth blocks
    dict(pieces=1, row_threads=2, mc=16),  # pieces of rows, several row blocks each
    dict(prefetch_b=0),  # no sliver prefetches the next B panel
    dict(prefetch_b=1, pack_b=0, kc=40, mc=16),  # in-place panels prefetched, ragged last panel packed
]
SHAPES = [
    (37, 200, 300),
    (130, 70, 64),
    (9, 10, 100),
    (128, 256, 784),
    (65, 97, 129),
    (300, 250, 10),
    (300, 130, 40),
]


@pytest.mark.parametrize("knobs", SWEEP, ids=[json.dumps(k) for k in SWEEP])
def test_every_setting_is_correct_and_thread_count_independent(rng, tuning, knobs):
    tuning(**{**AUTO, **knobs})
    for m, n, k in SHAPES:
        for ta, tb in TRANS:
            a, b = operands(rng, m, n, k, ta, tb)
            cpu.set_num_threads(1)
            one = cpu.matmul(a, b, ta, tb)
            check(one, a, b, ta, tb, f"{knobs} {m}x{n}x{k} {ta} {tb}")
            for nt in (2, 4):
                cpu.set_num_threads(nt)
                assert np.array_equal(one, cpu.matmul(a, b, ta, tb)), (knobs, m, n, k, ta, tb, nt)


def test_prefetching_the_next_panel_never_changes_a_bit(rng, tuning):
    """The last A sliver under a B panel prefetches the next panel (packed or in place): a hint
    to the cache, never a change to what is computed."""
    for m, n, k in SHAPES + [(128, 784, 256), (64, 3136, 256)]:
        for ta, tb in TRANS:
            a, b = operands(rng, m, n, k, ta, tb)
            got = []
            for pf in (0, 1):
                for pack_b in (-1, 0, 1):
                    tuning(**{**AUTO, "prefetch_b": pf, "pack_b": pack_b, "mc": 16})
                    got.append(cpu.matmul(a, b, ta, tb))
            assert all(np.array_equal(got[0], g) for g in got[1:]), (m, n, k, ta, tb)


def test_schedule_never_changes_a_bit(rng, tuning):
    """Fixed shares or pieces handed out at run time (whichever thread takes a piece first):
    each C element is summed by one thread in the same blocks, so every bit is the same."""
    for m, n, k in SHAPES + [(256, 784, 128), (128, 784, 256)]:
        for ta, tb in TRANS:
            a, b = operands(rng, m, n, k, ta, tb)
            got = []
            for nt in (1, 2, 3):
                cpu.set_num_threads(nt)
                for pieces in (-1, 0, 1):
                    tuning(**{**AUTO, "pieces": pieces, "min_work_per_thread": 1})
                    for _ in range(2):  # who takes which piece may differ from call to call
                        got.append(cpu.matmul(a, b, ta, tb))
            assert all(np.array_equal(got[0], g) for g in got), (m, n, k, ta, tb)


def test_packing_choices_never_change_a_bit(rng, tuning):
    # Packing only moves values; only kc (where the k sum is cut) may change the last bits.
    for m, n, k in SHAPES:
        for ta, tb in TRANS:
            a, b = operands(rng, m, n, k, ta, tb)
            got = []
            for pa in (-1, 0, 1):
                for pb in (-1, 0, 1):
                    tuning(**{**AUTO, "pack_a": pa, "pack_b": pb})
                    got.append(cpu.matmul(a, b, ta, tb))
            assert all(np.array_equal(got[0], g) for g in got), (m, n, k, ta, tb)


def test_shapes_around_the_automatic_depth_block(rng, tuning):
    auto = tuning()["auto"]
    for kc, n in ((auto["kc"], 70), (auto["kc_in_place"], 784)):  # packed B; B read in place
        for k in (kc - 1, kc, kc + 1, 2 * kc + 1):
            for ta, tb in TRANS:
                a, b = operands(rng, 33, n, k, ta, tb)
                check(cpu.matmul(a, b, ta, tb), a, b, ta, tb, f"K={k} N={n} around kc={kc}")


def test_a_c_larger_than_l2_gets_the_deep_block(rng, tuning):
    """Every depth block loads and stores all of C once, so a C over L2 gets kc_deep (4x
    kc): the automatic result has the bits of kc = kc_deep there, and those of kc elsewhere
    (the k sum is cut into other blocks, so the bits tell which one ran) -- except on Zen 4,
    where every shape takes kc_deep."""
    info = tuning()
    auto, l2_floats = info["auto"], info["caches"]["l2"] // 4
    under_l2 = auto["kc_deep"] if auto["deep_for"] == "all" else auto["kc"]
    m = 128  # rows enough that a row-major B is packed (read in place, it would get kc_in_place)
    cases = [
        (n, want_kc, k)
        for n, want_kc in ((l2_floats // m + 64, auto["kc_deep"]), (l2_floats // m - 64, under_l2))
        for k in (auto["kc_deep"], auto["kc_deep"] + 1)
    ]  # one or two deep blocks; more at kc
    for n, want_kc, k in cases:
        for ta, tb in TRANS:
            a, b = operands(rng, m, n, k, ta, tb)
            got = cpu.matmul(a, b, ta, tb)
            check(got, a, b, ta, tb, f"M={m} N={n} K={k}")
            tuning(kc=want_kc)
            assert np.array_equal(got, cpu.matmul(a, b, ta, tb)), (n, k, want_kc, ta, tb)
            if auto["kc_deep"] != auto["kc"]:  # (Intel: one depth block size; the rule forced
                other = auto["kc"] if want_kc == auto["kc_deep"] else auto["kc_deep"]  # (a subprocess below)
                tuning(kc=other)
                assert not np.array_equal(got, cpu.matmul(a, b, ta, tb)), (n, other, ta, tb)
            tuning(kc=0)


def test_packing_b_or_not_keeps_the_depth_blocks(rng, tuning):
    """The depth block of a B that is read in place by default is that of the shape, not of
    the pack_b knob: forcing B to be packed moves values, never the k blocks of a sum."""
    auto = tuning()["auto"]
    if auto["kc_in_place"] == auto["kc"]:  # both clamped to the same bound (a very small or large L1d)
        pytest.skip(f"both automatic depths are {auto['kc']} on this CPU: nothing to tell apart")
    k = auto["kc_in_place"] + 8  # one depth block at the packed kc, two at the in-place one
    assert k <= auto["kc"]
    # 16 rows: too few to pay for packing B, so it is read in place by default; 128 rows
    # (at least kRowsThatPackB = 64) are packed.
    for m in (16, 128):
        a, b = operands(rng, m, 784, k, False, False)
        got = []
        for pack_b in (-1, 0, 1):
            tuning(**{**AUTO, "pack_b": pack_b})
            got.append(cpu.matmul(a, b))
        assert all(np.array_equal(got[0], g) for g in got[1:]), m
        check(got[0], a, b, False, False, f"M={m} K={k} N=784")


_IN_PLACE_BITS = """
import json, os, numpy as np
from pyneuro import _cpu
auto = _cpu.matmul_tuning()["auto"]; k = auto["kc_in_place"] + 8
rng = np.random.default_rng(0); cases = []; arrays = {}
for m in (63, 64):
    for ta in (False, True):
        a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
        b = rng.standard_normal((k, 784)).astype(np.float32)
        got = _cpu.matmul(a, b, ta, False)
        same = {}
        for kc in (auto["kc_in_place"], auto["kc"]):
            _cpu.matmul_tuning(kc=kc); same[str(kc)] = bool(np.array_equal(got, _cpu.matmul(a, b, ta, False)))
        _cpu.matmul_tuning(kc=0)
        arrays.update({f"a{len(cases)}": a, f"b{len(cases)}": b, f"got{len(cases)}": got})
        cases.append(dict(m=m, ta=ta, same=same))
np.savez(os.environ["IN_PLACE_OUT"], **arrays)
print(json.dumps({"auto": auto, "cases": cases}))
"""


def test_a_row_major_b_is_read_in_place_only_under_64_rows(tmp_path):
    """kRowsThatPackB: a row-major B whose rows spread over the L1 sets (N = 784) is read in
    place -- at the shallower kc_in_place depth -- under 64 rows of A, and packed from 64 rows
    on. The k blocks show in the bits: K = kc_in_place + 8 is two blocks in place, one packed.
    (Zen 4 gives every shape its deep block, so the rule of the other CPUs is forced here.)"""
    saved = tmp_path / "in_place.npz"
    out = _run(_IN_PLACE_BITS, PYNEURO_MATMUL_DEEP_K="1", IN_PLACE_OUT=str(saved))
    auto = out["auto"]
    if auto["kc_in_place"] == auto["kc"]:
        pytest.skip(f"both automatic depths are {auto['kc']} on this CPU: nothing to tell apart")
    assert len(out["cases"]) == 4
    arrays = np.load(saved)
    for i, case in enumerate(out["cases"]):
        want, other = (
            (auto["kc_in_place"], auto["kc"]) if case["m"] < 64 else (auto["kc"], auto["kc_in_place"])
        )
        assert case["same"] == {str(want): True, str(other): False}, case
        check(arrays[f"got{i}"], arrays[f"a{i}"], arrays[f"b{i}"], case["ta"], False, f"M={case['m']}")


def test_edge_panel_kernel_gives_the_bits_of_the_full_tile(rng, tuning):
    """A last panel of at most one vector of columns (N = 48 = 32 + 16) runs the one-vector
    micro-kernel; the same columns inside a full two-vector tile (N = 64) must come out bit
    for bit the same: same FMAs, same order. (A^T @ B with at most 16 rows runs the narrow
    kernel instead, so for that transpose only the 64 rows reach the edge panel.)
    kc is fixed: B with 48 columns may be read in place below 64 rows, with 64 packed, and
    the two would otherwise get their own depth blocks (kc_in_place, kc: 128 and 160 on a
    32 KiB L1d)."""
    tuning(kc=128)
    for m in (1, 7, 8, 13, 64):
        for k in (5, 300):
            for ta, tb in TRANS:
                a, b64 = operands(rng, m, 64, k, ta, tb)
                b48 = np.ascontiguousarray(b64[:48] if tb else b64[:, :48])
                full = cpu.matmul(a, b64, ta, tb)
                edge = cpu.matmul(a, b48, ta, tb)
                assert np.array_equal(edge, full[:, :48]), (m, k, ta, tb)


def test_tile_order_never_changes_a_bit(rng, tuning):
    """A B block that fits L1 whole (a short K) is walked row by row, a larger one panel by
    panel (gemm_share). With N = 4096 (one column block where nc reaches 4096) the block of
    K >= 4 is over a 48 KiB L1 (column order; K = 3 would fill it exactly, row order); its
    first 250 columns alone fit (row order, with an edge panel): same tiles, same bits."""
    for m in (37, 64):
        for k in (4, 10, 24):
            for ta, tb in TRANS:
                a, wide = operands(rng, m, 4096, k, ta, tb)
                narrow = np.ascontiguousarray(wide[:250] if tb else wide[:, :250])
                full = cpu.matmul(a, wide, ta, tb)
                assert np.array_equal(cpu.matmul(a, narrow, ta, tb), full[:, :250]), (m, k, ta, tb)


_REPORT = "from pyneuro import _cpu; import json; print(json.dumps(_cpu.matmul_tuning()))"


def _run(script: str, **env_vars) -> dict:
    """The JSON that script prints, run in a fresh interpreter with env_vars set (the block
    sizes are fixed once per process)."""
    import pyneuro

    root = str(Path(pyneuro.__file__).resolve().parent.parent)
    env = {k: v for k, v in os.environ.items() if k != "PYNEURO_MATMUL_DEEP_K"}
    env.update(PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""), **env_vars)
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


# A C over L2 (128 rows, N just over L2's floats / 128) at K = kc_deep + 1: which kc gives the
# bits of the automatic result (the k sum cut at kc or at kc_deep).
_DEEP_BITS = """
import json, numpy as np
from pyneuro import _cpu
info = _cpu.matmul_tuning(); auto = info["auto"]
rng = np.random.default_rng(0)
m, n, k = 128, info["caches"]["l2"] // 4 // 128 + 64, auto["kc_deep"] + 1
a = rng.standard_normal((m, k)).astype(np.float32); b = rng.standard_normal((k, n)).astype(np.float32)
got = _cpu.matmul(a, b); same = {}
for kc in (auto["kc"], auto["kc_deep"]):
    _cpu.matmul_tuning(kc=kc); same[str(kc)] = bool(np.array_equal(got, _cpu.matmul(a, b)))
print(json.dumps({"auto": auto, "same": same}))
"""


def test_the_deep_block_rule_by_cpu_and_its_switch():
    """kc_deep (4x kc for a C over L2) on AMD and elsewhere, not on Intel, whose cores ran
    2048^3 4-8% slower with it; 1024 for every shape on Zen 4 (AMD family 25 with AVX-512),
    whose half-rate 512-bit FMAs let the B panel stream from L2 (size_blocks).
    PYNEURO_MATMUL_DEEP_K=0, 1 or 2 forces a rule, and the automatic result then has the bits
    of that depth block."""
    from pyneuro.machine import machine_info

    info = machine_info()
    cpu_id = info.get("cpu_id")  # (None off Linux: the unset case is not checked there)
    cases = [("0", "none"), ("1", "c_over_l2"), ("2", "all")]
    if cpu_id:
        zen4 = cpu_id.startswith("AuthenticAMD family 25 ") and info.get("simd_path") == "avx512"
        cases.append((None, "none" if cpu_id.startswith("GenuineIntel") else "all" if zen4 else "c_over_l2"))
    for setting, deep_for in cases:
        out = _run(_DEEP_BITS, **({} if setting is None else {"PYNEURO_MATMUL_DEEP_K": setting}))
        auto, same = out["auto"], out["same"]
        assert auto["deep_for"] == deep_for, setting
        assert auto["kc_deep"] == deep_kc(auto, deep_for), setting
        assert same[str(auto["kc_deep"])], setting
        if deep_for != "none":
            assert not same[str(auto["kc"])], setting  # (two deep blocks against five or more at kc)


@pytest.mark.parametrize(
    "sizes,l1d,l2",
    [("32768,1048576,33554432", 32768, 1048576), ("49152,2097152,0", 49152, 2097152)],
    ids=["zen4-like", "xeon-like-no-l3"],
)
def test_blocks_follow_the_reported_caches(sizes, l1d, l2):
    import pyneuro

    root = str(Path(pyneuro.__file__).resolve().parent.parent)
    env = dict(  # (the deep block forced on: its vendor rule has the test above)
        os.environ,
        PYNEURO_CACHE_SIZES=sizes,
        PYNEURO_MATMUL_DEEP_K="1",
        PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    proc = subprocess.run(
        [sys.executable, "-c", _REPORT], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    caches, auto = info["caches"], info["auto"]
    assert (caches["l1d"], caches["l2"], caches["source"]) == (l1d, l2, "PYNEURO_CACHE_SIZES")
    nr, mr = auto["nr"], auto["mr"]
    want_kc = min(512, max(64, l1d * 2 // 3 // (nr * 4) // 16 * 16))
    assert auto["kc"] == want_kc
    assert auto["kc_in_place"] == min(512, max(64, l1d // 2 // (nr * 4) // 16 * 16))
    assert auto["kc_deep"] == min(1024, 4 * want_kc)
    assert auto["mc"] == min(1024, max(4 * mr, l2 // 8 // (want_kc * 4) // mr * mr))

"""torch.cuda's API on whatever machine runs the tests: without a GPU every call that needs one
raises what torch raises (AssertionError from torch's CPU-only build, RuntimeError from a CUDA
build without a GPU: pyneuro's DeviceUnavailable is both), and the memory counters answer 0;
with a GPU, events time work and the peaks follow the allocations."""

import pytest

import pyneuro as pn
from pyneuro import nn

GPU = pn.cuda.is_available()
needs_no_gpu = pytest.mark.skipif(GPU, reason="checks the answers of a machine without a usable GPU")
needs_gpu = pytest.mark.skipif(not GPU, reason="needs a usable CUDA GPU")


@needs_no_gpu
@pytest.mark.parametrize(
    "call",
    [
        lambda: pn.ones(2, device="cuda"),
        lambda: pn.randn(2, device=pn.device("cuda")),
        lambda: pn.tensor([1.0], device="cuda:0"),
        lambda: pn.ones(2).cuda(),
        lambda: pn.ones(2).to("cuda"),
        lambda: nn.Linear(2, 2).to("cuda"),
        lambda: pn.cuda.synchronize(),
        # d2l.ai's benchmarks pass their device: try_gpu() is the cpu on such a machine (TypeErrors)
        lambda: pn.cuda.synchronize(pn.device("cpu")),
        lambda: pn.cuda.synchronize("cuda:0"),
        lambda: pn.cuda.synchronize(device=0),
        lambda: pn.cuda.current_device(),
        lambda: pn.cuda.get_device_name(0),
        lambda: pn.cuda.get_rng_state(),
        lambda: pn.cuda.initial_seed(),  # (was an AttributeError)
        lambda: pn.cuda.Event(enable_timing=True),
        lambda: pn.cuda.Stream(),
        lambda: pn.cuda.device(0).__enter__(),
        # torch's signatures: an ordinal and non_blocking (they were TypeErrors)
        lambda: pn.ones(2).cuda(0),
        lambda: pn.ones(2).cuda(non_blocking=True),
        lambda: pn.ones(2).cuda(pn.device("cuda:0")),
        lambda: pn.ones(2).to(0),
        lambda: pn.ones(2).to(0, pn.float64),
        lambda: pn.ones(2, device=0),
        lambda: nn.Linear(2, 2).cuda(device=0),
        lambda: nn.Linear(2, 2).to(0),
    ],
)
def test_calls_needing_a_gpu_raise_assertion_and_runtime_error(call):
    with pytest.raises(AssertionError) as info:
        call()
    assert isinstance(info.value, RuntimeError) and "cuda" in str(info.value)


@needs_no_gpu
def test_memory_counters_answer_zero_without_a_gpu():
    assert pn.cuda.memory_allocated() == pn.cuda.max_memory_allocated() == 0
    assert pn.cuda.memory_reserved() == pn.cuda.max_memory_reserved() == 0
    pn.cuda.reset_peak_memory_stats()  # nothing to reset, and no error (as torch)
    pn.cuda.empty_cache()


@needs_no_gpu
def test_same_exception_types_as_torch_without_cuda():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("torch sees a GPU here")
    for ours, theirs in [
        (lambda: pn.ones(2).cuda(), lambda: torch.ones(2).cuda()),
        (lambda: pn.cuda.get_device_name(), lambda: torch.cuda.get_device_name()),
    ]:
        with pytest.raises(Exception) as t_info:
            theirs()
        with pytest.raises(type(t_info.value)):
            ours()
    assert pn.cuda.max_memory_allocated() == torch.cuda.max_memory_allocated()


@needs_gpu
def test_events_time_gpu_work_and_peaks_follow_allocations():
    pn.cuda.synchronize()
    pn.cuda.reset_peak_memory_stats()
    base = pn.cuda.memory_allocated()
    start, end = pn.cuda.Event(enable_timing=True), pn.cuda.Event(enable_timing=True)
    start.record()
    a = pn.randn(1024, 1024, device="cuda")
    b = a @ a
    end.record()
    end.synchronize()
    assert start.elapsed_time(end) > 0
    assert pn.cuda.max_memory_allocated() >= base + 2 * 1024 * 1024 * 4
    assert pn.cuda.max_memory_reserved() >= pn.cuda.max_memory_allocated()
    del a, b
    with pn.cuda.stream(pn.cuda.Stream()):
        pn.ones(4, device="cuda").sum().item()
    with pytest.raises(RuntimeError, match="enable_timing"):
        pn.cuda.Event().elapsed_time(end)


def test_an_ordinal_is_the_gpu_and_cuda_refuses_the_cpu():
    assert pn.device(0) == pn.device("cuda") == pn.device("cuda", 0)
    with pytest.raises(RuntimeError, match="must be cuda device"):
        pn.ones(2).cuda("cpu")
    with pytest.raises(RuntimeError):
        pn.ones(2, device=-1)


@needs_gpu
def test_synchronize_and_set_device_name_the_gpu_as_torch_does():
    for device in (None, 0, "cuda", "cuda:0", pn.device("cuda")):
        pn.cuda.synchronize(device)
        pn.cuda.set_device(device)
    for device in (pn.device("cpu"), "cpu"):  # (torch's _get_device_index: ValueError)
        with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
            pn.cuda.synchronize(device)
        with pytest.raises(ValueError):
            pn.cuda.set_device(device)
    with pytest.raises(RuntimeError, match="one GPU"):
        pn.cuda.synchronize("cuda:1")

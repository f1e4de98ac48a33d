"""Grad modes as torch users use them (decorators on generator functions, set_grad_enabled's
argument check) and grad_fn names that depend on which of max/min an op computed, against torch."""

import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _generator_run(lib, deco):
    @deco(lib)
    def gen(x):
        r = yield (x * 2).requires_grad, lib.is_grad_enabled()
        try:
            yield (x * r).requires_grad
        except KeyError:
            yield lib.is_grad_enabled()
        return "done"

    x = lib.ones(2, requires_grad=True)
    g = gen(x)
    first = next(g)
    outside = lib.is_grad_enabled()
    second = g.send(3.0)
    thrown = g.throw(KeyError("k"))
    try:
        next(g)
    except StopIteration as stop:
        value = stop.value
    return first, outside, second, thrown, value, lib.is_grad_enabled()


DECORATORS = {
    "no_grad()": lambda lib: lib.no_grad(),
    "no_grad": lambda lib: lib.no_grad,
    "inference_mode()": lambda lib: lib.inference_mode(),
    "set_grad_enabled(False)": lambda lib: lib.set_grad_enabled(False),
}


@pytest.mark.parametrize("name", sorted(DECORATORS))
def test_decorated_generator_runs_its_body_in_the_mode(name):
    assert _generator_run(pn, DECORATORS[name]) == _generator_run(torch, DECORATORS[name])
    assert pn.is_grad_enabled()


def test_enable_grad_on_a_generator_inside_no_grad_and_close():
    def run(lib):
        seen = []

        @lib.enable_grad()
        def gen(x):
            try:
                yield (x * 2).requires_grad
            finally:
                seen.append(lib.is_grad_enabled())

        x = lib.ones(2, requires_grad=True)
        with lib.no_grad():
            g = gen(x)
            first = next(g)
            g.close()
            return first, seen, lib.is_grad_enabled()

    assert run(pn) == run(torch) == (True, [True], False)


def test_recursive_decorated_function_restores_the_mode():
    def run(lib):
        @lib.no_grad()
        def depth(n):
            return lib.is_grad_enabled() if n == 0 else depth(n - 1)

        return depth(3), lib.is_grad_enabled()

    assert run(pn) == run(torch) == (False, True)


@pytest.mark.parametrize("arg", [0, 1, 1.0, None, "yes"])
def test_set_grad_enabled_takes_a_bool_only(arg):
    for lib in (pn, torch):
        with pytest.raises(TypeError, match="must be bool"):
            lib.set_grad_enabled(arg)
        assert lib.is_grad_enabled()


def test_max_min_grad_fn_names_survive_backward():
    def names(lib):
        x = lib.tensor([[1.0, 5.0], [3.0, 2.0]], requires_grad=True)
        outs = [
            x.min(),
            x.max(),
            x.min(0)[0],
            x.max(1)[0],
            x.min(dim=1, keepdim=True)[0],
            lib.minimum(x, x.detach()),
            lib.maximum(x, x.detach()),
            x.cumprod(0),
            x.logcumsumexp(0),
            x.median(),
        ]
        before = [type(o.grad_fn).__name__ for o in outs]
        sum(o.sum() for o in outs).backward()
        return before, [type(o.grad_fn).__name__ for o in outs], x.grad.reshape(-1).tolist()

    got, want = names(pn), names(torch)
    assert got[:2] == want[:2]
    assert got[2] == pytest.approx(want[2])


def test_min_of_a_constant_tensor_is_named_min():
    assert type(pn.ones(3, requires_grad=True).min().grad_fn).__name__ == "MinBackward1"
    assert type(torch.ones(3, requires_grad=True).min().grad_fn).__name__ == "MinBackward1"


@pytest.mark.parametrize(
    "change",
    [lambda y: y.add_(1), lambda y: y.mul_(2), lambda y: y.__setitem__(0, 5.0), lambda y: y.zero_()],
)
def test_an_inference_tensor_is_not_changed_outside_inference_mode(change):
    """torch refuses an in-place update of a tensor made in inference_mode once outside it, in
    any grad mode (its version counter does not exist); inside, or on a clone, it is allowed."""
    for lib in (torch, pn):
        x = lib.ones(3, requires_grad=True)
        with lib.inference_mode():
            y = x * 2
        with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside InferenceMode"):
            change(y)
        with lib.no_grad(), pytest.raises(RuntimeError, match="inference tensor"):
            change(y)
        with lib.inference_mode():
            change(y)
        change(y.clone())

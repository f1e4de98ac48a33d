"""Grad mode: whether operations record the autograd graph (no_grad, enable_grad, ...).

The mode is thread-local, as in PyTorch: every thread starts with recording on, and
`with pn.no_grad():` in one thread leaves every other thread's mode alone (a data-loading
or evaluation thread cannot switch off recording for the training loop). Function.apply
reads `_GradMode.enabled` on every op.
"""

from __future__ import annotations

import functools
import inspect
import sys
import threading


class _GradState(threading.local):
    """One flag per thread; the class attribute is every new thread's starting value."""

    enabled = True  # ops record the graph
    inference = False  # inside inference_mode() (torch.is_inference_mode_enabled)
    requested = None  # enable_grad() inside inference_mode(): grad mode reads as on, nothing records


_GradMode = _GradState()


def is_grad_enabled() -> bool:
    """True when operations record the graph for backward (like torch.is_grad_enabled; True too for
    enable_grad() inside inference_mode(), where torch records nothing all the same)."""
    requested = _GradMode.requested
    return _GradMode.enabled if requested is None else requested


def _wrap_generator(make_ctx, func):
    """A generator function whose body runs under a fresh make_ctx() at every resume (torch's
    decorator does this too: the caller's mode is back in force between two `yield`s)."""

    @functools.wraps(func)
    def generator(*args, **kwargs):
        gen = func(*args, **kwargs)
        try:
            with make_ctx():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with make_ctx():
                        gen.close()
                    raise
                except BaseException:
                    with make_ctx():
                        response = gen.throw(*sys.exc_info())
                else:
                    with make_ctx():
                        response = gen.send(request)
        except StopIteration as stop:
            return stop.value

    return generator


def context_decorator(make_ctx, func):
    """func run under a fresh make_ctx() (a context per call: the decorated function may recurse);
    torch's name, so the wrapper shows as torch's does (context_decorator.<locals>.decorate_context)."""
    if inspect.isgeneratorfunction(func):
        return _wrap_generator(make_ctx, func)

    @functools.wraps(func)
    def decorate_context(*args, **kwargs):
        with make_ctx():
            return func(*args, **kwargs)

    return decorate_context


def _set(mode: bool) -> None:
    """Grad mode on or off; on inside inference_mode() reads as on and records nothing, as torch."""
    inside_inference = mode and _GradMode.inference
    _GradMode.enabled = mode and not inside_inference
    _GradMode.requested = True if inside_inference else None


class _GradModeContext:
    """Base of no_grad / enable_grad / set_grad_enabled: a context manager and a decorator."""

    _mode = True

    def __new__(cls, func=None, **kwargs):
        self = super().__new__(cls)
        if callable(func):  # used as a decorator without parentheses: @pn.no_grad
            return self(func)
        return self

    def __enter__(self) -> None:  # (`with torch.no_grad() as c`: c is None in torch)
        self._prev = _GradMode.enabled, _GradMode.requested
        _set(self._mode)

    def __exit__(self, *exc):
        _GradMode.enabled, _GradMode.requested = self._prev
        return False

    def __call__(self, func):
        return context_decorator(self.__class__, func)


class _NoParamContext(_GradModeContext):
    """no_grad / enable_grad take no parameter: anything given is the function to decorate, as
    torch's (`torch.no_grad(x)` returns a function, not a context)."""

    def __new__(cls, orig_func=None):
        return super().__new__(cls) if orig_func is None else cls()(orig_func)


class no_grad(_NoParamContext):
    """Disable graph recording: `with pn.no_grad(): ...` or `@pn.no_grad()` on a function.

    Use it for evaluation and for updating parameters in place (`w -= lr * w.grad`).
    """

    _mode = False


# set once any thread has entered inference_mode: until then _tensor_base's _fill skips the question
inference_used = [False]


class inference_mode(_GradModeContext):
    """torch.inference_mode: like no_grad here (context manager or decorator); inference_mode(False) records."""

    _mode = False

    def __init__(self, mode=True):
        if not callable(mode):
            self._mode = not mode

    def __enter__(self):
        self._prev_inference = _GradMode.inference
        _GradMode.inference = not self._mode
        inference_used[0] = True  # from now on tensor construction asks (is_inference)
        return super().__enter__()

    def __exit__(self, *exc):
        _GradMode.inference = self._prev_inference
        return super().__exit__(*exc)

    def __call__(self, func):
        mode = not self._mode
        return context_decorator(lambda: inference_mode(mode), func)


class enable_grad(_NoParamContext):
    """Re-enable graph recording inside a no_grad block (context manager or decorator)."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """`with pn.set_grad_enabled(False): ...`; calling it as a function sets the mode."""

    def __new__(cls, mode):
        return super().__new__(cls)

    def __init__(self, mode: bool):
        if not isinstance(mode, bool):
            raise TypeError(
                f"set_grad_enabled(): argument 'enabled' (position 1) must be bool, not {type(mode).__name__}"
            )
        self._prev = _GradMode.enabled, _GradMode.requested
        self._mode = self.mode = mode  # (torch's attribute is .mode)
        _set(mode)  # torch semantics: takes effect immediately

    def __repr__(self) -> str:  # torch's: a cell ending in torch.set_grad_enabled(False) shows it
        return f"{type(self).__module__}.{type(self).__qualname__}(mode={self._mode})"

    __str__ = __repr__

    def __enter__(self) -> None:
        return None

    def __call__(self, func):  # as a decorator: the mode applies inside func only
        _GradMode.enabled, _GradMode.requested = self._prev
        mode = self._mode
        return context_decorator(lambda: _Mode(mode), func)


class _Mode(_GradModeContext):
    """Grad mode `mode` for a block, without set_grad_enabled's immediate effect (its decorator's calls)."""

    def __new__(cls, mode):
        return super().__new__(cls)

    def __init__(self, mode: bool):
        self._mode = mode


_MULTITHREADING = [True]


class set_multithreading_enabled:
    """torch.autograd.set_multithreading_enabled(mode): whether backward may use several threads.
    pyneuro's engine runs backward on the calling thread either way, so the switch is only
    recorded; as in torch it takes effect at once (a call or a `with`), and a `with` block puts
    the previous value back on exit. Process-wide, as torch's."""

    def __init__(self, mode: bool) -> None:
        self.prev = _MULTITHREADING[0]
        _MULTITHREADING[0] = bool(mode)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        _MULTITHREADING[0] = self.prev


def is_multithreading_enabled() -> bool:
    return _MULTITHREADING[0]

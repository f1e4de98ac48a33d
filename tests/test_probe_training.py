"""The training loop's infrastructure side by side with torch: optimizers' printed form and
constructor checks, schedulers' class tree, the loader's iterator, load's map_location, the
RNG state's checks and torch.autograd's grad / functional API, found by probing tutorial-style code."""

import copy
import io
from importlib import import_module

import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _raises(fn):
    """The exception fn raises (an AssertionError when it raises none)."""
    try:
        fn()
    except Exception as exc:
        return exc
    raise AssertionError("no exception raised")


def test_an_optimizer_with_two_groups_prints_like_torch():
    texts = []
    for m in (torch, pn):
        w, b = m.nn.Parameter(m.zeros(2)), m.nn.Parameter(m.zeros(2))
        for opt in (
            m.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5, "momentum": 0.3}], lr=0.1),
            m.optim.Adam([w], lr=0.01),
        ):
            texts.append(str(opt))
            opt.add_param_group({"params": [m.nn.Parameter(m.zeros(1))], "lr": 0.2})
            texts.append(repr(opt))
    assert texts[:4] == texts[4:]
    assert "\n\nParameter Group 1\n" in texts[0]


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad"])
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(fused=True, foreach=True),
        dict(fused=True, differentiable=True),
        dict(fused=True),
        dict(foreach=True),
    ],
)
def test_fused_foreach_differentiable_checks_as_torch(name, kwargs):
    outcome = []
    for m in (torch, pn):
        w = m.nn.Parameter(m.zeros(2))
        try:
            getattr(m.optim, name)([w], lr=0.1, **kwargs)
            outcome.append(None)
        except Exception as exc:
            outcome.append((type(exc).__name__ if m is torch else None, str(exc)))
            assert isinstance(exc, RuntimeError)
    assert (outcome[0] is None) == (outcome[1] is None)
    if outcome[0] is not None:
        assert outcome[0][1] == outcome[1][1]


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_a_tensor_lr_with_foreach_is_refused_as_torch(name):
    errors = [
        _raises(
            lambda m=m: getattr(m.optim, name)([m.nn.Parameter(m.zeros(2))], lr=m.tensor(0.1), foreach=True)
        )
        for m in (torch, pn)
    ]
    assert type(errors[0]) is ValueError and isinstance(errors[1], ValueError)
    assert str(errors[0]) == str(errors[1])
    opt = pn.optim.Adam([pn.nn.Parameter(pn.zeros(2))], lr=pn.tensor(0.1))  # without foreach it runs
    opt.step()


def test_optimizer_argument_type_errors_say_what_torch_says():
    for build in (
        lambda m: m.optim.SGD(m.nn.Parameter(m.zeros(2)), lr=0.1),
        lambda m: m.optim.SGD([m.nn.Parameter(m.zeros(2))], lr=0.1).add_param_group([m.zeros(1)]),
    ):
        errors = [_raises(lambda m=m: build(m)) for m in (torch, pn)]
        assert type(errors[0]) is TypeError and isinstance(errors[1], TypeError)
        assert str(errors[0]) == str(errors[1])


def test_old_lr_scheduler_name_is_a_subclass_as_torchs():
    for m in (torch, pn):
        sched = m.optim.lr_scheduler
        opt = m.optim.SGD([m.nn.Parameter(m.zeros(1))], lr=1.0)
        assert not isinstance(sched.StepLR(opt, 2), sched._LRScheduler)
        assert issubclass(sched._LRScheduler, sched.LRScheduler)

    class Warmup(pn.optim.lr_scheduler._LRScheduler):  # a custom schedule in the old style
        def __init__(self, optimizer, n, last_epoch=-1):
            self.n = n
            super().__init__(optimizer, last_epoch)

        def get_lr(self):
            return [b * min(1.0, (self.last_epoch + 1) / self.n) for b in self.base_lrs]

    opt = pn.optim.SGD([pn.nn.Parameter(pn.zeros(1))], lr=1.0)
    s = Warmup(opt, 4)
    lrs = [s.get_last_lr()[0]]
    for _ in range(4):
        opt.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
    assert lrs == [0.25, 0.5, 0.75, 1.0, 1.0]


def test_the_loader_iterator_has_the_loaders_length():
    for m in (torch, pn):
        data = m.utils.data
        for loader in (
            data.DataLoader(data.TensorDataset(m.arange(10.0)), batch_size=4, shuffle=True),
            data.DataLoader(list(range(10)), batch_size=3, drop_last=True),
            data.DataLoader(list(range(5)), batch_size=None),
        ):
            it = iter(loader)
            assert len(it) == len(loader)
            assert iter(it) is it
            assert sum(1 for _ in it) == len(loader)
            with pytest.raises(StopIteration):
                next(it)


def test_map_location_cuda_without_a_gpu_is_torchs_runtime_error():
    if pn.cuda.is_available():
        pytest.skip("a GPU is present: map_location='cuda' loads there")
    messages = []
    for m in (torch, pn):
        buf = io.BytesIO()
        m.save({"w": m.ones(2)}, buf)
        buf.seek(0)
        exc = _raises(lambda m=m, buf=buf: m.load(buf, map_location="cuda:0"))
        assert isinstance(exc, RuntimeError)
        messages.append(str(exc))
        buf.seek(0)
        assert m.load(buf, map_location={"cuda:0": "cpu"})["w"].tolist() == [1.0, 1.0]
    assert messages[1] == messages[0]


def test_rng_state_of_the_wrong_type_is_refused_as_torch():
    for m in (torch, pn):
        state = m.get_rng_state()
        for bad in (state.float(), m.zeros(3), [1, 2]):
            assert type(_raises(lambda m=m, bad=bad: m.set_rng_state(bad))) is TypeError
            assert type(_raises(lambda m=m, bad=bad: m.Generator().set_state(bad))) is TypeError
        garbage = _raises(lambda m=m: m.set_rng_state(m.zeros(3, dtype=m.uint8)))
        assert isinstance(garbage, RuntimeError)
        m.set_rng_state(state)  # the real state still round-trips


@pytest.mark.parametrize("requires_grad", [False, True])
def test_functional_derivatives_with_create_graph_as_torch(requires_grad):
    def results(m):
        f = m.autograd.functional
        x, v = m.tensor([1.0, 2.0], requires_grad=requires_grad), m.tensor([1.0, -1.0])
        out = [
            f.jacobian(lambda a: a**3, x, create_graph=True),
            f.jacobian(lambda a: (a * a).sum(), x, create_graph=True),
            f.hessian(lambda a: (a**3).sum(), x, create_graph=True),
            *f.vjp(lambda a: a**3, x, v, create_graph=True),
            *f.jvp(lambda a: a**3, x, v, create_graph=True),
            *f.hvp(lambda a: (a**3).sum(), x, v, create_graph=True),
        ]
        return [(t.requires_grad, t.tolist()) for t in out]

    assert results(pn) == results(torch)
    x = pn.tensor([1.0, 2.0], requires_grad=True)
    pn.autograd.functional.jacobian(lambda a: a**3, x, create_graph=True).sum().backward()
    assert x.grad.tolist() == [6.0, 12.0]


def test_autograd_grad_errors_as_torch():
    def cases(m):
        x, a = m.ones(2, requires_grad=True), m.ones(2)
        return [
            lambda: m.autograd.grad(a.sum(), a),  # the output is checked first
            lambda: m.autograd.grad([(x * 2).sum(), a.sum()], x),
            lambda: m.autograd.grad((x * 2).sum(), a),
            lambda: m.autograd.grad([x.sum(), x.sum()], x, grad_outputs=[m.ones(())]),
            lambda: m.autograd.grad((x * 2).sum(), [x, m.ones(1, requires_grad=True)]),
        ]

    for t_case, p_case in zip(cases(torch), cases(pn)):
        t_exc, p_exc = _raises(t_case), _raises(p_case)
        assert type(t_exc) is RuntimeError and isinstance(p_exc, RuntimeError)
        assert str(p_exc)[:60] == str(t_exc)[:60]


@pytest.mark.parametrize(
    "n,replicas,shuffle,drop_last",
    [(10, 3, True, False), (10, 3, False, True), (2, 4, True, False), (12, 4, True, True)],
)
def test_distributed_sampler_gives_each_rank_torchs_indices(n, replicas, shuffle, drop_last):
    for epoch in (0, 3):
        shares = []
        for m in (torch, pn):
            share = []
            for rank in range(replicas):
                s = m.utils.data.distributed.DistributedSampler(
                    list(range(n)),
                    num_replicas=replicas,
                    rank=rank,
                    shuffle=shuffle,
                    seed=4,
                    drop_last=drop_last,
                )
                s.set_epoch(epoch)
                share.append((list(s), len(s)))
            shares.append(share)
        assert shares[0] == shares[1]
    sampler = pn.utils.data.DistributedSampler(range(10), num_replicas=2, rank=1)
    loader = pn.utils.data.DataLoader(
        pn.utils.data.TensorDataset(pn.arange(10)), batch_size=2, sampler=sampler
    )
    assert [b.tolist() for (b,) in loader] == [[1, 5], [9, 8], [2]]  # torch's batches for rank 1 of 2


def test_distributed_sampler_errors_as_torch():
    for m in (torch, pn):
        ds = list(range(5))
        exc = _raises(lambda m=m: m.utils.data.distributed.DistributedSampler(ds, num_replicas=2, rank=2))
        assert type(exc) is ValueError and "Invalid rank 2" in str(exc)
        assert isinstance(_raises(lambda m=m: m.utils.data.distributed.DistributedSampler(ds)), ValueError)


def test_a_dataset_without_len_serves_an_explicit_sampler_as_torch():
    for m in (torch, pn):

        class Squares(m.utils.data.Dataset):
            def __getitem__(self, i):
                return i * i

        loader = m.utils.data.DataLoader(Squares(), sampler=[3, 1, 2], batch_size=2)
        assert [b.tolist() for b in loader] == [[9, 1], [4]]
        assert type(_raises(lambda m=m, c=Squares: len(m.utils.data.DataLoader(c())))) is TypeError
        assert type(_raises(lambda m=m, c=Squares: m.utils.data.DataLoader(c(), shuffle=True))) is TypeError


def _custom_sgd(m):
    """A course-homework optimizer, written as torch's templates write one."""

    class MySGD(m.optim.Optimizer):
        def __init__(self, params, lr=0.01, momentum=0.9):
            super().__init__(params, dict(lr=lr, momentum=momentum))

        def __setstate__(self, state):
            super().__setstate__(state)

        @m.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = 0
                        state["buf"] = m.zeros_like(p, memory_format=m.preserve_format)
                    state["step"] += 1
                    state["buf"].mul_(group["momentum"]).add_(p.grad)
                    p.add_(state["buf"], alpha=-group["lr"])

    return MySGD


def test_a_custom_optimizer_with_setstate_copies_and_reloads_as_torch():
    results = []
    for m in (torch, pn):
        w = m.nn.Parameter(m.tensor([1.0, -2.0]))
        opt = _custom_sgd(m)([w], lr=0.1)
        sched = m.optim.lr_scheduler.StepLR(opt, 2, 0.5)
        for _ in range(3):
            opt.zero_grad()
            (w**2).sum().backward()
            opt.step()
            sched.step()
        twin = copy.deepcopy(opt)  # calls MySGD.__setstate__ -> Optimizer.__setstate__
        other = _custom_sgd(m)([m.nn.Parameter(m.zeros(2))])
        other.load_state_dict(opt.state_dict())
        results.append(
            (
                [round(v, 6) for v in w.tolist()],
                len(twin.state),
                twin.defaults,
                other.param_groups[0]["lr"],
                other.state_dict()["state"][0]["step"],
            )
        )
    assert results[0] == results[1]


def test_global_optimizer_step_hooks_run_in_torchs_order():
    orders = []
    for m in (torch, pn):
        module = import_module(m.__name__ + ".optim.optimizer")
        calls = []
        w = m.nn.Parameter(m.ones(2))
        opt = m.optim.SGD([w], lr=0.1)
        handles = [
            module.register_optimizer_step_pre_hook(lambda o, a, k: calls.append("global pre")),
            module.register_optimizer_step_post_hook(lambda o, a, k: calls.append("global post")),
            opt.register_step_pre_hook(lambda o, a, k: calls.append("pre")),
            opt.register_step_post_hook(lambda o, a, k: calls.append("post")),
        ]
        w.grad = m.ones(2)
        opt.step()
        for h in handles[:2]:
            h.remove()
        opt.step()
        orders.append(calls)
    assert orders[0] == orders[1] == ["global pre", "pre", "post", "global post", "pre", "post"]


def test_loading_a_malformed_optimizer_state_dict_raises_torchs_types():
    for m in (torch, pn):
        opt = m.optim.SGD([m.nn.Parameter(m.ones(1))], lr=0.1, momentum=0.9)
        groups = opt.state_dict()["param_groups"]
        assert type(_raises(lambda o=opt: o.load_state_dict({"state": {}}))) is KeyError
        assert type(_raises(lambda o=opt: o.load_state_dict({"param_groups": []}))) is ValueError
        assert type(_raises(lambda o=opt, g=groups: o.load_state_dict({"param_groups": g}))) is KeyError
        assert type(_raises(lambda o=opt: o.load_state_dict([1]))) is TypeError
        assert opt.param_groups[0]["momentum"] == 0.9


@pytest.mark.parametrize(
    "code",
    [
        "y1 = x * 2; y2 = x.sum(); m.autograd.backward([y1, y2], grad_tensors=[m.ones(3), m.tensor(2.)]); y1.sum().backward()",
        "y1 = x.exp(); y2 = x.sum(); m.autograd.backward([y1, y2], grad_tensors=[m.ones(3), m.tensor(2.)]); y1.sum().backward()",
        "y1 = x.exp(); y2 = x.sin(); m.autograd.grad([y1.sum(), y2.sum()], x); y1.sum().backward()",
        "y1 = x.exp(); y2 = x.sin(); m.autograd.grad([y1.sum(), y2.sum()], x, retain_graph=True); y1.sum().backward()",
        "y1 = x.exp(); y2 = x.sin(); m.autograd.backward([y1.sum(), y2.sum()], retain_graph=True); y1.sum().backward()",
        "y1 = x.exp(); m.autograd.backward([y1.sum(), y1.sum()]); y1.sum().backward()",
    ],
)
def test_backward_of_several_outputs_frees_every_graph_as_torch(code):
    outcomes = []
    for m in (torch, pn):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        exc = None
        try:
            exec(code, {"m": m, "x": x})
        except RuntimeError as e:
            exc = str(e)[:40]
        outcomes.append((exc, [round(v, 5) for v in x.grad.tolist()] if x.grad is not None else None))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize(
    "path,name",
    [
        ("optim.adamw", "AdamW"),
        ("optim.adagrad", "Adagrad"),
        ("optim.adamax", "Adamax"),
        ("optim.nadam", "NAdam"),
        ("optim.radam", "RAdam"),
        ("optim.asgd", "ASGD"),
        ("utils.data._utils.collate", "default_collate"),
        ("utils.data._utils.collate", "default_convert"),
        ("utils.data.distributed", "DistributedSampler"),
    ],
)
def test_torchs_module_paths_import(path, name):
    for m in (torch, pn):
        module = import_module(f"{m.__name__}.{path}")
        assert getattr(module, name).__name__ == name
    assert pn.utils.data._utils.collate.default_collate([pn.tensor(1), pn.tensor(2)]).tolist() == [1, 2]


def test_safe_globals_allow_list_as_torch():
    class Config:
        pass

    s = pn.serialization
    s.clear_safe_globals()
    s.add_safe_globals([Config, (int, "builtins.int")])
    assert s.get_safe_globals() == [Config, (int, "builtins.int")]
    with s.safe_globals([float]):
        assert float in s.get_safe_globals()
    assert float not in s.get_safe_globals()
    for m in (torch, pn):
        assert type(_raises(lambda m=m: m.serialization.add_safe_globals(Config))) is TypeError
    s.clear_safe_globals()
    assert s.get_safe_globals() == []
    buf = io.BytesIO()
    pn.save({"w": pn.ones(2)}, buf)
    buf.seek(0)
    with s.safe_globals([Config]):
        assert pn.load(buf, weights_only=True)["w"].tolist() == [1.0, 1.0]


def _aliasing_results(m, create_graph):
    """A custom backward that returns a tensor it holds, and one that returns one tensor for two
    inputs; then the gradients changed in place (as clipping and zero_grad(set_to_none=False) do)."""
    held = m.tensor([1.0, 2.0])

    class ReturnsHeld(m.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1

        @staticmethod
        def backward(ctx, g):
            return held

    class SameForBoth(m.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            h = g * 2
            return h, h

    a, b, c = (m.ones(2, requires_grad=True) for _ in range(3))
    seed = m.full((2,), 3.0)
    ReturnsHeld.apply(a).sum().backward(create_graph=create_graph)
    SameForBoth.apply(b, c).sum().backward(create_graph=create_graph)
    leaf = m.ones(2, requires_grad=True)
    leaf.backward(seed, create_graph=create_graph)
    with m.no_grad():
        for t in (a, b, leaf):
            t.grad.mul_(0.5)
    return [t.tolist() for t in (a.grad, held, b.grad, c.grad, leaf.grad, seed)]


@pytest.mark.filterwarnings("ignore:Using backward")
@pytest.mark.parametrize("create_graph", [False, True])
def test_a_stored_grad_never_aliases_a_tensor_held_elsewhere(create_graph):
    assert _aliasing_results(pn, create_graph) == _aliasing_results(torch, create_graph)


@pytest.mark.filterwarnings("ignore:Using backward")
def test_create_graph_stores_a_copy_with_torchs_node():
    for m in (torch, pn):
        x = m.ones(2, requires_grad=True)
        (x**3).sum().backward(create_graph=True)
        assert type(x.grad.grad_fn).__name__ == "CopyBackwards"
        assert m.autograd.grad(x.grad.sum(), x, retain_graph=True)[0].tolist() == [6.0, 6.0]
        seed = m.full((2,), 3.0, requires_grad=True)
        y = m.ones(2, requires_grad=True)
        y.backward(seed, create_graph=True)
        assert y.grad is not seed
        y.grad.sum().backward()
        assert seed.grad.tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    "build",
    [
        "StepLR(opt, 2)",
        "CosineAnnealingLR(opt, 3)",
        "CosineAnnealingWarmRestarts(opt, 3)",
        "CyclicLR(opt, 0.01, 0.1, step_size_up=2)",
        "OneCycleLR(opt, 1.0, total_steps=20)",
        "LambdaLR(opt, lambda e: 0.9 ** e)",
        "MultiplicativeLR(opt, lambda e: 0.9)",
    ],
)
def test_a_group_added_after_the_scheduler_as_torch(build):
    outcomes = []
    for m in (torch, pn):
        opt = m.optim.SGD([m.nn.Parameter(m.zeros(2))], lr=0.1, momentum=0.9)
        sched = eval("m.optim.lr_scheduler." + build, {"m": m, "opt": opt})
        opt.add_param_group({"params": [m.nn.Parameter(m.zeros(1))], "lr": 0.5, "momentum": 0.5})
        lrs, exc = [], None
        try:
            for _ in range(12):
                opt.step()
                sched.step()
                lrs.append([round(v, 6) for v in sched.get_last_lr()])
        except Exception as e:  # torch's strict zips: a ValueError
            exc = type(e)
        outcomes.append((lrs, exc))
    assert outcomes[0] == outcomes[1]


def test_misspelt_keywords_are_type_errors_as_torch():
    for m in (torch, pn):
        for bad in (dict(batchsize=4), dict(shuffel=True)):
            assert type(_raises(lambda m=m, bad=bad: m.utils.data.DataLoader(range(8), **bad))) is TypeError
        loader = m.utils.data.DataLoader(range(8), batch_size=4, in_order=False, pin_memory_device="")
        assert len(loader) == 2
        assert (loader.in_order, loader.pin_memory_device, loader.multiprocessing_context) == (
            False,
            "",
            None,
        )
        assert type(_raises(lambda m=m: m.save(m.ones(1), io.BytesIO(), pickle_protocl=2))) is TypeError
        m.save(m.ones(1), io.BytesIO(), pickle_protocol=2, _use_new_zipfile_serialization=True)


def test_generator_clone_state_as_torch():
    draws = []
    for m in (torch, pn):
        g = m.Generator().manual_seed(9)
        m.rand(3, generator=g)
        twin = g.clone_state()
        assert twin is not g and twin.initial_seed() == 9
        draws.append((m.randn(4, generator=g).tolist(), m.randn(4, generator=twin).tolist()))
    assert draws[0][0] == draws[0][1]
    assert draws[1] == draws[0]


def test_once_differentiable_marks_its_result_only_when_a_gradient_needs_grad():
    outcomes = []
    for m in (torch, pn):

        class Square(m.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a)
                return a**2

            @staticmethod
            @m.autograd.function.once_differentiable
            def backward(ctx, g):
                (a,) = ctx.saved_tensors
                return 2 * a * g

        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (plain,) = m.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
        (marked,) = m.autograd.grad((Square.apply(x) * x).sum(), x, create_graph=True)
        exc = _raises(lambda marked=marked: marked.sum().backward())
        outcomes.append(
            (plain.requires_grad, plain.grad_fn is None, plain.tolist(), marked.requires_grad, str(exc))
        )
    assert outcomes[0] == outcomes[1]


def test_a_function_written_for_forward_mode_runs_as_torch():
    tangents = []
    for m in (torch, pn):
        fw = m.autograd.forward_ad

        class Sin(m.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a)
                ctx.save_for_forward(a)
                return a.sin()

            @staticmethod
            def backward(ctx, g):
                (a,) = ctx.saved_tensors
                return g * a.cos()

            @staticmethod
            def jvp(ctx, t):
                (a,) = ctx.saved_tensors
                return t * a.cos()

        with fw.dual_level():
            out = Sin.apply(fw.make_dual(m.tensor([1.0, 2.0]), m.tensor([1.0, -1.0])))
            tangents.append([round(v, 6) for v in fw.unpack_dual(out).tangent.tolist()])
        x = m.tensor([1.0, 2.0], requires_grad=True)
        Sin.apply(x).sum().backward()
        tangents.append([round(v, 6) for v in x.grad.tolist()])
    assert tangents[:2] == tangents[2:]


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
        ("Adagrad", dict(lr=0.1)),
        ("NAdam", dict(lr=0.1)),
        ("RAdam", dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True)),
        ("Adamax", dict(lr=0.1)),
        ("Adam", dict(lr=0.1, betas=(0.9, 0.99))),
        ("SGD", dict(lr=0.1, momentum=0.9)),
        ("LBFGS", dict(lr=0.5)),
    ],
)
def test_a_tensor_learning_rate_steps_as_torch(name, kwargs):
    results = []
    for m in (torch, pn):
        w = m.nn.Parameter(m.tensor([1.5, -0.5]))
        opt = getattr(m.optim, name)([w], **dict(kwargs, lr=m.tensor(kwargs["lr"])))

        def closure(opt=opt, w=w):
            opt.zero_grad()
            loss = ((w - 1) ** 2).sum()
            loss.backward()
            return loss

        for _ in range(3):
            opt.step(closure)
        results.append([round(v, 5) for v in w.tolist()])
    assert results[0] == results[1]


def test_typed_datasets_samplers_and_loaders_as_torch():
    for m in (torch, pn):
        data = m.utils.data

        class Pairs(data.Dataset[tuple]):
            def __len__(self):
                return 3

            def __getitem__(self, i):
                return m.ones(1) * i, i

        class Stream(data.IterableDataset[int]):
            def __iter__(self):
                return iter(range(3))

        class Backwards(data.Sampler[int]):
            def __iter__(self):
                return iter([2, 1, 0])

            def __len__(self):
                return 3

        def train(
            loader: data.DataLoader[tuple], part: data.Subset[int], both: data.ConcatDataset[int]
        ) -> list:
            return [b[1].tolist() for b in loader]

        loader = data.DataLoader[tuple](Pairs(), batch_size=2, sampler=Backwards())
        assert train(loader, None, None) == [[2, 1], [0]]
        assert [b.tolist() for b in data.DataLoader(Stream())] == [[0], [1], [2]]
        assert data.distributed.DistributedSampler[int] is not None and data.StackDataset[int] is not None

"""Checkpointing code as students write it, run under torch and pyneuro: what goes into a
resumable checkpoint (NumPy's RNG state, arrays of any dtype), map_location's forms and when
torch checks them, and the optimizer's loaded state."""

from __future__ import annotations

import collections
import copy
import io
import pickle

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _saved(mod, obj) -> io.BytesIO:
    buf = io.BytesIO()
    mod.save(obj, buf)
    buf.seek(0)
    return buf


def _error(fn):
    try:
        fn()
    except Exception as exc:  # (the class is what is compared)
        return exc
    raise AssertionError("no exception")


# ------------------------------------------------------------------------------ NumPy in checkpoints
def test_numpy_rng_state_in_a_checkpoint_saves_and_restores_as_torchs():
    """np.random.get_state() holds a uint32 array: pn.save refused it (TypeError), torch pickles it."""
    got = []
    for mod in (torch, pn):
        np.random.seed(7)
        ckpt = {"model": {"w": mod.ones(2)}, "epoch": 3, "np_rng": np.random.get_state()}
        buf = _saved(mod, ckpt)
        assert isinstance(_error(lambda: mod.load(buf)), pickle.UnpicklingError)  # weights-only refuses it
        buf.seek(0)
        back = mod.load(buf, weights_only=False)
        assert back["epoch"] == 3 and back["model"]["w"].tolist() == [1.0, 1.0]
        np.random.seed(0)
        np.random.set_state(back["np_rng"])
        got.append(np.random.rand(3))
    np.testing.assert_array_equal(got[0], got[1])


@pytest.mark.parametrize(
    "array",
    [
        np.array(["cat", "dog"]),  # a label encoder's classes_
        np.array([1, "a", None], dtype=object),
        np.arange(3, dtype=np.uint16),
        np.arange(3, dtype=np.uint64),
        np.ones(2, np.complex128),
        np.array(["2020-01-01"], dtype="datetime64[D]"),
    ],
    ids=lambda a: str(a.dtype),
)
def test_arrays_of_any_dtype_round_trip_with_weights_only_false(array):
    for mod in (torch, pn):
        buf = _saved(mod, {"classes": array, "w": mod.zeros(1)})
        assert isinstance(_error(lambda: mod.load(buf)), pickle.UnpicklingError)
        buf.seek(0)
        back = mod.load(buf, weights_only=False)["classes"]
        assert type(back) is np.ndarray and back.dtype == array.dtype and back.tolist() == array.tolist()


def test_allow_listed_globals_load_a_uint32_array_as_torchs():
    allowed = [np._core.multiarray._reconstruct, np.ndarray, np.dtype, type(np.dtype(np.uint32))]
    for mod in (torch, pn):
        buf = _saved(mod, {"u": np.arange(3, dtype=np.uint32)})
        with mod.serialization.safe_globals(allowed):
            back = mod.load(buf)["u"]
        assert back.dtype == np.uint32 and back.tolist() == [0, 1, 2]


# ------------------------------------------------------------------------------ map_location
NO_CUDA = not torch.cuda.is_available() and not pn.cuda.is_available()


@pytest.mark.skipif(not NO_CUDA, reason="a GPU is present: map_location='cuda' loads there")
@pytest.mark.parametrize("where", ["cuda", "cuda:0", "device", {"cpu": "cuda:0"}, "nonsense"])
def test_map_location_is_checked_only_when_a_tensor_is_placed(where):
    """torch checks map_location per storage: a file without tensors loads with any of these
    (pn.load refused a CUDA map_location before reading); one with a tensor raises torch's class."""
    for mod in (torch, pn):
        loc = mod.device("cuda") if where == "device" else where
        assert mod.load(_saved(mod, {"epoch": 3, "loss": 0.5}), map_location=loc) == {"epoch": 3, "loss": 0.5}
        exc = _error(lambda mod=mod, loc=loc: mod.load(_saved(mod, {"w": mod.ones(2)}), map_location=loc))
        assert isinstance(exc, RuntimeError), (mod.__name__, exc)
        if where != "nonsense":
            assert "torch.cuda.is_available() is False" in str(exc)


@pytest.mark.parametrize("where", [0, ["cpu"], "dict_of_device"])
def test_map_location_forms_torch_refuses_with_typeerror(where):
    """torch calls a map_location that is not a string, dict or device, and matches a dict's
    values as device names: a TypeError (pyneuro read 0 as cuda:0 and took the device)."""
    for mod in (torch, pn):
        loc = {"cpu": mod.device("cpu")} if where == "dict_of_device" else where
        exc = _error(lambda mod=mod, loc=loc: mod.load(_saved(mod, {"w": mod.ones(2)}), map_location=loc))
        assert type(exc) is TypeError, (mod.__name__, exc)
        assert mod.load(_saved(mod, [1, "a"]), map_location=loc) == [1, "a"]  # no tensor: never looked at


def test_a_map_location_callables_own_error_passes_unchanged():
    class Refused(Exception):
        pass

    def where(storage, location):
        raise Refused(location)

    for mod in (torch, pn):
        exc = _error(lambda mod=mod: mod.load(_saved(mod, {"w": mod.ones(2)}), map_location=where))
        assert type(exc) is Refused and exc.args == ("cpu",)


# ------------------------------------------------------------------------------ optimizer state
OPTIMIZERS = {
    "SGD": lambda o, p: o.SGD(p, lr=0.1, momentum=0.9),
    "Adam": lambda o, p: o.Adam(p, lr=0.01),
    "AdamW-amsgrad": lambda o, p: o.AdamW(p, lr=0.01, amsgrad=True),
    "RMSprop": lambda o, p: o.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    "Adagrad": lambda o, p: o.Adagrad(p, lr=0.1),
    "Adadelta": lambda o, p: o.Adadelta(p),
    "Adamax": lambda o, p: o.Adamax(p),
    "NAdam": lambda o, p: o.NAdam(p),
    "RAdam": lambda o, p: o.RAdam(p),
    "Rprop": lambda o, p: o.Rprop(p),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("shapes", [((2, 3), (3, 2)), ((2, 3), (2, 4)), ((6,), (2, 3))], ids=str)
def test_another_models_optimizer_state_loads_and_fails_at_the_step_that_uses_it(name, shapes):
    """torch's load_state_dict takes state of another shape; the step that updates such a
    parameter raises (RuntimeError), one whose parameter has no gradient (frozen) steps on.
    pn refused at load (a fine-tuning script with a frozen, reshaped layer failed there)."""
    saved, wanted = shapes
    for mod in (torch, pn):
        a = mod.nn.Parameter(mod.ones(*saved))
        opt = OPTIMIZERS[name](mod.optim, [a])
        a.grad = mod.ones_like(a)
        opt.step()
        state = opt.state_dict()
        frozen, other = mod.nn.Parameter(mod.ones(*wanted)), mod.nn.Parameter(mod.ones(2))
        again = OPTIMIZERS[name](mod.optim, [frozen, other])
        state2 = {"state": state["state"], "param_groups": [dict(state["param_groups"][0], params=[0, 1])]}
        again.load_state_dict(state2)
        other.grad = mod.ones(2)
        again.step()  # the frozen parameter is skipped, as its state is never read
        assert frozen.tolist() == mod.ones(*wanted).tolist()
        frozen.grad = mod.ones_like(frozen)
        exc = _error(again.step)
        assert isinstance(exc, RuntimeError), (mod.__name__, exc)
    assert frozen.tolist() == pn.ones(*wanted).tolist()  # (pn: refused before any update)


OLD_FORMAT = {
    "RMSprop": lambda o, p: o.RMSprop(p, lr=0.01),
    "RMSprop-momentum": lambda o, p: o.RMSprop(p, lr=0.01, momentum=0.5),
    "NAdam": lambda o, p: o.NAdam(p),
    "ASGD": lambda o, p: o.ASGD(p, lr=0.01, t0=1),
    "Adam": lambda o, p: o.Adam(p, lr=0.01),
    "Adagrad": lambda o, p: o.Adagrad(p, lr=0.1),
}
GROUP_KEYS_OLDER_TORCH_LACKS = ("foreach", "maximize", "capturable", "differentiable", "momentum", "centered")


def _older_torchs(state_dict: dict) -> dict:
    """state_dict as an older torch wrote it: numbers where tensors are now, fewer group keys."""
    state = {
        i: {k: v.item() if v.ndim == 0 else v for k, v in st.items()} for i, st in state_dict["state"].items()
    }
    groups = [
        {k: v for k, v in g.items() if k not in GROUP_KEYS_OLDER_TORCH_LACKS}
        for g in state_dict["param_groups"]
    ]
    return {"state": state, "param_groups": groups}


@pytest.mark.parametrize("name", OLD_FORMAT)
def test_an_older_torchs_optimizer_state_loads_and_steps_as_torchs(name):
    """torch's __setstate__ fills in RMSprop's momentum (0) and makes tensors of ASGD's eta and
    mu and NAdam's mu_product: pn stepped into KeyError 'momentum' / AttributeError on a float."""
    results = []
    for mod in (torch, pn):
        w = mod.nn.Parameter(mod.tensor([0.5, -1.0, 2.0]))
        opt = OLD_FORMAT[name](mod.optim, [w])
        for _ in range(2):
            w.grad = w.detach() * mod.tensor([1.0, 2.0, 3.0])
            opt.step()
        again = OLD_FORMAT[name](mod.optim, [w])
        again.load_state_dict(_older_torchs(opt.state_dict()))
        loaded = again.state_dict()
        assert sorted(loaded["param_groups"][0]) == sorted(opt.state_dict()["param_groups"][0])
        assert all(isinstance(v, mod.Tensor) for v in loaded["state"][0].values())
        w.grad = w.detach() * mod.tensor([1.0, 2.0, 3.0])
        again.step()
        results.append(w.tolist())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)


def test_lbfgs_loaded_groups_keep_what_they_have_and_its_state_prints_as_torchs():
    """torch's LBFGS has no __setstate__: a group without line_search_fn stays without it (KeyError
    at step), none gets 'differentiable'; its state's keys come in torch's order ("al" third)."""
    keys = []
    for mod in (torch, pn):
        w = mod.nn.Parameter(mod.tensor([0.5, -1.0, 2.0]))
        opt = mod.optim.LBFGS([w], max_iter=3)

        def closure(w=w, opt=opt):
            opt.zero_grad()
            loss = (w * w).sum()
            loss.backward()
            return loss

        opt.step(closure)
        keys.append(list(opt.state_dict()["state"][0]))
        sd = opt.state_dict()
        sd["param_groups"][0].pop("line_search_fn")
        again = mod.optim.LBFGS([w], max_iter=3)
        again.load_state_dict(sd)
        assert "line_search_fn" not in again.param_groups[0]
        assert "differentiable" not in again.param_groups[0]
        assert type(_error(lambda again=again, closure=closure: again.step(closure))) is KeyError
    assert keys[1] == keys[0]


def _with_scheduler_and_hook(mod):
    model = mod.nn.Linear(2, 1)
    opt = mod.optim.SGD(model.parameters(), lr=0.1)
    sched = mod.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
    opt.register_step_post_hook(lambda o, args, kwargs: None)  # (a lambda: not picklable)
    return model, opt, sched


def test_a_deep_copy_of_an_optimizer_with_a_scheduler_steps_its_own_parameters():
    """A scheduler wraps optimizer.step; the wrapper was copied with the optimizer and stepped the
    original: the copy's step() silently changed nothing. torch's copy keeps no wrapper, no hook."""
    for mod in (torch, pn):
        _, opt, _ = _with_scheduler_and_hook(mod)
        copied = copy.deepcopy(opt)
        assert "step" not in copied.__dict__ and not copied._optimizer_step_post_hooks
        w = copied.param_groups[0]["params"][0]
        w.grad = mod.ones_like(w)
        before = w.detach().clone()
        copied.step()
        np.testing.assert_allclose((before - w.detach()).tolist(), [[0.1, 0.1]], rtol=1e-5)


def test_a_checkpoint_of_whole_model_optimizer_and_scheduler_saves_and_resumes():
    """torch.save({"model": model, "optimizer": opt, "scheduler": sched}) raised PicklingError."""
    lrs = []
    for mod in (torch, pn):
        model, opt, sched = _with_scheduler_and_hook(mod)
        back = mod.load(
            _saved(mod, {"model": model, "optimizer": opt, "scheduler": sched}), weights_only=False
        )
        assert back["scheduler"].optimizer is back["optimizer"]
        assert back["optimizer"].param_groups[0]["params"][0] is back["model"].weight
        back["model"](mod.ones(1, 2)).sum().backward()
        back["optimizer"].step()
        back["scheduler"].step()
        lrs.append(back["optimizer"].param_groups[0]["lr"])
        again = pickle.loads(pickle.dumps(opt))
        assert sorted(again.state_dict()["param_groups"][0]) == sorted(opt.state_dict()["param_groups"][0])
    assert lrs[0] == lrs[1] == 0.05


def test_a_loaded_state_dicts_metadata_is_an_ordereddict_as_torchs():
    for mod in (torch, pn):
        back = mod.load(_saved(mod, mod.nn.Sequential(mod.nn.Linear(2, 2)).state_dict()))
        assert type(back._metadata) is collections.OrderedDict
        assert back._metadata == {"": {"version": 1}, "0": {"version": 1}}


def test_a_lazy_modules_state_dict_saves_before_its_first_forward():
    """Its UninitializedParameters have no values: torch pickles them (a weights-only load refuses
    them); pn.save raised RuntimeError "Can't call numpy() on Tensor that requires grad"."""
    for mod in (torch, pn):
        buf = _saved(mod, mod.nn.Sequential(mod.nn.LazyLinear(3)).state_dict())
        assert isinstance(_error(lambda buf=buf, mod=mod: mod.load(buf)), pickle.UnpicklingError)
        buf.seek(0)
        back = mod.load(buf, weights_only=False)
        assert [type(v).__name__ for v in back.values()] == ["UninitializedParameter"] * 2
        again = mod.nn.Sequential(mod.nn.LazyLinear(3))
        again.load_state_dict(back)
        assert again(mod.ones(2, 4)).shape == (2, 3)


def test_a_tensors_own_attributes_are_saved_as_torchs():
    """torch pickles a tensor's __dict__ with it (and a weights-only load restores plain values);
    pn.save stored the values alone and the attribute was gone after loading."""
    for mod in (torch, pn):
        t, p = mod.ones(2), mod.nn.Parameter(mod.zeros(1))
        t.note, p.no_decay = "hi", True
        back = mod.load(_saved(mod, {"t": t, "p": [p], "plain": mod.ones(1)}))
        assert back["t"].note == "hi" and back["t"].tolist() == [1.0, 1.0]
        assert type(back["p"][0]).__name__ == "Parameter" and back["p"][0].no_decay is True
        assert back["plain"].tolist() == [1.0]


@pytest.mark.skipif(not NO_CUDA, reason="a GPU is present: the CUDA generator's state is real")
def test_a_checkpoints_rng_states_save_and_restore_on_a_cpu_machine():
    """The usual resumable checkpoint: torch.cuda.get_rng_state_all() is [] without a GPU and
    torch.cuda.set_rng_state(_all) accept a saved state (pn: AttributeError, DeviceUnavailable)."""
    draws = []
    for mod in (torch, pn):
        mod.manual_seed(3)
        ckpt = {"cpu": mod.get_rng_state(), "cuda": mod.cuda.get_rng_state_all()}
        first = mod.rand(3).tolist()
        back = mod.load(_saved(mod, ckpt))
        assert back["cuda"] == []
        mod.set_rng_state(back["cpu"])
        mod.cuda.set_rng_state_all(back["cuda"])
        assert mod.cuda.set_rng_state(back["cpu"]) is None
        assert type(_error(lambda mod=mod: mod.cuda.set_rng_state([1, 2]))) is AttributeError
        assert mod.rand(3).tolist() == first
        draws.append(first)
    assert draws[0] == pytest.approx(draws[1])


# ------------------------------------------------------------------------------ torch.serialization's helpers
def test_serialization_settings_answer_and_refuse_as_torchs():
    """They were AttributeErrors; pn keeps the settings (its format has no use for them)."""
    for mod in (torch, pn):
        s = mod.serialization
        assert s.get_default_mmap_options() == 2 and s.get_crc32_options() is True
        assert s.get_default_load_endianness() is None
        with s.set_default_mmap_options(1):
            assert s.get_default_mmap_options() == 1
        assert s.get_default_mmap_options() == 2
        s.set_default_load_endianness(s.LoadEndianness.LITTLE)
        assert s.get_default_load_endianness() is s.LoadEndianness.LITTLE
        s.set_default_load_endianness(None)
        s.set_crc32_options(False)
        assert s.get_crc32_options() is False
        s.set_crc32_options(True)
        assert type(_error(lambda s=s: s.set_default_load_endianness("little"))) is TypeError
        assert type(_error(lambda s=s: s.set_default_mmap_options(5))) is ValueError
        t = mod.ones(2)
        assert s.location_tag(t) == "cpu"
        assert s.default_restore_location(t, "cpu") is t
        assert isinstance(_error(lambda s=s, t=t: s.default_restore_location(t, "nowhere")), RuntimeError)
        assert type(_error(lambda s=s, t=t: s.default_restore_location(t, 3))) is TypeError
        if NO_CUDA:
            assert isinstance(_error(lambda s=s: s.validate_cuda_device("cuda:0")), RuntimeError)

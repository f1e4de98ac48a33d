"""pyneuro.utils.tensorboard.SummaryWriter against torch.utils.tensorboard.SummaryWriter.

Each test makes the same calls with both writers into two temporary directories, reads both back
with tensorboard's EventAccumulator (and the projector's files as bytes) and compares what
TensorBoard would show: tags, steps, values, histogram buckets, image bytes and sizes, text,
hparams, PR curves, layouts and the sub-run directories. Wall times differ and are ignored.
`tensorboard` is in the `test` extra, so CI runs these.
"""

import glob
import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("tensorboard")
torch_tb = pytest.importorskip("torch.utils.tensorboard")

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader  # noqa: E402
from tensorboard.compat.proto.event_pb2 import Event  # noqa: E402
from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData  # noqa: E402

import pyneuro as pn  # noqa: E402
from pyneuro import nn as pnn  # noqa: E402
from pyneuro.utils.tensorboard import SummaryWriter  # noqa: E402

_ALL = {k: 0 for k in ("scalars", "images", "histograms", "tensors", "compressedHistograms", "audio")}


def _read(root):
    """Everything TensorBoard would show from the runs under `root`, wall times left out."""
    out = {}
    runs = sorted(
        {os.path.dirname(p) for p in glob.glob(os.path.join(root, "**", "events.*"), recursive=True)}
    )
    for run in runs:
        ea = EventAccumulator(run, size_guidance=_ALL)
        ea.Reload()
        rel = os.path.relpath(run, root)
        tags = ea.Tags()
        for tag in tags["scalars"]:
            out[rel, "scalar", tag] = [(e.step, e.value) for e in ea.Scalars(tag)]
        for tag in tags["histograms"]:
            out[rel, "histogram", tag] = [(e.step, e.histogram_value) for e in ea.Histograms(tag)]
        for tag in tags["images"]:
            out[rel, "image", tag] = [
                (e.step, e.width, e.height, e.encoded_image_string) for e in ea.Images(tag)
            ]
        for tag in tags["audio"]:
            out[rel, "audio", tag] = [(e.step, e.encoded_audio_string, e.sample_rate) for e in ea.Audio(tag)]
        for tag in tags["tensors"]:
            out[rel, "tensor", tag] = [(e.step, e.tensor_proto) for e in ea.Tensors(tag)]
        for tag, meta in ea.summary_metadata.items():
            if meta.plugin_data.plugin_name == "hparams":  # a map field: compare parsed, not bytes
                out[rel, "hparams", tag] = HParamsPluginData.FromString(meta.plugin_data.content)
            else:
                out[rel, "metadata", tag] = meta
        out[rel, "graph"] = tags["graph"]
    for path in sorted(glob.glob(os.path.join(root, "**", "*"), recursive=True)):
        if os.path.isfile(path) and "events.out.tfevents" not in path:
            with open(path, "rb") as f:
                out["file", os.path.relpath(path, root)] = f.read()
    return out


def _same(tmp_path, log, **writer_kwargs):
    """Run log(lib, writer) with torch's and with pyneuro's SummaryWriter; both read back equal."""
    results = []
    for name, lib, writer_class in (("torch", torch, torch_tb.SummaryWriter), ("pyneuro", pn, SummaryWriter)):
        root = str(tmp_path / name)
        with writer_class(root, **writer_kwargs) as w:
            log(lib, w)
        results.append(_read(root))
    expected, got = results
    assert sorted(got, key=str) == sorted(expected, key=str)
    for key, value in expected.items():
        assert got[key] == value or repr(got[key]) == repr(value), key  # repr: NaN equals NaN
    return got


def _rand(lib, *shape, seed=0, dtype=np.float32):
    return lib.tensor(np.random.RandomState(seed).rand(*shape).astype(dtype))


def test_scalars_every_input_kind_and_style(tmp_path):
    def log(lib, w):
        for i in range(3):
            w.add_scalar("loss", lib.tensor(0.5 + i), i)  # a 0-d tensor
            w.add_scalar("Loss/train", 1.0 / (i + 1), global_step=lib.tensor(i))  # a tensor step
            w.add_scalar("acc", lib.tensor([0.25 * i]), i, new_style=True)  # a one-element tensor
            w.add_scalar("third", np.float64(1 / 3), np.int64(i), new_style=True, double_precision=True)
            w.add_scalar("np", np.array([[2.5]]), i)
            w.add_scalar("int", 7, i)
        w.add_scalar("nostep", 1.5)
        w.add_scalar("walltime", 2.5, 4, walltime=123.0)
        w.add_scalar("nan", float("nan"), 0)
        w.add_scalar("inf", float("-inf"), 0)
        w.add_scalar("grad", lib.tensor(3.0, requires_grad=True) * 2, 0)

    got = _same(tmp_path, log)
    assert got[".", "scalar", "loss"] == [(0, 0.5), (1, 1.5), (2, 2.5)]


def test_add_scalars_writes_one_sub_run_per_tag(tmp_path):
    def log(lib, w):
        for i in range(2):
            w.add_scalars("run_14h", {"xsinx": i * np.sin(i), "xcosx": lib.tensor(float(i))}, i)
            w.add_scalars("a/b", {"tanx": 0.5}, i)
        w.add_scalar("main", 1.0, 0)

    got = _same(tmp_path, log)
    runs = {key[0] for key in got if key[0] != "file"}
    assert runs == {".", "run_14h_xsinx", "run_14h_xcosx", "a_b_tanx"}
    assert got["run_14h_xcosx", "scalar", "run_14h"] == [(0, 0.0), (1, 1.0)]


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"bins": "auto"}, {"bins": "fd"}, {"bins": "sqrt"}, {"bins": 30}, {"bins": 50, "max_bins": 7}],
)
def test_histogram_buckets(tmp_path, kwargs):
    values = np.random.RandomState(0).randn(200).astype(np.float32)

    def log(lib, w):
        w.add_histogram("weights", lib.tensor(values), 1, **kwargs)
        w.add_histogram("np", values.astype(np.float64) * 3, 2, **kwargs)
        w.add_histogram("ints", lib.tensor(np.arange(10)), 3, **kwargs)
        w.add_histogram("one", lib.tensor([0.0]), 4, **kwargs)

    _same(tmp_path, log)


def test_histogram_raw_and_model_parameters(tmp_path):
    def log(lib, w):
        lib.manual_seed(0)
        w.add_histogram_raw("raw", 0, 10, 5, 20, 100, [1, 5, 10], [1, 2, 2], global_step=3)
        w.add_histogram_raw("raw_np", -1.0, 1.0, 4, 0.0, 2.0, np.array([0.0, 1.0]), np.array([2, 2]), 0)
        for name, p in lib.nn.Linear(4, 3).named_parameters():
            w.add_histogram(name, p.detach() * 0 + lib.arange(p.numel()).reshape(p.shape).float(), 0)

    _same(tmp_path, log)


@pytest.mark.parametrize(
    ("shape", "dataformats"), [((3, 8, 10), "CHW"), ((8, 10, 3), "HWC"), ((8, 10), "HW"), ((1, 8, 10), "CHW")]
)
def test_image_layouts_float_and_uint8(tmp_path, shape, dataformats):
    def log(lib, w):
        img = _rand(lib, *shape, seed=1)
        w.add_image("float", img, 0, dataformats=dataformats)
        w.add_image("float64", img.double(), 1, dataformats=dataformats)
        w.add_image("uint8", (img * 255).to(lib.uint8), 2, dataformats=dataformats)
        w.add_image("clipped", img * 4 - 2, 3, dataformats=dataformats)  # outside [0, 1]: clipped
        w.add_image("numpy", img.numpy(), 4, dataformats=dataformats)
        w.add_image("lower", img, 5, dataformats=dataformats.lower())

    _same(tmp_path, log)


@pytest.mark.parametrize(
    ("shape", "dataformats"), [((5, 1, 4, 6), "NCHW"), ((10, 4, 6, 3), "NHWC"), ((3, 3, 4, 6), "NCHW")]
)
def test_add_images_grid(tmp_path, shape, dataformats):
    def log(lib, w):
        w.add_images("batch", _rand(lib, *shape, seed=2), 0, dataformats=dataformats)
        w.add_images("batch_u8", (_rand(lib, *shape, seed=3) * 255).to(lib.uint8), 1, dataformats=dataformats)

    _same(tmp_path, log)


def test_image_with_boxes_and_figure(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def log(lib, w):
        img = _rand(lib, 3, 20, 30, seed=4)
        boxes = lib.tensor([[2.0, 3.0, 10.0, 12.0], [5.0, 5.0, 25.0, 18.0]])
        w.add_image_with_boxes("boxes", img, boxes, 0)
        w.add_image_with_boxes("labelled", img, boxes, 1, labels=["a", "b"])
        fig = plt.figure(figsize=(2, 1.5), dpi=50)
        plt.plot([0, 1, 2], [1, 0, 1])
        w.add_figure("figure", fig, 0)
        assert not plt.fignum_exists(fig.number)  # closed, as torch's closes it
        figs = [plt.figure(figsize=(1, 1), dpi=40) for _ in range(2)]
        w.add_figure("figures", figs, 1, close=False)
        assert plt.fignum_exists(figs[0].number)
        plt.close("all")

    _same(tmp_path, log)


def test_text_audio_tensor_and_custom_scalars(tmp_path):
    def log(lib, w):
        w.add_text("note", "hello **world**", 4)
        w.add_text("lr", "éü 0.1", global_step=5)
        w.add_audio("tone", lib.sin(lib.arange(800).float() / 10.0), 0, sample_rate=8000)
        w.add_tensor("t", lib.arange(6).reshape(2, 3).float(), 0)
        w.add_tensor("i", lib.arange(4), 1)
        w.add_custom_scalars(
            {
                "Taiwan": {"twse": ["Multiline", ["twse/0050", "twse/2330"]]},
                "USA": {"dow": ["Margin", ["dow/aaa", "dow/bbb", "dow/ccc"]]},
            }
        )
        w.add_custom_scalars_multilinechart(["loss/train", "loss/test"], title="losses")
        w.add_custom_scalars_marginchart(["m", "lo", "hi"], category="c")

    _same(tmp_path, log)


def test_hparams_sub_run(tmp_path):
    def log(lib, w):
        w.add_hparams(
            {"lr": 0.1, "bsize": 16, "opt": "sgd", "flag": True, "skipped": None, "t": lib.tensor([0.5])},
            {"hparam/accuracy": 0.9, "hparam/loss": lib.tensor(0.25)},
            hparam_domain_discrete={"opt": ["sgd", "adam"], "bsize": [16, 32]},
            run_name="trial",
        )
        w.add_hparams({"lr": 0.01}, {"hparam/accuracy": 0.5}, run_name="second", global_step=3)

    got = _same(tmp_path, log)
    assert ("trial", "scalar", "hparam/accuracy") in got


def test_pr_curves(tmp_path):
    labels = np.random.RandomState(0).randint(2, size=100)
    predictions = np.random.RandomState(1).rand(100).astype(np.float32)

    def log(lib, w):
        w.add_pr_curve("pr", lib.tensor(labels), lib.tensor(predictions), 0)
        w.add_pr_curve("pr_np", labels, predictions, 1, num_thresholds=10)
        w.add_pr_curve(
            "pr_many", lib.tensor(labels), lib.tensor(predictions), 2, num_thresholds=500, weights=0.5
        )
        tp, fp, tn, fn = [np.arange(5, dtype=np.float64) + k for k in range(4)]
        w.add_pr_curve_raw("raw", tp, fp, tn, fn, tp / (tp + fp), tp / (tp + fn), 0, num_thresholds=5)

    _same(tmp_path, log)


def test_mesh(tmp_path):
    vertices = [[[1.0, 1.0, 1.0], [-1.0, -1.0, 1.0], [1.0, -1.0, -1.0], [-1.0, 1.0, -1.0]]]
    colors = [[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 0, 255]]]
    faces = [[[0, 2, 3], [0, 3, 1], [0, 1, 2], [1, 3, 2]]]

    def log(lib, w):
        w.add_mesh(
            "mesh", lib.tensor(vertices), colors=lib.tensor(colors), faces=lib.tensor(faces), global_step=0
        )
        w.add_mesh("cloud", lib.tensor(vertices), config_dict={"camera": {"fov": 75}}, global_step=1)

    _same(tmp_path, log)


def test_embedding_projector_files(tmp_path):
    def log(lib, w):
        mat = _rand(lib, 6, 4, seed=5)
        w.add_embedding(
            mat, metadata=[3, 1, 4, 1, 5, 9], label_img=_rand(lib, 6, 1, 5, 5, seed=6), global_step=1
        )
        w.add_embedding(
            mat.numpy().astype(np.float64),
            metadata=[["a", 1], ["b", 2], ["c", 3], ["d", 4], ["e", 5], ["f", 6]],
            metadata_header=["name", "n"],
            tag="with/slash%",
        )
        w.add_embedding(mat, label_img=_rand(lib, 6, 3, 4, 4, seed=7), tag="rgb", global_step=2)

    got = _same(tmp_path, log)
    files = {key[1] for key in got if key[0] == "file"}
    assert files == {
        "projector_config.pbtxt",
        "00001/default/tensors.tsv",
        "00001/default/metadata.tsv",
        "00001/default/sprite.png",
        "00000/with%2fslash%25/tensors.tsv",
        "00000/with%2fslash%25/metadata.tsv",
        "00002/rgb/tensors.tsv",
        "00002/rgb/sprite.png",
    }


def test_events_file_layout_purge_step_and_reopen(tmp_path):
    """filename_suffix, purge_step's two events, reopening after close: the event files hold the
    same events (wall times aside) for both writers."""

    def events(root):
        out = []
        for path in sorted(glob.glob(os.path.join(root, "events.out.tfevents.*"))):
            assert path.endswith(".v1")
            for e in EventFileLoader(path).Load():
                e.wall_time = 0
                out.append(e.SerializeToString())
        return out

    results = []
    for name, lib, writer_class in (("torch", torch, torch_tb.SummaryWriter), ("pyneuro", pn, SummaryWriter)):
        root = str(tmp_path / name)
        w = writer_class(root, purge_step=5, filename_suffix=".v1", max_queue=2, flush_secs=1)
        assert w.get_logdir() == root
        w.add_scalar("x", lib.tensor(1.0), 5)
        w.flush()
        w.close()
        w.close()  # a second close does nothing
        w.add_scalar("x", 2.0, 6)  # reopens a new event file
        w.close()
        results.append(events(root))
    assert results[1] == results[0]
    purge = Event.FromString(results[1][2])  # after the file's and the purge's file_version events
    assert purge.step == 5 and purge.session_log.status == purge.session_log.START


def test_default_log_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1")
    ref = torch_tb.SummaryWriter(comment="_lr0.1")
    w.close()
    ref.close()
    assert os.path.dirname(w.get_logdir()) == "runs"
    assert w.get_logdir().endswith("_lr0.1")
    assert w.get_logdir().split("_")[-2:] == ref.get_logdir().split("_")[-2:]  # host and comment
    assert os.path.isdir(w.get_logdir())
    assert SummaryWriter(log_dir="").get_logdir().startswith("runs")  # an empty log_dir is the default too


def _Dict(lib):
    class Dict(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(3, 2)

        def forward(self, x):
            return {"out": self.fc(x)}

    return Dict()


def _outcome(call):
    try:
        call()
    except Exception as e:
        return type(e)
    return None


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, w: w.add_scalar("x", lib.tensor([1.0, 2.0]), 0),
        lambda lib, w: w.add_scalar("x", [1.0], 0),
        lambda lib, w: w.add_scalar("x", "abc", 0),
        lambda lib, w: w.add_scalar("x", None, 0),
        lambda lib, w: w.add_histogram("h", lib.tensor([]), 0),
        lambda lib, w: w.add_histogram("h", [1.0, 2.0], 0),
        lambda lib, w: w.add_histogram_raw("h", 0, 1, 2, 1, 1, [1, 2], [1], 0),
        lambda lib, w: w.add_image("i", lib.rand(3, 4), 0),
        lambda lib, w: w.add_image("i", lib.rand(3, 4, 4), 0, dataformats="CCH"),
        lambda lib, w: w.add_images("i", lib.rand(2, 2, 4, 4), 0),
        lambda lib, w: w.add_text("t", 5, 0),
        lambda lib, w: w.add_hparams([("lr", 0.1)], {}),
        lambda lib, w: w.add_hparams({"lr": [0.1]}, {}),
        lambda lib, w: w.add_hparams({"lr": 0.1}, {}, hparam_domain_discrete={"lr": [1]}),
        lambda lib, w: w.add_hparams({"lr": lib.tensor(0.1)}, {}),
        lambda lib, w: w.add_embedding(lib.rand(3, 2), metadata=["a"]),
        lambda lib, w: w.add_embedding(lib.rand(3), tag="flat"),
        lambda lib, w: w.add_custom_scalars_marginchart(["a", "b"]),
        lambda lib, w: w.add_scalars("m", {"a": lib.tensor([1.0, 2.0])}, 0),
        lambda lib, w: w.add_mesh("m", lib.zeros(4, 3), global_step=0),
        lambda lib, w: w.add_histogram("h", lib.tensor([1.0, float("nan")]), 0, bins="auto"),
        lambda lib, w: w.add_histogram("h", lib.tensor([1.0]), 0, bins="nope"),
        lambda lib, w: w.add_image("i", lib.zeros(3, 0, 4), 0),
        lambda lib, w: w.add_audio("a", lib.zeros(2, 10), 0),
        lambda lib, w: w.add_hparams({"a": 1}, {"m": "x"}, run_name="r"),
        lambda lib, w: w.add_scalar("s", 1.0, "x"),
        lambda lib, w: w.add_graph(lib.nn.Linear(3, 2), None),
        lambda lib, w: w.add_onnx_graph("no_such_model.onnx"),  # no onnx package, or no such file
        lambda lib, w: w.add_graph(_Dict(lib), lib.ones(1, 3)),
    ],
)
def test_errors_match_torch(tmp_path, call):
    expected = _outcome(lambda: call(torch, torch_tb.SummaryWriter(str(tmp_path / "torch"))))
    got = _outcome(lambda: call(pn, SummaryWriter(str(tmp_path / "pyneuro"))))
    assert expected is not None
    assert got is expected


class _Net(pnn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = pnn.Conv2d(1, 2, 3)
        self.fc = pnn.Linear(8, 3)
        self.seq = pnn.Sequential(pnn.ReLU(), pnn.Linear(3, 2))

    def forward(self, x):
        x = pn.nn.functional.max_pool2d(pn.relu(self.conv1(x)), 2)
        x = x.view(x.size(0), -1)
        x.add_(0)  # in place on an intermediate: still recorded
        return self.seq(self.fc(x))


def _graph_nodes(root):
    ea = EventAccumulator(root)
    ea.Reload()
    assert ea.Tags()["run_metadata"] == ["step1"]
    return {n.name: n for n in ea.Graph().node}


def _shape(node):
    return [d.size for d in node.attr["_output_shapes"].list.shape[0].dim]


def test_add_graph_records_ops_in_module_scopes(tmp_path):
    model = _Net()
    model.train()
    with SummaryWriter(str(tmp_path)) as w, pn.no_grad():
        w.add_graph(model, pn.randn(2, 1, 6, 6))
    assert model.training  # put back after the eval-mode pass
    nodes = _graph_nodes(str(tmp_path))
    assert _shape(nodes["input/x"]) == [2, 1, 6, 6] and nodes["input/x"].op == "IO Node"
    out = nodes["output/output.1"]
    assert _shape(out) == [2, 2]
    assert (
        out.input[0].startswith("_Net/Sequential[seq]/Linear[1]/") and nodes[out.input[0]].op == "aten::addmm"
    )
    conv = next(n for n in nodes.values() if n.op == "aten::convolution")
    assert conv.name.startswith("_Net/Conv2d[conv1]/")
    assert set(conv.input) == {"input/x", "_Net/Conv2d[conv1]/weight/weight", "_Net/Conv2d[conv1]/bias/bias"}
    assert _shape(nodes["_Net/Linear[fc]/weight/weight"]) == [3, 8]
    relu_inner = [n.name for n in nodes.values() if n.op == "aten::relu"]
    assert any(name.startswith("_Net/Sequential[seq]/ReLU[0]/") for name in relu_inner)
    assert any(name.startswith("_Net/relu") for name in relu_inner)  # the functional relu is the Net's own
    fc = next(n for n in nodes.values() if n.name.startswith("_Net/Linear[fc]/addmm"))
    fed = [i for i in fc.input if "weight" not in i and "bias" not in i]
    assert (
        len(fed) == 1 and fed[0].startswith("_Net/") and _shape(nodes[fed[0]]) == [2, 8]
    )  # a module's input
    # every input of every node is a node (TensorBoard draws the edges)
    assert all(i in nodes for n in nodes.values() for i in n.input)


def test_add_graph_scopes_match_torch(tmp_path):
    class TNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(1, 2, 3)
            self.fc = torch.nn.Linear(8, 3)
            self.seq = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(3, 2))

        def forward(self, x):
            x = torch.nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
            return self.seq(self.fc(x.view(x.size(0), -1)))

    with torch_tb.SummaryWriter(str(tmp_path / "torch")) as w:
        w.add_graph(TNet(), torch.randn(2, 1, 6, 6))
    with SummaryWriter(str(tmp_path / "pyneuro")) as w:
        w.add_graph(_Net(), (pn.randn(2, 1, 6, 6),))

    def scopes(nodes):  # below the root (the class names differ)
        return {
            n.name.rsplit("/", 1)[0].partition("/")[2] for n in nodes.values() if n.op.startswith("aten::")
        }

    def params(nodes):
        return {n.name.rsplit("/", 1)[0].partition("/")[2] for n in nodes.values() if n.op == "prim::GetAttr"}

    expected, got = _graph_nodes(str(tmp_path / "torch")), _graph_nodes(str(tmp_path / "pyneuro"))
    assert scopes(got) == scopes(expected)
    assert params(got) == params(expected)
    assert _shape(got["output/output.1"]) == _shape(expected["output/output.1"])


def test_add_graph_tuple_outputs_int_inputs_and_plain_functions(tmp_path):
    class Tagger(pnn.Module):
        def __init__(self):
            super().__init__()
            self.emb = pnn.Embedding(10, 4)
            self.lstm = pnn.LSTM(4, 3, batch_first=True)

        def forward(self, tokens, scale):
            out, (h, c) = self.lstm(self.emb(tokens) * scale)
            return out, h

    with SummaryWriter(str(tmp_path)) as w:
        w.add_graph(Tagger(), (pn.tensor([[1, 2, 3]]), pn.tensor(2.0)))
    nodes = _graph_nodes(str(tmp_path))
    assert {"input/scale", "output/output.1", "output/output.2"} <= set(nodes)
    assert _shape(nodes["output/output.1"]) == [1, 3, 3] and _shape(nodes["output/output.2"]) == [1, 1, 3]
    assert any(n.startswith("Tagger/Embedding[emb]/") and nodes[n].op == "aten::embedding" for n in nodes)
    assert any(n.startswith("Tagger/LSTM[lstm]/") for n in nodes)
    with SummaryWriter(str(tmp_path / "hidden")) as w:  # a tuple argument: (h0, c0)
        w.add_graph(pnn.LSTM(3, 4), (pn.randn(5, 2, 3), (pn.zeros(1, 2, 4), pn.zeros(1, 2, 4))))
    nodes = _graph_nodes(str(tmp_path / "hidden"))
    assert _shape(nodes["input/hx.1"]) == [1, 2, 4] and sum("output/" in n for n in nodes) == 3
    assert any("input/hx.0" in n.input for n in nodes.values())
    with SummaryWriter(str(tmp_path / "int")) as w:
        w.add_graph(pnn.Embedding(5, 2), [pn.tensor([1, 2])])  # a list of arguments, as torch.jit.trace
    nodes = _graph_nodes(str(tmp_path / "int"))
    assert nodes["input/input"].op == "IO Node" and _shape(nodes["input/input"]) == [
        2
    ]  # an integer input too
    with SummaryWriter(str(tmp_path / "dict")) as w:
        w.add_graph(_Dict(pn), pn.ones(1, 3), use_strict_trace=False)  # a dict output is allowed then
    assert (
        _graph_nodes(str(tmp_path / "dict"))["output/output.1"].input[0].startswith("Dict/Linear[fc]/addmm")
    )
    with pytest.raises(TypeError):  # the forward's own error, as torch's trace lets it through
        with SummaryWriter(str(tmp_path / "bad")) as w:
            w.add_graph(Tagger(), pn.tensor([[1]]))


def test_add_graph_in_place_on_the_input_frozen_parameters_and_functions(tmp_path):
    class Shift(pnn.Module):
        def __init__(self):
            super().__init__()
            self.fc = pnn.Linear(3, 3)

        def forward(self, x):
            x += 1  # in place on the input itself (fine under torch's trace; a leaf would refuse it)
            return self.fc(x).relu_()

    x = pn.zeros(2, 3)
    frozen = pnn.Sequential(pnn.Linear(3, 4), pnn.Tanh())
    frozen.requires_grad_(False)
    for name, model in (("shift", Shift()), ("frozen", frozen), ("function", lambda a: a * 2 + 1)):
        with SummaryWriter(str(tmp_path / name)) as w:
            w.add_graph(model, x)
    assert x.sum().item() == 0.0  # the model ran on a copy of the input
    shift = _graph_nodes(str(tmp_path / "shift"))
    add = next(n for n in shift.values() if n.op == "aten::add")
    assert add.name.startswith("Shift/") and list(add.input) == ["input/x"]
    assert any(n.startswith("Shift/Linear[fc]/addmm") for n in shift)
    frozen_nodes = _graph_nodes(str(tmp_path / "frozen"))  # no parameter nodes, the ops still in scope
    assert any(n.startswith("Sequential/Tanh[1]/tanh") for n in frozen_nodes)
    function = _graph_nodes(str(tmp_path / "function"))
    assert [n.op for n in function.values()] == ["IO Node", "aten::mul", "aten::add", "IO Node"]


@pytest.mark.parametrize(
    ("fake", "expected"),
    [
        ("None", "ModuleNotFoundError"),  # not installed: torch's `import tensorboard` fails the same way
        (
            "types.SimpleNamespace(__version__='1.14.0')",
            "TensorBoard logging requires TensorBoard version 1.15 or above",
        ),
        ("types.SimpleNamespace()", "TensorBoard logging requires TensorBoard version 1.15 or above"),
    ],
)
def test_import_without_a_recent_tensorboard_is_import_error(fake, expected):
    code = (
        f"import sys, types; sys.modules['tensorboard'] = {fake}\n"
        "try:\n    import pyneuro.utils.tensorboard\n"
        "except ImportError as e:\n    print(type(e).__name__ if type(e) is not ImportError else e)\n"
        "import pyneuro, pyneuro.utils; print(pyneuro.tensor([1.0]).sum().item())\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.stdout.splitlines() == [expected, "1.0"], out.stderr


def test_tensorboard_version_parsing():
    from pyneuro.utils.tensorboard._requirement import version_tuple

    assert version_tuple("2.21.0") == (2, 21) and version_tuple("1.15.0a1") == (1, 15)
    assert version_tuple("1.14.0") < (1, 15) <= version_tuple("1.15") < version_tuple("10.0")

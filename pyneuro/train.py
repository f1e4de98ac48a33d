"""`pyneuro train`: train an MLP or a small ConvNet classifier on 28x28 images, report every epoch.

    pyneuro train                                   # bundled MNIST sample, well under a minute
    pyneuro train --data fashion-mnist --epochs 10  # ~88-89% test accuracy
    pyneuro train --model cnn --data fashion-mnist --epochs 3   # the ConvNet: >= 90% in 3 epochs
    pyneuro train --epochs 1 --save ck.safetensors && pyneuro train --resume ck.safetensors --epochs 3

The loop is the one the course teaches, written with pyneuro's PyTorch-shaped API:

    for x, y in train_loader:
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(); loss.backward(); optimizer.step()

Reproducible: the seed fixes the initial weights (pn.manual_seed) and the shuffle order (a
pn.Generator owned by the train loader); the same arguments give the same metrics on the
same machine and backend. A checkpoint (--save, after every epoch, written atomically by
pn.save as a safetensors file: safetensors.torch.load_file reads it) holds the model, the
optimizer state, both generators' states, the epoch, the arguments and the metrics so far, so
`--resume` continues exactly where the run stopped: 1 epoch then a resume to 3 gives the
metrics of 3 epochs run straight. The checkpoint is written before the epoch's metrics line,
and a resumed run first rewrites --metrics to the checkpoint's epochs, so a run killed at any
moment never repeats or loses an epoch in the metrics.

Each epoch prints one line (train loss, test loss, test accuracy, seconds, samples/s) and,
with --metrics, writes one JSON object: epoch, train_loss (mean over the epoch's batches,
weighted by batch size), test_loss, test_accuracy (0-1), seconds (training + evaluation),
train_seconds, samples_per_s (training samples / train_seconds), data, model, optimizer,
device, backend.

Bad arguments (including a checkpoint that cannot be read or holds invalid settings, a model
too large for the memory available, an output path that is a folder or cannot be written)
exit with status 2 and one line on stderr (no traceback), before any data is loaded or any
training starts. Bad data (a corrupt dataset file) and a failed write exit with status 1 and
one line; a dataset that is not on this machine (and cannot be downloaded) exits with status
1 and says where to get it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import time
from pathlib import Path

IMAGE_FEATURES = 28 * 28
NUM_CLASSES = 10
EVAL_BATCH = 1000
MAX_TRAIN_IMAGES = 60_000  # the largest training split of the datasets here (MNIST, Fashion-MNIST)
DEFAULT_LR = {"adam": 1e-3, "sgd": 0.05}
OPTIMIZERS = tuple(DEFAULT_LR)
# Arguments that define the training run: a resumed run takes them from the checkpoint.
RUN_ARGS = ("data", "model", "batch_size", "lr", "optimizer", "momentum", "weight_decay", "seed")
DEFAULTS = {
    "data": "mnist-sample",
    "model": "784-256-128-10",
    "batch_size": 64,
    "lr": None,
    "optimizer": "adam",
    "momentum": 0.9,
    "weight_decay": 0.0,
    "seed": 0,
}
DEFAULT_EPOCHS = 5
CNN = "cnn"  # --model cnn: build_cnn's ConvNet instead of an MLP


class UsageError(Exception):
    """A bad command line: reported as one line on stderr, exit status 2."""


class DataError(Exception):
    """Bad data or a failed write: reported as one line on stderr, exit status 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print usage + exit; we want one line
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="pyneuro train",
        description="Train an MLP or a ConvNet classifier on 28x28 images (MNIST sample, MNIST, Fashion-MNIST).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  pyneuro train                                    # bundled MNIST sample, seconds\n"
        "  pyneuro train --data fashion-mnist --epochs 10   # about 88% test accuracy\n"
        "  pyneuro train --model cnn --data fashion-mnist --epochs 3   # the ConvNet, about 90%\n"
        "  pyneuro train --epochs 2 --save ck.safetensors && pyneuro train --resume ck.safetensors --epochs 5\n"
        "  pyneuro train --optimizer sgd --lr 0.05 --momentum 0.9 --metrics m.jsonl --plot curves.png",
    )
    # Run-defining arguments default to None so a resume can tell "given" from "default".
    p.add_argument(
        "--data", metavar="NAME", help="dataset: mnist-sample (bundled, default), mnist, fashion-mnist"
    )
    p.add_argument(
        "--model",
        metavar="SIZES",
        help="MLP layer sizes, input to output (default 784-256-128-10), or 'cnn' for the small ConvNet",
    )
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        metavar="N",
        help=f"total epochs to train (default {DEFAULT_EPOCHS})",
    )
    p.add_argument("--batch-size", type=int, metavar="B", help="training batch size (default 64)")
    p.add_argument("--lr", type=float, help="learning rate (default 1e-3 for adam, 0.05 for sgd)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, help="optimizer (default adam)")
    p.add_argument("--momentum", type=float, metavar="M", help="SGD momentum (default 0.9; ignored by adam)")
    p.add_argument("--weight-decay", type=float, metavar="W", help="L2 weight decay (default 0)")
    p.add_argument(
        "--seed", type=int, metavar="S", help="seed for the initial weights and the shuffle order (default 0)"
    )
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="where to train (default cpu)")
    p.add_argument(
        "--backend", metavar="NAME", help="kernel backend for the device, e.g. cpu, numba, numpy, cuda, cupy"
    )
    p.add_argument(
        "--metrics",
        metavar="PATH",
        help="write one JSON object per epoch to PATH (JSON lines; --resume "
        "rewrites the checkpoint's epochs, then appends)",
    )
    p.add_argument(
        "--save",
        metavar="PATH",
        help="write a checkpoint to PATH after every epoch (a safetensors file, e.g. ck.safetensors)",
    )
    p.add_argument("--resume", metavar="PATH", help="continue training from a checkpoint")
    p.add_argument("--plot", metavar="PATH", help="draw loss and accuracy curves to a PNG (needs matplotlib)")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no per-epoch lines")
    return p


# ------------------------------------------------------------------------------ argument checks
def parse_model(spec: str, classes: int = NUM_CLASSES) -> list[int] | None:
    """'784-256-128-10' -> [784, 256, 128, 10] ('cnn' -> None); UsageError when it does not parse or fit."""
    if spec == CNN:
        return None
    parts = str(spec).split("-")
    try:
        sizes = [int(s) for s in parts]
    except ValueError:
        raise UsageError(
            f"--model {spec!r} does not parse: expected layer sizes like 784-256-128-10, or cnn"
        ) from None
    if len(sizes) < 2 or any(s <= 0 for s in sizes):
        raise UsageError(f"--model {spec!r}: need at least an input and an output size, all positive")
    if sizes[0] != IMAGE_FEATURES:
        raise UsageError(
            f"--model {spec!r}: the first size must be {IMAGE_FEATURES} (28x28 pixels), got {sizes[0]}"
        )
    if sizes[-1] != classes:
        raise UsageError(
            f"--model {spec!r}: the last size must be the number of classes ({classes}), got {sizes[-1]}"
        )
    return sizes


def training_bytes(sizes: list[int], batch_size: int) -> int:
    """A lower bound of the memory training needs: float32 weights, their gradients and two
    optimizer buffers (Adam's moments; SGD's momentum is one), plus a batch's activations and
    their gradients for every layer."""
    params = sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(sizes))
    batch = min(batch_size, MAX_TRAIN_IMAGES)  # a batch never holds more than the whole training set
    return 4 * (4 * params + 2 * batch * sum(sizes) + EVAL_BATCH * max(sizes))


def check_fits(sizes: list[int], batch_size: int, spec: str) -> None:
    """UsageError when the model cannot fit in the memory available (checked before building it)."""
    from pyneuro._memory import available_bytes, gib

    need, free = training_bytes(sizes, batch_size), available_bytes()
    if free is not None and need > free:
        params = sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(sizes))
        raise UsageError(
            f"--model {spec}: {params:,} parameters need at least {gib(need)} to train "
            f"(weights, gradients, optimizer state), only {gib(free)} of memory is available"
        )


def _finite(name: str, value: float, low: float = 0.0, strict: bool = False) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value) or value < low or (strict and value == low):
        bound = f"> {low:g}" if strict else f">= {low:g}"
        raise UsageError(f"{name} must be a finite number {bound}, got {value}")


def _integer(name: str, value, low: int, high: int | None = None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{name} must be an integer, got {value!r}")
    if value < low:
        raise UsageError(f"{name} must be {'a positive integer' if low == 1 else f'>= {low}'}, got {value}")
    if high is not None and value > high:
        raise UsageError(f"{name} must be <= {high}, got {value}")


def check_run_args(values: dict, prefix: str = "") -> None:
    """Check the run-defining values (command line or a checkpoint's); UsageError naming the flag.

    None means "not given" (filled with a default later). `prefix` says where the values
    came from in the message (e.g. "--resume ck.safetensors: the checkpoint's ")."""
    from pyneuro import datasets

    _integer(prefix + "--batch-size", values.get("batch_size"), 1)
    _finite(prefix + "--lr", values.get("lr"), strict=True)
    _finite(prefix + "--momentum", values.get("momentum"))
    _finite(prefix + "--weight-decay", values.get("weight_decay"))
    _integer(prefix + "--seed", values.get("seed"), 0, 2**64 - 1)  # a generator's seed is 64 bits
    for name, choices in (("data", datasets.names()), ("optimizer", OPTIMIZERS)):
        value = values.get(name)
        if value is not None and (not isinstance(value, str) or value not in choices):
            what = "dataset" if name == "data" else "optimizer"
            raise UsageError(f"{prefix}unknown {what} {value!r} (choose from {', '.join(choices)})")
    if values.get("model") is not None and not isinstance(values["model"], str):
        raise UsageError(f"{prefix}--model must be layer sizes like 784-256-128-10, got {values['model']!r}")


def check_output_path(flag: str, path: str | None) -> None:
    """An output file must be named, not be a folder, and sit in a writable folder."""
    if path is None:
        return
    if not str(path).strip():
        raise UsageError(f"--{flag} needs a file name, got an empty string")
    target = Path(path)
    if target.is_dir() or str(path).endswith(("/", os.sep)):
        raise UsageError(f"--{flag} {path} is a folder; give a file name")
    parent = target.resolve().parent
    if not parent.is_dir():
        raise UsageError(f"--{flag} {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise UsageError(f"--{flag} {path}: not writable (permission denied)")


def check_distinct_files(args: argparse.Namespace) -> None:
    """Each output its own file: --metrics ck.pt beside --resume ck.pt (or --save ck.pt) would
    overwrite the checkpoint with metrics lines. --save may be --resume's file (it continues it)."""
    named = [(flag, getattr(args, flag)) for flag in ("resume", "save", "metrics", "plot")]
    named = [(flag, os.path.realpath(path)) for flag, path in named if path]
    for i, (flag, path) in enumerate(named):
        for other, other_path in named[i + 1 :]:
            if path == other_path and {flag, other} != {"resume", "save"}:
                raise UsageError(f"--{flag} and --{other} name the same file ({path}); give each its own")


def check_plot_format(path: str) -> None:
    """matplotlib is there and can write the file's format (a PNG when it has no extension)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'pyneuro-edu[plot]'") from None
    ext = Path(path).suffix[1:].lower()
    formats = Figure().canvas.get_supported_filetypes()
    if ext and ext not in formats:
        raise UsageError(
            f"--plot {path}: matplotlib cannot write .{ext} files (it writes {', '.join(sorted(formats))})"
        )


def resolve_args(args: argparse.Namespace) -> tuple[argparse.Namespace, dict | None]:
    """Check the arguments, fill defaults (or the checkpoint's values); returns (args, checkpoint).

    Everything that can be checked is checked here, before any data is loaded, any model is
    built or any file is written."""
    from pyneuro import datasets

    if args.epochs is not None and args.epochs < 0:
        raise UsageError(f"--epochs must be >= 0, got {args.epochs}")
    check_run_args(vars(args))
    for flag in ("metrics", "save", "plot"):
        check_output_path(flag, getattr(args, flag))
    check_distinct_files(args)
    if args.plot is not None:
        check_plot_format(args.plot)

    checkpoint = None
    if args.resume is not None:
        checkpoint = load_checkpoint(args.resume)
        saved = checkpoint["args"]
        for name in RUN_ARGS:
            given = getattr(args, name)
            if given is not None and given != saved[name]:
                flag = "--" + name.replace("_", "-")
                raise UsageError(
                    f"{flag} {given} conflicts with the checkpoint's {saved[name]} "
                    f"(a resumed run keeps its settings; leave {flag} out)"
                )
            setattr(args, name, saved[name])
        if args.epochs is None:
            args.epochs = max(DEFAULT_EPOCHS, checkpoint["epoch"])
    for name, value in DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.lr is None:
        args.lr = DEFAULT_LR[args.optimizer]
    if args.epochs is None:
        args.epochs = DEFAULT_EPOCHS
    prefix = f"--resume {args.resume}: the checkpoint's " if checkpoint is not None else ""
    try:
        args.sizes = parse_model(args.model, len(datasets.classes(args.data)))
    except UsageError as exc:
        raise UsageError(prefix + str(exc)) from None
    if args.sizes is not None:
        check_fits(args.sizes, args.batch_size, args.model)
    return args, checkpoint


# ------------------------------------------------------------------------------ checkpoints
CHECKPOINT_FORMAT = "pyneuro-train-checkpoint-1"


def run_args(args) -> dict:
    return {name: getattr(args, name) for name in RUN_ARGS}


def save_checkpoint(path: str, model, optimizer, loader_generator, epoch: int, args, history: list) -> None:
    """Write the checkpoint with pn.save, which writes a temporary file beside `path` and
    renames it into place, so a crash mid-write never leaves a truncated checkpoint behind."""
    import pyneuro as pn

    state = {
        "format": CHECKPOINT_FORMAT,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "rng_loader": loader_generator.get_state(),
        "rng_default": pn.get_rng_state(),
        "epoch": epoch,
        "args": json.dumps(run_args(args)),
        "history": json.dumps(history),
    }
    try:
        pn.save(state, path)
    except OSError as exc:
        raise DataError(
            f"cannot write checkpoint {path} ({exc.strerror or exc}); the previous one is intact"
        ) from None


def load_checkpoint(path: str) -> dict:
    """Read a checkpoint written by save_checkpoint; UsageError when missing, unreadable or invalid."""
    import pyneuro as pn

    if not Path(path).is_file():
        raise UsageError(f"--resume {path}: no such checkpoint file")
    try:
        state = pn.load(path)
        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise ValueError("not a pyneuro train checkpoint")
        state["args"] = json.loads(state["args"])
        state["history"] = json.loads(state["history"])
        missing = [k for k in ("model", "optimizer", "rng_loader", "rng_default", "epoch") if k not in state]
        if missing or not isinstance(state["args"], dict) or set(RUN_ARGS) - set(state["args"]):
            raise ValueError(
                f"incomplete checkpoint (missing {missing or sorted(set(RUN_ARGS) - set(state['args']))})"
            )
        epoch = state["epoch"]
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"bad epoch {epoch!r}")
        history = state["history"]
        if (
            not isinstance(history, list)
            or len(history) != epoch
            or not all(isinstance(h, dict) for h in history)
        ):
            raise ValueError("its metrics history does not match its epoch count")
    except UsageError:
        raise
    except Exception as exc:
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())
        raise UsageError(f"--resume {path}: cannot read checkpoint ({reason})") from None
    check_run_args(state["args"], prefix=f"--resume {path}: the checkpoint's ")
    return state


# ------------------------------------------------------------------------------ model and loop
def build_model(sizes: list[int]):
    """Flatten, then Linear+ReLU for every hidden size, then a final Linear (logits)."""
    from pyneuro import nn

    layers = [nn.Flatten()]
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def build_cnn(classes: int = NUM_CLASSES):
    """The small ConvNet of `--model cnn` (about 420k parameters):

        (N, 1, 28, 28) -> conv 1->32 3x3 pad 1 + BatchNorm + ReLU -> 2x2 max-pool -> (N, 32, 14, 14)
                       -> conv 32->64 3x3 pad 1 + BatchNorm + ReLU -> 2x2 max-pool -> (N, 64, 7, 7)
                       -> flatten 3136 -> Linear 128 + ReLU -> dropout 0.25 -> Linear classes
    The convolutions see 3x3 neighbourhoods and share their weights over the image, so a
    pattern is recognised wherever it appears; each pooling halves the map and widens what
    the next layer sees. Padding 1 keeps the borders (a T-shirt's sleeves reach them).
    BatchNorm2d keeps each channel's activations centred and scaled while the weights move,
    which lets Adam's default rate train fast: on Fashion-MNIST the same net without it
    reaches 86.9 / 88.4 / 89.3% test accuracy after epochs 1-3, with it about 89.4% after one.
    (The convolutions carry no bias: BatchNorm's shift replaces it.)
    """
    from pyneuro import nn

    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128),
        nn.ReLU(),
        nn.Dropout(0.25),
        nn.Linear(128, classes),
    )


def build_optimizer(model, args):
    from pyneuro import optim

    if args.optimizer == "sgd":
        return optim.SGD(
            model.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay
        )
    if args.optimizer == "adam":
        return optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    raise UsageError(f"unknown optimizer {args.optimizer!r} (choose from {', '.join(OPTIMIZERS)})")


def evaluate(model, loader) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of `model` over `loader`."""
    import pyneuro as pn
    import pyneuro.functional as F

    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with pn.no_grad():
        for x, y in loader:
            logits = model(x)
            total_loss += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(dim=1) == y).sum().item()
            count += y.shape[0]
    return total_loss / max(count, 1), correct / max(count, 1)


def train_epoch(model, optimizer, loader, bar) -> float:
    """One pass over `loader`; returns the mean training loss (weighted by batch size)."""
    import pyneuro.functional as F

    model.train()
    total, count = 0.0, 0
    for step, (x, y) in enumerate(loader, 1):
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        n = y.shape[0]
        total += loss.item() * n
        count += n
        if bar is not None:
            bar.update(1)
            if step % 20 == 0:
                bar.set_postfix(loss=f"{total / count:.4f}", refresh=False)
    return total / max(count, 1)


def _progress(total: int, desc: str, quiet: bool):
    if quiet:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    # disable=None: a bar on a terminal only, not in logs or pipes
    return tqdm(
        total=total, desc=desc, unit="batch", leave=False, file=sys.stderr, dynamic_ncols=True, disable=None
    )


def _setup_device(args) -> str:
    import pyneuro as pn
    from pyneuro import backends

    try:
        if args.backend is not None:
            if args.backend not in backends.BACKENDS:
                raise UsageError(
                    f"unknown backend {args.backend!r} (choose from {', '.join(backends.BACKENDS)})"
                )
            device_of_backend = backends.BACKENDS[args.backend][0]
            if device_of_backend != args.device:
                raise UsageError(
                    f"--backend {args.backend} runs on {device_of_backend}, not --device {args.device}"
                )
            pn.set_backend(args.backend)
        return backends.backend_name(args.device)
    except UsageError:
        raise
    except Exception as exc:  # an unavailable backend or device: say why, in one line
        reason = " ".join(str(exc).split())
        raise UsageError(
            f"--device {args.device}{' --backend ' + args.backend if args.backend else ''}: {reason}"
        ) from None


def plot_history(history: list[dict], path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [h["train_loss"] for h in history], "o-", label="train")
    ax_loss.plot(epochs, [h["test_loss"] for h in history], "o-", label="test")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("cross-entropy loss")
    ax_loss.legend()
    ax_acc.plot(epochs, [100 * h["test_accuracy"] for h in history], "o-", color="C2")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("test accuracy (%)")
    from matplotlib.ticker import MaxNLocator

    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _open_metrics(path: str, history: list):
    """The --metrics file, holding exactly the epochs of `history` (the checkpoint's when resuming,
    so lines of epochs after the checkpoint, or a line lost to a kill, are put right)."""
    from pyneuro.serialization import atomic_write

    text = "".join(json.dumps(record) + "\n" for record in history).encode()
    try:
        atomic_write(path, lambda f: f.write(text))
        return open(path, "a")
    except OSError as exc:
        raise _metrics_error(path, exc) from None


def _metrics_error(path: str, exc: OSError) -> DataError:
    return DataError(f"cannot write --metrics {path} ({exc.strerror or exc})")


def run(args, checkpoint) -> list[dict]:
    """Train as `args` say; returns the metrics of every epoch (including resumed ones)."""
    import pyneuro as pn
    from pyneuro import datasets
    from pyneuro.data import DataLoader, TensorDataset

    backend = _setup_device(args)
    try:
        train_set = datasets.load(args.data, "train", progress=not args.quiet)
        test_set = datasets.load(args.data, "test", progress=not args.quiet)
    except datasets.DatasetNotFoundError:
        raise  # says where to get the dataset (several lines), exit status 1
    except (ValueError, OSError) as exc:  # a corrupt, truncated or unreadable dataset file
        raise DataError(" ".join(str(exc).split())) from None
    if args.device != "cpu":
        train_set = TensorDataset(*(t.to(args.device) for t in train_set.tensors))
        test_set = TensorDataset(*(t.to(args.device) for t in test_set.tensors))

    pn.manual_seed(args.seed)
    classes = len(datasets.classes(args.data))
    model = (build_cnn(classes) if args.sizes is None else build_model(args.sizes)).to(args.device)
    optimizer = build_optimizer(model, args)
    loader_rng = pn.Generator().manual_seed(args.seed)
    history, start = [], 0
    if checkpoint is not None:
        try:
            model.load_state_dict(checkpoint["model"])
            optimizer.load_state_dict(checkpoint["optimizer"])
            loader_rng.set_state(checkpoint["rng_loader"])
            pn.set_rng_state(checkpoint["rng_default"])
        except Exception as exc:
            raise UsageError(
                f"--resume {args.resume}: checkpoint does not fit "
                f"({type(exc).__name__}: {' '.join(str(exc).split())})"
            ) from None
        history, start = list(checkpoint["history"]), checkpoint["epoch"]
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, generator=loader_rng)
    test_loader = DataLoader(test_set, batch_size=EVAL_BATCH)

    say = (lambda *a: None) if args.quiet else print
    if start < args.epochs:
        say(
            f"training {args.model} on {args.data} ({len(train_set)} train / {len(test_set)} test) with "
            f"{args.optimizer} lr={args.lr:g}, batch {args.batch_size}, seed {args.seed}; "
            f"device {args.device}, backend {backend}" + (f"; resuming after epoch {start}" if start else "")
        )
    elif checkpoint is not None:
        say(f"checkpoint {args.resume} already has {start} epochs (--epochs {args.epochs}): nothing to train")
    metrics_file = _open_metrics(args.metrics, history) if args.metrics else None
    try:
        for epoch in range(start + 1, args.epochs + 1):
            bar = _progress(len(train_loader), f"epoch {epoch}/{args.epochs}", args.quiet)
            t0 = time.perf_counter()
            try:
                train_loss = train_epoch(model, optimizer, train_loader, bar)
            finally:
                if bar is not None:
                    bar.close()
            train_seconds = time.perf_counter() - t0
            test_loss, test_accuracy = evaluate(model, test_loader)
            seconds = time.perf_counter() - t0
            record = {
                "epoch": epoch,
                "train_loss": train_loss,
                "test_loss": test_loss,
                "test_accuracy": test_accuracy,
                "seconds": round(seconds, 4),
                "train_seconds": round(train_seconds, 4),
                "samples_per_s": round(len(train_set) / train_seconds, 1) if train_seconds > 0 else None,
                "data": args.data,
                "model": args.model,
                "optimizer": args.optimizer,
                "device": args.device,
                "backend": backend,
            }
            history.append(record)
            say(
                f"epoch {epoch:>3}/{args.epochs}: train loss {train_loss:.4f}  test loss {test_loss:.4f}  "
                f"test acc {100 * test_accuracy:6.2f}%  {seconds:6.2f} s  "
                f"{record['samples_per_s'] or 0:>9,.0f} samples/s"
            )
            if args.save:  # checkpoint first: a kill before the metrics line is repaired on --resume
                save_checkpoint(args.save, model, optimizer, loader_rng, epoch, args, history)
            if metrics_file is not None:
                try:
                    metrics_file.write(json.dumps(record) + "\n")
                    metrics_file.flush()
                except OSError as exc:
                    raise _metrics_error(args.metrics, exc) from None
    finally:
        if metrics_file is not None:
            try:
                metrics_file.close()  # (flushes what a failed write left in the buffer: it fails again)
            except OSError as exc:
                raise _metrics_error(args.metrics, exc) from None
    if args.plot and history:
        plot_history(
            history, args.plot, f"pyneuro {args.model} on {args.data} ({args.optimizer}, lr {args.lr:g})"
        )
        say(f"plot written to {args.plot}")
    return history


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        args, checkpoint = resolve_args(args)
        run(args, checkpoint)
    except UsageError as exc:
        print(f"pyneuro train: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pyneuro train: interrupted", file=sys.stderr)
        return 130
    except (DataError, FileNotFoundError) as exc:  # bad data, a failed write, or a dataset that is not
        print(f"pyneuro train: error: {exc}", file=sys.stderr)  # on this machine (says where to get it)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

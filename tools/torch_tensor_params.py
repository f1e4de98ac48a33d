"""Write pyneuro/_tensor_params.py: which arguments of torch's functions must be Tensors.

torch's argument parser refuses a list, a NumPy array or None where a function takes a Tensor
(`torch.exp([1., 2.])`, `F.mse_loss(x, np_array)`: TypeError "argument 'input' (position 1)
must be Tensor, not list"), and some of those places take a number as well (`torch.add(x, 2)`)
while others do not (`torch.mm(x, 2)`). pyneuro's functions read their arguments with NumPy,
which takes anything array-like, so without a table they computed, or failed with
AttributeError or ValueError, where torch raises TypeError. This tool asks torch (a development
dependency only) for each function pyneuro exports in the same namespace:

- position 1 given a list: does torch say "argument '<name>' (position 1) must be Tensor"?
  "expected Tensor as element 0 in argument 0" means a sequence of Tensors (cat, stack, ...);
- position 2 given a list after a tensor: the same question;
- is a number accepted there (the call with 2.0 in that place raises no TypeError)?

and the same for the methods of torch.Tensor (`x.mul([..])`, `x.gather(0, [..])`); and which
keyword arguments torch types int, float, Number, str or bool (`ignore_index=1.5`,
`label_smoothing=None`, `requires_grad=1` are its TypeError); and which it types a dim or a
list of ints (`x.sum(dim=(0.,))`, `x.prod(dim=None)`, `torch.full(2, 1.)` are its TypeError).

    python tools/torch_tensor_params.py            # rewrites pyneuro/_tensor_params.py

The table it writes is data (names and positions), read by pyneuro/_arguments.py.
"""

from __future__ import annotations

import importlib
import inspect
import re
import warnings
from pathlib import Path

import torch

NAMESPACES = {
    "pyneuro": "torch",
    "pyneuro.functional": "torch.nn.functional",
    "pyneuro.linalg": "torch.linalg",
    "pyneuro.special": "torch.special",
}
METHODS = "pyneuro.Tensor"  # (the methods' table: the arguments after the tensor itself)
LIST = [[1.0, 2.0], [3.0, 4.0]]
MUST = re.compile(r"argument '(\w+)' \(position (\d)\) must be Tensor, not list")
OVERLOADS = (r"got \(list", r"got \(Tensor, list")  # no overload of an overloaded function takes the list
METHOD_OVERLOADS = (r"got \(list", r"got \((?:Tensor|int), list")  # (x.gather(0, [..]): an int before it)
SEQUENCE = "expected Tensor as element 0 in argument 0"


def _type_error(function, *args) -> str | None:
    """The message of the TypeError torch raises for function(*args); None if it raises another or none."""
    return _type_error_keywords(function, args, {})


def _type_error_keywords(function, args, keywords) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            function(*args, **keywords)
    except TypeError as exc:
        return str(exc)
    except Exception:  # (any other outcome: the types were accepted)
        return None
    return None


def _runs_keywords(function, args, keywords) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            function(*args, **keywords)
    except Exception:  # (any failure: the call does not run)
        return False
    return True


def _runs(function, *args) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            function(*args)
    except Exception:  # (any failure: the call does not run)
        return False
    return True


def _takes_number(function, calls, where: int) -> bool:
    """Does torch take the number 2.0 in place of the tensor at position `where`? Yes if any call
    with the number there runs (torch's deprecated forms: addcmul(x, 2.0, t1, t2)); refused only on
    evidence: a call that runs with a tensor there fails with "must be Tensor, not float"."""
    with_number = [(*args[:where], 2.0, *args[where + 1 :]) for args in calls]
    if any(_runs(function, *args) for args in with_number):
        return True
    for args, numbered in zip(calls, with_number):
        if _type_error(function, *args) is None:
            message = _type_error(function, *numbered)
            return message is None or "must be Tensor, not float" not in message
    return True


def _takes_none(function, calls, where: int) -> bool:
    """Does torch take None at position `where` (an Optional[Tensor] argument)? Refused on evidence
    only, as _takes_number."""
    for args in calls:
        if _type_error(function, *args) is None:
            message = _type_error(function, *args[:where], None, *args[where + 1 :])
            return message is None or "not NoneType" not in message
    return True


def _must(function, calls, position: int, overloads=OVERLOADS):
    """The parameter's name if torch refuses a list at `position` where it takes a Tensor, for any of
    calls: its parser names the argument ("must be Tensor"), or (overloaded functions: pow, clamp,
    where, ...) every overload it lists takes a Tensor or a Number there. None otherwise."""
    for args in calls:
        message = _type_error(function, *args)
        if message is None:
            continue
        if (m := MUST.search(message.split("\n")[0])) and m.group(2) == str(position):
            return m.group(1)
        if position <= len(overloads) and re.search(
            f"invalid combination of arguments - {overloads[position - 1]}", message
        ):
            return _overloads_at(message, position)
    return None


def _overloads_at(message: str, position: int):
    """From torch's list of overloads: the parameter's name when every overload with a parameter
    at `position` types it Tensor or Number; None when one takes something else there
    (matrix_norm's ord: a Number or a str)."""
    kinds, name = set(), None
    one = re.search(r"but expected (\(.*\))$", message.split("\n")[0])  # (a single signature)
    lines = [one.group(1)] if one else [line[3:] for line in message.split("\n") if line.startswith(" * (")]
    for line in lines:
        params = [p.strip() for p in line[1 : line.rindex(")")].split(",")]
        params = params[: params.index("*")] if "*" in params else params
        if len(params) < position:
            continue
        kind, _, pname = params[position - 1].split("=")[0].strip().rpartition(" ")
        kinds.add(kind)
        if kind == "Tensor" and name is None:
            name = pname
    if not kinds or not kinds <= {"Tensor", "Number"}:
        return None
    return name


def _parameter_names(function) -> list:
    doc = (getattr(function, "__doc__", None) or "").lstrip()
    match = re.match(r"[\w.]+\(([^)]*)\)", doc)
    names = re.findall(r"(\w+)\s*(?:[:=,]|$)", match.group(1)) if match else []
    return [n for n in names if n not in ("out", "self")]


def _kind(function, calls, where: int) -> str:
    """'number' or 'tensor' as measured (torch takes a number for some Tensor arguments:
    torch.add(2., x)), '|None' added where it takes None there."""
    kind = "number" if _takes_number(function, calls, where) else "tensor"
    return kind + "|None" if _takes_none(function, calls, where) else kind


def _sequence_name(function) -> str:
    names = _parameter_names(function)
    return names[0] if names else "tensors"


BOOL = re.compile(r"argument '(\w+)' \(position (\d)\) must be bool, not list")
BOOL_PASSED = re.compile(r"argument '(\w+)' must be bool, not list")
FLAGS = ("keepdim", "unbiased", "largest", "sorted", "descending", "stable", "return_inverse")  # fmt: skip
FLAGS += ("return_counts", "upper", "left", "right", "out_int32", "non_blocking", "copy", "hermitian")


def _overloads(message: str) -> list:
    """The overloads torch's "invalid combination of arguments" message lists, each as its
    parameters [(kind, name, keyword_only), ...] (a method's do not list self)."""
    out = []
    for line in message.split("\n"):
        if not line.startswith(" * ("):
            continue
        params, keyword_only = [], False
        for part in line[4 : line.rindex(")")].split(","):
            part = part.split("=")[0].strip()
            if part == "*":
                keyword_only = True
            elif part:
                kind, _, name = part.rpartition(" ")
                params.append((kind, name, keyword_only))
        out.append(params)
    return out


def _bool_rows(function, heads: list) -> list:
    """(position, name, 'bool') for each argument torch's parser types bool: given a list there
    after each head (the arguments before it) it says "argument 'keepdim' (position 3) must be
    bool"; position 0 for a keyword-only flag (sort's stable). torch takes a Python bool only
    there: 1, np.bool_(True) and a tensor are its TypeError, and None too unless the flag is
    optional ('bool|None': sort's stable, torch's `bool?`)."""
    rows, keywords = {}, []
    for head in heads:
        message, at = _type_error(function, *head, LIST), len(head) + 1
        if at in rows or not message:
            continue
        if (m := BOOL.search(message.split("\n")[0])) and int(m.group(2)) == at:
            rows[at] = (m.group(1), head)
        elif m := BOOL_PASSED.search(message.split("\n")[0]):
            rows[at] = (
                m.group(1),
                head,
            )  # (a Python-level function passed it on by name: torch.unique's sorted)
        elif "invalid combination of arguments" in message:
            positional = [[p for p in ps if not p[2]] for ps in _overloads(message)]
            kinds = {ps[at - 1][:2] for ps in positional if len(ps) >= at}
            if len(kinds) == 1 and next(iter(kinds))[0] == "bool":
                rows[at] = (next(iter(kinds))[1], head)
    for name in FLAGS:
        if name in (n for n, _ in rows.values()):
            continue
        for head in heads[:3]:
            message = _type_error_keywords(function, head, {name: LIST})
            first = message.split("\n")[0] if message else ""
            named = {k for ps in _overloads(message or "") for k, n, _ in ps if n == name}
            if f"argument '{name}' must be bool, not list" in first or (
                "invalid combination of arguments" in first and named == {"bool"}
            ):
                keywords.append((name, head))
                break

    def kind(head, keywords=None):  # refused only on evidence, as _takes_none
        message = _type_error_keywords(function, head if keywords else (*head, None), keywords or {})
        return "bool|None" if message is None or "NoneType" not in message else "bool"

    out = [(at, name, kind(head)) for at, (name, head) in sorted(rows.items())]
    return out + [(0, name, kind(head, {name: None})) for name, head in keywords]


SCALAR_KINDS = {
    "int": "int",
    "SymInt": "int",
    "float": "float",
    "Number": "scalar",
    "str": "str",
    "bool": "bool",
    "Tensor": "tensor",  # (by keyword only: F.layer_norm(x, (4,), weight=[1.]), beyond the positions probed)
}
SKIPPED = {
    "input",
    "self",
    "out",
    "dtype",
    "device",
    "layout",
    "generator",
    "memory_format",
    "pin_memory",
}
SKIPPED |= {"reduction"}  # (torch.*'s losses take its int enum, pyneuro's its string too)
DIMS = ("dim", "dims")  # (torch's int there: kind 'dim', its None refused on torch's evidence only)
DIM_KINDS = ("dim", "dims", "ints")
INT_LIST = "tuple of ints"  # (torch's int[] and int[1]: kind 'dims' or, a bare int refused, 'ints')
INTS = re.compile(
    r"argument '(\w+)'(?: \(position (\d)\))? must be tuple of ints, but found element of type list"
)


def _list_kind(kinds: set):
    """The table's kind for the types torch's overloads give one argument: one scalar type, or
    an int list ('dims': squeeze's `int dim` beside `tuple of ints dim` is one rule)."""
    if kinds in ({INT_LIST}, {"int", INT_LIST}):
        return "dims"
    return SCALAR_KINDS.get(next(iter(kinds))) if len(kinds) == 1 else None


def _refined(kind: str, name: str, message) -> str:
    """A dim torch types int is kind 'dim'; an int list whose bare int torch refuses (message:
    its TypeError for 2 there, full(2, 1.), torch.flip(x, 0)) is kind 'ints'."""
    if kind == "int" and name in DIMS:
        return "dim"
    if kind == "dims" and re.search(
        rf"argument '{name}'(?: \(position \d\))? must be tuple of ints, not int", message or ""
    ):
        return "ints"
    return kind


def _bare_int_refused(function, heads: list, at: int) -> bool:
    """Where torch's message only lists its overloads (normal(0., 1., 2): "invalid combination of
    arguments"): is a bare int at position `at` refused after every head of that length that takes
    an int list there, and taken after none? Then the place is an int[] (kind 'ints')."""
    verdicts = set()
    for head in (h for h in heads if len(h) == at - 1):
        if _type_error(function, *head, (2,)) is None:
            verdicts.add(_type_error(function, *head, 2) is not None)
    return verdicts == {True}


def _scalar_kind(message: str, name: str):
    """The kind torch's parser gives the keyword argument `name`, read from its TypeError for a
    list there: "argument 'ignore_index' (position 5) must be int, not list" (a Python-level
    function passes it on by name: F.cross_entropy's), or every overload that has the name
    types it alike. None when the message is about another argument or another type."""
    first = message.split("\n")[0]
    if m := re.search(rf"argument '{name}'(?: \(position \d+\))? must be (\w+), not list", first):
        return SCALAR_KINDS.get(m.group(1))
    if (m := INTS.search(first)) and m.group(1) == name:
        return "dims"
    if "invalid combination of arguments" in first:
        kinds = {k for ps in _overloads(message) for k, n, _ in ps if n == name}
        return _list_kind(kinds) if kinds else None
    return None


def _code_names(function) -> tuple:
    """The names of the parameters pyneuro's function takes by keyword (its code's)."""
    code = getattr(inspect.unwrap(function), "__code__", None)
    return code.co_varnames[: code.co_argcount + code.co_kwonlyargcount] if code is not None else ()


def _takes_none_by_name(function, head, name: str) -> bool:
    """Does torch take None as the keyword argument `name` (after head)? Refused on evidence only:
    its message names the argument ("must be float, not NoneType"), or no overload it lists has
    the default None there (torch.var's correction is `Number? correction = None`)."""
    message = _type_error_keywords(function, head, {name: None})
    first = message.split("\n")[0] if message else ""
    if re.search(rf"argument '{name}'(?: \(position \d+\))? must be [\w ]+, not NoneType", first):
        return False
    if "invalid combination of arguments" in first:
        return re.search(rf" {name} = None\b", message) is not None
    return True


POSITIONAL = re.compile(r"argument '(\w+)' \(position (\d)\) must be (\w+), not list")


def _positional_rows(function, names, heads: list, done: set) -> list:
    """(position, name, kind) for each argument torch's parser types int, float, Number or str
    where it is given by position: a list after each head (the arguments before it) is its
    TypeError naming the argument and this position (randperm(1.5), tril(x, 1.5), eye(2.5)), or
    every overload types that place alike, by one name; where pyneuro's function (names) has a
    parameter of that name. '|None' as _takes_none_by_name."""
    rows = {}
    for head in heads:
        at = len(head) + 1
        if at in rows or not (message := _type_error(function, *head, LIST)):
            continue
        first = message.split("\n")[0]
        if (m := POSITIONAL.search(first)) and int(m.group(2)) == at:
            found = {(m.group(3), m.group(1))}
        elif (m := INTS.search(first)) and m.group(2) and int(m.group(2)) == at:
            found = {(INT_LIST, m.group(1))}
        elif "invalid combination of arguments" in first:
            positional = [[p for p in ps if not p[2]] for ps in _overloads(message)]
            found = {ps[at - 1][:2] for ps in positional if len(ps) >= at}
        else:
            continue
        if len({n for _, n in found}) == 1 and (kind := _list_kind({k for k, _ in found})) not in (
            None,
            "bool",
        ):
            name = next(iter(found))[1]
            if name in names and name not in done and name not in SKIPPED:
                kind = _refined(kind, name, _type_error(function, *head, 2))
                if kind == "dims" and _bare_int_refused(function, heads, at):
                    kind = "ints"
                none = _type_error(function, *head, None) or ""
                refused = re.search(
                    rf"argument '{name}' \(position {at}\) must be [\w ]+, not NoneType", none
                )
                if "invalid combination of arguments" in none.split("\n")[0]:
                    refused = not re.search(rf" {name} = None\b", none)
                rows[at] = (at, name, kind if refused else kind + "|None")
    return [rows[at] for at in sorted(rows)]


def _keyword_rows(function, names, heads: list, done: set) -> list:
    """(0, name, kind) for each keyword argument of pyneuro's function (names) that torch's parser
    types int, float, Number ('scalar'), str or bool, found by giving it a list after each head
    (the arguments before it) until torch's message names it; '|None' where torch takes None
    there too. torch refuses a float where it takes an int (ignore_index=1.5), None where it takes
    a float (label_smoothing=None), a list or a 1-element tensor where it takes a number."""
    rows = []
    for name in names:
        if name in SKIPPED or name in done:
            continue
        for head in heads:
            message = _type_error_keywords(function, head, {name: LIST})
            if message is None:
                if _runs_keywords(function, head, {name: LIST}):
                    break  # (a list is taken there)
                continue  # (another failure first: F.embedding_bag of float indices; the next head)
            if (kind := _scalar_kind(message, name)) is not None:
                kind = _refined(kind, name, _type_error_keywords(function, head, {name: 2}))
                rows.append((0, name, kind + "|None" if _takes_none_by_name(function, head, name) else kind))
                break
    return rows


def _pyneuro_default(function, name: str):
    """The default of pyneuro's parameter `name` (inspect.Parameter.empty if none)."""
    try:
        parameter = inspect.signature(inspect.unwrap(function)).parameters.get(name)
    except (TypeError, ValueError):
        return inspect.Parameter.empty
    return inspect.Parameter.empty if parameter is None else parameter.default


def _worth_a_check(params: list, ours) -> list:
    """params without the dim rows ('dim', 'dims', 'ints') that would only add a wrapper to a
    function nothing else checks (x.size(0), x.view(..), x.unsqueeze(1), F.softmax(x, dim=1):
    pyneuro's own reading, _shapes.one_dim and shape_arg, refuses what torch refuses there),
    unless pyneuro's default None for a dim would take the None torch refuses (x.squeeze(dim=None))."""
    kinds = [row[2].split("|")[0] for row in params]
    if any(kind not in DIM_KINDS for kind in kinds):
        return params
    refused = [row for row in params if row[1] in DIMS and not row[2].endswith("|None")]
    return [row for row in refused if _pyneuro_default(ours, row[1]) is None]


def _heads(first: tuple, length: int) -> list:
    """The argument lists (first, then up to `length` of 0, 1, True) a flag may follow."""
    heads, level = [first], [first]
    for _ in range(length):
        level = [(*h, v) for h in level for v in (0, 1, True)]
        heads += level
    return heads


def table_for(pyneuro_module: str, torch_module: str) -> dict:
    ours, theirs = importlib.import_module(pyneuro_module), importlib.import_module(torch_module)
    x = torch.ones(2, 2)  # (shared: some calls reshape it in place, and later rows were found so)
    rows = {}
    for name in sorted(dir(theirs)):
        function = getattr(theirs, name, None)
        if name.startswith("_") or not callable(function) or isinstance(function, type):
            continue
        if not callable(getattr(ours, name, None)) or isinstance(getattr(ours, name), type):
            continue
        params = []
        tails = [(), (x,), (0,), (x, x), (x, 0), (x, x, x), (0.5, x, x)]  # (longer: deprecated forms)
        if (first := _type_error(function, LIST)) is not None and SEQUENCE in first:
            params.append((1, _sequence_name(function), "sequence"))
        elif (found := _must(function, [(LIST, *t) for t in tails], 1)) is not None:
            params.append((1, found, _kind(function, [(x, *t) for t in tails], 0)))
        if (found := _must(function, [(x, LIST, *t) for t in tails[:3]], 2)) is not None:
            params.append((2, found, _kind(function, [(x, x, *t) for t in tails[:4]], 1)))
        for position in (3, 4):  # (F.batch_norm's running_var, bilinear's weight, a loss's target)
            heads = [(x,) * (position - 1), (x,) * (position - 2) + (0,)]
            if (
                found := _must(function, [(*h, LIST, *t) for h in heads for t in tails[:3]], position)
            ) is not None:
                calls = [(*h, x, *t) for h in heads for t in tails[:3]]
                params.append((position, found, _kind(function, calls, position - 1)))
        params += _bool_rows(function, _heads((x,), 3))
        heads = [(x, x), (x, x, x), *_heads((x,), 2), (2,), (x, torch.tensor([0, 1])), (), (x, (2,))]
        heads.append((torch.tensor([[0, 1]]), torch.ones(2, 2)))  # (indices first: F.embedding_bag)
        done = {row[1] for row in params}
        before = [(), *_heads((x,), 2), *_heads((0,), 1)]
        params += _positional_rows(function, _code_names(getattr(ours, name)), before, done)
        done = {row[1] for row in params}
        params += _keyword_rows(function, _code_names(getattr(ours, name)), heads, done)
        if params := _worth_a_check(params, getattr(ours, name)):
            rows[name] = tuple(params)
    return rows


def _method(name: str):
    """torch.Tensor's method `name` called on a fresh 2x2 tensor of ones (in-place ones change only it)."""
    return lambda *args, **keywords: getattr(torch.ones(2, 2), name)(*args, **keywords)


def method_table() -> dict:
    """The same question for the methods of torch.Tensor that pyneuro's Tensor has: positions 1 and
    2 are the arguments after the tensor itself (x.mul([..]): "argument 'other' (position 1) must be
    Tensor"; x.index_add(0, [..], y): position 2)."""
    ours = importlib.import_module("pyneuro").Tensor
    x = torch.ones(2, 2)
    rows = {}
    for name in sorted(dir(torch.Tensor)):
        if name.startswith("_") or not callable(getattr(torch.Tensor, name, None)):
            continue
        if not callable(getattr(ours, name, None)) or isinstance(getattr(ours, name), type):
            continue
        method, params = _method(name), []
        tails = [(), (x,), (0,), (x, x), (x, 0), (x, x, x), (0.5, x, x)]
        if (found := _must(method, [(LIST, *t) for t in tails], 1, METHOD_OVERLOADS)) is not None:
            params.append((1, found, _kind(method, [(x, *t) for t in tails], 0)))
        for first in (x, 0):  # (a tensor or a dim before it: x.gather(0, index))
            found = _must(method, [(first, LIST, *t) for t in tails[:3]], 2, METHOD_OVERLOADS)
            if found is not None:
                params.append((2, found, _kind(method, [(first, x, *t) for t in tails[:4]], 1)))
                break
        params += _bool_rows(method, _heads((), 3))
        done = {row[1] for row in params}
        params += _positional_rows(method, _code_names(getattr(ours, name)), _heads((), 2), done)
        done = {row[1] for row in params}
        params += _keyword_rows(method, _code_names(getattr(ours, name)), [(x,), *_heads((), 2)], done)
        if params := _worth_a_check(params, getattr(ours, name)):
            rows[name] = tuple(params)
    return rows


def _write(out: Path, what: str, variable: str, tables: dict, about: list) -> None:
    lines = [
        f'"""Which arguments of torch\'s {what} must be Tensors (written by tools/torch_tensor_params.py',
        f"from torch {torch.__version__.split('+')[0]}; do not edit by hand).",
        "",
        *about,
        '"""',
        "",
        "# fmt: off",
        f"{variable} = {{",
    ]
    for ours, table in tables.items():
        lines.append(f"    {ours!r}: {{")
        for name, params in table.items():
            lines.append(f"        {name!r}: {params!r},")
        lines.append("    },")
    lines += ["}", "# fmt: on", ""]
    out.write_text("\n".join(lines))
    print(f"wrote {out}")


def main() -> None:
    package = Path(__file__).resolve().parent.parent / "pyneuro"
    kinds = [
        "TENSOR_PARAMS[namespace][name] is a tuple of (position, name, kind): kind 'tensor' takes a",
        "Tensor only, 'number' a Tensor or a number, 'sequence' a list or tuple of Tensors; '|None'",
        "added: None as well (an optional tensor); 'bool' a Python bool only (a flag; position 0:",
        "keyword-only), 'bool|None' or None; 'int', 'float', 'scalar' (torch's Number) and 'str' the",
        "numbers and strings torch's parser takes by keyword (position 0), '|None' or None; 'dim'",
        "one dim (torch's int), 'dims' an int or a sequence of ints (its int[1]), 'ints' a sequence",
        "of ints only (its int[]: full(2, 1.) is refused), '|None' or None. Read by _arguments.py.",
    ]
    tables = {ours: table_for(ours, theirs) for ours, theirs in NAMESPACES.items()}
    _write(package / "_tensor_params.py", "functions", "TENSOR_PARAMS", tables, kinds)
    methods = [
        "As _tensor_params.py, for the methods of Tensor: METHOD_PARAMS['pyneuro.Tensor'][name] has",
        "the same (position, name, kind) rows, the positions counting the arguments after the tensor",
        "itself (x.mul(other): 'other' is position 1). Read by _arguments.py.",
    ]
    _write(
        package / "_method_params.py", "Tensor methods", "METHOD_PARAMS", {METHODS: method_table()}, methods
    )


if __name__ == "__main__":
    main()

"""The package's layout rules, checked by parsing pyneuro/ with `ast` (nothing is imported).

- no import cycle among pyneuro modules at module level (arrows point down);
- no late module-level import (flake8's E402) and no `# noqa: E402`;
- core modules import each other at the top, never inside a function;
- no Python file under pyneuro/ is longer than 800 lines.
"""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "pyneuro"
MAX_LINES = 800
# The core: Tensor, autograd, nn, optim, functional and the modules they stand on. Code at
# the edges (CLI, benchmarks, labs, data loading, backend loaders) may import lazily on purpose.
CORE = (
    "pyneuro",
    "pyneuro.tensor",
    "pyneuro._tensor_base",
    "pyneuro._tensor_shape",
    "pyneuro._tensor_inplace",
    "pyneuro._dtype",
    "pyneuro._shapes",
    "pyneuro._errors",
    "pyneuro.creation",
    "pyneuro.functions",
    "pyneuro.random",
    "pyneuro.functional",
    "pyneuro.gradcheck",
    "pyneuro.serialization",
    "pyneuro.autograd",
    "pyneuro.nn",
    "pyneuro.optim",
)


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _is_core(name: str) -> bool:
    return any(name == c or (c != "pyneuro" and name.startswith(c + ".")) for c in CORE)


def _resolve(module: str, node) -> list:
    """The pyneuro modules an Import/ImportFrom node in `module` loads (with their parent packages)."""
    if isinstance(node, ast.Import):
        targets = [a.name for a in node.names]
    else:
        if node.level:
            base = module.split(".")
            if not _is_package(module):
                base = base[:-1]
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        targets = [prefix]
        targets += [f"{prefix}.{a.name}" for a in node.names if f"{prefix}.{a.name}" in MODULES]
    out = []
    for t in targets:
        parts = t.split(".")
        for i in range(2, len(parts) + 1):  # importing a.b.c runs a.b's __init__ first (not pyneuro's own)
            name = ".".join(parts[:i])
            if name in MODULES:
                out.append(name)
    return out


def _is_type_checking(node) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _top_level_imports(tree):
    """Import nodes run when the module is imported (module body, if/try blocks; not TYPE_CHECKING)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop(0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.If, ast.Try)) and not _is_type_checking(node):
            for field in ("body", "orelse", "finalbody"):
                stack.extend(getattr(node, field, []))
            for h in getattr(node, "handlers", []):
                stack.extend(h.body)


def _trees():
    return {name: ast.parse(path.read_text(), str(path)) for name, path in MODULES.items()}


def _import_graph():
    graph = {}
    for name, tree in _trees().items():
        graph[name] = set()
        for node in _top_level_imports(tree):
            # a package importing its own submodules, or a module its own package, is no cycle
            graph[name].update(t for t in _resolve(name, node) if t != name and not name.startswith(t + "."))
    return graph


def _find_cycles(graph) -> list:
    cycles, state = [], {}

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return cycles


def test_no_import_cycle_at_module_level():
    cycles = _find_cycles(_import_graph())
    assert not cycles, "module-level import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_cycle_check_sees_cycles_and_the_arrows_point_down():
    assert _find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert _find_cycles({"a": {"b"}, "b": set()}) == []
    graph = _import_graph()
    # autograd's ops see tensors through the low slots module, never through tensor.py ...
    assert "pyneuro._tensor_base" in graph["pyneuro.autograd.function"]
    assert "pyneuro.tensor" not in graph["pyneuro.autograd.function"]
    # ... and tensor.py stands on autograd (its methods run the Functions)
    assert "pyneuro.autograd" in graph["pyneuro.tensor"]


# A backend loader probes its optional dependency (the compiled extension, CuPy) first and
# raises BackendUnavailable with the reason before importing the rest: imports after code,
# on purpose (docs/DESIGN.md, "The backend layer"; pyproject.toml's ruff per-file ignores).
_PROBE_FIRST = {
    "pyneuro.backends.cpu_backend",
    "pyneuro.backends.cuda_backend",
    "pyneuro.backends.cupy_backend",
}


@pytest.mark.parametrize("name", sorted(set(MODULES) - _PROBE_FIRST))
def test_no_late_module_level_import(name):
    path = MODULES[name]
    source = path.read_text()
    assert "noqa: E402" not in source, f"{path}: a '# noqa: E402' hides a late import"
    tree = ast.parse(source)
    seen_code = False
    for i, node in enumerate(tree.body):
        is_import = isinstance(node, (ast.Import, ast.ImportFrom)) or _is_type_checking(node)
        is_docstring = (
            i == 0 and isinstance(node, ast.Expr) and isinstance(getattr(node, "value", None), ast.Constant)
        )
        # try: import x / except ImportError: ... counts as an import block, like flake8
        is_guarded_import = isinstance(node, ast.Try) and all(
            isinstance(b, (ast.Import, ast.ImportFrom)) for b in node.body
        )
        if is_import or is_guarded_import:
            assert not seen_code, f"{path}:{node.lineno}: module-level import after code (E402)"
        elif not is_docstring:
            seen_code = True


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _is_core(n)))
def test_core_modules_import_each_other_at_the_top(name):
    tree = ast.parse(MODULES[name].read_text())
    late = []
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)) and _resolve(name, node):
                    late.append(f"line {node.lineno}: {ast.unparse(node)}")
    assert not late, f"{MODULES[name]}: function-local imports of pyneuro modules:\n" + "\n".join(late)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_file_over_800_lines(name):
    n = len(MODULES[name].read_text().splitlines())
    assert n <= MAX_LINES, f"{MODULES[name]} has {n} lines (at most {MAX_LINES})"


def test_pn_tensor_is_the_factory_even_after_importing_the_tensor_module():
    """Importing a submodule binds its name on the package: pyneuro/__init__.py imports the
    module pyneuro.tensor before it binds the factory `tensor`, so the factory wins."""
    import importlib
    import inspect

    import pyneuro as pn

    importlib.import_module("pyneuro.tensor")
    # (the factory with its argument check: requires_grad=1 is torch's TypeError)
    assert inspect.unwrap(pn.tensor) is importlib.import_module("pyneuro.creation").tensor
    assert pn.tensor([1.0]).shape == (1,)


_DESIGN_REF = re.compile(r'docs/DESIGN\.md(?:, "([^"]+)")?')


def test_every_reference_to_the_design_names_a_section_that_exists():
    """Comments cite the design as `docs/DESIGN.md, "Section"`; every cited section must exist,
    and no file may cite a bare DESIGN.md that a reader of the repository cannot find."""
    root = ROOT.parent
    design = (root / "docs" / "DESIGN.md").read_text()
    sections = set(re.findall(r"^#{2,3} (.+)$", design, flags=re.M))
    cited = 0
    for path in [
        *root.glob("pyneuro/**/*.py"),
        *root.glob("tests/*.py"),
        *root.glob("csrc/**/*.[ch]*"),
        *root.glob("bench/*.py"),
        *root.glob("*.md"),
    ]:
        text = path.read_text(errors="replace")
        for m in re.finditer(r"(?:docs/)?DESIGN\.md", text):
            if path.name == "test_layout.py":
                continue
            ref = _DESIGN_REF.match(text, m.start())
            assert ref is not None, f'{path}: cite the design as docs/DESIGN.md (optionally , "Section")'
            if ref.group(1):
                assert ref.group(1) in sections, f"{path}: docs/DESIGN.md has no section {ref.group(1)!r}"
                cited += 1
    assert cited >= 5


def test_no_cpp_or_cuda_file_over_700_lines():
    """docs/DESIGN.md, "Layers and arrows": files small enough to read in one sitting."""
    csrc = ROOT.parent / "csrc"
    big = {
        str(p.relative_to(csrc)): n
        for p in csrc.rglob("*")
        if p.suffix in (".cpp", ".h", ".cu", ".cuh") and (n := len(p.read_text().splitlines())) > 700
    }
    assert not big, f"split these: {big}"

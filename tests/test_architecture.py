"""The package keeps the shape docs/architecture.md describes.

Every module under src/exposure_audit is parsed with `ast` (nothing is imported), and every
import statement counts: at module level, inside functions and under `if TYPE_CHECKING:`
(a type-only import still ties the two modules together for a reader and for mypy). A failure
names the importing module, the line and the import.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "exposure_audit"
NAME = "exposure_audit"

# docs/architecture.md, "Layers and what each may import": a module may import from its own
# layer and the layers before it, never from a later one. Keys are module-name prefixes; the
# longest matching prefix wins (so report.model sits below compare and the rest of report).
LAYERS: dict[str, int] = {
    f"{NAME}": 1,  # the package's own __init__ (the version only)
    f"{NAME}.errors": 1,
    f"{NAME}.issues": 1,
    f"{NAME}.text": 1,
    f"{NAME}.reference": 2,
    f"{NAME}.bom": 3,
    f"{NAME}.engine": 4,
    f"{NAME}.declarations": 5,
    f"{NAME}.report.model": 6,
    f"{NAME}.compare": 7,
    f"{NAME}.report": 8,
    f"{NAME}.api": 9,
    f"{NAME}.batch": 9,
    f"{NAME}.cli": 10,
    f"{NAME}.__main__": 10,
}
LAYER_NAMES = {
    1: "ground floor",
    2: "reference",
    3: "bom",
    4: "engine",
    5: "declarations",
    6: "report.model",
    7: "compare",
    8: "report",
    9: "api/batch",
    10: "cli",
}

# Rendering libraries belong to report/ and cli/ only (docs/architecture.md, layer 8).
RENDERING = ("rich", "openpyxl", "xlsxwriter", "jinja2")
RENDERING_HOMES = (f"{NAME}.report", f"{NAME}.cli")


@dataclass(frozen=True)
class Import:
    """One imported name as written: `target` is the module (or module.attribute) named."""

    module: str  # the importing module
    line: int
    text: str  # the statement as written, for the failure message
    target: str


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _sources() -> dict[str, tuple[Path, ast.Module, list[str]]]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        found[_module_name(path)] = (path, ast.parse(text, filename=str(path)), text.splitlines())
    return found


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


@cache
def _imports() -> list[Import]:
    modules = set(_sources())
    found: list[Import] = []
    for module, (path, tree, lines) in _sources().items():
        for node in ast.walk(tree):
            text = lines[node.lineno - 1].strip() if hasattr(node, "lineno") else ""
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found.append(Import(module, node.lineno, text, alias.name))
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    package = _package_of(module, path).split(".")
                    anchor = package[: len(package) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    # `from pkg import mod` imports the module pkg.mod when there is one
                    # (kept whole for another library, so `from rich import _wrap` is seen)
                    sub = f"{base}.{alias.name}"
                    internal = _within(base, NAME)
                    target = base if internal and sub not in modules else sub
                    found.append(Import(module, node.lineno, text, target))
    found.extend(_registry_imports())
    return found


def _registry_imports() -> list[Import]:
    """The format registry imports its formatters by name (`importlib.import_module`), so
    `--format json` never loads rich: those imports are read from `_FORMATS` and count too."""
    module = f"{NAME}.report"
    _, tree, lines = _sources()[module]
    found = []
    for node in tree.body:
        if isinstance(node, ast.AnnAssign | ast.Assign) and "_FORMATS" in ast.unparse(node):
            for name, _cls in ast.literal_eval(node.value).values():
                text = lines[node.lineno - 1].strip() + f"  [registry: {name}]"
                found.append(Import(module, node.lineno, text, f"{module}.{name}"))
    assert found, "report/__init__.py's _FORMATS registry was not found"
    return found


def _internal(target: str) -> str | None:
    """The exposure_audit module a target names (its longest known prefix), if any."""
    modules = _sources()
    while target:
        if target in modules:
            return target
        target = target.rpartition(".")[0]
    return None


def _layer(module: str) -> int:
    best = max((prefix for prefix in LAYERS if _within(module, prefix)), key=len)
    return LAYERS[best]


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _where(found: Import) -> str:
    path = _sources()[found.module][0].relative_to(ROOT)
    return f"{path}:{found.line} ({found.module}): {found.text}"


def test_the_parser_sees_the_package():
    """A guard for the checks below: they must be looking at real modules and imports."""
    assert {f"{NAME}.api", f"{NAME}.engine.scoring", f"{NAME}.cli.app"} <= set(_sources())
    targets = {(i.module, _internal(i.target)) for i in _imports()}
    assert (f"{NAME}.api", f"{NAME}.engine.scoring") in targets


def test_every_module_has_a_layer():
    for module in _sources():
        assert any(_within(module, prefix) for prefix in LAYERS if prefix != NAME) or (
            module == NAME
        ), f"{module} is in no layer of docs/architecture.md; add it to the doc and LAYERS"


def test_nothing_imports_a_later_layer():
    upward = []
    for found in _imports():
        target = _internal(found.target)
        if target is None:
            continue
        here, there = _layer(found.module), _layer(target)
        if there > here:
            upward.append(
                f"{_where(found)}  [{LAYER_NAMES[here]} imports {LAYER_NAMES[there]}: {target}]"
            )
    assert not upward, "imports against the layer order:\n" + "\n".join(upward)


def _graph() -> dict[str, dict[str, Import]]:
    graph: dict[str, dict[str, Import]] = {module: {} for module in _sources()}
    for found in _imports():
        target = _internal(found.target)
        if target is not None and target != found.module:
            graph[found.module].setdefault(target, found)
    return graph


def _cycles(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _cycle_path(graph: dict[str, dict[str, Import]], component: list[str]) -> list[Import]:
    """One concrete loop through a component, as the import statements that make it."""
    members = set(component)
    start = component[0]
    # breadth-first from start back to start, inside the component
    previous: dict[str, tuple[str, Import]] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child, found in sorted(graph[node].items()):
            if child not in members or child in previous:
                continue
            previous[child] = (node, found)
            if child == start:
                queue = []
                break
            queue.append(child)
    path: list[Import] = []
    node = start
    while True:
        parent, found = previous[node]
        path.append(found)
        node = parent
        if node == start:
            break
    return path[::-1]


def test_there_is_no_import_cycle():
    graph = _graph()
    report = []
    for component in _cycles(graph):
        loop = "\n".join(f"    {_where(found)}" for found in _cycle_path(graph, component))
        report.append(f"cycle among {', '.join(component)}:\n{loop}")
    assert not report, "import cycles:\n" + "\n".join(report)


def test_the_cycle_finder_finds_cycles():
    a, b = Import("a", 1, "import b", "b"), Import("b", 1, "import a", "a")
    graph = {"a": {"b": a}, "b": {"a": b}, "c": {"a": Import("c", 1, "import a", "a")}}
    assert _cycles(graph) == [["a", "b"]]
    assert _cycle_path(graph, ["a", "b"]) == [a, b]


def test_rendering_libraries_stay_in_report_and_cli():
    misplaced = [
        _where(found)
        for found in _imports()
        if found.target.split(".")[0] in RENDERING
        and not any(_within(found.module, home) for home in RENDERING_HOMES)
    ]
    assert not misplaced, "rendering library imported outside report/ and cli/:\n" + "\n".join(
        misplaced
    )


def _private(target: str) -> bool:
    parts = target.split(".")
    return any(part.startswith("_") and not part.startswith("__") for part in parts[1:])


def test_no_private_api_of_another_library():
    """`re._parser`, `rich._wrap` and the like change without notice between versions."""
    private = []
    for found in _imports():
        if _internal(found.target) is None and _private(found.target):
            private.append(_where(found))
    # attribute access such as `re._parser.parse(...)` after a plain `import re`
    for module, (_, tree, lines) in _sources().items():
        external = {
            alias.asname or alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
            if not _within(alias.name, NAME)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in external
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                text = lines[node.lineno - 1].strip()
                private.append(_where(Import(module, node.lineno, text, node.value.id)))
    assert not private, "private API of another library:\n" + "\n".join(private)


def test_no_lazy_getattr_facades():
    """A module-level `__getattr__` hides what a package imports and when."""
    facades = [
        f"{path.relative_to(ROOT)}:{node.lineno} ({module}): def __getattr__"
        for module, (path, tree, _) in _sources().items()
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__"
    ]
    assert not facades, "lazy __getattr__ facades:\n" + "\n".join(facades)


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        (f"{NAME}.report.model", 6),
        (f"{NAME}.report.json", 8),
        (f"{NAME}.compare.diff", 7),
        (f"{NAME}.errors", 1),
        (f"{NAME}.cli.app", 10),
    ],
)
def test_layer_lookup_uses_the_longest_prefix(module, layer):
    assert _layer(module) == layer


def test_imports_by_name_only_in_the_registry():
    """An `importlib.import_module` call hides an edge from the checks above; the format
    registry's are read from `_FORMATS`, and there are to be no others."""
    hidden = []
    for module, (_, tree, lines) in _sources().items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            called = ast.unparse(node.func)
            if called in ("importlib.import_module", "import_module", "__import__") and (
                module != f"{NAME}.report"
            ):
                text = lines[node.lineno - 1].strip()
                hidden.append(_where(Import(module, node.lineno, text, called)))
    assert not hidden, "imports by name outside the format registry:\n" + "\n".join(hidden)

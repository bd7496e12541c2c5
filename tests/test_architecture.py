"""The package's shape, read with `ast`: no import cycles (imports inside functions count), small modules and functions.

Cyclomatic complexity is computed here from the syntax tree (1 + one per branch point, as McCabe
counts it), so no dev dependency is needed for a dozen lines of counting.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "plexbooks_plugin"
ROOT = PACKAGE.name

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
MAX_COMPLEXITY = 20
MAX_FUNCTION_IMPORTS = 6

# Functions kept above the limits on purpose, with the reason.
FUNCTION_ALLOWED: dict[str, str] = {
    "plexbooks_plugin.plex.transport.send": "the one HTTP chokepoint: retries, caps, error mapping in one place",
}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that runs (at module level or inside functions), minus `if TYPE_CHECKING:` blocks."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _resolve(module: str, is_package: bool, node: ast.Import | ast.ImportFrom, known: set[str]) -> set[str]:
    targets: set[str] = set()
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        submodules = [f"{prefix}.{alias.name}" for alias in node.names if f"{prefix}.{alias.name}" in known]
        # `from .pkg import submodule` runs the submodule; `from .mod import name` runs mod.
        names = submodules or [prefix]
    # A package's own __init__ running first is not counted: every submodule would "import" its package.
    targets.update(name for name in names if name in known)
    return targets


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports at run time."""
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges: set[str] = set()
        for node in _runtime_imports(tree):
            edges |= _resolve(name, path.name == "__init__.py", node, known)
        edges.discard(name)
        edges.discard(ROOT)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def complexity(func: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """McCabe's cyclomatic complexity of one function (nested functions are counted on their own)."""
    count = 1
    stack: list[ast.AST] = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        if isinstance(node, ast.If | ast.For | ast.AsyncFor | ast.While | ast.IfExp | ast.ExceptHandler | ast.Assert):
            count += 1
        elif isinstance(node, ast.BoolOp):
            count += len(node.values) - 1
        elif isinstance(node, ast.comprehension):
            count += 1 + len(node.ifs)
        elif isinstance(node, ast.match_case):
            count += 1
        stack.extend(ast.iter_child_nodes(node))
    return count


def _functions(tree: ast.AST, prefix: str) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield f"{prefix}.{node.name}", node
            yield from _functions(node, f"{prefix}.{node.name}")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}.{node.name}")


def test_no_import_cycles() -> None:
    found = cycles(import_graph())
    assert not found, "import cycles (imports inside functions count):\n" + "\n".join(" -> ".join(c) for c in found)


def test_the_plex_parser_loads_neither_flask_nor_the_database() -> None:
    graph = import_graph()
    reached: set[str] = set()
    todo = ["plexbooks_plugin.plex.parsing"]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo.extend(graph[module])
    assert not reached & {"plexbooks_plugin.extension", "plexbooks_plugin.db", "plexbooks_plugin.store"}, reached


def test_cycle_finder_sees_imports_inside_functions() -> None:
    tree = ast.parse("def f():\n    from . import b\n")
    edges = set().union(*(_resolve("pkg.a", False, n, {"pkg.a", "pkg.b"}) for n in _runtime_imports(tree)))
    assert edges == {"pkg.b"}
    assert cycles({"pkg.a": {"pkg.b"}, "pkg.b": {"pkg.a"}}) == [["pkg.a", "pkg.b"]]


def test_imports_inside_functions_are_few_and_say_why() -> None:
    """Imports inside functions hide cycles and cost; the few left are for optional or heavy dependencies."""
    found: list[str] = []
    uncommented: list[str] = []
    for name, path in _modules().items():
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    where = f"{name}:{node.lineno}"
                    found.append(where)
                    if "#" not in lines[node.lineno - 1] and not lines[node.lineno - 2].strip().startswith("#"):
                        uncommented.append(where)
    assert len(found) <= MAX_FUNCTION_IMPORTS, found
    assert not uncommented, f"say why these imports are inside a function: {uncommented}"


def test_modules_are_small() -> None:
    big = {
        name: lines
        for name, path in _modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not big, f"modules over {MAX_MODULE_LINES} lines: {big}"


def test_functions_are_short_and_simple() -> None:
    problems: list[str] = []
    for name, path in _modules().items():
        for qualified, func in _functions(ast.parse(path.read_text(encoding="utf-8")), name):
            if qualified in FUNCTION_ALLOWED:
                continue
            length = (func.end_lineno or func.lineno) - func.lineno + 1
            score = complexity(func)
            if length > MAX_FUNCTION_LINES or score > MAX_COMPLEXITY:
                problems.append(f"{qualified}: {length} lines, complexity {score}")
    assert not problems, "\n".join(problems)


def test_complexity_counts_branches() -> None:
    tree = ast.parse("def f(a, b):\n    if a and b:\n        return 1\n    for x in a:\n        pass\n    return 0\n")
    func = tree.body[0]
    assert isinstance(func, ast.FunctionDef)
    assert complexity(func) == 4

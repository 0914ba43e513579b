"""The package's layers: imports point down, and the README's layout matches the folders.

Every module is read with `ast` (function-level and TYPE_CHECKING imports included) and mapped
to its layer; an import from a higher layer fails unless the importing function is a named
facade. Function-level imports of the same or a lower layer fail unless they break an import
cycle (otherwise they belong at the top of the module).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "symgrad"
LAYERS = ("core", "ops", "language", "calculus", "numeric", "eager", "nn", "optim", "checking",
          "web")
TOP_MODULES = ("cli", "demo", "__main__")  # one layer, above web
PACKAGE_INIT = "symgrad"                 # the public surface may import anything

# Functions that call upward on purpose: methods that make `e.diff()`, `str(e)`, ... work.
FACADES = frozenset({
    ("symgrad.core.expr", "Expr.__str__"),
    ("symgrad.core.expr", "Expr.latex"),
    ("symgrad.core.expr", "Expr.to_dot"),
    ("symgrad.core.expr", "Expr.dag"),
    ("symgrad.core.expr", "Expr._repr_latex_"),   # a notebook's LaTeX, bounded in size
    ("symgrad.core.expr", "Expr._repr_pretty_"),  # a notebook's text, bounded in size
    ("symgrad.core.expr", "Expr.eval"),
    ("symgrad.core.expr", "Expr.subs"),
    ("symgrad.core.expr", "Expr.to_sympy"),
    ("symgrad.core.expr", "Expr.simplify"),
    ("symgrad.core.expr", "Expr.diff"),
    ("symgrad.calculus.series", "_check_regular"),  # numbers decide where a series exists
})
# Imports under `if TYPE_CHECKING:` that name a higher layer's type in annotations only.
TYPING_ONLY = frozenset({
    ("symgrad.ops.functions", ""),  # the overloads say Tensor in -> Tensor out
})
# Function-level imports within or below the layer, needed because the target module imports
# the importing module at its top (checked below), so a top-level import would be a cycle.
CYCLE_BREAKERS = frozenset({
    ("symgrad.eager.tensor", "Tensor.backward", "symgrad.eager.autograd"),
    ("symgrad.eager.tensor", "Tensor.expr", "symgrad.eager.tracing"),
    ("symgrad.numeric.evaluate", "evaluate", "symgrad.numeric.kernel"),  # dask arrays
    ("symgrad.language.parse", "_parse", "symgrad.language.fastlane"),  # it reads parse's names
})
# Function-level imports that keep `import symgrad` fast: data loaded on first use.
LOADED_ON_FIRST_USE = frozenset({
    ("symgrad.language.parse", "_shipped_parser", "symgrad.language.parser_tables"),  # 58 KB
    ("symgrad.language.latex", "_shipped_parser", "symgrad.language.latex_tables"),  # 73 KB
})
# Function-level imports of a module that needs an optional dependency (an extra), so the
# importing module works without it.
NEEDS_OPTIONAL_DEPENDENCY = frozenset({
    ("symgrad.cli", "_serve", "symgrad.web.server"),  # Starlette and uvicorn: symgrad[web]
})


@dataclass(frozen=True)
class Import:
    source: str          # the importing module, dotted
    function: str        # qualified name of the enclosing function, "" at module level
    target: str          # the imported symgrad module, dotted
    line: int
    typing_only: bool    # under `if TYPE_CHECKING:`: no edge at run time

    def __str__(self) -> str:
        where = f"{self.source}:{self.function}" if self.function else self.source
        return f"{where} (line {self.line}) imports {self.target}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    """The layer's rank: core is 0; cli, demo and __main__ are one layer above web."""
    parts = module.split(".")
    if module == PACKAGE_INIT:
        return len(LAYERS) + 1
    if parts[1] in LAYERS:
        return LAYERS.index(parts[1])
    if len(parts) == 2 and parts[1] in TOP_MODULES:
        return len(LAYERS)
    raise AssertionError(f"{module} is in no layer: add its folder to LAYERS and the README")


def _targets(source: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == "symgrad"]
    if node.level == 0:
        if (node.module or "").split(".")[0] != "symgrad":
            return []
        base = node.module or ""
    else:
        package = source.split(".") if path.name == "__init__.py" else source.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    # `from .. import ops` imports a module; `from ..core.expr import Expr` a name of one
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
            for alias in node.names]


def imports_of(source: str, path: Path) -> list[Import]:
    """Every import of a symgrad module in `path`, with its enclosing function."""
    found: list[Import] = []
    stack: list[tuple[ast.AST, str, bool, bool]] = [(ast.parse(path.read_text()), "", False, False)]
    while stack:
        node, qualname, in_function, typing_only = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found += [Import(source, qualname if in_function else "", target, child.lineno,
                                 typing_only) for target in _targets(source, path, child)]
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                inner = f"{qualname}.{child.name}" if qualname else child.name
                is_function = in_function or not isinstance(child, ast.ClassDef)
                stack.append((child, inner, is_function, typing_only))
            else:
                checking = isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
                stack.append((child, qualname, in_function, typing_only or checking))
    return sorted(found, key=lambda item: (item.source, item.line, item.target))


ALL_IMPORTS = [item for source, path in MODULES.items() for item in imports_of(source, path)]


def upward_imports() -> list[Import]:
    return [item for item in ALL_IMPORTS if item.source != PACKAGE_INIT
            and layer_of(item.target) > layer_of(item.source)]


def test_every_module_belongs_to_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


def test_imports_point_down_except_named_facades() -> None:
    offending = [str(item) for item in upward_imports()
                 if (item.source, item.function) not in FACADES
                 and not (item.typing_only and (item.source, item.function) in TYPING_ONLY)]
    assert not offending, "upward imports (move the code down, or name a facade):\n" + \
        "\n".join(offending)


def test_every_allowed_upward_import_exists() -> None:
    # A stale entry would hide the next upward import from the same function.
    used = {(item.source, item.function) for item in upward_imports()}
    assert sorted(FACADES - used) == []
    assert sorted(TYPING_ONLY - used) == []


def test_function_level_imports_only_break_cycles() -> None:
    lazy = [item for item in ALL_IMPORTS if item.function and item.source != PACKAGE_INIT
            and layer_of(item.target) <= layer_of(item.source)
            and (item.source, item.function, item.target) not in CYCLE_BREAKERS | LOADED_ON_FIRST_USE | NEEDS_OPTIONAL_DEPENDENCY]
    assert not lazy, "function-level imports that belong at the top of the module:\n" + \
        "\n".join(map(str, lazy))


@pytest.mark.parametrize("source, function, target", sorted(CYCLE_BREAKERS))
def test_each_cycle_breaker_avoids_a_real_cycle(source: str, function: str, target: str) -> None:
    lazy = [item for item in ALL_IMPORTS if (item.source, item.function, item.target)
            == (source, function, target)]
    back = [item for item in imports_of(target, MODULES[target])
            if item.target == source and not item.function]
    assert lazy and back, f"{source}:{function} could import {target} at module level"


def test_module_level_imports_have_no_cycle() -> None:
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for item in ALL_IMPORTS:
        if not item.function and not item.typing_only and item.target != item.source:
            graph[item.source].add(item.target)
    # A package's __init__ runs before its modules, so a module importing a sibling through
    # its package is not an edge back to the package here.
    state: dict[str, int] = {}
    for root in graph:
        stack = [(root, iter(sorted(graph[root])))]
        state.setdefault(root, 1)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1 and not node.startswith(child + "."):
                path = [entry for entry, _ in stack] + [child]
                raise AssertionError("import cycle: " + " -> ".join(path))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(sorted(graph[child]))))


def readme_layout() -> list[str]:
    """The lines of the code block under the README's `## Layout` heading."""
    text = (ROOT / "README.md").read_text()
    match = re.search(r"^## Layout\n+```\n(.*?)^```", text, re.M | re.S)
    assert match, "README.md has no code block under '## Layout'"
    return match.group(1).splitlines()


def test_readme_layout_names_every_folder_in_layer_order() -> None:
    named = [match.group(1) for line in readme_layout()
             if (match := re.match(r"^  (\w+)/\s", line))]
    folders = sorted(path.name for path in PACKAGE.iterdir()
                     if path.is_dir() and (path / "__init__.py").exists())
    assert sorted(named) == folders
    assert tuple(named) == LAYERS


def test_readme_layout_names_every_top_module() -> None:
    layout = "\n".join(readme_layout())
    for path in PACKAGE.glob("*.py"):
        assert re.search(rf"(?<![\w.]){re.escape(path.name)}\b", layout), path.name


def test_every_subpackage_ships_in_the_wheel() -> None:
    import tomllib
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {"symgrad"} | {"symgrad." + path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert found <= listed, f"add to pyproject.toml's packages: {sorted(found - listed)}"

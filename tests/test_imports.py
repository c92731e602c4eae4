"""The package imports as a pipeline: no module of tieback imports, at any depth and
however late (inside a function too), a module that imports it back; and the core
imports neither a connector nor the configuration's models."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src"
PACKAGE = SRC / "tieback"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path) -> set[str]:
    """The tieback modules ``path`` imports anywhere but under ``if TYPE_CHECKING``."""
    found: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if "TYPE_CHECKING" in ast.unparse(node.test):
                for statement in node.orelse:
                    self.visit(statement)
                return
            self.generic_visit(node)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            module = node.module or ""
            if node.level or not module.startswith("tieback"):
                return
            for alias in node.names:
                named = f"{module}.{alias.name}"
                found.add(named if named in MODULES else module)

        def visit_Import(self, node: ast.Import) -> None:
            found.update(a.name for a in node.names if a.name.startswith("tieback"))

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8")))
    return {name for name in found if name in MODULES}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return groups


def test_no_import_circle() -> None:
    graph = {name: imports_of(path) - {name} for name, path in MODULES.items()}
    assert circles(graph) == []


def test_the_circle_check_finds_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("name", sorted(set(MODULES) - {"tieback.__main__"}))  # that one runs
def test_each_module_imports_on_its_own(name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {name}"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


# The model, the rules and what computes with them: values in, values out. The
# declarations' loader (tieback.outcomes) validates with pydantic, so it is not here.
CORE = (
    "tieback.model",
    "tieback.rules",
    "tieback.alignment",
    "tieback.coverage",
    "tieback.report",
    "tieback.prcheck",
    "tieback.history",
    "tieback.progress",
)
NOT_IN_CORE = ("tieback.connectors", "tieback.config", "tieback.settings", "pydantic")


def test_the_core_imports_no_connector_and_no_settings() -> None:
    script = (
        f"import json, sys, {', '.join(CORE)}\n"
        f"outside = {NOT_IN_CORE!r}\n"
        "print(json.dumps(sorted(name for name in sys.modules "
        "if any(name == o or name.startswith(o + '.') for o in outside))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_help_loads_no_settings_and_no_connector() -> None:
    # ``tieback --help`` is the start-up target (under 0.1 s): argparse and the
    # command table, not pydantic (~70 ms) nor the connectors' contexts.
    script = (
        "import json, sys\n"
        "sys.argv = ['tieback', '--help']\n"
        "from tieback.cli import run\n"
        "try:\n"
        "    run()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"outside = {('pydantic', 'tieback.config', 'tieback.connectors.context')!r}\n"
        "sys.stderr.write(json.dumps(sorted(name for name in sys.modules "
        "if any(name == o or name.startswith(o + '.') for o in outside))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr) == []

"""The layers' import rules, checked over the real import graph (tools/import_graph.py, the same
code `make imports` prints): no cycles anywhere; in console/ a function-level import only keeps a
heavy library (numba, pandas through the store, vectorbt, plotly) or an optional extra out of
start-up; core/ never imports storage/ or console/; storage/ never imports console/; and the CLI
commands and the screens reach core and storage through console/services/, never each other.
core/ and storage/ obey the same rule for function-level imports (heavy: numba, pandas, vectorbt,
plotly, arch, apprise)."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tools.import_graph import ROOT, ImportGraph, build_graph


@pytest.fixture(scope="module")
def graph() -> ImportGraph:
    return build_graph()


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_the_packages_have_no_import_cycle(graph):
    assert graph.cycles() == []


def test_console_imports_inside_functions_only_what_is_heavy(graph):
    unjustified = [f"{graph.modules[s.module].name}:{s.line} {s.target}" for s in graph.unjustified_lazy("console")]
    assert unjustified == []


@pytest.mark.parametrize("package", ["core", "storage"])
def test_core_and_storage_import_inside_functions_only_what_is_heavy(graph, package):
    unjustified = [f"{graph.modules[s.module].relative_to(ROOT)}:{s.line} {s.target}"
                   for s in graph.unjustified_lazy(package)]
    assert unjustified == []


def test_core_imports_neither_storage_nor_console(graph):
    wrong = {(m, t) for m, targets in graph.edges().items() if m.startswith("core")
             for t in targets if t.split(".")[0] in ("storage", "console")}
    assert wrong == set()


def test_storage_never_imports_the_console(graph):
    wrong = {(m, t) for m, targets in graph.edges().items() if m.startswith("storage")
             for t in targets if t.startswith("console")}
    assert wrong == set()


def test_surfaces_do_not_import_each_other(graph):
    """A command module a screen imports is a service in the wrong place (and the reverse)."""
    edges = graph.edges()
    commands = {m for m in graph.modules if m.startswith("console.commands.")}
    screens = {m for m in graph.modules if m.startswith(("console.screens.", "console.widgets.", "console.panes."))}
    services = {m for m in graph.modules if m.startswith("console.services")}
    assert {(m, t) for m in screens | services for t in edges.get(m, ()) if t in commands} == set()
    assert {(m, t) for m in commands | services for t in edges.get(m, ()) if t in screens} == set()
    assert {(m, t) for m in services for t in edges.get(m, ()) if t in {"console.cli", "console.app"}} == set()


def test_the_tool_finds_a_cycle_hidden_by_a_function_level_import(tmp_path):
    _write(tmp_path, {"console/__init__.py": "", "console/cli.py": "from console import report\n",
                      "console/report.py": "def run():\n    from console.cli import main\n"})
    cycles = build_graph(tmp_path, ("console",)).cycles()
    assert cycles == [["console.cli", "console.report"]]


def test_the_tool_follows_import_module_over_a_list_of_names(tmp_path):
    _write(tmp_path, {"console/__init__.py": "", "console/commands/__init__.py": "",
                      "console/cli.py": """
                          import importlib
                          NAMES = ["size"]
                          def build():
                              for name in NAMES:
                                  importlib.import_module(f"console.commands.{name}")
                          """,
                      "console/commands/size.py": "def run():\n    from console.cli import build\n"})
    assert build_graph(tmp_path, ("console",)).cycles() == [["console.cli", "console.commands.size"]]


def test_a_lazy_import_is_justified_only_by_a_heavy_closure(tmp_path):
    _write(tmp_path, {"console/__init__.py": "", "core/__init__.py": "",
                      "core/kernel.py": "import numba\n", "core/light.py": "import json\n",
                      "core/pkg/__init__.py": "from core.kernel import *\n", "core/pkg/leaf.py": "",
                      "console/app.py": """
                          from typing import TYPE_CHECKING
                          if TYPE_CHECKING:
                              from core.light import X
                          def a():
                              from core.kernel import k
                          def b():
                              from core.light import j
                          def c():
                              from core.pkg.leaf import z
                          def d():
                              import numba, json
                          """})
    g = build_graph(tmp_path, ("console", "core"))
    assert [(s.target, s.line) for s in g.unjustified_lazy("console")] == [("core.light", 8), ("json", 12)]
    assert g.heavy_modules() == {"core.kernel", "core.pkg"}  # a package that imports the kernel is heavy too
    assert not any(s.in_function is False and s.target == "core.light" for s in g.sites)  # TYPE_CHECKING: no edge


def test_a_lazy_import_of_what_is_loaded_anyway_is_not_justified(tmp_path):
    """The heavy package that holds the importer has run already, and so has a module-level import."""
    _write(tmp_path, {"core/__init__.py": "", "core/evo/__init__.py": "from core.evo.kernel import k\n",
                      "core/evo/kernel.py": "import numba\nk = 1\n", "core/evo/light.py": "",
                      "core/evo/config.py": """
                          from core.evo.kernel import k
                          def a():
                              from core.evo.light import x
                          def b():
                              from core.evo.kernel import k
                          def c():
                              import numba
                          """})
    g = build_graph(tmp_path, ("core",))
    assert [(s.target, s.line) for s in g.unjustified_lazy("core")] == [("core.evo.light", 4), ("core.evo.kernel", 6)]


def test_the_figures_are_printed_by_a_command_anyone_can_run():
    out = subprocess.run([sys.executable, "-m", "tools.import_graph"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[1] == "cycles: 0"
    for package in ("console", "core", "storage"):
        assert any(line.startswith(f"function-level imports in {package}/:") and line.endswith(", 0 not)")
                   for line in out)

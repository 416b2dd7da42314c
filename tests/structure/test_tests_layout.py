"""The test tree keeps the shape tests/LAYOUT.md describes: test modules grouped by layer in
subfolders, shared rigs once in tests/support/, and no test module importing another (a test
that needs a rig imports it from tests.support or asks conftest.py for a fixture)."""
from __future__ import annotations

import ast
from pathlib import Path

from tests.support.paths import ROOT

TESTS = ROOT / "tests"
LAYERS = {"backtest", "evolution", "study", "report", "market", "exchange", "monitor", "alerts", "storage", "cli",
          "console", "reliability", "structure"}


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at any depth of the file (function-level imports included);
    a name imported from a package counts as a module when it is a file of this checkout."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names  # `from tests import conftest`
                      if (ROOT / node.module.replace(".", "/") / f"{alias.name}.py").is_file()}
    return found


def is_test_module(name: str) -> bool:
    parts = name.split(".")
    return parts[0] == "tests" and (parts[-1].startswith("test_") or parts[-1] == "conftest")


def test_no_test_module_imports_another_test_module_or_conftest():
    offenders = sorted(f"{path.relative_to(ROOT)} imports {name}" for path in TESTS.rglob("*.py")
                       for name in imported_modules(path) if is_test_module(name))
    assert offenders == []


def test_every_test_module_sits_in_a_layer_folder():
    misplaced = sorted(str(p.relative_to(ROOT)) for p in TESTS.rglob("test_*.py")
                       if p.parent.parent != TESTS or p.parent.name not in LAYERS)
    assert misplaced == [], "move them as tests/LAYOUT.md says"


def test_every_layer_folder_is_a_package_so_module_names_stay_unique():
    folders = {p.name for p in TESTS.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))} - {"support"}
    assert folders == LAYERS
    assert all((TESTS / layer / "__init__.py").is_file() for layer in LAYERS | {"support"})


def test_the_import_scan_sees_an_import_of_a_test_module(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from tests.monitor.test_monitor_evaluate import BOOK\n"
                      "from tests import conftest\nfrom tests.support.paths import ROOT\n")
    names = imported_modules(sample)
    assert sorted(n for n in names if is_test_module(n)) == ["tests.conftest", "tests.monitor.test_monitor_evaluate"]

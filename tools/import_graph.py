"""The import graph of evorisk's packages: cycles and function-level imports.

Run `python -m tools.import_graph` (or `make imports`) from the checkout. It parses every module of
console/, core/ and storage/ with `ast` (nothing is imported or executed) and prints:

- the cycles: strongly connected components of the module graph, where an edge is any import that
  runs (at module level or inside a function; `if TYPE_CHECKING:` blocks are type hints only, so
  they are not edges). A function-level import hides a cycle from Python but not from a reader.
- the function-level imports per package, and those of them that are not *heavy*: a lazy import
  is justified only when it keeps numba, pandas, vectorbt, plotly, arch or apprise (directly, or
  through the imported module's own module-level imports), Textual, the exchange SDK or an optional
  extra out of start-up; never when the importer already imports the same module at module level,
  nor through a heavy package that contains the importer (Python has run that package before the
  importer).

tests/structure/test_import_graph.py checks the same figures with the same code.
"""
from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("console", "core", "storage")
# The brief's heavy libraries: a lazy import of them (or of a module that pulls them in) keeps
# `evorisk console` fast to start.
HEAVY_LIBRARIES = frozenset({"numba", "pandas", "vectorbt", "plotly"})
# Slow to import and needed by few processes: apprise (~0.17 s, only the processes that send alerts).
SLOW_LIBRARIES = frozenset({"apprise"})
# The Textual app is only for `evorisk console`: the other commands (an operator's `approve` or
# `actions` in a hurry) start without it (about 0.4 s of imports on this machine).
UI_LIBRARIES = frozenset({"textual"})
# The exchange SDK and its signing stack (eth_account: pydantic, pycryptodome, cytoolz): about
# 0.35 s of imports that `--help`, a usage error and the commands that only read the database do
# without; a module is heavy when it reaches them (the gateway, the paper exchange's auth).
SDK_LIBRARIES = frozenset({"eth_account", "hyperliquid"})
# Third-party packages that import a heavy library at their own module level (checked with
# `python -c "import sys, X; print('pandas' in sys.modules)"`): arch (numba, pandas) and
# sqlite_utils (pandas, for its type detection), which makes every module that opens the store heavy.
HEAVY_THIRD_PARTY = frozenset({"arch", "sqlite_utils"})
# Optional extras (pyproject's [cluster], PNG rendering) that a default install may lack.
OPTIONAL_LIBRARIES = frozenset({"dask", "distributed", "cairosvg"})


@dataclass(frozen=True)
class ImportSite:
    """One import statement's target as seen from `module` (line number for the report)."""

    module: str
    target: str
    line: int
    in_function: bool


@dataclass
class ImportGraph:
    modules: dict[str, Path]
    sites: list[ImportSite] = field(default_factory=list)

    def edges(self, function_level: bool = True) -> dict[str, set[str]]:
        """Module -> internal modules it imports (module-level only when function_level is False).

        Importing `a.b.c` first runs the packages `a` and `a.b`, so those are edges too (except the
        importer's own packages, which Python has already started)."""
        out: dict[str, set[str]] = defaultdict(set)
        for s in self.sites:
            if function_level or not s.in_function:
                for target in _with_parents(s.target):
                    if target in self.modules and not _is_own_package(s.module, target):
                        out[s.module].add(target)
        return out

    def cycles(self) -> list[list[str]]:
        """Strongly connected components with more than one module, largest first."""
        return sorted((sorted(c) for c in strongly_connected(self.modules, self.edges()) if len(c) > 1),
                      key=lambda c: (-len(c), c))

    def function_level(self, package: str | None = None) -> list[ImportSite]:
        return [s for s in self.sites if s.in_function and (package is None or _package(s.module) == package)]

    def heavy_modules(self) -> set[str]:
        """Internal modules whose module-level import closure reaches a heavy library."""
        direct = {s.module for s in self.sites if not s.in_function and _is_heavy_external(s.target)}
        top = self.edges(function_level=False)
        heavy = set(direct)
        changed = True
        while changed:
            changed = False
            for mod in self.modules:
                if mod not in heavy and top.get(mod, set()) & heavy:
                    heavy.add(mod)
                    changed = True
        return heavy

    def unjustified_lazy(self, package: str | None = None) -> list[ImportSite]:
        """Function-level imports that keep nothing heavy or optional out of start-up.

        A heavy package that contains the importer does not count (Python has run it already),
        nor does anything the importer also imports at module level (it is loaded anyway)."""
        heavy = self.heavy_modules()
        at_top = {(s.module, s.target) for s in self.sites if not s.in_function}
        return [s for s in self.function_level(package)
                if (s.module, s.target) in at_top
                or not (_is_heavy_external(s.target) or _root(s.target) in OPTIONAL_LIBRARIES
                        or any(t in heavy and not _is_own_package(s.module, t) for t in _with_parents(s.target)))]


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _is_own_package(module: str, target: str) -> bool:
    """`target` is `module` itself or a package that contains it."""
    return module == target or module.startswith(target + ".")


def _root(name: str) -> str:
    return name.split(".")[0]


def _package(module: str) -> str:
    return _root(module)


def _is_heavy_external(name: str) -> bool:
    return _root(name) in HEAVY_LIBRARIES | HEAVY_THIRD_PARTY | UI_LIBRARIES | SDK_LIBRARIES | SLOW_LIBRARIES


def module_files(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    out = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve_from(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom, known: dict[str, Path]) -> list[str]:
    """Modules an import statement loads: `from pkg import sub` names the submodule when it is one."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = _resolve_from(module, is_package, node)
    subs = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in known]
    plain = len(subs) < len(node.names)  # some names are attributes of base itself
    return ([base] if plain or not subs else []) + subs


def _constant_lists(tree: ast.Module) -> dict[str, list[str]]:
    """Module-level `NAME = [str, ...]` (or a tuple): what an import_module loop may iterate over."""
    out = {}
    for node in tree.body:
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if isinstance(value, (ast.List, ast.Tuple)) and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts):
            for t in targets:
                if isinstance(t, ast.Name):
                    out[t.id] = [e.value for e in value.elts]
    return out


class _Visitor(ast.NodeVisitor):
    """Import statements, plus `importlib.import_module("a.b")` and the loop form
    `for n in NAMES: import_module(f"a.{n}")` over a module-level list of names."""

    def __init__(self, module: str, is_package: bool, known: dict[str, Path], lists: dict[str, list[str]]):
        self.module, self.is_package, self.known, self.lists = module, is_package, known, lists
        self.depth = 0
        self.loops: dict[str, list[str]] = {}
        self.sites: list[ImportSite] = []

    def visit_For(self, node: ast.For) -> None:
        name = node.target.id if isinstance(node.target, ast.Name) else None
        if name and isinstance(node.iter, ast.Name) and node.iter.id in self.lists:
            self.loops[name] = self.lists[node.iter.id]
        self.generic_visit(node)
        self.loops.pop(name or "", None)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called == "import_module" and node.args:
            for target in self._dynamic_targets(node.args[0]):
                self.sites.append(ImportSite(self.module, target, node.lineno, self.depth > 0))
        self.generic_visit(node)

    def _dynamic_targets(self, arg: ast.expr) -> list[str]:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return [arg.value]
        if isinstance(arg, ast.JoinedStr) and len(arg.values) == 2 and isinstance(arg.values[0], ast.Constant):
            value = arg.values[1]
            if isinstance(value, ast.FormattedValue) and isinstance(value.value, ast.Name):
                return [f"{arg.values[0].value}{n}" for n in self.loops.get(value.value.id, [])]
        return []

    def _scope(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _scope

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        for target in _targets(self.module, self.is_package, node, self.known):
            self.sites.append(ImportSite(self.module, target, node.lineno, self.depth > 0))

    visit_Import = visit_ImportFrom = _import


def build_graph(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> ImportGraph:
    modules = module_files(root, packages)
    graph = ImportGraph(modules)
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        visitor = _Visitor(name, path.name == "__init__.py", modules, _constant_lists(tree))
        visitor.visit(tree)
        graph.sites.extend(visitor.sites)
    return graph


def strongly_connected(nodes: dict[str, Path], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (a deep package tree must not hit the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        comp.append(member)
                        if member == node:
                            break
                    out.append(comp)
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return out


def report(graph: ImportGraph, verbose: bool) -> list[str]:
    lines = [f"modules: {len(graph.modules)}; import edges: {sum(len(v) for v in graph.edges().values())}"]
    cycles = graph.cycles()
    lines.append(f"cycles: {len(cycles)}" + (f" (largest {len(cycles[0])} modules)" if cycles else ""))
    for c in cycles:
        lines.append(f"  {len(c)}: " + " ".join(c))
    for pkg in PACKAGES:
        lazy, unjustified = graph.function_level(pkg), graph.unjustified_lazy(pkg)
        lines.append(f"function-level imports in {pkg}/: {len(lazy)} ({len(lazy) - len(unjustified)} heavy or "
                     f"optional, {len(unjustified)} not)")
        if verbose:
            lines += [f"    {graph.modules[s.module].relative_to(ROOT)}:{s.line} {s.target}" for s in unjustified]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.import_graph", description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list every function-level import that is not heavy")
    args = parser.parse_args(argv)
    sys.stdout.write("\n".join(report(build_graph(), args.verbose)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

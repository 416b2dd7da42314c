"""The longest functions and modules of evorisk's packages, by line count (parsed with `ast`).

Run `python -m tools.longest [--top N] [package ...]` from the checkout (default: core storage).
A function's length is its `def` line to its last line, decorators and docstring included; a
module's is its line count. STYLE.md asks for short functions and modules under ~300 lines.
"""
from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def function_lengths(path: Path) -> list[tuple[int, str]]:
    """(lines, "file:line qualified.name") for every function and method in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: list[tuple[int, str]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                out.append((child.end_lineno - child.lineno + 1, f"{path.relative_to(ROOT)}:{child.lineno} {name}"))
                walk(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                walk(child, f"{prefix}{child.name}.")
            else:
                walk(child, prefix)

    walk(tree, "")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.longest", description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", default=["core", "storage"])
    parser.add_argument("--top", type=int, default=5)
    args = parser.parse_args(argv)
    files = sorted(p for pkg in args.packages for p in (ROOT / pkg).rglob("*.py"))
    functions = sorted((f for p in files for f in function_lengths(p)), key=lambda f: (-f[0], f[1]))
    modules = sorted(((len(p.read_text(encoding="utf-8").splitlines()), str(p.relative_to(ROOT))) for p in files),
                     key=lambda m: (-m[0], m[1]))
    lines = [f"longest functions in {', '.join(args.packages)}:"]
    lines += [f"  {n:4d}  {where}" for n, where in functions[:args.top]]
    lines += [f"longest modules in {', '.join(args.packages)}:"]
    lines += [f"  {n:4d}  {where}" for n, where in modules[:args.top]]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

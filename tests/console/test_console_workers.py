"""Threads post, the UI thread renders: no thread worker in console/ reaches a widget. A worker
(`@work(thread=True)`) ends with post_message; querying the DOM or calling back into the UI from
it races the UI thread (Harlequin's rule, STYLE.md)."""
from __future__ import annotations

import ast
from pathlib import Path

from tools.import_graph import ROOT

UI_CALLS = {"query_one", "query", "panel", "pane", "call_from_thread", "push_screen", "notify", "mount"}


def _is_thread_worker(fn: ast.FunctionDef) -> bool:
    for dec in fn.decorator_list:
        if isinstance(dec, ast.Call) and getattr(dec.func, "id", getattr(dec.func, "attr", "")) == "work":
            if any(k.arg == "thread" and isinstance(k.value, ast.Constant) and k.value.value for k in dec.keywords):
                return True
    return False


def ui_calls_in_thread_workers(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and _is_thread_worker(node):
                for call in ast.walk(node):
                    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
                            and call.func.attr in UI_CALLS:
                        found.append(f"{path.relative_to(root)}:{call.lineno} {node.name} calls {call.func.attr}")
    return found


def test_no_thread_worker_touches_a_widget():
    assert ui_calls_in_thread_workers(ROOT / "console") == []


def test_the_check_sees_a_worker_that_queries_the_dom(tmp_path):
    (tmp_path / "pane.py").write_text(
        "from textual import work\n"
        "class P:\n"
        "    @work(thread=True, exclusive=True)\n"
        "    def load(self):\n"
        "        rows = 1\n"
        "        self.query_one('#t').show(rows)\n"
        "    @work(exclusive=True)\n"
        "    async def on_ui(self):\n"
        "        self.query_one('#t')\n", encoding="utf-8")
    assert ui_calls_in_thread_workers(tmp_path) == ["pane.py:6 load calls query_one"]

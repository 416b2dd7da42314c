"""A listing command's output (`actions`, `alerts`, `promotions`): the rows as one JSON document
with --json, else each row's lines, or one line saying there is nothing yet."""
from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TextIO


def write_listing(rows: Sequence[Any], as_json: bool, lines_of: Callable[[Any], Iterable[str]], empty: str,
                  json_rows: Any = None, out: TextIO | None = None) -> None:
    """`json_rows` (default: `rows`) is what --json prints; `lines_of(row)` the text of one row."""
    out = out or sys.stdout
    if as_json:
        out.write(json.dumps(rows if json_rows is None else json_rows) + "\n")
        return
    if not rows:
        out.write(empty + "\n")
    for row in rows:
        out.writelines(line + "\n" for line in lines_of(row))

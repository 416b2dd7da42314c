"""Output paths of `export`, `report --html` and `study --html`: never a file the command reads.

Pointing an output at the live --db (directly, through a symlink or a hard link) or at a data
file would replace it; both are refused before any work starts (core.files.check_output_path).
The files themselves are written atomically by their writers (core.files.write_text_atomic).
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Iterable

from core.files import check_output_path


def db_path(args: argparse.Namespace) -> Path:
    from storage import default_db_path

    return Path(args.db) if getattr(args, "db", None) else default_db_path()


def read_paths(args: argparse.Namespace, data: Iterable[str] | None = None) -> list[Path]:
    """The database and every local data file (directories expand to their files; hl: specs are
    read from the database)."""
    out = [db_path(args)]
    for item in data or ():
        p = Path(item)
        if str(item).startswith("hl:"):
            continue
        if p.is_dir():
            out.extend(c for c in p.iterdir() if c.is_file())
        else:
            out.append(p)
    return out


def guard_output(path: str | None, flag: str, args: argparse.Namespace, data: Iterable[str] | None = None) -> None:
    """BadInputError when `path` is the database or a data file this command reads."""
    if path is None:
        return

    check_output_path(path, read_paths(args, data), flag)

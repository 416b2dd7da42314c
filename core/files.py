"""Reading input files and writing output files safely (issue 20, parts 3 and 4).

Inputs must be regular files: a FIFO would block the reader forever, /dev/zero never ends and a
directory is a typo. Outputs are written to a temporary file in the same directory and moved
over the target with os.replace, so a crash never leaves half a file, and an output path that
names a file the command reads (the database, a data file, through a symlink or a hard link) is
refused before anything is written.
"""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Iterable

from core.errors import BadInputError

# Genome files are a few KB; anything this large is not one, and reading it would only waste memory.
MAX_GENOME_FILE_BYTES = 16 * 1024 * 1024


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def regular_file_problem(path: str | Path) -> str | None:
    """Why `path` cannot be read as an input file (missing, directory, FIFO, device), or None.

    Uses stat, never open, so a FIFO is refused without blocking."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return f"cannot read ({exc.strerror})"
    if not stat.S_ISREG(st.st_mode):
        return f"is {_kind(st.st_mode)}, expected a regular file"
    return None


def read_regular_bytes(path: str | Path, max_bytes: int | None = None) -> bytes:
    """The bytes of a regular file; BadInputError naming the file for anything else."""
    problem = regular_file_problem(path)
    if problem is None and max_bytes is not None and os.stat(path).st_size > max_bytes:
        problem = f"is {os.stat(path).st_size:,} bytes, more than the {max_bytes:,} allowed"
    if problem is not None:
        raise BadInputError(f"{path}: {problem}")
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read ({exc.strerror})") from None


def same_file(a: str | Path, b: str | Path) -> bool:
    """True when both paths exist and are one file (same device and inode: symlinks, hard links)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_output_path(out: str | Path, inputs: Iterable[str | Path], flag: str) -> Path:
    """Refuse an output path that is (or links to) one of the files this command reads.

    `inputs` holds the database and every data file; SQLite's -wal and -shm companions count too."""
    out_path = Path(out)
    out_real = os.path.realpath(out_path)
    for src in inputs:
        for candidate in (Path(src), Path(f"{src}-wal"), Path(f"{src}-shm"), Path(f"{src}-journal")):
            # by inode (symlinks, hard links) and by name (a -wal file that does not exist yet)
            if same_file(out_path, candidate) or out_real == os.path.realpath(candidate):
                via = "" if out_real == os.path.realpath(candidate) and out_path == candidate else f" (it is {candidate})"
                raise BadInputError(f"{flag} {out}: refusing to overwrite a file this command reads{via}; "
                                    "choose another output file")
    if out_path.exists() and not out_path.is_file():
        raise BadInputError(f"{flag} {out}: is {_kind(os.stat(out_path).st_mode)}, expected a file to write")
    return out_path


_CREATE_MODE = 0o666


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | Path, text: str, flag: str = "output") -> Path:
    """Write `text` to a temporary file beside `path`, fsync it, then os.replace it into place."""
    out = Path(path)
    directory = out.parent if str(out.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise BadInputError(f"{flag} {out}: cannot write ({exc.strerror})") from None
    try:
        os.fchmod(fd, _CREATE_MODE & ~_umask())  # mkstemp makes 0600; an output file gets the usual mode
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise BadInputError(f"{flag} {out}: cannot write ({exc.strerror})") from None
    except BaseException:  # whatever failed, the temporary never stays behind
        Path(tmp).unlink(missing_ok=True)
        raise
    return out

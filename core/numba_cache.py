"""numba's on-disk cache keyed on every source file our compiled kernels depend on.

Why: numba invalidates a cached function only when the file that defines it changes. Our kernels
compile functions from other files (core/policy.py, phases_nb.py, rules_nb.py, books_nb.py,
enums.py, core/exchange/ticks.py ...), so an edit there alone used to load a stale kernel. Here the
cache of every jitted function defined in this project lives under <base>/<digest12>, the digest
over all those sources and the numba/numpy versions: any edit gives a fresh directory. Third-party
caches (vectorbt in the oracle tests) stay in <base>, so a kernel edit does not recompile them.

Every module that decorates with cache=True imports this one first (the *_nb.py modules do;
not the package __init__ files, so the console can import core.backtest's light modules without
loading numba). It registers a numba cache locator (numba.core.caching, numba pinned
in pyproject.toml; tests/backtest/test_numba_cache.py checks the kernel still caches through it).
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
from pathlib import Path

import numba
import numpy as np
from numba.core import caching

log = logging.getLogger("evorisk.numba_cache")
ROOT = Path(__file__).resolve().parents[1]
# Every folder holding @njit code or code it compiles, and the single shared modules.
KERNEL_SOURCE_DIRS = ("core/backtest", "core/study")
KERNEL_SOURCE_FILES = ("core/policy.py", "core/regimes.py", "core/genome.py", "core/vocabulary.py",
                       "core/exchange/ticks.py", "core/numba_cache.py")
DIGEST_CHARS = 12
_DIGEST_DIR = re.compile(r"^[0-9a-f]{%d}$" % DIGEST_CHARS)


def kernel_sources(root: Path = ROOT) -> list[Path]:
    """The source files the compiled kernels depend on, in a stable order."""
    files = [p for d in KERNEL_SOURCE_DIRS for p in (root / d).rglob("*.py")]
    files += [root / f for f in KERNEL_SOURCE_FILES]
    return sorted(p for p in files if p.is_file())


def source_digest(files: list[Path], root: Path = ROOT) -> str:
    """sha256 over the numba/numpy versions and each file's path (relative to root) and bytes."""
    h = hashlib.sha256(f"numba {numba.__version__} numpy {np.__version__}".encode())
    for path in files:
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def cache_base() -> Path:
    """NUMBA_CACHE_DIR (the Makefile and tests set it) or the project's .cache/numba."""
    return Path(os.environ.get("NUMBA_CACHE_DIR") or ROOT / ".cache" / "numba")


def kernel_cache_dir(root: Path = ROOT, base: Path | None = None) -> Path:
    return (base or cache_base()) / source_digest(kernel_sources(root), root)[:DIGEST_CHARS]


def prune_older(current: Path) -> list[Path]:
    """Remove sibling digest directories last written before `current` (older code's kernels)."""
    if not current.is_dir():
        return []
    mtime = current.stat().st_mtime
    gone = [p for p in current.parent.iterdir()
            if p != current and p.is_dir() and _DIGEST_DIR.match(p.name) and p.stat().st_mtime < mtime]
    for p in gone:
        shutil.rmtree(p, ignore_errors=True)
    return gone


def _is_project_source(py_file: str) -> bool:
    try:
        Path(py_file).resolve().relative_to(ROOT)
    except ValueError:
        return False
    return True


class DigestCacheLocator(caching.UserProvidedCacheLocator):
    """Caches the project's jitted functions under the digest directory; others fall through."""

    cache_dir: Path | None = None

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = os.path.join(str(self.cache_dir), self.get_suitable_cache_subpath(py_file))

    @classmethod
    def from_function(cls, py_func, py_file):
        if cls.cache_dir is None or not _is_project_source(py_file):
            return None
        return super(caching.UserProvidedCacheLocator, cls).from_function(py_func, py_file)


def install() -> Path:
    """Point the project's numba cache at the current digest directory (idempotent)."""
    if DigestCacheLocator.cache_dir is None:
        current = kernel_cache_dir()
        fresh = not current.exists()
        current.mkdir(parents=True, exist_ok=True)
        if fresh:
            for p in prune_older(current):
                log.info("removed the numba cache of older kernel sources: %s", p)
        DigestCacheLocator.cache_dir = current
        if DigestCacheLocator not in caching.CacheImpl._locator_classes:
            caching.CacheImpl._locator_classes.insert(0, DigestCacheLocator)
    return DigestCacheLocator.cache_dir


install()

"""The project's numba cache is keyed on every kernel source (core.numba_cache).

numba alone invalidates a cached function only when its own file changes; these tests check that
an edit to any file a kernel depends on gives another cache directory, that an unrelated edit does
not, that older digest directories are pruned, and that a second process still loads the
compiled function from the cache instead of compiling it.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.numba_cache import ROOT, kernel_cache_dir, kernel_sources, prune_older


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the kernel sources and one unrelated module."""
    root = tmp_path / "src"
    for path in kernel_sources() + [ROOT / "core" / "monitor" / "levels.py"]:
        target = root / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return root


@pytest.mark.parametrize("dependency", ["core/backtest/phases_nb.py", "core/backtest/rules_nb.py",
                                        "core/backtest/books_nb.py", "core/backtest/stats_nb.py",
                                        "core/backtest/enums.py", "core/policy.py", "core/exchange/ticks.py",
                                        "core/study/study_nb.py"])
def test_an_edit_to_any_kernel_dependency_gives_another_cache_dir(tree, tmp_path, dependency):
    before = kernel_cache_dir(tree, tmp_path / "base")
    with open(tree / dependency, "a") as f:
        f.write("\n# edited\n")
    assert kernel_cache_dir(tree, tmp_path / "base") != before


def test_an_unrelated_edit_keeps_the_cache_dir(tree, tmp_path):
    before = kernel_cache_dir(tree, tmp_path / "base")
    with open(tree / "core" / "monitor" / "levels.py", "a") as f:
        f.write("\n# edited\n")
    assert kernel_cache_dir(tree, tmp_path / "base") == before


def test_older_digest_dirs_are_pruned_and_other_caches_kept(tmp_path):
    old, current, vectorbt = tmp_path / "0123456789ab", tmp_path / "ba9876543210", tmp_path / "generic_93ae"
    for d in (old, current, vectorbt):
        d.mkdir()
    os.utime(old, (1_000_000, 1_000_000))
    os.utime(vectorbt, (1_000_000, 1_000_000))
    assert prune_older(current) == [old]
    assert not old.exists() and current.exists() and vectorbt.exists()


PROBE = """
import json
from core.numba_cache import DigestCacheLocator
from core.backtest.books_nb import round_price_nb
round_price_nb(1.234567, 0, 1)
print(json.dumps({"dir": str(DigestCacheLocator.cache_dir), "hits": sum(round_price_nb.stats.cache_hits.values()),
                  "misses": sum(round_price_nb.stats.cache_misses.values())}))
"""


def probe(base: Path) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(base)}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_second_process_loads_the_kernel_from_the_digest_cache(tmp_path):
    first, second = probe(tmp_path), probe(tmp_path)
    assert first["misses"] == 1 and first["hits"] == 0
    assert second["hits"] == 1 and second["misses"] == 0
    assert Path(first["dir"]).parent == tmp_path and any(Path(first["dir"]).rglob("*.nbi"))

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
DAILY = SHARED_DATA / "crypto-daily"
HOURLY = SHARED_DATA / "crypto-hourly"
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))


@pytest.fixture
def daily_dir() -> Path:
    if not DAILY.exists():
        pytest.skip("../shared/data is not beside the checkout")
    return DAILY


@pytest.fixture
def tmp_db(tmp_path: Path) -> Path:
    return tmp_path / "evorisk.db"

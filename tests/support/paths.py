"""Where tests find the repository and the shared market data set.

The data set (../shared/data, beside the checkout) is not part of the repository; a test that
needs it asks for the `shared_data`, `daily_dir` or `hourly_dir` fixture (tests/conftest.py),
which skips it with one reason when the data set is absent. The venue's recorded reply shapes
(../shared/reference/hl-shapes) are the same: the `hl_shapes_dir` fixture. Module constants here are for
parametrize ids and subprocess arguments, never for deciding whether to skip.
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"
DAILY = SHARED_DATA / "crypto-daily"
HOURLY = SHARED_DATA / "crypto-hourly"
MISSING_DATA_REASON = "../shared/data (crypto-daily and crypto-hourly) is not beside the checkout"
HL_SHAPES = ROOT.parent / "shared" / "reference" / "hl-shapes"
MISSING_SHAPES_REASON = "../shared/reference/hl-shapes (the venue's reply shapes) is not beside the checkout"


def shared_data_present() -> bool:
    """Both halves of the data set are there (the tests use daily and hourly bars)."""
    return DAILY.is_dir() and HOURLY.is_dir()

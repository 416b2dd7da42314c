"""Fixtures every test layer may ask for; the rigs behind them live in tests/support/."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.exchange.paper import ManualClock, PaperExchange, PaperSettings
from storage.alert_repo import AlertRepo
from storage.evolution_repo import EvolutionRepo
from storage.monitor_repo import MonitorRepo
from storage.run_repo import RunRepo
from storage.store import Store
from tests.support import paper as paper_rig
from tests.support.paths import (DAILY, HL_SHAPES, HOURLY, MISSING_DATA_REASON, MISSING_SHAPES_REASON, ROOT,
                                 SHARED_DATA, shared_data_present)

os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or a skip: the one place a test learns the data set is missing."""
    if not shared_data_present():
        pytest.skip(MISSING_DATA_REASON)
    return SHARED_DATA


@pytest.fixture(scope="session")
def daily_dir(shared_data) -> Path:
    """The ten daily coin CSVs of the shared data set."""
    return DAILY


@pytest.fixture(scope="session")
def hourly_dir(shared_data) -> Path:
    """The hourly coin CSVs of the shared data set."""
    return HOURLY


@pytest.fixture(scope="session")
def hl_shapes_dir() -> Path:
    """../shared/reference/hl-shapes, or a skip: the venue's reply shapes the paper exchange matches."""
    if not HL_SHAPES.is_dir():
        pytest.skip(MISSING_SHAPES_REASON)
    return HL_SHAPES


@pytest.fixture
def tmp_db(tmp_path: Path) -> Path:
    """The test's database file; the `store` fixture and a CLI given `--db tmp_db` share it."""
    return tmp_path / "evorisk.db"


@pytest.fixture
def store(tmp_db: Path) -> Iterator[Store]:
    """The real SQLite store at `tmp_db`, migrated, closed after the test."""
    opened = Store(tmp_db)
    yield opened
    opened.close()


@pytest.fixture
def evolution_repo(store: Store) -> EvolutionRepo:
    """Runs, checkpoints and the hall of fame in `store`."""
    return EvolutionRepo(store)


@pytest.fixture
def monitor_repo(store: Store) -> MonitorRepo:
    """The monitor's state, actions, orders and promotions in `store`."""
    return MonitorRepo(store)


@pytest.fixture
def alert_repo(store: Store) -> AlertRepo:
    """Alert events and their deliveries in `store`."""
    return AlertRepo(store)


@pytest.fixture
def run_repo(store: Store) -> RunRepo:
    """The runs table of `store`, as the study and monitor commands read it."""
    return RunRepo(store)


@pytest.fixture(autouse=True)
def stop_paper_exchanges():
    """Stop every paper exchange a test started through tests/support (rigs included)."""
    yield
    paper_rig.stop_started()


@pytest.fixture
def clock() -> ManualClock:
    """The manual clock `paper` runs on: tests move time, nothing sleeps."""
    return ManualClock()


@pytest.fixture
def paper_settings() -> PaperSettings:
    """Settings of the `paper` fixture; a module overrides this fixture to change them."""
    return PaperSettings(history_minutes=600)


@pytest.fixture
def paper(paper_settings, clock) -> PaperExchange:
    """The paper exchange on loopback, started on `clock`, stopped after the test."""
    return paper_rig.start_paper(paper_settings, clock)


@pytest.fixture
def trader(paper):
    """A wallet with a funded account on `paper`."""
    return paper_rig.funded_wallet(paper)

"""Storage: migrations at open, WAL, busy handling, thread-safe use, logging into app_log."""
from __future__ import annotations

import logging
import sqlite3
import threading

import pytest

from storage import Store, StoreBusyError
from storage.candle_repo import CandleRepo
from storage.log_repo import LogRepo
from storage.logsetup import configure_logging
from storage.migrations import MIGRATIONS
from storage.run_repo import RunRepo


def test_migrations_apply_on_an_in_memory_db():
    store = Store(":memory:")
    assert store.applied_migrations == [name for name, _ in MIGRATIONS]
    for table in ("runs", "genomes", "candles", "app_log"):
        assert table in store.table_names()


def test_migrations_are_applied_once(tmp_db):
    Store(tmp_db).close()
    again = Store(tmp_db)
    assert again.applied_migrations == []
    assert again.migration_names() == [name for name, _ in MIGRATIONS]


def test_file_db_uses_wal_and_busy_timeout(store):
    assert store.query("PRAGMA journal_mode")[0]["journal_mode"] == "wal"
    assert store.query("PRAGMA busy_timeout")[0]["timeout"] >= 1000


def test_runs_and_genomes_round_trip(run_repo):
    run_id = run_repo.create_run({"pop": 50}, "abc", "BTC,ETH")
    gid = run_repo.save_genome([0.5] * 22, fitness=0.7, run_id=run_id, metrics={"sharpe": 1.0})
    run_repo.set_run_status(run_id, "finished", best_fitness=0.7)
    assert run_repo.get_run(run_id)["status"] == "finished"
    g = run_repo.get_genome(gid)
    assert g["genes"] == [0.5] * 22 and g["metrics"] == {"sharpe": 1.0}


def test_a_failed_write_leaves_nothing(store):
    rows = [(1, 1.0, 2.0, 0.5, 1.5, 10.0), (2, 1.0, 2.0, 0.5, 1.5, None)]  # NOT NULL violation
    with pytest.raises(sqlite3.IntegrityError):
        CandleRepo(store).write_candles("paper", "BTC", "1d", rows)
    assert CandleRepo(store).candles("paper", "BTC", "1d") == []


def test_locked_database_reports_busy_and_commits_nothing(tmp_db, store):
    store.db.conn.execute("PRAGMA busy_timeout = 100")
    other = sqlite3.connect(tmp_db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreBusyError):
            RunRepo(store).create_run({}, "fp")
    finally:
        other.execute("ROLLBACK")
    assert RunRepo(store).list_runs() == []


def test_concurrent_writers_from_threads(store):
    errors = []

    def writer(k):
        try:
            for i in range(50):
                LogRepo(store).append_log("2026-01-01T00:00:00", "INFO", f"t{k}", f"msg {i}")
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert store.query("SELECT COUNT(*) AS n FROM app_log")[0]["n"] == 200


def test_logging_goes_to_file_and_app_log(tmp_path, store):
    configure_logging(tmp_path / "x.log", store)
    logging.getLogger("core.test").warning("breaker moved to %s", "TIGHTENED")
    rows = LogRepo(store).recent_logs(min_level="WARNING")
    assert rows and rows[0]["message"] == "breaker moved to TIGHTENED" and rows[0]["logger"] == "core.test"
    for h in logging.getLogger().handlers:
        h.flush()
    assert "breaker moved to TIGHTENED" in (tmp_path / "x.log").read_text()
    configure_logging(None, None)


def test_non_durable_transaction_restores_full_sync(store):
    with store.transaction(durable=False) as conn:
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL while writing
        conn.execute("INSERT INTO app_log (ts, level, logger, message) VALUES ('t', 'INFO', 'x', 'y')")
    assert store.query("PRAGMA synchronous")[0]["synchronous"] == 2  # FULL for everything else
    assert LogRepo(store).recent_logs()[0]["message"] == "y"

"""RELIABILITY section 2, scenarios 26, 27, 28, 32 and 33 (issue 20, parts 4, 5 and 7).

26 outputs never replace the database, 27 global flags before or after the subcommand, 28 a
database from a newer schema, 32 a busy or full database while the monitor runs (a real second
process holds the write lock; the disk fills through SQLite's own page limit), 33 the typed
mainnet confirmation on a real pseudo-terminal.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import os
import pty
import select
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console.cli import build_parser, main
from console.views.monitor_line import DbEpisodes, snapshot_line
from core.files import write_text_atomic
from storage.logsetup import StoreLogHandler
from storage.monitor_repo import MonitorRepo
from storage.run_repo import RunRepo
from storage.store import Store
from tests.support.hostile_files import build
from tests.support.connection_trap import ConnectionTrap
from tests.support.reliability_rig import exchange_calls, integrity_ok, propose_exit, rig

HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def seeded_db(tmp_path: Path) -> Path:
    db = tmp_path / "live.db"
    store = Store(db)
    runs = RunRepo(store)
    run_id = runs.create_run({"population_size": 2}, "fp", "test data")
    runs.save_genome([0.5] * 22, fitness=0.25, run_id=run_id, label="best")
    store.close()
    return db


# ---- 26: an output path is the database ---------------------------------------------------------
@pytest.mark.parametrize("how", ["same path", "symlink", "hard link", "its -wal file"])
@pytest.mark.parametrize("command", ["export", "report --html", "study --html"])
def test_s26_output_pointed_at_the_database_is_refused_and_the_db_survives(tmp_path, capsys, daily_dir, command, how):
    db = seeded_db(tmp_path)
    target = {"same path": db, "symlink": tmp_path / "alias.html", "hard link": tmp_path / "twin.html",
              "its -wal file": Path(f"{db}-wal")}[how]
    if how == "symlink":
        target.symlink_to(db)
    if how == "hard link":
        os.link(db, target)
    before = sha256(db)
    argv = {"export": ["export", "1", str(target)], "report --html": ["report", "1", "--html", str(target)],
            "study --html": ["study", "--data", str(daily_dir), "--html", str(target)]}[command]
    assert main([*argv, "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "refusing to overwrite a file this command reads" in err and len(err.strip().splitlines()) == 1
    assert sha256(db) == before and integrity_ok(db)
    if how == "its -wal file":
        assert not target.exists() or target.read_bytes()[:4] != b"<!DO"


def test_s26_a_genome_file_is_replaced_whole_through_a_temporary_file(tmp_path):
    from core.genome import load_genome_file, save_genome_file

    out = tmp_path / "best.json"
    out.write_text("old contents that must be replaced whole")
    save_genome_file(out, [0.25] * 22, run_id=1)
    assert [float(g) for g in load_genome_file(out)[0][0]] == [0.25] * 22
    assert [p.name for p in tmp_path.iterdir()] == ["best.json"]  # no temporary left behind


def test_s26_an_atomic_write_that_fails_leaves_the_old_file(tmp_path):
    out = tmp_path / "page.html"
    out.write_text("previous page")
    with pytest.raises(TypeError):
        write_text_atomic(out, 12345)  # type: ignore[arg-type]  (the write fails after the temporary exists)
    assert out.read_text() == "previous page"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


# ---- 27: global flags before or after the subcommand ---------------------------------------------
def test_s27_db_before_the_subcommand_reads_that_database(tmp_path, capsys, monkeypatch):
    db = seeded_db(tmp_path)
    other = tmp_path / "default.db"
    monkeypatch.setenv("EVORISK_DB", str(other))
    assert main(["--db", str(db), "runs", "--json"]) == 0
    before = capsys.readouterr().out
    assert main(["runs", "--json", "--db", str(db)]) == 0
    assert capsys.readouterr().out == before and '"id": 1' in before
    assert not other.exists()  # the default database was never opened


@pytest.mark.parametrize("argv", [["--verbose", "--db", "X", "actions"], ["actions", "--verbose", "--db", "X"],
                                  ["--db", "X", "actions", "--verbose"], ["--verbose", "actions", "--db", "X"]])
def test_s27_verbose_and_db_mean_the_same_in_every_position(argv):
    args = build_parser().parse_args(argv)
    assert (args.db, args.verbose, args.command) == ("X", True, "actions")


def test_s27_a_later_db_flag_wins_over_an_earlier_one():
    assert build_parser().parse_args(["--db", "A", "actions", "--db", "B"]).db == "B"


# ---- 28: a database from a newer schema --------------------------------------------------------
def test_s28_unknown_newer_migration_is_refused_with_its_name_and_nothing_is_written(tmp_path, capsys):
    db = seeded_db(tmp_path)
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('m901_future_feature', 'later')")
    conn.commit()
    conn.close()
    before = sha256(db)
    for argv in (["runs"], ["actions"], ["reset-breaker"], ["promote", "--genome-id", "1"]):
        assert main([*argv, "--db", str(db)]) == 2
        err = capsys.readouterr().err
        assert "m901_future_feature" in err and "newer evorisk" in err and len(err.strip().splitlines()) == 1
    assert sha256(db) == before
    rows = sqlite3.connect(db).execute("SELECT COUNT(*) FROM app_log").fetchone()[0]
    assert rows == 0  # not even a log row


def test_s28_a_known_schema_still_opens_and_migrates(tmp_path):
    db = seeded_db(tmp_path)
    assert Store(db).applied_migrations == []  # reopening applies nothing and refuses nothing


# ---- 32: SQLite busy or full while the monitor runs --------------------------------------------
def _busy_rig(tmp_path):
    r = rig(tmp_path)
    fast = MonitorRepo(Store(r.db_path, busy_timeout_ms=150), retry_delays_s=(0.01,))
    return dataclasses.replace(r, repo=fast)


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_s32_write_lock_held_by_another_process_is_one_line_per_episode_and_nothing_is_sent(
        tmp_path, capfd, caplog, record_property):
    r = _busy_rig(tmp_path)
    service = r.service()
    service.run_cycle()
    action_id = propose_exit(r)
    r.repo.approve_action(action_id, "alice", r.clock.now_ms())
    clock = FakeClock()
    handler = StoreLogHandler(r.repo.store, clock=clock)
    root = logging.getLogger()
    root.addHandler(handler)
    err = io.StringIO()
    episodes = DbEpisodes(err)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(r.db_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        lines = []
        with caplog.at_level(logging.WARNING, logger="evorisk.monitor"):
            for _ in range(3):
                r.step()
                snap = service.run_cycle()
                episodes.see(snap)
                lines.append(snapshot_line(snap, as_json=False))
        assert all("DB: database busy" in line for line in lines)
        sent_while_locked = exchange_calls(r)
        assert sent_while_locked == 0  # approved, but no intent row could be written: nothing sent
        busy_warnings = [rec for rec in caplog.records if "the monitor keeps polling" in rec.getMessage()]
        assert len(busy_warnings) == 1  # once per episode, not per cycle
        assert err.getvalue().count("\n") == 1 and "monitor blocked: database busy" in err.getvalue()
        assert handler.dropped >= 1
    finally:
        holder.communicate("go\n", timeout=10)
    clock.t += StoreLogHandler.RETRY_AFTER_S + 1
    r.step()
    snap = service.run_cycle()
    episodes.see(snap)
    root.removeHandler(handler)
    assert snap.db_error is None and "writable again" in err.getvalue()
    assert sum(r.paper.posted_cloids.values()) == len(r.paper.posted_cloids) >= 1  # each cloid POSTed once
    notes = r.repo.store.query("SELECT message FROM app_log WHERE logger = 'evorisk.logging'")
    assert notes and "were not stored in app_log" in notes[0]["message"]
    captured = capfd.readouterr()
    assert "--- Logging error ---" not in captured.err and "Traceback" not in captured.err
    record_property("exchange_calls", sent_while_locked)
    assert integrity_ok(r.db_path)


def test_s32_disk_full_is_reported_in_the_snapshot_and_logging_never_prints_a_traceback(tmp_path, capfd):
    r = _busy_rig(tmp_path)
    service = r.service()
    service.run_cycle()
    handler = StoreLogHandler(r.repo.store)
    logging.getLogger().addHandler(handler)
    conn = r.repo.store.db.conn
    try:
        conn.execute("CREATE TABLE filler (x BLOB)")
        conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0] + 2}")
        for size in (512, 64, 8, 1):  # every free byte taken: the next row of any table cannot be stored
            with pytest.raises(sqlite3.OperationalError, match="full"):
                while True:
                    conn.execute(f"INSERT INTO filler VALUES (randomblob({size}))")
        for _ in range(2):
            r.step()
            snap = service.run_cycle()
            assert snap.db_error and snap.db_error.startswith("database full")
        # larger than a page: it cannot hide in free space left in app_log's last page
        logging.getLogger("evorisk.test").warning("a record while the disk is full %s", "x" * 8192)
    finally:
        logging.getLogger().removeHandler(handler)
        conn.execute("PRAGMA max_page_count = 1073741823")
    assert handler.dropped >= 1
    err = capfd.readouterr().err
    assert "--- Logging error ---" not in err and "Traceback" not in err
    assert exchange_calls(r) == 0 and integrity_ok(r.db_path)


def test_s32_monitor_once_on_a_locked_database_exits_4(tmp_path, capsys):
    r = rig(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(r.db_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        code = main(["monitor", "--headless", "--once", "--base-url", r.paper.base_url, "--address",
                     r.paper.demo_address, "--db", str(r.db_path)])
    finally:
        holder.communicate("go\n", timeout=10)
    out, err = capsys.readouterr()
    assert code == 4, err
    assert "Traceback" not in err and "--- Logging error ---" not in err
    assert len(err.strip().splitlines()) == 1 and "database busy" in err


# ---- 33: a live mainnet session needs a typed confirmation --------------------------------------
MAINNET_MONITOR = ["monitor", "--headless", "--once", "--network", "mainnet", "--i-understand-mainnet",
                   "--base-url", "https://api.hyperliquid.xyz", "--address", "0x" + "1" * 40]


def _console_on_a_pty(tmp_path: Path, typed: str | None, argv: list[str] | None = None,
                      proxy: str = "http://127.0.0.1:9") -> tuple[int, str, str]:
    """Run `evorisk console --network mainnet --i-understand-mainnet` (or `argv`) with stdin/stdout on a
    pseudo-terminal (stderr a pipe), type `typed` after the prompt (None: close the terminal), return
    code, screen, stderr. Every HTTP(S) request goes to `proxy` on loopback: nothing may leave."""
    master, slave = pty.openpty()
    script = Path(sys.executable).with_name("evorisk")
    env = {**os.environ, "EVORISK_PRIVATE_KEY": "0x" + "4" * 64, "EVORISK_ADDRESS": "0x" + "1" * 40,
           "HTTPS_PROXY": proxy, "HTTP_PROXY": proxy, "https_proxy": proxy, "http_proxy": proxy,
           "NO_PROXY": "", "no_proxy": ""}
    argv = argv or ["console", "--network", "mainnet", "--i-understand-mainnet"]
    proc = subprocess.Popen([str(script), *argv, "--db", str(tmp_path / "main.db")], stdin=slave, stdout=slave,
                            stderr=subprocess.PIPE, env=env, close_fds=True)
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + 60
    while b"Type MAINNET" not in screen and time.monotonic() < deadline and proc.poll() is None:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                screen += os.read(master, 4096)
            except OSError:
                break
    if typed is not None:
        os.write(master, typed.encode() + b"\r")
    else:
        os.write(master, b"\x04")  # end of input
    _, err = proc.communicate(timeout=60)
    os.close(master)
    return proc.returncode, screen.decode(errors="replace"), err.decode()


@pytest.mark.parametrize("typed", ["yes", "mainnet", "", None])
def test_s33_mainnet_console_on_a_terminal_without_the_typed_word_is_refused(tmp_path, typed, record_property):
    code, screen, err = _console_on_a_pty(tmp_path, typed)
    assert "Type MAINNET to continue" in screen  # it asked, on the terminal
    assert code == 2 and len(err.strip().splitlines()) == 1 and "not confirmed" in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "main.db").exists()  # refused before the database, the key or any gateway
    record_property("guard_attempts", 1)


def test_s33_mainnet_console_without_a_terminal_is_refused_before_any_gateway(tmp_path, capsys, monkeypatch):
    built = []
    import core.exchange.gateway as gw

    original = gw.HyperliquidGateway.__init__
    monkeypatch.setattr(gw.HyperliquidGateway, "__init__", lambda self, *a, **k: built.append(a) or original(self, *a, **k))
    monkeypatch.setenv("EVORISK_PRIVATE_KEY", "0x" + "4" * 64)
    assert main(["console", "--network", "mainnet", "--i-understand-mainnet", "--db", str(tmp_path / "m.db")]) == 2
    err = capsys.readouterr().err
    assert "needs a typed confirmation on a terminal" in err and len(err.strip().splitlines()) == 1
    assert built == [] and not (tmp_path / "m.db").exists()


@pytest.mark.parametrize("typed", ["yes", "", None])
def test_s33_mainnet_monitor_on_a_terminal_without_the_typed_word_is_refused_and_sends_nothing(
        tmp_path, typed, record_property):
    trap = ConnectionTrap()
    try:
        code, screen, err = _console_on_a_pty(tmp_path, typed, MAINNET_MONITOR, f"http://127.0.0.1:{trap.port}")
    finally:
        trap.close()
    assert "Type MAINNET to continue" in screen  # it asked, on the terminal, as the console does
    assert code == 2 and len(err.strip().splitlines()) == 1 and "the monitor on mainnet not confirmed" in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "main.db").exists() and trap.connections == 0  # no database, no gateway, no request
    record_property("guard_attempts", 1)


def test_s33_mainnet_monitor_confirmed_on_a_terminal_goes_on_to_the_venue(tmp_path):
    """The typed word is the only thing between the refusal above and a live session: with it, the
    monitor opens its database and asks the venue (here: a trap standing in as the proxy)."""
    trap = ConnectionTrap()
    try:
        code, screen, err = _console_on_a_pty(tmp_path, "MAINNET", MAINNET_MONITOR, f"http://127.0.0.1:{trap.port}")
    finally:
        trap.close()
    assert "Type MAINNET to continue" in screen
    assert code == 3 and "Traceback" not in err, err  # went on: the trap closed its connection, unreachable
    assert (tmp_path / "main.db").exists() and trap.connections > 0


@pytest.mark.parametrize("extra, said", [([], "needs --i-understand-mainnet"),
                                         (["--i-understand-mainnet"], "needs a typed confirmation on a terminal")])
def test_s33_mainnet_monitor_without_the_flag_or_a_terminal_is_refused_before_any_gateway(
        tmp_path, capsys, monkeypatch, extra, said):
    built = []
    import core.exchange.gateway as gw

    original = gw.HyperliquidGateway.__init__
    monkeypatch.setattr(gw.HyperliquidGateway, "__init__", lambda self, *a, **k: built.append(a) or original(self, *a, **k))
    monkeypatch.setenv("EVORISK_PRIVATE_KEY", "0x" + "4" * 64)
    argv = [a for a in MAINNET_MONITOR if a != "--i-understand-mainnet"] + extra
    assert main([*argv, "--db", str(tmp_path / "m.db")]) == 2
    err = capsys.readouterr().err
    assert said in err and len(err.strip().splitlines()) == 1
    assert built == [] and not (tmp_path / "m.db").exists()


def test_s33_read_only_mainnet_market_data_never_loads_the_key(monkeypatch):
    from console.services.data_spec import read_gateway
    from core.exchange.errors import GatewayConfigError

    monkeypatch.setenv("EVORISK_PRIVATE_KEY", "0x" + "4" * 64)
    gateway = read_gateway("mainnet", None, 5.0)  # only when mainnet is named explicitly
    assert gateway.network == "mainnet" and gateway.signer_address is None
    with pytest.raises(GatewayConfigError, match="no signing key"):
        gateway.schedule_cancel(None)  # no key: it cannot sign anything (refused before any request)


def test_s33_the_confirmation_accepts_exactly_the_typed_word():
    from console.mainnet_guard import require_mainnet_confirmation
    from core.errors import BadInputError

    class Tty(io.StringIO):
        def isatty(self):
            return True

    require_mainnet_confirmation(Tty("MAINNET\n"), Tty(), "the console")  # returns: confirmed
    for typed in ("MAINNET!\n", "main net\n", "\n", ""):
        with pytest.raises(BadInputError):
            require_mainnet_confirmation(Tty(typed), Tty(), "the console")

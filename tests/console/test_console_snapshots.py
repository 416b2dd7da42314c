"""Snapshot tests of every console screen on fixed input (pytest-textual-snapshot), each at 80x24,
120x36 and 200x60: the sizes an operator's terminal has (SPEC 7: at 80x24 and 120x36 the
essentials stay visible).

Regenerate after an intended change with `pytest tests/console/test_console_snapshots.py --snapshot-update`
and look at the SVGs before committing them.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from console.app import EvoriskApp
from console.messages import EvolutionProgress, SnapshotReady
from tests.support.console_rig import wait_for
from tests.support.risk_snapshots import perp_snapshot, snapshot

SIZES = [(80, 24), (120, 36), (200, 60)]
by_size = pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
LOG_ROWS = [  # fixed rows: the live app_log has wall-clock times
    {"id": 3, "ts": "2026-12-01T09:00:02", "level": "WARNING", "logger": "evorisk.monitor",
     "message": "breaker REDUCING -> EMERGENCY: drawdown 10.70% is 1.07 x max 10.00%"},
    {"id": 2, "ts": "2026-12-01T09:00:01", "level": "WARNING", "logger": "evorisk.monitor",
     "message": "action 3 proposed (exit_all): EMERGENCY: drawdown 10.70% is 1.07 x max 10.00%; close every position"},
    {"id": 1, "ts": "2026-12-01T09:00:00", "level": "INFO", "logger": "evorisk.console", "message": "console started on PAPER"},
]


def app_for(tmp_path) -> EvoriskApp:
    app = EvoriskApp(db_path=tmp_path / "snap.db", live=False)
    app.refresh_log = lambda: None  # the Log tab shows LOG_ROWS, not this run's timestamps
    return app


async def settle(pilot) -> None:
    """Wait out the status line's alarm flash and clear the toasts, so every frame is the same."""
    status = pilot.app.panel("#status-line")
    # over when the line neither flashes nor still names the alarm (it does for every flash phase)
    await wait_for(pilot, lambda: not status.has_class("-flash") and "ALARM:" not in str(status.content),
                   timeout_s=10)
    pilot.app.clear_notifications()
    await pilot.pause(0.1)


def feed(snap, *then_keys):
    async def run_before(pilot):
        await wait_for(pilot, lambda: pilot.app.store is not None)
        pilot.app.post_message(SnapshotReady(snap))
        await pilot.pause(0.2)
        await settle(pilot)
        for key in then_keys:
            await pilot.press(key)
            await pilot.pause(0.2)
        pilot.app.clear_notifications()
        await pilot.pause(0.1)
    return run_before


@by_size
def test_live_normal(snap_compare, tmp_path, size):
    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=feed(snapshot()))


@by_size
def test_live_emergency_with_pending_exit(snap_compare, tmp_path, size):
    assert snap_compare(app_for(tmp_path), terminal_size=size,
                        run_before=feed(snapshot("EMERGENCY", 1.07, pending=True)))


@by_size
def test_approval_modal_lists_the_orders(snap_compare, tmp_path, size):
    assert snap_compare(app_for(tmp_path), terminal_size=size,
                        run_before=feed(snapshot("EMERGENCY", 1.07, pending=True), "a"))


@by_size
def test_reject_asks_first(snap_compare, tmp_path, size):
    async def run_before(pilot):
        await feed(snapshot("EMERGENCY", 1.07, pending=True), "a")(pilot)
        pilot.app.screen.query_one("#reject").press()
        await pilot.pause(0.3)

    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=run_before)


@by_size
def test_stale_banner(snap_compare, tmp_path, size):
    stale = replace(snapshot("TIGHTENED", 0.55), breaker_state="STALE", data_error="exchange unavailable: timeout",
                    last_ok_poll_ms=snapshot().time_ms - 95_000, new_risk_allowed=False)
    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=feed(stale))


@by_size
def test_help_screen(snap_compare, tmp_path, size):
    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=feed(snapshot(), "question_mark"))


@by_size
def test_evolution_in_progress(snap_compare, tmp_path, size):
    async def run_before(pilot):
        await feed(snapshot())(pilot)
        await pilot.press("f2")
        panel = pilot.app.panel("#evolution-panel")
        panel.query_one("#evo-data").value = "../shared/data/crypto-daily"
        panel.set_running(True, 4, 100)
        history = tuple((0.5 + 0.4 * (1 - 0.97 ** g), 0.3 + 0.35 * (1 - 0.96 ** g)) for g in range(37))
        pilot.app.post_message(EvolutionProgress(4, 37, 100, history[-1][0], history[-1][1], 1480.0, 6.1, history))
        await pilot.pause(0.2)
        pilot.app.set_focus(None)
        await pilot.pause(0.1)

    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=run_before)


@by_size
def test_runs_tab_empty_state(snap_compare, tmp_path, size):
    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=feed(snapshot(), "f3"))


@by_size
def test_log_tab(snap_compare, tmp_path, size):
    async def run_before(pilot):
        await feed(snapshot(), "f4")(pilot)
        pilot.app.panel("#log-panel").show(LOG_ROWS)
        await pilot.pause(0.2)

    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_live_perp_risk_columns_and_watch_banner(snap_compare, tmp_path, size):
    """Liquidation price and distance (SOL red: liquidation before its stop, stop clamped *),
    leverage, funding, the account line, and the WATCH colour on a NORMAL banner."""
    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=feed(perp_snapshot()))

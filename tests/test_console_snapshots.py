"""Snapshot tests of every console screen on fixed input (pytest-textual-snapshot).

Regenerate after an intended change with `pytest tests/test_console_snapshots.py --snapshot-update`
and look at the SVGs before committing them.
"""
from __future__ import annotations

import pytest

from console.app import EvoriskApp
from console.messages import EvolutionProgress, SnapshotReady
from tests.console_helpers import wait_for
from tests.snapshot_fixtures import perp_snapshot, snapshot

SIZES = [(200, 60), (80, 24)]


def app_for(tmp_path) -> EvoriskApp:
    return EvoriskApp(db_path=tmp_path / "snap.db", live=False)


def feed(snap, *then_keys):
    async def run_before(pilot):
        await wait_for(pilot, lambda: pilot.app.store is not None)
        pilot.app.post_message(SnapshotReady(snap))
        await pilot.pause(0.2)
        for key in then_keys:
            await pilot.press(key)
            await pilot.pause(0.2)
        pilot.app.clear_notifications()
        await pilot.pause(0.1)
    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_live_normal(snap_compare, tmp_path, size):
    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=feed(snapshot()))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_live_emergency_with_pending_exit(snap_compare, tmp_path, size):
    assert snap_compare(app_for(tmp_path), terminal_size=size,
                        run_before=feed(snapshot("EMERGENCY", 1.07, pending=True)))


def test_approval_modal_lists_the_orders(snap_compare, tmp_path):
    assert snap_compare(app_for(tmp_path), terminal_size=(160, 45),
                        run_before=feed(snapshot("EMERGENCY", 1.07, pending=True), "a"))


def test_stale_banner(snap_compare, tmp_path):
    from dataclasses import replace

    stale = replace(snapshot("TIGHTENED", 0.55), breaker_state="STALE", data_error="exchange unavailable: timeout",
                    last_ok_poll_ms=snapshot().time_ms - 95_000)
    assert snap_compare(app_for(tmp_path), terminal_size=(200, 60), run_before=feed(stale))


def test_evolution_in_progress(snap_compare, tmp_path):
    async def run_before(pilot):
        await wait_for(pilot, lambda: pilot.app.store is not None)
        await pilot.press("f2")
        panel = pilot.app.query_one("#evolution-panel")
        panel.query_one("#evo-data").value = "../shared/data/crypto-daily"
        panel.set_running(True, 4, 100)
        history = tuple((0.5 + 0.4 * (1 - 0.97 ** g), 0.3 + 0.35 * (1 - 0.96 ** g)) for g in range(37))
        pilot.app.post_message(EvolutionProgress(4, 37, 100, history[-1][0], history[-1][1], 1480.0, 6.1, history))
        await pilot.pause(0.2)
        pilot.app.set_focus(None)
        await pilot.pause(0.1)

    assert snap_compare(app_for(tmp_path), terminal_size=(200, 60), run_before=run_before)


def test_runs_and_log_tabs_empty_state(snap_compare, tmp_path):
    assert snap_compare(app_for(tmp_path), terminal_size=(120, 30), run_before=feed(snapshot(), "f3"))


@pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_live_perp_risk_columns_and_watch_banner(snap_compare, tmp_path, size):
    """Liquidation price and distance (SOL red: liquidation before its stop, stop clamped *),
    leverage, funding, the account line, and the WATCH colour on a NORMAL banner."""
    assert snap_compare(app_for(tmp_path), terminal_size=size, run_before=feed(perp_snapshot()))

"""Issue 18 through real Textual Pilot: alarms on every tab, approval modals that follow their live
action, tables that keep their place, reject-confirm-repropose, read-only, help, confirmations.

Fixed snapshots where the behaviour is the console's own; the in-process paper exchange through
the real SDK and monitor where it is the whole path (crash -> approval -> reject -> propose again).
"""
from __future__ import annotations

from dataclasses import replace

from textual.widgets import Button, Input

from console.app import EvoriskApp
from console.messages import SnapshotReady
from console.screens.approval import ApprovalScreen
from console.screens.confirm import ConfirmScreen
from console.screens.help import HelpScreen
from console.widgets.actions import REPROPOSE_KEY
from console.widgets.status_line import StatusLine
from core.monitor.snapshot import PendingActionView
from storage.monitor_repo import MonitorRepo
from tests.support.console_rig import pending, promote_tight_genome, record_notices, shallow_crash, wait_for
from tests.support.risk_snapshots import T0_MS, snapshot

FAST = dict(poll_interval_s=0.5, paper_speed=600.0)


def offline(tmp_path, **kwargs) -> EvoriskApp:
    return EvoriskApp(db_path=tmp_path / "ui.db", live=False, **kwargs)


async def fed(pilot, snap) -> None:
    pilot.app.post_message(SnapshotReady(snap))
    await pilot.pause(0.2)


async def started(pilot) -> None:
    await wait_for(pilot, lambda: pilot.app.store is not None)


# ---- 1. status line and alarms --------------------------------------------------------------------
async def test_an_alarm_is_seen_from_the_evolution_tab(tmp_path):
    app = offline(tmp_path)
    notices = record_notices(app)
    bells = []
    async with app.run_test(size=(120, 36)) as pilot:
        await started(pilot)
        app.bell = lambda: bells.append(1)  # count the terminal bell (the driver has no terminal here)
        await fed(pilot, snapshot())
        await pilot.press("f2")
        assert app.panel("#tabs").active == "evolution"
        await fed(pilot, snapshot("EMERGENCY", 1.07, pending=True))
        status = app.panel("#status-line", StatusLine)
        assert status.has_class("-flash") and status.alarms[0].startswith("breaker NORMAL -> EMERGENCY")
        assert "action 3 waits for approval" in status.alarms[0]  # both events of the poll, one alarm
        assert len(bells) == 1
        await fed(pilot, superseding(snapshot("EMERGENCY", 1.07, pending=True)))
        assert len(bells) == 2 and "action 5 waits for approval" in status.alarms[1]  # a new action: a new alarm
        line = str(status.render())
        assert "EMERGENCY" in line and "ratio 1.07" in line and "pending 1" in line and "data 4s" in line
        # the line is on screen above the footer while the Evolution tab is shown
        assert app.screen.get_widget_at(5, 36 - 2)[0] is status
        assert any(n.title == "ALARM" for n in notices)
        import threading  # the perp-risk alerts raise theirs from a worker thread

        threading.Thread(target=app.raise_alarm, args=("BTC is 3% from liquidation",)).start()
        await wait_for(pilot, lambda: len(bells) == 3)
        assert status.alarms[-1] == "BTC is 3% from liquidation"


async def test_one_failed_poll_is_a_warning_and_stale_says_so(tmp_path):
    app = offline(tmp_path)
    async with app.run_test(size=(200, 60)) as pilot:
        await started(pilot)
        await fed(pilot, replace(snapshot(), poll_warning="exchange unavailable: HTTP 502"))
        line = str(app.panel("#status-line").render())
        assert "NORMAL" in line and "poll failed: exchange unavailable: HTTP 502" in line and "STALE" not in line
        await fed(pilot, replace(snapshot(), breaker_state="STALE", data_error="no answer"))
        assert "STALE" in str(app.panel("#status-line").render())


async def test_watch_shows_from_a_third_of_the_way_to_the_limit(tmp_path):
    app = offline(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(pilot)
        await fed(pilot, snapshot("NORMAL", 0.40))
        assert "WATCH" in str(app.panel("#status-line").render())


# ---- 2. approval modals bound to the live action ---------------------------------------------------
def superseding(snap, new_id: int = 5):
    """The same crash after a stop closed SOL: the exit was superseded by one without SOL."""
    old = snap.pending_actions[0]
    orders = tuple(o for o in old.orders if o["coin"] != "SOL")
    positions = tuple(p for p in snap.positions if p.coin != "SOL")
    action = PendingActionView(new_id, "exit_all", "pending", T0_MS + 2000, old.reason, orders)
    return replace(snap, pending_actions=(action,), positions=positions, time_ms=T0_MS + 2000)


async def test_an_action_superseded_while_its_modal_is_open(tmp_path):
    app = offline(tmp_path)
    notices = record_notices(app)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot)
        crash = snapshot("EMERGENCY", 1.07, pending=True)
        await fed(pilot, crash)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen))
        modal = app.screen
        assert modal.focused is modal.query_one("#confirm", Input)  # the typed field has focus
        await pilot.press(*"EXI")
        await fed(pilot, superseding(crash))
        assert app.screen is modal and modal.action.id == 5  # rebound to the live action
        assert modal.query_one("#confirm", Input).value == ""  # the old typing does not approve the new one
        assert "superseded by action 5" in str(modal.query_one("#notice").render())
        coins = [str(modal.query_one("#orders").get_row_at(i)[0]) for i in range(modal.query_one("#orders").row_count)]
        assert coins == ["BTC", "ETH"]  # the orders as they would be sent now
        await fed(pilot, replace(crash, pending_actions=(), time_ms=T0_MS + 4000))
        assert not isinstance(app.screen, ApprovalScreen)  # gone: closed, with a notice
        assert any("no longer waits" in n.message for n in notices)


async def test_a_confirmation_above_the_modal_closes_with_it(tmp_path):
    app = offline(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await started(pilot)
        crash = snapshot("EMERGENCY", 1.07, pending=True)
        await fed(pilot, crash)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen))
        await pilot.click("#reject")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await fed(pilot, replace(crash, pending_actions=(), time_ms=T0_MS + 4000))
        assert len(app.screen_stack) == 1  # neither the question nor the modal outlive the action


async def test_quit_with_an_action_waiting_asks_first(tmp_path):
    app = offline(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(pilot)
        await fed(pilot, snapshot("EMERGENCY", 1.07, pending=True))
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await pilot.pause(0.1)
        assert app.is_running and len(app.screen_stack) == 1
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await pilot.pause(0.2)
    assert app.return_code in (0, None)


# ---- 3. tables in place ----------------------------------------------------------------------------
async def test_cursor_and_sort_are_kept_across_polls(tmp_path):
    app = offline(tmp_path)
    async with app.run_test(size=(200, 60)) as pilot:
        await started(pilot)
        await fed(pilot, snapshot())
        table = app.panel("#positions")
        table.focus()
        await pilot.press("down", "down")
        assert table.selected_key() == "SOL"
        await pilot.click("#positions", offset=(40, 0))  # the header of the 6th-ish column: uPnL
        sorted_by = table.sort_column
        assert sorted_by is not None
        order = [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(3)]
        for k in range(5):  # five polls with moving marks
            await fed(pilot, replace(snapshot(), positions=snapshot(ratio=0.12 + 0.01 * k).positions))
        assert table.selected_key() == "SOL" and table.sort_column == sorted_by
        assert [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(3)] == order
        mark_now = snapshot(ratio=0.16).positions[2].mark_px
        assert f"{mark_now:.2f}" in str(table.get_row("SOL")[4])  # the cells did update


async def test_warning_colours_survive_the_cursor_row(tmp_path):
    app = offline(tmp_path)
    async with app.run_test(size=(200, 60)) as pilot:
        await started(pilot)
        await fed(pilot, snapshot("EMERGENCY", 1.07))
        table = app.panel("#positions")
        assert table.selected_key() == "BTC" and table.cursor_foreground_priority == "renderable"
        strip = table.render_line(1)  # row 0 under the header, the cursor row
        red = [seg for seg in strip if "%" in seg.text and seg.style and seg.style.color
               and seg.style.color.name in ("red", "bright_red")]
        assert red, "the red distance to BTC's stop must stay red on the selected row"


async def test_log_lines_keep_the_cursor_and_open_whole(tmp_path):
    import logging

    app = offline(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(pilot)
        logger = logging.getLogger("evorisk.test")
        long_line = "breaker detail " + "x" * 300 + " END"
        logger.warning(long_line)
        await pilot.press("f4")
        panel = app.panel("#log-panel")
        await wait_for(pilot, lambda: any(long_line == r["message"] for r in panel.rows_by_key.values()))
        table = panel.query_one("#log-table")
        key = next(k for k, r in panel.rows_by_key.items() if r["message"] == long_line)
        table.move_cursor(row=table.get_row_index(key))
        table.focus()
        logger.warning("a newer line")
        await wait_for(pilot, lambda: any(r["message"] == "a newer line" for r in panel.rows_by_key.values()))
        assert table.selected_key() == key  # the newer line arrived above; the cursor stayed on ours
        await pilot.press("enter")
        from console.screens.log_detail import LogDetailScreen

        await wait_for(pilot, lambda: isinstance(app.screen, LogDetailScreen))
        assert "END" in str(app.screen.query_one("#log-message").render())


# ---- 5. help and read-only -------------------------------------------------------------------------
async def test_help_lists_the_keys_of_the_current_tab(tmp_path):
    app = offline(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        live = dict((what, key) for key, what in app.screen.rows)
        assert live["Approve or reject the waiting action"] == "a" and "Paper exchange: script a crash" in live
        assert "Resume the selected run" not in live
        await pilot.press("escape")
        await pilot.press("f3")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        runs = dict((what, key) for key, what in app.screen.rows)
        assert runs["Resume the selected run"] == "u" and "Paper exchange: script a crash" not in runs


async def test_read_only_watches_but_refuses_approve_and_promote(tmp_db, tmp_path):
    promote_tight_genome(tmp_db)
    app = EvoriskApp(db_path=tmp_db, read_only=True, **FAST)
    notices = record_notices(app)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.equity_usd is not None)
        assert app.session.service.gateway.signer_address is None  # nothing could be signed at all
        app.session.switch_scenario(shallow_crash(tmp_path))
        await wait_for(pilot, lambda: bool(pending(app, "exit_all")), timeout_s=60)
        action = pending(app, "exit_all")[0]
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen))
        assert app.screen.query_one("#approve", Button).disabled and app.screen.query_one("#reject", Button).disabled
        app.screen.post_message(Button.Pressed(app.screen.query_one("#approve", Button)))  # a press that slips
        await pilot.pause()  # past the disabled button is refused by the screen itself
        await pilot.press("escape")
        app.decide_action(action.id, "approve")
        await pilot.press("f3")
        await pilot.press("P")
        await pilot.pause(0.5)
        repo = MonitorRepo(app.store)
        assert repo.get_action(action.id).status in ("pending", "expired")  # never approved
        assert repo.get_approval(action.id) is None and repo.active_promotion()["label"] == "tight breaker"
        assert sum("read-only" in n.message for n in notices) >= 2
        assert app.session.paper.request_counts["exchange"] == 0  # not one order, not even a stop


# ---- 2 and 6 on the live path ----------------------------------------------------------------------
async def test_reject_asks_then_the_exit_can_be_proposed_again(tmp_db, tmp_path):
    promote_tight_genome(tmp_db)
    app = EvoriskApp(db_path=tmp_db, **FAST)
    notices = record_notices(app)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.equity_usd is not None)
        app.session.switch_scenario(shallow_crash(tmp_path))
        await wait_for(pilot, lambda: bool(pending(app, "exit_all")), timeout_s=60)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen))
        await pilot.click("#reject")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")  # kept: nothing decided
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen))
        rejected = app.screen.action.id
        repo = MonitorRepo(app.store)
        assert repo.get_action(rejected).status == "pending"
        await pilot.click("#reject")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: repo.get_action(rejected).status == "rejected")
        await wait_for(pilot, lambda: any(n.message == f"action {rejected}: rejected" for n in notices))
        # the pending panel says how to propose it again
        await wait_for(pilot, lambda: REPROPOSE_KEY in [k.value for k in app.panel("#pending").rows])
        await pilot.press("p")
        await wait_for(pilot, lambda: any(a.id > rejected for a in pending(app, "exit_all")), timeout_s=30)
        again = next(a for a in pending(app, "exit_all") if a.id > rejected)
        assert "requested by console" in again.reason and repo.orders_for_action(rejected) == []


async def test_the_crash_key_reaches_an_approval_with_the_default_genome(tmp_db):
    """The demo tells its story (README): x, and the default genome's breaker asks for a decision."""
    app = EvoriskApp(db_path=tmp_db, **FAST)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.equity_usd is not None)
        assert app.snapshot.genome_label == "default"
        await pilot.press("x")
        await wait_for(pilot, lambda: bool(pending(app, "exit_all") or pending(app, "reduce")), timeout_s=90)
        assert app.snapshot.breaker_state in ("REDUCING", "EMERGENCY")


# ---- 8. the banner is readable in both themes ------------------------------------------------------
def contrast_ratio(a, b) -> float:
    """WCAG 2 contrast of two textual Colors."""
    def luminance(c) -> float:
        def channel(v: int) -> float:
            v = v / 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


async def test_every_banner_state_reads_at_4_5_to_1_in_both_themes(tmp_path):
    from textual.color import Color

    app = offline(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(pilot)
        for theme in ("textual-dark", "textual-light"):
            app.theme = theme
            for state in ("NORMAL", "TIGHTENED", "REDUCING", "EMERGENCY", "STALE"):
                await fed(pilot, snapshot(state, 0.5))
                style = app.panel("#breaker-banner").rich_style
                ratio = contrast_ratio(Color.from_rich_color(style.color), Color.from_rich_color(style.bgcolor))
                assert ratio >= 4.5, f"{state} in {theme}: {ratio:.2f}:1"

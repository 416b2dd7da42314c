"""Console flows on the in-process paper exchange through the real SDK and the real monitor:
moving demo positions, scenario switch, the breaker climbing, approving and rejecting actions."""
from __future__ import annotations

import json

from textual.widgets import Button, Input

from console.app import EvoriskApp
from console.screens.approval import CONFIRM_WORD, ApprovalScreen
from console.screens.confirm import ConfirmScreen
from storage import Store
from storage.monitor_repo import MonitorRepo
from tests.support.console_rig import pending, promote_tight_genome, shallow_crash, wait_for

FAST = dict(poll_interval_s=0.5, paper_speed=600.0)  # ten simulated minutes per second


async def test_demo_positions_are_live_and_moving(tmp_db):
    app = EvoriskApp(db_path=tmp_db, **FAST)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.equity_usd is not None)
        first = {p.coin: p.mark_px for p in app.snapshot.positions}
        assert set(first) == {"BTC", "ETH", "SOL"}
        sides = {p.coin: p.side for p in app.snapshot.positions}
        assert sides == {"BTC": "long", "ETH": "short", "SOL": "long"}
        await wait_for(pilot, lambda: {p.coin: p.mark_px for p in app.snapshot.positions} != first)
        table = app.query_one("#positions")
        assert table.row_count == 3
        assert "PAPER" in str(app.query_one("#network-badge").render())


async def test_crash_key_switches_the_paper_scenario(tmp_db):
    app = EvoriskApp(db_path=tmp_db, **FAST)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.session is not None)
        await pilot.press("x")
        assert app.session.paper.player.scenario.name == "crash"


async def test_emergency_exit_needs_typed_confirmation_then_closes_everything(tmp_db, tmp_path):
    promote_tight_genome(tmp_db)
    app = EvoriskApp(db_path=tmp_db, **FAST)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.equity_usd is not None)
        seen: list[str] = []
        app.session.switch_scenario(shallow_crash(tmp_path))  # the breaker climbs, no stop fills

        def emergency():
            seen.append(app.snapshot.breaker_state)
            return bool(pending(app, "exit_all"))

        await wait_for(pilot, emergency, timeout_s=60)
        # The breaker only climbs during the crash; a slow poll may see it jump past a level.
        order = ["NORMAL", "TIGHTENED", "REDUCING", "EMERGENCY"]
        levels = [order.index(s) for s in seen]
        assert levels == sorted(levels) and seen[-1] == "EMERGENCY"
        assert "EMERGENCY" in str(app.query_one("#breaker-banner").render())
        action = pending(app, "exit_all")[0]
        # exchange-side stops may already have closed some positions during the crash: the exit
        # lists exactly what is still held, longs sold and shorts bought
        held = {p.coin: p.side for p in app.snapshot.positions}
        assert held and {o["coin"] for o in action.orders} == set(held)
        assert all(o["side"] == ("sell" if held[o["coin"]] == "long" else "buy") for o in action.orders)
        table = app.query_one("#pending")
        row = next(i for i, a in enumerate(app.snapshot.pending_actions) if a.id == action.id)
        table.move_cursor(row=row)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen))
        approve = app.screen.query_one("#approve", Button)
        assert approve.disabled, "closing everything needs the typed confirmation first"
        assert app.screen.focused is app.screen.query_one("#confirm", Input)  # the typed field has focus
        await pilot.press(*CONFIRM_WORD)
        assert not approve.disabled
        # a stop filling meanwhile supersedes the action; the modal then shows (and approves) the new one
        action = app.screen.action
        await pilot.press("enter")  # Enter submits
        repo = MonitorRepo(Store(tmp_db))
        await wait_for(pilot, lambda: repo.get_action(action.id).status == "done", timeout_s=30)
        assert repo.get_approval(action.id) is not None
        cloids = [o.cloid for o in repo.orders_for_action(action.id)]
        assert len(cloids) == len(set(cloids)) >= len(action.orders)
        await wait_for(pilot, lambda: not app.snapshot.positions, timeout_s=30)


async def test_rejecting_an_action_sends_nothing(tmp_db, tmp_path):
    promote_tight_genome(tmp_db)
    app = EvoriskApp(db_path=tmp_db, **FAST)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.equity_usd is not None)
        app.session.switch_scenario(shallow_crash(tmp_path))  # no stop fills: the exit stays the same
        # the exit is the last proposal of the crash (a halving may be superseded by it meanwhile)
        await wait_for(pilot, lambda: bool(pending(app, "exit_all")), timeout_s=60)
        action = pending(app, "exit_all")[0]
        table = app.query_one("#pending")
        table.move_cursor(row=next(i for i, a in enumerate(app.snapshot.pending_actions) if a.id == action.id))
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen))
        await pilot.click("#reject")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))  # reject asks first
        await pilot.click("#yes")
        repo = MonitorRepo(Store(tmp_db))
        await wait_for(pilot, lambda: repo.get_action(action.id).status == "rejected")
        assert repo.orders_for_action(action.id) == []


async def click_in_modal(pilot, app, selector: str) -> None:
    """Click a modal's button once it is composed, with no toast (such as "gathering evidence",
    shown while the report is computed) lying over it."""
    await wait_for(pilot, lambda: len(app.screen.query(selector)) == 1)
    app.clear_notifications()
    await pilot.pause(0.2)
    await pilot.click(selector)


async def test_promote_with_cancel_and_with_approve(tmp_db, daily_dir, capsys):
    from console.cli import main

    assert main(["evolve", "--db", str(tmp_db), "--data", str(daily_dir / "BTC.csv"), str(daily_dir / "ETH.csv"),
                 "--pop", "6", "--gens", "1", "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out.splitlines()[0])["run_id"]
    app = EvoriskApp(db_path=tmp_db, live=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.store is not None)
        await pilot.press("f3")
        await wait_for(pilot, lambda: app.query_one("#runs-table").row_count >= 1)
        app.query_one("#runs-table").move_cursor(row=0)
        repo = MonitorRepo(app.store)

        from console.screens.promote import PromoteScreen

        await pilot.click("#run-promote")
        await wait_for(pilot, lambda: isinstance(app.screen, PromoteScreen), timeout_s=60)
        assert "oos_sharpe" in app.screen.oos_metrics
        await click_in_modal(pilot, app, "#cancel")
        await pilot.pause(0.3)
        assert repo.active_promotion() is None

        await pilot.click("#run-promote")
        await wait_for(pilot, lambda: isinstance(app.screen, PromoteScreen), timeout_s=60)
        await click_in_modal(pilot, app, "#promote")
        await wait_for(pilot, lambda: repo.active_promotion() is not None)
        row = repo.active_promotion()
        assert row["run_id"] == run_id and row["promoted_by"] == "console"
        assert row["oos_metrics"]["test_windows"] > 0


async def test_sizing_dialog_explains_the_limits(tmp_db):
    from console.screens.sizing import SizingScreen

    app = EvoriskApp(db_path=tmp_db, **FAST)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.equity_usd is not None)
        await pilot.press("z")
        await wait_for(pilot, lambda: isinstance(app.screen, SizingScreen))
        app.screen.query_one("#size-coin", Input).value = "BTC"
        app.screen.query_one("#size-amount", Input).value = "5"
        await pilot.click("#size-check")
        result = app.screen.query_one("#size-result")
        await wait_for(pilot, lambda: "allowed:" in str(result.render()) or "cannot" in str(result.render()),
                       timeout_s=30)
        text = str(result.render())
        assert "allowed:" in text and "concentration" in text  # 5 BTC is far above 12.5% of equity


async def test_paper_demo_starts_protected_and_S_switches_standing_exits_off_and_on(tmp_db):
    from core.monitor.standing import PROTECTION_KEY

    app = EvoriskApp(db_path=tmp_db, **FAST)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.protected
                       and any(o.get("kind") == "stop" for o in app.snapshot.protective_stops), timeout_s=60)
        repo = MonitorRepo(app.store)
        assert repo.get_value(PROTECTION_KEY)["by"] == "paper demo"
        await pilot.press("S")
        await wait_for(pilot, lambda: app.snapshot.protected is False and not any(
            o.get("kind") for o in app.snapshot.protective_stops), timeout_s=60)
        assert repo.get_value(PROTECTION_KEY) == {**repo.get_value(PROTECTION_KEY), "on": False, "by": "console"}
        assert "POSITIONS UNPROTECTED" in str(app.query_one("#breaker-banner").render())
        await pilot.press("S")
        await wait_for(pilot, lambda: app.snapshot.protected is True, timeout_s=60)

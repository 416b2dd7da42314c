"""Console flows for evolutions: start, cancel, resume from the Runs tab (real store, real kernel)."""
from __future__ import annotations

from textual.widgets import Input

from console.app import EvoriskApp
from tests.support.console_rig import wait_for


def runs_by_status(app):
    table = app.query_one("#runs-table")
    return {r["id"]: r["status"] for r in table.rows_by_id.values()}


async def fill_form(app, pilot, data: str, pop: str, gens: str):
    await pilot.press("f2")
    app.query_one("#evo-data", Input).value = data
    app.query_one("#evo-pop", Input).value = pop
    app.query_one("#evo-gens", Input).value = gens
    await pilot.click("#evo-start")


async def test_start_an_evolution_and_see_it_finish(tmp_db, daily_dir):
    app = EvoriskApp(db_path=tmp_db, live=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.store is not None)
        await fill_form(app, pilot, f"{daily_dir}/BTC.csv {daily_dir}/ETH.csv", "8", "3")
        panel = app.query_one("#evolution-panel")
        await wait_for(pilot, lambda: len(getattr(panel, "best", [])) >= 3, timeout_s=120)
        await wait_for(pilot, lambda: "finished" in runs_by_status(app).values())
        status_text = str(app.query_one("#evo-status").render())
        assert "finished" in status_text


async def test_cancel_then_resume_from_the_runs_tab(tmp_db, daily_dir):
    app = EvoriskApp(db_path=tmp_db, live=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.store is not None)
        await fill_form(app, pilot, f"{daily_dir}/BTC.csv {daily_dir}/XRP.csv", "8", "100000")  # never finishes on its own: only the cancel ends it
        panel = app.query_one("#evolution-panel")
        await wait_for(pilot, lambda: len(getattr(panel, "best", [])) >= 1, timeout_s=120)
        await pilot.click("#evo-cancel")
        await wait_for(pilot, lambda: "cancelled" in runs_by_status(app).values())
        await pilot.press("f3")  # works even while a text field has focus
        await wait_for(pilot, lambda: app.query_one("#runs-table").row_count >= 1)
        app.query_one("#runs-table").move_cursor(row=0)
        await pilot.click("#run-resume")
        await wait_for(pilot, lambda: app.query_one("#evo-cancel").disabled is False)
        await wait_for(pilot, lambda: len(panel.best) >= 1, timeout_s=120)  # progress after the resume
        app.cancel_evolution()
        await wait_for(pilot, lambda: app.query_one("#evo-start").disabled is False)
        assert list(runs_by_status(app).values()) == ["cancelled"]

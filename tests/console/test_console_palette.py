"""The command palette offers only what is valid now: paper scenarios while a paper session runs
(every shipped scenario file, asked of the session), nothing of the kind without a live session."""
from __future__ import annotations

from console.app import EvoriskApp
from console.commands_palette import EvoriskCommands
from core.exchange.paper.scenario import available_scenarios
from tests.support.console_rig import wait_for

FAST = dict(poll_interval_s=0.5, paper_speed=600.0)


def palette_names(app: EvoriskApp) -> list[str]:
    return [name for name, _, _ in EvoriskCommands(app.screen)._commands()]


async def test_a_paper_session_offers_every_shipped_scenario_and_the_entry_switches_it(tmp_db):
    app = EvoriskApp(db_path=tmp_db, **FAST)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None and app.snapshot is not None)
        names = palette_names(app)
        assert [n for n in names if n.startswith("Paper scenario: ")] == [
            f"Paper scenario: {s}" for s in available_scenarios()]
        crash = next(cb for name, cb, _ in EvoriskCommands(app.screen)._commands() if name == "Paper scenario: crash")
        crash()
        await wait_for(pilot, lambda: app.session.paper.player.scenario.name == "crash")


async def test_without_a_live_session_no_scenario_and_no_sizing_is_offered(tmp_db):
    app = EvoriskApp(db_path=tmp_db, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.store is not None)
        names = palette_names(app)
        assert not any(n.startswith("Paper scenario") for n in names)
        assert "Size a new position" not in names and "Show Runs" in names

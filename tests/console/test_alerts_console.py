"""An alert raised by the live session's dispatcher reaches the console as a toast and a bell."""
from __future__ import annotations

import asyncio
from pathlib import Path

import console.app

from console.app import EvoriskApp
from core.alerts.detect import test_alert
from tests.support.console_rig import record_notices


class CountingBellApp(EvoriskApp):
    CSS_PATH = str(Path(console.app.__file__).with_name("app.tcss"))  # relative paths follow the subclass
    rings = 0

    def bell(self) -> None:
        self.rings += 1
        super().bell()


async def _until(pilot, condition, tries: int = 200) -> bool:
    for _ in range(tries):
        if condition():
            return True
        await pilot.pause(0.05)
        await asyncio.sleep(0)
    return False


async def test_an_alert_shows_a_toast_and_rings_the_bell(tmp_db, monkeypatch):
    monkeypatch.delenv("EVORISK_ALERT_URLS", raising=False)
    monkeypatch.setenv("EVORISK_SETTINGS", str(tmp_db.with_name("none.toml")))
    tmp_db.with_name("none.toml").write_text("[alerts]\ndesktop = false\n")
    app = CountingBellApp(network="paper", db_path=tmp_db, poll_interval_s=3600)
    notices = record_notices(app)
    async with app.run_test(size=(120, 36)) as pilot:
        assert await _until(pilot, lambda: app.session is not None and app.session.alerts is not None)
        assert [c.name for c in app.session.alerts.channels] == ["console"]
        app.session.alerts.raise_alert(test_alert(1))
        assert await _until(pilot, lambda: any(n.title == "test alert" for n in notices))
        assert app.rings == 1
        assert app.latest_alert is not None and app.latest_alert.title == "test alert"  # the status line's hook
        await pilot.press("q")

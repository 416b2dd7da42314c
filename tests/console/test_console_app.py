"""The console starts, shows the network badge and the panel layout, and quits."""
from __future__ import annotations

import subprocess
import sys

from console.app import EvoriskApp


async def test_app_starts_shows_paper_badge_and_quits(tmp_db):
    app = EvoriskApp(network="paper", db_path=tmp_db)
    async with app.run_test(size=(120, 40)) as pilot:
        badge = app.query_one("#network-badge")
        assert str(badge.render()) == "PAPER"
        for panel in ("#positions", "#drawdown", "#correlation", "#pending", "#breaker-banner"):
            assert app.query_one(panel) is not None
        await pilot.press("e")
        assert app.query_one("#tabs").active == "evolution"
        await pilot.press("q")
    assert app.return_code in (0, None)


async def test_mainnet_badge_is_red(tmp_db):
    app = EvoriskApp(network="mainnet", db_path=tmp_db)
    async with app.run_test() as pilot:
        badge = app.query_one("#network-badge")
        assert badge.has_class("-mainnet")
        await pilot.press("q")


def test_console_module_does_not_import_heavy_libraries():
    code = ("import sys, console.app, console.cli; "
            "print(','.join(m for m in ('numba', 'pandas', 'vectorbt') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


def test_headless_console_prints_summary(tmp_db):
    proc = subprocess.run([sys.executable, "-m", "console.cli", "console", "--db", str(tmp_db)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0
    assert "headless" in proc.stdout and "PAPER" in proc.stdout
    assert "live (paper demo):" in proc.stdout and "state=NORMAL" in proc.stdout
    for coin in ("BTC", "ETH", "SOL"):
        assert coin in proc.stdout

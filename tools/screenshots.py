"""Regenerate screenshots/: every console screen, on the live in-process paper exchange, as SVG and
PNG. Run with `make screenshots` (`python -m tools.screenshots screenshots`): a developer tool, so it
lives outside the product package. Uses a throw-away database, never the operator's.

The market runs ten times faster than `make run` so the crash reaches the breaker in seconds; the
genome is the default one, as a new user has it (the console-demo book makes x reach an approval).
"""
from __future__ import annotations

import asyncio
import logging
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from console.app import EvoriskApp
from console.screens.promote import PromoteScreen
from console.screens.report import ReportScreen

log = logging.getLogger("evorisk.screenshots")
SHARED_DAILY = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "crypto-daily"  # beside the checkout
FAST = dict(poll_interval_s=0.5, paper_speed=600.0)


async def until(pilot, condition, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("screen did not reach the expected state")
        await pilot.pause(0.2)


class Shooter:
    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.written: list[Path] = []

    async def shot(self, app: EvoriskApp, pilot, name: str) -> None:
        app.clear_notifications()
        await pilot.pause(0.3)
        svg = self.out_dir / f"{name}.svg"
        app.save_screenshot(filename=svg.name, path=str(self.out_dir))
        self.written.append(svg)
        log.info("wrote %s", svg)


def pending_exit(app: EvoriskApp) -> bool:
    return any(a.kind in ("exit_all", "reduce") and a.status == "pending" for a in app.snapshot.pending_actions)


async def live_screens(shooter: Shooter, tmp: Path) -> None:
    for width, height in ((200, 60), (120, 36), (80, 24)):
        app = EvoriskApp(db_path=tmp / f"demo{width}.db", **FAST)
        async with app.run_test(size=(width, height)) as pilot:
            await until(pilot, lambda: app.snapshot is not None and app.snapshot.equity_usd is not None)
            await pilot.pause(1.0)
            await shooter.shot(app, pilot, f"live-demo-{width}x{height}")
            if width == 200:
                await pilot.press("t")
                await shooter.shot(app, pilot, "live-demo-light-theme")
                await pilot.press("t")
    # The README's story with the default genome: x, and the breaker asks for a decision.
    for width, height in ((200, 60), (120, 36), (80, 24)):
        app = EvoriskApp(db_path=tmp / f"crash{width}.db", **FAST)
        size = f"{width}x{height}"
        async with app.run_test(size=(width, height)) as pilot:
            await until(pilot, lambda: app.snapshot is not None and app.snapshot.equity_usd is not None)
            await pilot.press("x")
            if width == 200:
                await until(pilot, lambda: app.snapshot.breaker_state != "NORMAL")
                await shooter.shot(app, pilot, "live-crash-breaker-climbing")
            await until(pilot, lambda: pending_exit(app))
            await pilot.pause(1.5)  # let the stops that fill during the crash settle the book
            await until(pilot, lambda: pending_exit(app))
            await shooter.shot(app, pilot, f"live-crash-emergency-{size}")
            await pilot.press("a")
            await pilot.pause(0.5)
            await shooter.shot(app, pilot, f"approval-emergency-exit-{size}")
            await pilot.press("escape")
            await pilot.press("question_mark")
            await pilot.pause(0.3)
            await shooter.shot(app, pilot, f"help-live-{size}")
            await pilot.press("escape")
            if width == 200:
                await pilot.press("ctrl+p")
                await pilot.pause(0.5)
                await shooter.shot(app, pilot, "command-palette")


async def alarm_on_evolution_tab(shooter: Shooter, tmp: Path) -> None:
    """An alarm seen from the Evolution tab: the status line flashing while the crash runs."""
    for width, height in ((120, 36), (80, 24)):
        # polls a second apart: the paper exchange's weight budget outlasts the whole crash
        app = EvoriskApp(db_path=tmp / f"alarm{width}.db", poll_interval_s=1.0, paper_speed=300.0)
        async with app.run_test(size=(width, height)) as pilot:
            await until(pilot, lambda: app.snapshot is not None and app.snapshot.equity_usd is not None)
            status = app.panel("#status-line")
            seen = len(status.alarms)
            await pilot.press("x")  # a Live key: the crash starts, then the operator looks at Evolution
            await pilot.press("f2")
            await until(pilot, lambda: len(status.alarms) > seen and status.has_class("-flash"), timeout_s=180)
            svg = shooter.out_dir / f"evolution-tab-alarm-{width}x{height}.svg"
            app.save_screenshot(filename=svg.name, path=str(shooter.out_dir))  # keep the toast: it is the alarm
            shooter.written.append(svg)


async def evolution_screens(shooter: Shooter, tmp: Path) -> None:
    if not SHARED_DAILY.exists():
        log.warning("no ../shared/data: evolution screenshots skipped")
        return
    app = EvoriskApp(db_path=tmp / "evo.db", live=False)
    async with app.run_test(size=(200, 60)) as pilot:
        await until(pilot, lambda: app.store is not None)
        await pilot.press("f2")
        panel = app.query_one("#evolution-panel")
        panel.query_one("#evo-gens").value = "60"
        await pilot.click("#evo-start")
        await until(pilot, lambda: len(getattr(panel, "best", [])) >= 15)
        await shooter.shot(app, pilot, "evolution-running")
        await until(pilot, lambda: panel.query_one("#evo-start").disabled is False, timeout_s=300)
        await pilot.press("f3")
        await until(pilot, lambda: app.query_one("#runs-table").row_count >= 1)
        app.query_one("#runs-table").move_cursor(row=0)
        await shooter.shot(app, pilot, "runs")
        await pilot.click("#run-report")
        await until(pilot, lambda: isinstance(app.screen, ReportScreen))
        await shooter.shot(app, pilot, "run-report")
        await pilot.press("escape")
        await pilot.click("#run-promote")
        await until(pilot, lambda: isinstance(app.screen, PromoteScreen))
        await shooter.shot(app, pilot, "promote")
        await pilot.press("escape")
        await pilot.press("f4")
        await pilot.pause(2.5)
        await shooter.shot(app, pilot, "event-log")


# Monospace fonts with the box-drawing glyphs, in order of preference (Fira Code is what Textual's
# SVG asks for). cairosvg takes only the first family of a CSS list and fontconfig then falls back
# to a proportional sans, which is what misaligned the borders; so the SVG names an installed one.
MONO_FONTS = ("Fira Code", "JetBrains Mono", "DejaVu Sans Mono")
FONT_HELP = ("no monospace font with box-drawing glyphs found (fc-list): install one, e.g. "
             "`apt-get install fonts-dejavu-core` (Debian/Ubuntu) or `brew install --cask font-dejavu` (macOS)")


def installed_mono_font() -> str | None:
    """The first of MONO_FONTS that fontconfig knows, or None (also when fc-list is missing)."""
    try:
        families = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    known = {name.strip() for line in families.splitlines() for name in line.split(",")}
    return next((font for font in MONO_FONTS if font in known), None)


def svg_for_cairo(svg_text: str, font: str) -> str:
    """Textual's SVG with every font-family pointing at `font` (browsers keep the original)."""
    return re.sub(r"font-family:[^;\"]*;", f'font-family: "{font}", monospace;', svg_text)


def to_png(svgs: list[Path]) -> None:
    try:
        import cairosvg
    except (ImportError, OSError) as exc:  # cairo is a system library; PNGs are optional
        log.warning("PNG conversion skipped: %s", exc)
        return
    font = installed_mono_font()
    if font is None:
        raise SystemExit(f"screenshots: {FONT_HELP}")
    log.info("PNGs rendered with %s", font)
    for svg in svgs:
        text = svg_for_cairo(svg.read_text(encoding="utf-8"), font)
        cairosvg.svg2png(bytestring=text.encode("utf-8"), write_to=str(svg.with_suffix(".png")))


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    out_dir = Path(argv[0] if argv else "screenshots")
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in list(out_dir.glob("*.svg")) + list(out_dir.glob("*.png")):
        old.unlink()
    shooter = Shooter(out_dir)
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(live_screens(shooter, Path(tmp)))
        asyncio.run(alarm_on_evolution_tab(shooter, Path(tmp)))
        asyncio.run(evolution_screens(shooter, Path(tmp)))
    to_png(shooter.written)
    log.info("wrote %d screenshots to %s", len(shooter.written), out_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

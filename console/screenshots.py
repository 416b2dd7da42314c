"""Regenerate screenshots/: every console screen as SVG (and PNG when cairosvg is available).

Run with `make screenshots`. Uses a throw-away database so it never touches the operator's.
"""
from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
from pathlib import Path

from console.app import EvoriskApp

log = logging.getLogger("evorisk.screenshots")
SCREENS = [("live", "l"), ("evolution", "e"), ("runs", "r"), ("log", "g")]
SIZES = [(200, 60), (80, 24)]


async def capture(out_dir: Path) -> list[Path]:
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        for width, height in SIZES:
            app = EvoriskApp(network="paper", db_path=Path(tmp) / "shots.db")
            async with app.run_test(size=(width, height)) as pilot:
                for name, key in SCREENS:
                    await pilot.press(key)
                    await pilot.pause(0.2)
                    svg = out_dir / f"{name}-{width}x{height}.svg"
                    app.save_screenshot(filename=svg.name, path=str(out_dir))
                    written.append(svg)
    return written


def to_png(svgs: list[Path]) -> None:
    try:
        import cairosvg
    except (ImportError, OSError) as exc:  # cairo is a system library; PNGs are optional
        log.warning("PNG conversion skipped: %s", exc)
        return
    for svg in svgs:
        cairosvg.svg2png(url=str(svg), write_to=str(svg.with_suffix(".png")))


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    out_dir = Path(argv[0] if argv else "screenshots")
    out_dir.mkdir(parents=True, exist_ok=True)
    svgs = asyncio.run(capture(out_dir))
    to_png(svgs)
    log.info("wrote %d screenshots to %s", len(svgs), out_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Pilot helpers: wait for conditions that thread workers make true, and see the notices the
operator is shown."""
from __future__ import annotations

import time
from dataclasses import dataclass


async def wait_for(pilot, condition, timeout_s: float = 60.0, step_s: float = 0.1) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(step_s)


def promote_tight_genome(db_path, max_dd_gene: float = 0.0) -> None:
    """Max drawdown 5% (gene 13 = 0) and wide stops, so a crash reaches the breaker, not the stops."""
    import numpy as np

    from storage import Store
    from storage.monitor_repo import MonitorRepo

    genes = np.full(22, 0.5)
    genes[0] = 1.0  # stop 20%
    genes[13] = max_dd_gene
    MonitorRepo(Store(db_path)).promote(list(genes), "tight breaker", "test", 0)


def pending(app, kind: str | None = None):
    """Actions of the app's last snapshot that wait for a decision (of `kind`)."""
    snap = app.snapshot
    if snap is None:
        return []
    return [a for a in snap.pending_actions if a.status == "pending" and (kind is None or a.kind == kind)]


def shallow_crash(tmp_path) -> str:
    """Every coin -8 % over 10 simulated minutes: deep enough for a 5 % breaker's EMERGENCY on the
    console's demo book, too shallow for any stop to fill, so the exit's positions stay put."""
    import json

    path = tmp_path / "shallow-crash.json"
    path.write_text(json.dumps({"name": "shallow-crash", "drift_pct_per_day": 0.0,
                                "events": [{"kind": "crash", "at_min": 1, "over_min": 10, "pct": 8}]}))
    return str(path)


@dataclass(frozen=True)
class Notice:
    """One notification as the operator sees it in a toast."""
    message: str
    title: str
    severity: str


def record_notices(app) -> list[Notice]:
    """Every notification `app` raises from now on, seen where Textual's public `App.notify` is
    called (widgets, screens and worker threads all reach it), then shown as the real toast."""
    seen: list[Notice] = []
    show = app.notify

    def notify(message, *, title: str = "", severity: str = "information", **options):
        seen.append(Notice(str(message), title or "", severity))
        return show(message, title=title, severity=severity, **options)

    app.notify = notify
    return seen

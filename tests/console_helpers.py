"""Pilot helpers: wait for conditions that thread workers make true."""
from __future__ import annotations

import time


async def wait_for(pilot, condition, timeout_s: float = 60.0, step_s: float = 0.1) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(step_s)

"""Whether the local database accepts the monitor's writes, as episodes (issue 20, part 7).

A lock held by another process or a full disk lasts many cycles; the operator needs to hear
about it once when it starts and once when it ends, while every snapshot carries the reason.
"""
from __future__ import annotations

import logging

log = logging.getLogger("evorisk.monitor")


def db_problem_text(exc: BaseException) -> str:
    """One line for the operator: busy (another writer) or full, with SQLite's own words."""
    text = " ".join(str(exc).split())
    kind = "database full" if "full" in text.lower() else "database busy"
    return f"{kind}: {text}"


class DbHealth:
    """`problem` is None while writes succeed; one warning when an episode starts and one when it ends."""

    def __init__(self) -> None:
        self.problem: str | None = None

    def refused(self, exc: BaseException) -> str:
        problem = db_problem_text(exc)
        if self.problem is None:
            log.warning("%s; the monitor keeps polling but proposes and sends nothing until it can write", problem)
        self.problem = problem
        return problem

    def recovered(self) -> None:
        if self.problem is not None:
            log.warning("database writable again after: %s", self.problem)
            self.problem = None

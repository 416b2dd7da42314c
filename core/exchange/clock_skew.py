"""Local clock versus the venue's clock, read off the HTTP `Date` header of every reply.

Nonces are local millisecond timestamps and must fall inside the venue's (T - 2 d, T + 1 d)
window; a clock that is days off gets every action refused with a confusing "Invalid nonce", and
one that is minutes off silently shifts approval expiries and send windows. So signed actions are
halted when the skew is large, with a message that names the clock, not the nonce.
"""
from __future__ import annotations

import threading
from email.utils import parsedate_to_datetime
from typing import Any

from core.exchange.errors import ClockSkewHalt
from core.exchange.nonce import NowMs

# A healthy NTP clock is off by milliseconds and the Date header is exact to 1 s; half of the
# executor's 10-minute send window is far above both, yet far below the venue's 1-day lead limit.
MAX_CLOCK_SKEW_MS = 5 * 60_000
# `Date` is truncated to the second: the venue's true time lies in [Date, Date + 1 s).
DATE_RESOLUTION_MS = 1000


def date_header_ms(headers: Any) -> int | None:
    """Milliseconds since the epoch of an HTTP `Date` header, or None when absent or unreadable."""
    try:
        text = headers.get("Date")
        return int(parsedate_to_datetime(text).timestamp() * 1000) if text else None
    except (AttributeError, TypeError, ValueError, IndexError, OverflowError):
        return None


class VenueClock:
    """The latest observed skew (local minus venue), shared by every thread of one gateway."""

    def __init__(self, now_ms: NowMs, max_skew_ms: int = MAX_CLOCK_SKEW_MS):
        self._now_ms = now_ms
        self.max_skew_ms = max_skew_ms
        self.skew_ms: int | None = None
        self._lock = threading.Lock()

    def observe(self, headers: Any) -> None:
        venue_ms = date_header_ms(headers)
        if venue_ms is None:
            return
        with self._lock:
            self.skew_ms = int(self._now_ms()) - (venue_ms + DATE_RESOLUTION_MS // 2)

    def check(self, what: str) -> None:
        """Raise `ClockSkewHalt` when the last observed skew is beyond the limit."""
        with self._lock:
            skew = self.skew_ms
        if skew is not None and abs(skew) > self.max_skew_ms:
            ahead = "ahead of" if skew > 0 else "behind"
            raise ClockSkewHalt(f"{what} halted: the local clock is {abs(skew) / 1000:.0f} s {ahead} the exchange's "
                                f"(limit {self.max_skew_ms / 1000:.0f} s); fix the system clock", skew_ms=skew)

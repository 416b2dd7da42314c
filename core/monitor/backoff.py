"""When may the monitor ask the venue again? Exponential back-off while polls fail (RELIABILITY
scenario 1) combined with the venue's own Retry-After (scenario 3).

A risk monitor that hammers a failing `/info` every interval adds load to an outage and learns
nothing new, but one that backs off too far is blind for too long; hence doubling from the poll
interval with a low cap. Delays are deterministic (no jitter): one monitor per operator cannot
cause a thundering herd, and tests can assert the exact schedule. All times are monitor-clock ms
passed in by the caller, never read here.
"""
from __future__ import annotations

from dataclasses import dataclass

# A cap of 10 poll intervals, and never more than 5 minutes: beyond that a blind risk monitor
# costs more than the load it saves (with the default 30 s interval both caps meet at 300 s).
BACKOFF_MAX_INTERVALS = 10
BACKOFF_MAX_S = 300.0


def backoff_delay_s(poll_interval_s: float, failures: int) -> float:
    """Seconds until the next poll after `failures` consecutive failed polls.

    The first failure is retried after one plain interval (a single blip costs nothing extra),
    then interval x 2^(failures-1), capped at BACKOFF_MAX_INTERVALS intervals and BACKOFF_MAX_S
    (but never below one interval).
    """
    if failures <= 1:
        return poll_interval_s
    cap_s = max(poll_interval_s, min(BACKOFF_MAX_INTERVALS * poll_interval_s, BACKOFF_MAX_S))
    return min(cap_s, poll_interval_s * 2.0 ** min(failures - 1, 32))


@dataclass
class PollBackoff:
    """Consecutive poll failures and the earliest time the venue may be asked again.

    Kept in memory only: a restart is an operator's deliberate act and may poll at once.
    """

    poll_interval_s: float
    failures: int = 0  # consecutive failed polls; 0 = the venue answered last time
    retry_at_ms: int = 0  # no request to the venue before this (monitor clock)
    last_error: str = ""

    @property
    def down(self) -> bool:
        """The last poll failed: the venue's view of our book is unknown, so nothing is sent."""
        return self.failures > 0

    def poll_failed(self, now_ms: int, error: str, retry_after_s: float = 0.0) -> float:
        """Count a failed poll; return the delay before the next one (the larger of the
        exponential back-off and the venue's Retry-After)."""
        self.failures += 1
        self.last_error = error
        delay_s = max(backoff_delay_s(self.poll_interval_s, self.failures), retry_after_s)
        self.retry_at_ms = max(self.retry_at_ms, now_ms + round(delay_s * 1000))
        return (self.retry_at_ms - now_ms) / 1000

    def hold(self, now_ms: int, retry_after_s: float) -> None:
        """A Retry-After met outside a poll (the executor's requests): wait, without counting a
        failed poll."""
        self.retry_at_ms = max(self.retry_at_ms, now_ms + round(retry_after_s * 1000))

    def poll_succeeded(self) -> None:
        self.failures, self.retry_at_ms, self.last_error = 0, 0, ""

    def wait_s(self, now_ms: int) -> float:
        """Seconds left before the venue may be asked again (0 when it may be asked now)."""
        return max(0.0, (self.retry_at_ms - now_ms) / 1000)

    def next_delay_s(self, now_ms: int) -> float:
        """What the self-rescheduling timer waits: one interval, or longer while backing off."""
        return max(self.poll_interval_s, self.wait_s(now_ms))

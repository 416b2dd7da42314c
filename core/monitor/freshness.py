"""Is the feed alive? A reachable exchange can still serve old data: a venue clock that stopped,
or mids frozen while the venue clock runs on (the stale-feed scenario). Either is STALE.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Mapping

from core.exchange.models import AccountState
from core.monitor.state import MonitorState

STALE_AFTER_INTERVALS = 3  # SPEC 5: no fresh data for 3 poll intervals is STALE
# Real mids move every second; a minute of identical mids across every coin is a frozen feed.
FROZEN_FEED_MIN_MS = 60_000


def mids_key(mids: Mapping[str, float]) -> str:
    return "|".join(f"{coin}={px!r}" for coin, px in sorted(mids.items()))


def feed_problem(acct: AccountState, mids: Mapping[str, float], state: MonitorState, now_ms: int,
                 poll_interval_s: float) -> str | None:
    """Why this data is old although the request succeeded, or None."""
    window_ms = STALE_AFTER_INTERVALS * poll_interval_s * 1000
    if (state.last_venue_ms is not None and acct.time_ms <= state.last_venue_ms
            and state.venue_advanced_at_ms is not None and now_ms - state.venue_advanced_at_ms >= window_ms):
        return f"exchange clock has not moved for {(now_ms - state.venue_advanced_at_ms) / 1000:.0f} s"
    frozen_ms = max(FROZEN_FEED_MIN_MS, window_ms)
    if (mids and mids_key(mids) == state.mids_key and state.mids_changed_venue_ms is not None
            and acct.time_ms - state.mids_changed_venue_ms >= frozen_ms):
        return f"prices frozen for {(acct.time_ms - state.mids_changed_venue_ms) / 1000:.0f} s of exchange time"
    return None


def forget_feed(state: MonitorState) -> MonitorState:
    """A monitor process judges the feed from its own polls. The venue clock and mids persisted by
    an earlier process belong to the venue it talked to, which may have restarted since (the paper
    exchange starts at the present, behind the clock a sped-up demo reached) or be another one: kept,
    they made every poll of a restarted `make run` look like a stopped clock (STALE) until the new
    venue caught up. A clock that really stopped is still STALE after STALE_AFTER_INTERVALS polls."""
    return replace(state, last_venue_ms=None, venue_advanced_at_ms=None, mids_key="", mids_changed_venue_ms=None)


def next_feed_state(state: MonitorState, acct: AccountState, mids: Mapping[str, float], now_ms: int) -> MonitorState:
    """Remember when the venue clock and the mids last moved. The venue clock kept is the latest
    seen, so a reply stamped back in time and then one at the old time again is no progress."""
    advanced = state.last_venue_ms is None or acct.time_ms > state.last_venue_ms
    key = mids_key(mids)
    return replace(state, last_venue_ms=acct.time_ms if advanced else state.last_venue_ms,
                   venue_advanced_at_ms=now_ms if advanced else state.venue_advanced_at_ms, mids_key=key,
                   mids_changed_venue_ms=acct.time_ms if key != state.mids_key else state.mids_changed_venue_ms)

"""Price gaps need a second look (RELIABILITY scenario 7): a held coin whose mid moved more than
GAP_CONFIRM_PCT since the last accepted poll is one observation, and one observation is not
enough to halve or close a book. Pure: state, mids and now in, a decision out.

The cycle that sees a gap still shows the numbers but changes nothing (no breaker move, no
proposal, no stop move, no new high-water mark or trailing best price). The next poll decides:
within GAP_CONFIRM_PCT of the gapped price confirms it (a real move: the breaker acts on it),
within GAP_CONFIRM_PCT of the old price reverts it (a bad tick: carry on). A market that is
neither for MAX_GAP_HOLDS polls in a row is accepted as real, so the check can never silence
the breaker for long in the very crash it exists for.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from core.monitor.state import MonitorState, PriceGap

# 15 %: several times a 30 s move of even a volatile perp, so only a jump or a bad tick trips it,
# and below the 30 % jump RELIABILITY's scenario 7 injects.
GAP_CONFIRM_PCT = 0.15
# Held polls per coin before a still-wild price is believed (3 x 30 s: 90 s at the default interval).
MAX_GAP_HOLDS = 3


@dataclass(frozen=True)
class GapCheck:
    held: dict[str, PriceGap] = field(default_factory=dict)  # unconfirmed gaps: this cycle decides nothing
    confirmed: tuple[str, ...] = ()  # gaps the new price confirmed
    reverted: tuple[str, ...] = ()  # gaps that were bad ticks

    @property
    def holding(self) -> bool:
        return bool(self.held)


def _within(px: float, ref_px: float) -> bool:
    return abs(px / ref_px - 1.0) <= GAP_CONFIRM_PCT


def check_gaps(state: MonitorState, mids: Mapping[str, float], coins: Sequence[str], now_ms: int) -> GapCheck:
    """Which held coins gap now, and which pending gaps this poll confirms or reverts.
    `mids` must already be validated (finite, > 0) for every coin in `coins`."""
    held: dict[str, PriceGap] = {}
    confirmed, reverted = [], []
    for coin in coins:
        px = float(mids[coin])
        pending = state.price_gaps.get(coin)
        if pending is not None:
            if _within(px, pending.new_px):
                confirmed.append(coin)
            elif _within(px, pending.old_px):
                reverted.append(coin)
            elif pending.holds >= MAX_GAP_HOLDS:
                confirmed.append(coin)  # still neither after MAX_GAP_HOLDS polls: the move is real
            else:
                held[coin] = PriceGap(coin, pending.old_px, px, now_ms, pending.holds + 1)
            continue
        ref_px = state.last_px.get(coin)
        if ref_px is not None and not _within(px, ref_px):
            held[coin] = PriceGap(coin, ref_px, px, now_ms)
    return GapCheck(held, tuple(confirmed), tuple(reverted))


def accepted_px(check: GapCheck, mids: Mapping[str, float], coins: Sequence[str]) -> dict[str, float]:
    """Each held coin's price the monitor believes: the new mid, or the old price while gapped."""
    return {c: check.held[c].old_px if c in check.held else float(mids[c]) for c in coins}


def gap_notes(check: GapCheck) -> tuple[dict[str, Any], ...]:
    """The snapshot's `price_gap` entries, one per unconfirmed coin (pct is a fraction)."""
    return tuple({"coin": g.coin, "old_px": g.old_px, "new_px": g.new_px, "pct": g.pct, "holds": g.holds}
                 for g in sorted(check.held.values(), key=lambda g: g.coin))

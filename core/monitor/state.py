"""What the monitor remembers between cycles (and across restarts, as one JSON row).

Kept apart from the snapshot: the snapshot is what the operator sees, the state is what the
next decision needs (the high-water mark, the breaker and its episode flags, per-position
tracking for held time and the trailing stop's best price, the protective stops placed, and the
last accepted prices with any price gap still waiting for confirmation, so a restart between
the gapped poll and the confirming one neither loses nor skips the confirmation).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from core import policy

DRAWDOWN_HISTORY_LEN = 240  # ratios kept for the console's history plot (2 h at 30 s)


@dataclass(frozen=True)
class Track:
    """One held coin as the monitor has followed it (venue clock)."""

    side: str  # "long" | "short"
    first_seen_ms: int
    best_px: float  # best mark since first seen: highest for a long, lowest for a short
    tp_done: int = 0  # take-profit scale-out levels already filled (their resting orders triggered)
    time_exit_proposed: bool = False  # the time exit of this position is a pending action already


@dataclass(frozen=True)
class PlacedStop:
    """A protective reduce-only stop resting on the exchange."""

    cloid: str
    coin: str
    is_buy: bool
    size: float
    trigger_px: float
    action_id: int

    def view(self) -> dict[str, Any]:
        """How the snapshot shows it (RiskSnapshot.protective_stops)."""
        return {"coin": self.coin, "side": "buy" if self.is_buy else "sell", "size": self.size,
                "trigger_px": self.trigger_px, "cloid": self.cloid}


ROLE_STOP = 0  # standing order roles: 0 the stop, 1..4 the take-profit scale-out levels


@dataclass(frozen=True)
class StandingOrder:
    """One standing reduce-only trigger order as placed (or as found on the exchange)."""

    cloid: str
    coin: str
    role: int  # ROLE_STOP or take-profit level k
    seq: int
    is_buy: bool
    size: float
    trigger_px: float
    genome: str  # label of the genome whose schedule it rests for
    placed: bool = True  # False between the saved intent and the exchange's answer

    def view(self) -> dict[str, Any]:
        """How the snapshot shows it: a placed stop's view plus its role and whether it rests yet."""
        return {"coin": self.coin, "side": "buy" if self.is_buy else "sell", "size": self.size,
                "trigger_px": self.trigger_px, "cloid": self.cloid,
                "kind": "stop" if self.role == ROLE_STOP else f"tp{self.role}", "placed": self.placed}

    @property
    def tpsl(self) -> str:
        return "sl" if self.role == ROLE_STOP else "tp"


@dataclass(frozen=True)
class PriceGap:
    """A held coin's price that jumped beyond gaps.GAP_CONFIRM_PCT since the last accepted poll
    and waits for the next poll to confirm it (RELIABILITY scenario 7)."""

    coin: str
    old_px: float  # the last accepted price
    new_px: float  # the unconfirmed observation
    seen_ms: int  # monitor clock of the observation
    holds: int = 1  # consecutive polls held on this coin

    @property
    def pct(self) -> float:
        """The jump as a fraction of the old price (-0.30 is a 30 % fall)."""
        return self.new_px / self.old_px - 1.0


@dataclass(frozen=True)
class MonitorState:
    hwm_usd: float | None = None
    breaker_state: int = policy.NORMAL
    breaker_since_ms: int = 0
    breaker_reason: str = "start"
    reduce_done: bool = False  # REDUCING proposed its halving in this episode
    exit_proposed: bool = False  # EMERGENCY proposed its exit in this episode
    last_ok_poll_ms: int | None = None
    last_venue_ms: int | None = None  # venue clock at the last good poll
    venue_advanced_at_ms: int | None = None  # monitor clock when the venue clock last moved
    mids_key: str = ""  # fingerprint of the last mids, to see a frozen feed
    mids_changed_venue_ms: int | None = None  # venue clock when the mids last changed
    tracks: dict[str, Track] = field(default_factory=dict)
    stops: dict[str, PlacedStop] = field(default_factory=dict)
    drawdown_history: tuple[float, ...] = ()
    last_px: dict[str, float] = field(default_factory=dict)  # held coins' last accepted mids, to see a gap
    price_gaps: dict[str, PriceGap] = field(default_factory=dict)  # gaps waiting for confirmation
    standing: dict[str, StandingOrder] = field(default_factory=dict)  # standing exits by cloid (standing.py)
    standing_seq: dict[str, int] = field(default_factory=dict)  # next cloid sequence per "coin:role"
    # STALE overlays the breaker instead of replacing it: breaker_state/since stay the last decided
    # ones, so a feed that flaps STALE <-> NORMAL never resets "NORMAL since" (SPEC 5).
    stale_since_ms: int | None = None  # monitor clock when the data became untrustworthy; None = fresh
    stale_reason: str = ""

    @property
    def is_stale(self) -> bool:
        return self.stale_since_ms is not None or self.breaker_state == policy.STALE  # the latter: older rows

    @property
    def breaker_name(self) -> str:
        return policy.BREAKER_NAMES[self.breaker_state]

    def with_history(self, ratio: float) -> "MonitorState":
        return replace(self, drawdown_history=(self.drawdown_history + (ratio,))[-DRAWDOWN_HISTORY_LEN:])

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> "MonitorState":
        """Inverse of to_json; an absent row is a fresh state."""
        if not text:
            return cls()
        raw: dict[str, Any] = json.loads(text)
        raw["tracks"] = {k: Track(**v) for k, v in raw.get("tracks", {}).items()}
        raw["stops"] = {k: PlacedStop(**v) for k, v in raw.get("stops", {}).items()}
        raw["drawdown_history"] = tuple(raw.get("drawdown_history", ()))
        raw["price_gaps"] = {k: PriceGap(**v) for k, v in raw.get("price_gaps", {}).items()}
        raw["standing"] = {k: StandingOrder(**v) for k, v in raw.get("standing", {}).items()}
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in raw.items() if k in known})

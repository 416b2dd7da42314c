"""The immutable result of one monitor cycle: everything the console and `monitor --headless` show.

This is the contract between the monitor service (producer) and every surface (consumers).
Distances are fractions of the mark price (positive = the level is that far away).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class PositionRisk:
    coin: str
    side: str  # "long" | "short"
    size: float  # signed units, negative short
    entry_px: float
    mark_px: float
    unrealized_pnl_usd: float
    notional_usd: float
    concentration: float  # notional / equity
    stop_px: float | None
    trail_px: float | None  # None while the trailing stop is not armed
    take_profit_px: float | None
    dist_stop: float | None
    dist_trail: float | None
    dist_take_profit: float | None
    held_hours: float = 0.0
    concentration_breached: bool = False  # concentration above gene 15
    exit_vote: bool = False  # the weighted exit vote (genes 19-21) passes at the current mark
    time_exit_due: bool = False  # held longer than max_hold_days (gene 11)
    stop_distance: float | None = None  # policy.stop_distances output, fractions of price
    trail_distance: float | None = None
    take_profit_distance: float | None = None
    # Perp risk (core/monitor/perp.py): what the venue says about margin, liquidation and funding.
    liquidation_px: float | None = None  # None: the venue sees no liquidation price (e.g. tiny leverage)
    dist_liquidation: float | None = None  # fraction of the mark between it and the liquidation price
    leverage: float | None = None
    leverage_type: str = ""  # "cross" | "isolated"
    margin_used_usd: float | None = None
    funding_since_open_usd: float | None = None  # cash to the account since open: negative = funding paid
    funding_rate_hourly: float | None = None  # the venue's current hourly rate; > 0: longs pay shorts
    funding_rate_annual: float | None = None  # hourly x 24 x 365, not compounded
    stop_clamped_px: float | None = None  # protective stop moved inside the liquidation price (policy)
    liquidation_inside_stop: bool = False  # the venue would liquidate before the genome's stop fires
    exit_px: float | None = None  # the schedule's adverse level: where the weighted vote passes
    exit_kind: str | None = None  # "stop" | "trail" (None: no adverse exit passes the vote)


@dataclass(frozen=True)
class PendingActionView:
    id: int
    kind: str  # a core.vocabulary.ActionKind
    status: str  # a core.vocabulary.ActionStatus
    created_ms: int
    reason: str
    orders: tuple[dict[str, Any], ...]  # coin, side ("buy"/"sell"), size, reduce_only, limit_px, cloid


@dataclass(frozen=True)
class RiskSnapshot:
    time_ms: int  # when the cycle finished (monitor clock)
    network: str
    equity_usd: float | None
    hwm_usd: float | None
    drawdown: float | None  # fraction of the high-water mark
    drawdown_ratio: float | None  # drawdown / max_drawdown_pct; 0.5 / 0.7 / 1.0 are the thresholds
    max_drawdown_pct: float
    breaker_state: str  # NORMAL | TIGHTENED | REDUCING | EMERGENCY | STALE
    breaker_since_ms: int
    breaker_reason: str
    positions: tuple[PositionRisk, ...]
    correlation_coins: tuple[str, ...]
    correlation_matrix: tuple[tuple[float | None, ...], ...]
    weighted_correlation: float | None
    correlation_limit: float
    concentration_limit: float
    last_ok_poll_ms: int | None  # last successful poll; freshness = time_ms - this
    data_error: str | None  # why the data is STALE/invalid, None when fine
    pending_actions: tuple[PendingActionView, ...] = ()
    genome_label: str = ""
    drawdown_history: tuple[float, ...] = field(default=())  # recent drawdown ratios, oldest first
    correlation_breached: bool = False  # weighted correlation above gene 14
    new_risk_allowed: bool = True  # policy.allows_new_risk of the breaker state
    protective_stops: tuple[dict[str, Any], ...] = ()  # reduce-only stops resting on the exchange
    # Held coins whose price jumped beyond gaps.GAP_CONFIRM_PCT and awaits the next poll's confirmation
    # (coin, old_px, new_px, pct as a fraction, holds); while non-empty nothing is proposed.
    price_gap: tuple[dict[str, Any], ...] = ()
    next_poll_in_s: float | None = None  # when the monitor asks the venue again (longer while backing off)
    # Why the local database refused this cycle's writes (busy: another process holds the write lock,
    # or disk full), None when it is fine. While set nothing is proposed or sent (no row, no order).
    db_error: str | None = None
    # Account perp risk (clearinghouseState); None on a snapshot taken before these were read.
    margin_used_usd: float | None = None
    margin_ratio: float | None = None  # margin used / equity
    account_leverage: float | None = None  # total notional / equity
    total_notional_usd: float | None = None
    maintenance_margin_usd: float | None = None  # below this equity the venue liquidates
    withdrawable_usd: float | None = None
    watch: bool = False  # drawdown at or beyond watch_fraction x max: an alert and a colour, never an action
    watch_fraction: float = 0.35
    protected: bool | None = None  # standing exits rest on the exchange (None: not decided yet)
    protection: str = ""  # one plain sentence: on, or OFF and why (the banner shows it)
    standing_notes: tuple[str, ...] = ()  # exits of the schedule no resting order can express
    # A poll failed but the data is not STALE yet (SPEC 5: 3 intervals): the numbers are the last
    # good ones, shown with this warning; nothing was decided on this cycle.
    poll_warning: str | None = None

    @property
    def data_age_s(self) -> float | None:
        return None if self.last_ok_poll_ms is None else (self.time_ms - self.last_ok_poll_ms) / 1000

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "RiskSnapshot":
        """Inverse of to_json (a stored `risk_snapshots` row); unknown keys are ignored so an
        older or newer row still loads. Raises TypeError/KeyError/ValueError on a broken row."""
        known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        fields = PositionRisk.__dataclass_fields__
        known["positions"] = tuple(PositionRisk(**{k: v for k, v in p.items() if k in fields})
                                   for p in raw.get("positions", ()))
        known["pending_actions"] = tuple(PendingActionView(**{**a, "orders": tuple(a.get("orders", ()))})
                                         for a in raw.get("pending_actions", ()))
        known["correlation_coins"] = tuple(raw.get("correlation_coins", ()))
        known["correlation_matrix"] = tuple(tuple(row) for row in raw.get("correlation_matrix", ()))
        known["drawdown_history"] = tuple(raw.get("drawdown_history", ()))
        known["protective_stops"] = tuple(raw.get("protective_stops", ()))
        known["price_gap"] = tuple(raw.get("price_gap", ()))
        return cls(**known)

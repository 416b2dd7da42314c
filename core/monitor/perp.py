"""Perp risk of the snapshot: liquidation distance, leverage, margin and funding per position,
margin use and leverage of the account, and the liquidation clamp of the protective stop.

The venue's own numbers (clearinghouseState) are shown as they come; funding rates come from
`metaAndAssetCtxs` (weight 20) through FundingCache, refreshed at most once a minute, and a
failure there only leaves the rates blank: it never makes a poll STALE.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from core import policy
from core.exchange.errors import ExchangeError
from core.exchange.protocol import ExchangeGateway
from core.exchange.models import AccountState, AssetContext, Position
from core.monitor.snapshot import PositionRisk, RiskSnapshot

log = logging.getLogger("evorisk.monitor")

FUNDING_REFRESH_MS = 60_000  # rates move hourly; once a minute costs 20 weight of the 1,200 a minute


@dataclass
class FundingCache:
    gateway: ExchangeGateway
    refresh_ms: int = FUNDING_REFRESH_MS
    contexts: dict[str, AssetContext] = field(default_factory=dict)
    _refreshed_ms: int | None = None
    _failing: bool = False

    def update(self, now_ms: int) -> None:
        if self._refreshed_ms is not None and now_ms - self._refreshed_ms < self.refresh_ms:
            return
        self._refreshed_ms = now_ms  # a failure also waits a full interval: no retry storm at weight 20
        try:
            self.contexts = self.gateway.asset_contexts()
        except ExchangeError as exc:
            (log.debug if self._failing else log.warning)("funding rates unavailable (metaAndAssetCtxs): %s", exc)
            self._failing = True
            return
        self._failing = False


@dataclass(frozen=True)
class AccountRisk:
    margin_used_usd: float
    margin_ratio: float | None
    account_leverage: float | None
    total_notional_usd: float
    maintenance_margin_usd: float | None
    withdrawable_usd: float


def account_risk(acct: AccountState, notional_by_mark_usd: float) -> AccountRisk:
    """Margin used / equity and total notional / equity (the venue's totalNtlPos when it gives one)."""
    equity = acct.equity_usd
    notional = acct.total_notional_usd if acct.total_notional_usd is not None else notional_by_mark_usd
    return AccountRisk(
        margin_used_usd=acct.margin_used_usd, margin_ratio=acct.margin_used_usd / equity if equity > 0 else None,
        account_leverage=notional / equity if equity > 0 else None, total_notional_usd=notional,
        maintenance_margin_usd=acct.maintenance_margin_usd, withdrawable_usd=acct.withdrawable_usd)


def with_perp_risk(row: PositionRisk, pos: Position, ctx: AssetContext | None) -> PositionRisk:
    """The row with what the venue says about its margin, liquidation and funding."""
    side = 1 if pos.size > 0 else -1
    liq = pos.liquidation_px
    dist = None if liq is None else (row.mark_px - liq) * side / row.mark_px
    hourly = None if ctx is None else ctx.funding_rate_hourly
    inside = liq is not None and row.stop_px is not None and (row.stop_px - liq) * side <= 0
    return replace(row, liquidation_px=liq, dist_liquidation=dist, leverage=pos.leverage,
                   leverage_type=pos.leverage_type, margin_used_usd=pos.margin_used_usd,
                   funding_since_open_usd=pos.funding_since_open_usd, funding_rate_hourly=hourly,
                   funding_rate_annual=None if ctx is None else ctx.funding_rate_annual,
                   liquidation_inside_stop=inside)


def clamp_protective(row: PositionRisk, level_px: float, buffer_fraction: float) -> tuple[PositionRisk, float]:
    """policy.stop_inside_liquidation on the protective level, the buffer measured from the entry
    (from the mark when a cross account's losses elsewhere moved liquidation past the entry);
    the row records a clamp."""
    side = 1 if row.size > 0 else -1
    liq = row.liquidation_px
    reference = row.entry_px if liq is not None and (row.entry_px - liq) * side > 0 else row.mark_px
    clamped = policy.stop_inside_liquidation(level_px, reference, liq, side, buffer_fraction)
    if clamped == level_px:
        return row, level_px
    return replace(row, stop_clamped_px=clamped), clamped


def clamp_note(row: PositionRisk) -> str:
    """One line for the event log and the position row."""
    return (f"{row.coin} {row.side}: stop clamped to {row.stop_clamped_px:.6g}, inside the liquidation price "
            f"{row.liquidation_px:.6g} (the genome's stop {row.stop_px:.6g} lies beyond it)")


def log_new_clamps(snapshot: RiskSnapshot, previous: RiskSnapshot | None) -> None:
    """A stop newly clamped inside its liquidation price goes to the event log once."""
    if snapshot.data_error is not None:
        return
    before = {p.coin: p.stop_clamped_px for p in (previous.positions if previous else ())}
    for row in snapshot.positions:
        if row.stop_clamped_px is not None and before.get(row.coin) is None:
            log.warning("%s", clamp_note(row))

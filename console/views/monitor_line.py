"""One line per monitor cycle (or one JSON object): what `evorisk monitor --headless` prints per
poll and the headless console's summary shows; and the stderr lines of a database episode."""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

from core.monitor.snapshot import RiskSnapshot
from core.vocabulary import ActionStatus

POSITION_KEYS = ("coin", "side", "size", "entry_px", "mark_px", "unrealized_pnl_usd", "notional_usd", "stop_px",
                 "stop_clamped_px", "liquidation_px", "dist_liquidation", "liquidation_inside_stop", "leverage",
                 "leverage_type", "margin_used_usd", "funding_since_open_usd", "funding_rate_hourly",
                 "funding_rate_annual")
ACCOUNT_KEYS = ("margin_used_usd", "margin_ratio", "account_leverage", "total_notional_usd",
                "maintenance_margin_usd", "withdrawable_usd", "watch")


def snapshot_line(snap: RiskSnapshot, as_json: bool) -> str:
    ids = [a.id for a in snap.pending_actions if a.status == ActionStatus.PENDING]
    if as_json:
        return json.dumps({"time_ms": snap.time_ms, "equity_usd": snap.equity_usd, "hwm_usd": snap.hwm_usd,
                           "drawdown": snap.drawdown, "drawdown_ratio": snap.drawdown_ratio,
                           "breaker_state": snap.breaker_state, "pending_action_ids": ids,
                           "data_error": snap.data_error, "poll_warning": snap.poll_warning, "db_error": snap.db_error,
                           "genome": snap.genome_label,
                           "protected": snap.protected, "protection": snap.protection,
                           "standing_orders": list(snap.protective_stops),
                           **{k: getattr(snap, k) for k in ACCOUNT_KEYS},
                           "positions": [{k: getattr(p, k) for k in POSITION_KEYS} for p in snap.positions]})
    when = datetime.fromtimestamp(snap.time_ms / 1000, timezone.utc).strftime("%H:%M:%S")
    equity = "n/a" if snap.equity_usd is None else f"{snap.equity_usd:,.2f}"
    dd = "n/a" if snap.drawdown is None else f"{snap.drawdown:.2%} ({snap.drawdown_ratio:.2f} of max)"
    guard = "on" if snap.protected else "OFF(unprotected)"
    held = ",".join(f"{p.coin}:{p.size:g}" for p in snap.positions) or "none"
    orders = ",".join(f"{o['coin']}-{o.get('kind', 'stop')}@{o['trigger_px']:g}" for o in snap.protective_stops) or "none"
    line = (f"{when} equity={equity} drawdown={dd} state={snap.breaker_state}{' WATCH' if snap.watch else ''} "
            f"pending={ids} held={held} standing={guard} orders={orders}")
    if snap.margin_ratio is not None:
        line += f" margin={snap.margin_ratio:.1%} leverage={snap.account_leverage:.2f}x"
    line += f" STALE: {snap.data_error}" if snap.data_error else ""
    line += f" WARNING: {snap.poll_warning}" if snap.poll_warning else ""
    return line + (f" DB: {snap.db_error} (nothing stored, proposed or sent)" if snap.db_error else "")


class DbEpisodes:
    """One stderr line when the database starts refusing writes and one when it recovers, however
    many polls the episode lasts (every poll's own line still carries the DB field)."""

    def __init__(self, err=None):
        self.err = err or sys.stderr
        self.current: str | None = None

    def see(self, snap: RiskSnapshot) -> None:
        if snap.db_error and self.current is None:
            self.err.write(f"evorisk: monitor blocked: {snap.db_error}; nothing is proposed or sent until "
                           "the database can be written\n")
            self.err.flush()
        elif not snap.db_error and self.current is not None:
            self.err.write("evorisk: database writable again; the monitor proposes and sends as usual\n")
            self.err.flush()
        self.current = snap.db_error

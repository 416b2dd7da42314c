"""Fixed monitor snapshots for screen snapshot tests (live data moves; screens must be compared on
identical input). The numbers mirror a demo account during a crash."""
from __future__ import annotations

from core.monitor.snapshot import PendingActionView, PositionRisk, RiskSnapshot

T0_MS = 1_796_000_000_000


def positions(mark_factor: float = 1.0) -> tuple[PositionRisk, ...]:
    def pos(coin, side, size, entry, mark, stop, trail, tp):
        mark *= mark_factor
        sign = 1 if side == "long" else -1
        notional = abs(size) * mark
        dist = (lambda lvl: None if lvl is None else abs(mark - lvl) / mark)
        return PositionRisk(coin, side, size, entry, mark, sign * abs(size) * (mark - entry), notional,
                            notional / 100_000, stop, trail, tp, dist(stop), dist(trail), dist(tp), 30.0)

    return (pos("BTC", "long", 0.59423, 65_967.80, 67_314.10, 59_074.16, None, 80_810.56),
            pos("ETH", "short", -7.0515, 3_509.91, 3_545.36, 3_934.61, None, 2_413.06),
            pos("SOL", "long", 89.01, 171.04, 168.51, 150.35, 160.10, 224.49))


def snapshot(state: str = "NORMAL", ratio: float = 0.12, pending: bool = False) -> RiskSnapshot:
    actions = ()
    if pending:
        orders = ({"coin": "BTC", "side": "sell", "size": 0.59423, "reduce_only": True, "limit_px": 57_700.0,
                   "cloid": "0x17770be5a1c2d3e4f5a6b7c8d9e0f1a2"},
                  {"coin": "ETH", "side": "buy", "size": 7.0515, "reduce_only": True, "limit_px": 3_501.3,
                   "cloid": "0x357a710f0a1b2c3d4e5f60718293a4b5"},
                  {"coin": "SOL", "side": "sell", "size": 89.01, "reduce_only": True, "limit_px": 141.2,
                   "cloid": "0x6ffd78860f1e2d3c4b5a69788796a5b4"})
        actions = (PendingActionView(3, "exit_all", "pending", T0_MS,
                                     "EMERGENCY: drawdown 10.7% is 1.07 x max 10.00%; close every position", orders),)
    history = tuple(min(ratio, 0.02 * i) for i in range(60))
    return RiskSnapshot(
        time_ms=T0_MS, network="paper", equity_usd=100_000 * (1 - ratio * 0.1), hwm_usd=100_325.01,
        drawdown=ratio * 0.1, drawdown_ratio=ratio, max_drawdown_pct=0.10, breaker_state=state,
        breaker_since_ms=T0_MS - 90_000, breaker_reason=f"drawdown {ratio * 10:.2f}% is {ratio:.2f} x max 10.00%",
        positions=positions(1 - ratio * 0.1), correlation_coins=("BTC", "ETH", "SOL"),
        correlation_matrix=((1.0, 0.87, 0.83), (0.87, 1.0, 0.85), (0.83, 0.85, 1.0)),
        weighted_correlation=0.86, correlation_limit=0.55, concentration_limit=0.125, last_ok_poll_ms=T0_MS - 2000,
        data_error=None, pending_actions=actions, genome_label="promotion #2 run 1 best",
        drawdown_history=history, new_risk_allowed=state in ("NORMAL", "TIGHTENED"),
        protective_stops=({"coin": "BTC", "side": "sell", "size": 0.59423, "trigger_px": 60_417.0},)
        if state != "NORMAL" else ())


def perp_snapshot(ratio: float = 0.40) -> RiskSnapshot:
    """The demo book at 10x cross with the venue's liquidation prices and funding; SOL's genome
    stop lies beyond its liquidation price and is clamped inside it. A 0.40 ratio is WATCH."""
    from dataclasses import replace

    base = snapshot("NORMAL", ratio)
    perp = {"BTC": dict(liquidation_px=49_870.0, leverage=10.0, funding_since_open_usd=-12.41,
                        funding_rate_hourly=0.0000125),
            "ETH": dict(liquidation_px=4_410.5, leverage=10.0, funding_since_open_usd=3.08,
                        funding_rate_hourly=0.0000125),
            "SOL": dict(liquidation_px=155.20, leverage=20.0, funding_since_open_usd=-0.95,
                        funding_rate_hourly=-0.000004, stop_clamped_px=155.83, liquidation_inside_stop=True)}
    rows = []
    for p in base.positions:
        extra = perp[p.coin]
        sign = 1 if p.side == "long" else -1
        rows.append(replace(p, leverage_type="cross", margin_used_usd=p.notional_usd / extra["leverage"],
                            dist_liquidation=(p.mark_px - extra["liquidation_px"]) * sign / p.mark_px,
                            funding_rate_annual=extra["funding_rate_hourly"] * 24 * 365, **extra))
    margin = sum(r.margin_used_usd for r in rows)
    notional = sum(r.notional_usd for r in rows)
    equity = base.equity_usd
    return replace(base, positions=tuple(rows), margin_used_usd=margin, margin_ratio=margin / equity,
                   account_leverage=notional / equity, total_notional_usd=notional, maintenance_margin_usd=margin / 4,
                   withdrawable_usd=equity - margin, watch=True, watch_fraction=0.35)

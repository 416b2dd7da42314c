"""Wire JSON -> models. Every number is checked here, at the boundary.

A bad field rejects the whole reply with `MalformedReply` naming the field, because a
half-parsed account (one position missing) would look like a real drawdown or exposure change.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any

from core.exchange.errors import MalformedReply, OrderRejected
from core.exchange.models import (
    AccountState,
    Candle,
    Fill,
    OpenOrder,
    OrderResult,
    OrderStatus,
    Position,
)

EPOCH_UTC = datetime(1970, 1, 1, tzinfo=timezone.utc)
MS_PER_MINUTE = 60_000
MAX_RAW_TIME_DIGITS = 20
LEVERAGE_TYPES = ("cross", "isolated")  # an int64 ms value; anything longer is garbage not worth echoing


def _field(obj: Any, key: str, where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise MalformedReply(f"{where}: missing field {key!r}")
    return obj[key]


def number(value: Any, where: str) -> float:
    """A finite float from a wire string or number; bools and NaN/inf are rejected."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise MalformedReply(f"{where}: expected a number, got {value!r}")
    try:
        out = float(value)
    except (ValueError, OverflowError):  # OverflowError: a JSON integer beyond float range
        raise MalformedReply(f"{where}: not a number: {value!r:.40}") from None
    if not math.isfinite(out):
        raise MalformedReply(f"{where}: not finite: {value!r}")
    return out


def price(value: Any, where: str) -> float:
    out = number(value, where)
    if out <= 0:
        raise MalformedReply(f"{where}: price must be > 0, got {value!r}")
    return out


def integer(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedReply(f"{where}: expected an integer, got {value!r}")
    return value


def check_not_error(raw: Any, where: str) -> None:
    """The SDK returns `{"error": "Could not parse JSON: ..."}` for a non-JSON 2xx body."""
    if isinstance(raw, dict) and set(raw) == {"error"}:
        raise MalformedReply(f"{where}: {str(raw['error'])[:200]}")


def parse_position(raw: Any, where: str) -> Position:
    p = _field(raw, "position", where)
    coin = _field(p, "coin", where)
    where = f"{where}[{coin}]"
    size = number(_field(p, "szi", where), f"{where}.szi")
    if size == 0:
        raise MalformedReply(f"{where}.szi: zero-size position listed")
    value_usd = number(_field(p, "positionValue", where), f"{where}.positionValue")
    entry = _field(p, "entryPx", where)
    liq = _field(p, "liquidationPx", where)
    lev = _field(p, "leverage", where)
    lev_type = lev.get("type", "cross") if isinstance(lev, dict) else "cross"
    if lev_type not in LEVERAGE_TYPES:
        raise MalformedReply(f"{where}.leverage.type: unknown {lev_type!r:.40}")
    cum = p.get("cumFunding")
    funding = None
    if isinstance(cum, dict) and "sinceOpen" in cum:  # the venue counts funding paid as positive
        paid = number(cum["sinceOpen"], f"{where}.cumFunding.sinceOpen")
        funding = -paid if paid else 0.0
    return Position(
        coin=str(coin),
        size=size,
        entry_px=price(entry, f"{where}.entryPx"),
        mark_px=price(value_usd / abs(size), f"{where}.positionValue/|szi|"),
        unrealized_pnl_usd=number(_field(p, "unrealizedPnl", where), f"{where}.unrealizedPnl"),
        position_value_usd=value_usd,
        margin_used_usd=number(_field(p, "marginUsed", where), f"{where}.marginUsed"),
        leverage=number(_field(lev, "value", f"{where}.leverage"), f"{where}.leverage.value"),
        liquidation_px=None if liq is None else price(liq, f"{where}.liquidationPx"),
        leverage_type=str(lev_type),
        funding_since_open_usd=funding,
    )


def parse_account_state(raw: Any, fallback_time_ms: int) -> AccountState:
    where = "clearinghouseState"
    check_not_error(raw, where)
    summary = _field(raw, "marginSummary", where)
    positions = _field(raw, "assetPositions", where)
    if not isinstance(positions, list):
        raise MalformedReply(f"{where}.assetPositions: expected a list")
    time_ms = raw.get("time", fallback_time_ms)
    return AccountState(
        equity_usd=number(_field(summary, "accountValue", where), f"{where}.accountValue"),
        margin_used_usd=number(_field(summary, "totalMarginUsed", where), f"{where}.totalMarginUsed"),
        withdrawable_usd=number(_field(raw, "withdrawable", where), f"{where}.withdrawable"),
        positions=tuple(parse_position(p, f"{where}.assetPositions") for p in positions),
        time_ms=integer(time_ms, f"{where}.time"),
        total_notional_usd=_optional_number(summary, "totalNtlPos", f"{where}.totalNtlPos"),
        maintenance_margin_usd=_optional_number(raw, "crossMaintenanceMarginUsed",
                                                f"{where}.crossMaintenanceMarginUsed"),
    )


def _optional_number(obj: dict, key: str, where: str) -> float | None:
    """A field newer replies carry and older ones lack: absent is None, present must be a number."""
    return None if obj.get(key) is None else number(obj[key], where)


def parse_mids(raw: Any) -> dict[str, float]:
    check_not_error(raw, "allMids")
    if not isinstance(raw, dict):
        raise MalformedReply("allMids: expected an object")
    return {str(coin): price(px, f"allMids.{coin}") for coin, px in raw.items()}


def candle_time_utc(open_ms: int) -> str:
    """`2026-03-01 14:00` (UTC) for a candle's open time; seconds and ms only when not on a minute.

    A time beyond what datetime holds is shown as raw ms, so the error that names it still reads.
    """
    try:
        when = EPOCH_UTC + timedelta(milliseconds=open_ms)
    except OverflowError:
        return f"t={open_ms}" if len(str(open_ms)) <= MAX_RAW_TIME_DIGITS else "t out of range"
    if open_ms % MS_PER_MINUTE == 0:
        return when.strftime("%Y-%m-%d %H:%M")
    return when.strftime("%Y-%m-%d %H:%M:%S.") + f"{open_ms % 1000:03d}"


def ohlc_problem(open_px: float, high_px: float, low_px: float, close_px: float) -> str | None:
    """What is wrong with four positive prices as one candle's OHLC, or None when they fit."""
    if high_px < low_px:
        return "high below low"
    for name, px in (("open", open_px), ("close", close_px)):
        if px > high_px:
            return f"{name} above high"
        if px < low_px:
            return f"{name} below low"
    return None


def parse_candles(raw: Any, coin: str, interval: str) -> list[Candle]:
    """Candles of one coin and interval. An error names the candle by coin, interval and open
    time (`BTC 1h 2026-03-01 14:00: high below low`), which is what a user can look up; only a
    candle whose `t` itself is bad is named by its index in the reply."""
    where = f"candleSnapshot[{coin} {interval}]"
    check_not_error(raw, where)
    if not isinstance(raw, list):
        raise MalformedReply(f"{where}: expected a list")
    out = []
    for i, c in enumerate(raw):
        open_ms = integer(_field(c, "t", f"{where}[{i}]"), f"{where}[{i}].t")
        w = f"{coin} {interval} {candle_time_utc(open_ms)}"
        candle = Candle(coin=coin, interval=interval, open_ms=open_ms,
                        close_ms=integer(_field(c, "T", w), f"{w} close time T"),
                        open_px=price(_field(c, "o", w), f"{w} open"), high_px=price(_field(c, "h", w), f"{w} high"),
                        low_px=price(_field(c, "l", w), f"{w} low"), close_px=price(_field(c, "c", w), f"{w} close"),
                        volume_base=number(_field(c, "v", w), f"{w} volume"),
                        trades=integer(c.get("n", 0), f"{w} trades n"))
        problem = ohlc_problem(candle.open_px, candle.high_px, candle.low_px, candle.close_px)
        if problem:
            raise MalformedReply(f"{w}: {problem}")
        out.append(candle)
    return out


def _ok_data(raw: Any, where: str) -> Any:
    parse_default_ok(raw, where)
    return _field(_field(_field(raw, "response", where), "data", where), "statuses", where)


def parse_order_statuses(raw: Any, n_orders: int) -> list[OrderResult]:
    statuses = _ok_data(raw, "order")
    if not isinstance(statuses, list) or len(statuses) != n_orders:
        raise MalformedReply(f"order: expected {n_orders} statuses, got {statuses!r:.200}")
    out = []
    for i, s in enumerate(statuses):
        w = f"order.statuses[{i}]"
        if s in ("waitingForFill", "waitingForTrigger"):
            out.append(OrderResult(status="waiting"))
        elif isinstance(s, dict) and "filled" in s:
            f = s["filled"]
            out.append(OrderResult(status="filled", oid=integer(_field(f, "oid", w), f"{w}.oid"),
                                   filled_size=number(_field(f, "totalSz", w), f"{w}.totalSz"),
                                   avg_px=price(_field(f, "avgPx", w), f"{w}.avgPx")))
        elif isinstance(s, dict) and "resting" in s:
            out.append(OrderResult(status="resting", oid=integer(_field(s["resting"], "oid", w), f"{w}.oid")))
        elif isinstance(s, dict) and "error" in s:
            out.append(OrderResult(status="error", error=str(s["error"])))
        else:
            raise MalformedReply(f"{w}: unknown status {s!r:.200}")
    return out


def parse_cancel_statuses(raw: Any, n_cancels: int) -> list[str | None]:
    """One entry per cancel: None on success, else the venue's error text."""
    statuses = _ok_data(raw, "cancel")
    if not isinstance(statuses, list) or len(statuses) != n_cancels:
        raise MalformedReply(f"cancel: expected {n_cancels} statuses")
    return [None if s == "success" else str(s.get("error", s)) if isinstance(s, dict) else str(s) for s in statuses]


def parse_default_ok(raw: Any, where: str) -> None:
    """An action accepted as a whole (`{"status":"ok",...}`); a refusal raises OrderRejected.
    scheduleCancel answers just this; orders and cancels carry statuses after it (_ok_data)."""
    check_not_error(raw, where)
    status = _field(raw, "status", where)
    if status == "err":
        raise OrderRejected(str(raw.get("response", "")))
    if status != "ok":
        raise MalformedReply(f"{where}: unknown status {status!r}")


def _order_fields(o: Any, where: str) -> dict:
    return dict(coin=str(_field(o, "coin", where)), oid=integer(_field(o, "oid", where), f"{where}.oid"),
                is_buy=_field(o, "side", where) == "B", limit_px=price(_field(o, "limitPx", where), f"{where}.limitPx"),
                size=number(_field(o, "sz", where), f"{where}.sz"),
                orig_size=number(o.get("origSz", o.get("sz")), f"{where}.origSz"), cloid=o.get("cloid"))


def parse_open_orders(raw: Any) -> list[OpenOrder]:
    check_not_error(raw, "openOrders")
    if not isinstance(raw, list):
        raise MalformedReply("openOrders: expected a list")
    return [OpenOrder(timestamp_ms=integer(_field(o, "timestamp", f"openOrders[{i}]"), f"openOrders[{i}].timestamp"),
                      **_order_fields(o, f"openOrders[{i}]")) for i, o in enumerate(raw)]


def parse_order_status(raw: Any) -> OrderStatus | None:
    """None when the venue does not know the order (`unknownOid`)."""
    where = "orderStatus"
    check_not_error(raw, where)
    status = _field(raw, "status", where)
    if status == "unknownOid":
        return None
    if status != "order":
        raise MalformedReply(f"{where}: unknown status {status!r}")
    outer = _field(raw, "order", where)
    return OrderStatus(status=str(_field(outer, "status", where)),
                       status_time_ms=integer(_field(outer, "statusTimestamp", where), f"{where}.statusTimestamp"),
                       **_order_fields(_field(outer, "order", where), f"{where}.order"))


def parse_user_fills(raw: Any) -> list[Fill]:
    """`userFills`: every fill with a positive size and price, or MalformedReply for the whole list."""
    check_not_error(raw, "userFills")
    if not isinstance(raw, list):
        raise MalformedReply("userFills: expected a list")
    out = []
    for i, f in enumerate(raw):
        w = f"userFills[{i}]"
        size = number(_field(f, "sz", w), f"{w}.sz")
        if size <= 0:
            raise MalformedReply(f"{w}.sz: fill size must be > 0, got {size!r}")
        cloid = f.get("cloid")
        out.append(Fill(coin=str(_field(f, "coin", w)), oid=integer(_field(f, "oid", w), f"{w}.oid"),
                        is_buy=_field(f, "side", w) == "B", px=price(_field(f, "px", w), f"{w}.px"), size=size,
                        time_ms=integer(_field(f, "time", w), f"{w}.time"),
                        cloid=cloid if isinstance(cloid, str) else None))
    return out

"""Frozen values that cross the exchange boundary, with units in every name.

Construction validates: a model that exists holds finite numbers and positive prices, so
risk code downstream never meets a NaN from the wire.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

TIFS = ("Gtc", "Ioc", "Alo")
CLOID_PATTERN = re.compile(r"^0x[0-9a-fA-F]{32}$")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def is_positive_finite(value: float) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


@dataclass(frozen=True)
class Position:
    """One perp position. `size` is signed: negative means short (Hyperliquid's `szi`)."""

    coin: str
    size: float
    entry_px: float
    mark_px: float
    unrealized_pnl_usd: float
    position_value_usd: float
    margin_used_usd: float
    leverage: float
    liquidation_px: float | None
    leverage_type: str = "cross"  # "cross" | "isolated"
    # Cash the position received since it was opened (the venue's -cumFunding.sinceOpen):
    # negative = funding paid. None when the venue's reply has no cumFunding.
    funding_since_open_usd: float | None = None

    @property
    def side(self) -> Literal["long", "short"]:
        return "long" if self.size > 0 else "short"

    @property
    def notional_usd(self) -> float:
        return abs(self.size) * self.mark_px


@dataclass(frozen=True)
class AccountState:
    """Cross-margin account summary; `time_ms` is the venue's clock (simulated on paper)."""

    equity_usd: float
    margin_used_usd: float
    withdrawable_usd: float
    positions: tuple[Position, ...]
    time_ms: int
    total_notional_usd: float | None = None  # marginSummary.totalNtlPos
    maintenance_margin_usd: float | None = None  # crossMaintenanceMarginUsed (None on older replies)

    def position(self, coin: str) -> Position | None:
        return next((p for p in self.positions if p.coin == coin), None)


HOURS_PER_YEAR = 24 * 365  # Hyperliquid funds every hour; annualised without compounding


@dataclass(frozen=True)
class AssetContext:
    """One perp's market context from `metaAndAssetCtxs`; `funding_rate_hourly` > 0: longs pay."""

    coin: str
    funding_rate_hourly: float
    mark_px: float | None
    oracle_px: float | None
    open_interest: float
    max_leverage: float | None = None  # from the meta half of the reply

    @property
    def funding_rate_annual(self) -> float:
        return self.funding_rate_hourly * HOURS_PER_YEAR


@dataclass(frozen=True)
class FundingPayment:
    """One hourly funding payment from `userFunding`: `usdc` < 0 means the account paid."""

    coin: str
    time_ms: int
    usdc: float
    size: float  # signed position size it was charged on
    funding_rate: float


@dataclass(frozen=True)
class Candle:
    coin: str
    interval: str
    open_ms: int
    close_ms: int
    open_px: float
    high_px: float
    low_px: float
    close_px: float
    volume_base: float
    trades: int


@dataclass(frozen=True)
class Trigger:
    """Stop/take-profit trigger. `is_market` fills at any price once triggered."""

    trigger_px: float
    tpsl: Literal["tp", "sl"]
    is_market: bool = True

    def __post_init__(self) -> None:
        _require(is_positive_finite(self.trigger_px), f"trigger_px must be a positive finite number, got {self.trigger_px!r}")
        _require(self.tpsl in ("tp", "sl"), f"tpsl must be 'tp' or 'sl', got {self.tpsl!r}")


@dataclass(frozen=True)
class OrderRequest:
    """One order to send. `limit_px` is also the worst price of a triggered market order."""

    coin: str
    is_buy: bool
    size: float
    limit_px: float
    reduce_only: bool = False
    cloid: str | None = None
    tif: Literal["Gtc", "Ioc", "Alo"] = "Gtc"
    trigger: Trigger | None = None

    def __post_init__(self) -> None:
        _require(is_positive_finite(self.size), f"size must be a positive finite number, got {self.size!r}")
        _require(is_positive_finite(self.limit_px), f"limit_px must be a positive finite number, got {self.limit_px!r}")
        _require(self.tif in TIFS, f"tif must be one of {TIFS}, got {self.tif!r}")
        _require(self.cloid is None or bool(CLOID_PATTERN.match(self.cloid)),
                 f"cloid must be 0x plus 32 hex characters, got {self.cloid!r}")


@dataclass(frozen=True)
class OrderResult:
    """The venue's verdict on one order of a batch, in request order.

    status: `filled` (maybe partially: compare `filled_size` with the request), `resting`
    (on the book or waiting for its trigger), `waiting` (a TP/SL child waiting for its parent),
    or `error` (see `error`).
    """

    status: Literal["filled", "resting", "waiting", "error"]
    oid: int | None = None
    filled_size: float = 0.0
    avg_px: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class OpenOrder:
    coin: str
    oid: int
    is_buy: bool
    limit_px: float
    size: float
    orig_size: float
    timestamp_ms: int
    cloid: str | None


@dataclass(frozen=True)
class OrderStatus:
    """`orderStatus` answer for a known order; `status` is the venue's word (open, filled, canceled, ...)."""

    oid: int
    coin: str
    status: str
    is_buy: bool
    limit_px: float
    size: float
    orig_size: float
    cloid: str | None
    status_time_ms: int

    @property
    def filled_size(self) -> float:
        return self.orig_size - self.size


@dataclass(frozen=True)
class Fill:
    """One execution from `userFills`; an order filled in pieces has one Fill per piece."""

    coin: str
    oid: int
    is_buy: bool
    px: float
    size: float
    time_ms: int
    cloid: str | None = None

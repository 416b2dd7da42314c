"""Accounts, positions, orders and fills of the paper exchange, with Hyperliquid's accounting.

Cash is `raw_usd`: buying `sz` at `px` debits `sz * px`, selling credits it, fees are debited.
Then account value = raw_usd + sum(szi * mark), exactly as Hyperliquid's `totalRawUsd` works.
Funding is booked to cash too; cumulative funding follows the venue's sign (positive = paid).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from core.exchange.paper.wire import rate_str, sz_str, usd_str


ZERO_HASH = "0x" + "0" * 64  # the venue's hash of non-transaction ledger events (funding)


@dataclass
class Holding:
    szi: float  # signed size: negative is short
    entry_px: float
    funding_since_open_usd: float = 0.0  # funding paid (positive) since the position opened from flat
    funding_since_change_usd: float = 0.0  # ... since its size last changed


@dataclass
class Account:
    address: str  # lower-case 0x address
    raw_usd: float
    positions: dict[str, Holding] = field(default_factory=dict)
    cum_volume_usd: float = 0.0
    n_actions: int = 0
    scheduled_cancel_ms: int | None = None
    schedule_cancel_triggers: int = 0
    fills: list[dict] = field(default_factory=list)
    funding_events: list[dict] = field(default_factory=list)  # `userFunding` entries, oldest first
    funding_all_time_usd: dict[str, float] = field(default_factory=dict)  # per coin, positive = paid
    leverage: dict[str, int] = field(default_factory=dict)  # per-coin cross leverage set by the user

    def szi(self, coin: str) -> float:
        h = self.positions.get(coin)
        return h.szi if h else 0.0


@dataclass
class PaperOrder:
    oid: int
    user: str
    coin: str
    asset: int
    is_buy: bool
    limit_px: float
    sz: float  # remaining
    orig_sz: float
    reduce_only: bool
    tif: str | None  # None for trigger orders
    trigger: dict | None  # {"triggerPx": float, "isMarket": bool, "tpsl": "tp"|"sl"}
    cloid: str | None
    timestamp_ms: int
    status: str = "open"
    status_ms: int = 0
    parent_oid: int | None = None  # set while a normalTpsl child waits for its parent to fill
    children: list[int] = field(default_factory=list)
    is_position_tpsl: bool = False

    @property
    def is_active(self) -> bool:
        return self.status == "open" and self.parent_oid is None


def _direction(start_szi: float, signed_sz: float) -> str:
    end = start_szi + signed_sz
    if start_szi == 0 or (start_szi > 0) == (signed_sz > 0):
        return "Open Long" if signed_sz > 0 else "Open Short"
    if end != 0 and (end > 0) != (start_szi > 0):
        return "Long > Short" if start_szi > 0 else "Short > Long"
    return "Close Long" if start_szi > 0 else "Close Short"


class Ledger:
    """Every account and order; callers hold the exchange lock."""

    def __init__(self, fee_rate: float):
        self.fee_rate = fee_rate
        self.accounts: dict[str, Account] = {}
        self.agents: dict[str, str] = {}  # agent address -> master address (both lower-case)
        self.orders: dict[int, PaperOrder] = {}
        self.cloids: dict[tuple[str, str], int] = {}  # (user, cloid) -> oid
        self._oids = itertools.count(1_000_001)
        self._tids = itertools.count(1)

    def open_account(self, address: str, cash_usd: float) -> Account:
        account = Account(address.lower(), float(cash_usd))
        self.accounts[account.address] = account
        return account

    def next_oid(self) -> int:
        return next(self._oids)

    def book(self, order: PaperOrder) -> None:
        self.orders[order.oid] = order
        if order.cloid:
            self.cloids[(order.user, order.cloid.lower())] = order.oid

    def find(self, user: str, oid_or_cloid: int | str) -> PaperOrder | None:
        if isinstance(oid_or_cloid, str):
            oid = self.cloids.get((user, oid_or_cloid.lower()))
            return self.orders.get(oid) if oid is not None else None
        order = self.orders.get(oid_or_cloid)
        return order if order and order.user == user else None

    def open_orders(self, user: str) -> list[PaperOrder]:
        return [o for o in self.orders.values() if o.user == user and o.status == "open"]

    def apply_fill(self, account: Account, order: PaperOrder, sz: float, px: float, time_ms: int,
                   crossed: bool, liquidation: dict | None = None) -> None:
        """Book one fill: position, entry price, cash, fee, realised PnL and the fill record."""
        signed = sz if order.is_buy else -sz
        start = account.szi(order.coin)
        held = account.positions.get(order.coin)
        closed_pnl = 0.0
        since_open = held.funding_since_open_usd if held else 0.0
        if held is None or start == 0 or (start > 0) == (signed > 0):
            total = abs(start) + sz
            entry = ((abs(start) * held.entry_px if held else 0.0) + sz * px) / total
            account.positions[order.coin] = Holding(start + signed, entry, since_open)
        else:
            closing = min(sz, abs(start))
            closed_pnl = closing * (px - held.entry_px) * (1 if start > 0 else -1)
            end = start + signed
            if abs(end) < 1e-12:
                del account.positions[order.coin]
            elif (end > 0) == (start > 0):
                account.positions[order.coin] = Holding(end, held.entry_px, since_open)
            else:
                account.positions[order.coin] = Holding(end, px)  # flipped: a new position opens
        fee = sz * px * self.fee_rate
        account.raw_usd -= signed * px + fee
        account.cum_volume_usd += sz * px
        account.fills.append({
            "coin": order.coin, "px": str(px), "sz": str(sz), "side": "B" if order.is_buy else "A",
            "time": time_ms, "startPosition": str(start), "dir": _direction(start, signed),
            "closedPnl": f"{closed_pnl:.6f}", "hash": f"0x{order.oid:064x}", "oid": order.oid,
            "crossed": crossed, "fee": f"{fee:.6f}", "tid": next(self._tids), "feeToken": "USDC",
            **({"cloid": order.cloid} if order.cloid else {}),
            **({"liquidation": liquidation} if liquidation else {}),
        })

    def charge_funding(self, account: Account, coin: str, rate: float, oracle_px: float, time_ms: int,
                       n_samples: int, sz_decimals: int) -> float:
        """Pay or receive one hour's funding on `coin`; returns the USDC the account received."""
        held = account.positions.get(coin)
        if held is None:
            return 0.0
        received = -held.szi * oracle_px * rate
        account.raw_usd += received
        held.funding_since_open_usd -= received
        held.funding_since_change_usd -= received
        account.funding_all_time_usd[coin] = account.funding_all_time_usd.get(coin, 0.0) - received
        account.funding_events.append({"time": time_ms, "hash": ZERO_HASH, "delta": {
            "type": "funding", "coin": coin, "usdc": usd_str(received), "szi": sz_str(held.szi, sz_decimals),
            "fundingRate": rate_str(rate),
            "nSamples": n_samples}})
        return received

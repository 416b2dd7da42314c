"""Accounts, positions, orders and fills of the paper exchange, with Hyperliquid's accounting.

Cash is `raw_usd`: buying `sz` at `px` debits `sz * px`, selling credits it, fees are debited.
Then account value = raw_usd + sum(szi * mark), exactly as Hyperliquid's `totalRawUsd` works.
Funding is booked to cash too; cumulative funding follows the venue's sign (positive = paid).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from core.exchange.paper.wire import px_str, rate_str, sz_str, usd_str


ZERO_HASH = "0x" + "0" * 64  # the venue's hash of non-transaction ledger events (funding)
EPS_SZ = 1e-12  # a size at or below this is zero (sizes are rounded to the coin's decimals)


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
    isolated: set[str] = field(default_factory=set)  # coins set to isolated margin (updateLeverage isCross=false)
    isolated_raw_usd: dict[str, float] = field(default_factory=dict)  # coin -> cash of its open isolated position
    value_history: list[tuple[int, float]] = field(default_factory=list)  # hourly account value (portfolio)
    ledger_events: list[dict] = field(default_factory=list)  # deposits: userNonFundingLedgerUpdates

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

    def __init__(self, fee_rate: float, sz_decimals: dict[str, int], default_leverage: int = 10):
        self.fee_rate = fee_rate
        self.default_leverage = default_leverage
        self.sz_decimals = sz_decimals  # per coin, for the fill records' number strings
        self.accounts: dict[str, Account] = {}
        self.agents: dict[str, str] = {}  # agent address -> master address (both lower-case)
        self.agent_info: dict[str, tuple[str, str, int]] = {}  # agent -> (master, name, valid until ms)
        self.rejected: dict[str, list[PaperOrder]] = {}  # per user: IOCs that never booked (historicalOrders)
        self.orders: dict[int, PaperOrder] = {}
        self.cloids: dict[tuple[str, str], int] = {}  # (user, cloid) -> oid
        self._oids = itertools.count(1_000_001)
        self._tids = itertools.count(1)

    def open_account(self, address: str, cash_usd: float, time_ms: int = 0) -> Account:
        account = Account(address.lower(), float(cash_usd))
        account.ledger_events.append({"time": time_ms, "hash": ZERO_HASH,
                                      "delta": {"type": "deposit", "usdc": usd_str(float(cash_usd))}})
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

    def take(self, account: Account, order: PaperOrder, levels: list[tuple[float, float]], time_ms: int,
             liquidation: dict | None = None) -> None:
        """Book what a taker order swept from the book: one crossed fill per (price, size) level,
        as the venue reports a sweep (book.sweep_levels)."""
        for px, sz in levels:
            self.apply_fill(account, order, sz, px, time_ms, crossed=True, liquidation=liquidation)

    def apply_fill(self, account: Account, order: PaperOrder, sz: float, px: float, time_ms: int,
                   crossed: bool, liquidation: dict | None = None) -> None:
        """Book one fill: position, entry price, cash, fee, realised PnL and the fill record."""
        signed = sz if order.is_buy else -sz
        start = account.szi(order.coin)
        decimals = self.sz_decimals[order.coin]
        held = account.positions.get(order.coin)
        closed_pnl = 0.0
        since_open = held.funding_since_open_usd if held else 0.0
        if held is None or start == 0 or (start > 0) == (signed > 0):
            total = abs(start) + sz
            entry = ((abs(start) * held.entry_px if held else 0.0) + sz * px) / total
            account.positions[order.coin] = Holding(round(start + signed, decimals), entry, since_open)
        else:
            closing = min(sz, abs(start))
            closed_pnl = closing * (px - held.entry_px) * (1 if start > 0 else -1)
            end = round(start + signed, decimals)
            if abs(end) < 1e-12:
                del account.positions[order.coin]
            elif (end > 0) == (start > 0):
                account.positions[order.coin] = Holding(end, held.entry_px, since_open)
            else:
                account.positions[order.coin] = Holding(end, px)  # flipped: a new position opens
        fee = sz * px * self.fee_rate
        if order.coin in account.isolated:
            self._isolated_cash(account, order.coin, start, account.szi(order.coin), px, -(signed * px + fee))
        else:
            account.raw_usd -= signed * px + fee
        account.cum_volume_usd += sz * px
        account.fills.append({
            "coin": order.coin, "px": px_str(px, decimals), "sz": sz_str(sz, decimals),
            "side": "B" if order.is_buy else "A", "time": time_ms, "startPosition": sz_str(start, decimals),
            "dir": _direction(start, signed), "closedPnl": usd_str(closed_pnl), "hash": f"0x{order.oid:064x}",
            "oid": order.oid, "crossed": crossed, "fee": usd_str(fee), "tid": next(self._tids), "feeToken": "USDC",
            **({"cloid": order.cloid} if order.cloid else {}),
            **({"liquidation": liquidation} if liquidation else {}),
        })

    def _isolated_cash(self, account: Account, coin: str, start: float, end: float, px: float, flow: float) -> None:
        """An isolated position keeps its own cash (`leverage.rawUsd`): opening moves initial margin
        from the cross account into it, reducing releases the reduced share of its value, closing
        releases all of it."""
        leverage = account.leverage.get(coin, self.default_leverage)
        bucket = account.isolated_raw_usd.get(coin, 0.0)
        flipped = start != 0 and end != 0 and (start > 0) != (end > 0)
        if flipped:  # close the old position at px, then open the new one
            account.raw_usd += bucket + start * px  # the old position's value at px goes back to cross
            bucket, flow, start = 0.0, flow - start * px, 0.0
        if abs(end) > abs(start):
            margin = (abs(end) - abs(start)) * px / leverage
            account.raw_usd -= margin
            bucket += margin
        bucket += flow
        if end == 0:
            account.raw_usd += bucket
            account.isolated_raw_usd.pop(coin, None)
            return
        if abs(end) < abs(start):
            released = (bucket + end * px) * (abs(start) - abs(end)) / abs(start)
            bucket -= released
            account.raw_usd += released
        account.isolated_raw_usd[coin] = bucket

    def charge_funding(self, account: Account, coin: str, rate: float, oracle_px: float, time_ms: int,
                       n_samples: int, sz_decimals: int) -> float:
        """Pay or receive one hour's funding on `coin`; returns the USDC the account received."""
        held = account.positions.get(coin)
        if held is None:
            return 0.0
        received = -held.szi * oracle_px * rate
        if coin in account.isolated_raw_usd:
            account.isolated_raw_usd[coin] += received
        else:
            account.raw_usd += received
        held.funding_since_open_usd -= received
        held.funding_since_change_usd -= received
        account.funding_all_time_usd[coin] = account.funding_all_time_usd.get(coin, 0.0) - received
        account.funding_events.append({"time": time_ms, "hash": ZERO_HASH, "delta": {
            "type": "funding", "coin": coin, "usdc": usd_str(received), "szi": sz_str(held.szi, sz_decimals),
            "fundingRate": rate_str(rate),
            "nSamples": n_samples}})
        return received

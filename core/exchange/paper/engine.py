"""Order handling of the paper exchange: place, fill, rest, trigger, cancel.

IOC and marketable parts of GTC orders take liquidity from the simulated book (`book.py`);
resting limits fill when a later minute bar trades through them; trigger orders fire when a
bar's high/low crosses the trigger price, and take liquidity at the price where the bar crossed it
(the trigger, or the open when the bar gapped through), as the venue fires the moment the mark
crosses, not at the minute's close. Every error string is Hyperliquid's wording.
"""
from __future__ import annotations

from core.exchange.paper.book import BookSettings, best_bid_ask, market_limit_px, sweep_levels
from core.exchange.paper.ledger import EPS_SZ, Account, Ledger, PaperOrder
from core.exchange.paper.margin import account_value
from core.exchange.paper.market import MarketSim
from core.exchange.paper.order_wire import WireError, WireOrder, parse_wire
from core.exchange.paper.wire import avg_px_str, px_str, sz_str

# A triggered market order may fill up to 10 % from the mid, like Hyperliquid's TP/SL default.
TRIGGER_MARKET_SLIPPAGE = 0.10


def _reduce_only_error(asset: int) -> dict:
    return {"error": f"Reduce only order would increase position. asset={asset}"}


class Engine:
    def __init__(self, ledger: Ledger, market: MarketSim, book: BookSettings, leverage: int):
        self.ledger = ledger
        self.market = market
        self.book = book
        self.leverage = leverage
        market.minute_listeners.append(self.on_minute)

    # -- placing -------------------------------------------------------------------------------
    def place(self, account: Account, wires: list, grouping: str) -> list:
        statuses: list = []
        parent: PaperOrder | None = None
        for i, raw in enumerate(wires):
            try:
                w = parse_wire(raw, self.market.coins)
            except WireError as exc:
                statuses.append({"error": str(exc)})
                continue
            if w.cloid and (account.address, w.cloid.lower()) in self.ledger.cloids:
                statuses.append({"error": f"Duplicate cloid {w.cloid}: an order with it exists. asset={w.asset}"})
                continue
            is_child = grouping == "normalTpsl" and i > 0 and w.trigger is not None
            if w.reduce_only and not is_child and not self._reduces(account, w.coin.name, w.is_buy):
                statuses.append(_reduce_only_error(w.asset))
                continue
            order = self._new_order(account, w, grouping)
            if is_child:
                statuses.append(self._attach_child(order, parent))
            elif w.trigger is not None:
                self.ledger.book(order)
                statuses.append({"resting": {"oid": order.oid}})
            else:
                status = self._place_limit(account, order)
                statuses.append(status)
                parent = order if "error" not in status else None
        return statuses

    def _new_order(self, account: Account, w: WireOrder, grouping: str) -> PaperOrder:
        now = self.market.time_ms
        return PaperOrder(oid=self.ledger.next_oid(), user=account.address, coin=w.coin.name, asset=w.asset,
                          is_buy=w.is_buy, limit_px=w.limit_px, sz=w.sz, orig_sz=w.sz, reduce_only=w.reduce_only,
                          tif=w.tif, trigger=w.trigger, cloid=w.cloid, timestamp_ms=now, status_ms=now,
                          is_position_tpsl=grouping == "positionTpsl")

    def _attach_child(self, child: PaperOrder, parent: PaperOrder | None) -> object:
        if parent is None:
            return {"error": "Parent order of a TP/SL group was not placed."}
        self.ledger.book(child)
        parent.children.append(child.oid)
        if parent.status == "open":
            child.parent_oid = parent.oid
            return "waitingForFill"
        return "waitingForTrigger"

    def _reduces(self, account: Account, coin: str, is_buy: bool) -> bool:
        szi = account.szi(coin)
        return (szi < 0) if is_buy else (szi > 0)

    def _place_limit(self, account: Account, order: PaperOrder) -> dict:
        mid = self.market.mid(order.coin)
        decimals = self.market.sz_decimals(order.coin)
        bid, ask = best_bid_ask(mid, self.book, decimals)
        marketable = order.limit_px >= ask if order.is_buy else order.limit_px <= bid
        if order.tif == "Alo" and marketable:
            return {"error": f"Post only order would have immediately matched, bbo was {px_str(bid, decimals)}@{px_str(ask, decimals)}. "
                             f"asset={order.asset}"}
        if not order.reduce_only and not self._margin_ok(account, order, mid):
            return {"error": f"Insufficient margin to place order. asset={order.asset}"}
        filled, avg_px = self._take(account, order, mid) if marketable else (0.0, 0.0)
        if order.tif == "Ioc" and filled <= EPS_SZ:
            # Never booked (its cloid stays free), but listed in historicalOrders as the venue does.
            order.status, order.status_ms = "iocCancelRejected", self.market.time_ms
            self.ledger.rejected.setdefault(account.address, []).append(order)
            return {"error": f"Order could not immediately match against any resting orders. asset={order.asset}"}
        self.ledger.book(order)
        if order.tif == "Ioc" or order.sz <= EPS_SZ:
            self._finish(order, "filled" if order.sz <= EPS_SZ else "canceled")
        if filled > EPS_SZ:
            return {"filled": {"totalSz": sz_str(filled, decimals), "avgPx": avg_px_str(avg_px), "oid": order.oid}}
        return {"resting": {"oid": order.oid}}

    def _margin_ok(self, account: Account, order: PaperOrder, mid: float) -> bool:
        """Initial margin after the order must stay within the account value."""
        signed = order.sz if order.is_buy else -order.sz
        marks = {coin: self.market.mid(coin) for coin in account.positions}
        need = 0.0
        for coin, held in account.positions.items():
            szi = held.szi + (signed if coin == order.coin else 0.0)
            need += abs(szi) * marks[coin] / account.leverage.get(coin, self.leverage)
        if order.coin not in account.positions:
            need += order.sz * mid / account.leverage.get(order.coin, self.leverage)
        return need <= account_value(account, marks)

    def _take(self, account: Account, order: PaperOrder, mid: float) -> tuple[float, float]:
        """Sweep the book for the order (clipped to the position if reduce-only) and book the fill."""
        size = min(order.sz, abs(account.szi(order.coin))) if order.reduce_only else order.sz
        decimals = self.market.sz_decimals(order.coin)
        levels = sweep_levels(mid, order.is_buy, size, order.limit_px, self.book, decimals)
        self.ledger.take(account, order, levels, self.market.time_ms)
        filled = round(sum(sz for _, sz in levels), decimals)
        avg_px = sum(px * sz for px, sz in levels) / filled if filled else 0.0
        if filled > EPS_SZ:
            order.sz = max(0.0, round(order.sz - filled, decimals))
            if order.reduce_only and abs(account.szi(order.coin)) <= EPS_SZ:
                order.sz = 0.0  # nothing left to reduce
        return filled, avg_px

    def _finish(self, order: PaperOrder, status: str) -> None:
        order.status, order.status_ms = status, self.market.time_ms
        for oid in order.children:
            child = self.ledger.orders[oid]
            if status == "filled" or (status == "canceled" and order.sz < order.orig_sz):
                child.parent_oid = None  # the parent opened a position: the TP/SL is now live
            elif child.status == "open":
                child.status, child.status_ms = "canceled", self.market.time_ms

    # -- canceling -----------------------------------------------------------------------------
    def cancel(self, account: Account, cancels: list, by_cloid: bool) -> list:
        out: list = []
        for c in cancels:
            key = c.get("cloid") if by_cloid else c.get("o")
            order = self.ledger.find(account.address, key) if key is not None else None
            if order is None or order.status != "open":
                out.append({"error": "Order was never placed, already canceled, or filled."})
                continue
            self._finish(order, "canceled")
            out.append("success")
        return out

    def cancel_all(self, account: Account) -> None:
        for order in self.ledger.open_orders(account.address):
            self._finish(order, "canceled")

    # -- the passage of time -------------------------------------------------------------------
    def on_minute(self, end_ms: int) -> None:
        """After each simulated minute: fire triggers, fill crossed resting limits."""
        for order in [o for o in self.ledger.orders.values() if o.is_active]:
            series = self.market.series(order.coin)
            open_px, high, low = series.last_bar_range()
            account = self.ledger.accounts[order.user]
            if order.trigger is not None:
                if self._crossed(order, high, low):
                    self._fire(account, order, self._crossing_px(order, open_px))
            elif (order.is_buy and low <= order.limit_px) or (not order.is_buy and high >= order.limit_px):
                self._fill_resting(account, order)

    @staticmethod
    def _fires_on_rise(order: PaperOrder) -> bool:
        """Buy stops and sell take-profits fire on a rise; sell stops and buy take-profits on a fall."""
        return order.is_buy == (order.trigger["tpsl"] == "sl")

    @classmethod
    def _crossed(cls, order: PaperOrder, high: float, low: float) -> bool:
        px = order.trigger["triggerPx"]
        return high >= px if cls._fires_on_rise(order) else low <= px

    @classmethod
    def _crossing_px(cls, order: PaperOrder, open_px: float) -> float:
        """Where the bar's path first reached the trigger: the trigger itself, or the open when
        the bar opened beyond it (a gap fills at the open, never back at the trigger)."""
        px = order.trigger["triggerPx"]
        return max(px, open_px) if cls._fires_on_rise(order) else min(px, open_px)

    def _fire(self, account: Account, order: PaperOrder, mid: float) -> None:
        """Turn a crossed trigger into a plain order taking liquidity around `mid`, the price
        at the crossing (a stop-market therefore never fills better than its trigger)."""
        if order.reduce_only and not self._reduces(account, order.coin, order.is_buy):
            self._finish(order, "canceled")
            return
        if order.is_position_tpsl:
            order.sz = abs(account.szi(order.coin))
        if order.trigger["isMarket"]:
            worst = market_limit_px(mid, order.is_buy, TRIGGER_MARKET_SLIPPAGE)
            order.limit_px = max(order.limit_px, worst) if order.is_buy else min(order.limit_px, worst)
        order.tif = "Ioc" if order.trigger["isMarket"] else "Gtc"  # a fired trigger is a plain order now
        order.trigger = None
        self._take(account, order, mid)
        if order.sz <= EPS_SZ or order.tif == "Ioc":
            self._finish(order, "filled" if order.sz <= EPS_SZ else "canceled")

    def _fill_resting(self, account: Account, order: PaperOrder) -> None:
        size = order.sz
        if order.reduce_only:
            if not self._reduces(account, order.coin, order.is_buy):
                self._finish(order, "canceled")
                return
            size = min(size, abs(account.szi(order.coin)))
        self.ledger.apply_fill(account, order, size, order.limit_px, self.market.time_ms, crossed=False)
        order.sz = 0.0
        self._finish(order, "filled")

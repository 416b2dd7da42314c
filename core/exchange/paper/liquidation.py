"""Funding payments and liquidations, run after every simulated minute (after orders and triggers).

Liquidation as Hyperliquid describes it (docs "Liquidations"): when an account's value falls
below its maintenance margin at the mark price, its open orders are cancelled and its positions
are closed by market orders into the book; the account keeps whatever margin is left. If the
value is already below 2/3 of the maintenance margin (the price jumped through), the backstop
liquidation takes the positions over at the mark price instead and the remaining collateral,
the maintenance margin included, is not returned. Liquidation fills carry the venue's
`liquidation` object in `userFills`.
"""
from __future__ import annotations

import logging

from core.exchange.paper.book import BookSettings, market_limit_px, sweep_levels
from core.exchange.paper.funding import MS_PER_HOUR, FundingBook
from core.exchange.paper.ledger import EPS_SZ, Account, Ledger, PaperOrder
from core.exchange.paper.margin import (account_value, cross_coins, cross_value, isolated_value, maintenance_margin,
                                        total_maintenance)
from core.exchange.paper.market import MarketSim
from core.exchange.paper.wire import px_str
from core.exchange.ticks import round_price

log = logging.getLogger("evorisk.paper")

BACKSTOP_FRACTION_OF_MAINTENANCE = 2 / 3
LIQUIDATION_SLIPPAGE = 0.10  # the market liquidation sweeps up to 10 % from the mark


class RiskDesk:
    """Charges funding on the hour and liquidates accounts under maintenance; callers hold the lock."""

    def __init__(self, ledger: Ledger, market: MarketSim, book: BookSettings, funding: FundingBook):
        self.ledger = ledger
        self.market = market
        self.book = book
        self.funding = funding
        self._max_leverage = {c.name: c.max_leverage for c in market.coins}
        market.minute_listeners.append(self.on_minute)

    def on_minute(self, end_ms: int) -> None:
        marks = self.market.mids()
        if end_ms % MS_PER_HOUR == 0:
            self._pay_funding(end_ms)
            for account in self.ledger.accounts.values():
                account.value_history.append((end_ms, account_value(account, marks)))
        for account in self.ledger.accounts.values():
            if account.positions:
                self._check(account, marks, end_ms)

    def _pay_funding(self, hour_ms: int) -> None:
        for record in self.funding.settle_hour(hour_ms):
            for account in self.ledger.accounts.values():
                self.ledger.charge_funding(account, record.coin, record.rate, record.oracle_px, hour_ms,
                                           record.n_samples, self.market.sz_decimals(record.coin))

    def _check(self, account: Account, marks: dict[str, float], now_ms: int) -> None:
        for coin in list(account.isolated_raw_usd):  # each isolated position stands on its own margin
            held = account.positions[coin]
            own = maintenance_margin(held.szi, marks[coin], self._max_leverage[coin])
            value = isolated_value(account, coin, marks)
            if value < own:
                self._liquidate(account, [coin], value, own, marks, now_ms)
        coins = cross_coins(account)
        if not coins:
            return
        value = cross_value(account, marks)
        maintenance = total_maintenance(account, marks, self._max_leverage)
        if value < maintenance:
            self._liquidate(account, coins, value, maintenance, marks, now_ms)

    def _liquidate(self, account: Account, coins: list[str], value: float, maintenance: float,
                   marks: dict[str, float], now_ms: int) -> None:
        for order in self.ledger.open_orders(account.address):
            if order.coin in coins or not account.isolated_raw_usd:
                order.status, order.status_ms = "marginCanceled", now_ms
        backstop = value < BACKSTOP_FRACTION_OF_MAINTENANCE * maintenance
        log.info("paper liquidation of %s %s (%s): value %.2f < maintenance %.2f", account.address, coins,
                 "backstop" if backstop else "market", value, maintenance)
        cross_cash_before = account.raw_usd
        isolated = coins[0] in account.isolated_raw_usd
        for coin in coins:
            self._close(account, coin, marks[coin], now_ms, "backstop" if backstop else "market")
        if backstop:
            # The collateral left goes to the liquidator with the positions: the cross cash, or
            # what the isolated position would have handed back to it.
            account.raw_usd = cross_cash_before if isolated else 0.0

    def _close(self, account: Account, coin: str, mark: float, now_ms: int, method: str) -> None:
        held = account.positions[coin]
        is_buy = held.szi < 0
        order = PaperOrder(oid=self.ledger.next_oid(), user=account.address, coin=coin,
                           asset=[c.name for c in self.market.coins].index(coin), is_buy=is_buy,
                           limit_px=market_limit_px(mark, is_buy, LIQUIDATION_SLIPPAGE),
                           sz=abs(held.szi), orig_sz=abs(held.szi), reduce_only=True, tif="Ioc", trigger=None,
                           cloid=None, timestamp_ms=now_ms, status="filled", status_ms=now_ms)
        self.ledger.book(order)
        decimals = self.market.sz_decimals(coin)
        detail = {"liquidatedUser": account.address, "markPx": px_str(mark, decimals), "method": method}
        if method == "market":
            # The book refills every request, so a sweep bounded by the slippage fills all of any
            # size the paper book can hold; what it cannot is taken over at the mark (backstop).
            self.ledger.take(account, order, sweep_levels(mark, is_buy, abs(held.szi), order.limit_px, self.book,
                                                          decimals), now_ms, liquidation=detail)
        rest = account.positions.get(coin)
        if rest is not None and abs(rest.szi) > EPS_SZ:
            self.ledger.apply_fill(account, order, abs(rest.szi), round_price(mark, decimals), now_ms, crossed=True,
                                   liquidation={**detail, "method": "backstop"})

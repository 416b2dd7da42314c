"""Order rows brought in line with the venue by cloid (`orderStatus`, `userFills` for the price).

A found order is always believed. `unknownOid` is believed ("never booked") only for a row whose
POST cannot still arrive (core.monitor.claims.unknown_means_never_booked); before that the row
stays INTENT and is asked about again later. A row already recorded as rejected or never booked
stays so when the venue does not know it: that is what those outcomes mean.
"""
from __future__ import annotations

import logging

from core.exchange.errors import ExchangeError
from core.exchange.protocol import ExchangeGateway
from core.monitor import records as r
from core.monitor.claims import IN_FLIGHT, unknown_means_never_booked

log = logging.getLogger("evorisk.monitor.executor")
EPS_SIZE = 1e-9


class Reconciler:
    def __init__(self, gateway: ExchangeGateway, ledger: r.ActionLedger, address: str):
        self.gateway, self.ledger, self.address = gateway, ledger, address

    def reconcile(self, order: r.OrderRecord, now_ms: int) -> r.OrderRecord:
        """The row after asking the venue about its cloid (unchanged while a POST may be in flight)."""
        if order.cloid in IN_FLIGHT:
            return order  # our own POST of it has not returned: any answer now would be a guess
        status = self.gateway.order_status_by_cloid(self.address, order.cloid)
        if status is None:
            if order.status != r.INTENT:
                return order
            until = None if order.in_flight_until_ms is None else self.gateway.accepted_until_ms(order.in_flight_until_ms)
            if not unknown_means_never_booked(until, self.gateway.now_ms(), order.cloid in IN_FLIGHT):
                log.info("reconcile: cloid %s unknown, but a POST of it may arrive until %s; asking again later",
                         order.cloid, order.in_flight_until_ms)
                return order
            if self.ledger.mark_never_booked(order.cloid, order.posts, now_ms):
                log.warning("reconcile: cloid %s unknown to the exchange after its POST expired (never booked)",
                            order.cloid)
        else:
            filled = max(0.0, status.filled_size)
            avg_px = self._avg_fill_px(status.oid) if filled > EPS_SIZE else None
            self.ledger.update_order(order.cloid, status.status, now_ms, filled_size=filled, avg_px=avg_px,
                                     oid=status.oid, error=order.error if status.status == "rejected" else None)
            new_fill = filled - order.filled_size
            if new_fill > EPS_SIZE:  # a take-over re-reads filled rows: record only what is new
                self.ledger.record_fill(order.cloid, order.action_id, order.coin, new_fill, avg_px,
                                        status.status_time_ms)
            if order.status == r.INTENT and order.posts:
                self.ledger.finish_post(order.cloid, order.posts, "booked", f"{status.status}, filled {filled:g}",
                                        now_ms)
            log.info("reconcile: cloid %s is %s on the exchange, filled %g", order.cloid, status.status, filled)
        updated = self.ledger.get_order(order.cloid)
        assert updated is not None
        return updated

    def _avg_fill_px(self, oid: int) -> float | None:
        """Size-weighted price of the order's fills from `userFills` (orderStatus carries no price);
        None when the venue does not list them (older than its last 2000 fills) or cannot be read."""
        try:
            fills = [f for f in self.gateway.user_fills(self.address) if f.oid == oid]
        except ExchangeError as exc:
            log.warning("reconcile: fills of oid %d unavailable, price not recorded: %s", oid, exc)
            return None
        size = sum(f.size for f in fills)
        return sum(f.px * f.size for f in fills) / size if size > 0 else None

"""SQL of `orders` (cloid first), `order_posts` (one row per POST of a cloid) and `fills`.

An order row is committed as INTENT before its POST, so a crash between the two leaves a row the
next executor looks up by cloid instead of sending again (core.monitor.executor decides; here
each change is one statement inside BEGIN IMMEDIATE).
"""
from __future__ import annotations

import json
import sqlite3
from typing import Any

from core.monitor.records import INTENT, NOT_FOUND, OrderRecord
from storage.retrying import RetryingRepo

ORDER_COLUMNS = ("cloid, action_id, leg, attempt, coin, is_buy, size, limit_px, trigger_px, request_json, status,"
                 " created_ms, updated_ms")


def _intent_row(order: OrderRecord, body: str, now_ms: int) -> tuple:
    return (order.cloid, order.action_id, order.leg, order.attempt, order.coin, int(order.is_buy), order.size,
            order.limit_px, order.trigger_px, body, INTENT, now_ms, now_ms)


class OrderRepo(RetryingRepo):
    def record_order_intent(self, order: OrderRecord, request: dict[str, Any], now_ms: int) -> None:
        self._write("order intent", lambda c: c.execute(
            f"INSERT INTO orders ({ORDER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _intent_row(order, json.dumps(request, sort_keys=True), now_ms)))

    def update_order(self, cloid: str, status: str, now_ms: int, filled_size: float = 0.0,
                     avg_px: float | None = None, oid: int | None = None, error: str | None = None) -> None:
        self._write("order result", lambda c: c.execute(
            "UPDATE orders SET status = ?, filled_size = ?, avg_px = ?, oid = ?, error = ?, updated_ms = ?"
            " WHERE cloid = ?", (status, filled_size, avg_px, oid, error, now_ms, cloid)))

    @staticmethod
    def _order(row: dict[str, Any]) -> OrderRecord:
        return OrderRecord(cloid=row["cloid"], action_id=row["action_id"], leg=row["leg"], attempt=row["attempt"],
                           coin=row["coin"], is_buy=bool(row["is_buy"]), size=row["size"], limit_px=row["limit_px"],
                           trigger_px=row["trigger_px"], status=row["status"], filled_size=row["filled_size"],
                           avg_px=row["avg_px"], oid=row["oid"], error=row["error"], posts=row["posts"],
                           in_flight_until_ms=row["in_flight_until_ms"])

    def get_order(self, cloid: str) -> OrderRecord | None:
        rows = self.store.query("SELECT * FROM orders WHERE cloid = ?", (cloid,))
        return self._order(rows[0]) if rows else None

    def orders_with_status(self, status: str) -> list[OrderRecord]:
        return [self._order(row) for row in self.store.query("SELECT * FROM orders WHERE status = ? ORDER BY created_ms",
                                                             (status,))]

    def orders_for_action(self, action_id: int) -> list[OrderRecord]:
        return [self._order(row) for row in self.store.query(
            "SELECT * FROM orders WHERE action_id = ? ORDER BY leg, attempt", (action_id,))]

    def record_fill(self, cloid: str, action_id: int, coin: str, size: float, px: float | None, time_ms: int) -> None:
        self._write("fill", lambda c: c.execute(
            "INSERT INTO fills (cloid, action_id, coin, size, px, time_ms) VALUES (?, ?, ?, ?, ?, ?)",
            (cloid, action_id, coin, size, px, time_ms)))

    # -- one row per POST ------------------------------------------------------------------------
    def begin_post(self, order: OrderRecord, request: dict[str, Any], owner: str, now_ms: int,
                   in_flight_until_ms: int) -> int:
        """Set the row to INTENT (creating it if new) and append its POST row, in one commit."""
        body = json.dumps(request, sort_keys=True)

        def write(c: sqlite3.Connection) -> int:
            row = c.execute("SELECT posts FROM orders WHERE cloid = ?", (order.cloid,)).fetchone()
            if row is None:
                c.execute(f"INSERT INTO orders ({ORDER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          _intent_row(order, body, now_ms))
            post_no = (row[0] if row else 0) + 1
            c.execute("UPDATE orders SET status = ?, size = ?, limit_px = ?, request_json = ?, error = NULL,"
                      " posts = ?, last_post_ms = ?, in_flight_until_ms = ?, updated_ms = ? WHERE cloid = ?",
                      (INTENT, order.size, order.limit_px, body, post_no, now_ms, in_flight_until_ms, now_ms,
                       order.cloid))
            c.execute("INSERT INTO order_posts (cloid, post_no, owner, sent_ms, in_flight_until_ms, size, limit_px)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (order.cloid, post_no, owner, now_ms, in_flight_until_ms, order.size, order.limit_px))
            return post_no
        return int(self._write("order intent", write))

    def finish_post(self, cloid: str, post_no: int, outcome: str, detail: str, now_ms: int) -> None:
        self._write("post outcome", lambda c: c.execute(
            "UPDATE order_posts SET outcome = ?, detail = ?, outcome_ms = ? WHERE cloid = ? AND post_no = ?",
            (outcome, detail, now_ms, cloid, post_no)))

    def order_posts(self, cloid: str | None = None) -> list[dict[str, Any]]:
        if cloid is None:
            return self.store.query("SELECT * FROM order_posts ORDER BY id")
        return self.store.query("SELECT * FROM order_posts WHERE cloid = ? ORDER BY post_no", (cloid,))

    def mark_never_booked(self, cloid: str, post_no: int, now_ms: int) -> bool:
        """`not_found`, only if the row is still the INTENT of POST `post_no`: a newer POST's intent
        (another executor re-sending meanwhile) is never overwritten by an older answer."""
        def write(c: sqlite3.Connection) -> bool:
            changed = c.execute("UPDATE orders SET status = ?, updated_ms = ? WHERE cloid = ? AND status = ? AND posts = ?",
                                (NOT_FOUND, now_ms, cloid, INTENT, post_no)).rowcount == 1
            if changed:
                c.execute("UPDATE order_posts SET outcome = 'never booked', detail = 'unknownOid after its expiry',"
                          " outcome_ms = ? WHERE cloid = ? AND post_no = ?", (now_ms, cloid, post_no))
            return changed
        return bool(self._write("never booked", write))

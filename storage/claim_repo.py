"""SQL of exactly-once execution: action claims, per-POST rows, and the monitor lease.

Mixed into MonitorRepo (it provides `store` and `_write`). Every decision (may this executor
claim, is that lease stale) is made in core.monitor.claims; here each change is one
compare-and-set statement inside BEGIN IMMEDIATE, so two processes can never both win.
"""
from __future__ import annotations

import json
import sqlite3
from typing import Any, Callable

from core.monitor import records as r
from core.monitor.claims import ClaimState, MonitorLease
from storage.store import Store


class ClaimSql:
    store: Store
    _write: Callable[..., Any]

    # -- action claims -------------------------------------------------------------------------
    def get_claim(self, action_id: int) -> ClaimState | None:
        rows = self.store.query("SELECT id, status, claim_owner, claim_expires_ms FROM pending_actions WHERE id = ?",
                                (action_id,))
        if not rows:
            return None
        row = rows[0]
        return ClaimState(row["id"], row["status"], row["claim_owner"], row["claim_expires_ms"])

    def take_claim(self, seen: ClaimState, owner: str, now_ms: int, lease_ms: int) -> bool:
        """One conditional UPDATE: wins only if the claim is still what the caller decided on."""
        marks = ",".join("?" * len(r.OPEN_FOR_EXECUTION))
        return bool(self._write("claim action", lambda c: c.execute(
            f"UPDATE pending_actions SET claim_owner = ?, claim_expires_ms = ? WHERE id = ? AND status IN ({marks})"
            " AND claim_owner IS ? AND claim_expires_ms IS ?",
            (owner, now_ms + lease_ms, seen.action_id, *r.OPEN_FOR_EXECUTION, seen.owner, seen.expires_ms)).rowcount))

    def renew_claim(self, action_id: int, owner: str, now_ms: int, lease_ms: int) -> bool:
        """Extend our lease; False when another executor holds the action now (stop sending)."""
        return bool(self._write("renew claim", lambda c: c.execute(
            "UPDATE pending_actions SET claim_expires_ms = ? WHERE id = ? AND claim_owner = ?",
            (now_ms + lease_ms, action_id, owner)).rowcount))

    def release_claim(self, action_id: int, owner: str, now_ms: int) -> None:
        self._write("release claim", lambda c: c.execute(
            "UPDATE pending_actions SET claim_owner = NULL, claim_expires_ms = NULL WHERE id = ? AND claim_owner = ?",
            (action_id, owner)))

    # -- one row per POST ------------------------------------------------------------------------
    def begin_post(self, order: r.OrderRecord, request: dict[str, Any], owner: str, now_ms: int,
                   in_flight_until_ms: int) -> int:
        body = json.dumps(request, sort_keys=True)

        def write(c: sqlite3.Connection) -> int:
            row = c.execute("SELECT posts FROM orders WHERE cloid = ?", (order.cloid,)).fetchone()
            if row is None:
                c.execute("INSERT INTO orders (cloid, action_id, leg, attempt, coin, is_buy, size, limit_px, trigger_px,"
                          " request_json, status, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          (order.cloid, order.action_id, order.leg, order.attempt, order.coin, int(order.is_buy),
                           order.size, order.limit_px, order.trigger_px, body, r.INTENT, now_ms, now_ms))
            post_no = (row[0] if row else 0) + 1
            c.execute("UPDATE orders SET status = ?, size = ?, limit_px = ?, request_json = ?, error = NULL,"
                      " posts = ?, last_post_ms = ?, in_flight_until_ms = ?, updated_ms = ? WHERE cloid = ?",
                      (r.INTENT, order.size, order.limit_px, body, post_no, now_ms, in_flight_until_ms, now_ms,
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

    # -- the monitor lease -----------------------------------------------------------------------
    def monitor_lease(self, account: str) -> MonitorLease | None:
        rows = self.store.query("SELECT * FROM monitor_leases WHERE account = ?", (account.lower(),))
        return MonitorLease(**rows[0]) if rows else None

    def take_monitor_lease(self, lease: MonitorLease, seen: MonitorLease | None) -> bool:
        """Insert or replace the lease only if the stored one is still `seen` (None: no row)."""
        values = (lease.account.lower(), lease.owner, lease.pid, lease.host, lease.started_ms, lease.heartbeat_ms,
                  lease.expires_ms)

        def write(c: sqlite3.Connection) -> bool:
            if seen is None:
                return c.execute("INSERT OR IGNORE INTO monitor_leases (account, owner, pid, host, started_ms,"
                                 " heartbeat_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?)", values).rowcount == 1
            return c.execute("UPDATE monitor_leases SET owner = ?, pid = ?, host = ?, started_ms = ?, heartbeat_ms = ?,"
                             " expires_ms = ? WHERE account = ? AND owner = ? AND heartbeat_ms = ?",
                             (*values[1:], values[0], seen.owner, seen.heartbeat_ms)).rowcount == 1
        return bool(self._write("take monitor lease", write))

    def heartbeat_monitor_lease(self, account: str, owner: str, now_ms: int, lease_ms: int) -> bool:
        """Renew our lease; False when it was taken over (this monitor must stop acting)."""
        return bool(self._write("monitor heartbeat", lambda c: c.execute(
            "UPDATE monitor_leases SET heartbeat_ms = ?, expires_ms = ? WHERE account = ? AND owner = ?",
            (now_ms, now_ms + lease_ms, account.lower(), owner)).rowcount))

    def release_monitor_lease(self, account: str, owner: str) -> None:
        self._write("release monitor lease", lambda c: c.execute(
            "DELETE FROM monitor_leases WHERE account = ? AND owner = ?", (account.lower(), owner)))

    def mark_never_booked(self, cloid: str, post_no: int, now_ms: int) -> bool:
        """`not_found`, only if the row is still the INTENT of POST `post_no`: a newer POST's intent
        (another executor re-sending meanwhile) is never overwritten by an older answer."""
        def write(c: sqlite3.Connection) -> bool:
            changed = c.execute("UPDATE orders SET status = ?, updated_ms = ? WHERE cloid = ? AND status = ? AND posts = ?",
                                (r.NOT_FOUND, now_ms, cloid, r.INTENT, post_no)).rowcount == 1
            if changed:
                c.execute("UPDATE order_posts SET outcome = 'never booked', detail = 'unknownOid after its expiry',"
                          " outcome_ms = ? WHERE cloid = ? AND post_no = ?", (now_ms, cloid, post_no))
            return changed
        return bool(self._write("never booked", write))

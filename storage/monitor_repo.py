"""SQL of the live monitor: snapshots, breaker events, actions and their approvals, orders and
fills, the monitor's state row and genome promotions (implements core.monitor.records.ActionLedger).

Writes are one transaction each; a locked database is retried with backoff and then reported as
StoreBusyError, and the executor sends nothing whose approval or intent row could not be written.
"""
from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import time
from typing import Any, Callable, TypeVar

from core.monitor import records as r
from core.monitor.orders import (
    ProposedAction, cancels_from_json, cancels_to_json, intent_hash, legs_from_json, legs_to_json, with_cloids,
)
from storage.claim_repo import ClaimSql
from storage.store import Store, StoreBusyError

log = logging.getLogger("evorisk.storage.monitor")
T = TypeVar("T")
BUSY_RETRY_DELAYS_S = (0.05, 0.1, 0.2, 0.4, 0.8)  # then give up and report "DB busy"
SNAPSHOT_KEEP_ROWS = 20_000  # ~1 week at 30 s; older snapshots are pruned


class MonitorRepo(ClaimSql):
    def __init__(self, store: Store, retry_delays_s: tuple[float, ...] = BUSY_RETRY_DELAYS_S):
        self.store = store
        self.retry_delays_s = retry_delays_s
        self.busy_retries = 0  # how often a write met a locked database (shown by the CLI)

    def _write(self, what: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        """One transaction, retried while the database is locked."""
        for delay in (*self.retry_delays_s, None):
            try:
                with self.store.transaction() as conn:
                    return fn(conn)
            except StoreBusyError as exc:
                if delay is None:
                    log.error("%s: database still busy, giving up: %s", what, exc)
                    raise
                self.busy_retries += 1
                log.warning("%s: database busy, retrying in %.2f s", what, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")

    # -- monitor state -------------------------------------------------------------------------
    def get_value(self, key: str) -> Any:
        rows = self.store.query("SELECT value_json FROM monitor_state WHERE key = ?", (key,))
        return json.loads(rows[0]["value_json"]) if rows else None

    def set_value(self, key: str, value: Any, now_ms: int) -> None:
        self._write(f"save {key}", lambda c: c.execute(
            "INSERT OR REPLACE INTO monitor_state (key, value_json, updated_ms) VALUES (?, ?, ?)",
            (key, json.dumps(value), now_ms)))

    def get_monitor_state(self) -> str | None:
        """The MonitorState JSON text, or None before the first cycle."""
        return self.get_value("state")

    def save_monitor_state(self, state_json: str, now_ms: int) -> None:
        self.set_value("state", state_json, now_ms)

    def cloid_salt(self) -> str:
        """Per-database salt of every cloid, so two databases never derive the same ids."""
        def create(c: sqlite3.Connection) -> str:
            c.execute("INSERT OR IGNORE INTO monitor_state (key, value_json, updated_ms) VALUES ('cloid_salt', ?, 0)",
                      (json.dumps(secrets.token_hex(8)),))
            return json.loads(c.execute("SELECT value_json FROM monitor_state WHERE key = 'cloid_salt'").fetchone()[0])
        salt = self.get_value("cloid_salt")
        return salt if salt is not None else self._write("cloid salt", create)

    # -- snapshots and breaker events ----------------------------------------------------------
    def record_snapshot(self, time_ms: int, breaker_state: str, equity_usd: float | None,
                        drawdown_ratio: float | None, data_error: str | None, snapshot: dict[str, Any]) -> None:
        body = json.dumps(snapshot, separators=(",", ":"))

        def write(c: sqlite3.Connection) -> None:
            cur = c.execute("INSERT INTO risk_snapshots (time_ms, breaker_state, equity_usd, drawdown_ratio, data_error,"
                            " snapshot_json) VALUES (?, ?, ?, ?, ?, ?)",
                            (time_ms, breaker_state, equity_usd, drawdown_ratio, data_error, body))
            c.execute("DELETE FROM risk_snapshots WHERE id <= ?", (cur.lastrowid - SNAPSHOT_KEEP_ROWS,))
        self._write("record snapshot", write)

    def latest_snapshots(self, limit: int = 1) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT snapshot_json FROM risk_snapshots ORDER BY id DESC LIMIT ?", (limit,))
        return [json.loads(row["snapshot_json"]) for row in rows]

    def latest_good_snapshot(self) -> dict[str, Any] | None:
        """The newest snapshot taken on good data (no data_error): what STALE shows after a restart."""
        rows = self.store.query("SELECT snapshot_json FROM risk_snapshots WHERE data_error IS NULL"
                                " ORDER BY id DESC LIMIT 1")
        return json.loads(rows[0]["snapshot_json"]) if rows else None

    def log_breaker_event(self, time_ms: int, from_state: str, to_state: str, drawdown_ratio: float | None,
                          reason: str, actor: str = "monitor") -> None:
        self._write("breaker event", lambda c: c.execute(
            "INSERT INTO breaker_events (time_ms, from_state, to_state, drawdown_ratio, reason, actor)"
            " VALUES (?, ?, ?, ?, ?, ?)", (time_ms, from_state, to_state, drawdown_ratio, reason, actor)))

    def breaker_events(self, limit: int = 100) -> list[dict[str, Any]]:
        return self.store.query("SELECT * FROM breaker_events ORDER BY id DESC LIMIT ?", (limit,))[::-1]

    # -- actions and approvals -----------------------------------------------------------------
    def create_action(self, proposed: ProposedAction, created_ms: int, expires_ms: int) -> r.ActionRecord:
        """Action row with its cloids and intent hash; an auto-approved one gets its approval row in
        the same transaction; a new exit supersedes pending reductions."""
        salt = self.cloid_salt()

        def write(c: sqlite3.Connection) -> int:
            cur = c.execute("INSERT INTO pending_actions (kind, status, created_ms, expires_ms, reason, orders_json,"
                            " cancels_json, intent_hash, auto_approved_by, status_ms) VALUES (?, ?, ?, ?, ?, '[]', ?, '',"
                            " ?, ?)", (proposed.kind, r.PENDING, created_ms, expires_ms, proposed.reason,
                                       json.dumps(cancels_to_json(proposed.cancels)), proposed.auto_approved_by,
                                       created_ms))
            action_id = int(cur.lastrowid)
            orders = legs_to_json(with_cloids(salt, action_id, proposed.legs))
            digest = intent_hash(action_id, proposed.kind, orders, cancels_to_json(proposed.cancels))
            c.execute("UPDATE pending_actions SET orders_json = ?, intent_hash = ? WHERE id = ?",
                      (json.dumps(orders), digest, action_id))
            if proposed.auto_approved_by:
                self._decide(c, action_id, "approved", proposed.auto_approved_by, created_ms, digest, r.APPROVED)
            if proposed.kind == "exit_all":
                c.execute("UPDATE pending_actions SET status = ?, status_ms = ?, detail = ? WHERE status = ?"
                          " AND kind = 'reduce'", (r.EXPIRED, created_ms, f"superseded by exit #{action_id}", r.PENDING))
            return action_id
        action = self.get_action(self._write("create action", write))
        assert action is not None
        return action

    @staticmethod
    def _decide(c: sqlite3.Connection, action_id: int, decision: str, by: str, now_ms: int, digest: str,
                status: str) -> None:
        c.execute("INSERT INTO approvals (action_id, decision, decided_by, decided_ms, intent_hash) VALUES (?, ?, ?, ?, ?)",
                  (action_id, decision, by, now_ms, digest))
        c.execute("UPDATE pending_actions SET status = ?, status_ms = ? WHERE id = ?", (status, now_ms, action_id))

    def _decide_pending(self, action_id: int, decision: str, by: str, now_ms: int) -> r.ActionRecord:
        def write(c: sqlite3.Connection) -> str:
            row = c.execute("SELECT status, expires_ms, intent_hash FROM pending_actions WHERE id = ?",
                            (action_id,)).fetchone()
            if row is None:
                return "missing"
            if row[0] != r.PENDING:
                return row[0]
            if now_ms > row[1]:
                c.execute("UPDATE pending_actions SET status = ?, status_ms = ?, detail = 'expired before a decision'"
                          " WHERE id = ?", (r.EXPIRED, now_ms, action_id))
                return "just expired"
            self._decide(c, action_id, decision, by, now_ms, row[2], r.APPROVED if decision == "approved" else r.REJECTED)
            return "ok"
        outcome = self._write(f"{decision} action {action_id}", write)
        if outcome != "ok":
            log.warning("%s of action %d refused: it is %s", decision, action_id, outcome)
            raise r.ActionStateError(f"action {action_id} cannot be {decision}: it is {outcome}")
        log.info("action %d %s by %s", action_id, decision, by)
        action = self.get_action(action_id)
        assert action is not None
        return action

    def approve_action(self, action_id: int, by: str, now_ms: int) -> r.ActionRecord:
        """Commit the operator's approval (nothing is sent here; the executor reads this row)."""
        return self._decide_pending(action_id, "approved", by, now_ms)

    def reject_action(self, action_id: int, by: str, now_ms: int) -> r.ActionRecord:
        return self._decide_pending(action_id, "rejected", by, now_ms)

    def expire_actions(self, now_ms: int) -> list[int]:
        """Pending actions past their expiry become `expired` (logged); returns their ids."""
        def write(c: sqlite3.Connection) -> list[int]:
            ids = [row[0] for row in c.execute("SELECT id FROM pending_actions WHERE status = ? AND expires_ms < ?",
                                               (r.PENDING, now_ms))]
            c.executemany("UPDATE pending_actions SET status = ?, status_ms = ?, detail = 'expired before a decision'"
                          " WHERE id = ?", [(r.EXPIRED, now_ms, i) for i in ids])
            return ids
        ids = self._write("expire actions", write)
        for i in ids:
            log.warning("action %d expired without a decision", i)
        return ids

    def set_action_status(self, action_id: int, status: str, now_ms: int, detail: str = "") -> None:
        self._write("action status", lambda c: c.execute(
            "UPDATE pending_actions SET status = ?, status_ms = ?, detail = ? WHERE id = ?",
            (status, now_ms, detail, action_id)))

    @staticmethod
    def _action(row: dict[str, Any]) -> r.ActionRecord:
        return r.ActionRecord(id=row["id"], kind=row["kind"], status=row["status"], created_ms=row["created_ms"],
                              expires_ms=row["expires_ms"], reason=row["reason"],
                              legs=legs_from_json(json.loads(row["orders_json"])),
                              cancels=cancels_from_json(json.loads(row["cancels_json"])),
                              intent_hash=row["intent_hash"], auto_approved_by=row["auto_approved_by"],
                              detail=row["detail"])

    def get_action(self, action_id: int) -> r.ActionRecord | None:
        rows = self.store.query("SELECT * FROM pending_actions WHERE id = ?", (action_id,))
        return self._action(rows[0]) if rows else None

    def actions_with_status(self, statuses: tuple[str, ...]) -> list[r.ActionRecord]:
        marks = ",".join("?" * len(statuses))
        return [self._action(row) for row in
                self.store.query(f"SELECT * FROM pending_actions WHERE status IN ({marks}) ORDER BY id", statuses)]

    def list_actions(self, limit: int = 50) -> list[r.ActionRecord]:
        return [self._action(row) for row in self.store.query(
            "SELECT * FROM pending_actions ORDER BY id DESC LIMIT ?", (limit,))][::-1]

    def get_approval(self, action_id: int) -> r.ApprovalRecord | None:
        rows = self.store.query("SELECT action_id, decision, decided_by, decided_ms, intent_hash FROM approvals"
                                " WHERE action_id = ?", (action_id,))
        return r.ApprovalRecord(**rows[0]) if rows else None

    # -- orders and fills ----------------------------------------------------------------------
    def record_order_intent(self, order: r.OrderRecord, request: dict[str, Any], now_ms: int) -> None:
        self._write("order intent", lambda c: c.execute(
            "INSERT INTO orders (cloid, action_id, leg, attempt, coin, is_buy, size, limit_px, trigger_px, request_json,"
            " status, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (order.cloid, order.action_id, order.leg, order.attempt, order.coin, int(order.is_buy), order.size,
             order.limit_px, order.trigger_px, json.dumps(request, sort_keys=True), r.INTENT, now_ms, now_ms)))

    def update_order(self, cloid: str, status: str, now_ms: int, filled_size: float = 0.0,
                     avg_px: float | None = None, oid: int | None = None, error: str | None = None) -> None:
        self._write("order result", lambda c: c.execute(
            "UPDATE orders SET status = ?, filled_size = ?, avg_px = ?, oid = ?, error = ?, updated_ms = ?"
            " WHERE cloid = ?", (status, filled_size, avg_px, oid, error, now_ms, cloid)))

    @staticmethod
    def _order(row: dict[str, Any]) -> r.OrderRecord:
        return r.OrderRecord(cloid=row["cloid"], action_id=row["action_id"], leg=row["leg"], attempt=row["attempt"],
                             coin=row["coin"], is_buy=bool(row["is_buy"]), size=row["size"], limit_px=row["limit_px"],
                             trigger_px=row["trigger_px"], status=row["status"], filled_size=row["filled_size"],
                             avg_px=row["avg_px"], oid=row["oid"], error=row["error"], posts=row["posts"],
                             in_flight_until_ms=row["in_flight_until_ms"])

    def get_order(self, cloid: str) -> r.OrderRecord | None:
        rows = self.store.query("SELECT * FROM orders WHERE cloid = ?", (cloid,))
        return self._order(rows[0]) if rows else None

    def orders_with_status(self, status: str) -> list[r.OrderRecord]:
        return [self._order(row) for row in self.store.query("SELECT * FROM orders WHERE status = ? ORDER BY created_ms",
                                                             (status,))]

    def orders_for_action(self, action_id: int) -> list[r.OrderRecord]:
        return [self._order(row) for row in self.store.query(
            "SELECT * FROM orders WHERE action_id = ? ORDER BY leg, attempt", (action_id,))]

    def record_fill(self, cloid: str, action_id: int, coin: str, size: float, px: float | None, time_ms: int) -> None:
        self._write("fill", lambda c: c.execute(
            "INSERT INTO fills (cloid, action_id, coin, size, px, time_ms) VALUES (?, ?, ?, ?, ?, ?)",
            (cloid, action_id, coin, size, px, time_ms)))

    # -- promotions ----------------------------------------------------------------------------
    def promote(self, genes: list[float], label: str, by: str, now_ms: int, genome_id: int | None = None,
                run_id: int | None = None, oos_metrics: dict[str, Any] | None = None,
                restored_from: int | None = None) -> int:
        """Append a promotion; the newest row is the active genome."""
        return int(self._write("promote", lambda c: c.execute(
            "INSERT INTO promotions (promoted_ms, promoted_by, genome_id, run_id, genes_json, label, oos_metrics_json,"
            " restored_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (now_ms, by, genome_id, run_id, json.dumps([float(g) for g in genes]), label,
             json.dumps(oos_metrics or {}, sort_keys=True), restored_from)).lastrowid))

    def promotions(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT * FROM promotions ORDER BY id DESC LIMIT ?", (limit,))
        for row in rows:
            row["genes"] = json.loads(row.pop("genes_json"))
            row["oos_metrics"] = json.loads(row.pop("oos_metrics_json"))
        return rows

    def active_promotion(self) -> dict[str, Any] | None:
        rows = self.promotions(1)
        return rows[0] if rows else None

"""SQL of `pending_actions` and `approvals`: proposed actions and the operator's decisions.

Every rule (the cloids and intent hash of a new action, what it supersedes, when a pending action
has expired, whether a decision may be taken) comes from core.monitor.ledger_rules; here each
write is one transaction that applies the rule to the row it just read.
"""
from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from core.monitor import ledger_rules as rules
from core.monitor.orders import ProposedAction, cancels_from_json, legs_from_json
from core.monitor.records import ActionRecord, ActionStateError, ApprovalRecord
from core.vocabulary import ActionKind, ActionStatus
from storage.state_repo import MonitorStateRepo

log = logging.getLogger("evorisk.storage.monitor")


class ActionRepo(MonitorStateRepo):
    """Reads the cloid salt from monitor_state, hence built on MonitorStateRepo."""

    def create_action(self, proposed: ProposedAction, created_ms: int, expires_ms: int) -> ActionRecord:
        """Action row sealed with its cloids and intent hash; an auto-approved one gets its approval
        row in the same transaction; pending actions it supersedes expire with it."""
        salt = self.cloid_salt()

        def write(c: sqlite3.Connection) -> int:
            cur = c.execute("INSERT INTO pending_actions (kind, status, created_ms, expires_ms, reason, orders_json,"
                            " cancels_json, intent_hash, auto_approved_by, status_ms) VALUES (?, ?, ?, ?, ?, '[]', '[]',"
                            " '', ?, ?)", (proposed.kind, ActionStatus.PENDING, created_ms, expires_ms, proposed.reason,
                                           proposed.auto_approved_by, created_ms))
            action_id = int(cur.lastrowid)
            sealed = rules.seal(proposed, salt, action_id)
            c.execute("UPDATE pending_actions SET orders_json = ?, cancels_json = ?, intent_hash = ? WHERE id = ?",
                      (json.dumps(sealed.orders), json.dumps(sealed.cancels), sealed.intent_hash, action_id))
            if proposed.auto_approved_by:
                self._decide(c, action_id, ActionStatus.APPROVED, proposed.auto_approved_by, created_ms,
                             sealed.intent_hash)
            self._supersede(c, action_id, rules.superseded_kinds(proposed.kind), created_ms)
            return action_id
        action = self.get_action(self._write("create action", write))
        assert action is not None
        return action

    @staticmethod
    def _supersede(c: sqlite3.Connection, action_id: int, kinds: tuple[str, ...], now_ms: int) -> None:
        if not kinds:
            return
        c.execute(f"UPDATE pending_actions SET status = ?, status_ms = ?, detail = ? WHERE status = ?"
                  f" AND kind IN ({','.join('?' * len(kinds))})",
                  (ActionStatus.EXPIRED, now_ms, rules.superseded_detail(action_id), ActionStatus.PENDING, *kinds))

    @staticmethod
    def _decide(c: sqlite3.Connection, action_id: int, decision: ActionStatus, by: str, now_ms: int,
                digest: str) -> None:
        """The approval row (decision "approved" or "rejected") and the action's status, which is the
        decision itself."""
        c.execute("INSERT INTO approvals (action_id, decision, decided_by, decided_ms, intent_hash) VALUES (?, ?, ?, ?, ?)",
                  (action_id, decision, by, now_ms, digest))
        c.execute("UPDATE pending_actions SET status = ?, status_ms = ? WHERE id = ?", (decision, now_ms, action_id))

    @staticmethod
    def _expire(c: sqlite3.Connection, ids: list[int], now_ms: int) -> None:
        c.executemany("UPDATE pending_actions SET status = ?, status_ms = ?, detail = ? WHERE id = ?",
                      [(ActionStatus.EXPIRED, now_ms, rules.EXPIRED_DETAIL, i) for i in ids])

    def _decide_pending(self, action_id: int, decision: ActionStatus, by: str, now_ms: int) -> ActionRecord:
        def write(c: sqlite3.Connection) -> str | None:
            row = c.execute("SELECT status, expires_ms, intent_hash FROM pending_actions WHERE id = ?",
                            (action_id,)).fetchone()
            if row is None:
                return "missing"
            refusal = rules.decision_refusal(row[0], row[1], now_ms)
            if refusal == rules.JUST_EXPIRED:
                self._expire(c, [action_id], now_ms)
            if refusal is None:
                self._decide(c, action_id, decision, by, now_ms, row[2])
            return refusal
        refusal = self._write(f"{decision} action {action_id}", write)
        if refusal is not None:
            log.warning("%s of action %d refused: it is %s", decision, action_id, refusal)
            raise ActionStateError(f"action {action_id} cannot be {decision}: it is {refusal}")
        log.info("action %d %s by %s", action_id, decision, by)
        action = self.get_action(action_id)
        assert action is not None
        return action

    def approve_action(self, action_id: int, by: str, now_ms: int) -> ActionRecord:
        """Commit the operator's approval (nothing is sent here; the executor reads this row)."""
        return self._decide_pending(action_id, ActionStatus.APPROVED, by, now_ms)

    def reject_action(self, action_id: int, by: str, now_ms: int) -> ActionRecord:
        return self._decide_pending(action_id, ActionStatus.REJECTED, by, now_ms)

    def expire_actions(self, now_ms: int) -> list[int]:
        """Pending actions past their expiry become `expired` (logged); returns their ids."""
        def write(c: sqlite3.Connection) -> list[int]:
            ids = [row[0] for row in c.execute("SELECT id, expires_ms FROM pending_actions WHERE status = ?"
                                               " ORDER BY id", (ActionStatus.PENDING,))
                   if rules.is_expired(row[1], now_ms)]
            self._expire(c, ids, now_ms)
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
    def _action(row: dict[str, Any]) -> ActionRecord:
        return ActionRecord(id=row["id"], kind=ActionKind(row["kind"]), status=ActionStatus(row["status"]),
                            created_ms=row["created_ms"],
                            expires_ms=row["expires_ms"], reason=row["reason"],
                            legs=legs_from_json(json.loads(row["orders_json"])),
                            cancels=cancels_from_json(json.loads(row["cancels_json"])),
                            intent_hash=row["intent_hash"], auto_approved_by=row["auto_approved_by"],
                            detail=row["detail"])

    def get_action(self, action_id: int) -> ActionRecord | None:
        rows = self.store.query("SELECT * FROM pending_actions WHERE id = ?", (action_id,))
        return self._action(rows[0]) if rows else None

    def actions_with_status(self, statuses: tuple[str, ...]) -> list[ActionRecord]:
        marks = ",".join("?" * len(statuses))
        return [self._action(row) for row in
                self.store.query(f"SELECT * FROM pending_actions WHERE status IN ({marks}) ORDER BY id", statuses)]

    def list_actions(self, limit: int = 50) -> list[ActionRecord]:
        return [self._action(row) for row in self.store.query(
            "SELECT * FROM pending_actions ORDER BY id DESC LIMIT ?", (limit,))][::-1]

    def get_approval(self, action_id: int) -> ApprovalRecord | None:
        rows = self.store.query("SELECT action_id, decision, decided_by, decided_ms, intent_hash FROM approvals"
                                " WHERE action_id = ?", (action_id,))
        return ApprovalRecord(**rows[0]) if rows else None

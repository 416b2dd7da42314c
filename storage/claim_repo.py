"""SQL of exactly-once execution: action claims (columns of `pending_actions`) and `monitor_leases`.

Every decision (may this executor claim, is that lease stale) is made in core.monitor.claims;
here each change is one compare-and-set statement inside BEGIN IMMEDIATE, so two processes can
never both win.
"""
from __future__ import annotations

import sqlite3

from core.monitor.claims import ClaimState, MonitorLease
from core.monitor.records import OPEN_FOR_EXECUTION
from storage.retrying import RetryingRepo


class ClaimRepo(RetryingRepo):
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
        marks = ",".join("?" * len(OPEN_FOR_EXECUTION))
        return bool(self._write("claim action", lambda c: c.execute(
            f"UPDATE pending_actions SET claim_owner = ?, claim_expires_ms = ? WHERE id = ? AND status IN ({marks})"
            " AND claim_owner IS ? AND claim_expires_ms IS ?",
            (owner, now_ms + lease_ms, seen.action_id, *OPEN_FOR_EXECUTION, seen.owner, seen.expires_ms)).rowcount))

    def renew_claim(self, action_id: int, owner: str, now_ms: int, lease_ms: int) -> bool:
        """Extend our lease; False when another executor holds the action now (stop sending)."""
        return bool(self._write("renew claim", lambda c: c.execute(
            "UPDATE pending_actions SET claim_expires_ms = ? WHERE id = ? AND claim_owner = ?",
            (now_ms + lease_ms, action_id, owner)).rowcount))

    def release_claim(self, action_id: int, owner: str, now_ms: int) -> None:
        self._write("release claim", lambda c: c.execute(
            "UPDATE pending_actions SET claim_owner = NULL, claim_expires_ms = NULL WHERE id = ? AND claim_owner = ?",
            (action_id, owner)))

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

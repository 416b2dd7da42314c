"""One monitor per account and database: the writer monitor holds a lease row (heartbeat, pid,
host) and renews it from its own thread; a second monitor is refused, or runs read-only.

A lease is taken over only when it is stale (core.monitor.claims.lease_is_stale: its heartbeat
stopped, or its pid is gone from this host). A monitor whose lease was taken over stops acting
at once (it turns read-only) and says so in the log.
"""
from __future__ import annotations

import logging
import os
import threading
from datetime import datetime, timezone
from typing import Callable, Protocol

from core.errors import BadInputError
from core.monitor import claims
from core.monitor.claims import MonitorLease

log = logging.getLogger("evorisk.monitor.lease")


class LeaseStore(Protocol):
    def monitor_lease(self, account: str) -> MonitorLease | None: ...

    def take_monitor_lease(self, lease: MonitorLease, seen: MonitorLease | None) -> bool: ...

    def heartbeat_monitor_lease(self, account: str, owner: str, now_ms: int, lease_ms: int) -> bool: ...

    def release_monitor_lease(self, account: str, owner: str) -> None: ...


class MonitorRunning(BadInputError):
    """Another live monitor holds this account in this database (exit code 2)."""


def describe(lease: MonitorLease) -> str:
    since = datetime.fromtimestamp(lease.started_ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"pid {lease.pid} on {lease.host}, since {since}"


def live_monitor(store: LeaseStore, account: str, now_ms: int) -> MonitorLease | None:
    """The lease of a monitor that is alive now for this account, or None."""
    lease = store.monitor_lease(account)
    return None if lease is None or claims.lease_is_stale(lease, now_ms) else lease


class MonitorLeaseHolder:
    """The lease of this process's monitor: acquire, heartbeat in a daemon thread, release."""

    def __init__(self, store: LeaseStore, account: str, now_ms: Callable[[], int],
                 lease_ms: int = claims.MONITOR_LEASE_MS, heartbeat_s: float = claims.MONITOR_HEARTBEAT_S):
        self.store, self.account, self.now_ms = store, account.lower(), now_ms
        self.lease_ms, self.heartbeat_s = lease_ms, heartbeat_s
        self.owner = claims.new_owner("monitor")
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> None:
        """Take the lease, or raise MonitorRunning naming the live holder."""
        now = self.now_ms()
        seen = self.store.monitor_lease(self.account)
        if seen is not None and not claims.lease_is_stale(seen, now):
            raise MonitorRunning(f"another monitor is running for {self.account} on this database ({describe(seen)});"
                                 " stop it, or add --read-only to watch without acting")
        mine = MonitorLease(self.account, self.owner, os.getpid(), claims.this_host(), now, now, now + self.lease_ms)
        if not self.store.take_monitor_lease(mine, seen):
            holder = self.store.monitor_lease(self.account)
            raise MonitorRunning(f"another monitor just started for {self.account} on this database"
                                 + (f" ({describe(holder)})" if holder else "") + "; add --read-only to watch")
        if seen is not None:
            log.warning("took over the monitor lease of %s (stale)", describe(seen))
        log.info("monitor lease for %s held by %s", self.account, self.owner)

    def held(self) -> bool:
        return not self.lost.is_set()

    def heartbeat(self) -> bool:
        if self.lost.is_set():
            return False
        if not self.store.heartbeat_monitor_lease(self.account, self.owner, self.now_ms(), self.lease_ms):
            self.lost.set()
            log.error("monitor lease for %s was taken over by another monitor: this one stops acting", self.account)
            return False
        return True

    def start_heartbeat(self) -> None:
        self._thread = threading.Thread(target=self._beat, name="monitor-lease", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            try:
                if not self.heartbeat():
                    return
            except Exception:  # boundary: a busy database misses one beat; the lease outlives several
                log.warning("monitor heartbeat failed; retrying", exc_info=True)

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.heartbeat_s + 1)
        if not self.lost.is_set():
            self.store.release_monitor_lease(self.account, self.owner)

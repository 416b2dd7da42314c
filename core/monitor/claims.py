"""Exactly once per cloid: who may execute an approved action, and when "unknown to the venue"
may be believed.

Two rules, both pure (storage applies them atomically, the executor follows them):
- An approved action is executed by the one executor holding its claim. A claim is a lease:
  renewed before every request of the execution and released at its end; another executor may
  take it only when the lease has expired or its holder's process is gone from this host, and a
  take-over first reconciles every order row of the action with `orderStatus`.
- A POST of a cloid is signed with `expiresAfter` = the row's `in_flight_until_ms`, committed
  before the POST. Until that moment (plus the clock margin) the POST may still reach the venue,
  from this process or a killed one, so an `unknownOid` answer means "not yet", never "never".
"""
from __future__ import annotations

import os
import secrets
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# Beyond the gateway's own allowance for clock skew (accepted_until_ms): scheduling and
# SQLite latency between the check and the answer it acts on.
TRUST_MARGIN_MS = 1_000
# requests' timeout bounds the connect and the read separately; a POST still pending after both
# plus a second is refused by the venue through its expiresAfter.
POST_WINDOW_TIMEOUTS = 2
POST_WINDOW_MARGIN_MS = 1_000
# Between two renewals an executor makes at most this many requests (reconcile, read, POST).
CLAIM_REQUESTS_PER_RENEWAL = 3
CLAIM_MARGIN_MS = 5_000
# The monitor's heartbeat: renewed every few seconds, stale after missing several renewals.
MONITOR_HEARTBEAT_S = 2.0
MONITOR_LEASE_MS = 15_000


def this_host() -> str:
    return socket.gethostname()


def new_owner(role: str) -> str:
    """A unique executor identity that names its host and pid: `role@host:pid:nonce`."""
    return f"{role}@{this_host()}:{os.getpid()}:{secrets.token_hex(4)}"


def owner_process(owner: str) -> tuple[str, int] | None:
    """(host, pid) of an owner id, or None when it is not one of ours."""
    try:
        where = owner.split("@", 1)[1]
        host, pid, _nonce = where.rsplit(":", 2)
        return host, int(pid)
    except (IndexError, ValueError):
        return None


def process_gone(host: str, pid: int) -> bool:
    """True only when the process is provably dead: same host and no such pid. A pid on another
    host, or a live (possibly reused) pid, is never declared dead: that errs on waiting."""
    if host != this_host() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return False


def owner_gone(owner: str) -> bool:
    where = owner_process(owner)
    return where is not None and process_gone(*where)


def post_window_ms(timeout_s: float) -> int:
    """How long after its intent commit a POST may still be accepted by the venue (its expiresAfter)."""
    return int(POST_WINDOW_TIMEOUTS * timeout_s * 1000) + POST_WINDOW_MARGIN_MS


def claim_lease_ms(timeout_s: float) -> int:
    return int(CLAIM_REQUESTS_PER_RENEWAL * timeout_s * 1000) + CLAIM_MARGIN_MS


@dataclass(frozen=True)
class ClaimState:
    """An action's claim as stored: no owner, or an owner and when its lease runs out."""

    action_id: int
    status: str
    owner: str | None
    expires_ms: int | None


@dataclass(frozen=True)
class ClaimDecision:
    allowed: bool
    take_over: bool  # another executor held it: reconcile every row before sending
    reason: str = ""


def decide_claim(state: ClaimState, me: str, now_ms: int) -> ClaimDecision:
    """May `me` claim the action now? Free, ours, expired, or held by a dead process: yes."""
    if state.owner is None or state.owner == me:
        return ClaimDecision(True, False)
    if state.expires_ms is not None and state.expires_ms < now_ms:
        return ClaimDecision(True, True, f"lease of {state.owner} expired")
    if owner_gone(state.owner):
        return ClaimDecision(True, True, f"{state.owner} is no longer running")
    return ClaimDecision(False, False, f"claimed by {state.owner}")


def unknown_means_never_booked(accepted_until_ms: int | None, now_ms: int, posting_here: bool) -> bool:
    """Believe `unknownOid` only when no POST of the cloid can still arrive: none running in this
    process and the venue would refuse its signed expiry by now (`accepted_until_ms`, our clock)."""
    if posting_here:
        return False
    return accepted_until_ms is None or now_ms > accepted_until_ms + TRUST_MARGIN_MS


@dataclass(frozen=True)
class MonitorLease:
    account: str
    owner: str
    pid: int
    host: str
    started_ms: int
    heartbeat_ms: int
    expires_ms: int


def lease_is_stale(lease: MonitorLease, now_ms: int) -> bool:
    """A monitor lease may be taken when its heartbeat stopped or its process is gone from this host."""
    return lease.expires_ms < now_ms or process_gone(lease.host, lease.pid)


class _Posting:
    """Cloids whose POST is running in this process (any thread): their HTTP call has not returned."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cloids: Counter[str] = Counter()

    @contextmanager
    def posting(self, cloid: str) -> Iterator[None]:
        with self._lock:
            self._cloids[cloid] += 1
        try:
            yield
        finally:
            with self._lock:
                self._cloids[cloid] -= 1
                if self._cloids[cloid] <= 0:
                    del self._cloids[cloid]

    def __contains__(self, cloid: object) -> bool:
        with self._lock:
            return cloid in self._cloids


IN_FLIGHT = _Posting()

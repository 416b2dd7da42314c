"""The only code that sends orders, and only for an action an operator (or the TIGHTENED policy)
approved: the approval row exists, its intent hash matches the stored orders, and the action has
not expired.

Exactly once per cloid (core.monitor.claims): the executor first claims the action (a lease in
SQLite; a take-over reconciles every order row first), renews the claim before every POST, and
commits each POST's intent row (with its signed expiry) before the POST, the re-send after a
`not_found` included. A restart asks the exchange about every intent whose outcome is unknown and
believes `unknownOid` only once no POST of that cloid can still arrive. A per-order rejection is
reported and never re-placed; only an IOC that found no liquidity is retried, as a new order with
wider slippage.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from core.exchange.errors import ExchangeError, ExchangeTimeout, OrderRejected, is_liquidity_miss
from core.exchange.protocol import ExchangeGateway
from core.exchange.models import OrderRequest, OrderResult
from core.monitor.orders import (
    MAX_ATTEMPTS, SLIPPAGE_BY_ATTEMPT, OrderLeg, aggressive_px, cancels_to_json, derive_cloid, floor_size,
    intent_hash, legs_to_json, size_decimals,
)
from core.monitor import claims
from core.monitor import records as r
from core.monitor.reconcile import EPS_SIZE, Reconciler
from core.monitor.state import PlacedStop
from core.vocabulary import ActionStatus

log = logging.getLogger("evorisk.monitor.executor")

# Orders of an approved action may be sent this long after the approval; later the market has
# moved too far from what the operator saw, and only reconciliation runs.
SEND_WINDOW_MS = 10 * 60_000
HELD = "held"  # report status: another executor holds the action's claim; nothing was sent here
REDUCE_ONLY_FLAT = "Reduce only order would increase position"


class ApprovalMissing(r.ActionStateError):
    """No valid approval for this action: nothing was sent."""


class ClaimLost(Exception):
    """Another executor took the action over (our lease ran out): stop sending at once."""


@dataclass
class LegReport:
    coin: str
    side: str
    requested: float
    filled: float = 0.0
    attempts: int = 0
    status: str = "open"  # "filled" | "placed" | "flat" | "incomplete" | "rejected" | "unknown"
    error: str | None = None


@dataclass
class ExecutionReport:
    action_id: int
    status: str
    legs: list[LegReport] = field(default_factory=list)
    placed_stops: list[PlacedStop] = field(default_factory=list)
    canceled_cloids: list[str] = field(default_factory=list)
    detail: str = ""


class Executor:
    def __init__(self, gateway: ExchangeGateway, ledger: r.ActionLedger, address: str, owner: str | None = None):
        self.gateway = gateway
        self.ledger = ledger
        self.address = address
        self.owner = owner or claims.new_owner("executor")
        self.reconciler = Reconciler(gateway, ledger, address)
        self.post_window_ms = claims.post_window_ms(gateway.timeout_s)
        self.claim_lease_ms = claims.claim_lease_ms(gateway.timeout_s)

    # -- the gate ------------------------------------------------------------------------------
    def authorize(self, action_id: int, now_ms: int) -> r.ActionRecord:
        """The approved action, or ApprovalMissing (no row, not approved, tampered, expired)."""
        action = self.ledger.get_action(action_id)
        if action is None:
            raise ApprovalMissing(f"action {action_id} does not exist")
        if action.status not in r.OPEN_FOR_EXECUTION:
            raise ApprovalMissing(f"action {action_id} is {action.status}, not approved")
        approval = self.ledger.get_approval(action_id)
        if approval is None or approval.decision != ActionStatus.APPROVED:
            raise ApprovalMissing(f"action {action_id} has no approval row")
        expected = intent_hash(action.id, action.kind, legs_to_json(action.legs), cancels_to_json(action.cancels))
        if not (expected == action.intent_hash == approval.intent_hash):
            raise ApprovalMissing(f"action {action_id}: approved intent does not match its orders")
        if approval.decided_ms > action.expires_ms:
            raise ApprovalMissing(f"action {action_id} was approved after it expired")
        return action

    # -- reconciliation -------------------------------------------------------------------------
    def reconcile_unknown(self, now_ms: int) -> int:
        """Ask the exchange about every order whose POST outcome was never recorded; returns how many."""
        pending = self.ledger.orders_with_status(r.INTENT)
        for order in pending:
            self._reconcile(order, now_ms)
        return len(pending)

    def _reconcile(self, order: r.OrderRecord, now_ms: int) -> r.OrderRecord:
        return self.reconciler.reconcile(order, now_ms)

    # -- the claim ------------------------------------------------------------------------------
    def _claim(self, action_id: int) -> claims.ClaimDecision:
        """Claim the action (one compare-and-set); a lost race or a live holder: not allowed."""
        seen = self.ledger.get_claim(action_id)
        if seen is None:
            return claims.ClaimDecision(False, False, "no such action")
        decision = claims.decide_claim(seen, self.owner, self.gateway.now_ms())
        if decision.allowed and not self.ledger.take_claim(seen, self.owner, self.gateway.now_ms(),
                                                           self.claim_lease_ms):
            return claims.ClaimDecision(False, False, "another executor claimed it first")
        return decision

    def _renew(self, action_id: int) -> None:
        if not self.ledger.renew_claim(action_id, self.owner, self.gateway.now_ms(), self.claim_lease_ms):
            raise ClaimLost(f"action {action_id}: claim lost to another executor")

    # -- execution ------------------------------------------------------------------------------
    def execute(self, action_id: int, now_ms: int) -> ExecutionReport:
        """Claim, (on a take-over) reconcile every row, send what is still to send, release."""
        action = self.authorize(action_id, now_ms)
        decision = self._claim(action_id)
        if not decision.allowed:
            log.info("action %d not executed here: %s", action_id, decision.reason)
            return ExecutionReport(action_id, HELD, detail=decision.reason)
        try:
            if decision.take_over:
                log.warning("action %d taken over (%s): reconciling its orders first", action_id, decision.reason)
                for order in self.ledger.orders_for_action(action_id):
                    self._renew(action_id)
                    self._reconcile(order, now_ms)
            return self._execute_claimed(action, now_ms)
        except ClaimLost as exc:
            log.error("%s; stopped sending", exc)
            return ExecutionReport(action_id, ActionStatus.SENDING, detail=str(exc))
        finally:
            self.ledger.release_claim(action_id, self.owner, self.gateway.now_ms())

    def _execute_claimed(self, action: r.ActionRecord, now_ms: int) -> ExecutionReport:
        approval = self.ledger.get_approval(action.id)
        may_send = approval is not None and now_ms - approval.decided_ms <= SEND_WINDOW_MS
        if action.status != ActionStatus.SENDING:
            self.ledger.set_action_status(action.id, ActionStatus.SENDING, now_ms)
        report = ExecutionReport(action.id, ActionStatus.SENDING)
        for cancel in action.cancels:
            self._renew(action.id)
            reason = self.gateway.cancel_by_cloid(cancel.coin, cancel.cloid)
            report.canceled_cloids.append(cancel.cloid)
            if reason:
                log.info("cancel %s %s: %s", cancel.coin, cancel.cloid, reason)
        salt = self.ledger.cloid_salt()
        for leg in action.legs:
            report.legs.append(self._run_leg(action, leg, salt, may_send, now_ms, report))
        report.status = _action_status(report.legs)
        detail = "; ".join(f"{x.coin} {x.side} {x.filled:g}/{x.requested:g} {x.status}"
                           + (f" ({x.error})" if x.error else "") for x in report.legs)
        self.ledger.set_action_status(action.id, report.status, now_ms, detail)
        log.info("action %d %s: %s", action.id, report.status, detail)
        return report

    def _run_leg(self, action: r.ActionRecord, leg: OrderLeg, salt: str, may_send: bool, now_ms: int,
                 report: ExecutionReport) -> LegReport:
        out = LegReport(leg.coin, leg.side, leg.size)
        remaining = leg.size
        for attempt in range(MAX_ATTEMPTS):
            cloid = derive_cloid(salt, action.id, leg.leg, attempt)
            known = self.ledger.get_order(cloid)
            if known is not None and known.status == r.INTENT:
                self._renew(action.id)
                known = self._reconcile(known, now_ms)
                if known.status == r.INTENT:
                    out.status, out.error = "unknown", "a POST of it may still be in flight; asking again later"
                    return out
            if known is None or known.status == r.NOT_FOUND:
                if not may_send:
                    out.status = "unknown" if known is not None else out.status
                    out.error = "send window passed; needs a new approval"
                    return out
                known = self._send(action, leg, attempt, cloid, remaining, now_ms)
                if known is None or known.status == r.INTENT:
                    out.status, out.error = "unknown", "outcome unknown; will reconcile by cloid"
                    return out
            out.attempts = attempt + 1
            out.filled += known.filled_size
            if known.error:
                out.error = known.error
            if leg.trigger_px is not None:
                if known.status in ("resting", "open", "waiting", "triggered", "filled"):
                    out.status = "placed"
                    report.placed_stops.append(PlacedStop(cloid, leg.coin, leg.is_buy, leg.size, leg.trigger_px, action.id))
                else:
                    out.status = "incomplete"
                return out
            if known.error and REDUCE_ONLY_FLAT in known.error:
                out.status = "flat"
                log.warning("order %s (%s %s): %s; the position is closed or flipped, nothing re-placed", cloid,
                            leg.coin, leg.side, known.error)
                return out
            if known.error and not is_liquidity_miss(known.error):
                out.status = "rejected"
                log.error("order %s (%s %s) rejected by the exchange, not re-placed: %s", cloid, leg.coin, leg.side,
                          known.error)
                return out
            if known.error:
                log.warning("order %s (%s %s) found no liquidity: %s; the remainder goes out wider", cloid, leg.coin,
                            leg.side, known.error)
            remaining = self._remaining(leg, leg.size - out.filled)
            if remaining <= EPS_SIZE:
                out.status = "filled" if out.filled > EPS_SIZE else "flat"
                out.error = None  # an earlier attempt's miss no longer matters
                return out
        out.status = "incomplete"
        return out

    def _remaining(self, leg: OrderLeg, unfilled: float) -> float:
        """What is still to close: the unfilled size, capped by the position as re-read now."""
        if unfilled <= EPS_SIZE:
            return 0.0
        pos = self.gateway.account_state(self.address).position(leg.coin)
        if pos is None or (pos.size > 0) == leg.is_buy:
            return 0.0  # flat, or the position flipped: nothing of ours left to reduce
        decimals = max(size_decimals(leg.size), size_decimals(pos.size))
        return floor_size(min(unfilled, abs(pos.size)), decimals)

    def _request(self, leg: OrderLeg, attempt: int, cloid: str, size: float) -> OrderRequest:
        if attempt == 0:
            return leg.to_request(cloid)  # exactly what the operator approved
        mid = self.gateway.mids()[leg.coin]
        px = aggressive_px(mid, leg.is_buy, SLIPPAGE_BY_ATTEMPT[attempt], size_decimals(leg.size))
        return leg.to_request(cloid, size=size, limit_px=px)

    def _send(self, action: r.ActionRecord, leg: OrderLeg, attempt: int, cloid: str, size: float,
              now_ms: int) -> r.OrderRecord | None:
        """Renew the claim, commit the row as INTENT with this POST's expiry, then one POST signed
        with that expiry. None (or an INTENT row) when the outcome is still unknown."""
        self._renew(action.id)
        req = self._request(leg, attempt, cloid, size)
        row = r.OrderRecord(cloid, action.id, leg.leg, attempt, leg.coin, req.is_buy, req.size, req.limit_px,
                            leg.trigger_px, r.INTENT)
        sent_ms = self.gateway.now_ms()
        in_flight_until_ms = sent_ms + self.post_window_ms
        post_no = self.ledger.begin_post(row, {"tif": req.tif, "reduce_only": req.reduce_only}, self.owner, sent_ms,
                                         in_flight_until_ms)
        try:
            with claims.IN_FLIGHT.posting(cloid):
                result = self.gateway.place_orders([req], expires_after_ms=in_flight_until_ms)[0]
        except OrderRejected as exc:
            self.ledger.update_order(cloid, "error", now_ms, error=exc.venue_message)
            self.ledger.finish_post(cloid, post_no, "rejected", exc.venue_message, now_ms)
            return self.ledger.get_order(cloid)
        except ExchangeTimeout as exc:
            self.ledger.finish_post(cloid, post_no, "unknown", str(exc), now_ms)
            log.warning("order %s: %s; looking it up by cloid", cloid, exc)
            try:
                return self._reconcile(self.ledger.get_order(cloid) or row, now_ms)
            except ExchangeError:
                return None
        except ExchangeError as exc:
            self.ledger.finish_post(cloid, post_no, "unknown", str(exc), now_ms)
            log.warning("order %s not confirmed: %s", cloid, exc)
            return None
        self._record_result(row, result, now_ms)
        self.ledger.finish_post(cloid, post_no, result.status, result.error or f"filled {result.filled_size:g}", now_ms)
        return self.ledger.get_order(cloid)

    def _record_result(self, row: r.OrderRecord, result: OrderResult, now_ms: int) -> None:
        self.ledger.update_order(row.cloid, result.status, now_ms, filled_size=result.filled_size,
                                 avg_px=result.avg_px, oid=result.oid, error=result.error)
        if result.filled_size > EPS_SIZE:
            self.ledger.record_fill(row.cloid, row.action_id, row.coin, result.filled_size, result.avg_px, now_ms)


def _action_status(legs: list[LegReport]) -> ActionStatus:
    """SENDING while an outcome is unknown (reconciled next cycle), else DONE / PARTIAL / FAILED."""
    if any(leg.status == "unknown" for leg in legs):
        return ActionStatus.SENDING
    if all(leg.status in ("filled", "placed", "flat") for leg in legs):
        return ActionStatus.DONE
    return ActionStatus.PARTIAL if any(leg.filled > EPS_SIZE for leg in legs) else ActionStatus.FAILED

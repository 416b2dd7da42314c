"""MonitorService: poll -> evaluate -> persist -> hand one immutable snapshot to a callback.

A self-rescheduling timer: the next poll is scheduled only after the previous one finished, so
polls never overlap when the exchange is slow; every request has the gateway's timeout. Each
cycle first reconciles and finishes approved actions (orders by cloid), then polls. While polls
fail the next one waits exponentially longer (backoff.py), and after an HTTP 429 at least its
Retry-After; until then nothing is requested and cycles are STALE, showing the data's age and
the next poll. Nothing is sent while the venue is down: approved actions resume at the cycle
after the first good poll, once the book has been read again. The service never touches UI: the
console turns the callback into a Textual message.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import asdict, replace
from typing import Callable

from core.errors import StorageUnavailableError
from core.alerts.detect import LegFailure, NewAction, TransitionFacts, cycle_alerts, failed_legs
from core.alerts.model import AlertOutlet
from core.exchange.errors import ExchangeError, GatewayConfigError, RateLimited
from core.exchange.protocol import ExchangeGateway
from core.monitor import records as r
from core.monitor.backoff import PollBackoff
from core.monitor.db_health import DbHealth
from core.monitor.evaluate import Context, Evaluation, MarketInputs, evaluate, stale, unanswered_poll
from core.monitor.executor import ApprovalMissing, ExecutionReport, Executor
from core.monitor.freshness import forget_feed
from core.monitor.held import opening_fill_ms
from core.monitor.market_data import CandleCache
from core.monitor.perp import FundingCache, log_new_clamps
from core.monitor.snapshot import PendingActionView, RiskSnapshot
from core.monitor.standing import PROTECTION_KEY, Protection, StandingOrders, protection
from core.monitor.operator_requests import apply_exit_request, apply_reset_request, supersede_outdated
from core.monitor.service_config import (VISIBLE_STATUSES, Cancellable, CurrentGenome, Lease, MonitorRepository,
                                         MonitorSettings, TimerStarter, start_thread_timer)
from core.monitor.state import MonitorState
from core.vocabulary import ActionStatus, BreakerState

log = logging.getLogger("evorisk.monitor")

class MonitorService:
    def __init__(self, gateway: ExchangeGateway, repo: MonitorRepository, settings: MonitorSettings,
                 genome: CurrentGenome, now_ms: Callable[[], int],
                 on_snapshot: Callable[[RiskSnapshot], None] | None = None,
                 start_timer: TimerStarter = start_thread_timer, lease: Lease | None = None,
                 alerts: AlertOutlet | None = None):
        self.gateway, self.repo, self.settings = gateway, repo, settings
        self.lease = lease
        self.alerts = alerts
        self._new_actions: list[NewAction] = []  # this cycle's, for its alerts
        self._failures: list[LegFailure] = []
        self.genome, self.now_ms, self.on_snapshot = genome, now_ms, on_snapshot
        self.executor = Executor(gateway, repo, settings.address, getattr(lease, "owner", None))
        self.standing = StandingOrders(gateway, settings.address, repo.cloid_salt)
        self.protection = Protection(False, "standing exits: not decided yet")
        self.candles = CandleCache(gateway)
        self.funding = FundingCache(gateway)
        self.state = forget_feed(MonitorState.from_json(repo.get_monitor_state()))  # the feed: this process's polls
        self.last_snapshot: RiskSnapshot | None = self._restore_last_good()
        self.backoff = PollBackoff(settings.poll_interval_s)
        self._start_timer = start_timer
        self._timer: Cancellable | None = None
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._decimals: dict[str, int] = {}
        self.db_health = DbHealth()  # the database refusing writes: one log line per episode

    # -- the timer -------------------------------------------------------------------------------
    def start(self) -> None:
        self._stopped.clear()
        self._schedule(0.0)

    def stop(self) -> None:
        self._stopped.set()
        if self._timer is not None:
            self._timer.cancel()

    def _schedule(self, delay_s: float) -> None:
        if self._stopped.is_set():
            return
        self._timer = self._start_timer(delay_s, self._tick)

    def _tick(self) -> None:
        try:
            self.run_cycle()
        except Exception:  # boundary: a failed cycle is logged, and the next one still comes
            log.exception("monitor cycle failed")
        finally:
            self._schedule(self.next_delay_s())

    def next_delay_s(self) -> float:
        """The poll interval, or longer while backing off (exponential, or a running Retry-After)."""
        return self.backoff.next_delay_s(self.now_ms())

    def _restore_last_good(self) -> RiskSnapshot | None:
        """The last good snapshot of a previous run, so STALE right after a restart still shows
        the last known numbers (flagged STALE with their age) instead of blanks."""
        raw = self.repo.latest_good_snapshot()
        if raw is None:
            return None
        try:
            return RiskSnapshot.from_json(raw)
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            log.warning("the stored snapshot does not load, starting without numbers: %r", exc)
            return None

    def _poll_failed(self, ctx: Context, exc: ExchangeError, now: int) -> Evaluation:
        """Count the failure, push the next poll out, and show STALE with the age and that time."""
        retry_after_s = exc.retry_after_s if isinstance(exc, RateLimited) else 0.0
        delay_s = self.backoff.poll_failed(now, str(exc), retry_after_s)
        log.warning("poll failed (%d in a row): %s; next poll in %.0f s", self.backoff.failures, exc, delay_s)
        problem = f"exchange unavailable: {exc} (failed polls: {self.backoff.failures}; next poll in {delay_s:.0f} s)"
        return unanswered_poll(ctx, problem, self.state, self.last_snapshot, now)

    def _waiting_problem(self, wait_s: float) -> str:
        b = self.backoff
        if b.down:
            return (f"exchange unavailable: backing off after {b.failures} failed poll(s), next poll in {wait_s:.0f} s"
                    f" (last error: {b.last_error})")
        return f"exchange unavailable: rate limited, backing off, next poll in {wait_s:.0f} s (Retry-After)"

    @property
    def read_only(self) -> bool:
        """Watching only: asked for, or our monitor lease was taken over by another monitor."""
        return self.settings.read_only or (self.lease is not None and not self.lease.held())

    # -- one cycle -------------------------------------------------------------------------------
    def run_cycle(self) -> RiskSnapshot:
        """Reconcile and execute approved actions, poll, evaluate, persist, publish.

        When the database refuses writes (another process holds the write lock past the busy
        timeout, or the disk is full) the cycle publishes a snapshot whose `db_error` says why,
        logs one warning per episode, and keeps its safety rules: the breaker state advances only
        with its rows, and the executor sends nothing whose intent row could not be written."""
        with self._lock:
            now = self.now_ms()
            read_only = self.read_only
            self._new_actions, self._failures = [], []
            params, label = self.genome()
            self.protection = protection(label, self.repo.get_value(PROTECTION_KEY), self.settings.protect_off)
            ctx = Context(params, label, self.gateway.network, self.settings.poll_interval_s, self.settings.perp,
                          standing_exits=self.protection.on and self.settings.can_trade,
                          confirm_gaps=self.settings.confirm_gaps, entry_slippage=self.settings.entry_slippage,
                          best_from_marks=self.settings.best_from_marks,
                          **({} if self.settings.fee_per_side is None else {"fee_per_side": self.settings.fee_per_side}))
            previous = self.last_snapshot
            result: Evaluation | None = None
            try:
                if read_only:  # mirror the writer monitor's state; act on nothing
                    self.state = MonitorState.from_json(self.repo.get_monitor_state())
                else:
                    self.execute_approved(now)
                    self.repo.expire_actions(now)
                result = self._evaluate(ctx, now)
                snapshot = self._watch(result, now) if read_only else self._persist(result, now, label)
                self.db_health.recovered()
            except StorageUnavailableError as exc:
                snapshot = self._db_refused(ctx, result, exc, now)
            self.last_snapshot = snapshot
            log_new_clamps(snapshot, previous)
            if result is not None:
                self._raise_alerts(snapshot, previous, result, now)
        if self.on_snapshot is not None:
            self.on_snapshot(snapshot)
        return snapshot

    def _db_refused(self, ctx: Context, result: Evaluation | None, exc: StorageUnavailableError,
                    now: int) -> RiskSnapshot:
        problem = self.db_health.refused(exc)
        base = result.snapshot if result is not None else stale(ctx, problem, self.state, self.last_snapshot,
                                                                 now).snapshot
        return replace(base, db_error=problem, next_poll_in_s=self.backoff.next_delay_s(now))

    def _raise_alerts(self, snapshot: RiskSnapshot, previous: RiskSnapshot | None, result: Evaluation,
                      now: int) -> None:
        """Queue this cycle's alerts; the dispatcher records and delivers them on its own threads."""
        if self.alerts is None:
            return
        t = result.transition
        facts = None if t is None else TransitionFacts(t.from_state, t.to_state, t.reason)
        for alert in cycle_alerts(snapshot, previous, facts, self._new_actions, self._failures,
                                  self.settings.perp.liquidation_alert_distance, now):
            self.alerts.raise_alert(alert)

    def execute_approved(self, now_ms: int) -> list[ExecutionReport]:
        """Unknown outcomes are looked up by cloid first; then approved actions are carried out."""
        reports = []
        if self.backoff.down or self.backoff.wait_s(now_ms) > 0:
            return []  # the venue is down or asked us to wait; approved actions stay open for a later cycle
        try:
            self.executor.reconcile_unknown(now_ms)
            for action in self.repo.actions_with_status(r.OPEN_FOR_EXECUTION):
                reports.append(self._execute(action.id, now_ms))
        except RateLimited as exc:
            self.backoff.hold(now_ms, exc.retry_after_s)
            log.warning("rate limited by the exchange: no requests for %.1f s (Retry-After)", exc.retry_after_s)
        except ExchangeError as exc:
            log.warning("executor paused, exchange unavailable: %s", exc)
        except GatewayConfigError as exc:
            log.error("approved actions wait: %s", exc)
        return [x for x in reports if x is not None]

    def _execute(self, action_id: int, now_ms: int) -> ExecutionReport | None:
        if self.read_only:
            return None
        try:
            report = self.executor.execute(action_id, now_ms)
        except ApprovalMissing as exc:
            log.error("refusing to send: %s", exc)
            self.repo.set_action_status(action_id, ActionStatus.FAILED, now_ms, str(exc))
            return None
        except (ExchangeError, GatewayConfigError) as exc:  # stays open: reconciled and resumed next cycle
            log.warning("action %d paused: %s", action_id, exc)
            return None
        self._failures.extend(failed_legs(action_id, report.legs))
        stops = {k: v for k, v in self.state.stops.items() if v.cloid not in report.canceled_cloids}
        stops.update({s.coin: s for s in report.placed_stops})
        self.state = replace(self.state, stops=stops)
        return report

    def _evaluate(self, ctx: Context, now: int) -> Evaluation:
        wait_s = self.backoff.wait_s(now)
        if wait_s > 0:  # not a failed poll: nothing was asked
            return unanswered_poll(ctx, self._waiting_problem(wait_s), self.state, self.last_snapshot, now)
        try:
            account = self.gateway.account_state(self.settings.address)
            mids = self.gateway.mids()
            coins = tuple(p.coin for p in account.positions)
            decimals = self._sz_decimals(coins)
        except ExchangeError as exc:  # unreachable, timeout, 5xx, 429, malformed: all back off
            return self._poll_failed(ctx, exc, now)
        if self.backoff.down:
            log.warning("exchange answers again after %d failed poll(s)", self.backoff.failures)
        self.backoff.poll_succeeded()
        if not self.read_only:
            self.state = apply_reset_request(self.repo, self.state, account.equity_usd, now)
            self.state = supersede_outdated(self.repo, self.state, account.positions, now)
        self.candles.update(coins, ctx.params.vol_lookback, account.time_ms)
        if coins:
            self.funding.update(now)
        market = MarketInputs(account, mids, self.candles.indicators, self.candles.corr_coins, self.candles.corr_matrix,
                              decimals, self.funding.contexts, self._opened_ms(account))
        result = evaluate(ctx, market, self.state, now, self.last_snapshot)
        _log_gaps(result)
        if not self.read_only and result.snapshot.breaker_state != BreakerState.STALE.name and not result.gaps.holding:
            result = apply_exit_request(self.repo, result, market, now)
        return result

    def _opened_ms(self, account) -> dict[str, int]:
        """Opening-fill times of positions not tracked yet (one userFills request when there are any)."""
        new = {p.coin: p.size for p in account.positions
               if p.coin not in self.state.tracks or self.state.tracks[p.coin].side != ("long" if p.size > 0 else "short")}
        if not new:
            return {}
        try:
            return opening_fill_ms(self.gateway.user_fills(self.settings.address), new)
        except ExchangeError as exc:
            log.warning("fills unavailable, held time counts from now: %s", exc)
            return {}

    def _sz_decimals(self, coins: tuple[str, ...]) -> dict[str, int]:
        """Venue size decimals per held coin, cached: they only change with a venue listing change."""
        for coin in coins:
            if coin not in self._decimals:
                self._decimals[coin] = int(self.gateway.sz_decimals(coin))
        return {c: self._decimals[c] for c in coins}

    def _standing_exits(self, result: Evaluation, now: int, label: str) -> list[str]:
        """Reconcile the standing exits with the exchange (never while STALE or backing off); with
        protection off, withdraw any still resting. Returns notes on exits no order can express."""
        snap = result.snapshot
        if snap.breaker_state == BreakerState.STALE.name or not self.settings.can_trade or self.backoff.down or self.read_only:
            return []  # read-only: the monitor holding the lease keeps the standing orders
        if not self.protection.on and not self.state.standing:
            return []
        positions = [(p.coin, p.size) for p in snap.positions] if self.protection.on else []

        def save_intent(resting, seqs) -> None:
            self.repo.save_monitor_state(replace(self.state, standing=resting, standing_seq=seqs).to_json(), now)
        try:
            res = self.standing.reconcile(self.state.standing, self.state.standing_seq, positions, result.schedules,
                                          self._decimals, label, save_intent)
        except ExchangeError as exc:  # the orders already resting keep protecting; retried next cycle
            log.warning("standing exits not reconciled: %s", exc)
            return []
        tracks = dict(self.state.tracks)
        for coin, level in res.tp_filled.items():
            old = tracks.get(coin)
            if old is not None:
                tracks[coin] = replace(old, tp_done=max(old.tp_done, level))
                log.warning("take-profit level %d of %s filled by its standing order", level, coin)
        self.state = replace(self.state, standing=res.resting, standing_seq=res.next_seq, tracks=tracks)
        for note in res.notes:
            log.warning("standing exit not expressible: %s", note)
        return res.notes

    def _views(self, result: Evaluation, now: int) -> RiskSnapshot:
        views = tuple(PendingActionView(a.id, a.kind, a.status, a.created_ms, a.reason,
                                        tuple(asdict(leg) for leg in a.legs))
                      for a in self.repo.actions_with_status(VISIBLE_STATUSES))
        stops = tuple(s.view() for s in self.state.stops.values())
        stops += tuple(s.view() for s in sorted(self.state.standing.values(), key=lambda o: (o.coin, o.role)))
        return replace(result.snapshot, pending_actions=views, protective_stops=stops,
                       next_poll_in_s=self.backoff.next_delay_s(now), protected=self.protection.on,
                       protection=self.protection.why)

    def _watch(self, result: Evaluation, now: int) -> RiskSnapshot:
        """Read-only: the snapshot as evaluated, nothing proposed, nothing written."""
        if result.proposals:
            log.info("read-only: %d proposal(s) left to the monitor that holds the lease", len(result.proposals))
        return self._views(result, now)

    def _persist(self, result: Evaluation, now: int, label: str = "") -> RiskSnapshot:
        t = result.transition
        if t is not None:
            self.repo.log_breaker_event(t.time_ms, t.from_state, t.to_state, t.drawdown_ratio, t.reason)
            log.warning("breaker %s -> %s: %s", t.from_state, t.to_state, t.reason)
        new_state = replace(result.state, stops=self.state.stops)
        created = []
        for proposed in result.proposals:
            if proposed.auto_approved_by and not self.settings.can_trade:
                log.warning("no signing key: %s not placed", proposed.kind)
                continue
            action = self.repo.create_action(proposed, now, now + self.settings.action_ttl_ms)
            log.warning("action %d proposed (%s): %s", action.id, action.kind, action.reason)
            created.append(action)
            self._new_actions.append(NewAction(action.id, action.kind, action.status, action.reason))
        # The new state (proposal made, breaker moved) counts only once it is stored: if the database
        # refuses a write above, the next cycle evaluates from the old state and proposes again.
        self.repo.save_monitor_state(new_state.to_json(), now)
        self.state = new_state
        for action in created:
            if action.status == ActionStatus.APPROVED:
                self._execute(action.id, now)
        notes = self._standing_exits(result, now, label)
        self.repo.save_monitor_state(self.state.to_json(), now)  # the stops and standing orders just placed
        snapshot = replace(self._views(result, now), standing_notes=tuple(notes))
        self.repo.record_snapshot(snapshot.time_ms, snapshot.breaker_state, snapshot.equity_usd,
                                  snapshot.drawdown_ratio, snapshot.data_error, snapshot.to_json())
        return snapshot


def _log_gaps(result: Evaluation) -> None:
    """Every gap decision goes to the log: the operator may ask later why nothing was proposed."""
    for gap in result.gaps.held.values():
        log.warning("price gap on %s: %.6g -> %.6g (%+.1f%%), hold %d: nothing proposed until confirmed",
                    gap.coin, gap.old_px, gap.new_px, gap.pct * 100, gap.holds)
    for coin in result.gaps.confirmed:
        log.warning("price gap on %s confirmed by the next poll: acting on it", coin)
    for coin in result.gaps.reverted:
        log.warning("price gap on %s reverted: it was a bad tick", coin)

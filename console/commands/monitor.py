"""`evorisk monitor --headless`, `actions`, `approve ID`, `reject ID`, `reset-breaker`, `propose-exit` (SPEC 11).

The monitor prints one line per poll (JSON with --json): equity, drawdown, breaker state and
pending action ids. Only one monitor per account and database acts (a lease in SQLite); a second
one is refused with exit 2, or watches with --read-only. Approving commits the approval row
first; while a monitor is alive for the account it hands the action to that monitor, otherwise
with --base-url and --address it claims the action itself and sends (core.monitor.claims).
`monitor --network mainnet` needs --i-understand-mainnet and the word typed on a terminal
(console.mainnet_guard) before it opens anything or reads the key; `approve` offers no mainnet.
Ctrl-C or SIGTERM stops a monitor cleanly (lease released), however SIGINT was inherited.
"""
from __future__ import annotations

import argparse
import getpass
import json
import logging
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from console import argtypes as at
from console.mainnet_guard import require_live_mainnet
from console.exit_codes import EXIT_BAD_INPUT, EXIT_DB_BUSY, EXIT_OK, EXIT_UNREACHABLE
from console.views.monitor_line import snapshot_line
from core.alerts.detect import FAILED_LEG_STATUSES, LegFailure, failure_alerts
from core.alerts.factory import build_dispatcher
from core.errors import BadInputError
from core.monitor.executor import Executor, HELD
from core.monitor.genome_source import GenomeSource
from core.monitor.monitor_lease import MonitorLeaseHolder, describe, live_monitor
from core.vocabulary import ActionStatus
from core.monitor.service import MonitorService, MonitorSettings
from core.operator_settings import load_settings

log = logging.getLogger("evorisk.monitor.cli")
ONCE_ALERT_WAIT_S = 10.0  # `--once` waits this long for its alerts' deliveries before exiting


def _now_ms() -> int:
    return int(time.time() * 1000)


def _operator(args: argparse.Namespace) -> str:
    return getattr(args, "by", None) or getpass.getuser()


def _gateway(args: argparse.Namespace):
    """The key is read here, so on mainnet only after console.mainnet_guard has passed; a read-only
    monitor never loads it (HYPERLIQUID.md: read-only mainnet data only when named, never with the key)."""
    from console.services.opening import read_only_gateway, signing_gateway  # heavy: the store

    if getattr(args, "read_only", False):  # approve and the action commands always sign
        return read_only_gateway(args.network, args.base_url, args.address, args.timeout)
    return signing_gateway(args.network, args.base_url, args.address, args.timeout,
                           allow_mainnet=args.network == "mainnet")


def _repo(args: argparse.Namespace):
    from console.services.opening import open_args_store  # heavy: the store
    from storage.monitor_repo import MonitorRepo

    return MonitorRepo(open_args_store(args))


class DbEpisodes:
    """One stderr line when the database starts refusing writes and one when it recovers, however
    many polls the episode lasts (every poll's own line still carries the DB field)."""

    def __init__(self, err=None):
        self.err = err or sys.stderr
        self.current: str | None = None

    def see(self, snap) -> None:
        if snap.db_error and self.current is None:
            self.err.write(f"evorisk: monitor blocked: {snap.db_error}; nothing is proposed or sent until "
                           "the database can be written\n")
            self.err.flush()
        elif not snap.db_error and self.current is not None:
            self.err.write("evorisk: database writable again; the monitor proposes and sends as usual\n")
            self.err.flush()
        self.current = snap.db_error


def cmd_monitor(args: argparse.Namespace) -> int:
    if not args.headless:
        raise BadInputError("the interactive monitor is `evorisk console`; use --headless here")
    if args.network == "mainnet" and not args.read_only:
        require_live_mainnet(args.i_understand_mainnet, sys.stdin, sys.stdout, "the monitor")  # before all else
    from storage.alert_repo import AlertRepo

    operator = load_settings()
    gateway = _gateway(args)
    repo = _repo(args)
    with _sigterm_as_interrupt():  # from the lease on, SIGTERM releases it as Ctrl-C does
        lease = _take_lease(repo, args.address) if not args.read_only else None
        try:
            settings = MonitorSettings(args.address, poll_interval_s=args.interval,
                                       can_trade=gateway.signer_address is not None, read_only=args.read_only,
                                       perp=operator.risk, protect_off=args.protect == "off")
            if args.protect == "on" and not args.read_only:
                from console.services.promotions import record_protection

                record_protection(repo, True, _operator(args), "evorisk monitor --protect on")
            alerts = build_dispatcher(operator.alerts, AlertRepo(repo.store), _now_ms, watcher=lease is None)
            try:
                return _run_monitor(args, gateway, repo, settings, lease, alerts)
            finally:
                alerts.stop()
        finally:
            if lease is not None:
                lease.release()


def _take_lease(repo, address: str):
    lease = MonitorLeaseHolder(repo, address, _now_ms)
    lease.acquire()  # MonitorRunning: one line, exit 2
    lease.start_heartbeat()
    return lease


def _run_monitor(args: argparse.Namespace, gateway, repo, settings, lease, alerts) -> int:
    episodes = DbEpisodes()

    def show(snap) -> None:
        sys.stdout.write(snapshot_line(snap, args.json) + "\n")
        sys.stdout.flush()
        episodes.see(snap)

    service = MonitorService(gateway, repo, settings, GenomeSource(repo, args.genome), _now_ms, show, lease=lease,
                             alerts=alerts)
    if args.once:
        snap = service.run_cycle()
        alerts.wait_idle(ONCE_ALERT_WAIT_S)  # a one-shot run still delivers what it raised
        if snap.db_error:
            return EXIT_DB_BUSY
        problem = snap.data_error or snap.poll_warning or ""  # one poll: a failed one is unreachable either way
        return EXIT_UNREACHABLE if problem.startswith("exchange unavailable") else EXIT_OK
    service.start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        service.stop()
    return EXIT_OK


def _raise_interrupt(signum: int, _frame) -> None:
    log.info("monitor stopping on signal %d", signum)
    raise KeyboardInterrupt


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (`kill PID`, a service manager) stops the monitor as Ctrl-C does: polling stops, the
    lease is released, alerts are flushed. Without it a monitor started in the background by a
    script, where the shell ignores SIGINT, could only be stopped uncleanly. SIGINT is left as the
    launcher set it. Only the main thread can set a handler; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def cmd_actions(args: argparse.Namespace) -> int:
    repo = _repo(args)
    actions = repo.list_actions(args.limit)
    if args.json:
        sys.stdout.write(json.dumps([{"id": a.id, "kind": a.kind, "status": a.status, "created_ms": a.created_ms,
                                      "expires_ms": a.expires_ms, "reason": a.reason, "detail": a.detail,
                                      "orders": [vars(leg) for leg in a.legs]} for a in actions]) + "\n")
        return EXIT_OK
    for a in actions:
        sys.stdout.write(f"#{a.id} {a.kind} [{a.status}] {a.reason}" + (f" -> {a.detail}" if a.detail else "") + "\n")
        for leg in a.legs:
            kind = f"stop @ {leg.trigger_px:g}" if leg.trigger_px else f"IOC limit {leg.limit_px:g}"
            sys.stdout.write(f"    {leg.coin} {leg.side} {leg.size:g} reduce_only={leg.reduce_only} {kind} "
                             f"cloid={leg.cloid}\n")
    if not actions:
        sys.stdout.write("no actions\n")
    return EXIT_OK


APPROVE_WAIT_S = 60.0  # `approve --base-url` asks again this long while a POST may still be in flight
APPROVE_RETRY_S = 0.5


def cmd_approve(args: argparse.Namespace) -> int:
    from storage.store import StoreBusyError

    repo = _repo(args)
    try:
        action = repo.approve_action(args.id, _operator(args), _now_ms())  # committed before anything is sent
    except StoreBusyError as exc:
        sys.stderr.write(f"evorisk: database busy, nothing was approved or sent: {exc}\n")
        return EXIT_DB_BUSY
    sys.stdout.write(f"action {action.id} approved by {_operator(args)}\n")
    monitor = live_monitor(repo, args.address, _now_ms()) if args.address else None
    if monitor is not None:
        sys.stdout.write(f"handed to the running monitor ({describe(monitor)}): it claims the action and sends its "
                         "orders at its next cycle\n")
        return EXIT_OK
    if not (args.base_url and args.address):
        sys.stdout.write("the running monitor sends its orders at its next cycle\n")
        return EXIT_OK
    return _execute_here(args, repo, action.id)


def _execute_here(args: argparse.Namespace, repo, action_id: int) -> int:
    """No live monitor: claim the action under the same rule as a monitor and send; while an
    outcome is unknown (a POST may still be in flight) wait and ask again."""
    executor = Executor(_gateway(args), repo, args.address)
    deadline_s = time.monotonic() + APPROVE_WAIT_S
    while True:
        executor.reconcile_unknown(_now_ms())
        report = executor.execute(action_id, _now_ms())
        if report.status != ActionStatus.SENDING or time.monotonic() > deadline_s:
            break
        time.sleep(APPROVE_RETRY_S)
    if report.status == HELD:
        sys.stdout.write(f"action {action_id} is being executed by another executor ({report.detail}); "
                         "nothing sent from here\n")
        return EXIT_OK
    for leg in report.legs:
        sys.stdout.write(f"  {leg.coin} {leg.side} filled {leg.filled:g}/{leg.requested:g} in {leg.attempts} "
                         f"attempt(s): {leg.status}" + (f" ({leg.error})" if leg.error else "") + "\n")
    sys.stdout.write(f"action {action_id} {report.status}\n")
    _alert_failed_legs(repo, action_id, report)
    return EXIT_OK


def _alert_failed_legs(repo, action_id: int, report) -> None:
    """Orders sent from here fail as loudly as the monitor's: one order-failure alert per leg."""
    from storage.alert_repo import AlertRepo

    failures = [LegFailure(action_id, leg.coin, leg.side, leg.status, leg.error)
                for leg in report.legs if leg.status in FAILED_LEG_STATUSES]
    if not failures:
        return
    dispatcher = build_dispatcher(load_settings().alerts, AlertRepo(repo.store), _now_ms)
    for alert in failure_alerts(failures, _now_ms()):
        dispatcher.raise_alert(alert)
    dispatcher.wait_idle(ONCE_ALERT_WAIT_S)
    dispatcher.stop()


def cmd_reject(args: argparse.Namespace) -> int:
    action = _repo(args).reject_action(args.id, _operator(args), _now_ms())
    sys.stdout.write(f"action {action.id} rejected by {_operator(args)}\n")
    return EXIT_OK


def cmd_reset_breaker(args: argparse.Namespace) -> int:
    from console.services.live_session import request_breaker_reset

    request_breaker_reset(_repo(args), _operator(args))
    sys.stdout.write("breaker reset requested: the monitor sets the high-water mark to the current equity "
                     "at its next cycle\n")
    return EXIT_OK


def cmd_propose_exit(args: argparse.Namespace) -> int:
    """Ask the running monitor to propose an exit again (after a reject or an expiry); it decides
    at its next good poll whether there is anything to propose, and the outcome is logged."""
    from console.services.live_session import request_exit

    coin = args.coin.strip().upper() if args.coin else None
    if coin is not None and not re.fullmatch(r"[A-Z0-9]{1,12}", coin):
        sys.stderr.write(f"evorisk: --coin must be a coin name such as BTC, got {args.coin!r}\n")
        return EXIT_BAD_INPUT
    request_exit(_repo(args), _operator(args), coin)
    what = f"an exit of {coin}" if coin else "an exit of every position"
    sys.stdout.write(f"{what} requested: the monitor proposes it at its next poll "
                     "(`evorisk actions` lists it; approve it as any other action)\n")
    return EXIT_OK


def _exchange_args(p: argparse.ArgumentParser, required: bool, mainnet: bool = False) -> None:
    """Only the monitor offers mainnet (behind console.mainnet_guard); `approve` never does."""
    p.add_argument("--base-url", required=required, help="exchange URL (the paper exchange's base_url)")
    p.add_argument("--address", required=required, type=at.address, help="account address to watch (0x...)")
    p.add_argument("--network", choices=("paper", "testnet", "mainnet") if mainnet else ("paper", "testnet"),
                   default="paper")
    if mainnet:
        p.add_argument("--i-understand-mainnet", action="store_true",
                       help="with --network mainnet: real orders; you are also asked to type MAINNET on the terminal")
    p.add_argument("--timeout", type=at.timeout_s, default=5.0, help="seconds per exchange request (default 5)")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    m = sub.add_parser("monitor", parents=[common], help="the live risk monitor")
    m.add_argument("--headless", action="store_true", help="no UI: one line per poll")
    _exchange_args(m, required=True, mainnet=True)
    m.add_argument("--genome", help="genome file (default: the promoted genome, else the default)")
    m.add_argument("--interval", type=at.interval_s, default=30.0, help="seconds between polls (default 30)")
    m.add_argument("--once", action="store_true", help="one poll, then exit (3 if the exchange is unreachable)")
    m.add_argument("--json", action="store_true")
    m.add_argument("--protect", choices=("on", "off"),
                   help="standing exit orders: on (recorded) or off (positions unprotected); default: "
                        "on for a promoted genome or a recorded switch")
    m.add_argument("--read-only", action="store_true",
                   help="watch only: poll and print, never propose or send (beside a running monitor)")
    m.set_defaults(func=cmd_monitor)

    a = sub.add_parser("actions", parents=[common], help="breaker actions and their status")
    a.add_argument("--limit", type=at.count, default=50)
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_actions)

    ap = sub.add_parser("approve", parents=[common], help="approve a pending action")
    ap.add_argument("id", type=at.row_id)
    ap.add_argument("--by", help="operator name (default: the login name)")
    _exchange_args(ap, required=False)
    ap.set_defaults(func=cmd_approve)

    rj = sub.add_parser("reject", parents=[common], help="reject a pending action")
    rj.add_argument("id", type=at.row_id)
    rj.add_argument("--by", help="operator name (default: the login name)")
    rj.set_defaults(func=cmd_reject)

    rb = sub.add_parser("reset-breaker", parents=[common], help="high-water mark := current equity, breaker NORMAL")
    rb.add_argument("--by", help="operator name (default: the login name)")
    rb.set_defaults(func=cmd_reset_breaker)

    pe = sub.add_parser("propose-exit", parents=[common], help="propose an exit again (after a reject or expiry)")
    pe.add_argument("--coin", help="close only this coin (default: every position)")
    pe.add_argument("--by", help="operator name (default: the login name)")
    pe.set_defaults(func=cmd_propose_exit)

"""`evorisk monitor --headless`, `actions`, `approve ID`, `reject ID`, `reset-breaker`, `propose-exit` (SPEC 11).

The monitor prints one line per poll (JSON with --json): equity, drawdown, breaker state and
pending action ids. Approving commits the approval row first; with --base-url and --address the
orders are sent at once, otherwise the running monitor sends them at its next cycle.
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
import threading
import time
from datetime import datetime, timezone

EXIT_OK, EXIT_BAD_INPUT, EXIT_UNREACHABLE = 0, 2, 3
EXIT_DB_BUSY = 1  # not bad input and not the exchange: reported, retry later


def _now_ms() -> int:
    return int(time.time() * 1000)


def _operator(args: argparse.Namespace) -> str:
    return args.by or getpass.getuser()


def _gateway(args: argparse.Namespace):
    from core.exchange.gateway import HyperliquidGateway

    return HyperliquidGateway.from_env(args.network, base_url=args.base_url, account_address=args.address,
                                       timeout_s=args.timeout)


def _repo(args: argparse.Namespace):
    from console.cli import open_store
    from storage.monitor_repo import MonitorRepo

    return MonitorRepo(open_store(args))


def snapshot_line(snap, as_json: bool) -> str:
    ids = [a.id for a in snap.pending_actions if a.status == "pending"]
    if as_json:
        return json.dumps({"time_ms": snap.time_ms, "equity_usd": snap.equity_usd, "hwm_usd": snap.hwm_usd,
                           "drawdown": snap.drawdown, "drawdown_ratio": snap.drawdown_ratio,
                           "breaker_state": snap.breaker_state, "pending_action_ids": ids,
                           "data_error": snap.data_error, "poll_warning": snap.poll_warning,
                           "genome": snap.genome_label})
    when = datetime.fromtimestamp(snap.time_ms / 1000, timezone.utc).strftime("%H:%M:%S")
    equity = "n/a" if snap.equity_usd is None else f"{snap.equity_usd:,.2f}"
    dd = "n/a" if snap.drawdown is None else f"{snap.drawdown:.2%} ({snap.drawdown_ratio:.2f} of max)"
    line = f"{when} equity={equity} drawdown={dd} state={snap.breaker_state} pending={ids}"
    line += f" STALE: {snap.data_error}" if snap.data_error else ""
    return line + (f" WARNING: {snap.poll_warning}" if snap.poll_warning else "")


def cmd_monitor(args: argparse.Namespace) -> int:
    from core.errors import BadInputError
    from core.monitor.genome_source import GenomeSource
    from core.monitor.service import MonitorService, MonitorSettings

    if not args.headless:
        raise BadInputError("the interactive monitor is `evorisk console`; use --headless here")
    if args.interval <= 0:
        raise BadInputError("--interval must be > 0 seconds")
    gateway = _gateway(args)
    repo = _repo(args)
    settings = MonitorSettings(args.address, poll_interval_s=args.interval,
                               can_trade=gateway.signer_address is not None)

    def show(snap) -> None:
        sys.stdout.write(snapshot_line(snap, args.json) + "\n")
        sys.stdout.flush()

    service = MonitorService(gateway, repo, settings, GenomeSource(repo, args.genome), _now_ms, show)
    if args.once:
        snap = service.run_cycle()
        problem = snap.data_error or snap.poll_warning or ""  # one poll: a failed one is unreachable either way
        return EXIT_UNREACHABLE if problem.startswith("exchange unavailable") else EXIT_OK
    service.start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        service.stop()
    return EXIT_OK


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


def cmd_approve(args: argparse.Namespace) -> int:
    from core.monitor.executor import Executor

    from storage.store import StoreBusyError

    repo = _repo(args)
    try:
        action = repo.approve_action(args.id, _operator(args), _now_ms())  # committed before anything is sent
    except StoreBusyError as exc:
        sys.stderr.write(f"evorisk: database busy, nothing was approved or sent: {exc}\n")
        return EXIT_DB_BUSY
    sys.stdout.write(f"action {action.id} approved by {_operator(args)}\n")
    if not (args.base_url and args.address):
        sys.stdout.write("the running monitor sends its orders at its next cycle\n")
        return EXIT_OK
    executor = Executor(_gateway(args), repo, args.address)
    executor.reconcile_unknown(_now_ms())
    report = executor.execute(action.id, _now_ms())
    for leg in report.legs:
        sys.stdout.write(f"  {leg.coin} {leg.side} filled {leg.filled:g}/{leg.requested:g} in {leg.attempts} "
                         f"attempt(s): {leg.status}" + (f" ({leg.error})" if leg.error else "") + "\n")
    sys.stdout.write(f"action {action.id} {report.status}\n")
    return EXIT_OK


def cmd_reject(args: argparse.Namespace) -> int:
    action = _repo(args).reject_action(args.id, _operator(args), _now_ms())
    sys.stdout.write(f"action {action.id} rejected by {_operator(args)}\n")
    return EXIT_OK


def cmd_reset_breaker(args: argparse.Namespace) -> int:
    from core.monitor.service import RESET_REQUEST_KEY

    _repo(args).set_value(RESET_REQUEST_KEY, {"by": _operator(args), "requested_ms": _now_ms()}, _now_ms())
    sys.stdout.write("breaker reset requested: the monitor sets the high-water mark to the current equity "
                     "at its next cycle\n")
    return EXIT_OK


def cmd_propose_exit(args: argparse.Namespace) -> int:
    """Ask the running monitor to propose an exit again (after a reject or an expiry); it decides
    at its next good poll whether there is anything to propose, and the outcome is logged."""
    import re

    from core.monitor.supersede import EXIT_REQUEST_KEY

    coin = args.coin.strip().upper() if args.coin else None
    if coin is not None and not re.fullmatch(r"[A-Z0-9]{1,12}", coin):
        sys.stderr.write(f"evorisk: --coin must be a coin name such as BTC, got {args.coin!r}\n")
        return EXIT_BAD_INPUT
    _repo(args).set_value(EXIT_REQUEST_KEY, {"by": _operator(args), "coin": coin, "requested_ms": _now_ms()}, _now_ms())
    what = f"an exit of {coin}" if coin else "an exit of every position"
    sys.stdout.write(f"{what} requested: the monitor proposes it at its next poll "
                     "(`evorisk actions` lists it; approve it as any other action)\n")
    return EXIT_OK


def _exchange_args(p: argparse.ArgumentParser, required: bool) -> None:
    p.add_argument("--base-url", required=required, help="exchange URL (the paper exchange's base_url)")
    p.add_argument("--address", required=required, help="account address to watch (0x...)")
    p.add_argument("--network", choices=("paper", "testnet"), default="paper")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds per exchange request (default 5)")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    m = sub.add_parser("monitor", parents=[common], help="the live risk monitor")
    m.add_argument("--headless", action="store_true", help="no UI: one line per poll")
    _exchange_args(m, required=True)
    m.add_argument("--genome", help="genome file (default: the promoted genome, else the default)")
    m.add_argument("--interval", type=float, default=30.0, help="seconds between polls (default 30)")
    m.add_argument("--once", action="store_true", help="one poll, then exit (3 if the exchange is unreachable)")
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=cmd_monitor)

    a = sub.add_parser("actions", parents=[common], help="breaker actions and their status")
    a.add_argument("--limit", type=int, default=50)
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_actions)

    ap = sub.add_parser("approve", parents=[common], help="approve a pending action")
    ap.add_argument("id", type=int)
    ap.add_argument("--by", help="operator name (default: the login name)")
    _exchange_args(ap, required=False)
    ap.set_defaults(func=cmd_approve)

    rj = sub.add_parser("reject", parents=[common], help="reject a pending action")
    rj.add_argument("id", type=int)
    rj.add_argument("--by", help="operator name (default: the login name)")
    rj.set_defaults(func=cmd_reject)

    rb = sub.add_parser("reset-breaker", parents=[common], help="high-water mark := current equity, breaker NORMAL")
    rb.add_argument("--by", help="operator name (default: the login name)")
    rb.set_defaults(func=cmd_reset_breaker)

    pe = sub.add_parser("propose-exit", parents=[common], help="propose an exit again (after a reject or expiry)")
    pe.add_argument("--coin", help="close only this coin (default: every position)")
    pe.add_argument("--by", help="operator name (default: the login name)")
    pe.set_defaults(func=cmd_propose_exit)

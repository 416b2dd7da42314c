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
import logging
import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from console import argtypes as at
from console.cli_options import add_listing_options, add_operator_option, operator
from console.exit_codes import EXIT_BAD_INPUT, EXIT_DB_BUSY, EXIT_OK, EXIT_UNREACHABLE
from console.mainnet_guard import require_live_mainnet
from console.views.listing import write_listing
from console.views.monitor_line import DbEpisodes, snapshot_line
from core.errors import BadInputError

log = logging.getLogger("evorisk.monitor.cli")


def _gateway(args: argparse.Namespace):
    """The key is read here, so on mainnet only after console.mainnet_guard has passed; a read-only
    monitor never loads it (HYPERLIQUID.md: read-only mainnet data only when named, never with the key)."""
    from console.services.opening import read_only_gateway, signing_gateway  # heavy: the store, the SDK

    if getattr(args, "read_only", False):  # approve and the action commands always sign
        return read_only_gateway(args.network, args.base_url, args.address, args.timeout)
    return signing_gateway(args.network, args.base_url, args.address, args.timeout,
                           allow_mainnet=args.network == "mainnet")


def _repo(args: argparse.Namespace):
    from console.services.opening import open_args_store  # heavy: the store
    from storage.monitor_repo import MonitorRepo

    return MonitorRepo(open_args_store(args))


def cmd_monitor(args: argparse.Namespace) -> int:
    if not args.headless:
        raise BadInputError("the interactive monitor is `evorisk console`; use --headless here")
    if args.network == "mainnet" and not args.read_only:
        require_live_mainnet(args.i_understand_mainnet, sys.stdin, sys.stdout, "the monitor")  # before all else
    from console.services.monitor_runner import lease_mode, open_monitor  # heavy: the store

    gateway = _gateway(args)
    repo = _repo(args)
    episodes = DbEpisodes()

    def show(snap) -> None:
        sys.stdout.write(snapshot_line(snap, args.json) + "\n")
        sys.stdout.flush()
        episodes.see(snap)

    with _sigterm_as_interrupt():  # from the lease on, SIGTERM releases it as Ctrl-C does
        monitor = open_monitor(gateway, repo, args.address, args.interval,
                               lease_mode(args.read_only, console=False),  # held: one line, exit 2
                               genome_file=args.genome, protect_off=args.protect == "off",
                               protect_on_by=(operator(args), "evorisk monitor --protect on")
                               if args.protect == "on" else None, on_snapshot=show)
        try:
            if not args.once:
                monitor.serve_until_interrupted()
                return EXIT_OK
            snap = monitor.run_once()
        finally:
            monitor.stop()
    if snap.db_error:
        return EXIT_DB_BUSY
    problem = snap.data_error or snap.poll_warning or ""  # one poll: a failed one is unreachable either way
    return EXIT_UNREACHABLE if problem.startswith("exchange unavailable") else EXIT_OK


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


def _action_lines(a) -> list[str]:
    lines = [f"#{a.id} {a.kind} [{a.status}] {a.reason}" + (f" -> {a.detail}" if a.detail else "")]
    for leg in a.legs:
        kind = f"stop @ {leg.trigger_px:g}" if leg.trigger_px else f"IOC limit {leg.limit_px:g}"
        lines.append(f"    {leg.coin} {leg.side} {leg.size:g} reduce_only={leg.reduce_only} {kind} cloid={leg.cloid}")
    return lines


def _action_json(a) -> dict:
    return {"id": a.id, "kind": a.kind, "status": a.status, "created_ms": a.created_ms, "expires_ms": a.expires_ms,
            "reason": a.reason, "detail": a.detail, "orders": [vars(leg) for leg in a.legs]}


def cmd_actions(args: argparse.Namespace) -> int:
    actions = _repo(args).list_actions(args.limit)
    write_listing(actions, args.json, _action_lines, "no actions", json_rows=[_action_json(a) for a in actions])
    return EXIT_OK


def cmd_approve(args: argparse.Namespace) -> int:
    from console.services.monitor_runner import HELD, approve, execute_here  # heavy: the store
    from storage.store import StoreBusyError

    repo = _repo(args)
    try:
        done = approve(repo, args.id, operator(args), args.address)  # committed before anything is sent
    except StoreBusyError as exc:
        sys.stderr.write(f"evorisk: database busy, nothing was approved or sent: {exc}\n")
        return EXIT_DB_BUSY
    sys.stdout.write(f"action {done.action_id} approved by {operator(args)}\n")
    if done.handed_to is not None:
        sys.stdout.write(f"handed to the running monitor ({done.handed_to}): it claims the action and "
                         "sends its orders at its next cycle\n")
        return EXIT_OK
    if not (args.base_url and args.address):
        sys.stdout.write("the running monitor sends its orders at its next cycle\n")
        return EXIT_OK
    report = execute_here(_gateway(args), repo, args.address, done.action_id)
    if report.status == HELD:
        sys.stdout.write(f"action {done.action_id} is being executed by another executor ({report.detail}); "
                         "nothing sent from here\n")
        return EXIT_OK
    for leg in report.legs:
        sys.stdout.write(f"  {leg.coin} {leg.side} filled {leg.filled:g}/{leg.requested:g} in {leg.attempts} "
                         f"attempt(s): {leg.status}" + (f" ({leg.error})" if leg.error else "") + "\n")
    sys.stdout.write(f"action {done.action_id} {report.status}\n")
    return EXIT_OK


def cmd_reject(args: argparse.Namespace) -> int:
    from console.services.monitor_runner import reject  # heavy: the store

    action_id = reject(_repo(args), args.id, operator(args))
    sys.stdout.write(f"action {action_id} rejected by {operator(args)}\n")
    return EXIT_OK


def cmd_reset_breaker(args: argparse.Namespace) -> int:
    from console.services.live_session import request_breaker_reset  # heavy: the store

    request_breaker_reset(_repo(args), operator(args))
    sys.stdout.write("breaker reset requested: the monitor sets the high-water mark to the current equity "
                     "at its next cycle\n")
    return EXIT_OK


def cmd_propose_exit(args: argparse.Namespace) -> int:
    """Ask the running monitor to propose an exit again (after a reject or an expiry); it decides
    at its next good poll whether there is anything to propose, and the outcome is logged."""
    from console.services.live_session import request_exit  # heavy: the store

    coin = args.coin.strip().upper() if args.coin else None
    if coin is not None and not re.fullmatch(r"[A-Z0-9]{1,12}", coin):
        sys.stderr.write(f"evorisk: --coin must be a coin name such as BTC, got {args.coin!r}\n")
        return EXIT_BAD_INPUT
    request_exit(_repo(args), operator(args), coin)
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
    add_listing_options(a, 50, "actions")
    a.set_defaults(func=cmd_actions)

    ap = sub.add_parser("approve", parents=[common], help="approve a pending action")
    ap.add_argument("id", type=at.row_id)
    add_operator_option(ap)
    _exchange_args(ap, required=False)
    ap.set_defaults(func=cmd_approve)

    rj = sub.add_parser("reject", parents=[common], help="reject a pending action")
    rj.add_argument("id", type=at.row_id)
    add_operator_option(rj)
    rj.set_defaults(func=cmd_reject)

    rb = sub.add_parser("reset-breaker", parents=[common], help="high-water mark := current equity, breaker NORMAL")
    add_operator_option(rb)
    rb.set_defaults(func=cmd_reset_breaker)

    pe = sub.add_parser("propose-exit", parents=[common], help="propose an exit again (after a reject or expiry)")
    pe.add_argument("--coin", help="close only this coin (default: every position)")
    add_operator_option(pe)
    pe.set_defaults(func=cmd_propose_exit)

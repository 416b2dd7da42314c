"""Rigs for the exactly-once scenarios (RELIABILITY 22-25 and the kill -9 loop); no tests here.

- `SlowProxy`: a loopback HTTP proxy in front of the paper exchange that delays every /exchange
  POST (before forwarding it: the order is still travelling; or after: booked, reply late), can
  answer the next N of them 503 without forwarding, and counts POSTs per cloid, bookings and
  "Duplicate cloid" replies (a re-send of a booked cloid) from the venue's own answers.
- `wall_rig`: the paper exchange on the wall clock (subprocess monitors sign with the wall clock,
  so the venue's expiresAfter check is real), an approved agent, the real SDK gateway, a file DB.
- `Zygote`: a pre-imported Python process that forks a real `evorisk` CLI process on request, so a
  kill -9 loop pays the import time once instead of every restart (each child is its own pid with
  its own SQLite connection, opened after the fork; the zygote reaps children automatically).
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import eth_account

from core.exchange.gateway import HyperliquidGateway
from core.exchange.paper import PaperExchange, PaperSettings, WallClock
from core.monitor.orders import OrderLeg, ProposedAction
from storage.monitor_repo import MonitorRepo
from storage.store import Store
from tests.support.monitor_rig import CALM, write_scenario
from tests.support.paper import start_paper

ROOT = Path(__file__).resolve().parents[2]
DUPLICATE = "Duplicate cloid"
WAIT_S = 60.0  # generous upper bound for a subprocess to finish an action on a loaded machine


@dataclass
class ProxyLedger:
    posts: Counter = field(default_factory=Counter)  # cloid -> POSTs that reached the proxy
    forwarded: Counter = field(default_factory=Counter)  # cloid -> POSTs passed on to the venue
    booked: Counter = field(default_factory=Counter)  # cloid -> replies that booked it (resting/filled)
    duplicates: Counter = field(default_factory=Counter)  # cloid -> "Duplicate cloid" replies
    exchange_posts: int = 0
    replies: int = 0


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # type: ignore[override]
        """A client killed mid-request resets its socket: expected here, not worth a traceback."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class SlowProxy:
    """HTTP/1.1 proxy on 127.0.0.1:0; `delay_before_s` / `delay_after_s` apply to /exchange only."""

    def __init__(self, upstream: str, delay_before_s: float = 1.0, delay_after_s: float = 0.0):
        self.upstream = urlsplit(upstream)
        self.delay_before_s, self.delay_after_s = delay_before_s, delay_after_s
        self.ledger = ProxyLedger()
        self.booked_event = threading.Event()  # set whenever the venue books one of our cloids
        self.post_event = threading.Event()  # set whenever an /exchange POST arrives
        self._lock = threading.Lock()
        self._fail_next = 0
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "SlowProxy":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, n: int) -> None:
        """Answer the next `n` /exchange POSTs with 503 without forwarding them (never booked)."""
        with self._lock:
            self._fail_next = n

    def _take_failure(self) -> bool:
        with self._lock:
            if self._fail_next > 0:
                self._fail_next -= 1
                return True
            return False

    def _note_post(self, body: bytes) -> list[str]:
        try:
            orders = json.loads(body).get("action", {}).get("orders") or []
            cloids = [str(o["c"]).lower() for o in orders if isinstance(o, dict) and o.get("c")]
        except (ValueError, AttributeError, TypeError):
            cloids = []
        with self._lock:
            self.ledger.exchange_posts += 1
            self.ledger.posts.update(cloids)
        self.post_event.set()
        return cloids

    def _note_reply(self, cloids: list[str], raw: bytes) -> None:
        try:
            statuses = json.loads(raw)["response"]["data"]["statuses"]
        except (ValueError, KeyError, TypeError):
            statuses = []
        with self._lock:
            self.ledger.replies += 1
            for cloid, status in zip(cloids, statuses):
                if isinstance(status, dict) and ("resting" in status or "filled" in status):
                    self.ledger.booked[cloid] += 1
                    self.booked_event.set()
                elif isinstance(status, dict) and DUPLICATE in str(status.get("error", "")):
                    self.ledger.duplicates[cloid] += 1

    def _forward(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, list, bytes]:
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass  # quiet: the ledger is the record

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                exchange = self.path.startswith("/exchange")
                cloids = proxy._note_post(body) if exchange else []
                if exchange and proxy._take_failure():
                    self._reply(503, [("Content-Type", "text/plain")], b"503 upstream unavailable")
                    return
                if exchange and proxy.delay_before_s:
                    time.sleep(proxy.delay_before_s)  # the request is still on its way to the venue
                if exchange:
                    with proxy._lock:
                        proxy.ledger.forwarded.update(cloids)
                status, headers, raw = proxy._forward("POST", self.path, body,
                                                      {"Content-Type": "application/json"})
                if exchange:
                    proxy._note_reply(cloids, raw)
                    if proxy.delay_after_s:
                        time.sleep(proxy.delay_after_s)  # booked; the reply is late
                keep = [(k, v) for k, v in headers if k.lower() in ("content-type", "date", "retry-after")]
                self._reply(status, keep, raw)

            def _reply(self, status: int, headers: list, raw: bytes) -> None:
                try:
                    self.send_response_only(status)
                    for k, v in headers:
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout) or was killed: the venue's answer is in the ledger

        return Handler


@dataclass
class WallRig:
    paper: PaperExchange
    proxy: SlowProxy
    agent_key: str
    gateway: HyperliquidGateway  # straight to the paper exchange: the test's own view of the venue
    repo: MonitorRepo
    db_path: Path

    def stop(self) -> None:
        self.proxy.stop()
        self.paper.stop()

    def venue_cloids(self) -> list[str]:
        return [o.cloid.lower() for o in self.paper.ledger.orders.values()
                if o.cloid and o.user == self.paper.demo_address]

    def cli_args(self, timeout_s: float) -> list[str]:
        return ["--base-url", self.proxy.base_url, "--address", self.paper.demo_address, "--db", str(self.db_path),
                "--timeout", str(timeout_s)]

    def env(self) -> dict[str, str]:
        return {**os.environ, "EVORISK_PRIVATE_KEY": self.agent_key, "PYTHONPATH": str(ROOT)}


def wall_rig(tmp_path: Path, delay_before_s: float = 1.0, delay_after_s: float = 0.0, scenario: dict = CALM,
             **paper_settings: Any) -> WallRig:
    paper = start_paper(PaperSettings(scenario=write_scenario(tmp_path, scenario), speed=1.0, **paper_settings),
                        clock=WallClock())  # the real clock: the proxy's delays and the CLI's timeouts are real
    agent = eth_account.Account.create()
    paper.approve_agent(paper.demo_address, agent.address)
    proxy = SlowProxy(paper.base_url, delay_before_s, delay_after_s).start()
    gateway = HyperliquidGateway("paper", base_url=paper.base_url, private_key=agent.key.hex(),
                                 account_address=paper.demo_address, timeout_s=5.0)
    db_path = tmp_path / "monitor.db"
    return WallRig(paper, proxy, agent.key.hex(), gateway, MonitorRepo(Store(db_path)), db_path)


def small_reduce(rig: WallRig, approve_by: str | None = "alice", fraction: float = 0.01) -> int:
    """A 3-leg reduce-only IOC action closing `fraction` of each demo position (approved unless None)."""
    state = rig.gateway.account_state(rig.paper.demo_address)
    mids = rig.gateway.mids()
    legs = []
    for i, p in enumerate(sorted(state.positions, key=lambda p: p.coin)):
        decimals = rig.gateway.sz_decimals(p.coin)
        size = round(abs(p.size) * fraction, decimals)
        is_buy = p.size < 0
        px = mids[p.coin] * (1.05 if is_buy else 0.95)
        legs.append(OrderLeg(i, p.coin, "buy" if is_buy else "sell", size, float(f"{px:.5g}")))
    now = rig.gateway.now_ms()
    action = rig.repo.create_action(ProposedAction("reduce", "exactly-once test", tuple(legs)), now, now + 600_000)
    if approve_by:
        rig.repo.approve_action(action.id, approve_by, now)
    return action.id


def rows_match_venue(rig: WallRig) -> list[str]:
    """Every order row against `orderStatus` of its cloid, and every venue order against a row:
    the mismatches (empty when the database says what the venue has)."""
    problems = []
    rows = rig.repo.store.query("SELECT cloid, status, filled_size FROM orders")
    for row in rows:
        venue = rig.gateway.order_status_by_cloid(rig.paper.demo_address, row["cloid"])
        if venue is None:
            if row["status"] not in ("not_found", "error"):
                problems.append(f"{row['cloid']}: row {row['status']}, venue never booked it")
        elif venue.status != row["status"] or abs(venue.filled_size - row["filled_size"]) > 1e-9:
            problems.append(f"{row['cloid']}: row {row['status']} {row['filled_size']}, venue {venue.status} "
                            f"{venue.filled_size}")
    known = {row["cloid"] for row in rows}
    problems += [f"{c}: booked at the venue, no row" for c in rig.venue_cloids() if c not in known]
    return problems


ZYGOTE = r"""
import json, os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel: a killed pid is gone at once
import console.cli, core.monitor.service, core.monitor.genome_source, core.exchange.gateway, storage.monitor_repo  # noqa
import hyperliquid.exchange, hyperliquid.info  # noqa
sys.stdout.write("ready\n"); sys.stdout.flush()
for line in sys.stdin:
    argv = json.loads(line)
    pid = os.fork()
    if pid == 0:
        out = os.open(argv.pop(0), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.dup2(out, 1); os.dup2(out, 2)
        sys.stdin.close()
        code = 1
        try:
            code = console.cli.main(argv)
        finally:
            sys.stdout.flush(); sys.stderr.flush()
            os._exit(code)
    sys.stdout.write(f"{pid}\n"); sys.stdout.flush()
"""


class Zygote:
    """Forks `evorisk ARGV` children from one pre-imported process (see the module docstring)."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.log_path = log_path
        self.proc = subprocess.Popen([sys.executable, "-c", ZYGOTE], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def spawn(self, argv: list[str]) -> int:
        self.proc.stdin.write(json.dumps([str(self.log_path), *argv]) + "\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def kill9(pid: int) -> None:
    """SIGKILL and wait until the pid is gone (the zygote reaps it)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    while alive(pid):
        time.sleep(0.01)


def wait_for(condition, what: str, timeout_s: float = WAIT_S) -> None:
    end = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)

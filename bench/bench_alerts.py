"""A monitor cycle with and without a dead alert receiver (issue 16): delivery runs off the
monitor's loop, so a webhook that accepts and never answers, or a refused port, must not slow a
cycle. Each cycle is the real MonitorService against the paper exchange on loopback (real SDK,
real SQLite file) plus one extra alert raised per cycle with de-dup off, so every cycle hands
the channel new work.

Run: `python -m bench.bench_alerts` (prints its section and rewrites it in bench/RESULTS.md).
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import eth_account

from core.alerts.channels import AppriseChannel
from core.alerts.dispatcher import AlertDispatcher, DispatchSettings
from core.alerts.model import Alert, AlertKind, Severity
from core.exchange.gateway import HyperliquidGateway
from core.exchange.paper import ManualClock, PaperExchange, PaperSettings
from core.genome import decode, default_genes
from core.monitor.service import MonitorService, MonitorSettings
from storage.alert_repo import AlertRepo
from storage.monitor_repo import MonitorRepo
from storage.store import Store
from tests.support.alert_receiver import DeadReceiver, refused_port

CYCLES = 40
WARMUP = 3
RESULTS = Path(__file__).with_name("RESULTS.md")
SECTION = "## Alerts: monitor cycle with a dead alert receiver (issue 16)"
RETRIES = DispatchSettings(retry_delays_s=(1.0, 2.0), dedup_window_ms=0)


def _cycle_ms(tmp: Path, name: str, url: str | None) -> list[float]:
    clock = ManualClock()
    paper = PaperExchange(PaperSettings(scenario="demo", speed=1.0), clock=clock).start()
    try:
        agent = eth_account.Account.create()
        paper.approve_agent(paper.demo_address, agent.address)
        gateway = HyperliquidGateway("paper", base_url=paper.base_url, private_key=agent.key.hex(),
                                     account_address=paper.demo_address, timeout_s=5.0, now_ms=clock.now_ms)
        store = Store(tmp / f"{name}.db")
        channels = [AppriseChannel(url)] if url else []
        alerts = AlertDispatcher(channels, AlertRepo(store), clock.now_ms, RETRIES).start()
        params = decode(default_genes())
        service = MonitorService(gateway, MonitorRepo(store), MonitorSettings(paper.demo_address, 1.0),
                                 lambda: (params, "bench"), clock.now_ms, alerts=alerts)
        out = []
        for i in range(CYCLES + WARMUP):
            paper.fast_forward(1.0)
            clock.advance(1.0)
            t0 = time.perf_counter()
            snap = service.run_cycle()
            alerts.raise_alert(Alert(AlertKind.TEST, Severity.WARNING, f"bench {i}", "", f"bench:{i}", snap.time_ms))
            if i >= WARMUP:
                out.append((time.perf_counter() - t0) * 1000)
        alerts.stop()
        return out
    finally:
        paper.stop()


def run() -> str:
    dead = DeadReceiver()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cases = [("no notification URL", None),
                     ("dead receiver (accepts, never answers; 4 s read timeout)", dead.url(read_timeout_s=4)),
                     ("refused port", f"json://127.0.0.1:{refused_port()}/hook")]
            _cycle_ms(Path(tmp), "warmup", None)  # imports, first candles: not part of any case
            samples: dict[str, list[float]] = {name: [] for name, _ in cases}
            for round_no, order in enumerate((cases, cases[::-1])):  # A B C then C B A: drift hits all alike
                for name, url in order:
                    samples[name] += _cycle_ms(Path(tmp), f"{name.split()[0]}{round_no}", url)
            rows, base = [], None
            for name, _ in cases:
                ms = sorted(samples[name])
                med = statistics.median(ms)
                base = base or med
                rows.append(f"| {name} | {med:.1f} | {ms[int(0.95 * len(ms))]:.1f} | {ms[-1]:.1f} | "
                            f"{med / base:.2f} |")
    finally:
        dead.close()
    return "\n".join([
        SECTION, "",
        f"Command: `python -m bench.bench_alerts`. 2 x {CYCLES} cycles per case (rounds in A B C, C B A order "
        "after a warm-up run) of the real MonitorService on the "
        "paper exchange (loopback HTTP, SDK, SQLite file), each raising one alert (de-dup off) besides the "
        "monitor's own; retries after 1 s and 2 s. Machine: 2 cores shared with other work.", "",
        "| alert channel | median cycle ms | p95 ms | max ms | median / no URL |",
        "|---|---|---|---|---|", *rows, "",
        "Delivery runs on the dispatcher's threads: the monitor only queues an alert.", ""])


def _write(section: str) -> None:
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n\n"
    if SECTION in text:
        start = text.index(SECTION)
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + ("" if end < 0 else "\n" + text[end + 1:])
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    import sys

    result = run()
    _write(result)
    sys.stdout.write(result)
